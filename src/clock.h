// The monotonic clock in milliseconds, and a per-pass cache of it: the loop
// reads the time at most once per pass, and only when something needs it
// (forwarding a signal, reaping an orphan or answering a probe on the spot
// needs no clock at all).
#pragma once

#include "units.h"

Millis Now();

struct Clock {
  Millis value = 0;
  Millis Get() {
    if (!value) value = Now();
    return value;
  }
};
