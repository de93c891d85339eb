// The helper programs of the Fault* and Storm* tests (see fault_storm.h),
// the measurements they share, and tests of the helpers themselves.
//
// A helper runs from .init_array, before gtest's main: with HARDEN_HELPER=1
// in the environment and a helper name as argv[1], the test binary becomes
// that helper and never returns to gtest. Helpers use system calls and
// _exit() only (no exit handlers, no leak check of the test binary).
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "fault_storm.h"

extern char** environ;

namespace cinit_test {
namespace hard {
namespace {

// --- Helper programs ---------------------------------------------------------

[[noreturn]] void Die(const char* what) {
  dprintf(2, "harden-helper: %s: %s\n", what, strerror(errno));
  _exit(120);
}

void WriteLine(int fd, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void WriteLine(int fd, const char* fmt, ...) {
  char line[2048];  // under PIPE_BUF: written in one piece
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > static_cast<int>(sizeof line) - 2) n = sizeof line - 2;
  line[n++] = '\n';
  // One write per line: FIFO writes up to PIPE_BUF never interleave.
  if (write(fd, line, static_cast<size_t>(n)) < 0) _exit(121);
}

int OpenFifo(const char* path, int flags) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) Die(path);
  return fd;
}

// Reads one line (up to newline) from fd, blocking.
void ReadLine(int fd) {
  char c;
  for (;;) {
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') return;
  }
}

bool WriteFile(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text, strlen(text)) == static_cast<ssize_t>(strlen(text));
  close(fd);
  return ok;
}

const char kWrapUsage[] =
    "usage: integration_tests wrap [OPTION...] -- CINIT [ARG...]   (with HARDEN_HELPER=1)\n"
    "Applies each option in order, then execs CINIT:\n"
    "  --tmpfs DIR          mount an empty tmpfs on DIR (own mount namespace)\n"
    "  --ro-tmpfs DIR       the same, read-only\n"
    "  --bind SRC DST       bind-mount SRC on DST\n"
    "  --mkdir DIR          mkdir DIR (0755)\n"
    "  --symlink TARGET LINK\n"
    "  --cgroup DIR         move into the cgroup DIR\n"
    "  --uid N              drop to uid and gid N, no supplementary groups\n"
    "  --nproc N            RLIMIT_NPROC (soft and hard)\n"
    "  --nofile N           RLIMIT_NOFILE (soft and hard)\n"
    "  --stdout FILE        stdout to FILE\n"
    "  --nice N             scheduling priority N, if allowed (inherited by every child)\n";

// wrap: take something away from cinit, then become it.
[[noreturn]] void Wrap(int argc, char** argv) {
  // CINIT is opened first and exec'd through the descriptor: the mounts
  // below may hide its path (a build tree under /tmp, say).
  int binary = -1;
  for (int k = 2; k + 1 < argc; k++)
    if (strcmp(argv[k], "--") == 0) {
      binary = open(argv[k + 1], O_PATH | O_CLOEXEC);
      if (binary < 0) Die(argv[k + 1]);
      break;
    }
  bool own_mounts = false;
  auto need_mounts = [&] {
    if (own_mounts) return;
    // Our own mount namespace, private, so nothing leaks to the host.
    if (unshare(CLONE_NEWNS) != 0) Die("unshare(CLONE_NEWNS)");
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) Die("mount --make-rprivate /");
    own_mounts = true;
  };
  int i = 2;
  for (; i < argc; i++) {
    std::string opt = argv[i];
    if (opt == "--") {
      i++;
      break;
    }
    auto arg = [&](int k) -> const char* {
      if (i + k >= argc) {
        dprintf(2, "%s", kWrapUsage);
        _exit(120);
      }
      return argv[i + k];
    };
    if (opt == "--tmpfs" || opt == "--ro-tmpfs") {
      need_mounts();
      unsigned long flags = MS_NOSUID | MS_NODEV | (opt == "--ro-tmpfs" ? MS_RDONLY : 0);
      if (mount("tmpfs", arg(1), "tmpfs", flags, "mode=0755") != 0) Die(arg(1));
      i += 1;
    } else if (opt == "--bind") {
      need_mounts();
      if (mount(arg(1), arg(2), nullptr, MS_BIND, nullptr) != 0) Die(arg(2));
      i += 2;
    } else if (opt == "--mkdir") {
      if (mkdir(arg(1), 0755) != 0) Die(arg(1));
      i += 1;
    } else if (opt == "--symlink") {
      if (symlink(arg(1), arg(2)) != 0) Die(arg(2));
      i += 2;
    } else if (opt == "--cgroup") {
      std::string procs = std::string(arg(1)) + "/cgroup.procs";
      if (!WriteFile(procs.c_str(), std::to_string(getpid()).c_str())) Die(procs.c_str());
      i += 1;
    } else if (opt == "--uid") {
      uid_t id = static_cast<uid_t>(atoi(arg(1)));
      if (setgroups(0, nullptr) != 0 || setgid(id) != 0 || setuid(id) != 0) Die("drop to uid");
      i += 1;
    } else if (opt == "--nproc" || opt == "--nofile") {
      rlim_t n = static_cast<rlim_t>(atol(arg(1)));
      rlimit rl{n, n};
      if (setrlimit(opt == "--nproc" ? RLIMIT_NPROC : RLIMIT_NOFILE, &rl) != 0) Die(opt.c_str());
      i += 1;
    } else if (opt == "--nice") {
      // Best effort: without CAP_SYS_NICE the priority stays as it is.
      setpriority(PRIO_PROCESS, 0, atoi(arg(1)));
      i += 1;
    } else if (opt == "--stdout") {
      int fd = open(arg(1), O_WRONLY);
      if (fd < 0 || dup2(fd, 1) < 0) Die(arg(1));
      if (fd != 1) close(fd);
      i += 1;
    } else {
      dprintf(2, "%s", kWrapUsage);
      _exit(120);
    }
  }
  if (i >= argc) {
    dprintf(2, "%s", kWrapUsage);
    _exit(120);
  }
  syscall(SYS_execveat, binary, "", argv + i, environ, AT_EMPTY_PATH);
  Die(argv[i]);
}

// Blocks every signal, 32 and 33 too (glibc's sigprocmask would silently
// leave those two out), and returns a signalfd for all of them.
int TakeAllSignals() {
  uint64_t all = ~0ULL;
  if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, nullptr, sizeof all) != 0) Die("rt_sigprocmask");
  int fd = static_cast<int>(syscall(SYS_signalfd4, -1, &all, sizeof all, SFD_CLOEXEC));
  if (fd < 0) Die("signalfd");
  return fd;
}

// sigcount FIFO ACK_EVERY: counts every signal (SIGCHLD aside). Writes
// "ready"; then "ack N" each time N, the count of real-time signals, is a
// multiple of ACK_EVERY (with ACK_EVERY 0: "sig S" for every signal);
// on SIGTERM "done total=T rt=R S:COUNT..." and exit 0.
[[noreturn]] void SigCount(const char* fifo, long ack_every) {
  int sfd = TakeAllSignals();
  int out = OpenFifo(fifo, O_WRONLY);
  WriteLine(out, "ready");
  static long count[65];
  long total = 0, rt = 0;
  signalfd_siginfo batch[64];
  for (;;) {
    ssize_t n = read(sfd, batch, sizeof batch);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("read signalfd");
    for (size_t k = 0; k < static_cast<size_t>(n) / sizeof batch[0]; k++) {
      int sig = static_cast<int>(batch[k].ssi_signo);
      if (sig == SIGCHLD) continue;
      if (sig >= 1 && sig <= 64) count[sig]++;
      total++;
      if (ack_every == 0) WriteLine(out, "sig %d", sig);
      if (sig >= 32) {
        rt++;
        if (ack_every > 0 && rt % ack_every == 0) WriteLine(out, "ack %ld", rt);
      }
      if (sig == SIGTERM) {
        std::string kinds;
        for (int s = 1; s <= 64; s++)
          if (count[s]) kinds += " " + std::to_string(s) + ":" + std::to_string(count[s]);
        WriteLine(out, "done total=%ld rt=%ld%s", total, rt, kinds.c_str());
        _exit(0);
      }
    }
  }
}

// The children of pid (all its threads) according to /proc.
int ChildCount(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[65536];
  int count = 0;
  bool in_number = false;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t k = 0; k < n; k++) {
      bool digit = buf[k] >= '0' && buf[k] <= '9';
      if (digit && !in_number) count++;
      in_number = digit;
    }
  }
  close(fd);
  return count;
}

void SleepMs(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// What an orphan of the storm needs; shared with it (CLONE_VM).
struct OrphanPlan {
  int release_read;   // EOF when the burst is released
  int release_write;  // closed by the orphan, so that EOF can come
  int counter_read;   // closed by the orphan, likewise for the helper
  int counter_write;  // one byte per orphan that found cinit as its parent
  pid_t reaper;
  char* stack;        // the orphan's own stack (top)
};

// The orphan: waits for the burst to be released, checks who adopted it.
// Raw system calls only: it shares the helper's memory, libc's state too.
__attribute__((no_sanitize("address", "undefined"))) int OrphanMain(void* arg) {
  const OrphanPlan* plan = static_cast<const OrphanPlan*>(arg);
  syscall(SYS_close, plan->release_write);
  syscall(SYS_close, plan->counter_read);
  char byte;
  while (syscall(SYS_read, plan->release_read, &byte, 1) < 0) {
  }
  if (syscall(SYS_getppid) == plan->reaper) syscall(SYS_write, plan->counter_write, "x", 1);
  syscall(SYS_exit, 0);
  return 0;
}

// The middle: starts the orphan and exits at once, so the orphan is
// re-parented to the reaper (cinit).
__attribute__((no_sanitize("address", "undefined"))) int MiddleMain(void* arg) {
  const OrphanPlan* plan = static_cast<const OrphanPlan*>(arg);
  long pid = clone(OrphanMain, plan->stack, CLONE_VM | SIGCHLD, arg);
  syscall(SYS_exit, pid < 0 ? 3 : 0);
  return 0;
}

// Starts one middle (retrying while the system is out of processes for a
// moment); returns its pid.
pid_t StartMiddle(char* stack, OrphanPlan* plan) {
  for (;;) {
    long pid = clone(MiddleMain, stack, CLONE_VM | SIGCHLD, plan);
    if (pid > 0) return static_cast<pid_t>(pid);
    if (errno != EAGAIN) Die("clone middle");
    SleepMs(1);
  }
}

// orphans TOTAL BATCH FIFO GO: writes "ready", waits for a line on GO, then
// makes TOTAL orphans, BATCH at a time: each is started by a short-lived
// middle process, so the reaper (cinit) adopts it; all of a batch exit
// together once their middles are gone. The next batch starts when cinit
// has reaped all but a few (so the storm never exhausts the pid space).
// The processes share the helper's memory (CLONE_VM, each on a stack of its
// own): fork() of a large test binary 100,000 times would be slow, and the
// helper never waits for a middle before starting the next, so a busy
// machine's scheduling delays do not add up 50,000 times.
// Writes "done made=N reparented=K ms=T", then waits for SIGTERM.
[[noreturn]] void Orphans(long total, long batch, const char* fifo, const char* go) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, nullptr);
  int out = OpenFifo(fifo, O_WRONLY);
  int in = OpenFifo(go, O_RDONLY);
  // Two stacks per slot: the middle's and the orphan's.
  constexpr size_t kStack = 16384;
  size_t slots = static_cast<size_t>(batch) * 2;
  char* stacks = static_cast<char*>(
      mmap(nullptr, kStack * slots, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (stacks == MAP_FAILED) Die("mmap stacks");
  auto stack_top = [&](size_t slot) { return stacks + kStack * (slot + 1); };
  OrphanPlan* plans = static_cast<OrphanPlan*>(calloc(static_cast<size_t>(batch), sizeof(OrphanPlan)));
  WriteLine(out, "ready");
  ReadLine(in);
  pid_t reaper = getppid();
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long made = 0, reparented = 0;
  while (made < total) {
    long n = total - made < batch ? total - made : batch;
    int release[2], counter[2];
    if (pipe2(release, O_CLOEXEC) != 0 || pipe2(counter, O_CLOEXEC) != 0) Die("pipe");
    for (long k = 0; k < n; k++) {
      plans[k] = OrphanPlan{release[0], release[1], counter[0], counter[1], reaper, stack_top(2 * k + 1)};
      StartMiddle(stack_top(2 * k), &plans[k]);
    }
    // Every middle has exited (and is done with its stack) once reaped.
    for (long k = 0; k < n; k++) {
      int status = 0;
      pid_t pid;
      while ((pid = waitpid(-1, &status, __WALL)) < 0 && errno == EINTR) {
      }
      if (pid < 0) Die("waitpid middle");
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die("middle failed");
    }
    made += n;
    close(release[0]);
    close(release[1]);  // the whole batch wakes up and exits
    close(counter[1]);
    char buf[4096];
    for (;;) {
      ssize_t got = read(counter[0], buf, sizeof buf);
      if (got > 0) reparented += got;
      else if (got == 0 || errno != EINTR) break;
    }
    close(counter[0]);
    // EOF: every orphan of the batch has exited (and is done with its
    // stack). Let cinit catch up with the reaping.
    for (int wait = 0; wait < 20000 && ChildCount(reaper) > 64; wait++) SleepMs(1);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  WriteLine(out, "done made=%ld reparented=%ld ms=%ld", made, reparented, ms);
  int sig;
  sigwait(&term, &sig);
  _exit(0);
}

// flood: writes lines to stdout as fast as it can until the pipe breaks:
// short lines, lines of a few hundred bytes and one longer than cinit's
// 4000-byte line limit in every 64 KiB, so splitting is exercised too.
[[noreturn]] void Flood() {
  static char buf[65536];
  size_t len = 0;
  int line = 0;
  while (len < sizeof buf - 8192) {
    int width = line % 16 == 15 ? 5000 : line % 3 == 0 ? 300 : 20;
    for (int k = 0; k < width; k++) buf[len++] = static_cast<char>('a' + (line + k) % 26);
    buf[len++] = '\n';
    line++;
  }
  signal(SIGPIPE, SIG_DFL);
  for (;;) {
    ssize_t n = write(1, buf, len);
    if (n < 0 && errno != EINTR) _exit(0);
  }
}

void RunHelper(int argc, char** argv, char** /*envp*/) {
  const char* on = getenv("HARDEN_HELPER");
  if (on == nullptr || strcmp(on, "1") != 0 || argc < 2) return;
  std::string name = argv[1];
  if (name == "wrap") Wrap(argc, argv);
  if (name == "sigcount" && argc == 4) SigCount(argv[2], atol(argv[3]));
  if (name == "orphans" && argc == 6) Orphans(atol(argv[2]), atol(argv[3]), argv[4], argv[5]);
  if (name == "flood" && argc == 2) Flood();
  // Anything else: not a helper invocation; let gtest run.
}

// glibc calls .init_array entries with (argc, argv, envp).
__attribute__((section(".init_array"), used)) void (*kHelperHook)(int, char**, char**) = RunHelper;

}  // namespace

// --- Shared functions (fault_storm.h) ----------------------------------------

std::string SelfPath() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  return buf;
}

bool CinitIsSanitized() {
  static int cached = -1;
  if (cached < 0) {
    std::ifstream in(CinitPath(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string bin = ss.str();
    cached = bin.find("__asan_init") != std::string::npos || bin.find("__ubsan_handle") != std::string::npos;
  }
  return cached == 1;
}

namespace {
// Points CINIT_TEST_BINARY at this binary while a Cinit is constructed.
class WrapperAsBinary {
 public:
  WrapperAsBinary() : real_(CinitPath()) {
    const char* old = getenv("CINIT_TEST_BINARY");
    had_old_ = old != nullptr;
    if (had_old_) old_ = old;
    setenv("CINIT_TEST_BINARY", SelfPath().c_str(), 1);
  }
  ~WrapperAsBinary() {
    if (had_old_) setenv("CINIT_TEST_BINARY", old_.c_str(), 1);
    else unsetenv("CINIT_TEST_BINARY");
  }
  const std::string& real() const { return real_; }

 private:
  std::string real_;
  std::string old_;
  bool had_old_ = false;
};

Options WrapOptions(Options options, const std::string& real, const std::vector<std::string>& wrapper_options) {
  std::vector<std::string> args = {"wrap"};
  args.insert(args.end(), wrapper_options.begin(), wrapper_options.end());
  args.push_back("--");
  args.push_back(real);
  args.insert(args.end(), options.args.begin(), options.args.end());
  options.args = std::move(args);
  options.env.push_back(kHelperEnv);
  return options;
}
}  // namespace

std::unique_ptr<Cinit> StartWrapped(Options options, const std::vector<std::string>& wrapper_options) {
  WrapperAsBinary as;
  return std::make_unique<Cinit>(WrapOptions(std::move(options), as.real(), wrapper_options));
}

RunResult RunWrapped(Options options, const std::vector<std::string>& wrapper_options, Ms timeout) {
  WrapperAsBinary as;
  Options wrapped = WrapOptions(std::move(options), as.real(), wrapper_options);
  return RunCinit(std::move(wrapped), timeout);
}

std::string AsanOptionsWithoutLeakCheck() {
  const char* old = getenv("ASAN_OPTIONS");
  std::string value = old != nullptr && *old ? std::string(old) + ":" : "";
  return "ASAN_OPTIONS=" + value + "detect_leaks=0";
}

long RssKb(pid_t pid) {
  std::string v = ProcStatusField(pid, "VmRSS");
  return v.empty() ? -1 : atol(v.c_str());
}

int FdCount(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(dir))
    if (e->d_name[0] != '.') n++;
  closedir(dir);
  return n;
}

bool WaitIdle(pid_t pid, Ms timeout) {
  std::string path = "/proc/" + std::to_string(pid) + "/syscall";
  // /proc/PID/syscall names the call a process is blocked in ("running"
  // otherwise). cinit's other reads are non-blocking: a blocked read is the
  // one on the signalfd.
  std::string ppoll = std::to_string(SYS_ppoll) + " ", read = std::to_string(SYS_read) + " ";
  // Three times in a row, a few ms apart: not just passing through.
  int seen = 0;
  return WaitUntil(
      [&] {
        std::ifstream in(path);
        std::string line;
        std::getline(in, line);
        bool idle = line.rfind(ppoll, 0) == 0 || line.rfind(read, 0) == 0;
        seen = idle ? seen + 1 : 0;
        return seen >= 3;
      },
      timeout);
}

int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  for (const auto& line : Lines(text))
    if (line.find(needle) != std::string::npos) n++;
  return n;
}

long FreePids() {
  std::ifstream max_in("/proc/sys/kernel/pid_max");
  long max = 0;
  max_in >> max;
  long used = 0;
  if (DIR* dir = opendir("/proc")) {
    while (dirent* e = readdir(dir))
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9') used++;
    closedir(dir);
  }
  return max - used;
}

// --- PidsCgroup --------------------------------------------------------------

namespace {
std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

bool WriteString(const std::string& path, const std::string& text) {
  return WriteFile(path.c_str(), text.c_str());
}

// The cgroup v2 directory this process is in, or "" without cgroup v2.
std::string OwnCgroup2Dir() {
  std::ifstream in("/proc/self/cgroup");
  std::string line, rel;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) rel = line.substr(3);
  if (rel.empty()) return "";
  std::ifstream mounts("/proc/self/mountinfo");
  while (std::getline(mounts, line)) {
    if (line.find(" - cgroup2 ") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string id, parent, dev, root, mountpoint;
    fields >> id >> parent >> dev >> root >> mountpoint;
    if (root == "/") return mountpoint + (rel == "/" ? "" : rel);
  }
  return "";
}
}  // namespace

PidsCgroup::PidsCgroup() {
  std::string name = "cinit-fault-" + std::to_string(getpid()) + "-" + std::to_string(rand());
  std::string v1 = "/sys/fs/cgroup/pids";
  struct stat st;
  std::string base;
  if (stat((v1 + "/cgroup.procs").c_str(), &st) == 0) {
    base = v1;
  } else {
    base = OwnCgroup2Dir();
    if (base.empty()) {
      why_ = "no pids cgroup: neither /sys/fs/cgroup/pids (v1) nor a cgroup2 mount";
      return;
    }
    // The pids controller must be enabled for our children; harmless if it is.
    WriteString(base + "/cgroup.subtree_control", "+pids");
  }
  std::string dir = base + "/" + name;
  if (mkdir(dir.c_str(), 0755) != 0) {
    why_ = "cannot create a cgroup in " + base + ": " + strerror(errno);
    return;
  }
  if (stat((dir + "/pids.max").c_str(), &st) != 0) {
    rmdir(dir.c_str());
    why_ = "the pids controller is not available in " + base;
    return;
  }
  path_ = dir;
}

PidsCgroup::~PidsCgroup() {
  if (path_.empty()) return;
  SetMax("max");
  // Whatever is left (a failed test) is killed, so the directory can go.
  for (int round = 0; round < 200; round++) {
    auto procs = Procs();
    if (procs.empty()) break;
    for (pid_t p : procs) kill(p, SIGKILL);
    SleepMs(5);
  }
  rmdir(path_.c_str());
}

bool PidsCgroup::SetMax(const std::string& value) const { return WriteString(path_ + "/pids.max", value); }

long PidsCgroup::Current() const { return atol(ReadTrimmed(path_ + "/pids.current").c_str()); }

long PidsCgroup::ForkFailures() const {
  std::ifstream in(path_ + "/pids.events");
  std::string key;
  long value = 0;
  while (in >> key >> value)
    if (key == "max") return value;
  return 0;
}

std::vector<pid_t> PidsCgroup::Procs() const {
  std::vector<pid_t> out;
  std::ifstream in(path_ + "/cgroup.procs");
  pid_t p;
  while (in >> p) out.push_back(p);
  return out;
}

void Report(const std::string& key, const std::string& text) {
  printf("FIGURE %s: %s\n", key.c_str(), text.c_str());
  fflush(stdout);
  ::testing::Test::RecordProperty(key, text);
}

// --- Tests of the helpers ----------------------------------------------------

namespace {

// The wrapper is transparent when it takes nothing away: cinit runs the
// main and passes its status on, in both modes.
TEST(FaultHelpers, WrapperWithoutOptionsIsTransparent) {
  for (Mode mode : {Mode::kSubreaper, Mode::kPid1}) {
    if (mode == Mode::kPid1 && geteuid() != 0) continue;
    if (mode == Mode::kSubreaper && !SubreaperUnavailable().empty()) continue;
    Options options;
    options.mode = mode;
    options.args = {"--", "sh", "-c", "exit 7"};
    RunResult r = RunWrapped(options, {});
    EXPECT_EQ(r.exit.status(), 7) << r.Describe();
  }
  CINIT_REQUIRE_SUBREAPER();  // PID 1 mode ran; say that subreaper mode did not
}

// A limit set by the wrapper is the one cinit runs with.
TEST(FaultHelpers, WrapperLimitReachesCinit) {
  CINIT_REQUIRE_SUBREAPER();
  TempDir dir;
  Options options;
  options.mode = Mode::kSubreaper;
  options.args = {"--", "sh", "-c", "ulimit -n > " + dir.Path("limit")};
  RunResult r = RunWrapped(options, {"--nofile", "40"});
  ASSERT_EQ(r.exit.status(), 0) << r.Describe();
  EXPECT_EQ(dir.Read("limit"), "40\n");
}

}  // namespace
}  // namespace hard
}  // namespace cinit_test
