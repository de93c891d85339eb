// Shutdown (SPEC §5): after the main exits, everything left gets TERM, then
// KILL when --grace runs out; cinit exits as soon as nothing is left, with
// no fixed sleeps; a repeated TERM is forwarded, never escalated; --timeout
// stops the main.
#include <signal.h>

#include <algorithm>

#include "harness.h"

namespace cinit_test {
namespace {

long long MsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<Ms>(to - from).count();
}

const Mode kModes[] = {Mode::kPid1, Mode::kSubreaper};
const char* Name(Mode mode) { return mode == Mode::kPid1 ? "as PID 1" : "as subreaper"; }

// The main starts a background shell that traps TERM, waits until the trap
// is set, and exits. The background shell must get TERM and finish its trap
// (write a file) before cinit exits.
TEST(CoreShutdown, BackgroundProcessFinishesItsTermTrap) {
  CINIT_REQUIRE_ROOT();
  for (Mode mode : kModes) {
    if (mode == Mode::kSubreaper) CINIT_REQUIRE_SUBREAPER();  // after the PID 1 run
    TempDir dir;
    Channel gate(dir, "gate");
    Options options;
    options.mode = mode;
    options.env = {"D=" + dir.path(), "GATE=" + gate.path()};
    // The background shell waits in a sleep loop, not in dash's `read`,
    // which can miss a TERM that lands just before read(2) (seen under
    // qemu-user and load). The main reads "ready" from the gate only once
    // the trap is set; the test never reads the channel.
    options.args = {"--", "sh", "-c",
                    "sh -c 'trap \"echo done > $D/finished; exit 0\" TERM; "
                    "echo ready > $GATE; while :; do sleep 0.1; done' & "
                    "read x < \"$GATE\"; exit 0"};
    auto r = RunCinit(options, Ms(15000));
    EXPECT_EQ(r.exit.status(), 0) << Name(mode) << ": " << r.Describe();
    EXPECT_EQ(dir.Read("finished"), "done\n")
        << Name(mode) << ": the background process did not finish before cinit exited\n"
        << r.Describe();
    EXPECT_LT(r.elapsed.count(), 5000) << Name(mode) << ": waited for the grace period";
  }
}

TEST(CoreShutdown, StrayIgnoringTermIsKilledWhenGraceRunsOut) {
  CINIT_REQUIRE_ROOT();
  for (Mode mode : kModes) {
    if (mode == Mode::kSubreaper) CINIT_REQUIRE_SUBREAPER();  // after the PID 1 run
    auto run = RunWithTermIgnoringStray(mode, {"--grace", "1s"});
    EXPECT_EQ(run.exit.status(), 0) << Name(mode) << ": " << run.description;
    EXPECT_GE(run.ms_after_main, 800) << Name(mode) << ": the stray was not given the grace period";
    EXPECT_LE(run.ms_after_main, 3000) << Name(mode) << ": --grace 1s not honoured\n"
                                       << run.description;
    if (mode == Mode::kSubreaper) {
      // Outside a namespace nobody else cleans up: the stray must be dead
      // (and reaped by cinit), not left running on the host.
      ASSERT_GT(run.stray, 0);
      EXPECT_NE(ProcState(run.stray), 'S') << "stray " << run.stray << " still alive after cinit exited";
      if (ProcState(run.stray) != 0) kill(run.stray, SIGKILL);
    }
  }
}

// "When nothing is left cinit exits within 100 ms": measured from the
// main's last word to cinit's exit, best of three, alone and with a stray
// that dies on TERM.
TEST(CoreShutdown, ExitsPromptlyWhenNothingIsLeft) {
  CINIT_REQUIRE_ROOT();
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"main alone", "echo bye > \"$FIFO\"; exit 0"},
      {"with a stray", "sleep 60 & echo $! > \"$D/stray\"; echo bye > \"$FIFO\"; exit 0"},
  };
  for (Mode mode : kModes) {
    if (mode == Mode::kSubreaper) CINIT_REQUIRE_SUBREAPER();  // after the PID 1 run
    for (const auto& [name, script] : cases) {
      long long best = 1000000;
      std::string description;
      for (int attempt = 0; attempt < 3; ++attempt) {
        TempDir dir;
        Channel ch(dir);
        Options options;
        options.mode = mode;
        options.env = {"FIFO=" + ch.path(), "D=" + dir.path()};
        options.args = {"--", "sh", "-c", script};
        Cinit cinit(options);
        ASSERT_TRUE(cinit.started()) << cinit.error();
        ch.Watch(cinit);
        ASSERT_TRUE(ch.WaitForLine("bye")) << cinit.Describe();
        auto said_bye = Clock::now();
        auto exit = cinit.Wait(Ms(15000));
        EXPECT_EQ(exit.status(), 0) << cinit.Describe();
        best = std::min(best, MsBetween(said_bye, cinit.exit_time()));
        description = cinit.Describe();
        pid_t stray = atoi(dir.Read("stray").c_str());
        if (mode == Mode::kSubreaper && stray > 0) {
          // Outside a namespace the stray outlives cinit unless cinit ends it.
          char state = ProcState(stray);
          EXPECT_TRUE(state == 0 || state == 'Z' || state == 'X')
              << name << ", " << Name(mode) << ": stray " << stray << " still running (state " << state
              << ") after cinit exited\n" << description;
          if (state != 0) kill(stray, SIGKILL);
        }
      }
      EXPECT_LT(best, 100) << name << ", " << Name(mode) << ": cinit took " << best
                           << " ms to exit after the main\n"
                           << description;
    }
  }
}

// SPEC §5: every stop signal during shutdown reaches the main while it
// runs; cinit never escalates before the grace ends. Three in a row (TERM,
// INT, TERM) each reach a main that traps them, a sidecar is not killed
// meanwhile, and the main's own status (7, after its second TERM) is cinit's.
TEST(CoreShutdown, EveryStopSignalDuringShutdownReachesTheMain) {
  CINIT_REQUIRE_ROOT();
  for (Mode mode : kModes) {
    if (mode == Mode::kSubreaper) CINIT_REQUIRE_SUBREAPER();  // after the PID 1 run
    TempDir dir;
    Channel ch(dir);
    Options options;
    options.mode = mode;
    options.env = {"FIFO=" + ch.path()};
    options.args = {"--grace", "30s", "--sidecar", "side -- " + ProbePath() + " sigrecord " + ch.path() + " side 15",
                    "--", ProbePath(), "sigrecord", ch.path(), "main", "15", "2", "7"};
    Cinit cinit(options);
    ASSERT_TRUE(cinit.started()) << cinit.error();
    ch.Watch(cinit);
    // The main starts right after the sidecar's exec: their lines come in
    // either order.
    std::vector<std::string> early;
    ASSERT_TRUE(ch.WaitForLine("side ready", kDefaultTimeout, &early)) << Name(mode) << "\n" << cinit.Describe();
    if (std::find(early.begin(), early.end(), "main ready") == early.end())
      ASSERT_TRUE(ch.WaitForLine("main ready")) << Name(mode) << "\n" << cinit.Describe();
    for (int sig : {SIGTERM, SIGINT, SIGTERM}) {
      ASSERT_TRUE(cinit.Signal(sig));
      std::vector<std::string> skipped;
      ASSERT_TRUE(ch.WaitForLine("main " + std::to_string(sig), kDefaultTimeout, &skipped))
          << Name(mode) << ": signal " << sig << " was not forwarded during shutdown\n" << cinit.Describe();
      for (const auto& line : skipped) EXPECT_NE(line.rfind("side", 0), 0u) << Name(mode) << ": " << line;
    }
    // The sidecar is stopped (TERM) only once the main has exited.
    EXPECT_TRUE(ch.WaitForLine("side 15")) << Name(mode) << "\n" << cinit.Describe();
    auto exit = cinit.Wait(Ms(10000));
    EXPECT_EQ(exit.status(), 7) << Name(mode) << ": the main's own status must be cinit's\n" << cinit.Describe();
    EXPECT_EQ(cinit.Stderr().find("killing"), std::string::npos) << Name(mode) << "\n" << cinit.Describe();
  }
}

TEST(CoreShutdown, TimeoutStopsTheMainWith124) {
  CINIT_REQUIRE_ROOT();
  auto r = RunCinit({"-t", "1s", "--", "sleep", "60"});
  EXPECT_EQ(r.exit.status(), 124) << r.Describe();
  EXPECT_GE(r.elapsed.count(), 900) << r.Describe();
  EXPECT_LT(r.elapsed.count(), 5000) << r.Describe();

  // A main that finishes in time keeps its own status.
  auto in_time = RunCinit({"--timeout", "5s", "--", "sh", "-c", "exit 3"});
  EXPECT_EQ(in_time.exit.status(), 3) << in_time.Describe();
  EXPECT_LT(in_time.elapsed.count(), 2000) << in_time.Describe();
}

}  // namespace
}  // namespace cinit_test
