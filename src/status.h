// The state file and "cinit status" (SPEC §6). The supervisor fills a
// StatusTable on every change; FormatStatus turns it into text and
// WriteStateFile replaces $CINIT_STATE_DIR/state atomically (write
// state.new, rename). "cinit status" reads it back and answers the
// Kubernetes exec probes. A failed write only warns, once.
#pragma once

#include <string_view>
#include <sys/types.h>

#include "cli.h"
#include "spec.h"

enum class ProcKind : uint8_t { kInit, kSidecar, kMain };
enum class ProcState : uint8_t { kPending, kStarting, kRunning, kBackoff, kStopping, kExited, kFailed };

const char* ProcKindName(ProcKind k);    // "init", "sidecar", "main"
const char* ProcStateName(ProcState s);  // "pending", "starting", "running", ...

struct StatusRow {
  char name[kMaxNameLen + 1] = {};
  ProcKind kind = ProcKind::kMain;
  ProcState state = ProcState::kPending;
  pid_t pid = 0;           // 0 when not running
  bool ready = false;
  uint32_t restarts = 0;
  int last_status = -1;    // exit code, 128+N for signal N, -1 never exited
};

struct StatusTable {
  StatusRow rows[kMaxDecls + 1];
  int count = 0;
};

// One header line, then one line per row:
//   NAME KIND STATE PID READY RESTARTS LAST
// fields separated by single spaces, every line ending in "\n"; READY is
// yes/no; PID is - when not running; LAST is - when never exited. Returns
// the length written (truncated to size; kStatusTextSize always suffices).
constexpr int kStatusTextSize = 128 * (kMaxDecls + 2);
int FormatStatus(const StatusTable& table, char* buf, int size);
// The inverse of FormatStatus; false on malformed text.
bool ParseStatus(std::string_view text, StatusTable* table);

// Exit code for a probe: --ready: 0 only if the main is running (and ready:
// with --ready notify it is not until READY=1) and every
// sidecar is ready (running with READY yes); --live: 0 only if the main is
// running and no sidecar is failed; neither: 0. Init tasks do not count.
// With a NAME, the question is about that process alone (1 if there is no
// such process): --ready: a sidecar running and ready, the main running, an
// init task exited 0 (the main: running and ready); --live: starting, running or in backoff (an init task:
// anything but failed).
int EvaluateStatus(const StatusTable& table, const StatusQuery& query);

struct StateFile {
  int dir_fd = -1;       // the state directory, opened O_DIRECTORY|O_NOFOLLOW
  bool warned = false;   // a failed write warns once
  char dir[256] = {};
};

// Picks the directory: env_dir (--state-dir / $CINIT_STATE_DIR) if set and
// not empty (then only that one: the probe reads with the same setting),
// else /run/cinit, else /dev/shm/cinit, else /tmp/cinit (these only if owned
// by cinit's user and not writable by others); creates it (0755) if missing; never follows a symlink in the
// last component. When none works, warns once and leaves dir_fd -1.
void OpenStateDir(const char* env_dir, StateFile* sf);
// Writes state.new (0644, O_NOFOLLOW; whatever sits at that name is removed
// first, so a planted symlink, fifo or hard link is never written through)
// then renames it over state. A failure warns once; cinit goes on.
void WriteStateFile(StateFile* sf, const char* text, int len);

// "cinit status [--ready|--live] [NAME]": reads the state file from the same
// directory choice, prints it (or the one row), returns the exit code.
int RunStatusCommand(const StatusQuery& query, const char* env_dir);
