// Sidecar restarts (SPEC §4, §5): restart=always|on-failure|never and
// ok-codes decide whether an exit is followed by a start; the k-th quick
// exit in a row waits backoff·2^(k-1) (capped by backoff-max); a run of 10 s
// or more resets the count; max-restarts=N makes the (N+1)-th quick exit
// FAILED, which ends the container with the sidecar's status if it is
// critical and is only logged if not.
//
// Start times are taken by the sidecars themselves from /proc/uptime (the
// monotonic boot clock, 10 ms resolution) and reported on the event channel.
#include <signal.h>

#include <algorithm>

#include "harness.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

long long MsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<Ms>(to - from).count();
}

// Reports "start UPTIME" and exits 1 at once.
const char kCrashLoop[] =
    "crash -- sh -c 'read up idle < /proc/uptime; echo \"start $up\" > $EV; exit 1'";

TEST(SidecarRestart, DefaultBackoffDoubles) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  Cinit cinit(run.MakeOptions({"--sidecar", kCrashLoop, "--", "sh", "-c", "read x < $GO; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);

  // Starts at about 0, 1, 3 and 7 s.
  auto starts = ReadLinesWithPrefix(run.ev, "start ", 4, Ms(20000));
  ASSERT_EQ(starts.size(), 4u) << Join(starts) << cinit.Describe();
  double gap1 = LastNumber(starts[1]) - LastNumber(starts[0]);
  double gap2 = LastNumber(starts[2]) - LastNumber(starts[1]);
  double gap3 = LastNumber(starts[3]) - LastNumber(starts[2]);
  EXPECT_GE(gap1, 0.8) << Join(starts);
  EXPECT_LE(gap1, 1.8) << Join(starts);
  EXPECT_GE(gap2, 1.6) << Join(starts);
  EXPECT_LE(gap2, 3.0) << Join(starts);
  EXPECT_GE(gap3, 3.2) << Join(starts);
  EXPECT_LE(gap3, 5.5) << Join(starts);

  // The state file counts the restarts.
  EXPECT_TRUE(WaitUntil([&] {
    auto row = FindRow(run.State(), "crash");
    return row && row->restarts == 3;
  })) << run.State();

  // The next start is 8 s away: the main's exit cancels it at once.
  auto released = Clock::now();
  ASSERT_TRUE(run.go.Send("go"));
  auto exit = cinit.Wait(Ms(10000));
  EXPECT_EQ(exit.status(), 0) << cinit.Describe();
  EXPECT_LT(MsBetween(released, cinit.exit_time()), 3000) << "a pending restart delayed the shutdown";
}

// backoff=300ms: quick exits wait 0.3 s, then 0.6 s; the third run lasts
// 10.5 s, so the count starts again: 0.3 s, then 0.6 s (not 1.2 s, 2.4 s).
TEST(SidecarRestart, LongRunResetsBackoff) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  const std::string side =
      "reset backoff=300ms -- sh -c '"
      "n=$(cat $D/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > $D/count; "
      "read up idle < /proc/uptime; echo \"start $n $up\" > $EV; "
      "if [ $n = 3 ]; then sleep 10.5; read up idle < /proc/uptime; echo \"end $n $up\" > $EV; fi; "
      "if [ $n -ge 5 ]; then read x < $HOLD; fi; exit 1'";
  Cinit cinit(run.MakeOptions({"--sidecar", side, "--", "sh", "-c", "read x < $GO; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);

  auto lines = ReadLines(run.ev, 6, Ms(30000));
  ASSERT_EQ(lines.size(), 6u) << Join(lines) << cinit.Describe();
  const std::vector<std::string> tags = {"start 1 ", "start 2 ", "start 3 ", "end 3 ", "start 4 ", "start 5 "};
  std::vector<double> t;
  for (size_t i = 0; i < tags.size(); ++i) {
    ASSERT_EQ(lines[i].rfind(tags[i], 0), 0u) << Join(lines);
    t.push_back(LastNumber(lines[i]));
  }
  EXPECT_GE(t[1] - t[0], 0.2) << Join(lines);
  EXPECT_LE(t[1] - t[0], 0.9) << Join(lines);
  EXPECT_GE(t[2] - t[1], 0.45) << Join(lines);
  EXPECT_LE(t[2] - t[1], 1.3) << Join(lines);
  EXPECT_GE(t[3] - t[2], 10.0) << "the long run was not long enough to test anything\n" << Join(lines);
  EXPECT_GE(t[4] - t[3], 0.2) << Join(lines);
  EXPECT_LE(t[4] - t[3], 0.9) << "after a run of 10 s or more the delay must be backoff again\n" << Join(lines);
  EXPECT_GE(t[5] - t[4], 0.45) << Join(lines);
  EXPECT_LE(t[5] - t[4], 1.3) << Join(lines);

  ASSERT_TRUE(run.go.Send("go"));
  EXPECT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Describe();
}

// critical + max-restarts=2: three quick exits, then the container ends with
// the sidecar's status although the main would run forever.
TEST(SidecarRestart, CriticalSidecarOutOfRestartsEndsContainer) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  Cinit cinit(run.MakeOptions(
      {"--sidecar", "crit critical max-restarts=2 backoff=100ms -- sh -c 'echo start > $EV; exit 3'",  //
       "--", "sh", "-c", "trap 'echo main-term > $EV; exit 0' TERM; echo main-start > $EV; while :; do sleep 0.1; done"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  auto exit = cinit.Wait(Ms(15000));
  EXPECT_EQ(exit.status(), 3) << "the critical sidecar's status\n" << cinit.Describe();
  auto lines = run.ev.Drain();
  auto count = [&](const std::string& s) { return std::count(lines.begin(), lines.end(), s); };
  EXPECT_EQ(count("start"), 3) << "max-restarts=2 means three runs\n" << Join(lines);
  EXPECT_EQ(count("main-start"), 1) << Join(lines);
  EXPECT_EQ(count("main-term"), 1) << "the main must be asked to stop\n" << Join(lines);
}

// A critical sidecar that finishes for good (restart=never) ends the
// container too: the main gets TERM and exits 0, cinit exits with the
// sidecar's 4.
TEST(SidecarRestart, CriticalSidecarThatFinishesEndsContainer) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  Cinit cinit(run.MakeOptions(
      {"--sidecar", "job critical restart=never -- sh -c 'read x < $GO; exit 4'",  //
       "--", "sh", "-c", "trap 'echo main-term > $EV; exit 0' TERM; echo main-start > $EV; while :; do sleep 0.1; done"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("main-start")) << cinit.Describe();
  ASSERT_TRUE(run.go.Send("go"));
  ASSERT_TRUE(run.ev.WaitForLine("main-term")) << "the main was not stopped\n" << cinit.Describe();
  EXPECT_EQ(cinit.Wait(Ms(10000)).status(), 4) << cinit.Describe();
}

// Not critical: FAILED after max-restarts, logged, and the main goes on.
TEST(SidecarRestart, NonCriticalSidecarFailsAndMainGoesOn) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  Cinit cinit(run.MakeOptions(
      {"--sidecar", "flaky max-restarts=2 backoff=100ms -- sh -c 'echo start > $EV; exit 3'",  //
       "--", "sh", "-c", "echo main-start > $EV; read x < $GO; echo main-end > $EV; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(WaitForState(run, "flaky", "failed")) << run.State() << cinit.Describe();
  auto row = FindRow(run.State(), "flaky");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->restarts, 2u) << run.State();
  EXPECT_EQ(row->last, "3") << run.State();
  EXPECT_EQ(row->pid, "-") << run.State();
  auto main_row = FindRow(run.State(), "main");
  ASSERT_TRUE(main_row);
  EXPECT_EQ(main_row->state, "running") << run.State();

  auto probe = RunStatus(run.state_dir, {"--live"});
  EXPECT_EQ(probe.code, 1) << "a FAILED sidecar fails --live\n" << probe.out << probe.err;
  EXPECT_FALSE(cinit.Exited()) << cinit.Describe();
  EXPECT_NE(cinit.Stderr().find("cinit: "), std::string::npos) << "the failure must be logged";
  EXPECT_NE(cinit.Stderr().find("flaky"), std::string::npos) << cinit.Stderr();

  ASSERT_TRUE(run.go.Send("go"));
  EXPECT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Describe();
  auto lines = run.ev.Drain();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "start"), 3) << Join(lines);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "main-end"), 1) << Join(lines);
}

// restart=on-failure restarts only failures; ok-codes says what is not a
// failure; restart=never never restarts.
TEST(SidecarRestart, RestartPoliciesAndOkCodes) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  Cinit cinit(run.MakeOptions(
      {"--sidecar", "clean restart=on-failure backoff=50ms -- sh -c 'echo clean > $EV; exit 0'",
       "--sidecar", "okcode restart=on-failure ok-codes=5 backoff=50ms -- sh -c 'echo okcode > $EV; exit 5'",
       "--sidecar", "never restart=never -- sh -c 'echo never > $EV; exit 1'",
       "--sidecar",
       "retry restart=on-failure backoff=50ms -- sh -c 'echo retry > $EV; "
       "if [ -e $D/retried ]; then exit 0; fi; touch $D/retried; exit 1'",
       "--sidecar", "always backoff=50ms -- sh -c 'echo always > $EV; exit 0'",  //
       "--", "sh", "-c", "read x < $GO; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  for (const char* name : {"clean", "okcode", "retry"})
    EXPECT_TRUE(WaitForState(run, name, "exited")) << name << "\n" << run.State();
  EXPECT_TRUE(WaitForState(run, "never", "failed")) << run.State();
  // restart=always restarts even a clean exit.
  std::vector<std::string> lines;
  auto always = ReadLinesWithPrefix(run.ev, "always", 3, Ms(10000), &lines);
  EXPECT_EQ(always.size(), 3u);
  ASSERT_TRUE(run.go.Send("go"));
  EXPECT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Describe();
  for (const auto& line : run.ev.Drain()) lines.push_back(line);
  auto count = [&](const std::string& s) { return std::count(lines.begin(), lines.end(), s); };
  EXPECT_EQ(count("clean"), 1) << Join(lines);
  EXPECT_EQ(count("okcode"), 1) << Join(lines);
  EXPECT_EQ(count("never"), 1) << Join(lines);
  EXPECT_EQ(count("retry"), 2) << Join(lines);
}

}  // namespace
}  // namespace cinit_test
