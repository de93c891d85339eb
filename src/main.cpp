// cinit: parse, validate, plan; then hand over to the one loop. This is the
// only place that returns an exit status before the loop runs.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "health.h"
#include "log.h"
#include "notify.h"
#include "relro.h"
#include "spawn.h"
#include "status.h"
#include "supervisor.h"
#include "user.h"

namespace {

constexpr int kUsageError = 125;
constexpr long kKernelSigsetSize = 8;  // the kernel's sigset: 64 signals

void Print(const char* text) {
  size_t len = strlen(text);
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, text, len);
    if (n <= 0) return;
    text += n;
    len -= n;
  }
}

const char kLicense[] =
    "cinit is released under the MIT License.\n"
    "Copyright (c) 2026 the cinit authors.\n"
    "See the LICENSE file that comes with the source for the full text.\n";

// Static storage: nothing here is allocated, and none of it is large on the
// stack. The tables are constructed at run time into zeroed storage, so
// their default values do not sit in the binary's data section.
template <class T>
struct Storage {
  alignas(T) unsigned char bytes[sizeof(T)];
  T* Make() { return new (bytes) T; }  // no "()": that would zero all of it
};
Storage<Inherited> g_inherited_storage;
Storage<Options> g_options_storage;
Storage<DeclTable> g_decls_storage;
Arena g_arena;
Credentials g_main_creds;
Credentials g_decl_creds[kMaxDecls];
Storage<Plan> g_plan_storage;
char g_notify_env[64];

}  // namespace

int main(int argc, char** argv, char** envp) {
  // Block every signal first thing: until a signal is blocked or handled,
  // the kernel drops it when sent to PID 1, so a TERM sent right after start
  // would be lost. Blocked, it waits in the queue for the signalfd. A fault
  // cinit itself raises (SEGV, BUS, ...) still kills it: the kernel ignores
  // the block for those, so they are never mistaken for one to forward.
  // Raw system calls with every bit set: libc's sigfillset/sigprocmask leave
  // out the real-time signals libc reserves for itself (32-34), which would
  // then be lost instead of forwarded. cinit has one thread and no timers,
  // so it needs none of them.
  sigset_t all, original;
  memset(&all, 0xff, sizeof all);
  sigemptyset(&original);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &original, kKernelSigsetSize);
  if (int err = ProtectRelro())
    LOG_WARN("cannot make the relocated data read-only (RELRO): %s: cinit runs on, less hardened", strerror(err));
  pid_t parent_at_start = getppid();
  // With 0, 1 or 2 closed, the next pipe or file cinit opens would take its
  // place and a child would write into it: hold them with /dev/null.
  for (int fd = 0; fd <= 2; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) break;
  Inherited& g_inherited = *g_inherited_storage.Make();
  Options& g_options = *g_options_storage.Make();
  DeclTable& g_decls = *g_decls_storage.Make();
  Plan& g_plan = *g_plan_storage.Make();

  Status parsed = ParseInvocation(argc, argv, envp, LoadConfigFile, &g_options, &g_decls, &g_arena);
  if (!parsed.ok) {
    LOG_ERROR("%s", parsed.error.text);
    return kUsageError;
  }
  const Options& o = g_options;
  switch (o.mode) {
    case Mode::kHelp: Print(kUsage); return 0;
    case Mode::kVersion: Print("cinit " CINIT_VERSION "\n"); return 0;
    case Mode::kLicense: Print(kLicense); return 0;
    case Mode::kStatus: return RunStatusCommand(o.status, o.state_dir);
    case Mode::kRun: break;
  }
  SetLogVerbosity(o.verbosity);
  for (char** e = envp; *e; e++) {
    char closest[40];
    if (UnknownCinitVariable(*e, closest, sizeof closest))
      LOG_WARN("unknown variable %.*s ignored; did you mean %s?", static_cast<int>(strchr(*e, '=') - *e), *e, closest);
  }
  // The mask, dispositions and environment the children must see as if
  // cinit were not there. After parsing and reading NOTIFY_SOCKET: this
  // removes CINIT_* and NOTIFY_SOCKET from envp.
  const char* upward = getenv("NOTIFY_SOCKET");
  if (upward && *upward) g_plan.notify_upward = upward;
  CaptureInherited(envp, original, &g_inherited);

  // Every user is resolved before anything starts: a typo is a usage error.
  if (o.user[0]) {
    auto c = ResolveUser(o.user);
    if (!c.ok) {
      LOG_ERROR("--user %s: %s", o.user, c.error.text);
      return kUsageError;
    }
    g_main_creds = c.value;
    g_plan.main_creds = &g_main_creds;
  }
  for (int i = 0; i < g_decls.count; i++) {
    const Decl& d = g_decls.decls[i];
    if (!d.user) continue;
    auto c = ResolveUser(d.user);
    if (!c.ok) {
      LOG_ERROR("%s: %s: user=%s: %s", d.origin.text, d.name, d.user, c.error.text);
      return kUsageError;
    }
    g_decl_creds[i] = c.value;
    g_plan.decl_creds[i] = &g_decl_creds[i];
  }

  // All signals go to one signalfd; none is handled asynchronously.
  int sfd = static_cast<int>(syscall(SYS_signalfd4, -1, &all, kKernelSigsetSize, SFD_CLOEXEC));
  if (sfd < 0) {
    LOG_ERROR("cannot create a signalfd: %s: is /proc or the fd limit restricted?", strerror(errno));
    return kUsageError;
  }

  // The sockets of SPEC §7, before anything starts: a port that is taken
  // is a configuration error, not something to find out from a probe.
  if (o.health_port) {
    Result<int> fd = HealthListen(o.health_addr, o.health_ipv6, o.health_port);
    if (!fd.ok) {
      LOG_ERROR("--health-listen: cannot listen on port %u: %s", o.health_port, fd.error.text);
      return kUsageError;
    }
    g_plan.health_fd = fd.value;
  }
  bool wants_notify = o.ready_notify;
  for (int i = 0; i < g_decls.count; i++) wants_notify |= g_decls.decls[i].ready.kind == ReadyKind::kNotify;
  if (wants_notify) {
    Result<int> fd = NotifyOpen(g_notify_env, sizeof g_notify_env);
    if (!fd.ok) {
      LOG_ERROR("ready=notify: %s", fd.error.text);
      return kUsageError;
    }
    g_plan.notify_fd = fd.value;
    g_plan.notify_env = g_notify_env;
  }

  g_plan.pid1 = getpid() == 1;
  if (!g_plan.pid1 && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    LOG_WARN("cannot become a child subreaper: %s: orphans will not be reaped by cinit", strerror(errno));
  if (o.pdeathsig) {
    prctl(PR_SET_PDEATHSIG, o.pdeathsig);
    // The parent may have died before the prctl: then act at once.
    if (getppid() != parent_at_start) kill(getpid(), o.pdeathsig);
  }
  // Keep no mount busy; children start in the directory cinit was started in.
  if (chdir("/") != 0) LOG_WARN("cannot change to /: %s", strerror(errno));

  g_plan.options = &g_options;
  g_plan.decls = &g_decls;
  g_plan.inherited = &g_inherited;
  g_plan.signal_fd = sfd;
  g_plan.state_dir = o.state_dir;
  return Supervise(g_plan);
}
