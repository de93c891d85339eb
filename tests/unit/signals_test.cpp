// Tests for src/signals.cpp: signal names and numbers, the shutdown set.
#include "signals.h"

#include <gtest/gtest.h>

#include <csignal>
#include <string>

namespace {

// The number, or -1 when the text is rejected.
int Sig(std::string_view text, bool allow_zero = false) {
  Result<int> r = ParseSignal(text, allow_zero);
  if (!r.ok) {
    EXPECT_NE(r.error.text[0], '\0') << "a rejected signal needs a message: " << text;
    return -1;
  }
  return r.value;
}

std::string Name(int sig) {
  char buf[32];
  return SignalName(sig, buf, sizeof buf);
}

TEST(SignalParse, NamesWithAndWithoutPrefix) {
  EXPECT_EQ(Sig("TERM"), SIGTERM);
  EXPECT_EQ(Sig("SIGTERM"), SIGTERM);
  EXPECT_EQ(Sig("INT"), SIGINT);
  EXPECT_EQ(Sig("SIGINT"), SIGINT);
  EXPECT_EQ(Sig("QUIT"), SIGQUIT);
  EXPECT_EQ(Sig("HUP"), SIGHUP);
  EXPECT_EQ(Sig("KILL"), SIGKILL);
  EXPECT_EQ(Sig("USR1"), SIGUSR1);
  EXPECT_EQ(Sig("SIGUSR2"), SIGUSR2);
  EXPECT_EQ(Sig("WINCH"), SIGWINCH);
  EXPECT_EQ(Sig("CONT"), SIGCONT);
  EXPECT_EQ(Sig("TSTP"), SIGTSTP);
  EXPECT_EQ(Sig("TTIN"), SIGTTIN);
  EXPECT_EQ(Sig("TTOU"), SIGTTOU);
  EXPECT_EQ(Sig("CHLD"), SIGCHLD);
  EXPECT_EQ(Sig("ALRM"), SIGALRM);
  EXPECT_EQ(Sig("PWR"), SIGPWR);
  EXPECT_EQ(Sig("SYS"), SIGSYS);
}

TEST(SignalParse, CaseInsensitive) {
  EXPECT_EQ(Sig("term"), SIGTERM);
  EXPECT_EQ(Sig("sigterm"), SIGTERM);
  EXPECT_EQ(Sig("SigTerm"), SIGTERM);
  EXPECT_EQ(Sig("sigHUP"), SIGHUP);
  EXPECT_EQ(Sig("usr1"), SIGUSR1);
  EXPECT_EQ(Sig("rtmin+3"), SIGRTMIN + 3);
  EXPECT_EQ(Sig("sigRtMax-1"), SIGRTMAX - 1);
}

TEST(SignalParse, Numbers) {
  EXPECT_EQ(Sig("1"), 1);
  EXPECT_EQ(Sig("9"), SIGKILL);
  EXPECT_EQ(Sig("15"), SIGTERM);
  EXPECT_EQ(Sig("3"), SIGQUIT);
  EXPECT_EQ(Sig(std::to_string(SIGRTMIN)), SIGRTMIN);
  EXPECT_EQ(Sig(std::to_string(SIGRTMAX)), SIGRTMAX);
  EXPECT_EQ(Sig(std::to_string(SIGRTMAX + 1)), -1);
  EXPECT_EQ(Sig("100"), -1);
  EXPECT_EQ(Sig("99999999999"), -1);
  EXPECT_EQ(Sig("-1"), -1);
  EXPECT_EQ(Sig("15x"), -1);
}

TEST(SignalParse, RealTimeRelativeNames) {
  EXPECT_EQ(Sig("RTMIN"), SIGRTMIN);
  EXPECT_EQ(Sig("SIGRTMIN"), SIGRTMIN);
  EXPECT_EQ(Sig("RTMIN+0"), SIGRTMIN);
  EXPECT_EQ(Sig("RTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(Sig("SIGRTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(Sig("RTMAX"), SIGRTMAX);
  EXPECT_EQ(Sig("RTMAX-1"), SIGRTMAX - 1);
  EXPECT_EQ(Sig("SIGRTMAX-1"), SIGRTMAX - 1);
  EXPECT_EQ(Sig("RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN)), SIGRTMAX);
  EXPECT_EQ(Sig("RTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN)), SIGRTMIN);
}

TEST(SignalParse, RealTimeOutOfRangeOrWrongDirection) {
  EXPECT_EQ(Sig("RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN + 1)), -1);
  EXPECT_EQ(Sig("RTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN + 1)), -1);
  EXPECT_EQ(Sig("RTMIN-1"), -1);
  EXPECT_EQ(Sig("RTMAX+1"), -1);
  EXPECT_EQ(Sig("RTMIN+"), -1);
  EXPECT_EQ(Sig("RTMAX-"), -1);
  EXPECT_EQ(Sig("RTMIN+x"), -1);
  EXPECT_EQ(Sig("RTMIN3"), -1);
  EXPECT_EQ(Sig("RTMIN+-1"), -1);
  EXPECT_EQ(Sig("RT"), -1);
}

TEST(SignalParse, ZeroOnlyWhenAllowed) {
  EXPECT_EQ(Sig("0"), -1);
  EXPECT_EQ(Sig("00"), -1);
  EXPECT_EQ(Sig("0", /*allow_zero=*/true), 0);
  // allow_zero changes nothing else.
  EXPECT_EQ(Sig("TERM", true), SIGTERM);
  EXPECT_EQ(Sig("15", true), SIGTERM);
  EXPECT_EQ(Sig("BOGUS", true), -1);
  EXPECT_EQ(Sig("", true), -1);
}

TEST(SignalParse, BadNames) {
  for (const char* bad : {"", "SIG", "sig", "FOO", "SIGFOO", "TERMS", "TER", "SIGSIGTERM", " TERM", "TERM ",
                          "SIG TERM", "SIG_TERM", "-TERM", "+15", "1 5", "SIGNAL"})
    EXPECT_EQ(Sig(bad), -1) << "'" << bad << "'";
}

TEST(SignalParse, MessageNamesTheText) {
  Result<int> r = ParseSignal("BOGUS");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(std::string(r.error.text).find("BOGUS"), std::string::npos) << r.error.text;
}

TEST(SignalParse, ReadsOnlyTheView) {
  const char text[] = "TERMINAL";
  EXPECT_EQ(Sig(std::string_view(text, 4)), SIGTERM);
  const char num[] = "159";
  EXPECT_EQ(Sig(std::string_view(num, 2)), SIGTERM);
}

TEST(SignalName, CommonNames) {
  EXPECT_EQ(Name(SIGTERM), "TERM");
  EXPECT_EQ(Name(SIGINT), "INT");
  EXPECT_EQ(Name(SIGKILL), "KILL");
  EXPECT_EQ(Name(SIGHUP), "HUP");
  EXPECT_EQ(Name(SIGUSR1), "USR1");
  EXPECT_EQ(Name(SIGWINCH), "WINCH");
  EXPECT_EQ(Name(SIGCHLD), "CHLD");
  EXPECT_EQ(Name(SIGABRT), "ABRT");  // not its alias IOT
}

TEST(SignalName, RealTimeSignals) {
  EXPECT_EQ(Name(SIGRTMIN), "RTMIN+0");
  EXPECT_EQ(Name(SIGRTMIN + 3), "RTMIN+3");
}

TEST(SignalName, UnknownNumbersAreShownAsNumbers) {
  EXPECT_EQ(Name(0), "0");
  EXPECT_EQ(Name(SIGRTMAX + 1), std::to_string(SIGRTMAX + 1));
  EXPECT_EQ(Name(-3), "-3");
}

TEST(SignalName, ReturnsTheBufferAndRespectsItsSize) {
  char buf[3] = {'x', 'x', 'x'};
  const char* s = SignalName(SIGTERM, buf, sizeof buf);
  EXPECT_EQ(s, buf);
  EXPECT_STREQ(buf, "TE");
}

TEST(SignalName, RoundTripsThroughParseSignal) {
  for (int sig = 1; sig <= SIGRTMAX; sig++) {
    std::string name = Name(sig);
    EXPECT_EQ(Sig(name), sig) << "signal " << sig << " named '" << name << "'";
    if (name[0] < '0' || name[0] > '9')  // numbers take no SIG prefix
      EXPECT_EQ(Sig("SIG" + name), sig) << "signal " << sig << " named 'SIG" << name << "'";
  }
}

TEST(SignalShutdown, TermIntQuitOnly) {
  EXPECT_TRUE(IsShutdownSignal(SIGTERM));
  EXPECT_TRUE(IsShutdownSignal(SIGINT));
  EXPECT_TRUE(IsShutdownSignal(SIGQUIT));
  for (int sig : {0, SIGHUP, SIGUSR1, SIGUSR2, SIGKILL, SIGCHLD, SIGWINCH, SIGCONT, SIGTSTP, SIGALRM, SIGPWR})
    EXPECT_FALSE(IsShutdownSignal(sig)) << sig;
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++) EXPECT_FALSE(IsShutdownSignal(sig)) << sig;
}

}  // namespace
