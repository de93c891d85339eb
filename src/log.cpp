#include "log.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <unistd.h>

namespace {
int g_verbosity = 0;
}

void SetLogVerbosity(int verbosity) { g_verbosity = verbosity; }
int LogVerbosity() { return g_verbosity; }

void Log(LogLevel level, const char* fmt, ...) {
  if (static_cast<int>(level) > g_verbosity) return;
  int saved_errno = errno;
  char line[512];
  int n = snprintf(line, sizeof line - 1, "cinit: ");
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - 1 - n, fmt, ap);
  va_end(ap);
  if (m < 0) m = 0;
  n += m;
  if (n > static_cast<int>(sizeof line) - 2) n = sizeof line - 2;
  line[n++] = '\n';
  // A full or closed stderr must never stop PID 1: the result is ignored.
  ssize_t ignored = write(STDERR_FILENO, line, n);
  (void)ignored;
  errno = saved_errno;
}
