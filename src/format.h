// A small printf for cinit's own messages. musl's printf brings in floating
// point formatting and more (about 10 KB) that cinit never uses; the static
// musl build routes snprintf/vsnprintf here instead (runtime.cpp).
// Supports: flags '-' '0' ' ' '+', width and precision (numbers or '*'),
// length hh h l ll z j t, conversions d i u x X o c s p %. Anything else
// is copied as it stands. Same return value as vsnprintf.
#pragma once

#include <cstdarg>
#include <cstddef>

int FormatV(char* buf, size_t size, const char* fmt, va_list ap);

// Appends printf-style text at buf + *len and advances *len; on overflow
// the text is cut at size - 1 (always NUL-terminated).
[[gnu::format(printf, 4, 5)]] void Append(char* buf, int size, int* len, const char* fmt, ...);
