// The container's state machine (see lifecycle.h for the phases): the one
// place that decides what happens next, from the loop's events.
#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

#include "descendants.h"
#include "log.h"
#include "notify.h"
#include "signals.h"
#include "world.h"

namespace {

const char* NameOf(const World* w, const Proc* p) {
  return p->decl ? p->decl->name : w->o->command[0];
}

bool Alive(const Proc& p) { return p.pid > 0; }

// A child's process group (its helpers too); the child alone if it moved to
// another group, as an interactive shell does.
void SignalGroup(pid_t pid, int sig) {
  if (kill(-pid, sig) != 0) kill(pid, sig);
}

void SetExitCode(World* w, int code) {
  if (w->exit_code < 0) w->exit_code = code;
}

void ReportSpawnFailure(World* w, const Proc* p, const SpawnOutcome& r) {
  const char* name = NameOf(w, p);
  const char* what = p->decl ? p->decl->argv[0] : w->o->command[0];
  switch (r.stage) {
    case SpawnStage::kExec: LOG_ERROR("exec %s: %s", what, strerror(r.error)); break;
    case SpawnStage::kFork:
      LOG_ERROR("cannot start %s: %s: raise the %s", name, strerror(r.error),
                r.error == EMFILE || r.error == ENFILE ? "open-file limit (ulimit -n)"
                                                       : "process limit (ulimit -u, pids cgroup)");
      break;
    case SpawnStage::kCredentials:
      LOG_ERROR("cannot switch %s to its user: %s: cinit needs root (CAP_SETUID/CAP_SETGID) for --user", name,
                strerror(r.error));
      break;
    case SpawnStage::kChdir:
      LOG_ERROR("%s: cannot change to its working directory %s: %s", name,
                p->decl && p->decl->cwd ? p->decl->cwd : w->plan->inherited->cwd, strerror(r.error));
      break;
    case SpawnStage::kSetup: LOG_ERROR("cannot set up descriptors for %s: %s", name, strerror(r.error)); break;
  }
}

// A sidecar or init task exited on its own (not while being stopped).
void OnDeclExit(World* w, Proc* p, int wait_status, Millis now) {
  const Decl& d = *p->decl;
  bool may_restart = w->phase < Phase::kStoppingSidecars;
  AfterExit a = DecideAfterExit(d, wait_status, now - p->started_at, p->quick_failures, now, may_restart);
  p->state = a.state;
  p->quick_failures = a.quick_failures;
  p->wake_at = a.restart_at;
  int code = WaitStatusCode(wait_status);
  if (a.state == ProcState::kBackoff) {
    LOG_INFO("%s exited with %d; restarting in %lld ms", d.name, code, (long long)(a.restart_at - now));
    return;
  }
  if (d.kind == DeclKind::kInit) {
    if (a.failure && w->phase == Phase::kStarting) {
      LOG_ERROR("init task %s failed with status %d: the main will not start", d.name, code);
      SetExitCode(w, code);
      BeginShutdown(w, now, false);
    }
    return;
  }
  if (a.state == ProcState::kFailed && may_restart)
    LOG_WARN("sidecar %s failed with status %d and will not be restarted%s", d.name, code,
             a.quick_failures > d.max_restarts && d.max_restarts ? " (max-restarts reached)" : "");
  if (d.critical && w->phase < Phase::kDraining) {
    LOG_WARN("critical sidecar %s stopped for good (status %d): shutting down", d.name, code);
    SetExitCode(w, code);
    BeginShutdown(w, now, true);
  }
}

// Next entry to stop, newest first: init tasks still running count too
// (a TERM can arrive during one).
Proc* NextToStop(World* w) {
  for (; w->cursor >= 0; w->cursor--) {
    Proc* p = &w->procs[w->cursor];
    if (w->cursor == w->main) continue;
    if (p->state == ProcState::kBackoff) {
      p->state = ProcState::kExited;  // a pending restart is cancelled
      p->wake_at = 0;
      w->dirty = true;
      continue;
    }
    if (Alive(*p)) return p;
  }
  return nullptr;
}

}  // namespace

void SendToMain(World* w, int sig) {
  Proc* m = &w->procs[w->main];
  if (!Alive(*m)) return;
  kill(w->o->pgroup ? -m->pid : m->pid, sig);
}

void SignalStrays(World* w, int sig) {
  // As PID 1 of a namespace, kill(-1) reaches every other process in it,
  // including any forked since we last looked. Outside one it would reach
  // the whole host, so walk our own descendants instead.
  if (w->plan->pid1) kill(-1, sig);
  else SignalDescendants(w->self, sig);
}

void KillEverything(World* w) {
  w->phase = Phase::kKilling;
  for (int i = 0; i < w->count; i++) {
    Proc* p = &w->procs[i];
    if (Alive(*p)) SignalGroup(p->pid, SIGKILL);
    if (p->state == ProcState::kBackoff) p->state = ProcState::kExited;
    ProbeStop(&p->probe);
    ProbeStop(&p->live);
  }
  SignalStrays(w, SIGKILL);
  w->dirty = true;
}

void BeginShutdown(World* w, Millis now, bool stop_main) {
  if (w->phase >= Phase::kDraining) return;
  w->grace_end = now + w->o->grace;
  LOG_INFO("shutting down (grace %lld ms)", (long long)w->o->grace);
  if (w->phase == Phase::kStarting) {
    // The main never started: stop what did start, newest first.
    w->phase = Phase::kStoppingSidecars;
    w->cursor = w->count - 1;
    return;
  }
  w->phase = Phase::kDraining;
  if (stop_main) SendToMain(w, SIGTERM);
}

void StartProc(World* w, int i, Millis now) {
  Proc* p = &w->procs[i];
  const Decl& d = *p->decl;
  if (p->state == ProcState::kBackoff) p->restarts++;
  SpawnRequest req;
  req.argv = d.argv;
  req.extra_env = d.env;
  req.creds = p->creds;
  req.cwd = d.cwd;
  if (d.ready.kind == ReadyKind::kNotify) req.notify_env = w->plan->notify_env;
  if (p->prefixed) {
    req.stdout_fd = p->out.child_fd;
    req.stderr_fd = p->err.child_fd;
  }
  int ready_fd = -1;
  p->probe.name = d.name;
  if (d.ready.kind != ReadyKind::kNone) {
    Status s = ProbeBeforeStart(&p->probe, d.ready, &ready_fd);
    if (!s.ok) LOG_WARN("%s: %s", d.name, s.error.text);
    req.ready_fd = ready_fd;
    req.ready_fd_target = d.ready.fd;
  }
  LOG_INFO("starting %s %s", d.kind == DeclKind::kInit ? "init task" : "sidecar", d.name);
  // The ready-timeout gates startup from the first attempt on, even one
  // that cannot fork: startup is never held back longer than that.
  if (d.kind == DeclKind::kSidecar && w->phase == Phase::kStarting && p->restarts == 0)
    p->ready_deadline = now + d.ready_timeout;
  SpawnOutcome r = Spawn(*w->plan->inherited, req);
  if (ready_fd >= 0) close(ready_fd);
  p->started_at = now;
  p->ready = false;
  w->dirty = true;
  if (r.error) ReportSpawnFailure(w, p, r);
  if (r.pid <= 0) {
    // Could not even fork: count it as a failed run, so backoff applies.
    OnDeclExit(w, p, 125 << 8, now);
    return;
  }
  p->pid = r.pid;
  w->have_children = true;
  if (d.kind == DeclKind::kInit) {
    p->state = ProcState::kRunning;
    return;
  }
  p->state = ProcState::kStarting;
  if (ProbeStart(&p->probe, d.ready, *w->plan->inherited, now) == ProbeResult::kReady) MarkReady(w, p);
}

void MarkReady(World* w, Proc* p) {
  ProbeStop(&p->probe);
  p->ready = true;
  p->ready_deadline = 0;
  if (p->state == ProcState::kStarting) p->state = ProcState::kRunning;
  w->dirty = true;
  LOG_INFO("sidecar %s is ready", p->decl->name);
  // The liveness check starts now (the time is read only if there is one).
  if (p->decl->live.kind != ReadyKind::kNone) LiveArm(p, Now());
}

void StartMain(World* w, Millis now) {
  Proc* m = &w->procs[w->main];
  SpawnRequest req;
  req.argv = w->o->command;
  req.creds = w->plan->main_creds;
  req.foreground_tty = true;
  req.keep_inherited_fds = true;
  if (w->o->ready_notify) req.notify_env = w->plan->notify_env;
  SpawnOutcome r = Spawn(*w->plan->inherited, req);
  // The descriptors cinit inherited belong to the main now (socket activation).
  CloseInheritedFds();
  m->started_at = now;
  w->dirty = true;
  if (r.error) ReportSpawnFailure(w, m, r);
  if (r.pid <= 0) {
    SetExitCode(w, 125);
    m->state = ProcState::kFailed;
    BeginShutdown(w, now, false);
    return;
  }
  m->pid = r.pid;
  m->state = ProcState::kRunning;
  m->ready = !w->o->ready_notify;  // --ready notify: on READY=1
  w->have_children = true;
  w->phase = Phase::kRunning;
  if (w->o->timeout > 0) w->timeout_at = now + w->o->timeout;
  // Signals that came while the main was being started are not lost.
  Clock clock{now};
  for (int i = 0; i < w->queued_count; i++) HandleSignal(w, w->queued[i], &clock);
  w->queued_count = 0;
}

void StopProc(World* w, Proc* p, Millis now) {
  int sig = p->decl ? p->decl->stop_signal : SIGTERM;
  ProbeStop(&p->probe);
  ProbeStop(&p->live);
  LOG_INFO("stopping %s", NameOf(w, p));
  SignalGroup(p->pid, sig);
  p->state = ProcState::kStopping;
  Millis timeout = p->decl ? p->decl->stop_timeout : w->o->grace;
  // Outside shutdown (a restart on change) there is no grace to cap it.
  p->wake_at = w->phase >= Phase::kDraining ? StopDeadline(now, timeout, w->grace_end) : now + timeout;
  w->dirty = true;
}

void OnWatchChange(World* w, const WatchTarget& t, Millis now) {
  // Once shutdown began, a change no longer matters.
  if (w->phase >= Phase::kDraining) return;
  Proc* p = &w->procs[t.owner];
  char name[16];
  if (t.owner == w->main) {
    LOG_INFO("%s changed: sending %s to the main", t.path, SignalName(t.signal, name, sizeof name));
    SendToMain(w, t.signal);
    return;
  }
  // Not running (or already stopping): its next start sees the change anyway.
  if (!Alive(*p) || p->state == ProcState::kStopping) return;
  if (p->decl->on_change) {
    LOG_INFO("%s changed: sending %s to sidecar %s", t.path, SignalName(p->decl->on_change, name, sizeof name),
             p->decl->name);
    SignalGroup(p->pid, p->decl->on_change);
    return;
  }
  LOG_INFO("%s changed: restarting sidecar %s", t.path, p->decl->name);
  StopProc(w, p, now);
  p->after_stop = AfterStop::kStart;
}

void Advance(World* w, Millis now) {
  for (;;) {
    switch (w->phase) {
      case Phase::kStarting: {
        if (w->cursor == w->main) {
          StartMain(w, now);
          continue;
        }
        Proc* p = &w->procs[w->cursor];
        if (p->state == ProcState::kPending) {
          StartProc(w, w->cursor, now);
          continue;
        }
        bool init_done = p->kind == ProcKind::kInit && p->state == ProcState::kExited;
        bool sidecar_done = p->kind == ProcKind::kSidecar &&
                            (p->ready || p->ready_timed_out || p->state == ProcState::kExited ||
                             p->state == ProcState::kFailed);
        if (!init_done && !sidecar_done) return;
        w->cursor++;
        continue;
      }
      case Phase::kRunning: return;
      case Phase::kDraining:
        if (Alive(w->procs[w->main])) return;
        w->phase = Phase::kStoppingSidecars;
        w->cursor = w->count - 1;
        continue;
      case Phase::kStoppingSidecars: {
        Proc* p = NextToStop(w);
        if (!p) {
          w->phase = Phase::kStoppingStrays;
          // With no child left there can be no descendant either (orphans
          // come to us), so skip the signal: outside a namespace that saves
          // a walk of /proc.
          Clock clock{now};
          ReapChildren(w, &clock);
          if (w->have_children) SignalStrays(w, SIGTERM);
          continue;
        }
        if (p->state != ProcState::kStopping) StopProc(w, p, now);
        return;
      }
      case Phase::kStoppingStrays:
      case Phase::kKilling:
        if (w->have_children) return;
        w->phase = Phase::kDone;
        continue;
      case Phase::kDone: return;
    }
  }
}

void HandleSignal(World* w, int sig, Clock* clock) {
  Proc* m = &w->procs[w->main];
  SignalDecision d = DecideSignal(sig, w->phase, Alive(*m), *w->o);
  char name[16];
  // Formatting the name is work on the forwarding path: only when shown.
  if (LogVerbosity() >= static_cast<int>(LogLevel::kDebug)) LOG_DEBUG("received %s", SignalName(sig, name, sizeof name));
  // Only a shutdown needs the time (for the grace): a plain forward reads
  // no clock.
  switch (d.action) {
    case SignalAction::kForward: SendToMain(w, d.forward_as); break;
    case SignalAction::kForwardAndShutdown:
      SendToMain(w, d.forward_as);
      BeginShutdown(w, clock->Get(), false);
      break;
    case SignalAction::kQueue:
      if (w->queued_count < static_cast<int>(sizeof w->queued / sizeof w->queued[0])) w->queued[w->queued_count++] = sig;
      break;
    case SignalAction::kAbortStartup:
      SetExitCode(w, 128 + sig);
      BeginShutdown(w, clock->Get(), false);
      break;
    case SignalAction::kDrop: break;
  }
}

void HandleExit(World* w, pid_t pid, int wait_status, Clock* clock) {
  for (int i = 0; i < w->count; i++) {
    Proc* p = &w->procs[i];
    if (p->probe.exec_pid != pid && p->pid != pid && p->live.exec_pid != pid) continue;
    Millis now = clock->Get();
    if (p->live.exec_pid == pid) return LiveOnExit(w, p, wait_status, now);
    if (p->probe.exec_pid == pid) {
      p->probe.exec_pid = -1;
      if (p->decl && ProbeOnExit(&p->probe, p->decl->ready, *w->plan->inherited, wait_status, now) == ProbeResult::kReady)
        MarkReady(w, p);
      return;
    }
    if (p->pid != pid) continue;
    p->pid = 0;
    p->last_status = WaitStatusCode(wait_status);
    p->ready = false;
    p->wake_at = 0;
    w->dirty = true;
    ProbeStop(&p->probe);
    ProbeStop(&p->live);
    if (i == w->main) {
      LOG_INFO("main exited with status %d", p->last_status);
      p->state = ProcState::kExited;
      SetExitCode(w, MainExitCode(wait_status, w->timed_out, *w->o));
      BeginShutdown(w, now, false);
    } else if (p->after_stop == AfterStop::kStart && w->phase < Phase::kStoppingSidecars) {
      p->after_stop = AfterStop::kNothing;
      p->state = ProcState::kBackoff;  // counted as a restart, not as a failure
      StartProc(w, i, now);
    } else if (p->after_stop == AfterStop::kFailure && w->phase < Phase::kStoppingSidecars) {
      p->after_stop = AfterStop::kNothing;
      int status = LiveFailureStatus(*p->decl, wait_status);
      p->last_status = WaitStatusCode(status);  // the state shows the failure
      OnDeclExit(w, p, status, now);
    } else if (p->state == ProcState::kStopping || w->phase == Phase::kKilling) {
      p->after_stop = AfterStop::kNothing;
      p->state = ProcState::kExited;
    } else {
      OnDeclExit(w, p, wait_status, now);
    }
    return;
  }
  if (w->o->warn_reaped) LOG_WARN("reaped process %d, not a known child (status %d)", pid, WaitStatusCode(wait_status));
}

void ReapChildren(World* w, Clock* clock) {
  for (;;) {
    int status;
    // __WALL: also children whose exit signal is not SIGCHLD (clone users).
    pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
    if (pid > 0) {
      HandleExit(w, pid, status, clock);
      continue;
    }
    if (pid < 0 && errno == EINTR) continue;
    w->have_children = pid == 0;
    return;
  }
}

void HandleTimers(World* w, Millis now) {
  if (w->phase >= Phase::kDraining && w->phase < Phase::kKilling && now >= w->grace_end) {
    LOG_WARN("grace of %lld ms is over: killing everything left", (long long)w->o->grace);
    KillEverything(w);
  }
  if (w->timeout_at && now >= w->timeout_at && w->phase == Phase::kRunning) {
    LOG_WARN("--timeout reached: stopping %s", w->o->command[0]);
    w->timed_out = true;
    w->timeout_at = 0;
    BeginShutdown(w, now, true);
  }
  for (int k; w->watcher && (k = WatcherTakeDue(w->watcher, now)) >= 0;) OnWatchChange(w, w->watcher->targets[k], now);
  for (int i = 0; i < w->count; i++) {
    Proc* p = &w->procs[i];
    if (p->wake_at && now >= p->wake_at) {
      p->wake_at = 0;
      if (p->state == ProcState::kBackoff && w->phase < Phase::kStoppingSidecars) StartProc(w, i, now);
      else if (p->state == ProcState::kStopping && Alive(*p)) {
        LOG_WARN("%s did not stop within its stop-timeout: killing it", NameOf(w, p));
        SignalGroup(p->pid, SIGKILL);
      }
    }
    if (p->ready_deadline && now >= p->ready_deadline && !p->ready) {
      p->ready_deadline = 0;
      p->ready_timed_out = true;
      bool gating = w->phase == Phase::kStarting && w->cursor == i;
      if (gating && p->decl->critical) {
        LOG_ERROR("critical sidecar %s was not ready within its ready-timeout (%s): giving up", p->decl->name,
                  p->probe.last_failure[0] ? p->probe.last_failure : "no answer");
        SetExitCode(w, 124);
        BeginShutdown(w, now, false);
      } else {
        LOG_WARN("sidecar %s was not ready within its ready-timeout (%s); going on without it", p->decl->name,
                 p->probe.last_failure[0] ? p->probe.last_failure : "no answer");
      }
    }
    if (p->live.wake_at && now >= p->live.wake_at) LiveOnTimer(w, p, now);
    if (p->decl && p->probe.wake_at && now >= p->probe.wake_at &&
        ProbeOnTimer(&p->probe, p->decl->ready, *w->plan->inherited, now) == ProbeResult::kReady)
      MarkReady(w, p);
    if (p->prefixed) {
      if (OutputDeadline(p->out) && now >= OutputDeadline(p->out)) OutputOnTimer(&p->out, p->decl->name, now);
      if (OutputDeadline(p->err) && now >= OutputDeadline(p->err)) OutputOnTimer(&p->err, p->decl->name, now);
    }
  }
}

void HandleNotify(World* w, pid_t sender, const char* data, int len) {
  // Only the processes waiting for READY=1, and their descendants, may say it.
  pid_t pids[kMaxDecls + 1];
  for (int i = 0; i < w->count; i++) {
    const Proc& p = w->procs[i];
    bool notify = p.decl ? p.decl->ready.kind == ReadyKind::kNotify : w->o->ready_notify;
    pids[i] = notify ? p.pid : 0;
  }
  int i = sender > 0 ? FindNotifier(sender, pids, w->count, w->self) : -1;
  NotifyMessage m;
  if (i < 0 || !ParseNotify(data, len, &m)) {
    w->notify_ignored++;
    LOG_INFO("ignored a notification from pid %d: %s (%u so far)", static_cast<int>(sender),
             i < 0 ? "not a ready=notify process or one of its descendants" : "malformed", w->notify_ignored);
    return;
  }
  Proc* p = &w->procs[i];
  if (!m.ready || p->ready || (p->state != ProcState::kStarting && p->state != ProcState::kRunning)) return;
  if (p->decl) {
    MarkReady(w, p);
    return;
  }
  p->ready = true;
  w->dirty = true;
  LOG_INFO("main %s is ready", w->o->command[0]);
}

void TellServiceManager(World* w) {
  const char* socket = w->plan->notify_upward;
  if (!socket || w->told_stopping) return;
  const char* text = nullptr;
  if (w->phase >= Phase::kDraining) {
    w->told_stopping = true;
    text = "STOPPING=1";
  } else if (!w->told_ready && w->phase == Phase::kRunning) {
    StatusTable t;
    BuildStatusTable(*w, &t);
    StatusQuery ready;
    ready.ready = true;
    if (EvaluateStatus(t, ready) != 0) return;
    w->told_ready = true;
    text = "READY=1";
  }
  if (text && !NotifySend(socket, text) && !w->told_failed) {
    w->told_failed = true;
    LOG_WARN("cannot send %s to NOTIFY_SOCKET %s: %s: the service manager will not hear from cinit", text, socket,
             strerror(errno));
  }
}
