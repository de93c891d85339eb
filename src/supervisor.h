// The one event loop (SPEC §3, §5). One pass: wait in ppoll on the signalfd
// and the probe and output descriptors, with the earliest deadline as the
// timeout (none when nothing is scheduled: zero idle wake-ups) → drain the
// signalfd → reap every exited child → hand events to the lifecycle
// decisions → carry out what they say → rewrite the state file if something
// changed. From the first pass on cinit never exits because of an error: only
// the end of shutdown ends the loop.
#pragma once

#include "cli.h"
#include "spawn.h"
#include "spec.h"
#include "user.h"

// Everything decided before the loop starts.
struct Plan {
  const Options* options = nullptr;
  const DeclTable* decls = nullptr;
  const Inherited* inherited = nullptr;
  const Credentials* main_creds = nullptr;        // nullptr: unchanged
  const Credentials* decl_creds[kMaxDecls] = {};  // per declaration, nullptr: unchanged
  int signal_fd = -1;                             // all signals, non-blocking
  bool pid1 = false;                              // PID 1 of a namespace: kill(-1) is ours
  const char* state_dir = nullptr;                // $CINIT_STATE_DIR
  int health_fd = -1;                             // --health-listen socket, -1 off
  int notify_fd = -1;                             // ready=notify socket, -1 none needed
  const char* notify_env = nullptr;               // "NOTIFY_SOCKET=@..." for those processes
  const char* notify_upward = nullptr;            // cinit's own $NOTIFY_SOCKET, or nullptr
};

// Runs the container to the end; returns cinit's exit status.
int Supervise(const Plan& plan);
