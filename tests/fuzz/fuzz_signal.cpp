// Fuzz target: signal names and numbers (ParseSignal, SignalName in
// src/signals.h) and the forwarding decision that consumes them
// (DecideSignal in src/lifecycle.h).
//
// Input: control byte (bit 0 allow_zero; bits 1-4 the buffer size given to
// SignalName, 1-16), then the text.
// Properties: an accepted signal is 1..SIGRTMAX (0 only with allow_zero);
// SignalName never writes past the buffer it is given, always terminates
// it, and with room enough gives a name that parses back to the same
// number; DecideSignal only ever forwards a real signal.
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "fuzz_check.h"
#include "lifecycle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool allow_zero = data[0] & 1;
  int buf_size = ((data[0] >> 1) & 15) + 1;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  Result<int> s = ParseSignal(text, allow_zero);
  fuzz::CheckError(s.error);
  if (!s.ok) return 0;
  FUZZ_REQUIRE(s.value >= (allow_zero ? 0 : 1) && s.value <= SIGRTMAX && s.value <= kMaxSignal);
  if (s.value == 0) return 0;

  // An exactly-sized heap buffer: ASan reports a write one byte too far.
  auto small = std::make_unique<char[]>(static_cast<size_t>(buf_size));
  const char* name = SignalName(s.value, small.get(), buf_size);
  FUZZ_REQUIRE(name == small.get() && memchr(small.get(), '\0', static_cast<size_t>(buf_size)) != nullptr);
  char full[32];
  SignalName(s.value, full, sizeof full);
  Result<int> back = ParseSignal(full);
  FUZZ_REQUIRE(back.ok);
  // IOT/ABRT, CLD/CHLD and POLL/IO are aliases: the number is what matters.
  FUZZ_REQUIRE(back.value == s.value);

  // The decision for this signal in every phase, with a rewrite to it.
  auto o = std::make_unique<Options>();
  if (size > 1) o->rewrite[s.value] = static_cast<int8_t>(data[size - 1] % (kMaxSignal + 2)) - 1;
  for (int phase = 0; phase <= static_cast<int>(Phase::kDone); phase++)
    for (int running = 0; running < 2; running++) {
      SignalDecision dec = DecideSignal(s.value, static_cast<Phase>(phase), running, *o);
      if (dec.action == SignalAction::kForward || dec.action == SignalAction::kForwardAndShutdown)
        FUZZ_REQUIRE(dec.forward_as >= 1 && dec.forward_as <= kMaxSignal);
    }
  return 0;
}
