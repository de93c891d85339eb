// Support for the sidecar integration tests (SPEC §4-§6), on top of
// harness.h: a standard set-up for one run (a directory, an event channel,
// a private state directory), the probe command `cinit status` run from the
// test side, the state file parsed, and a few kernel look-ups.
//
// Conventions of the scripts the tests run under cinit (all /bin/sh):
//   $D     the run's directory (files, markers)
//   $EV    the event channel: every process writes one line per event
//   $HOLD  a channel nobody ever writes: `read x < $HOLD` blocks forever.
//          Not where a trap must run: a signal that lands between dash's
//          check for pending traps and its read(2) leaves it blocked for
//          good (seen under CI load). There `while :; do sleep 0.1; done`
//          reaches a command boundary at once (cinit signals the group).
//   $GO    a channel the test writes to release a waiting process
// Every variable reaches the sidecars too: cinit passes its environment on.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "harness.h"

namespace cinit_test {

// One run's surroundings. The channels exist before cinit starts.
struct SidecarRun {
  TempDir dir;
  Channel ev{dir, "ev"};
  Channel hold{dir, "hold"};
  Channel go{dir, "go"};
  std::string state_dir;  // $CINIT_STATE_DIR, a private directory in dir

  SidecarRun();
  // PID-namespace options with D, EV, HOLD, GO and CINIT_STATE_DIR set.
  Options MakeOptions(std::vector<std::string> args) const;
  // The state file text ("" if none yet).
  std::string State() const;
};

// `cinit status ARGS...` run by the test process (outside the namespace)
// with CINIT_STATE_DIR=state_dir, as a Kubernetes exec probe would be.
struct StatusResult {
  int code = -1;  // exit code, 128+N if killed, -1 if it could not run
  std::string out, err;
};
StatusResult RunStatus(const std::string& state_dir, std::vector<std::string> args = {});

// One row of the state file.
struct StateRow {
  std::string name, kind, state, pid, ready, last;
  unsigned long restarts = 0;
};
// The whole file: the exact header, then rows of 7 single-space-separated
// fields, every line ending in '\n'. nullopt if anything is off.
std::optional<std::vector<StateRow>> ParseState(const std::string& text);
// The row named `name` of a parsed state text, if any.
std::optional<StateRow> FindRow(const std::string& text, const std::string& name);
// Waits until the state file has a row `name` in `state`.
bool WaitForState(const SidecarRun& run, const std::string& name, const std::string& state,
                  Ms timeout = kDefaultTimeout);

// The host pid of the process below `cinit` whose pid inside cinit's PID
// namespace is ns_pid (from NSpid in /proc/PID/status); -1 if none.
pid_t HostPid(const Cinit& cinit, pid_t ns_pid);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeTcpPort();

// "tag 123.45" -> 123.45 (the last word as a number); -1 if none.
double LastNumber(const std::string& line);

// Lines of `text` that start with `prefix`.
std::vector<std::string> LinesStartingWith(const std::string& text, const std::string& prefix);

// Reads lines from a channel until `count` of them start with `prefix` (the
// others are appended to *other when given); returns those lines, fewer on
// timeout.
std::vector<std::string> ReadLinesWithPrefix(Channel& ch, const std::string& prefix, size_t count,
                                             Ms timeout = kDefaultTimeout,
                                             std::vector<std::string>* other = nullptr);

// The next n lines of a channel (fewer on timeout).
std::vector<std::string> ReadLines(Channel& ch, size_t n, Ms timeout = kDefaultTimeout);
// Lines joined with '\n', for failure messages.
std::string Join(const std::vector<std::string>& lines);

// chmod that reports failures to gtest.
void Chmod(const std::string& path, mode_t mode);

}  // namespace cinit_test
