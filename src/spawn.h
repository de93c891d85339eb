// Starting a child (SPEC §2): its own process group, the terminal's
// foreground when asked, the signal mask and ignored set cinit was started
// with, no descriptor of cinit's own, optional credentials, and exec failure
// reported back through a close-on-exec pipe so cinit can exit 126/127.
#pragma once

#include <csignal>
#include <sys/types.h>

#include "user.h"

constexpr int kMaxInheritedFds = 64;
constexpr int kMaxEnvVars = 1024;

// What cinit was started with, captured once before it changes anything.
struct Inherited {
  sigset_t mask;                       // signal mask at start
  bool ignored[65] = {};               // SIG_IGN at start, by signal number
  int fds[kMaxInheritedFds] = {};      // descriptors >= 3 passed to cinit
  int fd_count = 0;
  char cwd[4096];                      // the main starts here; cinit moves to /
  const char* env[kMaxEnvVars + 1];    // without CINIT_* variables, NULL-terminated
  // (No initializers on the two arrays: CaptureInherited fills them, and
  // untouched pages stay out of resident memory.)
};

// Records mask, dispositions, descriptors, cwd and the filtered environment,
// then resets every disposition to default: an ignored signal never reaches
// signalfd, so cinit could not forward it.
void CaptureInherited(char** envp, const sigset_t& mask_at_start, Inherited* out);

enum class SpawnStage : uint8_t { kFork, kSetup, kCredentials, kChdir, kExec };

struct SpawnRequest {
  const char* const* argv = nullptr;
  const char* const* extra_env = nullptr;   // "K=V" overrides, NULL-terminated
  const char* notify_env = nullptr;         // "NOTIFY_SOCKET=..." for ready=notify, or nullptr
  const Credentials* creds = nullptr;       // nullptr: unchanged
  const char* cwd = nullptr;                // nullptr: the cwd cinit started in
  bool foreground_tty = false;              // make its group the terminal's foreground
  bool keep_inherited_fds = false;          // the main only (socket activation)
  int stdout_fd = -1;                       // -1: inherit
  int stderr_fd = -1;
  int ready_fd = -1;                        // write end of an fd:N readiness pipe
  int ready_fd_target = -1;                 // N
};

struct SpawnOutcome {
  pid_t pid = -1;          // > 0 once forked, even if exec then failed
  int error = 0;           // errno of the failed stage, 0 on success
  SpawnStage stage = SpawnStage::kExec;
};

// Forks and execs; waits (briefly, on the exec pipe) until exec succeeded or
// failed. On failure after fork the child has exited with 127/126 and is
// left for the caller's reaping.
SpawnOutcome Spawn(const Inherited& inherited, const SpawnRequest& request);

// Exit code for a failed exec (SPEC §2): 127 not found, 126 otherwise.
int ExecFailureCode(int error);
