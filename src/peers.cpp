#include "peers.h"

#include <cstring>

#include "units.h"

namespace {

// The value of NAME in entry "NAME=VALUE", or nullptr.
const char* ValueOf(const char* entry, const char* name) {
  size_t n = strlen(name);
  return strncmp(entry, name, n) == 0 && entry[n] == '=' ? entry + n + 1 : nullptr;
}

}  // namespace

Status ApplyPeerVariables(char* const* envp, Options* o) {
  bool tini_group = false;
  int setsid = -1;     // DUMB_INIT_SETSID: -1 absent, 0 child only, 1 group
  int verbosity = -2;  // -2: neither TINI_VERBOSITY nor DUMB_INIT_DEBUG=1
  bool debug = false;
  for (char* const* e = envp; e && *e; e++) {
    const char* v;
    if (ValueOf(*e, "TINI_KILL_PROCESS_GROUP")) {
      tini_group = true;  // tini tests presence, not the value
    } else if ((v = ValueOf(*e, "TINI_VERBOSITY"))) {
      auto n = ParseUnsigned(v, 1000000);
      if (!n.ok) return Status::Fail("TINI_VERBOSITY: %s: give tini's level, 0 (errors only) to 4", n.error.text);
      verbosity = static_cast<int>(n.value > 10 ? 10 : n.value) - 1;
    } else if ((v = ValueOf(*e, "DUMB_INIT_SETSID"))) {
      setsid = strcmp(v, "0") != 0;
    } else if ((v = ValueOf(*e, "DUMB_INIT_DEBUG"))) {
      debug = strcmp(v, "1") == 0;
    }
    // TINI_SUBREAPER: cinit registers as a subreaper whenever it is not PID 1.
  }
  // Both peers asking: a group request wins over child-only.
  if (tini_group || setsid == 1) o->pgroup = true;
  else if (setsid == 0) o->pgroup = false;
  if (debug && verbosity < 1) verbosity = 1;
  if (verbosity != -2) o->verbosity = verbosity;
  return Ok();
}
