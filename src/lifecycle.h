// The decisions of startup and shutdown (SPEC §3, §5) as pure functions:
// data in, decision out. The supervisor carries them out; tests call them
// directly (tests/unit/lifecycle_test.cpp).
//
// The container moves through these phases, never backwards:
//   kStarting   init tasks and sidecars start in declaration order; each
//               init task must exit 0, each sidecar with ready= must become
//               ready (or time out) before the next entry; the main last.
//   kRunning    the main runs; sidecars are restarted by their policy.
//   kDraining   shutdown began; the main was asked to stop; sidecars keep
//               running (and restarting) until the main has exited.
//   kStoppingSidecars  sidecars are stopped one at a time, newest first.
//   kStoppingStrays    every other process gets SIGTERM.
//   kKilling    the grace ran out: SIGKILL to everything left. Nothing else
//               leads here: a TERM, INT or QUIT during shutdown is forwarded
//               to the main like any signal (the application decides what a
//               second one means); cinit never escalates before the grace ends.
//   kDone       no child is left; cinit exits.
#pragma once

#include <cstdint>

#include "cli.h"
#include "spec.h"
#include "status.h"
#include "units.h"

enum class Phase : uint8_t { kStarting, kRunning, kDraining, kStoppingSidecars, kStoppingStrays, kKilling, kDone };

// A run at least this long resets the quick-failure count (SPEC §4).
constexpr Millis kResetAfter = 10000;

// Exit code for a wait status: the code, or 128+N for death by signal N.
int WaitStatusCode(int wait_status);

// min(backoff * 2^(k-1), backoff_max) for the k-th consecutive quick failure.
Millis RestartDelay(Millis backoff, Millis backoff_max, uint32_t k);

struct AfterExit {
  ProcState state;          // kBackoff (restart at restart_at), kExited or kFailed
  uint32_t quick_failures;  // the new count
  Millis restart_at;        // when state is kBackoff
  bool failure;             // the exit was not one of ok-codes
};

// What happens to a sidecar or init task that exited on its own. may_restart
// is false once sidecars are being stopped.
AfterExit DecideAfterExit(const Decl& d, int wait_status, Millis ran_for, uint32_t quick_failures, Millis now,
                          bool may_restart);

enum class SignalAction : uint8_t {
  kForward,            // send forward_as to the main (or its group)
  kForwardAndShutdown, // the same, and shutdown begins
  kQueue,              // the main does not exist yet: deliver once it does
  kAbortStartup,       // TERM/INT/QUIT before the main started
  kDrop,               // rewritten to 0, or nobody left to receive it
};

struct SignalDecision {
  SignalAction action;
  int forward_as;
};

// During shutdown every signal, TERM/INT/QUIT included, is forwarded while
// the main runs and dropped once it has exited (SPEC §5).
SignalDecision DecideSignal(int sig, Phase phase, bool main_running, const Options& o);

// When a sidecar's stop signal turns into SIGKILL: stop_timeout, capped by
// what is left of the grace.
Millis StopDeadline(Millis now, Millis stop_timeout, Millis grace_end);

// cinit's exit status once the main has exited (SPEC §3): 124 if --timeout
// had to stop it, else its code or 128+N, with --remap-exit applied.
int MainExitCode(int wait_status, bool timed_out, const Options& o);
