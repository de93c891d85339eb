// Tests for src/lifecycle.cpp: exit codes, restart decisions, signal
// decisions per phase, stop deadlines, cinit's own exit status.
#include "lifecycle.h"

#include <gtest/gtest.h>

#include <csignal>

namespace {

// Wait statuses as the kernel reports them.
int Exited(int code) { return (code & 0xff) << 8; }
int Killed(int sig) { return sig & 0x7f; }

Decl Sidecar(RestartPolicy restart) {
  Decl d;
  d.kind = DeclKind::kSidecar;
  d.restart = restart;
  return d;
}

void AllowCode(Decl* d, int code) { d->ok_codes[code / 64] |= 1ULL << (code % 64); }

constexpr Millis kNow = 100000;
constexpr Millis kQuick = 500;  // a run well under kResetAfter

// --- WaitStatusCode, MainExitCode -------------------------------------------

TEST(LifecycleWaitStatus, CodeOr128PlusSignal) {
  EXPECT_EQ(WaitStatusCode(Exited(0)), 0);
  EXPECT_EQ(WaitStatusCode(Exited(3)), 3);
  EXPECT_EQ(WaitStatusCode(Exited(255)), 255);
  EXPECT_EQ(WaitStatusCode(Killed(SIGKILL)), 137);
  EXPECT_EQ(WaitStatusCode(Killed(SIGTERM)), 143);
  EXPECT_EQ(WaitStatusCode(Killed(SIGINT)), 130);
  EXPECT_EQ(WaitStatusCode(Killed(SIGSEGV) | 0x80), 128 + SIGSEGV);  // core dumped
}

TEST(LifecycleMainExit, CodesAndSignals) {
  Options o;
  EXPECT_EQ(MainExitCode(Exited(0), false, o), 0);
  EXPECT_EQ(MainExitCode(Exited(3), false, o), 3);
  EXPECT_EQ(MainExitCode(Exited(1), false, o), 1);
  EXPECT_EQ(MainExitCode(Killed(SIGTERM), false, o), 143);
  EXPECT_EQ(MainExitCode(Killed(SIGKILL), false, o), 137);
}

TEST(LifecycleMainExit, RemapTurnsListedCodesIntoZero) {
  Options o;
  o.remap_exit[0] |= 1ULL << 3;
  o.remap_exit[143 / 64] |= 1ULL << (143 % 64);
  EXPECT_EQ(MainExitCode(Exited(3), false, o), 0);
  EXPECT_EQ(MainExitCode(Exited(4), false, o), 4);
  EXPECT_EQ(MainExitCode(Exited(0), false, o), 0);
  // As in tini, -e applies to the final code, so 143 covers death by TERM.
  EXPECT_EQ(MainExitCode(Killed(SIGTERM), false, o), 0);
  EXPECT_EQ(MainExitCode(Killed(SIGKILL), false, o), 137);
}

TEST(LifecycleMainExit, TimeoutIs124WhateverTheMainDid) {
  Options o;
  o.remap_exit[0] |= 1ULL << 3;
  EXPECT_EQ(MainExitCode(Killed(SIGTERM), true, o), 124);
  EXPECT_EQ(MainExitCode(Exited(0), true, o), 124);
  EXPECT_EQ(MainExitCode(Exited(3), true, o), 124);
}

// --- RestartDelay -------------------------------------------------------------

TEST(LifecycleRestartDelay, DoublesPerQuickFailureUpToTheCap) {
  EXPECT_EQ(RestartDelay(1000, 30000, 1), 1000);
  EXPECT_EQ(RestartDelay(1000, 30000, 2), 2000);
  EXPECT_EQ(RestartDelay(1000, 30000, 3), 4000);
  EXPECT_EQ(RestartDelay(1000, 30000, 4), 8000);
  EXPECT_EQ(RestartDelay(1000, 30000, 5), 16000);
  EXPECT_EQ(RestartDelay(1000, 30000, 6), 30000);  // 32s capped
  EXPECT_EQ(RestartDelay(1000, 30000, 7), 30000);
}

TEST(LifecycleRestartDelay, OtherBackoffsAndHugeCounts) {
  EXPECT_EQ(RestartDelay(250, 1000, 1), 250);
  EXPECT_EQ(RestartDelay(250, 1000, 2), 500);
  EXPECT_EQ(RestartDelay(250, 1000, 3), 1000);
  EXPECT_EQ(RestartDelay(3000, 10000, 3), 10000);
  EXPECT_EQ(RestartDelay(1000, 30000, 64), 30000);  // no shift overflow
  EXPECT_EQ(RestartDelay(1000, 30000, 100000), 30000);
  EXPECT_EQ(RestartDelay(1000, 30000, UINT32_MAX), 30000);
  EXPECT_EQ(RestartDelay(kMaxDuration, kMaxDuration, 50), kMaxDuration);
  EXPECT_EQ(RestartDelay(5000, 2000, 1), 2000);  // the cap always holds
}

// --- DecideAfterExit ------------------------------------------------------------

struct ExitCase {
  RestartPolicy policy;
  int wait_status;
  ProcState state;
  bool failure;
};

TEST(LifecycleAfterExit, EveryPolicyTimesOkFailedAndSignalled) {
  const ExitCase cases[] = {
      {RestartPolicy::kAlways, Exited(0), ProcState::kBackoff, false},
      {RestartPolicy::kAlways, Exited(1), ProcState::kBackoff, true},
      {RestartPolicy::kAlways, Killed(SIGKILL), ProcState::kBackoff, true},
      {RestartPolicy::kOnFailure, Exited(0), ProcState::kExited, false},
      {RestartPolicy::kOnFailure, Exited(2), ProcState::kBackoff, true},
      {RestartPolicy::kOnFailure, Killed(SIGSEGV), ProcState::kBackoff, true},
      {RestartPolicy::kNever, Exited(0), ProcState::kExited, false},
      {RestartPolicy::kNever, Exited(1), ProcState::kFailed, true},
      {RestartPolicy::kNever, Killed(SIGTERM), ProcState::kFailed, true},
  };
  for (const ExitCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "policy " << int(c.policy) << " status " << c.wait_status);
    AfterExit a = DecideAfterExit(Sidecar(c.policy), c.wait_status, kQuick, 0, kNow, true);
    EXPECT_EQ(a.state, c.state);
    EXPECT_EQ(a.failure, c.failure);
    if (c.state == ProcState::kBackoff) EXPECT_EQ(a.restart_at, kNow + 1000);
  }
}

TEST(LifecycleAfterExit, OkCodesAreNotFailures) {
  Decl d = Sidecar(RestartPolicy::kOnFailure);
  AllowCode(&d, 3);
  AfterExit a = DecideAfterExit(d, Exited(3), kQuick, 0, kNow, true);
  EXPECT_FALSE(a.failure);
  EXPECT_EQ(a.state, ProcState::kExited);
  // ok-codes=3 alone: 0 stays ok only if listed; the default {0} is kept here.
  a = DecideAfterExit(d, Exited(4), kQuick, 0, kNow, true);
  EXPECT_TRUE(a.failure);
  EXPECT_EQ(a.state, ProcState::kBackoff);
  // ok-codes=3 without 0: exit 0 is a failure.
  Decl only3 = Sidecar(RestartPolicy::kNever);
  only3.ok_codes[0] = 1ULL << 3;
  EXPECT_TRUE(DecideAfterExit(only3, Exited(0), kQuick, 0, kNow, true).failure);
  EXPECT_EQ(DecideAfterExit(only3, Exited(0), kQuick, 0, kNow, true).state, ProcState::kFailed);
  EXPECT_EQ(DecideAfterExit(only3, Exited(3), kQuick, 0, kNow, true).state, ProcState::kExited);
}

TEST(LifecycleAfterExit, QuickFailuresBackOffExponentially) {
  Decl d = Sidecar(RestartPolicy::kAlways);
  uint32_t q = 0;
  const Millis expected[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000};
  for (Millis delay : expected) {
    AfterExit a = DecideAfterExit(d, Exited(1), kQuick, q, kNow, true);
    ASSERT_EQ(a.state, ProcState::kBackoff);
    EXPECT_EQ(a.quick_failures, q + 1);
    EXPECT_EQ(a.restart_at, kNow + delay) << "after " << q + 1 << " quick failures";
    q = a.quick_failures;
  }
}

TEST(LifecycleAfterExit, UsesTheDeclarationsBackoff) {
  Decl d = Sidecar(RestartPolicy::kAlways);
  d.backoff = 250;
  d.backoff_max = 600;
  EXPECT_EQ(DecideAfterExit(d, Exited(1), kQuick, 0, kNow, true).restart_at, kNow + 250);
  EXPECT_EQ(DecideAfterExit(d, Exited(1), kQuick, 1, kNow, true).restart_at, kNow + 500);
  EXPECT_EQ(DecideAfterExit(d, Exited(1), kQuick, 2, kNow, true).restart_at, kNow + 600);
}

TEST(LifecycleAfterExit, LongRunResetsTheCount) {
  Decl d = Sidecar(RestartPolicy::kAlways);
  AfterExit a = DecideAfterExit(d, Exited(1), kResetAfter, 5, kNow, true);
  EXPECT_EQ(a.state, ProcState::kBackoff);
  EXPECT_EQ(a.quick_failures, 1u);
  EXPECT_EQ(a.restart_at, kNow + d.backoff);
  a = DecideAfterExit(d, Exited(1), kResetAfter + 60000, 5, kNow, true);
  EXPECT_EQ(a.restart_at, kNow + d.backoff);
  // Just under the threshold still counts as quick.
  a = DecideAfterExit(d, Exited(1), kResetAfter - 1, 5, kNow, true);
  EXPECT_EQ(a.quick_failures, 6u);
  EXPECT_EQ(a.restart_at, kNow + 30000);
}

TEST(LifecycleAfterExit, MaxRestartsFailsOnTheThirdQuickFailure) {
  Decl d = Sidecar(RestartPolicy::kAlways);
  d.max_restarts = 2;
  AfterExit a1 = DecideAfterExit(d, Exited(1), kQuick, 0, kNow, true);
  EXPECT_EQ(a1.state, ProcState::kBackoff);
  AfterExit a2 = DecideAfterExit(d, Exited(1), kQuick, a1.quick_failures, kNow, true);
  EXPECT_EQ(a2.state, ProcState::kBackoff);
  AfterExit a3 = DecideAfterExit(d, Exited(1), kQuick, a2.quick_failures, kNow, true);
  EXPECT_EQ(a3.state, ProcState::kFailed);
  EXPECT_TRUE(a3.failure);
}

TEST(LifecycleAfterExit, MaxRestartsCountsOnlyConsecutiveQuickFailures) {
  Decl d = Sidecar(RestartPolicy::kOnFailure);
  d.max_restarts = 2;
  AfterExit a = DecideAfterExit(d, Exited(1), kQuick, 2, kNow, true);
  EXPECT_EQ(a.state, ProcState::kFailed);
  // The same third failure after a long run starts a new series.
  a = DecideAfterExit(d, Exited(1), kResetAfter, 2, kNow, true);
  EXPECT_EQ(a.state, ProcState::kBackoff);
  EXPECT_EQ(a.quick_failures, 1u);
}

TEST(LifecycleAfterExit, ZeroMaxRestartsIsUnlimited) {
  Decl d = Sidecar(RestartPolicy::kAlways);
  d.max_restarts = 0;
  AfterExit a = DecideAfterExit(d, Exited(1), kQuick, 1000, kNow, true);
  EXPECT_EQ(a.state, ProcState::kBackoff);
  EXPECT_EQ(a.restart_at, kNow + d.backoff_max);
}

TEST(LifecycleAfterExit, NoRestartOnceSidecarsAreBeingStopped) {
  for (RestartPolicy p : {RestartPolicy::kAlways, RestartPolicy::kOnFailure, RestartPolicy::kNever}) {
    Decl d = Sidecar(p);
    AfterExit ok = DecideAfterExit(d, Exited(0), kQuick, 0, kNow, false);
    EXPECT_EQ(ok.state, ProcState::kExited);
    EXPECT_FALSE(ok.failure);
    AfterExit bad = DecideAfterExit(d, Exited(1), kQuick, 0, kNow, false);
    EXPECT_EQ(bad.state, ProcState::kFailed);
    EXPECT_TRUE(bad.failure);
    EXPECT_EQ(DecideAfterExit(d, Killed(SIGTERM), kQuick, 0, kNow, false).state, ProcState::kFailed);
  }
}

TEST(LifecycleAfterExit, InitTaskRunsOnce) {
  Decl d;
  d.kind = DeclKind::kInit;
  d.restart = RestartPolicy::kNever;
  EXPECT_EQ(DecideAfterExit(d, Exited(0), kQuick, 0, kNow, true).state, ProcState::kExited);
  EXPECT_EQ(DecideAfterExit(d, Exited(1), kQuick, 0, kNow, true).state, ProcState::kFailed);
}

// --- DecideSignal -------------------------------------------------------------

void ExpectSignal(int sig, Phase phase, bool main_running, const Options& o, SignalAction action, int as) {
  SignalDecision d = DecideSignal(sig, phase, main_running, o);
  EXPECT_EQ(int(d.action), int(action)) << "signal " << sig << " phase " << int(phase);
  if (action != SignalAction::kDrop) EXPECT_EQ(d.forward_as, as) << "signal " << sig << " phase " << int(phase);
}

TEST(LifecycleSignal, RunningForwardsEverythingElse) {
  Options o;
  for (int sig : {SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM})
    ExpectSignal(sig, Phase::kRunning, true, o, SignalAction::kForward, sig);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
    ExpectSignal(sig, Phase::kRunning, true, o, SignalAction::kForward, sig);
}

TEST(LifecycleSignal, TermIntQuitStartShutdownAndAreForwarded) {
  Options o;
  for (int sig : {SIGTERM, SIGINT, SIGQUIT})
    ExpectSignal(sig, Phase::kRunning, true, o, SignalAction::kForwardAndShutdown, sig);
}

// SPEC §5: a repeated stop signal is the application's business ("hurry");
// cinit forwards each one while the main runs and never escalates itself.
TEST(LifecycleSignal, StopSignalsDuringShutdownAreForwardedNeverEscalated) {
  Options o;
  for (Phase p : {Phase::kDraining, Phase::kStoppingSidecars, Phase::kStoppingStrays, Phase::kKilling}) {
    for (int sig : {SIGTERM, SIGINT, SIGQUIT}) {
      ExpectSignal(sig, p, true, o, SignalAction::kForward, sig);
      // The main is gone: nobody receives it, and nothing else happens.
      ExpectSignal(sig, p, false, o, SignalAction::kDrop, 0);
    }
  }
  // --rewrite still applies to a repeated one.
  o.rewrite[SIGTERM] = SIGQUIT;
  ExpectSignal(SIGTERM, Phase::kDraining, true, o, SignalAction::kForward, SIGQUIT);
}

TEST(LifecycleSignal, DuringShutdownOtherSignalsGoToTheMainWhileItRuns) {
  Options o;
  ExpectSignal(SIGQUIT, Phase::kDraining, true, o, SignalAction::kForward, SIGQUIT);
  ExpectSignal(SIGHUP, Phase::kDraining, true, o, SignalAction::kForward, SIGHUP);
  ExpectSignal(SIGUSR1, Phase::kDraining, true, o, SignalAction::kForward, SIGUSR1);
  // The main is gone: nobody receives them.
  ExpectSignal(SIGHUP, Phase::kStoppingSidecars, false, o, SignalAction::kDrop, 0);
  ExpectSignal(SIGQUIT, Phase::kStoppingStrays, false, o, SignalAction::kDrop, 0);
  ExpectSignal(SIGUSR1, Phase::kDraining, false, o, SignalAction::kDrop, 0);
}

TEST(LifecycleSignal, BeforeTheMainExistsQueueOrAbort) {
  Options o;
  for (int sig : {SIGHUP, SIGUSR1, SIGWINCH, SIGCONT})
    ExpectSignal(sig, Phase::kStarting, false, o, SignalAction::kQueue, sig);
  ExpectSignal(SIGRTMIN + 2, Phase::kStarting, false, o, SignalAction::kQueue, SIGRTMIN + 2);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT})
    ExpectSignal(sig, Phase::kStarting, false, o, SignalAction::kAbortStartup, sig);
}

TEST(LifecycleSignal, RewriteToZeroDrops) {
  Options o;
  o.rewrite[SIGINT] = 0;
  o.rewrite[SIGUSR1] = 0;
  for (Phase p : {Phase::kStarting, Phase::kRunning, Phase::kDraining}) {
    ExpectSignal(SIGINT, p, p != Phase::kStarting, o, SignalAction::kDrop, 0);
    ExpectSignal(SIGUSR1, p, p != Phase::kStarting, o, SignalAction::kDrop, 0);
  }
  // Other signals are unaffected.
  ExpectSignal(SIGTERM, Phase::kRunning, true, o, SignalAction::kForwardAndShutdown, SIGTERM);
  ExpectSignal(SIGUSR2, Phase::kRunning, true, o, SignalAction::kForward, SIGUSR2);
}

TEST(LifecycleSignal, RewriteAppliesToForwardAs) {
  Options o;
  o.rewrite[SIGTERM] = SIGQUIT;
  o.rewrite[SIGUSR1] = SIGUSR2;
  o.rewrite[SIGHUP] = SIGTERM;
  // The received signal decides the action; the rewritten one is sent.
  ExpectSignal(SIGTERM, Phase::kRunning, true, o, SignalAction::kForwardAndShutdown, SIGQUIT);
  ExpectSignal(SIGUSR1, Phase::kRunning, true, o, SignalAction::kForward, SIGUSR2);
  ExpectSignal(SIGHUP, Phase::kRunning, true, o, SignalAction::kForward, SIGTERM);
  ExpectSignal(SIGUSR1, Phase::kStarting, false, o, SignalAction::kQueue, SIGUSR2);
  ExpectSignal(SIGTERM, Phase::kStarting, false, o, SignalAction::kAbortStartup, SIGQUIT);
  ExpectSignal(SIGUSR1, Phase::kDraining, true, o, SignalAction::kForward, SIGUSR2);
}

TEST(LifecycleSignal, RewriteOfRealTimeSignals) {
  Options o;
  o.rewrite[SIGRTMIN + 3] = SIGUSR1;
  o.rewrite[SIGUSR2] = static_cast<int8_t>(SIGRTMAX - 1);
  ExpectSignal(SIGRTMIN + 3, Phase::kRunning, true, o, SignalAction::kForward, SIGUSR1);
  ExpectSignal(SIGUSR2, Phase::kRunning, true, o, SignalAction::kForward, SIGRTMAX - 1);
  ExpectSignal(SIGRTMAX, Phase::kRunning, true, o, SignalAction::kForward, SIGRTMAX);
}

// --- StopDeadline -------------------------------------------------------------

TEST(LifecycleStopDeadline, StopTimeoutCappedByGrace) {
  EXPECT_EQ(StopDeadline(1000, 5000, 20000), 6000);
  EXPECT_EQ(StopDeadline(1000, 5000, 3000), 3000);
  EXPECT_EQ(StopDeadline(1000, 5000, 6000), 6000);
  EXPECT_EQ(StopDeadline(1000, 0, 20000), 1000);
  EXPECT_EQ(StopDeadline(9000, 5000, 8000), 8000);  // grace already over
}

}  // namespace
