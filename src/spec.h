// Sidecar and init-task declarations (SPEC §4): the SPEC string
//   NAME [OPTION...] -- ARGV...
// split into words shell-like (whitespace separates; '...' literal; "..."
// allows \" and \\; a backslash outside quotes escapes one character; no
// expansion), validated, and stored in fixed-capacity tables so the
// supervision loop never allocates. Pure functions, no system calls.
#pragma once

#include <cstdint>
#include <string_view>

#include "result.h"
#include "units.h"

// The limits a user can meet (README "Limits"); each error names its limit.
// The tables they size are never zeroed or touched beyond what is used, so
// unused capacity costs no resident memory.
constexpr int kMaxDecls = 64;            // sidecars + init tasks together
constexpr int kMaxArgs = 256;            // words of one ARGV (also of ready=exec:)
constexpr int kMaxEnv = 16;              // env= options of one declaration
constexpr int kMaxNameLen = 32;
constexpr int kMaxDeclWatches = 4;  // watch= options of one declaration
constexpr int kArenaSize = 256 * 1024;   // all unquoted words of all declarations

// Bump allocator for the words of declarations; filled before the loop starts.
struct Arena {
  char bytes[kArenaSize];
  int used = 0;
};
// Copies text into the arena with a NUL; nullptr when the arena is full.
char* ArenaCopy(Arena* arena, std::string_view text);

enum class DeclKind : uint8_t { kInit, kSidecar };
enum class RestartPolicy : uint8_t { kAlways, kOnFailure, kNever };
enum class ReadyKind : uint8_t { kNone, kTcp, kHttp, kExec, kFile, kFd, kNotify };
enum class LogMode : uint8_t { kGlobal, kPrefix, kInherit };

struct ReadyCheck {
  ReadyKind kind = ReadyKind::kNone;
  // tcp/http: address parsed at validation time (IPv4, [IPv6] or localhost).
  bool ipv6 = false;
  uint8_t addr[16] = {};
  uint16_t port = 0;
  const char* http_path = nullptr;        // "/..." (arena)
  const char* file_path = nullptr;        // file: (arena)
  int fd = -1;                            // fd:N
  const char* exec_argv[kMaxArgs + 1] = {};  // exec: words (arena), NULL-terminated
};

// Where a declaration came from, for error messages: "/etc/cinit.conf:7",
// "CINIT_SIDECAR_2", "--sidecar #1".
struct Origin {
  char text[96] = {};
};

struct Decl {
  DeclKind kind = DeclKind::kSidecar;
  char name[kMaxNameLen + 1] = {};
  RestartPolicy restart = RestartPolicy::kAlways;  // init tasks: kNever unless given
  uint64_t ok_codes[4] = {1, 0, 0, 0};             // bit per exit code; default {0}
  ReadyCheck ready;
  Millis ready_timeout = 60000;
  bool critical = false;
  int stop_signal = 15;
  Millis stop_timeout = 5000;
  Millis backoff = 1000;
  Millis backoff_max = 30000;
  uint32_t max_restarts = 0;                       // 0 = unlimited
  const char* user = nullptr;                      // USER[:GROUP] (arena)
  const char* cwd = nullptr;
  const char* env[kMaxEnv + 1] = {};               // "K=V" (arena), NULL-terminated
  int env_count = 0;
  LogMode log = LogMode::kGlobal;
  const char* watch[kMaxDeclWatches] = {};         // watch=PATH (arena), absolute
  int watch_count = 0;
  int on_change = 0;                               // on-change=: 0 restart, else the signal
  ReadyCheck live;                                 // live=: tcp/http/exec/file; kNone: no check
  Millis live_interval = 10000;
  uint32_t live_failures = 3;
  Millis live_timeout = 1000;                      // one attempt (kProbeAttemptMax)
  const char* argv[kMaxArgs + 1] = {};             // NULL-terminated (arena)
  int argc = 0;
  Origin origin;
};

// Levenshtein distance, used only to suggest the name the user meant (SPEC
// options, CINIT_* variables). Words over 32 characters count as far apart.
int EditDistance(std::string_view a, std::string_view b);

inline bool IsOkCode(const Decl& d, int code) {
  return code >= 0 && code < 256 && (d.ok_codes[code / 64] >> (code % 64)) & 1;
}

// Splits text into at most max_words words (unquoted, NUL-terminated, in the
// arena). Errors: unterminated quote, trailing backslash, too many words.
Result<int> SplitWords(std::string_view text, Arena* arena, const char** words, int max_words);

// Parses one SPEC string into *out (kind and origin are set by the caller
// before the call and kept). Error text does not include the origin; the
// caller prefixes it.
Status ParseDecl(std::string_view spec, DeclKind kind, Arena* arena, Decl* out);

// The ordered set of declarations from every source.
struct DeclTable {
  // Slots are assigned whole by AddOrReplace, so unused ones are never
  // constructed (or touched: they stay out of resident memory).
  union {
    Decl decls[kMaxDecls];
  };
  int count = 0;
  DeclTable() {}
  ~DeclTable() {}
};

// "HOST:PORT" as in ready=tcp: (numeric IPv4, [IPv6] or localhost), for
// --health-listen: fills r->ipv6, r->addr and r->port.
Status ParseHostAndPort(std::string_view text, ReadyCheck* r);

// Adds d, or replaces in place an earlier declaration with the same name
// (SPEC §4: later definitions of a NAME replace earlier ones in place).
Status AddOrReplace(DeclTable* table, const Decl& d);
