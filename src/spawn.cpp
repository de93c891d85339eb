#include "spawn.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "procfs.h"

namespace {

// The kernel's struct sigaction. cinit only ever sets SIG_DFL or SIG_IGN,
// which need no signal trampoline, so the raw system call does: it also
// reaches the signals libc reserves (32-34), and keeps libc's sigaction
// machinery out of the static binary. The same field order on every
// architecture cinit is built for (all have sa_restorer; MIPS and Alpha,
// which differ, are not among them). The mask is the kernel's
// unsigned long[], not a uint64_t: on 32-bit ARM a uint64_t would be
// aligned to 8 and start at offset 16, where the kernel reads from 12.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  unsigned long mask[8 / sizeof(unsigned long)];
};
static_assert(sizeof(KernelSigaction) == 3 * sizeof(long) + 8, "the kernel's struct sigaction");
constexpr long kKernelSigsetSize = 8;  // 64 signals (_NSIG) on every architecture cinit supports

void SetDisposition(int sig, bool ignore) {
  KernelSigaction sa{};
  sa.handler = ignore ? SIG_IGN : SIG_DFL;
  syscall(SYS_rt_sigaction, sig, &sa, nullptr, kKernelSigsetSize);
}

struct ChildReport {
  int error;
  SpawnStage stage;
};

[[noreturn]] void ChildFail(int pipe_fd, SpawnStage stage, int error) {
  ChildReport r{error, stage};
  ssize_t ignored = write(pipe_fd, &r, sizeof r);
  (void)ignored;
  _exit(stage == SpawnStage::kExec ? ExecFailureCode(error) : 125);
}

constexpr int kMaxKeep = 4;  // descriptors a non-main child keeps above 2

// Closes every descriptor >= 3 except keep[] (at most kMaxKeep);
// close_range(2) when the kernel has it (5.9+), else one close per
// descriptor up to the limit.
void CloseFrom3Except(const int* keep, int keep_count) {
  int lo = 3;
  int sorted[kMaxKeep];
  int n = 0;
  for (int i = 0; i < keep_count && n < kMaxKeep; i++)
    if (keep[i] >= 3) sorted[n++] = keep[i];
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
      int t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  for (int i = 0; i <= n; i++) {
    int hi = i < n ? sorted[i] - 1 : ~0U >> 1;
    if (hi >= lo && syscall(SYS_close_range, lo, hi, 0) != 0) {
      rlimit rl{};
      getrlimit(RLIMIT_NOFILE, &rl);
      long limit = rl.rlim_cur < static_cast<rlim_t>(hi) ? static_cast<long>(rl.rlim_cur) - 1 : hi;
      for (long fd = lo; fd <= limit; fd++) close(static_cast<int>(fd));
    }
    if (i < n) lo = sorted[i] + 1;
  }
}

// Builds the child's environment on the child's own stack, sized by count
// (no fixed capacity): the filtered inherited one with the request's K=V
// entries replacing or added. The kernel's limit on the size of an
// environment bounds it, and the stack it runs on is at least that large.
void ExecChild(const Inherited& in, const SpawnRequest& req, int report_fd) {
  const char* const* env = in.env;
  if (req.notify_env || (req.extra_env && req.extra_env[0])) {
    int extra = 1;  // room for notify_env
    while (req.extra_env && req.extra_env[extra - 1]) extra++;
    size_t slots = static_cast<size_t>(in.env_count + extra + 1);
    auto** built = static_cast<const char**>(__builtin_alloca(slots * sizeof(char*)));
    int n = 0;
    for (int i = 0; i < in.env_count; i++) built[n++] = in.env[i];
    if (req.notify_env) built[n++] = req.notify_env;  // in.env holds no NOTIFY_SOCKET (IsCinitVariable)
    for (const char* const* x = req.extra_env; x && *x; x++) {
      const char* eq = strchr(*x, '=');
      size_t key = eq ? static_cast<size_t>(eq - *x) + 1 : strlen(*x);
      int i = 0;
      while (i < n && strncmp(built[i], *x, key) != 0) i++;
      if (i < n) built[i] = *x;
      else built[n++] = *x;
    }
    built[n] = nullptr;
    env = built;
  }
  static const char* const kEmpty[] = {nullptr};
  if (!env) env = kEmpty;
  execvpe(req.argv[0], const_cast<char* const*>(req.argv), const_cast<char* const*>(env));
  ChildFail(report_fd, SpawnStage::kExec, errno);
}

[[noreturn]] void RunChild(const Inherited& in, const SpawnRequest& req, int report_fd) {
  // Own process group, so a signal for the group never reaches cinit.
  setpgid(0, 0);
  // All signals are still blocked here, so the SIGTTOU that tcsetpgrp sends
  // to a background group cannot stop us.
  // tcsetpgrp fails harmlessly (ENOTTY) when stdin is not a terminal.
  if (req.foreground_tty) tcsetpgrp(STDIN_FILENO, getpid());

  if (req.stdout_fd >= 0 && dup2(req.stdout_fd, STDOUT_FILENO) < 0) ChildFail(report_fd, SpawnStage::kSetup, errno);
  if (req.stderr_fd >= 0 && dup2(req.stderr_fd, STDERR_FILENO) < 0) ChildFail(report_fd, SpawnStage::kSetup, errno);
  int keep[kMaxKeep];
  int keep_count = 0;
  if (req.ready_fd >= 0) {
    if (req.ready_fd == req.ready_fd_target) {
      fcntl(req.ready_fd, F_SETFD, 0);
    } else if (dup2(req.ready_fd, req.ready_fd_target) < 0) {
      ChildFail(report_fd, SpawnStage::kSetup, errno);
    }
    keep[keep_count++] = req.ready_fd_target;
  }
  // The main keeps every descriptor cinit inherited (socket activation):
  // cinit's own are all close-on-exec, so exec leaves exactly those. Any
  // other child keeps only what it needs.
  if (!req.keep_inherited_fds) {
    keep[keep_count++] = report_fd;
    CloseFrom3Except(keep, keep_count);
  }

  // Change directory while still privileged: like any process, the child
  // may start in a directory its user could not enter by itself.
  if (chdir(req.cwd ? req.cwd : in.cwd) != 0) ChildFail(report_fd, SpawnStage::kChdir, errno);
  if (req.creds) {
    int err = ApplyCredentials(*req.creds);
    if (err) ChildFail(report_fd, SpawnStage::kCredentials, err);
  }

  // Back to the dispositions and mask cinit itself was given.
  // Everything in cinit is at its default disposition (it handles signals
  // through the signalfd only), and exec keeps that; only the signals cinit
  // was started with ignored need to be ignored again.
  for (int sig = 1; sig <= 64; sig++)
    if (in.ignored[sig]) SetDisposition(sig, true);
  // The raw call restores the exact mask, including libc-reserved signals.
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &in.mask, nullptr, kKernelSigsetSize);
  ExecChild(in, req, report_fd);
  _exit(126);
}

}  // namespace

int ExecFailureCode(int error) { return error == ENOENT || error == ENOTDIR ? 127 : 126; }

namespace {

// The bitmask of ignored signals, from /proc/self/status ("SigIgn:\t<hex>");
// one read instead of 64 sigaction calls. false if /proc is not there.
bool ReadIgnoredMask(uint64_t* mask) {
  char buf[2048];
  if (ReadSmallFile("/proc/self/status", buf, sizeof buf) <= 0) return false;
  // A plain scan: strstr(3) is large in a static binary.
  const char* p = buf;
  while (*p && !(p[0] == 'S' && p[1] == 'i' && p[2] == 'g' && p[3] == 'I' && p[4] == 'g' && p[5] == 'n' && p[6] == ':'))
    p++;
  if (!*p) return false;
  p += 7;
  while (*p == ' ' || *p == '\t') p++;
  uint64_t m = 0;
  for (int d; (d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1) >= 0; p++)
    m = m << 4 | static_cast<uint64_t>(d);
  *mask = m;
  return true;
}

void CloseIfInherited(int fd, void*) {
  int flags = fd >= 3 ? fcntl(fd, F_GETFD) : -1;
  if (flags >= 0 && !(flags & FD_CLOEXEC)) close(fd);
}

}  // namespace

void CaptureInherited(char** envp, const sigset_t& mask_at_start, Inherited* out) {
  out->mask = mask_at_start;
  uint64_t ignored = 0;
  if (!ReadIgnoredMask(&ignored)) {
    for (int sig = 1; sig <= 64; sig++) {
      KernelSigaction old{};
      if (syscall(SYS_rt_sigaction, sig, nullptr, &old, kKernelSigsetSize) == 0 && old.handler == SIG_IGN) ignored |= 1ULL << (sig - 1);
    }
  }
  for (int sig = 1; sig <= 64; sig++) {
    if (!(ignored >> (sig - 1) & 1) || sig == SIGKILL || sig == SIGSTOP) continue;
    out->ignored[sig] = true;
    SetDisposition(sig, false);
  }
  // The system call, not getcwd(3): musl's may allocate, which would bring
  // malloc into the static binary.
  if (syscall(SYS_getcwd, out->cwd, sizeof out->cwd) <= 0 || out->cwd[0] != '/') memcpy(out->cwd, "/", 2);
  // Filter in place: the pointer array is ours (main's envp), so compacting
  // it needs no copy and no capacity.
  int n = 0;
  for (char** e = envp; e && *e; e++)
    if (PassedToChildren(*e)) envp[n++] = *e;
  if (envp) envp[n] = nullptr;
  out->env = envp;
  out->env_count = n;
}

bool PassedToChildren(const char* env_entry) { return !IsCinitVariable(env_entry); }

void CloseInheritedFds() {
  // Without /proc (rare in a container), ask every possible descriptor.
  if (ForEachNumberIn("/proc/self/fd", CloseIfInherited, nullptr)) return;
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  for (rlim_t fd = 3; fd < rl.rlim_cur; fd++) CloseIfInherited(static_cast<int>(fd), nullptr);
}

SpawnOutcome Spawn(const Inherited& in, const SpawnRequest& req) {
  SpawnOutcome out;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    out.error = errno;
    out.stage = SpawnStage::kFork;
    return out;
  }
  // A plain clone(SIGCHLD) is fork() without libc's bookkeeping for threads
  // and atfork handlers, which cinit (one thread, no handlers) does not need
  // and which would add its locking code to the static binary. The child
  // runs only async-signal-safe system calls until exec.
  // The argument order differs: s390 takes the stack first and the flags
  // second (CLONE_BACKWARDS2); elsewhere the flags come first and only the
  // later arguments (all 0 here) move around.
#if defined(__s390__)
  pid_t pid = static_cast<pid_t>(syscall(SYS_clone, 0, SIGCHLD, 0, 0, 0));
#else
  pid_t pid = static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
#endif
  if (pid < 0) {
    out.error = errno;
    out.stage = SpawnStage::kFork;
    close(report[0]);
    close(report[1]);
    return out;
  }
  if (pid == 0) {
    close(report[0]);
    RunChild(in, req, report[1]);
  }
  // Also from the parent, so the group exists before cinit signals it.
  setpgid(pid, pid);
  close(report[1]);
  out.pid = pid;
  ChildReport r;
  ssize_t got;
  do got = read(report[0], &r, sizeof r);
  while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got == static_cast<ssize_t>(sizeof r)) {
    out.error = r.error;
    out.stage = r.stage;
  }
  return out;
}
