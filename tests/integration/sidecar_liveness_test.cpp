// Liveness of sidecars (SPEC §7): live= with live-interval= and
// live-failures=; after that many failed checks in a row the sidecar is
// stopped and handled by its restart policy, and critical applies. The
// checks are exec: commands that report each attempt on $EV, so the tests
// see every attempt as an event.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

long long MsSince(Clock::time_point from) {
  return std::chrono::duration_cast<Ms>(Clock::now() - from).count();
}

// The check passes while the sidecar's file exists; once the test removes
// it, the restart comes live-failures x live-interval after the last
// passing check, not before, and the state counts it.
TEST(SidecarLiveness, FailingCheckRestartsAfterFailuresTimesInterval) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string alive = run.dir.Path("alive");
  std::string side = "web 'live=exec:sh -c \"if test -e " + alive + "; then echo pass > $EV; else echo fail > $EV; "
                     "exit 1; fi\"' live-interval=300ms live-failures=3 backoff=100ms -- sh -c 'touch " + alive +
                     "; echo start > $EV; exec sleep 60'";
  Cinit cinit(run.MakeOptions({"--sidecar", side, "--", "sh", "-c", "read x < $GO; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("start")) << cinit.Describe();
  // Passing checks change nothing: three of them, and no restart between.
  std::vector<std::string> other;
  ASSERT_EQ(ReadLinesWithPrefix(run.ev, "pass", 3, kDefaultTimeout, &other).size(), 3u) << cinit.Describe();
  EXPECT_TRUE(other.empty()) << "while its check passed: " << Join(other);
  auto last_pass = Clock::now();
  ASSERT_EQ(unlink(alive.c_str()), 0);
  // Until the restart: count the failures after the last passing check
  // (a late unlink on a loaded machine only means one more pass).
  int fails = 0;
  for (;;) {
    auto line = run.ev.ReadLine(Ms(10000));
    ASSERT_TRUE(line.has_value()) << "no restart; " << fails << " failures seen. " << cinit.Describe();
    if (*line == "start") break;
    if (*line == "pass") last_pass = Clock::now(), fails = 0;
    if (*line == "fail") fails++;
  }
  long long after = MsSince(last_pass);
  EXPECT_EQ(fails, 3) << "failed checks before the restart";
  EXPECT_GE(after, 850) << "restarted before 3 failed checks 300 ms apart";
  EXPECT_LE(after, 6000);
  EXPECT_TRUE(WaitUntil([&] {
    auto row = FindRow(run.State(), "web");
    return row && row->restarts == 1 && row->state == "running" && row->last == "143";
  })) << run.State();
  // Checked again after the restart.
  EXPECT_TRUE(run.ev.WaitForLine("pass")) << cinit.Describe();
  ASSERT_TRUE(run.go.Send("go"));
  EXPECT_EQ(cinit.Wait().status(), 0) << cinit.Describe();
  EXPECT_NE(cinit.Stderr().find("cinit: sidecar web failed its liveness check 3 times"), std::string::npos)
      << cinit.Stderr();
}

// A critical sidecar with restart=never that fails its check stops for
// good: the container shuts down with its status (killed by TERM: 143),
// and not before live-failures x live-interval.
TEST(SidecarLiveness, CriticalNeverRestartedShutsDownWithItsStatus) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  // A tcp: check (on the loop's descriptors) to a port nobody listens on.
  std::string side = "db critical restart=never live=tcp:127.0.0.1:" + std::to_string(FreeTcpPort()) +
                     " live-interval=300ms live-failures=2 -- sh -c 'echo start > $EV; exec sleep 60'";
  Cinit cinit(run.MakeOptions({"--sidecar", side, "--", "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("start")) << cinit.Describe();
  auto started = Clock::now();
  auto exit = cinit.Wait(Ms(10000));
  EXPECT_GE(MsSince(started), 550) << "stopped before 2 failed checks 300 ms apart";
  EXPECT_EQ(exit.status(), 128 + SIGTERM) << cinit.Describe();
  EXPECT_NE(cinit.Stderr().find("sidecar db failed its liveness check 2 times (connecting to 127.0.0.1:"),
            std::string::npos) << cinit.Stderr();
  EXPECT_NE(cinit.Stderr().find("critical sidecar db stopped for good"), std::string::npos) << cinit.Stderr();
}

// No check before the sidecar is ready: the first one comes only after
// its ready= file appears; then two failures restart it, and the new run
// (its ready file removed before the start) is not checked either.
TEST(SidecarLiveness, NoCheckBeforeReady) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string ready = run.dir.Path("ready");
  std::string side = "slow ready=file:" + ready + " 'live=exec:sh -c \"echo live > $EV; exit 1\"' "
                     "live-interval=100ms live-failures=2 backoff=100ms -- sh -c 'echo start > $EV; exec sleep 60'";
  Cinit cinit(run.MakeOptions({"--sidecar", side, "--", "sh", "-c", "read x < $GO; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("start")) << cinit.Describe();
  auto line = run.ev.ReadLine(Ms(800));
  EXPECT_FALSE(line.has_value()) << "checked or restarted while not ready: " << *line;
  ASSERT_EQ(close(open(ready.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
  std::vector<std::string> skipped;
  ASSERT_TRUE(run.ev.WaitForLine("start", Ms(10000), &skipped)) << cinit.Describe();
  EXPECT_EQ(skipped, (std::vector<std::string>{"live", "live"})) << Join(skipped);
  line = run.ev.ReadLine(Ms(500));
  EXPECT_FALSE(line.has_value()) << "checked while not ready after the restart: " << *line;
  ASSERT_TRUE(run.go.Send("go"));
  EXPECT_EQ(cinit.Wait().status(), 0) << cinit.Describe();
}

}  // namespace
}  // namespace cinit_test
