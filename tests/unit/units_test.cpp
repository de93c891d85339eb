// Tests for src/units.cpp: durations, unsigned numbers, yes/no values.
#include "units.h"

#include <gtest/gtest.h>

#include <string>

namespace {

// The value, or -1 when the text is rejected.
Millis Duration(std::string_view text) {
  Result<Millis> r = ParseDuration(text);
  if (!r.ok) {
    EXPECT_NE(r.error.text[0], '\0') << "a rejected duration needs a message: " << text;
    return -1;
  }
  return r.value;
}

int64_t Unsigned(std::string_view text, uint32_t max) {
  Result<uint32_t> r = ParseUnsigned(text, max);
  if (!r.ok) {
    EXPECT_NE(r.error.text[0], '\0') << "a rejected number needs a message: " << text;
    return -1;
  }
  return r.value;
}

// 1 for true, 0 for false, -1 when rejected.
int Bool(std::string_view text) {
  Result<bool> r = ParseBool(text);
  if (!r.ok) return -1;
  return r.value ? 1 : 0;
}

TEST(UnitsDuration, EveryUnit) {
  EXPECT_EQ(Duration("250ms"), 250);
  EXPECT_EQ(Duration("5s"), 5000);
  EXPECT_EQ(Duration("2m"), 120000);
  EXPECT_EQ(Duration("1h"), 3600000);
  EXPECT_EQ(Duration("1ms"), 1);
  EXPECT_EQ(Duration("1500ms"), 1500);
  EXPECT_EQ(Duration("90s"), 90000);
}

TEST(UnitsDuration, BareNumberMeansSeconds) {
  EXPECT_EQ(Duration("7"), 7000);
  EXPECT_EQ(Duration("10"), 10000);
  EXPECT_EQ(Duration("0"), 0);
  EXPECT_EQ(Duration("0s"), 0);
  EXPECT_EQ(Duration("007"), 7000);
}

TEST(UnitsDuration, BadUnitsAreRejected) {
  EXPECT_EQ(Duration("5x"), -1);
  EXPECT_EQ(Duration("5sec"), -1);
  EXPECT_EQ(Duration("5 s"), -1);
  EXPECT_EQ(Duration("5us"), -1);
  EXPECT_EQ(Duration("5d"), -1);
  EXPECT_EQ(Duration("5mss"), -1);
  EXPECT_EQ(Duration("5s5"), -1);
  EXPECT_EQ(Duration("1m30s"), -1);
}

TEST(UnitsDuration, MissingOrMalformedNumberIsRejected) {
  EXPECT_EQ(Duration(""), -1);
  EXPECT_EQ(Duration("s"), -1);
  EXPECT_EQ(Duration("ms"), -1);
  EXPECT_EQ(Duration("-5s"), -1);
  EXPECT_EQ(Duration("+5s"), -1);
  EXPECT_EQ(Duration("1.5s"), -1);
  EXPECT_EQ(Duration(" 5s"), -1);
  EXPECT_EQ(Duration("5s "), -1);
  EXPECT_EQ(Duration("0x10"), -1);
}

TEST(UnitsDuration, MessageShowsTheTextAndTheForm) {
  Result<Millis> r = ParseDuration("5x");
  ASSERT_FALSE(r.ok);
  std::string msg = r.error.text;
  EXPECT_NE(msg.find("'5x'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("5s"), std::string::npos) << msg;
}

TEST(UnitsDuration, OverflowIsRejected) {
  // The cap is 30 days, so deadlines computed from durations never overflow.
  EXPECT_EQ(Duration("720h"), kMaxDuration);
  EXPECT_EQ(Duration("2592000"), kMaxDuration);
  EXPECT_EQ(Duration("721h"), -1);
  EXPECT_EQ(Duration("2592001"), -1);
  EXPECT_EQ(Duration("2592000001ms"), -1);
  EXPECT_EQ(Duration("999999999h"), -1);
  EXPECT_EQ(Duration("99999999999999999999"), -1);
  EXPECT_EQ(Duration("99999999999999999999ms"), -1);
  EXPECT_EQ(Duration("18446744073709551616s"), -1);  // 2^64: no silent wrap-around
  EXPECT_EQ(Duration("9223372036854775808ms"), -1);  // 2^63
}

TEST(UnitsUnsigned, Values) {
  EXPECT_EQ(Unsigned("0", 10), 0);
  EXPECT_EQ(Unsigned("10", 10), 10);
  EXPECT_EQ(Unsigned("255", 255), 255);
  EXPECT_EQ(Unsigned("0042", 100), 42);
  EXPECT_EQ(Unsigned("4294967295", 0xffffffffu), 4294967295LL);
}

TEST(UnitsUnsigned, OutOfRange) {
  EXPECT_EQ(Unsigned("11", 10), -1);
  EXPECT_EQ(Unsigned("256", 255), -1);
  EXPECT_EQ(Unsigned("4294967296", 0xffffffffu), -1);
  EXPECT_EQ(Unsigned("99999999999", 0xffffffffu), -1);
  EXPECT_EQ(Unsigned("18446744073709551617", 0xffffffffu), -1);
  Result<uint32_t> r = ParseUnsigned("300", 255);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(std::string(r.error.text).find("300"), std::string::npos) << r.error.text;
  EXPECT_NE(std::string(r.error.text).find("255"), std::string::npos) << r.error.text;
}

TEST(UnitsUnsigned, NotANumber) {
  EXPECT_EQ(Unsigned("", 10), -1);
  EXPECT_EQ(Unsigned("-1", 10), -1);
  EXPECT_EQ(Unsigned("+1", 10), -1);
  EXPECT_EQ(Unsigned("1a", 10), -1);
  EXPECT_EQ(Unsigned("a1", 10), -1);
  EXPECT_EQ(Unsigned(" 1", 10), -1);
  EXPECT_EQ(Unsigned("1 ", 10), -1);
  EXPECT_EQ(Unsigned("1.0", 10), -1);
  EXPECT_EQ(Unsigned("0x1", 10), -1);
}

TEST(UnitsUnsigned, ReadsOnlyTheViewNotTheBytesAfterIt) {
  const char text[] = "12345";
  EXPECT_EQ(Unsigned(std::string_view(text, 2), 100), 12);
}

TEST(UnitsBool, TrueForms) {
  for (const char* t : {"1", "true", "yes", "on", "TRUE", "Yes", "ON", "tRuE"}) EXPECT_EQ(Bool(t), 1) << t;
}

TEST(UnitsBool, FalseFormsAndEmpty) {
  for (const char* f : {"0", "false", "no", "off", "", "FALSE", "No", "OFF"}) EXPECT_EQ(Bool(f), 0) << f;
}

TEST(UnitsBool, AnythingElseIsRejected) {
  for (const char* bad : {"2", "y", "n", "t", "f", "yess", "onn", "of", "nope", "maybe", " 1", "1 ", "-1", "10"})
    EXPECT_EQ(Bool(bad), -1) << bad;
  Result<bool> r = ParseBool("maybe");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(std::string(r.error.text).find("maybe"), std::string::npos) << r.error.text;
}

TEST(UnitsBool, PrefixOfALongerWordIsNotAccepted) {
  // The view is "on" inside "one": only the view counts.
  const char text[] = "one";
  EXPECT_EQ(Bool(std::string_view(text, 2)), 1);
  EXPECT_EQ(Bool(std::string_view(text, 3)), -1);
}

}  // namespace
