// The few libstdc++ functions that header-only code may call, for the
// static musl build, which links no libstdc++ (packaging/musl-toolchain.cmake
// defines CINIT_NO_LIBSTDCXX). They are reached only through a bug (an
// out-of-range string_view::substr, say): cinit says so and aborts.
#ifdef CINIT_NO_LIBSTDCXX
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include "format.h"

// cinit formats with its own small printf: defining these here keeps
// musl's (with floating point) out of the static binary.
extern "C" int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) { return FormatV(buf, size, fmt, ap); }
extern "C" int snprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = FormatV(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

// strerror(3) is musl's own, with the full table: every error a user can
// meet reads as words, never as a bare number.

namespace {
[[noreturn]] void InternalError() {
  static const char msg[] = "cinit: internal error (a C++ library check failed): please report this as a bug\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  // As PID 1, SIGABRT from abort() would be ignored; a trap ends it for sure.
  __builtin_trap();
}
}  // namespace

namespace std {
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) { InternalError(); }
[[noreturn]] void __throw_out_of_range(const char*) { InternalError(); }
[[noreturn]] void __throw_length_error(const char*) { InternalError(); }
[[noreturn]] void __throw_logic_error(const char*) { InternalError(); }
[[noreturn]] void __throw_invalid_argument(const char*) { InternalError(); }
[[noreturn]] void __throw_bad_alloc() { InternalError(); }
[[noreturn]] void __throw_bad_function_call() { InternalError(); }
}  // namespace std

// Pure virtual calls cannot happen (no virtual functions), but keep the
// linker from pulling anything in if a header mentions it.
extern "C" [[noreturn]] void __cxa_pure_virtual() { InternalError(); }
#endif
