// Readiness checks for sidecars (SPEC §4 ready=): tcp:, http://, exec:,
// file:, fd:. A check is a sequence of attempts driven by the supervisor's
// one loop: an attempt either waits on a descriptor (non-blocking connect,
// HTTP exchange, the fd:N pipe), on the exit of an exec: process, or on a
// timer; nothing here blocks or sleeps. Between failed attempts the next one
// starts kProbeInterval later. The ready-timeout is the supervisor's.
#pragma once

#include <sys/types.h>

#include "spawn.h"
#include "spec.h"
#include "units.h"

constexpr Millis kProbeInterval = 200;     // between attempts
constexpr Millis kProbeAttemptMax = 1000;  // one tcp/http/exec attempt (SPEC: http answer within 1s)

enum class ProbeResult : uint8_t { kPending, kReady };

struct Probe {
  int fd = -1;             // the one descriptor to poll, -1 none (fd:N: == ready_pipe)
  short events = 0;        // POLLIN / POLLOUT wanted on fd
  int ready_pipe = -1;     // fd: the read end, kept across attempts
  pid_t exec_pid = -1;     // exec: the running check, -1 none
  Millis wake_at = 0;      // when ProbeOnTimer must be called, 0 never
  int sent = 0;            // http: bytes of the request written
  int received = 0;        // http: bytes of the answer read
  char buf[256] = {};      // http: the start of the answer
  int attempts = 0;        // attempts since ProbeStart (the first one warns)
  uint32_t failed = 0;     // failed attempts, ever (a liveness check counts them)
  Millis interval = kProbeInterval;       // from a failed attempt to the next
  Millis attempt_max = kProbeAttemptMax;  // one tcp/http/exec attempt
  const char* name = nullptr;   // sidecar name for messages; set by the caller
  char last_failure[96] = {};   // why the last attempt failed, for timeout messages
};

// Before each start of the process: removes a file: target; for fd:N
// creates the pipe and returns its write end in *child_fd (the caller passes
// it to Spawn as ready_fd and closes it after). Else *child_fd = -1.
Status ProbeBeforeStart(Probe* p, const ReadyCheck& check, int* child_fd);

// Right after the process started: begins the first attempt.
ProbeResult ProbeStart(Probe* p, const ReadyCheck& check, const Inherited& inherited, Millis now);
// p->fd had events (revents from poll).
ProbeResult ProbeOnEvent(Probe* p, const ReadyCheck& check, const Inherited& inherited, short revents, Millis now);
// The exec: check process p->exec_pid was reaped with wait status (the
// caller may already have set p->exec_pid to -1).
ProbeResult ProbeOnExit(Probe* p, const ReadyCheck& check, const Inherited& inherited, int wait_status, Millis now);
// now >= p->wake_at: attempt timed out, or time for the next attempt.
ProbeResult ProbeOnTimer(Probe* p, const ReadyCheck& check, const Inherited& inherited, Millis now);

// Stops the check: closes descriptors, kills (SIGKILL) an exec: check's
// process group — its exit is then reaped as an unknown child.
void ProbeStop(Probe* p);

// Pure helpers, for tests.
// Builds "GET PATH HTTP/1.0\r\nHost: HOST:PORT\r\nConnection: close\r\n\r\n"
// (HOST in brackets for IPv6); returns its length, or -1 if it does not fit.
int FormatHttpRequest(const ReadyCheck& check, char* buf, int size);
// 1 = ready (2xx/3xx status line), 0 = not ready, -1 = need more bytes.
int ParseHttpStatus(const char* data, int len);
