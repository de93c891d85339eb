// Integration-test harness: runs the real cinit binary the way a container
// runtime would, and observes it from outside.
//
// Model. A test describes one cinit run in Options (arguments, environment,
// signal mask, descriptors, terminal or not) and starts it as a Cinit object.
// In Mode::kPid1 the harness clone()s straight into a new PID and mount
// namespace, mounts a private /proc there and execs cinit, so cinit is PID 1
// of the namespace and at the same time a direct child of the test process:
// the test knows its real pid, can signal it and wait for it. Mode::kSubreaper
// is a plain fork+exec: cinit is an ordinary process and must make itself a
// subreaper. Either way cinit is a session leader, stdout and stderr go to
// files that the test reads after the run (no pipe can fill up and block
// the program under test), and stdin is /dev/null unless Options says
// otherwise. With Options::tty, stdin/stdout/stderr are the slave side of a
// fresh pseudo-terminal that is cinit's controlling terminal, as under
// `docker run -it`; the test holds the master.
//
// Synchronisation is by events only: a Channel is a FIFO the program under
// test writes lines to ("ready", "got 10"), which the test reads with a
// deadline. Every wait has a deadline; on expiry the whole process tree is
// SIGKILLed, the test fails, and nothing hangs. WaitUntil() polls a condition
// and is kept for the few observations the kernel offers no event for
// (e.g. "no zombie is left").
//
// CINIT_TEST_BINARY in the environment overrides the binary under test (for
// example /usr/bin/tini-static while cinit itself does not build).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cinit_test {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

// Deadline for any single wait unless the test says otherwise.
constexpr Ms kDefaultTimeout{10000};

// The binary under test: $CINIT_TEST_BINARY, else the one CMake built.
std::string CinitPath();
// The helper program built from helpers/probe.cpp.
std::string ProbePath();
// The descriptors open in process pid, sorted (empty if it is gone).
std::vector<int> OpenFds(pid_t pid);

// PID namespaces, mounts and --user need root; say so instead of failing.
#define CINIT_REQUIRE_ROOT()                                                   \
  do {                                                                         \
    if (geteuid() != 0)                                                        \
      GTEST_SKIP() << "needs root (PID/mount namespaces, setuid); run as root"; \
  } while (0)

// Empty when the binary under test runs natively; else why subreaper mode
// cannot be tested: a binary of another architecture runs under qemu-user
// (binfmt_misc), which does not emulate PR_SET_CHILD_SUBREAPER.
std::string SubreaperUnavailable();
// Subreaper-mode tests skip loudly there, naming that reason.
#define CINIT_REQUIRE_SUBREAPER()                                  \
  do {                                                             \
    std::string why_ = ::cinit_test::SubreaperUnavailable();       \
    if (!why_.empty()) GTEST_SKIP() << "subreaper mode: " << why_; \
  } while (0)

// A private directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }
  void Write(const std::string& name, const std::string& content, mode_t mode = 0644) const;
  bool Exists(const std::string& name) const;
  std::string Read(const std::string& name) const;  // "" if missing
  std::string MakeFifo(const std::string& name) const;

 private:
  std::string path_;
};

class Cinit;

// A FIFO that programs under test write lines to ("echo ready > $FIFO").
// The test holds it open for reading and writing, so a writer's open never
// blocks and the channel never reports end-of-file.
class Channel {
 public:
  explicit Channel(const TempDir& dir, const std::string& name = "events");
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  const std::string& path() const { return path_; }
  // Stop waiting for lines once this cinit has exited (fail fast rather
  // than at the deadline when, say, cinit rejected its arguments).
  void Watch(const Cinit& cinit);
  // The next complete line, or nullopt if none arrives within timeout.
  std::optional<std::string> ReadLine(Ms timeout = kDefaultTimeout);
  // Reads lines until one equals `line`; false on timeout. Lines passed over
  // are appended to *skipped when given.
  bool WaitForLine(const std::string& line, Ms timeout = kDefaultTimeout,
                   std::vector<std::string>* skipped = nullptr);
  // The complete lines already written, without waiting.
  std::vector<std::string> Drain();
  // Writes a line for the program to read ("read x < $GO"); use a channel
  // the test does not read itself.
  bool Send(const std::string& line);

 private:
  bool FillOnce(Ms timeout);
  std::optional<std::string> TakeLine();

  std::string path_;
  int fd_ = -1;
  int watch_fd_ = -1;  // a pidfd; not owned
  std::string buffer_;
};

enum class Mode { kPid1, kSubreaper };

struct Options {
  // Everything after the binary name: cinit's options, then the command.
  std::vector<std::string> args;
  Mode mode = Mode::kPid1;
  // "KEY=VALUE" added to the environment. The test runner's own CINIT_*
  // variables are never passed on.
  std::vector<std::string> env;
  // Signals blocked / ignored when cinit starts (all others default, empty
  // mask otherwise).
  std::vector<int> blocked;
  std::vector<int> ignored;
  // Descriptors handed to cinit: {descriptor in the test, number in cinit}.
  std::vector<std::pair<int, int>> fds;
  // Working directory cinit starts in; "" means "/".
  std::string cwd;
  // stdin/stdout/stderr on a new pseudo-terminal that becomes cinit's
  // controlling terminal.
  bool tty = false;
  // Mode::kSubreaper only: cinit is forked by an intermediate process that
  // stays until ReleaseParent(); this test process becomes a subreaper, so
  // cinit is re-parented here when the intermediate exits (for --pdeathsig).
  bool intermediate_parent = false;
};

struct ExitInfo {
  bool timed_out = false;  // the deadline passed; everything was killed
  bool exited = false;     // WIFEXITED
  int code = -1;           // WEXITSTATUS if exited
  int signal = 0;          // WTERMSIG if killed
  // As a shell reports it: the exit code, 128+N if killed by N, -1 on timeout.
  int status() const;
  std::string Describe() const;
};

// One running cinit. The destructor kills whatever is still running.
class Cinit {
 public:
  explicit Cinit(Options options);
  ~Cinit();
  Cinit(const Cinit&) = delete;
  Cinit& operator=(const Cinit&) = delete;

  // False if the harness could not start the binary; error() says why.
  bool started() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  // cinit's pid as the test sees it (not 1, even in Mode::kPid1).
  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_; }

  bool Signal(int sig) const;                // kill(2)
  bool Queue(int sig, int value) const;      // sigqueue(3)
  // Waits for cinit to exit; on timeout kills it and everything below it.
  ExitInfo Wait(Ms timeout = kDefaultTimeout);
  bool Exited();  // without reaping
  Clock::time_point exit_time() const { return exit_time_; }

  std::string Stdout() const;
  std::string Stderr() const;
  // stdout, stderr and exit, for failure messages.
  std::string Describe() const;

  // Terminal mode only.
  int pty_master() const { return master_; }
  // Reads terminal output until `needle` appears after what earlier calls
  // consumed; false on timeout.
  bool WaitForOutput(const std::string& needle, Ms timeout = kDefaultTimeout);
  void Type(const std::string& text) const;
  const std::string& PtyOutput() const { return pty_output_; }

  // Makes the intermediate parent exit (Options::intermediate_parent).
  void ReleaseParent();

  // Every process below cinit, by walking /proc.
  std::vector<pid_t> Descendants() const;
  // cinit's direct children and their state letter from /proc/PID/stat.
  std::vector<std::pair<pid_t, char>> Children() const;

 private:
  void Start();
  pid_t StartViaIntermediate(void* plan, int error_write_fd);
  void KillTree();
  void DrainPty(Ms timeout);

  Options options_;
  TempDir files_;
  std::string error_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int master_ = -1;
  pid_t parent_ = -1;       // the intermediate parent, until released
  int parent_hold_ = -1;    // closing it lets the intermediate exit
  bool reaped_ = false;
  ExitInfo exit_;
  Clock::time_point exit_time_;
  std::string pty_output_;
  size_t pty_consumed_ = 0;
  std::string timeout_snapshot_;  // the process tree when the deadline passed
};

struct RunResult {
  ExitInfo exit;
  std::string out;
  std::string err;
  std::string start_error;
  Ms elapsed{0};
  std::string Describe() const;
};

// Starts cinit, waits for it, and returns what it did.
RunResult RunCinit(Options options, Ms timeout = kDefaultTimeout);
// Shorthand: cinit as PID 1 with these arguments.
RunResult RunCinit(std::vector<std::string> args, Mode mode = Mode::kPid1);

// A scenario several tests share: the main starts a shell that ignores TERM
// (then execs `sleep 60`), waits until it is set up, reports "main-exit"
// and exits 0. Only the grace period can end such a run.
struct StrayRun {
  ExitInfo exit;
  long long ms_after_main = -1;  // from the main's exit to cinit's
  pid_t stray = -1;              // the stray's pid as the test sees it
  std::string description;       // for failure messages
};
StrayRun RunWithTermIgnoringStray(Mode mode, std::vector<std::string> cinit_options,
                                  std::vector<std::string> env = {});

// Polls `condition` every few milliseconds until it holds or timeout passes.
// Only for states the kernel sends no event for; never to wait for a program.
bool WaitUntil(const std::function<bool()>& condition, Ms timeout = kDefaultTimeout);

// Fields of /proc/PID/status ("SigBlk", "Uid", ...); "" if absent.
std::string ProcStatusField(pid_t pid, const std::string& field);
std::string StatusField(const std::string& status_text, const std::string& field);
// The signals set in a SigBlk/SigIgn-style hex mask.
std::vector<int> MaskSignals(const std::string& hex);
// /proc/PID/cmdline with the NULs turned into spaces.
std::string ProcCmdline(pid_t pid);
// Spins (no sleeping) until pid has sig blocked or caught, or has forked a
// child (an init must have its signals in hand before it forks). The kernel
// drops a signal sent to a namespace's PID 1 while it has neither blocked
// nor caught it; this lets a test aim a signal at the earliest moment cinit
// can take it. (SigBlk alone is not enough: during sigtimedwait() the kernel
// shows the waited-for signals as unblocked.)
bool WaitForSignalTaken(pid_t pid, int sig, Ms timeout = kDefaultTimeout);
// State letter from /proc/PID/stat, or 0 if the process is gone.
char ProcState(pid_t pid);
// Every line of text.
std::vector<std::string> Lines(const std::string& text);

}  // namespace cinit_test
