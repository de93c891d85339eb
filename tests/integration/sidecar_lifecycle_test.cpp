// Sidecar lifecycle (SPEC §5): declarations start in order, each held back
// until the one before is ready or done; the main starts last. On shutdown
// the main is stopped first while the sidecars keep running (and being
// restarted); then the sidecars are stopped one at a time, newest first,
// each killed at its stop-timeout, all within --grace. A failing init task
// aborts startup with its status.
//
// Every process reports to the event channel $EV; the test reads the lines
// in the order they were written (one small write each), which is the order
// things happened.
#include <signal.h>

#include <algorithm>

#include "harness.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

long long MsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<Ms>(to - from).count();
}

// A sidecar that reports its start, touches its readiness file (so the next
// entry waits for it: without ready= the order of the *lines* would be a
// race between two running shells), and reports TERM.
std::string OrderedSidecar(const SidecarRun& run, const std::string& name, const std::string& on_term) {
  return name + " ready=file:" + run.dir.Path(name + ".ready") + " -- sh -c '" + "trap \"echo " + name +
         "-term > $EV; " + on_term + "\" TERM; echo " + name + "-start > $EV; touch $D/" + name +
         ".ready; while :; do sleep 0.1; done'";
}

TEST(SidecarLifecycle, StartOrderAndReverseStop) {
  CINIT_REQUIRE_ROOT();
  for (Mode mode : {Mode::kPid1, Mode::kSubreaper}) {
    if (mode == Mode::kSubreaper && !SubreaperUnavailable().empty()) continue;
    SCOPED_TRACE(mode == Mode::kPid1 ? "as PID 1" : "as subreaper");
    SidecarRun run;
    // s2 holds its stop until the test says go: meanwhile s1 must not be
    // asked to stop (one at a time, newest first).
    auto options = run.MakeOptions(
        {"--init", "setup -- sh -c 'echo init > $EV'",                                                  //
         "--sidecar", OrderedSidecar(run, "s1", "exit 0"),                                               //
         "--sidecar", OrderedSidecar(run, "s2", "read y < $GO; echo s2-done > $EV; exit 0"),            //
         "--", "sh", "-c", "trap 'echo main-term > $EV; exit 5' TERM; echo main-start > $EV; while :; do sleep 0.1; done"});
    options.mode = mode;
    Cinit cinit(options);
    ASSERT_TRUE(cinit.started()) << cinit.error();
    run.ev.Watch(cinit);

    auto started = ReadLines(run.ev, 4);
    ASSERT_EQ(started, (std::vector<std::string>{"init", "s1-start", "s2-start", "main-start"}))
        << "startup order\n" << cinit.Describe();

    ASSERT_TRUE(cinit.Signal(SIGTERM));
    auto stopping = ReadLines(run.ev, 2);
    ASSERT_EQ(stopping, (std::vector<std::string>{"main-term", "s2-term"}))
        << "the main must get TERM first, then the newest sidecar\n" << cinit.Describe();
    // s2 is still stopping: nothing else may be asked to stop yet.
    auto early = run.ev.ReadLine(Ms(400));
    EXPECT_FALSE(early.has_value()) << "while s2 was stopping: " << *early;

    ASSERT_TRUE(run.go.Send("go"));
    auto rest = ReadLines(run.ev, 2);
    EXPECT_EQ(rest, (std::vector<std::string>{"s2-done", "s1-term"})) << cinit.Describe();

    auto exit = cinit.Wait(Ms(10000));
    EXPECT_EQ(exit.status(), 5) << "cinit exits with the main's status\n" << cinit.Describe();
    EXPECT_TRUE(run.ev.Drain().empty());
  }
  CINIT_REQUIRE_SUBREAPER();  // PID 1 mode ran; say that subreaper mode did not
}

// TERM goes to the main only. Until the main has exited the sidecar keeps
// running and, when it dies, is restarted; it is stopped afterwards.
TEST(SidecarLifecycle, SidecarOutlivesMainAndKeepsRestarting) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  auto options = run.MakeOptions(
      {"--sidecar",
       "side backoff=100ms -- sh -c 'trap \"echo side-term > $EV; exit 0\" TERM; "
       "echo \"side-start $$\" > $EV; while :; do sleep 0.1; done'",
       "--", "sh", "-c",
       "trap 'echo main-term > $EV; read y < $GO; echo main-exit > $EV; exit 0' TERM; "
       "echo main-start > $EV; while :; do sleep 0.1; done"});
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);

  // No ready=: the two lines may come in either order.
  auto started = ReadLines(run.ev, 2);
  ASSERT_EQ(started.size(), 2u) << cinit.Describe();
  std::sort(started.begin(), started.end());
  ASSERT_EQ(started[0], "main-start") << Join(started);
  ASSERT_EQ(started[1].rfind("side-start ", 0), 0u) << Join(started);
  pid_t first = static_cast<pid_t>(LastNumber(started[1]));

  ASSERT_TRUE(cinit.Signal(SIGTERM));
  auto line = run.ev.ReadLine();
  ASSERT_EQ(line.value_or("(nothing)"), "main-term") << "TERM must reach the main, and only the main\n"
                                                     << cinit.Describe();

  // The main is stopping: kill the sidecar; it must come back.
  pid_t host = HostPid(cinit, first);
  ASSERT_GT(host, 0) << "sidecar pid " << first << " not found below cinit";
  ASSERT_EQ(kill(host, SIGKILL), 0);
  line = run.ev.ReadLine();
  ASSERT_TRUE(line && line->rfind("side-start ", 0) == 0)
      << "the sidecar was not restarted while the main was stopping: " << line.value_or("(nothing)") << "\n"
      << cinit.Describe();
  EXPECT_NE(static_cast<pid_t>(LastNumber(*line)), first);
  EXPECT_FALSE(cinit.Exited());

  ASSERT_TRUE(run.go.Send("go"));
  auto after = ReadLines(run.ev, 2);
  EXPECT_EQ(after, (std::vector<std::string>{"main-exit", "side-term"}))
      << "the sidecar is stopped only after the main has exited\n" << cinit.Describe();
  auto exit = cinit.Wait(Ms(10000));
  EXPECT_EQ(exit.status(), 0) << cinit.Describe();
}

// stop-signal= is what a sidecar gets; one that ignores it is killed at its
// stop-timeout, not at the 5 s default.
TEST(SidecarLifecycle, StopSignalAndStopTimeout) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  auto options = run.MakeOptions(
      {"--sidecar",
       "polite stop-signal=USR1 -- sh -c 'trap \"echo polite-term > $EV\" TERM; "
       "trap \"echo polite-usr1 > $EV; exit 0\" USR1; echo polite-start > $EV; while :; do sleep 0.1; done'",
       "--sidecar",
       "stubborn stop-timeout=500ms -- sh -c 'trap \"\" TERM; echo stubborn-start > $EV; read x < $HOLD'",  //
       "--", "sh", "-c", "read x < $GO; exit 0"});
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  // Neither has ready=, so their lines may come in either order.
  auto started = ReadLines(run.ev, 2);
  std::sort(started.begin(), started.end());
  ASSERT_EQ(started, (std::vector<std::string>{"polite-start", "stubborn-start"})) << cinit.Describe();

  auto released = Clock::now();
  ASSERT_TRUE(run.go.Send("go"));
  auto exit = cinit.Wait(Ms(15000));
  EXPECT_EQ(exit.status(), 0) << cinit.Describe();
  long long took = MsBetween(released, cinit.exit_time());
  EXPECT_GE(took, 450) << "the sidecar ignoring TERM was not given its stop-timeout\n" << cinit.Describe();
  EXPECT_LT(took, 3000) << "stop-timeout=500ms not honoured\n" << cinit.Describe();
  EXPECT_EQ(run.ev.Drain(), std::vector<std::string>{"polite-usr1"})
      << "the polite sidecar must get its stop-signal (USR1), not TERM";
}

// With --grace 3s the whole stop takes about 3 s, however long the
// stop-timeouts are and whoever ignores TERM.
TEST(SidecarLifecycle, WholeStopFitsInGrace) {
  CINIT_REQUIRE_ROOT();
  const std::string ignoring_main = "trap '' TERM; echo main-start > $EV; read x < $HOLD";
  // A sleep loop, not `read x < $HOLD`, where the trap must run (see sidecar_support.h).
  const std::string obeying_main = "trap 'exit 0' TERM; echo main-start > $EV; while :; do sleep 0.1; done";
  struct Case {
    const char* what;
    std::string main;
    int status;
  };
  for (const Case& c : {Case{"main ignores TERM", ignoring_main, 128 + SIGKILL},
                        Case{"main obeys TERM", obeying_main, 0}}) {
    SidecarRun run;
    auto options = run.MakeOptions(
        {"--grace", "3s",                                                                         //
         "--sidecar", "a stop-timeout=5s -- sh -c 'trap \"\" TERM; echo a-start > $EV; read x < $HOLD'",  //
         "--sidecar", "b stop-timeout=5s -- sh -c 'trap \"\" TERM; echo b-start > $EV; read x < $HOLD'",  //
         "--", "sh", "-c", c.main});
    Cinit cinit(options);
    ASSERT_TRUE(cinit.started()) << cinit.error();
    run.ev.Watch(cinit);
    ASSERT_TRUE(run.ev.WaitForLine("main-start")) << c.what << "\n" << cinit.Describe();
    auto term = Clock::now();
    ASSERT_TRUE(cinit.Signal(SIGTERM));
    auto exit = cinit.Wait(Ms(20000));
    long long took = MsBetween(term, cinit.exit_time());
    EXPECT_EQ(exit.status(), c.status) << c.what << "\n" << cinit.Describe();
    EXPECT_GE(took, 2500) << c.what << ": stopped before the grace ran out\n" << cinit.Describe();
    EXPECT_LE(took, 4500) << c.what << ": --grace 3s not honoured\n" << cinit.Describe();
  }
}

// TERM while a sidecar holds startup back: what started is stopped, the
// main never starts, and cinit reports the signal (128+15).
TEST(SidecarLifecycle, TermDuringStartupStopsWhatStarted) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  auto options = run.MakeOptions(
      {"--sidecar",
       "gate ready=file:" + run.dir.Path("never") + " -- sh -c '" +
           "trap \"echo gate-term > $EV; exit 0\" TERM; echo gate-up > $EV; while :; do sleep 0.1; done'",
       "--", "sh", "-c", "touch $D/main-ran"});
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("gate-up")) << cinit.Describe();
  ASSERT_TRUE(cinit.Signal(SIGTERM));
  auto exit = cinit.Wait(Ms(10000));
  EXPECT_EQ(exit.status(), 128 + SIGTERM) << cinit.Describe();
  EXPECT_EQ(run.ev.Drain(), std::vector<std::string>{"gate-term"}) << cinit.Describe();
  EXPECT_FALSE(run.dir.Exists("main-ran"));
}

// An init task that fails stops startup: the sidecar started before it is
// stopped, nothing after it starts, and cinit exits with the task's status.
TEST(SidecarLifecycle, FailingInitTaskAbortsStartup) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  auto options = run.MakeOptions(
      {"--sidecar",
       "early -- sh -c 'trap \"echo early-term > $EV; exit 0\" TERM; echo early-start > $EV; while :; do sleep 0.1; done'",
       "--init", "migrate -- sh -c 'read x < $GO; exit 7'",                   //
       "--sidecar", "late -- sh -c 'echo late-start > $EV; read x < $HOLD'",  //
       "--", "sh", "-c", "touch $D/main-ran"});
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("early-start")) << cinit.Describe();
  ASSERT_TRUE(run.go.Send("fail now"));
  auto exit = cinit.Wait(Ms(10000));
  EXPECT_EQ(exit.status(), 7) << "cinit exits with the failed task's status\n" << cinit.Describe();
  EXPECT_EQ(run.ev.Drain(), std::vector<std::string>{"early-term"}) << cinit.Describe();
  EXPECT_FALSE(run.dir.Exists("main-ran")) << "the main started after a failed init task";
}

// An init task's ok-codes let startup go on; init tasks run one after the
// other, each to completion, before the main.
TEST(SidecarLifecycle, InitTasksRunToCompletionInOrder) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  auto options = run.MakeOptions({"--init", "one ok-codes=0,3 -- sh -c 'read x < $GO; echo one > $EV; exit 3'",
                                  "--init", "two -- sh -c 'echo two > $EV'",  //
                                  "--", "sh", "-c", "echo main > $EV; exit 0"});
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  // Task one waits for the test: nothing after it may run meanwhile.
  auto early = run.ev.ReadLine(Ms(400));
  EXPECT_FALSE(early.has_value()) << "ran before init task one finished: " << *early;
  ASSERT_TRUE(run.go.Send("go"));
  auto exit = cinit.Wait(Ms(10000));
  EXPECT_EQ(exit.status(), 0) << cinit.Describe();
  EXPECT_EQ(run.ev.Drain(), (std::vector<std::string>{"one", "two", "main"})) << cinit.Describe();
}

}  // namespace
}  // namespace cinit_test
