// Starting a child (SPEC §2): its own process group, the terminal's
// foreground when asked, the signal mask and ignored set cinit was started
// with, no descriptor of cinit's own, optional credentials, and exec failure
// reported back through a close-on-exec pipe so cinit can exit 126/127.
#pragma once

#include <csignal>
#include <sys/types.h>

#include "user.h"

// The one filter of what children inherit from cinit's environment: true
// for a variable that reaches every child (everything but CINIT_*). Extend
// it here, nowhere else.
bool PassedToChildren(const char* env_entry);

// What cinit was started with, captured once before it changes anything.
//
// Nothing here has a fixed capacity (SPEC §2: the environment and the
// descriptors pass whole, however many there are):
// - the environment is envp itself, filtered in place (the pointer array is
//   ours to rewrite); each child builds its own copy, with its env=
//   overrides, on its own stack after fork, sized by count;
// - inherited descriptors are never listed: every descriptor cinit opens
//   itself is close-on-exec, so the main inherits exactly the ones cinit
//   was given; other children close everything from 3 up except what they
//   need; after the main started, CloseInheritedFds closes in cinit every
//   descriptor that is not close-on-exec.
struct Inherited {
  sigset_t mask;                       // signal mask at start
  bool ignored[65] = {};               // SIG_IGN at start, by signal number
  char cwd[4096];                      // the main starts here; cinit moves to /
  char* const* env = nullptr;          // without what PassedToChildren rejects, NULL-terminated
  int env_count = 0;
  // (No initializer on cwd: CaptureInherited fills it, and untouched pages
  // stay out of resident memory.)
};

// Records mask, dispositions and cwd, filters envp in place (compacting the
// pointer array) and keeps it as the children's environment, then resets
// every disposition to default: an ignored signal never reaches signalfd,
// so cinit could not forward it. Call it after everything that reads
// CINIT_* from envp.
void CaptureInherited(char** envp, const sigset_t& mask_at_start, Inherited* out);

// Closes in cinit every descriptor from 3 up that is not close-on-exec:
// those cinit inherited, which belong to the main once it started.
void CloseInheritedFds();

enum class SpawnStage : uint8_t { kFork, kSetup, kCredentials, kChdir, kExec };

struct SpawnRequest {
  const char* const* argv = nullptr;
  const char* const* extra_env = nullptr;   // "K=V" overrides, NULL-terminated
  const char* notify_env = nullptr;         // "NOTIFY_SOCKET=..." for ready=notify, or nullptr
  const Credentials* creds = nullptr;       // nullptr: unchanged
  const char* cwd = nullptr;                // nullptr: the cwd cinit started in
  bool foreground_tty = false;              // make its group the terminal's foreground
  bool keep_inherited_fds = false;          // the main only (socket activation): close nothing
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
