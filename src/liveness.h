// Liveness of each sidecar (SPEC §7: live=, live-interval=, live-failures=,
// live-timeout=). A second Probe per process (readiness.h) runs the check:
// first one live-interval after the sidecar became ready, then one every
// live-interval, each attempt given live-timeout. Only while the process
// runs and is ready; a sidecar without live= has no timer at all.
// live-failures failed attempts in a row stop the process (its stop-signal,
// SIGKILL after stop-timeout); its exit then counts as a failure under its
// restart policy, and critical applies.
#pragma once

#include <cstdint>
#include <sys/types.h>

#include "spec.h"
#include "units.h"

struct World;
struct Proc;

// One finished attempt: counts it in *failed_in_a_row; true once the
// process must be stopped (the count reached max_failures).
bool CountLiveAttempt(uint32_t* failed_in_a_row, bool passed, uint32_t max_failures);
// The wait status the restart policy sees for a process stopped for its
// liveness: its own if that is a failure, else death by its stop signal
// (a process that exits 0 on TERM still failed its check).
int LiveFailureStatus(const Decl& d, int wait_status);

// The sidecar became ready: the first check is due one interval later.
void LiveArm(Proc* p, Millis now);
// Events for the check of p (the loop routes them by Source / pid).
void LiveOnEvent(World* w, Proc* p, short revents, Millis now);
void LiveOnExit(World* w, Proc* p, int wait_status, Millis now);
void LiveOnTimer(World* w, Proc* p, Millis now);
