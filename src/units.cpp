#include "units.h"


Result<uint32_t> ParseUnsigned(std::string_view text, uint32_t max) {
  if (text.empty() || text.size() > 10) return Result<uint32_t>::Fail("'%.*s' is not a number", (int)text.size(), text.data());
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Result<uint32_t>::Fail("'%.*s' is not a number", (int)text.size(), text.data());
    v = v * 10 + (c - '0');
  }
  if (v > max) return Result<uint32_t>::Fail("'%.*s' is out of range (0 to %u)", (int)text.size(), text.data(), max);
  return Result<uint32_t>::Ok(static_cast<uint32_t>(v));
}

Result<Millis> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') digits++;
  std::string_view unit = text.substr(digits);
  Millis scale;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "ms") scale = 1;
  else if (unit == "m") scale = 60 * 1000;
  else if (unit == "h") scale = 3600 * 1000;
  else return Result<Millis>::Fail("bad duration '%.*s': use a number with ms, s, m or h, e.g. 250ms, 5s, 2m", (int)text.size(), text.data());
  if (digits == 0 || digits > 9) return Result<Millis>::Fail("bad duration '%.*s': use a number with ms, s, m or h, e.g. 250ms, 5s, 2m", (int)text.size(), text.data());
  Millis v = 0;
  for (size_t i = 0; i < digits; i++) v = v * 10 + (text[i] - '0');
  v *= scale;
  if (v > kMaxDuration) return Result<Millis>::Fail("duration '%.*s' is too long (at most 30 days)", (int)text.size(), text.data());
  return Result<Millis>::Ok(v);
}

namespace {
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

Result<bool> ParseBool(std::string_view text) {
  static constexpr const char* kTrue[] = {"1", "true", "yes", "on"};
  static constexpr const char* kFalse[] = {"0", "false", "no", "off", ""};
  for (const char* t : kTrue)
    if (EqualsNoCase(text, t)) return Result<bool>::Ok(true);
  for (const char* f : kFalse)
    if (EqualsNoCase(text, f)) return Result<bool>::Ok(false);
  return Result<bool>::Fail("'%.*s' is not a yes/no value: use 1 or 0", (int)text.size(), text.data());
}

bool StartsNoCase(std::string_view a, std::string_view prefix) {
  if (a.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); i++)
    if (Lower(a[i]) != Lower(prefix[i])) return false;
  return true;
}

bool EqualsNoCase(std::string_view a, std::string_view b) { return a.size() == b.size() && StartsNoCase(a, b); }
