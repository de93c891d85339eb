// FormatV must agree with the C library's snprintf on every format cinit
// uses, since the static musl build routes snprintf to it.
#include "format.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdio>
#include <string>

namespace {

std::string Ours(size_t size, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = FormatV(buf, size, fmt, ap);
  va_end(ap);
  return std::to_string(n) + ":" + std::string(buf, size ? strnlen(buf, size) : 0);
}

std::string Libc(size_t size, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return std::to_string(n) + ":" + std::string(buf, size ? strnlen(buf, size) : 0);
}

#define SAME(size, ...) EXPECT_EQ(Ours(size, __VA_ARGS__), Libc(size, __VA_ARGS__))

TEST(Format, Integers) {
  SAME(512, "%d %d %d %i", 0, -1, INT_MAX, INT_MIN);
  SAME(512, "%u %x %X %o", 4000000000u, 0xbeefu, 0xBEEFu, 8u);
  SAME(512, "%ld %lld %lu %llu %zu", -5L, LLONG_MIN, ULONG_MAX, 12ULL, size_t{99});
  SAME(512, "[%5d] [%-5d] [%05d] [%+d] [% d] [%.3d] [%8.3d]", 42, 42, -42, 7, 7, 5, -5);
  SAME(512, "[%*d] [%-*d]", 6, 1, 6, 2);
}

TEST(Format, StringsAndChars) {
  SAME(512, "%s|%10s|%-10s|%.2s|%.*s", "abc", "right", "left", "cut", 3, "abcdef");
  SAME(512, "%c%c%%", 'o', 'k');
  SAME(512, "%.*s", 0, "nothing");
}

TEST(Format, TruncatesLikeSnprintf) {
  SAME(5, "%s and more", "text");
  SAME(1, "%d", 12345);
  SAME(0, "%d", 12345);
  SAME(8, "cinit: %s", "a long message");
}

TEST(Format, PlainText) {
  SAME(512, "no directives here");
  SAME(512, "");
}

}  // namespace
