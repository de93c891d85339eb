// Invariants the fuzz targets check on every successful parse, beyond "no
// crash": a parser that accepts input must leave a value the loop can use
// without further checks (names valid, ARGV NULL-terminated and inside the
// arena, durations in range). A violated invariant aborts, which libFuzzer
// reports as a finding with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "cli.h"
#include "signals.h"
#include "spec.h"
#include "units.h"

#define FUZZ_REQUIRE(cond)                                                   \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
              __LINE__);                                                     \
      abort();                                                               \
    }                                                                        \
  } while (0)

namespace fuzz {

// A C string whose bytes (and NUL) lie inside the used part of the arena.
inline bool InArena(const Arena& a, const char* p) {
  if (p < a.bytes || p >= a.bytes + a.used) return false;
  return memchr(p, '\0', static_cast<size_t>(a.bytes + a.used - p)) != nullptr;
}

// Every error message is a NUL-terminated line inside its fixed buffer.
inline void CheckError(const Error& e) {
  const void* nul = memchr(e.text, '\0', sizeof e.text);
  FUZZ_REQUIRE(nul != nullptr);
}

inline bool ValidName(const char* n) {
  size_t len = strnlen(n, kMaxNameLen + 1);
  if (len == 0 || len > static_cast<size_t>(kMaxNameLen)) return false;
  for (size_t i = 0; i < len; i++) {
    char c = n[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
  }
  return strcmp(n, "main") != 0;
}

inline bool ValidDuration(Millis d) { return d >= 0 && d <= kMaxDuration; }

inline void CheckDecl(const Decl& d, const Arena& a) {
  FUZZ_REQUIRE(ValidName(d.name));
  FUZZ_REQUIRE(d.argc >= 1 && d.argc <= kMaxArgs);
  FUZZ_REQUIRE(d.argv[d.argc] == nullptr);
  for (int i = 0; i < d.argc; i++) FUZZ_REQUIRE(d.argv[i] != nullptr && InArena(a, d.argv[i]));
  FUZZ_REQUIRE(d.argv[0][0] != '\0');
  FUZZ_REQUIRE(d.env_count >= 0 && d.env_count <= kMaxEnv && d.env[d.env_count] == nullptr);
  for (int i = 0; i < d.env_count; i++) {
    FUZZ_REQUIRE(InArena(a, d.env[i]));
    const char* eq = strchr(d.env[i], '=');
    FUZZ_REQUIRE(eq != nullptr && eq != d.env[i]);
  }
  FUZZ_REQUIRE(ValidDuration(d.ready_timeout) && d.ready_timeout > 0);
  FUZZ_REQUIRE(ValidDuration(d.stop_timeout));
  FUZZ_REQUIRE(ValidDuration(d.backoff) && d.backoff > 0);
  FUZZ_REQUIRE(ValidDuration(d.backoff_max) && d.backoff_max >= d.backoff);
  FUZZ_REQUIRE(d.stop_signal >= 1 && d.stop_signal <= kMaxSignal);
  FUZZ_REQUIRE(d.max_restarts <= 1000000);
  if (d.user) FUZZ_REQUIRE(InArena(a, d.user) && d.user[0] != '\0');
  if (d.cwd) FUZZ_REQUIRE(InArena(a, d.cwd) && d.cwd[0] == '/');
  if (d.kind == DeclKind::kInit) {
    FUZZ_REQUIRE(d.restart != RestartPolicy::kAlways);
    FUZZ_REQUIRE(d.ready.kind == ReadyKind::kNone);
  }
  const ReadyCheck& r = d.ready;
  switch (r.kind) {
    case ReadyKind::kNone: break;
    case ReadyKind::kTcp: FUZZ_REQUIRE(r.port >= 1); break;
    case ReadyKind::kHttp:
      FUZZ_REQUIRE(r.port >= 1);
      FUZZ_REQUIRE(r.http_path != nullptr && r.http_path[0] == '/');
      for (const char* c = r.http_path; *c; c++)
        FUZZ_REQUIRE(static_cast<unsigned char>(*c) > ' ' && *c != 0x7f);
      break;
    case ReadyKind::kExec: {
      int n = 0;
      while (n <= kMaxArgs && r.exec_argv[n]) {
        FUZZ_REQUIRE(InArena(a, r.exec_argv[n]));
        n++;
      }
      FUZZ_REQUIRE(n >= 1 && n <= kMaxArgs && r.exec_argv[0][0] != '\0');
      break;
    }
    case ReadyKind::kFile: FUZZ_REQUIRE(r.file_path != nullptr && InArena(a, r.file_path) && r.file_path[0] == '/'); break;
    case ReadyKind::kFd: FUZZ_REQUIRE(r.fd >= 3 && r.fd <= 1023); break;
    case ReadyKind::kNotify: break;
  }
  FUZZ_REQUIRE(memchr(d.origin.text, '\0', sizeof d.origin.text) != nullptr);
}

inline void CheckTable(const DeclTable& t, const Arena& a) {
  FUZZ_REQUIRE(a.used >= 0 && a.used <= kArenaSize);
  FUZZ_REQUIRE(t.count >= 0 && t.count <= kMaxDecls);
  for (int i = 0; i < t.count; i++) {
    CheckDecl(t.decls[i], a);
    for (int j = 0; j < i; j++) FUZZ_REQUIRE(strcmp(t.decls[i].name, t.decls[j].name) != 0);
  }
}

inline void CheckOptions(const Options& o) {
  FUZZ_REQUIRE(ValidDuration(o.grace));
  FUZZ_REQUIRE(ValidDuration(o.timeout));
  FUZZ_REQUIRE(o.pdeathsig >= 0 && o.pdeathsig <= kMaxSignal);
  for (int s = 0; s <= kMaxSignal; s++) FUZZ_REQUIRE(o.rewrite[s] >= -1 && o.rewrite[s] <= kMaxSignal);
  FUZZ_REQUIRE(o.verbosity >= 0);
  FUZZ_REQUIRE(memchr(o.user, '\0', sizeof o.user) != nullptr);
}

}  // namespace fuzz
