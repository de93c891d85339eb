#include "lifecycle.h"

#include "signals.h"

#include <csignal>
#include <sys/wait.h>

int WaitStatusCode(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

Millis RestartDelay(Millis backoff, Millis backoff_max, uint32_t k) {
  Millis delay = backoff;
  for (uint32_t i = 1; i < k && delay < backoff_max; i++) delay *= 2;
  return delay < backoff_max ? delay : backoff_max;
}

AfterExit DecideAfterExit(const Decl& d, int wait_status, Millis ran_for, uint32_t quick_failures, Millis now,
                          bool may_restart) {
  AfterExit a;
  a.failure = !(WIFEXITED(wait_status) && IsOkCode(d, WEXITSTATUS(wait_status)));
  a.quick_failures = ran_for >= kResetAfter ? 1 : quick_failures + 1;
  a.restart_at = 0;
  bool wants_restart = d.restart == RestartPolicy::kAlways || (d.restart == RestartPolicy::kOnFailure && a.failure);
  bool exhausted = d.max_restarts > 0 && a.quick_failures > d.max_restarts;
  if (!may_restart || !wants_restart) {
    a.state = a.failure ? ProcState::kFailed : ProcState::kExited;
  } else if (exhausted) {
    a.state = ProcState::kFailed;
  } else {
    a.state = ProcState::kBackoff;
    a.restart_at = now + RestartDelay(d.backoff, d.backoff_max, a.quick_failures);
  }
  return a;
}

SignalDecision DecideSignal(int sig, Phase phase, bool main_running, const Options& o) {
  int as = sig <= kMaxSignal && o.rewrite[sig] >= 0 ? o.rewrite[sig] : sig;
  // A signal rewritten to 0 is ignored altogether, so "-r TERM:0" also keeps
  // TERM from starting a shutdown, as dumb-init users expect.
  if (as == 0) return {SignalAction::kDrop, 0};
  bool stop = IsShutdownSignal(sig);
  bool shutting_down = phase >= Phase::kDraining;
  if (phase == Phase::kStarting) return {stop ? SignalAction::kAbortStartup : SignalAction::kQueue, as};
  if (!main_running) return {SignalAction::kDrop, as};
  if (stop && !shutting_down) return {SignalAction::kForwardAndShutdown, as};
  return {SignalAction::kForward, as};
}

Millis StopDeadline(Millis now, Millis stop_timeout, Millis grace_end) {
  Millis t = now + stop_timeout;
  return t < grace_end ? t : grace_end;
}

int MainExitCode(int wait_status, bool timed_out, const Options& o) {
  if (timed_out) return 124;
  int code = WaitStatusCode(wait_status);
  return IsRemapped(o, code) ? 0 : code;
}
