// One row of a status table, as the unit tests of status.cpp and health.cpp
// build their tables.
#pragma once

#include <cstdint>
#include <cstdio>
#include <sys/types.h>

#include "status.h"

inline StatusRow Row(const char* name, ProcKind kind, ProcState state, pid_t pid, bool ready, uint32_t restarts = 0,
                     int last = -1) {
  StatusRow r;
  snprintf(r.name, sizeof r.name, "%s", name);
  r.kind = kind;
  r.state = state;
  r.pid = pid;
  r.ready = ready;
  r.restarts = restarts;
  r.last_status = last;
  return r;
}
