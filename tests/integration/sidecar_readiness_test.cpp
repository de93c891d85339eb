// Readiness (SPEC §4 ready=, §5 startup): a sidecar with ready= holds back
// the next entry, here the main, until its check passes. Each kind is
// tested the same way: the sidecar comes up but is not ready until the test
// releases it; for a while after that nothing else may start (and the state
// file still shows the main pending); after the release the main starts,
// and itself checks that the readiness condition holds, so a main started
// too early reports "main-early" whatever the timing. Past ready-timeout a
// critical sidecar ends startup with 124, a non-critical one is logged and
// the main starts anyway.
#include <sys/stat.h>

#include <functional>

#include "harness.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

long long MsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<Ms>(to - from).count();
}

struct ReadyCase {
  std::string ready;     // the ready= option, quoted as needed
  std::string sidecar;   // script of the sidecar (sh -c)
  std::string check;     // shell condition the main tests when it starts
  std::function<void(SidecarRun&)> release;
};

void ExpectHeldBackUntilReady(SidecarRun& run, const ReadyCase& c) {
  auto options = run.MakeOptions({"--sidecar", "side " + c.ready + " -- sh -c '" + c.sidecar + "'",  //
                                  "--", "sh", "-c",
                                  "if " + c.check + "; then echo main-ok > $EV; else echo main-early > $EV; fi"});
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  std::vector<std::string> before;
  ASSERT_TRUE(run.ev.WaitForLine("side-up", kDefaultTimeout, &before)) << cinit.Describe();
  EXPECT_TRUE(before.empty()) << Join(before);

  // Not ready: the main is held back (several check attempts happen meanwhile).
  auto early = run.ev.ReadLine(Ms(700));
  ASSERT_FALSE(early.has_value()) << "the main started before the sidecar was ready: " << *early << "\n"
                                  << cinit.Describe();
  ASSERT_TRUE(WaitUntil([&] { return FindRow(run.State(), "main").has_value(); })) << run.State();
  auto main_row = FindRow(run.State(), "main");
  ASSERT_TRUE(main_row) << run.State();
  EXPECT_EQ(main_row->state, "pending") << run.State();
  auto side_row = FindRow(run.State(), "side");
  ASSERT_TRUE(side_row) << run.State();
  EXPECT_EQ(side_row->state, "starting") << run.State();
  EXPECT_EQ(side_row->ready, "no") << run.State();

  c.release(run);
  auto line = run.ev.ReadLine();
  EXPECT_EQ(line.value_or("(nothing)"), "main-ok") << cinit.Describe();
  EXPECT_EQ(cinit.Wait(Ms(15000)).status(), 0) << cinit.Describe();
}

// A directory for busybox httpd with an index page.
std::string MakeWebRoot(SidecarRun& run) {
  std::string www = run.dir.Path("www");
  EXPECT_EQ(mkdir(www.c_str(), 0755), 0);
  run.dir.Write("www/index.html", "hello\n");
  return www;
}

TEST(SidecarReadiness, TcpHoldsBackMain) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string www = MakeWebRoot(run);
  std::string port = std::to_string(FreeTcpPort());
  ExpectHeldBackUntilReady(
      run, {"ready=tcp:localhost:" + port,
            "echo side-up > $EV; read x < $GO; exec busybox httpd -f -p 127.0.0.1:" + port + " -h " + www,
            "busybox wget -q -O /dev/null http://127.0.0.1:" + port + "/", [](SidecarRun& r) { r.go.Send("go"); }});
}

// The server runs from the start but answers 404 until the page exists.
TEST(SidecarReadiness, HttpHoldsBackMainUntil2xx) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string www = MakeWebRoot(run);
  std::string port = std::to_string(FreeTcpPort());
  ExpectHeldBackUntilReady(
      run, {"ready=http://127.0.0.1:" + port + "/health.html",
            "echo side-up > $EV; exec busybox httpd -f -p 127.0.0.1:" + port + " -h " + www,
            "busybox wget -q -O /dev/null http://127.0.0.1:" + port + "/health.html",
            [](SidecarRun& r) { r.dir.Write("www/health.html", "ok\n"); }});
}

TEST(SidecarReadiness, ExecHoldsBackMain) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string flag = run.dir.Path("flag");
  ExpectHeldBackUntilReady(run, {"'ready=exec:test -e " + flag + "'", "echo side-up > $EV; read x < $HOLD",
                                 "test -e " + flag, [](SidecarRun& r) { r.dir.Write("flag", ""); }});
}

// A stale readiness file from before the start must not count: cinit
// removes it before starting the sidecar.
TEST(SidecarReadiness, FileHoldsBackMain) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  run.dir.Write("ready", "stale\n");
  ExpectHeldBackUntilReady(
      run, {"ready=file:" + run.dir.Path("ready"),
            "echo side-up > $EV; read x < $GO; echo fresh > $D/ready.tmp; mv $D/ready.tmp $D/ready; read x < $HOLD",
            "grep -q fresh $D/ready", [](SidecarRun& r) { r.go.Send("go"); }});
}

// The s6 protocol: a newline on descriptor N.
TEST(SidecarReadiness, FdHoldsBackMain) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  ExpectHeldBackUntilReady(
      run, {"ready=fd:5", "echo side-up > $EV; read x < $GO; touch $D/told; echo >&5; read x < $HOLD",
            "test -e $D/told", [](SidecarRun& r) { r.go.Send("go"); }});
}

// Critical and never ready: 124 once ready-timeout has passed; the main
// never starts and the sidecar is stopped.
TEST(SidecarReadiness, CriticalReadyTimeoutGives124) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  auto options = run.MakeOptions(
      {"--sidecar",
       "slow critical ready=file:" + run.dir.Path("never") + " ready-timeout=500ms -- sh -c '" +
           "trap \"echo slow-term > $EV; exit 0\" TERM; echo side-up > $EV; while :; do sleep 0.1; done'",
       "--", "sh", "-c", "touch $D/main-ran"});
  auto started = Clock::now();
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  auto exit = cinit.Wait(Ms(15000));
  EXPECT_EQ(exit.status(), 124) << cinit.Describe();
  long long took = MsBetween(started, cinit.exit_time());
  EXPECT_GE(took, 450) << cinit.Describe();
  EXPECT_LT(took, 5000) << cinit.Describe();
  EXPECT_FALSE(run.dir.Exists("main-ran")) << "the main started although a critical sidecar never got ready";
  EXPECT_EQ(run.ev.Drain(), (std::vector<std::string>{"side-up", "slow-term"})) << cinit.Describe();
  auto errors = LinesStartingWith(cinit.Stderr(), "cinit: ");
  bool named = false;
  for (const auto& line : errors) named = named || line.find("slow") != std::string::npos;
  EXPECT_TRUE(named) << "no diagnostic names the sidecar\n" << cinit.Stderr();
}

// Not critical: a warning after ready-timeout, then the main starts; the
// check keeps running, so the sidecar can still become ready later.
TEST(SidecarReadiness, NonCriticalReadyTimeoutWarnsAndGoesOn) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  auto options = run.MakeOptions(
      {"--sidecar",
       "slow ready=file:" + run.dir.Path("late") + " ready-timeout=500ms -- sh -c 'echo side-up > $EV; read x < $HOLD'",
       "--", "sh", "-c", "echo main-start > $EV; read x < $GO; exit 0"});
  auto started = Clock::now();
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("side-up")) << cinit.Describe();
  ASSERT_TRUE(run.ev.WaitForLine("main-start")) << cinit.Describe();
  EXPECT_GE(MsBetween(started, Clock::now()), 450) << "the main did not wait for the ready-timeout";
  auto warnings = LinesStartingWith(cinit.Stderr(), "cinit: ");
  bool named = false;
  for (const auto& line : warnings) named = named || line.find("slow") != std::string::npos;
  EXPECT_TRUE(named) << "no warning names the sidecar\n" << cinit.Stderr();
  EXPECT_EQ(FindRow(run.State(), "slow").value_or(StateRow{}).ready, "no") << run.State();

  run.dir.Write("late", "");
  EXPECT_TRUE(WaitUntil([&] {
    auto row = FindRow(run.State(), "slow");
    return row && row->ready == "yes" && row->state == "running";
  })) << "the check stopped after the timeout\n"
      << run.State();
  ASSERT_TRUE(run.go.Send("go"));
  EXPECT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Describe();
}

}  // namespace
}  // namespace cinit_test
