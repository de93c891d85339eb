// Fuzz target: durations and small numbers (ParseDuration, ParseUnsigned,
// ParseBool in src/units.h), each compared with a plain reference written
// from the README's wording rather than from the code:
//   DURATION  1 to 9 digits, then nothing (seconds), "ms", "s", "m" or "h";
//             at most 30 days.
//   NUMBER    1 to 10 decimal digits, value <= max.
//   BOOL      1/true/yes/on, 0/false/no/off or empty, any case.
//
// Input: the first 4 bytes are the max for ParseUnsigned (little endian);
// the rest is the text.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"

namespace {

std::optional<Millis> ReferenceDuration(std::string_view t) {
  size_t i = 0;
  while (i < t.size() && isdigit(static_cast<unsigned char>(t[i]))) i++;
  if (i == 0 || i > 9) return std::nullopt;
  std::string_view unit = t.substr(i);
  __int128 scale;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "ms") scale = 1;
  else if (unit == "m") scale = 60000;
  else if (unit == "h") scale = 3600000;
  else return std::nullopt;
  __int128 v = 0;
  for (size_t k = 0; k < i; k++) v = v * 10 + (t[k] - '0');
  v *= scale;
  if (v > kMaxDuration) return std::nullopt;
  return static_cast<Millis>(v);
}

std::optional<uint32_t> ReferenceUnsigned(std::string_view t, uint32_t max) {
  if (t.empty() || t.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : t) {
    if (!isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::optional<bool> ReferenceBool(std::string_view t) {
  std::string lower;
  for (char c : t) lower += static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower.empty() || lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t max = static_cast<uint32_t>(data[0]) | static_cast<uint32_t>(data[1]) << 8 |
                 static_cast<uint32_t>(data[2]) << 16 | static_cast<uint32_t>(data[3]) << 24;
  std::string_view text(reinterpret_cast<const char*>(data + 4), size - 4);

  Result<Millis> d = ParseDuration(text);
  fuzz::CheckError(d.error);
  auto want_d = ReferenceDuration(text);
  FUZZ_REQUIRE(d.ok == want_d.has_value());
  if (d.ok) {
    FUZZ_REQUIRE(d.value == *want_d);
    FUZZ_REQUIRE(fuzz::ValidDuration(d.value));
    // What cinit prints back ("restarting in N ms") reads in again.
    std::string again = std::to_string(d.value) + "ms";
    Result<Millis> r = ParseDuration(again);
    if (d.value <= 999999999) FUZZ_REQUIRE(r.ok && r.value == d.value);
  }

  Result<uint32_t> u = ParseUnsigned(text, max);
  fuzz::CheckError(u.error);
  auto want_u = ReferenceUnsigned(text, max);
  FUZZ_REQUIRE(u.ok == want_u.has_value());
  if (u.ok) FUZZ_REQUIRE(u.value == *want_u && u.value <= max);

  Result<bool> b = ParseBool(text);
  fuzz::CheckError(b.error);
  auto want_b = ReferenceBool(text);
  FUZZ_REQUIRE(b.ok == want_b.has_value());
  if (b.ok) FUZZ_REQUIRE(b.value == *want_b);
  return 0;
}
