#include "address.h"

#include <cstring>

// Dotted-quad IPv4 into out[4]: four decimal parts 0-255, no leading zeros.
bool ParseIPv4(std::string_view t, uint8_t* out) {
  for (int part = 0; part < 4; part++) {
    if (part > 0) {
      if (t.empty() || t[0] != '.') return false;
      t.remove_prefix(1);
    }
    size_t n = 0;
    unsigned v = 0;
    while (n < t.size() && n < 4 && t[n] >= '0' && t[n] <= '9') v = v * 10 + (t[n++] - '0');
    if (n == 0 || n > 3 || v > 255 || (n > 1 && t[0] == '0')) return false;
    out[part] = static_cast<uint8_t>(v);
    t.remove_prefix(n);
  }
  return t.empty();
}

namespace {
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}
}  // namespace

// IPv6 text (RFC 4291 §2.2: groups, one "::", an IPv4 tail) into out[16].
// Written out rather than inet_pton(3), which is large in a static binary.
bool ParseIPv6(std::string_view t, uint8_t* out) {
  uint8_t b[16] = {};
  int len = 0, gap = -1;
  if (t.size() >= 2 && t[0] == ':' && t[1] == ':') {
    gap = 0;
    t.remove_prefix(2);
  }
  while (!t.empty()) {
    if (len == 16) return false;
    size_t dot = t.find('.'), colon = t.find(':');
    if (dot != std::string_view::npos && dot < colon) {  // IPv4 tail
      if (len > 12 || !ParseIPv4(t, b + len)) return false;
      len += 4;
      break;
    }
    unsigned v = 0;
    size_t n = 0;
    for (int h; n < t.size() && n < 5 && (h = HexDigit(t[n])) >= 0; n++) v = v << 4 | h;
    if (n == 0 || n > 4) return false;
    b[len++] = static_cast<uint8_t>(v >> 8);
    b[len++] = static_cast<uint8_t>(v);
    t.remove_prefix(n);
    if (t.empty()) break;
    if (t[0] != ':' || t.size() == 1) return false;
    t.remove_prefix(1);
    if (t[0] == ':') {
      if (gap >= 0) return false;
      gap = len;
      t.remove_prefix(1);
    }
  }
  if (gap < 0 ? len != 16 : len > 14) return false;
  memset(out, 0, 16);
  if (gap < 0) gap = len;
  memcpy(out, b, gap);
  memcpy(out + 16 - (len - gap), b + gap, len - gap);
  return true;
}

