// Liveness of sidecars (SPEC §7): live= with live-interval= and
// live-failures=; after that many failed checks in a row the sidecar is
// stopped and handled by its restart policy, and critical applies.
#include <signal.h>
#include <unistd.h>

#include "harness.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

long long MsSince(Clock::time_point from) {
  return std::chrono::duration_cast<Ms>(Clock::now() - from).count();
}

// The check is a file the sidecar creates; removing it makes the checks
// fail: the restart comes after live-failures x live-interval, not before.
TEST(SidecarLiveness, FailingCheckRestartsAfterFailuresTimesInterval) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string alive = run.dir.Path("alive");
  std::string side = "web live=file:" + alive + " live-interval=1s live-failures=3 backoff=100ms -- sh -c '"
                     "touch " + alive + "; echo start > $EV; exec sleep 60'";
  Cinit cinit(run.MakeOptions({"--sidecar", side, "--", "sh", "-c", "read x < $GO; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("start")) << cinit.Describe();
  // Passing checks (three intervals) change nothing.
  auto line = run.ev.ReadLine(Ms(3500));
  EXPECT_FALSE(line.has_value()) << "restarted while its check passed: " << *line;
  auto removed = Clock::now();
  ASSERT_EQ(unlink(alive.c_str()), 0);
  ASSERT_TRUE(run.ev.WaitForLine("start", Ms(10000))) << cinit.Describe();
  long long after = MsSince(removed);
  EXPECT_GE(after, 1900) << "restarted before 3 failed checks a second apart";
  EXPECT_LE(after, 7000);
  EXPECT_TRUE(WaitUntil([&] {
    auto row = FindRow(run.State(), "web");
    return row && row->restarts == 1 && row->state == "running";
  })) << run.State();
  ASSERT_TRUE(run.go.Send("go"));
  EXPECT_EQ(cinit.Wait().status(), 0) << cinit.Describe();
  EXPECT_NE(cinit.Stderr().find("cinit: sidecar web failed its liveness check 3 times"), std::string::npos)
      << cinit.Stderr();
}

// A critical sidecar with restart=never that fails its check stops for
// good: the container shuts down with its status (killed by TERM: 143).
TEST(SidecarLiveness, CriticalNeverRestartedShutsDownWithItsStatus) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string side = "db critical restart=never live=exec:false live-interval=300ms live-failures=2 -- sh -c "
                     "'echo start > $EV; exec sleep 60'";
  Cinit cinit(run.MakeOptions({"--sidecar", side, "--", "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  auto exit = cinit.Wait(Ms(10000));
  EXPECT_EQ(exit.status(), 128 + SIGTERM) << cinit.Describe();
  EXPECT_NE(cinit.Stderr().find("sidecar db failed its liveness check 2 times"), std::string::npos) << cinit.Stderr();
  EXPECT_NE(cinit.Stderr().find("critical sidecar db stopped for good"), std::string::npos) << cinit.Stderr();
}

// No check before the sidecar is ready: one that never becomes ready is
// never restarted for its liveness, however often the check would fail.
TEST(SidecarLiveness, NoCheckBeforeReady) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string side = "slow ready=file:" + run.dir.Path("never") + " ready-timeout=200ms live=exec:false "
                     "live-interval=100ms live-failures=1 -- sh -c 'echo start > $EV; exec sleep 60'";
  Cinit cinit(run.MakeOptions({"--sidecar", side, "--", "sh", "-c", "read x < $GO; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("start")) << cinit.Describe();
  auto line = run.ev.ReadLine(Ms(1500));
  EXPECT_FALSE(line.has_value()) << "restarted while not ready: " << *line;
  ASSERT_TRUE(run.go.Send("go"));
  EXPECT_EQ(cinit.Wait().status(), 0) << cinit.Describe();
  EXPECT_EQ(cinit.Stderr().find("liveness"), std::string::npos) << cinit.Stderr();
}

}  // namespace
}  // namespace cinit_test
