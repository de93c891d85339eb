// Numeric host addresses for readiness checks: IPv4 dotted quads and IPv6
// text, parsed without inet_pton(3), which is large in a static binary.
#pragma once

#include <cstdint>
#include <string_view>

// "10.0.0.1" into out[4]: four decimal parts 0-255, no leading zeros.
bool ParseIPv4(std::string_view text, uint8_t* out);
// "::1", "2001:db8::1", "::ffff:1.2.3.4" (RFC 4291 section 2.2) into out[16].
bool ParseIPv6(std::string_view text, uint8_t* out);
