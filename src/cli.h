// The command line and its environment forms (SPEC §1): pure parsing into
// an Options struct. Sources, lowest precedence first: the config file's
// "key = value" lines, CINIT_<NAME> variables, command-line flags.
// Declarations (--sidecar/--init, CINIT_SIDECAR_<n>/CINIT_INIT_<n>, config
// "sidecar"/"init" lines) are collected into a DeclTable in that same order.
#pragma once

#include <cstdint>
#include <string_view>

#include "result.h"
#include "spec.h"
#include "units.h"
#include "watch.h"

constexpr int kMaxSignal = 64;

enum class Mode : uint8_t { kRun, kHelp, kVersion, kLicense, kStatus };

struct StatusQuery {
  bool ready = false;
  bool live = false;
  const char* name = nullptr;
};

// --watch PATH:SIGNAL
struct MainWatch {
  char path[kWatchPathMax];
  int signal;
};

struct Options {
  Mode mode = Mode::kRun;
  bool pgroup = false;                 // -g
  int8_t rewrite[kMaxSignal + 1];      // -r: signal -> signal; 0 drops; -1 unchanged
  uint64_t remap_exit[4] = {};         // -e: bit per exit code
  int pdeathsig = 0;                   // -p; 0 = off
  Millis timeout = 0;                  // -t; 0 = off
  Millis grace = 10000;                // --grace
  char user[128] = {};                 // -u USER[:GROUP]; empty: unchanged
  int verbosity = 0;                   // -v (repeatable)
  bool warn_reaped = false;            // -w
  bool log_prefix = false;             // --log-prefix
  const char* config_path = nullptr;   // --config; nullptr: /etc/cinit.conf if present
  bool config_explicit = false;        // --config/CINIT_CONFIG given: missing file is an error
  MainWatch watch[kMaxMainWatches];   // --watch (repeatable)
  int watch_count = 0;
  const char* state_dir = nullptr;     // --state-dir / CINIT_STATE_DIR; nullptr: the default places
  StatusQuery status;                  // "cinit status ..."
  uint16_t health_port = 0;            // --health-listen; 0 = off
  bool health_ipv6 = false;
  uint8_t health_addr[16] = {};
  bool ready_notify = false;           // --ready notify: the main is ready on READY=1
  char** command = nullptr;            // main's argv, NULL-terminated (points into argv)

  Options() {
    for (auto& r : rewrite) r = -1;
  }
};

inline bool IsRemapped(const Options& o, int code) {
  return code >= 0 && code < 256 && (o.remap_exit[code / 64] >> (code % 64)) & 1;
}

// Sets one global option by its long name (without "--"), as used by the
// config file ("grace = 20s") and the CINIT_<NAME> variables. Flags without a
// value ("pgroup", "log-prefix", "warn-reaped") take a yes/no value here.
Status ApplyOption(Options* opts, std::string_view name, std::string_view value);

// Reads the config file at path into opts and decls. Supplied by config.cpp;
// a parameter so that cli tests need no file system.
using ConfigLoader = Status (*)(const char* path, bool explicit_path, Options* opts,
                                DeclTable* decls, Arena* arena);

// Parses argv and envp (SPEC §1): loads the config file through load_config
// (may be nullptr), then applies the environment, then the command line.
// Returns an error for bad usage (cinit exits 125).
Status ParseInvocation(int argc, char** argv, char** envp, ConfigLoader load_config,
                       Options* opts, DeclTable* decls, Arena* arena);

// True for variables that are cinit's alone and never reach a child as
// they are: CINIT_* (they configure cinit) and NOTIFY_SOCKET (cinit's own
// service manager's; a ready=notify child gets cinit's socket instead).
bool IsCinitVariable(const char* env_entry);

// For a CINIT_* entry ("CINIT_GRAEC=5s") that configures nothing: true, and
// the closest known variable ("CINIT_GRACE") in closest, for the one warning
// cinit gives it (a typo must not pass silently, nor stop the container).
bool UnknownCinitVariable(const char* env_entry, char* closest, size_t size);

// The --help text.
extern const char kUsage[];
