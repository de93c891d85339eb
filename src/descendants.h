// Finding cinit's descendants without kill(-1): outside a PID namespace
// (subreaper mode) kill(-1, ...) would reach every process of the host that
// cinit may signal, so shutdown signals its own descendants only (SPEC §5).
#pragma once

#include <sys/types.h>

// Sends sig to every live descendant of self (by walking /proc and the
// parent links, with fixed buffers: no allocation). Returns how many.
int SignalDescendants(pid_t self, int sig);

// The parent of pid from /proc/PID/stat; -1 if it cannot be read.
pid_t ParentOf(pid_t pid);
