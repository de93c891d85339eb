#include "format.h"

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace {

struct Sink {
  char* buf;
  size_t size;
  size_t len = 0;
  void Put(char c) {
    if (len + 1 < size) buf[len] = c;
    len++;
  }
  void Repeat(char c, int n) {
    for (; n > 0; n--) Put(c);
  }
};

// Digits of v in base, most significant first, into tmp (returns count).
int Digits(uintmax_t v, unsigned base, bool upper, char* tmp) {
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  do {
    tmp[n++] = set[v % base];
    v /= base;
  } while (v);
  for (int i = 0; i < n / 2; i++) {
    char t = tmp[i];
    tmp[i] = tmp[n - 1 - i];
    tmp[n - 1 - i] = t;
  }
  return n;
}

}  // namespace

static_assert(sizeof(size_t) == sizeof(long) && sizeof(ptrdiff_t) == sizeof(long), "%zu and %td read a long");

int FormatV(char* buf, size_t size, const char* fmt, va_list ap) {
  Sink out{buf, size};
  for (const char* p = fmt; *p; p++) {
    if (*p != '%') {
      out.Put(*p);
      continue;
    }
    const char* start = p++;
    bool left = false, zero = false, plus = false, space = false;
    for (;; p++) {
      if (*p == '-') left = true;
      else if (*p == '0') zero = true;
      else if (*p == '+') plus = true;
      else if (*p == ' ') space = true;
      else break;
    }
    int width = 0;
    if (*p == '*') {
      width = va_arg(ap, int);
      if (width < 0) left = true, width = -width;
      p++;
    } else {
      while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    }
    int precision = -1;
    if (*p == '.') {
      p++;
      precision = 0;
      if (*p == '*') {
        precision = va_arg(ap, int);
        p++;
      } else {
        while (*p >= '0' && *p <= '9') precision = precision * 10 + (*p++ - '0');
      }
    }
    int longs = 0;  // 0 int, 1 long / size_t / ptrdiff_t, 2 long long / intmax_t
    bool narrow = false;
    for (;; p++) {
      if (*p == 'l') longs++;
      // size_t and ptrdiff_t are as wide as a long on every Linux ABI (4
      // bytes on i386 and 32-bit ARM), intmax_t as a long long.
      else if (*p == 'z' || *p == 't') longs = 1;
      else if (*p == 'j') longs = 2;
      else if (*p == 'h') narrow = true;
      else break;
    }
    char tmp[24];
    const char* text = tmp;
    int text_len = 0;
    char sign = 0;
    bool numeric = true;
    switch (*p) {
      case 'd':
      case 'i': {
        intmax_t v = longs == 0 ? va_arg(ap, int) : longs == 1 ? va_arg(ap, long) : va_arg(ap, long long);
        uintmax_t mag = v < 0 ? 0 - static_cast<uintmax_t>(v) : static_cast<uintmax_t>(v);
        sign = v < 0 ? '-' : plus ? '+' : space ? ' ' : 0;
        text_len = Digits(mag, 10, false, tmp);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o':
      case 'p': {
        uintmax_t v;
        if (*p == 'p') v = reinterpret_cast<uintptr_t>(va_arg(ap, void*));
        else v = longs == 0 ? va_arg(ap, unsigned) : longs == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned long long);
        if (narrow && longs == 0 && *p != 'p') v &= 0xffff;
        unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
        text_len = Digits(v, base, *p == 'X', tmp);
        if (*p == 'p') {
          out.Put('0');
          out.Put('x');
          width -= 2;
        }
        break;
      }
      case 'c':
        tmp[0] = static_cast<char>(va_arg(ap, int));
        text_len = 1;
        numeric = false;
        break;
      case 's': {
        text = va_arg(ap, const char*);
        if (!text) text = "(null)";
        while ((precision < 0 || text_len < precision) && text[text_len]) text_len++;
        numeric = false;
        break;
      }
      case '%':
        out.Put('%');
        continue;
      default:  // unknown: copy the directive as written
        for (const char* c = start; c <= p && *c; c++) out.Put(*c);
        if (!*p) p--;
        continue;
    }
    int zeros = numeric && precision > text_len ? precision - text_len : 0;
    int body = text_len + zeros + (sign ? 1 : 0);
    int pad = width > body ? width - body : 0;
    bool pad_zero = zero && !left && numeric && precision < 0;
    if (!left && !pad_zero) out.Repeat(' ', pad);
    if (sign) out.Put(sign);
    if (pad_zero) out.Repeat('0', pad);
    out.Repeat('0', zeros);
    for (int i = 0; i < text_len; i++) out.Put(text[i]);
    if (left) out.Repeat(' ', pad);
  }
  if (size) buf[out.len < size ? out.len : size - 1] = '\0';
  return static_cast<int>(out.len);
}

void Append(char* buf, int size, int* len, const char* fmt, ...) {
  if (*len >= size - 1) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *len, static_cast<size_t>(size - *len), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  *len = n >= size - *len ? size - 1 : *len + n;
}
