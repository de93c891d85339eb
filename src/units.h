// Values users type: durations ("250ms", "5s", "2m", bare seconds),
// small unsigned numbers and words compared without case. Pure functions; tested in tests/unit/units_test.cpp.
#pragma once

#include <cstdint>
#include <string_view>

#include "result.h"

using Millis = int64_t;

// Longest duration accepted anywhere: 30 days, so deadlines never overflow.
constexpr Millis kMaxDuration = 30LL * 24 * 3600 * 1000;

Result<Millis> ParseDuration(std::string_view text);
// Decimal digits only, value <= max.
Result<uint32_t> ParseUnsigned(std::string_view text, uint32_t max);
// "1", "true", "yes", "on" / "0", "false", "no", "off", "" (case-insensitive).
Result<bool> ParseBool(std::string_view text);

// ASCII case-insensitive comparisons (signal names, words, URL schemes).
bool StartsNoCase(std::string_view a, std::string_view prefix);
bool EqualsNoCase(std::string_view a, std::string_view b);
