// Signal names and the forwarding rules (SPEC §1, §3). Pure functions.
#pragma once

#include <string_view>

#include "result.h"

// "TERM", "SIGTERM", "term", "15", "RTMIN+3", "SIGRTMAX-1" -> number.
// allow_zero: "0" is accepted (for --rewrite DST, meaning drop).
Result<int> ParseSignal(std::string_view text, bool allow_zero = false);

// "TERM" for 15, "RTMIN+3" for 37; writes into buf.
const char* SignalName(int sig, char* buf, int size);

// Signals that begin shutdown when cinit receives them (TERM, INT, QUIT).
bool IsShutdownSignal(int sig);
