// Implementation of the integration-test harness; see harness.h for the model.
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char** environ;

namespace cinit_test {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// pid -> (ppid, state) for every process on the host.
std::map<pid_t, std::pair<pid_t, char>> ProcessTable() {
  std::map<pid_t, std::pair<pid_t, char>> table;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return table;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::string stat = ReadWholeFile("/proc/" + std::string(entry->d_name) + "/stat");
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so
    // parse from the last ')'.
    size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 4 > stat.size()) continue;
    char state = stat[close + 2];
    pid_t ppid = static_cast<pid_t>(atoi(stat.c_str() + close + 4));
    table[static_cast<pid_t>(pid)] = {ppid, state};
  }
  closedir(dir);
  return table;
}

// Everything the child needs, built before clone/fork so that the child
// only makes system calls.
struct ExecPlan {
  std::string binary;
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  const Options* options = nullptr;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int slave_fd = -1;
  int error_fd = -1;  // write end, close-on-exec: EOF means exec succeeded
  std::string cwd;
};

[[noreturn]] void ChildFail(const ExecPlan& plan, const char* what) {
  int err = errno;
  char msg[256];
  int n = snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  if (n > 0 && write(plan.error_fd, msg, static_cast<size_t>(n)) < 0) _exit(120);
  _exit(120);
}

// Runs in the new child: set up the process as a container runtime would,
// then exec cinit. Never returns.
int ChildMain(void* arg) {
  const ExecPlan& plan = *static_cast<const ExecPlan*>(arg);
  const Options& opt = *plan.options;

  if (opt.mode == Mode::kPid1) {
    // Our own /proc, so that the namespace's processes see themselves; make
    // the mount tree private first so the mount does not leak to the host.
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      ChildFail(plan, "mount --make-rprivate /");
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
      ChildFail(plan, "mount proc");
  }
  if (setsid() < 0) ChildFail(plan, "setsid");

  if (opt.tty) {
    if (ioctl(plan.slave_fd, TIOCSCTTY, 0) != 0) ChildFail(plan, "TIOCSCTTY");
    for (int fd = 0; fd < 3; ++fd)
      if (dup2(plan.slave_fd, fd) < 0) ChildFail(plan, "dup2 tty");
  } else {
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0) ChildFail(plan, "stdin");
    if (dup2(plan.stdout_fd, 1) < 0 || dup2(plan.stderr_fd, 2) < 0) ChildFail(plan, "dup2 out");
  }

  // Descriptors handed to cinit: move them out of the way first so that a
  // source number never collides with another target number.
  std::vector<std::pair<int, int>> moved;
  for (auto [from, to] : opt.fds) {
    int tmp = fcntl(from, F_DUPFD_CLOEXEC, 200);
    if (tmp < 0) ChildFail(plan, "dup passed fd");
    moved.push_back({tmp, to});
  }
  // Everything above stderr is close-on-exec, except the passed descriptors.
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) ChildFail(plan, "close_range");
  for (auto [tmp, to] : moved)
    if (dup2(tmp, to) < 0) ChildFail(plan, "dup2 passed fd");  // dup2 clears CLOEXEC

  // Dispositions: default, except what the test wants ignored; then the mask.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  struct sigaction ign = {};
  ign.sa_handler = SIG_IGN;
  for (int sig : opt.ignored) sigaction(sig, &ign, nullptr);
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : opt.blocked) sigaddset(&mask, sig);
  sigprocmask(SIG_SETMASK, &mask, nullptr);

  // No core files from the signal tests.
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);

  if (chdir(plan.cwd.c_str()) != 0) ChildFail(plan, "chdir");
  execve(plan.binary.c_str(), plan.argv.data(), plan.envp.data());
  ChildFail(plan, "exec cinit");
}

}  // namespace

std::string CinitPath() {
  const char* over = getenv("CINIT_TEST_BINARY");
  if (over != nullptr && *over != '\0') return over;
#ifdef CINIT_BINARY
  return CINIT_BINARY;
#else
  return "";
#endif
}

namespace {
// e_machine of an ELF file, or -1.
int ElfMachine(const std::string& path) {
  unsigned char h[20] = {};
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, h, sizeof h);
  close(fd);
  if (n != static_cast<ssize_t>(sizeof h) || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') return -1;
  return h[5] == 2 ? h[18] << 8 | h[19] : h[19] << 8 | h[18];  // EI_DATA: 2 = big-endian
}
}  // namespace

std::string SubreaperUnavailable() {
  int theirs = ElfMachine(CinitPath());
  int ours = ElfMachine("/proc/self/exe");
  if (theirs < 0 || ours < 0 || theirs == ours) return "";
  return CinitPath() + " is built for another architecture (ELF machine " + std::to_string(theirs) +
         ") and runs under qemu-user, which does not emulate PR_SET_CHILD_SUBREAPER";
}

std::vector<int> OpenFds(pid_t pid) {
  std::vector<int> fds;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') fds.push_back(atoi(e->d_name));
    closedir(d);
  }
  std::sort(fds.begin(), fds.end());
  return fds;
}

std::string ProbePath() {
  const char* over = getenv("CINIT_TEST_PROBE");
  if (over != nullptr && *over != '\0') return over;
#ifdef CINIT_PROBE
  return CINIT_PROBE;
#else
  return "";
#endif
}

// --- TempDir ---------------------------------------------------------------

TempDir::TempDir() {
  const char* tmp = getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/cinit-itest.XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << templ << ": " << strerror(errno);
    return;
  }
  path_ = templ;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  // Small and flat enough that a shell-free recursive delete is simple.
  std::function<void(const std::string&)> remove_all = [&](const std::string& p) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
      if (DIR* dir = opendir(p.c_str())) {
        while (dirent* e = readdir(dir)) {
          std::string name = e->d_name;
          if (name != "." && name != "..") remove_all(p + "/" + name);
        }
        closedir(dir);
      }
      rmdir(p.c_str());
    } else {
      unlink(p.c_str());
    }
  };
  remove_all(path_);
}

void TempDir::Write(const std::string& name, const std::string& content, mode_t mode) const {
  std::string p = Path(name);
  int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ASSERT_GE(fd, 0) << p << ": " << strerror(errno);
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  fchmod(fd, mode);
  close(fd);
}

bool TempDir::Exists(const std::string& name) const { return access(Path(name).c_str(), F_OK) == 0; }

std::string TempDir::Read(const std::string& name) const { return ReadWholeFile(Path(name)); }

std::string TempDir::MakeFifo(const std::string& name) const {
  std::string p = Path(name);
  if (mkfifo(p.c_str(), 0666) != 0) ADD_FAILURE() << "mkfifo " << p << ": " << strerror(errno);
  return p;
}

// --- Channel ---------------------------------------------------------------

Channel::Channel(const TempDir& dir, const std::string& name) : path_(dir.MakeFifo(name)) {
  // Read-write: there is always a writer (us), so the FIFO never reads as
  // EOF, and always a reader, so the program's open(O_WRONLY) never blocks.
  fd_ = open(path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) ADD_FAILURE() << "open " << path_ << ": " << strerror(errno);
}

Channel::~Channel() {
  if (fd_ >= 0) close(fd_);
}

void Channel::Watch(const Cinit& cinit) { watch_fd_ = cinit.pidfd(); }

bool Channel::FillOnce(Ms timeout) {
  pollfd p[2] = {{fd_, POLLIN, 0}, {watch_fd_, POLLIN, 0}};
  int n = poll(p, watch_fd_ >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  if (n <= 0) return false;
  if (!(p[0].revents & POLLIN)) {
    // The watched process exited: nothing to wait for but what is written.
    if (poll(p, 1, 0) <= 0) return false;
  }
  char buf[4096];
  ssize_t got = read(fd_, buf, sizeof buf);
  if (got <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(got));
  return true;
}

std::optional<std::string> Channel::TakeLine() {
  size_t nl = buffer_.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  std::string line = buffer_.substr(0, nl);
  buffer_.erase(0, nl + 1);
  return line;
}

std::optional<std::string> Channel::ReadLine(Ms timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto line = TakeLine()) return line;
    int left = MsLeft(deadline);
    if (!FillOnce(Ms(left))) {
      // Deadline passed, or the watched process exited and nothing is left.
      if (Clock::now() >= deadline || watch_fd_ >= 0) return TakeLine();
    }
  }
}

bool Channel::WaitForLine(const std::string& line, Ms timeout, std::vector<std::string>* skipped) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto got = ReadLine(Ms(MsLeft(deadline)));
    if (!got) return false;
    if (*got == line) return true;
    if (skipped != nullptr) skipped->push_back(*got);
  }
}

bool Channel::Send(const std::string& line) {
  std::string text = line + "\n";
  return write(fd_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

std::vector<std::string> Channel::Drain() {
  while (FillOnce(Ms(0))) {
  }
  std::vector<std::string> lines;
  while (auto line = TakeLine()) lines.push_back(*line);
  return lines;
}

// --- ExitInfo --------------------------------------------------------------

int ExitInfo::status() const {
  if (timed_out) return -1;
  return exited ? code : 128 + signal;
}

std::string ExitInfo::Describe() const {
  if (timed_out) return "timed out (killed by the harness)";
  if (exited) return "exited " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

// --- Cinit -----------------------------------------------------------------

Cinit::Cinit(Options options) : options_(std::move(options)) { Start(); }

void Cinit::Start() {
  ExecPlan plan;
  plan.options = &options_;
  plan.binary = CinitPath();
  if (plan.binary.empty()) {
    error_ = "no cinit binary: set CINIT_TEST_BINARY";
    return;
  }
  if (options_.intermediate_parent && options_.mode == Mode::kPid1) {
    // The child would mount /proc without a mount namespace of its own.
    error_ = "intermediate_parent needs Mode::kSubreaper";
    return;
  }
  plan.argv_storage.push_back(plan.binary);
  for (const auto& a : options_.args) plan.argv_storage.push_back(a);
  for (auto& a : plan.argv_storage) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);

  // The runner's CINIT_* variables (CINIT_TEST_BINARY...) would configure
  // cinit; only what the test asks for gets through.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    if (entry.rfind("CINIT_", 0) == 0) continue;
    env[entry.substr(0, entry.find('='))] = entry;
  }
  for (const auto& entry : options_.env) env[entry.substr(0, entry.find('='))] = entry;
  for (auto& [key, entry] : env) plan.env_storage.push_back(entry);
  for (auto& e : plan.env_storage) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);

  plan.cwd = options_.cwd.empty() ? "/" : options_.cwd;
  plan.stdout_fd = open(files_.Path("stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  plan.stderr_fd = open(files_.Path("stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (plan.stdout_fd < 0 || plan.stderr_fd < 0) {
    error_ = std::string("open output files: ") + strerror(errno);
    return;
  }
  if (options_.tty) {
    master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) {
      error_ = std::string("posix_openpt: ") + strerror(errno);
      return;
    }
    plan.slave_fd = open(ptsname(master_), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (plan.slave_fd < 0) {
      error_ = std::string("open pty slave: ") + strerror(errno);
      return;
    }
  }
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    error_ = std::string("pipe: ") + strerror(errno);
    return;
  }
  plan.error_fd = err_pipe[1];

  pid_t pid;
  if (options_.intermediate_parent) {
    pid = StartViaIntermediate(&plan, err_pipe[1]);
  } else if (options_.mode == Mode::kPid1) {
    // clone() rather than unshare(1): cinit is then our direct child and we
    // know its pid. The test process is single-threaded, so the copy is as
    // safe as after fork().
    constexpr size_t kStack = 256 * 1024;
    std::vector<char> stack(kStack);
    pid = clone(ChildMain, stack.data() + kStack, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, &plan);
  } else {
    pid = fork();
    if (pid == 0) ChildMain(&plan);
  }
  int clone_errno = errno;
  close(err_pipe[1]);
  close(plan.stdout_fd);
  close(plan.stderr_fd);
  if (plan.slave_fd >= 0) close(plan.slave_fd);
  if (pid < 0) {
    close(err_pipe[0]);
    error_ = std::string("clone/fork: ") + strerror(clone_errno);
    return;
  }
  // Blocks until exec succeeded (EOF) or the child reports why it failed.
  char msg[256];
  ssize_t n;
  do n = read(err_pipe[0], msg, sizeof msg - 1);
  while (n < 0 && errno == EINTR);
  close(err_pipe[0]);
  if (n > 0) {
    msg[n] = '\0';
    error_ = std::string("starting ") + plan.binary + ": " + msg;
    ReleaseParent();
    waitpid(pid, nullptr, 0);
    return;
  }
  pid_ = pid;
  pidfd_ = PidfdOpen(pid);
}

pid_t Cinit::StartViaIntermediate(void* plan, int error_write_fd) {
  // Re-parenting lands cinit here only if we are a subreaper when the
  // intermediate exits; reset in the destructor.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int pid_pipe[2], hold[2];
  if (pipe2(pid_pipe, O_CLOEXEC) != 0 || pipe2(hold, O_CLOEXEC) != 0) return -1;
  pid_t parent = fork();
  if (parent == 0) {
    close(pid_pipe[0]);
    close(hold[1]);
    pid_t child = fork();
    if (child == 0) ChildMain(plan);
    close(error_write_fd);  // the exec report goes straight to the test
    if (write(pid_pipe[1], &child, sizeof child) != sizeof child) _exit(1);
    char byte;
    while (read(hold[0], &byte, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  close(pid_pipe[1]);
  close(hold[0]);
  pid_t pid = -1;
  if (parent < 0 || read(pid_pipe[0], &pid, sizeof pid) != sizeof pid) pid = -1;
  close(pid_pipe[0]);
  parent_ = parent;
  parent_hold_ = hold[1];
  return pid;
}

void Cinit::ReleaseParent() {
  if (parent_ <= 0) return;
  close(parent_hold_);
  parent_hold_ = -1;
  while (waitpid(parent_, nullptr, 0) < 0 && errno == EINTR) {
  }
  parent_ = -1;  // cinit is our child from here on
}

Cinit::~Cinit() {
  if (pid_ > 0 && !reaped_) {
    KillTree();
    ReleaseParent();
    if (!reaped_) {
      int status;
      waitpid(pid_, &status, 0);
    }
  }
  ReleaseParent();
  if (options_.intermediate_parent) prctl(PR_SET_CHILD_SUBREAPER, 0);
  if (pidfd_ >= 0) close(pidfd_);
  if (master_ >= 0) close(master_);
}

bool Cinit::Signal(int sig) const { return pid_ > 0 && !reaped_ && kill(pid_, sig) == 0; }

bool Cinit::Queue(int sig, int value) const {
  sigval v;
  v.sival_int = value;
  return pid_ > 0 && !reaped_ && sigqueue(pid_, sig, v) == 0;
}

void Cinit::KillTree() {
  if (pid_ <= 0 || reaped_) return;
  if (options_.mode == Mode::kSubreaper) {
    // Freeze cinit so it neither reaps nor reacts, then kill everything
    // below it before cinit itself (its orphans would otherwise escape to
    // the host's init). As PID 1, SIGKILL to cinit empties the namespace.
    kill(pid_, SIGSTOP);
    for (int round = 0; round < 3; ++round) {
      auto below = Descendants();
      if (below.empty()) break;
      for (pid_t p : below) kill(p, SIGKILL);
    }
  }
  kill(pid_, SIGKILL);
}

void Cinit::DrainPty(Ms timeout) {
  if (master_ < 0) return;
  pollfd p = {master_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return;
  char buf[4096];
  ssize_t n = read(master_, buf, sizeof buf);
  if (n > 0) pty_output_.append(buf, static_cast<size_t>(n));
}

ExitInfo Cinit::Wait(Ms timeout) {
  if (pid_ <= 0) {
    ExitInfo never;
    never.timed_out = true;
    return never;
  }
  if (reaped_) return exit_;
  auto deadline = Clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    pollfd p[2] = {{pidfd_, POLLIN, 0}, {master_, POLLIN, 0}};
    int left = MsLeft(deadline);
    int n = poll(p, master_ >= 0 ? 2 : 1, left);
    if (n < 0 && errno == EINTR) continue;
    if (p[0].revents != 0) break;
    if (master_ >= 0 && (p[1].revents & POLLIN)) {
      DrainPty(Ms(0));  // keep the terminal from filling up and blocking
      continue;
    }
    if (master_ >= 0 && (p[1].revents & (POLLHUP | POLLERR))) {
      // Terminal closed by everyone but us: only the pidfd matters now.
      if (poll(p, 1, MsLeft(deadline)) > 0) break;
    }
    if (Clock::now() >= deadline) {
      timed_out = true;
      break;
    }
  }
  exit_time_ = Clock::now();
  if (timed_out) {
    // What was everybody doing? Recorded for Describe() before the kill.
    std::vector<pid_t> tree = Descendants();
    tree.insert(tree.begin(), pid_);
    for (pid_t p : tree)
      timeout_snapshot_ += std::to_string(p) + " " + std::string(1, ProcState(p)) + " blk=" +
                           ProcStatusField(p, "SigBlk") + " ign=" + ProcStatusField(p, "SigIgn") +
                           " pnd=" + ProcStatusField(p, "SigPnd") + " " + ProcCmdline(p) + "\n";
    KillTree();
  }
  ReleaseParent();
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  DrainPty(Ms(0));
  exit_ = ExitInfo{};
  exit_.timed_out = timed_out;
  if (WIFEXITED(status)) {
    exit_.exited = true;
    exit_.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exit_.signal = WTERMSIG(status);
  }
  return exit_;
}

bool Cinit::Exited() {
  if (reaped_) return true;
  siginfo_t info = {};
  if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
  return info.si_pid == pid_;
}

std::string Cinit::Stdout() const { return ReadWholeFile(files_.Path("stdout")); }
std::string Cinit::Stderr() const { return ReadWholeFile(files_.Path("stderr")); }

std::string Cinit::Describe() const {
  std::string text = "cinit " + (reaped_ ? exit_.Describe() : std::string("still running"));
  text += "\n--- stdout ---\n" + Stdout() + "\n--- stderr ---\n" + Stderr();
  if (master_ >= 0) text += "\n--- terminal ---\n" + pty_output_;
  if (!timeout_snapshot_.empty()) text += "\n--- processes at the deadline ---\n" + timeout_snapshot_;
  return text;
}

bool Cinit::WaitForOutput(const std::string& needle, Ms timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t at = pty_output_.find(needle, pty_consumed_);
    if (at != std::string::npos) {
      pty_consumed_ = at + needle.size();
      return true;
    }
    int left = MsLeft(deadline);
    if (left == 0) return false;
    pollfd p = {master_, POLLIN, 0};
    int n = poll(&p, 1, left);
    if (n <= 0 || !(p.revents & POLLIN)) {
      if (n > 0) return false;  // hung up: nothing more will come
      continue;
    }
    DrainPty(Ms(0));
  }
}

void Cinit::Type(const std::string& text) const {
  ASSERT_EQ(write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

std::vector<pid_t> Cinit::Descendants() const {
  auto table = ProcessTable();
  std::map<pid_t, std::vector<pid_t>> kids;
  for (auto& [pid, info] : table) kids[info.first].push_back(pid);
  std::vector<pid_t> out;
  std::vector<pid_t> todo = {pid_};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    for (pid_t k : kids[p]) {
      out.push_back(k);
      todo.push_back(k);
    }
  }
  return out;
}

std::vector<std::pair<pid_t, char>> Cinit::Children() const {
  std::vector<std::pair<pid_t, char>> out;
  for (auto& [pid, info] : ProcessTable())
    if (info.first == pid_) out.push_back({pid, info.second});
  return out;
}

// --- Free functions ----------------------------------------------------------

std::string RunResult::Describe() const {
  std::string text = start_error.empty() ? "cinit " + exit.Describe() : "not started: " + start_error;
  text += " after " + std::to_string(elapsed.count()) + " ms";
  return text + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
}

RunResult RunCinit(Options options, Ms timeout) {
  RunResult result;
  auto start = Clock::now();
  Cinit cinit(std::move(options));
  if (!cinit.started()) {
    result.start_error = cinit.error();
    result.exit.timed_out = true;
    return result;
  }
  result.exit = cinit.Wait(timeout);
  result.elapsed = std::chrono::duration_cast<Ms>(cinit.exit_time() - start);
  result.out = cinit.Stdout();
  result.err = cinit.Stderr();
  return result;
}

RunResult RunCinit(std::vector<std::string> args, Mode mode) {
  Options options;
  options.args = std::move(args);
  options.mode = mode;
  return RunCinit(std::move(options));
}

StrayRun RunWithTermIgnoringStray(Mode mode, std::vector<std::string> cinit_options,
                                  std::vector<std::string> env) {
  StrayRun run;
  TempDir dir;
  Channel ch(dir);
  Channel gate(dir, "gate");
  Options options;
  options.mode = mode;
  options.env = std::move(env);
  for (std::string v : {"D=" + dir.path(), "FIFO=" + ch.path(), "GATE=" + gate.path()})
    options.env.push_back(v);
  options.args = std::move(cinit_options);
  for (std::string word :
       {"--", "sh", "-c",
        "sh -c 'trap \"\" TERM; echo $$ > $D/stray.pid; echo ready > $GATE; exec sleep 60' & "
        "read x < \"$GATE\"; echo main-exit > \"$FIFO\"; exit 0"})
    options.args.push_back(word);
  Cinit cinit(options);
  if (!cinit.started()) {
    run.description = cinit.error();
    return run;
  }
  ch.Watch(cinit);
  bool main_exit = ch.WaitForLine("main-exit");
  auto main_time = Clock::now();
  run.exit = cinit.Wait(Ms(20000));
  if (main_exit) run.ms_after_main = std::chrono::duration_cast<Ms>(cinit.exit_time() - main_time).count();
  run.stray = atoi(dir.Read("stray.pid").c_str());
  run.description = cinit.Describe();
  return run;
}

bool WaitUntil(const std::function<bool()>& condition, Ms timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Ms(5));
  }
}

std::string StatusField(const std::string& text, const std::string& field) {
  for (const auto& line : Lines(text)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    std::string value = line.substr(field.size() + 1);
    size_t b = value.find_first_not_of(" \t");
    size_t e = value.find_last_not_of(" \t");
    return b == std::string::npos ? "" : value.substr(b, e - b + 1);
  }
  return "";
}

std::string ProcStatusField(pid_t pid, const std::string& field) {
  return StatusField(ReadWholeFile("/proc/" + std::to_string(pid) + "/status"), field);
}

std::vector<int> MaskSignals(const std::string& hex) {
  std::vector<int> sigs;
  unsigned long long mask = strtoull(hex.c_str(), nullptr, 16);
  for (int bit = 0; bit < 64; ++bit)
    if (mask & (1ULL << bit)) sigs.push_back(bit + 1);
  return sigs;
}

std::string ProcCmdline(pid_t pid) {
  std::string text = ReadWholeFile("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& ch : text)
    if (ch == '\0') ch = ' ';
  return text;
}

bool WaitForSignalTaken(pid_t pid, int sig, Ms timeout) {
  auto deadline = Clock::now() + timeout;
  unsigned long long bit = 1ULL << (sig - 1);
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  while (Clock::now() < deadline) {
    std::string status = ReadWholeFile(path);
    if (status.empty()) return false;  // gone
    unsigned long long blocked = strtoull(StatusField(status, "SigBlk").c_str(), nullptr, 16);
    unsigned long long caught = strtoull(StatusField(status, "SigCgt").c_str(), nullptr, 16);
    if ((blocked | caught) & bit) return true;
    if (!ReadWholeFile("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children").empty())
      return true;
    sched_yield();
  }
  return false;
}

char ProcState(pid_t pid) {
  std::string stat = ReadWholeFile("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return 0;
  return stat[close + 2];
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

}  // namespace cinit_test
