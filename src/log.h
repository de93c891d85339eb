// Diagnostics: one line per message on stderr, each starting "cinit: ",
// written with a single write(2) so lines from cinit never interleave with
// each other. errno is preserved across calls.
#pragma once

// Verbosity 0 (the default) shows warnings and errors; -1 (TINI_VERBOSITY=0)
// errors only; 1 (-v) adds lifecycle events, 2 (-vv) signals and checks.
enum class LogLevel : int { kError = -1, kWarning = 0, kInfo = 1, kDebug = 2 };

// Messages above this verbosity are dropped (-v raises it).
void SetLogVerbosity(int verbosity);
int LogVerbosity();

[[gnu::format(printf, 2, 3)]] void Log(LogLevel level, const char* fmt, ...);

#define LOG_ERROR(...) Log(LogLevel::kError, __VA_ARGS__)
#define LOG_WARN(...) Log(LogLevel::kWarning, __VA_ARGS__)
#define LOG_INFO(...) Log(LogLevel::kInfo, __VA_ARGS__)
#define LOG_DEBUG(...) Log(LogLevel::kDebug, __VA_ARGS__)
