// Errors are values: parsers and set-up steps return a Result that carries
// either a value or a one-line message saying what failed. No exceptions,
// no heap: the message lives in a fixed buffer inside the result.
#pragma once

#include <cstdarg>
#include <cstdio>

struct Error {
  // Only the first byte is cleared: zeroing the whole buffer in every
  // Result a parser returns costs code size for nothing.
  Error() { text[0] = '\0'; }
  // Room for the longest message: an unknown SPEC option with a 64-byte
  // word and the list of every option key (about 340 bytes).
  char text[352];
};

// Out of line so that the many Result<T> types share one copy.
[[gnu::noinline]] inline void FormatErrorV(Error* e, const char* fmt, va_list ap) {
  vsnprintf(e->text, sizeof e->text, fmt, ap);
}

[[gnu::format(printf, 2, 3)]] inline void FormatError(Error* e, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  FormatErrorV(e, fmt, ap);
  va_end(ap);
}

template <class T>
struct [[nodiscard]] Result {
  T value{};
  bool ok = true;
  Error error;

  static Result Ok(T v) {
    Result r;
    r.value = v;
    return r;
  }
  [[gnu::format(printf, 1, 2)]] static Result Fail(const char* fmt, ...) {
    Result r;
    r.ok = false;
    va_list ap;
    va_start(ap, fmt);
    FormatErrorV(&r.error, fmt, ap);
    va_end(ap);
    return r;
  }
  static Result Fail(const Error& e) {
    Result r;
    r.ok = false;
    r.error = e;
    return r;
  }
};

// For steps that produce nothing but success or an error.
struct Unit {};
using Status = Result<Unit>;
inline Status Ok() { return Status::Ok(Unit{}); }
