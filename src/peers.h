// The environment switches of tini and dumb-init (SPEC §1). `docker --init`
// and `podman --init` run the init as `INIT -- CMD` with no way to pass
// flags, so users of those peers configure it through these variables; cinit
// honours them with the peer's meaning, mapped onto its own options:
//
//   TINI_SUBREAPER           present: subreaper. cinit always is one: no effect
//   TINI_KILL_PROCESS_GROUP  present (any value, even 0, as tini): -g
//   TINI_VERBOSITY=N         tini's level N (1 = its default, warnings):
//                            cinit's N-1; 0 = errors only
//   DUMB_INIT_SETSID=0       child only (cinit's default); any other value:
//                            -g (dumb-init's setsid mode signals the group)
//   DUMB_INIT_DEBUG=1        -v (any other value: no effect, as dumb-init)
//
// They are applied after the config file and before CINIT_* and the command
// line, which therefore win. Unlike CINIT_* they reach the children as they
// are, as under tini and dumb-init (a nested peer reads them the same way).
#pragma once

#include "cli.h"
#include "result.h"

// Applies the peers' variables in envp to opts. An error (TINI_VERBOSITY
// that is not a number) names the variable; cinit exits 125.
Status ApplyPeerVariables(char* const* envp, Options* opts);
