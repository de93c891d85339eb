// Signal forwarding (SPEC §2, §3): every catchable signal but SIGCHLD reaches
// the main child, each queued real-time signal once, after --rewrite, to the
// whole group with -g; none is lost while the child starts; the child gets
// the mask and ignored set cinit was started with.
#include <signal.h>

#include <algorithm>
#include <memory>

#include "harness.h"

namespace cinit_test {
namespace {

// A cinit whose main is `cinit_probe sigrecord`: every signal the main takes
// arrives on the channel as "main N"; it exits 0 after taking exit_sig.
class Recorder {
 public:
  Recorder(std::vector<std::string> cinit_options, int exit_sig, Mode mode = Mode::kPid1)
      : channel_(dir_) {
    Options options;
    options.mode = mode;
    options.args = std::move(cinit_options);
    for (std::string word : {std::string("--"), ProbePath(), std::string("sigrecord"), channel_.path(),
                             std::string("main"), std::to_string(exit_sig)})
      options.args.push_back(word);
    cinit_ = std::make_unique<Cinit>(std::move(options));
    channel_.Watch(*cinit_);
  }

  // Started, and the main has every signal blocked and is waiting.
  ::testing::AssertionResult Ready() {
    if (!cinit_->started()) return ::testing::AssertionFailure() << cinit_->error();
    if (!channel_.WaitForLine("main ready"))
      return ::testing::AssertionFailure() << "the main never got ready\n" << cinit_->Describe();
    return ::testing::AssertionSuccess();
  }

  // The next thing the main records is sig.
  ::testing::AssertionResult Next(int sig) {
    auto line = channel_.ReadLine(Ms(5000));
    std::string want = "main " + std::to_string(sig);
    if (!line) return ::testing::AssertionFailure() << "signal " << sig << " never reached the main";
    if (*line != want)
      return ::testing::AssertionFailure() << "expected \"" << want << "\", the main recorded \"" << *line
                                           << "\"";
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult SendAndExpect(int sent, int expected) {
    if (!cinit_->Signal(sent)) return ::testing::AssertionFailure() << "kill " << sent << " failed";
    return Next(expected);
  }

  Cinit& cinit() { return *cinit_; }
  Channel& channel() { return channel_; }

 private:
  TempDir dir_;
  Channel channel_;
  std::unique_ptr<Cinit> cinit_;
};

TEST(CoreSignals, EveryCatchableSignalReachesTheChildInOrder) {
  CINIT_REQUIRE_ROOT();
  Recorder rec({"--grace", "30s"}, SIGTERM);
  ASSERT_TRUE(rec.Ready());
  // One at a time, each confirmed before the next: pending standard signals
  // are dequeued lowest number first, so only this proves the order. The
  // shutdown signals (INT, QUIT, TERM) come last, in their own tests.
  std::vector<int> sent;
  for (int sig = 1; sig <= 31; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD) continue;
    if (sig == SIGINT || sig == SIGQUIT || sig == SIGTERM) continue;
    sent.push_back(sig);
  }
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) sent.push_back(sig);
  for (int sig : sent) ASSERT_TRUE(rec.SendAndExpect(sig, sig)) << "signal " << sig << "\n"
                                                                 << rec.cinit().Describe();
  ASSERT_TRUE(rec.SendAndExpect(SIGTERM, SIGTERM));
  auto exit = rec.cinit().Wait();
  EXPECT_EQ(exit.status(), 0) << rec.cinit().Describe();
  auto extra = rec.channel().Drain();
  EXPECT_TRUE(extra.empty()) << "unexpected signal at the main: " << extra.front();
}

TEST(CoreSignals, ShutdownSignalsAreForwarded) {
  CINIT_REQUIRE_ROOT();
  for (int sig : {SIGINT, SIGQUIT, SIGTERM}) {
    Recorder rec({}, sig);
    ASSERT_TRUE(rec.Ready());
    EXPECT_TRUE(rec.SendAndExpect(sig, sig)) << rec.cinit().Describe();
    EXPECT_EQ(rec.cinit().Wait().status(), 0) << rec.cinit().Describe();
  }
}

TEST(CoreSignals, SignalsForwardedAsSubreaper) {
  CINIT_REQUIRE_SUBREAPER();
  Recorder rec({}, SIGTERM, Mode::kSubreaper);
  ASSERT_TRUE(rec.Ready());
  EXPECT_TRUE(rec.SendAndExpect(SIGUSR1, SIGUSR1));
  EXPECT_TRUE(rec.SendAndExpect(SIGHUP, SIGHUP));
  EXPECT_TRUE(rec.SendAndExpect(SIGTERM, SIGTERM));
  EXPECT_EQ(rec.cinit().Wait().status(), 0) << rec.cinit().Describe();
}

TEST(CoreSignals, QueuedRealtimeSignalsArriveOnceEach) {
  CINIT_REQUIRE_ROOT();
  Recorder rec({}, SIGTERM);
  ASSERT_TRUE(rec.Ready());
  const int sig = SIGRTMIN + 3;
  // All five queued at cinit before it can forward any: cinit must forward
  // each queued instance, not one per wake-up.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(rec.cinit().Queue(sig, i));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(rec.Next(sig)) << "instance " << i + 1 << " of 5";
  ASSERT_TRUE(rec.SendAndExpect(SIGTERM, SIGTERM)) << "a sixth RTMIN+3 or something else arrived";
  EXPECT_EQ(rec.cinit().Wait().status(), 0) << rec.cinit().Describe();
}

TEST(CoreSignals, RewriteDeliversTheTargetSignal) {
  CINIT_REQUIRE_ROOT();
  for (auto rule : {"TERM:QUIT", "15:3", "sigterm:SIGQUIT"}) {
    Recorder rec({"-r", rule}, SIGQUIT);
    ASSERT_TRUE(rec.Ready());
    EXPECT_TRUE(rec.SendAndExpect(SIGTERM, SIGQUIT)) << "-r " << rule;
    EXPECT_EQ(rec.cinit().Wait().status(), 0) << rec.cinit().Describe();
  }
  Recorder usr(std::vector<std::string>{"--rewrite", "USR1:USR2"}, SIGTERM);
  ASSERT_TRUE(usr.Ready());
  EXPECT_TRUE(usr.SendAndExpect(SIGUSR1, SIGUSR2));
  EXPECT_TRUE(usr.SendAndExpect(SIGUSR2, SIGUSR2)) << "only the source signal is rewritten";
  EXPECT_TRUE(usr.SendAndExpect(SIGTERM, SIGTERM));
  EXPECT_EQ(usr.cinit().Wait().status(), 0) << usr.cinit().Describe();
}

TEST(CoreSignals, RewriteToZeroDrops) {
  CINIT_REQUIRE_ROOT();
  Recorder rec({"-r", "INT:0"}, SIGUSR1);
  ASSERT_TRUE(rec.Ready());
  ASSERT_TRUE(rec.cinit().Signal(SIGINT));
  // USR1 sent after INT: if INT got through, it is recorded first.
  EXPECT_TRUE(rec.SendAndExpect(SIGUSR1, SIGUSR1)) << "INT was not dropped";
  EXPECT_EQ(rec.cinit().Wait().status(), 0) << rec.cinit().Describe();
}

// The main (a recorder) has a grandchild recorder "gc" in its process group;
// USR1 sent to cinit must reach gc exactly when -g is given (or env asks for
// the group: expect_group).
void CheckGroupForwarding(bool pgroup, std::vector<std::string> env = {}, bool expect_group = false) {
  expect_group |= pgroup;
  TempDir dir;
  Channel ch(dir);
  Options options;
  options.env = std::move(env);
  if (pgroup) options.args.push_back("-g");
  for (std::string word : {std::string("--"), std::string("sh"), std::string("-c"),
                           std::string("\"$0\" sigrecord \"$1\" gc 15 & exec \"$0\" sigrecord \"$1\" main 15"),
                           ProbePath(), ch.path()})
    options.args.push_back(word);
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  std::vector<std::string> seen;
  for (int ready = 0; ready < 2; ++ready) {
    auto line = ch.ReadLine();
    ASSERT_TRUE(line) << "recorders not ready; got " << seen.size() << " lines\n" << cinit.Describe();
    seen.push_back(*line);
  }
  pid_t gc = -1;
  for (pid_t p : cinit.Descendants())
    if (ProcCmdline(p).find(" sigrecord " + ch.path() + " gc ") != std::string::npos) gc = p;
  ASSERT_GT(gc, 0) << "grandchild not found";

  ASSERT_TRUE(cinit.Signal(SIGUSR1));
  std::vector<std::string> skipped;
  ASSERT_TRUE(ch.WaitForLine("main 10", kDefaultTimeout, &skipped)) << cinit.Describe();
  // A USR1 sent to the group is pending at gc by now; gc takes pending
  // signals lowest number first, so it records USR1 (10) before USR2 (12).
  ASSERT_EQ(kill(gc, SIGUSR2), 0);
  ASSERT_TRUE(ch.WaitForLine("gc 12", kDefaultTimeout, &skipped)) << cinit.Describe();
  bool gc_got_usr1 = std::find(skipped.begin(), skipped.end(), "gc 10") != skipped.end();
  EXPECT_EQ(gc_got_usr1, expect_group) << (expect_group ? "-g: the grandchild did not get USR1"
                                                        : "without -g the grandchild got USR1");
  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_EQ(cinit.Wait().status(), 0) << cinit.Describe();
}

TEST(CoreSignals, PgroupFlagReachesTheGrandchild) {
  CINIT_REQUIRE_ROOT();
  CheckGroupForwarding(true);
}

TEST(CoreSignals, WithoutPgroupOnlyTheChild) {
  CINIT_REQUIRE_ROOT();
  CheckGroupForwarding(false);
}

// The peers' switches for docker/podman --init, which pass no flags.
TEST(CorePeers, TiniKillProcessGroupReachesTheGrandchild) {
  CINIT_REQUIRE_ROOT();
  CheckGroupForwarding(false, {"TINI_KILL_PROCESS_GROUP=0"}, true);  // tini: presence, not value
}

TEST(CorePeers, DumbInitSetsidOneReachesTheGrandchild) {
  CINIT_REQUIRE_ROOT();
  CheckGroupForwarding(false, {"DUMB_INIT_SETSID=1"}, true);
}

TEST(CorePeers, DumbInitSetsidZeroOnlyTheChild) {
  CINIT_REQUIRE_ROOT();
  CheckGroupForwarding(false, {"DUMB_INIT_SETSID=0"}, false);
}

TEST(CorePeers, CinitPgroupBeatsThePeers) {
  CINIT_REQUIRE_ROOT();
  CheckGroupForwarding(false, {"TINI_KILL_PROCESS_GROUP=1", "CINIT_PGROUP=0"}, false);
}

// A TERM that arrives while the main is being started must reach it once it
// exists. The main is `cinit_probe waitsig 15 42`: it exits 42 once it has
// TERM blocked and taken, or dies of it (143) if the TERM comes first; a lost
// TERM leaves it waiting forever. (Not a shell with a trap: a shell's forked
// child runs with the inherited trap handler until it execs, so a TERM that
// lands there is swallowed by the workload, not by cinit.)
Options TermRaceOptions(Mode mode) {
  Options options;
  options.mode = mode;
  options.args = {"--", ProbePath(), "waitsig", std::to_string(SIGTERM), "42"};
  return options;
}

TEST(CoreSignals, TermRightAfterStartIsNeverLost) {
  CINIT_REQUIRE_ROOT();
  int outcomes[2] = {0, 0};
  for (int i = 0; i < 200; ++i) {
    Cinit cinit(TermRaceOptions(Mode::kPid1));
    ASSERT_TRUE(cinit.started()) << cinit.error();
    // As PID 1, cinit would never see a TERM sent before it blocks or
    // catches it (the kernel drops it); aim just after that moment.
    ASSERT_TRUE(WaitForSignalTaken(cinit.pid(), SIGTERM)) << cinit.Describe();
    ASSERT_TRUE(cinit.Signal(SIGTERM));
    auto exit = cinit.Wait(Ms(5000));
    ASSERT_FALSE(exit.timed_out) << "iteration " << i << ": the TERM was lost\n" << cinit.Describe();
    int status = exit.status();
    ASSERT_TRUE(status == 42 || status == 143) << "iteration " << i << ": " << cinit.Describe();
    ++outcomes[status == 42 ? 0 : 1];
  }
  RecordProperty("taken_by_main", outcomes[0]);
  RecordProperty("killed_main_before_it_blocked", outcomes[1]);
}

TEST(CoreSignals, TermRightAfterExecAsSubreaperIsNeverLost) {
  CINIT_REQUIRE_SUBREAPER();
  // Not PID 1: a TERM before cinit set up its handling kills cinit (143 as
  // well); after that it must reach the main.
  for (int i = 0; i < 100; ++i) {
    Cinit cinit(TermRaceOptions(Mode::kSubreaper));
    ASSERT_TRUE(cinit.started()) << cinit.error();
    ASSERT_TRUE(cinit.Signal(SIGTERM));
    auto exit = cinit.Wait(Ms(5000));
    ASSERT_FALSE(exit.timed_out) << "iteration " << i << ": the TERM was lost\n" << cinit.Describe();
    ASSERT_TRUE(exit.status() == 42 || exit.status() == 143) << "iteration " << i << ": "
                                                             << cinit.Describe();
  }
}

TEST(CoreSignals, ChildGetsTheMaskAndIgnoredSignalsCinitWasGiven) {
  CINIT_REQUIRE_ROOT();
  Options options;
  options.args = {"--", "cat", "/proc/self/status"};
  options.blocked = {SIGUSR2};
  options.ignored = {SIGHUP};
  auto r = RunCinit(options);
  ASSERT_EQ(r.exit.status(), 0) << r.Describe();
  EXPECT_EQ(MaskSignals(StatusField(r.out, "SigBlk")), std::vector<int>{SIGUSR2}) << r.out;
  EXPECT_EQ(MaskSignals(StatusField(r.out, "SigIgn")), std::vector<int>{SIGHUP}) << r.out;
  EXPECT_EQ(MaskSignals(StatusField(r.out, "SigCgt")), std::vector<int>{}) << r.out;

  // And with nothing blocked or ignored, the child has nothing blocked or
  // ignored (cinit's own blocking does not leak).
  options.blocked.clear();
  options.ignored.clear();
  auto plain = RunCinit(options);
  ASSERT_EQ(plain.exit.status(), 0) << plain.Describe();
  EXPECT_EQ(MaskSignals(StatusField(plain.out, "SigBlk")), std::vector<int>{}) << plain.out;
  EXPECT_EQ(MaskSignals(StatusField(plain.out, "SigIgn")), std::vector<int>{}) << plain.out;
}

}  // namespace
}  // namespace cinit_test
