// Helpers that run cinit as PID 1 of a real OCI container with runc.
//
// A Container owns one temporary directory:
//
//   /tmp/cinit-runc-XXXXXX/
//     bundle/config.json      written here, no jq or python needed
//     bundle/rootfs/          busybox + applet symlinks, /sbin/cinit, /etc
//     state/                  `runc --root`, private to this container
//     shared/                 bind-mounted read-write at /shared inside
//     stdout, stderr          what `runc run` (and so the container) printed
//
// `runc run` is started in the foreground in a forked child, so its exit
// status is the container's (cinit's) exit status. Tests synchronise on
// files the container writes into /shared (watched with inotify) and on the
// runc process itself (a pidfd), never on fixed sleeps. The destructor
// always kills and deletes the container and removes the directory.
//
// These helpers are independent of gtest and of the other integration
// helpers; the tests that use them live in runc_test.cpp.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cinit_runc {

using Millis = std::chrono::milliseconds;

// --- The environment -------------------------------------------------------

// Absolute path of runc, or "" if none is installed. $CINIT_TEST_RUNC wins.
std::string FindRunc();

// The cinit binary under test: $CINIT_TEST_BINARY if set and non-empty, else
// the CINIT_BINARY compile definition, else "".
std::string CinitBinary();

// The static busybox copied into the rootfs: $CINIT_TEST_BUSYBOX, else
// /bin/busybox or /usr/bin/busybox; "" if none.
std::string FindBusybox();

// Why runc tests cannot run here ("" if they can): not root, no runc, no
// busybox. A missing cinit binary is not a reason to skip; tests fail on it.
std::string RuncSkipReason();

// --- Running a command on the host ----------------------------------------

struct ExecResult {
  int status = -1;          // exit code, or 128+N if killed by signal N
  bool timed_out = false;   // killed by us after the timeout
  std::string out, err;
};

// Runs argv (argv[0] is a path or searched in PATH) with stdin /dev/null,
// capturing stdout and stderr; SIGKILL after `timeout`.
ExecResult RunCommand(const std::vector<std::string>& argv, Millis timeout);

// Host pids whose parent is `pid` (a scan of /proc/*/stat).
std::vector<pid_t> HostChildrenOf(pid_t pid);

// --- One container -----------------------------------------------------------

class Container {
 public:
  // `name_hint` becomes part of the runc container id (sanitised); the id is
  // unique per process and per call.
  explicit Container(const std::string& name_hint = "t");
  ~Container();
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  const std::string& id() const { return id_; }
  const std::string& dir() const { return dir_; }
  std::string bundle() const { return dir_ + "/bundle"; }
  std::string rootfs() const { return dir_ + "/bundle/rootfs"; }
  std::string runc_root() const { return dir_ + "/state"; }
  // Host directory mounted read-write at /shared in the container.
  std::string shared() const { return dir_ + "/shared"; }
  std::string SharedPath(const std::string& name) const { return shared() + "/" + name; }

  // --- Configuration (before Start) ---
  // process.args as given (args[0] must exist in the rootfs).
  void SetArgs(std::vector<std::string> args) { args_ = std::move(args); }
  // process.args = /sbin/cinit FLAGS... -- CMD...
  // e.g. SetCinitCommand({"--sidecar", "a -- sh -c 'echo a >> /shared/order'"},
  //                      {"sh", "-c", "echo main >> /shared/order"})
  void SetCinitCommand(const std::vector<std::string>& cinit_flags,
                       const std::vector<std::string>& cmd);
  // Extra "K=V" for process.env (PATH and HOME are always set).
  void AddEnv(std::string kv) { env_.push_back(std::move(kv)); }
  // A file written into the rootfs at Start, e.g. AddFile("/main.sh", "...").
  void AddFile(std::string path_in_rootfs, std::string content, mode_t mode = 0755);
  void SetReadonlyRoot(bool on) { readonly_root_ = on; }
  // true (default): a new network namespace with loopback only.
  void SetNewNetwork(bool on) { new_network_ = on; }

  // --- Lifecycle ---
  // Builds the bundle and starts `runc run` in the foreground of a child.
  // false with *error set if anything failed before runc was started.
  bool Start(std::string* error);
  // Waits for `runc run` to exit; its exit status (the container's), or
  // nullopt on timeout (the container is left running).
  std::optional<int> Wait(Millis timeout);
  // true while `runc run` has not exited.
  bool Running();
  // Waits until the file `name` exists in the shared dir (inotify). Returns
  // false on timeout or as soon as the container has exited without it.
  bool WaitForFile(const std::string& name, Millis timeout);
  bool SharedExists(const std::string& name) const;
  std::string ReadShared(const std::string& name) const;

  // `runc kill ID SIG` (SIG as runc takes it: TERM, SIGUSR1, 9, ...).
  ExecResult Kill(const std::string& sig);
  // `runc exec ID ARGV...` (no terminal).
  ExecResult Exec(const std::vector<std::string>& argv, Millis timeout = Millis(20000));
  // `runc state ID`: "running", "stopped", ... or "" if runc knows no such id.
  std::string Status();
  // Host pid of the container's PID 1 (cinit), from `runc state`.
  std::optional<pid_t> InitPid();

  // What the container printed, for failure messages.
  std::string Logs() const;
  // All regular files directly in the shared dir, name -> content.
  std::map<std::string, std::string> SharedFiles() const;

  // Kills and deletes the container, kills a stray runc, removes the
  // directory. Idempotent; the destructor calls it.
  void Destroy();

 private:
  bool BuildBundle(std::string* error);
  std::string ConfigJson(const std::vector<std::string>& host_lib_dirs) const;
  std::vector<std::string> Runc(std::vector<std::string> rest) const;

  std::string id_, dir_;
  std::vector<std::string> args_, env_;
  struct RootfsFile {
    std::string path, content;
    mode_t mode;
  };
  std::vector<RootfsFile> files_;
  bool readonly_root_ = false;
  bool new_network_ = true;
  pid_t runc_pid_ = -1;
  int runc_pidfd_ = -1;
  std::optional<int> exit_status_;
  bool destroyed_ = false;
};

// --- One-shot runs -----------------------------------------------------------

struct RunOutcome {
  std::optional<int> status;                   // nullopt: did not exit in time
  std::string error;                           // set if it could not start
  std::string logs;                            // stdout/stderr of the container
  std::map<std::string, std::string> shared;   // files left in /shared
};

// Runs `/sbin/cinit FLAGS... -- CMD...` in a fresh container to completion and
// collects everything; the container is always destroyed. `setup` may add
// files or environment before the start. For sidecar tests:
//   RunCinitInContainer({"--sidecar", "a -- sh -c 'echo a >> /shared/order; exec sleep 100'"},
//                       {"sh", "-c", "echo main >> /shared/order"})
RunOutcome RunCinitInContainer(const std::vector<std::string>& cinit_flags,
                               const std::vector<std::string>& cmd,
                               Millis timeout = Millis(30000),
                               const std::function<void(Container&)>& setup = {});

}  // namespace cinit_runc
