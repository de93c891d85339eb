#include "liveness.h"

#include <sys/wait.h>

#include "log.h"
#include "world.h"

bool CountLiveAttempt(uint32_t* failed_in_a_row, bool passed, uint32_t max_failures) {
  *failed_in_a_row = passed ? 0 : *failed_in_a_row + 1;
  return *failed_in_a_row >= max_failures;
}

int LiveFailureStatus(const Decl& d, int wait_status) {
  if (WIFEXITED(wait_status) && IsOkCode(d, WEXITSTATUS(wait_status))) return d.stop_signal & 0x7f;
  return wait_status;
}

void LiveArm(Proc* p, Millis now) {
  const Decl& d = *p->decl;
  if (d.live.kind == ReadyKind::kNone) return;
  p->live.name = d.name;
  p->live.interval = d.live_interval;
  p->live.attempt_max = d.live_timeout;
  p->live.attempts = 0;
  p->live_failed = 0;
  p->live.wake_at = now + d.live_interval;
}

namespace {

// After any step of the check: a passed or failed attempt is counted and
// the next one scheduled; enough failures in a row stop the process.
void AfterStep(World* w, Proc* p, ProbeResult r, uint32_t failed_before, Millis now) {
  bool passed = r == ProbeResult::kReady;
  if (!passed && p->live.failed == failed_before) return;  // still under way
  const Decl& d = *p->decl;
  if (passed) p->live.wake_at = now + d.live_interval;
  if (!CountLiveAttempt(&p->live_failed, passed, d.live_failures) || p->state != ProcState::kRunning) return;
  LOG_WARN("sidecar %s failed its liveness check %u times (%s): %s", d.name, p->live_failed,
           p->live.last_failure[0] ? p->live.last_failure : "no answer",
           d.restart == RestartPolicy::kNever ? "stopping it" : "restarting it");
  p->live_failed = 0;
  StopProc(w, p, now);
  p->after_stop = AfterStop::kFailure;
}

}  // namespace

void LiveOnEvent(World* w, Proc* p, short revents, Millis now) {
  uint32_t before = p->live.failed;
  AfterStep(w, p, ProbeOnEvent(&p->live, p->decl->live, *w->plan->inherited, revents, now), before, now);
}

void LiveOnExit(World* w, Proc* p, int wait_status, Millis now) {
  uint32_t before = p->live.failed;
  AfterStep(w, p, ProbeOnExit(&p->live, p->decl->live, *w->plan->inherited, wait_status, now), before, now);
}

void LiveOnTimer(World* w, Proc* p, Millis now) {
  uint32_t before = p->live.failed;
  AfterStep(w, p, ProbeOnTimer(&p->live, p->decl->live, *w->plan->inherited, now), before, now);
}
