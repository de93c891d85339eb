// The supervisor's state: one table of processes (declarations in order,
// the main last) and the container's phase. Shared by supervisor.cpp (the
// loop and its events) and container.cpp (the state machine that decides
// what happens next, and carries it out).
// Everything is fixed-size: the loop never allocates.
#pragma once

#include "clock.h"
#include "lifecycle.h"
#include "liveness.h"
#include "output.h"
#include "readiness.h"
#include "status.h"
#include "supervisor.h"
#include "watch.h"

// Why a running process is being stopped outside shutdown, and what its
// exit then means.
enum class AfterStop : uint8_t {
  kNothing,  // shutdown, or not stopping
  kStart,    // on-change=restart: start again at once, not a failure
  kFailure,  // failed its liveness check: a failed exit under its restart policy
};

struct Proc {
  const Decl* decl = nullptr;        // nullptr for the main
  const Credentials* creds = nullptr;
  ProcKind kind = ProcKind::kMain;
  ProcState state = ProcState::kPending;
  pid_t pid = 0;                     // cleared the moment it is reaped
  bool ready = false;
  bool ready_timed_out = false;
  uint32_t restarts = 0;
  uint32_t quick_failures = 0;
  int last_status = -1;
  Millis started_at = 0;
  Millis wake_at = 0;                // backoff end, or stop-signal -> SIGKILL
  Millis ready_deadline = 0;
  bool prefixed = false;
  AfterStop after_stop = AfterStop::kNothing;
  Probe probe;
  Probe live;                        // live=: runs only while running and ready
  uint32_t live_failed = 0;          // failed liveness attempts in a row
  OutputStream out;
  OutputStream err;
};

struct World {
  const Plan* plan = nullptr;
  const Options* o = nullptr;
  pid_t self = 0;
  Proc* procs = nullptr;             // count entries, constructed in Setup
  int count = 0;                     // declarations + the main
  int main = 0;                      // index of the main: count - 1
  Phase phase = Phase::kStarting;
  int cursor = 0;                    // startup: next entry; stopping: next to stop
  Millis grace_end = 0;
  Millis timeout_at = 0;             // --timeout, 0 = none
  bool timed_out = false;
  int exit_code = -1;                // decided by the first cause that sets it
  int queued[32] = {};               // signals received before the main existed
  int queued_count = 0;
  bool dirty = true;                 // state file needs rewriting
  bool have_children = false;        // last reap found a child still running
  bool output_used = false;
  OutputTargets targets;
  Watcher* watcher = nullptr;        // --watch and watch=; nullptr: none

  StateFile state;
  // sd_notify (notify.h): the socket ready=notify processes get, and what
  // cinit told its own service manager (plan->notify_upward).
  uint32_t notify_ignored = 0;       // datagrams from other processes
  bool told_ready = false;
  bool told_stopping = false;
  bool told_failed = false;          // a failed upward send warns once
};

// supervisor.cpp: the table the state file, the health endpoint and the
// upward READY=1 are decided from.
void BuildStatusTable(const World& w, StatusTable* t);

// container.cpp
void StartProc(World* w, int i, Millis now);
void StartMain(World* w, Millis now);
void StopProc(World* w, Proc* p, Millis now);
void BeginShutdown(World* w, Millis now, bool stop_main);
void KillEverything(World* w);
void SignalStrays(World* w, int sig);
void SendToMain(World* w, int sig);
void Advance(World* w, Millis now);
void HandleSignal(World* w, int sig, Clock* clock);
void HandleExit(World* w, pid_t pid, int wait_status, Clock* clock);
void HandleTimers(World* w, Millis now);
void ReapChildren(World* w, Clock* clock);
void MarkReady(World* w, Proc* p);
void OnWatchChange(World* w, const WatchTarget& t, Millis now);
// A datagram on the notify socket from pid sender (0: unknown).
void HandleNotify(World* w, pid_t sender, const char* data, int len);
// Sends READY=1 / STOPPING=1 upward when they become true (once each);
// called after a change was written to the state file.
void TellServiceManager(World* w);
