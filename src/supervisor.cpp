#include "supervisor.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <new>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "health.h"
#include "log.h"
#include "notify.h"
#include "world.h"

namespace {

// Descriptors one pass may wait on: the signalfd, per declaration its
// probe, its liveness check and two output streams (pipe or target each),
// the inotify descriptor, the health endpoint and its connections, the
// notify socket.
constexpr int kMaxPoll = 1 + kMaxDecls * 4 + 1 + 1 + kHealthMaxConns + 1;

enum class Source : uint8_t {
  kSignals, kProbe, kOutRead, kOutWrite, kErrRead, kErrWrite, kWatch, kHealthListen, kHealthConn, kNotify, kLive,
};

struct PollSet {
  pollfd fds[kMaxPoll];
  Source source[kMaxPoll];
  int proc[kMaxPoll];
  int count = 0;

  void Add(int fd, short events, Source s, int p) {
    if (fd < 0 || count == kMaxPoll) return;
    fds[count] = pollfd{fd, events, 0};
    source[count] = s;
    proc[count] = p;
    count++;
  }
};

// Room for every process cinit may supervise, constructed only as far as
// used: untouched, the rest never becomes resident memory.
// Page-aligned, so that the small fields of the first entries do not
// straddle a page boundary (each Proc is about 17 KiB, mostly buffers).
alignas(4096) unsigned char g_proc_storage[sizeof(Proc) * (kMaxDecls + 1)];
// The health endpoint's connection buffers: untouched until used.
// constinit: no constructor runs at start (it wrote every slot); all zero,
// so it stays in .bss. The slots the loop scans fit in one page.
constinit HealthServer g_health;
static_assert(sizeof(g_health.conns) <= 4096, "the health slots the loop scans must stay dense");

void HealthSnapshotOf(void* ctx, StatusTable* t, bool* stopping) {
  const World& w = *static_cast<const World*>(ctx);
  BuildStatusTable(w, t);
  *stopping = w.phase >= Phase::kDraining;
}

void Setup(World* w, const Plan& plan) {
  w->procs = reinterpret_cast<Proc*>(g_proc_storage);
  for (int i = 0; i <= plan.decls->count; i++) new (&w->procs[i]) Proc;  // not Proc(): no zeroing
  w->plan = &plan;
  w->o = plan.options;
  w->self = getpid();
  const DeclTable& t = *plan.decls;
  for (int i = 0; i < t.count; i++) {
    Proc* p = &w->procs[i];
    p->decl = &t.decls[i];
    p->creds = plan.decl_creds[i];
    p->kind = t.decls[i].kind == DeclKind::kInit ? ProcKind::kInit : ProcKind::kSidecar;
    bool prefixed = p->decl->log == LogMode::kPrefix || (p->decl->log == LogMode::kGlobal && w->o->log_prefix);
    if (!prefixed) continue;
    if (!w->output_used) OpenOutputTargets(&w->targets);
    w->output_used = true;
    // Without its pipes a sidecar's output still flows, just unprefixed.
    Status out = OpenOutputStream(&p->out, w->targets.out);
    Status err = out.ok ? OpenOutputStream(&p->err, w->targets.err) : out;
    p->prefixed = out.ok && err.ok;
    if (!p->prefixed) {
      LOG_WARN("%s: %s: its output is not prefixed", p->decl->name, err.error.text);
      if (out.ok) {
        close(p->out.pipe_fd);
        close(p->out.child_fd);
      }
    }
  }
  w->count = t.count + 1;
  w->main = t.count;
  w->procs[w->main].kind = ProcKind::kMain;
  OpenStateDir(plan.state_dir, &w->state);
  // Watches: one inotify descriptor for all, only if any path is watched.
  for (int k = 0; k < w->o->watch_count; k++) w->watcher = WatcherAdd(w->o->watch[k].path, w->main, w->o->watch[k].signal);
  for (int i = 0; i < t.count; i++)
    for (int k = 0; k < t.decls[i].watch_count; k++) w->watcher = WatcherAdd(t.decls[i].watch[k], i, 0);
  if (w->watcher) WatcherStart(w->watcher);
  g_health.listen_fd = plan.health_fd;
  g_health.snapshot = HealthSnapshotOf;
  g_health.ctx = w;
}

void WriteState(World* w) {
  w->dirty = false;
  if (w->state.dir_fd < 0) return;
  StatusTable t;
  BuildStatusTable(*w, &t);
  static char text[kStatusTextSize];
  int len = FormatStatus(t, text, sizeof text);
  WriteStateFile(&w->state, text, len);
}

// Reads what waits on the notify socket (a bounded batch per pass).
void DrainNotify(World* w) {
  static char buf[kNotifyMaxDatagram];
  for (int k = 0; k < 16; k++) {
    pid_t sender;
    int n = NotifyReceive(w->plan->notify_fd, buf, sizeof buf, &sender);
    if (n < 0) return;
    HandleNotify(w, sender, buf, n);
  }
}

Millis EarliestDeadline(const World& w) {
  Millis t = 0;
  auto consider = [&t](Millis d) {
    if (d && (!t || d < t)) t = d;
  };
  if (w.phase >= Phase::kDraining && w.phase < Phase::kKilling) consider(w.grace_end);
  if (w.phase == Phase::kRunning) consider(w.timeout_at);
  if (w.watcher) consider(WatcherDeadline(*w.watcher));
  consider(HealthDeadline(g_health));
  for (int i = 0; i < w.count; i++) {
    const Proc& p = w.procs[i];
    consider(p.wake_at);
    consider(p.ready_deadline);
    consider(p.probe.wake_at);
    consider(p.live.wake_at);
    if (p.prefixed) {
      consider(OutputDeadline(p.out));
      consider(OutputDeadline(p.err));
    }
  }
  return t;
}

void BuildPollSet(const World& w, PollSet* ps) {
  ps->count = 0;
  ps->Add(w.plan->signal_fd, POLLIN, Source::kSignals, -1);
  if (w.watcher) ps->Add(w.watcher->fd, POLLIN, Source::kWatch, -1);
  if (!g_health.paused_until) ps->Add(g_health.listen_fd, POLLIN, Source::kHealthListen, -1);
  for (int i = 0; i < kHealthMaxConns; i++)
    if (short ev = HealthEvents(g_health.conns[i])) ps->Add(g_health.conns[i].fd, ev, Source::kHealthConn, i);
  ps->Add(w.plan->notify_fd, POLLIN, Source::kNotify, -1);
  for (int i = 0; i < w.count; i++) {
    const Proc& p = w.procs[i];
    if (p.probe.fd >= 0) ps->Add(p.probe.fd, p.probe.events, Source::kProbe, i);
    if (p.live.fd >= 0) ps->Add(p.live.fd, p.live.events, Source::kLive, i);
    if (!p.prefixed) continue;
    if (WantsRead(p.out)) ps->Add(p.out.pipe_fd, POLLIN, Source::kOutRead, i);
    if (WantsWrite(p.out)) ps->Add(p.out.target, POLLOUT, Source::kOutWrite, i);
    if (WantsRead(p.err)) ps->Add(p.err.pipe_fd, POLLIN, Source::kErrRead, i);
    if (WantsWrite(p.err)) ps->Add(p.err.target, POLLOUT, Source::kErrWrite, i);
  }
}

// Reads one batch of signals (the signalfd is blocking: called only when it
// is readable, or when waiting on it alone) and acts on them. Signals
// coalesce: one SIGCHLD may stand for many exits, so the reaping after this
// collects everything that exited. Returns whether a SIGCHLD came.
bool DrainSignals(World* w, Clock* clock) {
  signalfd_siginfo batch[16];
  ssize_t n = read(w->plan->signal_fd, batch, sizeof batch);
  bool child = false;
  for (ssize_t k = 0; k < n / static_cast<ssize_t>(sizeof batch[0]); k++) {
    int sig = static_cast<int>(batch[k].ssi_signo);
    // A SIGPIPE or SIGXFSZ that cinit's own write raised is not the
    // main's business: the write already failed with an error.
    bool own = static_cast<pid_t>(batch[k].ssi_pid) == w->self && (sig == SIGPIPE || sig == SIGXFSZ);
    if (sig == SIGCHLD) {
      child = true;
    } else if (!own) {
      HandleSignal(w, sig, clock);
    }
  }
  return child;
}

void HandleDescriptor(World* w, const PollSet& ps, int k, Clock* clock) {
  short rev = ps.fds[k].revents;
  if (!rev || ps.source[k] == Source::kSignals) return;
  // Each handler reads the clock only if it needs the time: a probe
  // answered on the spot does not.
  switch (ps.source[k]) {
    case Source::kWatch: WatcherOnReadable(w->watcher, clock->Get()); return;
    case Source::kHealthListen: HealthOnAccept(&g_health, clock); return;
    case Source::kHealthConn:
      // The slot may have been taken over by a newer connection this pass.
      if (g_health.conns[ps.proc[k]].fd == ps.fds[k].fd) HealthOnEvent(&g_health, ps.proc[k], rev);
      return;
    case Source::kNotify: DrainNotify(w); return;
    default: break;
  }
  Millis now = clock->Get();
  Proc* p = &w->procs[ps.proc[k]];
  const char* name = p->decl ? p->decl->name : "main";
  switch (ps.source[k]) {
    case Source::kProbe:
      // The probe may have been stopped by an event earlier in this pass.
      if (p->probe.fd == ps.fds[k].fd && !p->ready &&
          ProbeOnEvent(&p->probe, p->decl->ready, *w->plan->inherited, rev, now) == ProbeResult::kReady)
        MarkReady(w, p);
      break;
    case Source::kLive:
      if (p->live.fd == ps.fds[k].fd) LiveOnEvent(w, p, rev, now);
      break;
    case Source::kOutRead: OutputOnReadable(&p->out, name, now); break;
    case Source::kOutWrite: OutputOnWritable(&p->out, name, now); break;
    case Source::kErrRead: OutputOnReadable(&p->err, name, now); break;
    case Source::kErrWrite: OutputOnWritable(&p->err, name, now); break;
    default: break;
  }
}

}  // namespace

void BuildStatusTable(const World& w, StatusTable* t) {
  t->count = w.count;
  for (int i = 0; i < w.count; i++) {
    const Proc& p = w.procs[i];
    StatusRow& r = t->rows[i];
    r = StatusRow{};
    const char* name = p.decl ? p.decl->name : "main";
    for (int k = 0; k < kMaxNameLen && name[k]; k++) r.name[k] = name[k];
    r.kind = p.kind;
    r.state = p.state;
    r.pid = p.pid;
    r.ready = p.ready;
    r.restarts = p.restarts;
    r.last_status = p.last_status;
  }
}

int Supervise(const Plan& plan) {
  static World w;  // static: fixed storage, nothing allocated, nothing on the stack
  Setup(&w, plan);
  static PollSet ps;
  Clock clock;
  for (;;) {
    // Nothing depends on the time while the main runs with no deadline set:
    // skip the clock (and the timers) then.
    Millis deadline = EarliestDeadline(w);
    if (w.phase != Phase::kRunning || deadline || w.dirty) {
      HandleTimers(&w, clock.Get());
      HealthOnTimer(&g_health, clock.Get());
      Advance(&w, clock.Get());
      deadline = EarliestDeadline(w);
    }
    if (w.dirty) {
      WriteState(&w);
      // After the state file: whoever hears READY=1 finds it up to date.
      TellServiceManager(&w);
    } else if (w.phase >= Phase::kDraining) {
      TellServiceManager(&w);
    }
    if (w.phase == Phase::kDone) break;

    BuildPollSet(w, &ps);
    int ready;
    if (ps.count == 1 && !deadline) {
      // Only signals to wait for, no deadline: the read itself is the wait.
      ready = 1;
      ps.fds[0].revents = POLLIN;
    } else {
      timespec ts;
      timespec* timeout = nullptr;  // no deadline: sleep until something happens
      if (deadline) {
        Millis now = clock.Get();
        Millis wait = deadline > now ? deadline - now : 0;
        ts.tv_sec = wait / 1000;
        ts.tv_nsec = (wait % 1000) * 1000000;
        timeout = &ts;
      }
      ready = ppoll(ps.fds, ps.count, timeout, nullptr);
      if (ready < 0 && errno != EINTR) LOG_WARN("ppoll failed: %s", strerror(errno));
    }
    clock = Clock{};  // time has passed
    // Reap only when a SIGCHLD came: it stays pending until read, so no
    // exit is missed, and a forwarded signal costs no waitpid.
    if (ready > 0 && ps.fds[0].revents && DrainSignals(&w, &clock)) {
      ReapChildren(&w, &clock);
      if (w.phase == Phase::kKilling && w.have_children && plan.pid1) SignalStrays(&w, SIGKILL);
    }
    for (int k = 1; ready > 0 && k < ps.count; k++) HandleDescriptor(&w, ps, k, &clock);
  }
  for (int i = 0; i < w.count; i++) {
    if (!w.procs[i].prefixed) continue;
    OutputFlush(&w.procs[i].out, w.procs[i].decl->name);
    OutputFlush(&w.procs[i].err, w.procs[i].decl->name);
  }
  return w.exit_code < 0 ? 0 : w.exit_code;
}
