// Fork failures (README "Exit status", SPEC §3, §4): when the main cannot be
// forked, cinit says why, stops whatever it had started and exits 125,
// leaving nothing behind; when a sidecar cannot be forked at restart time,
// cinit logs it and retries with the sidecar's backoff, and the main runs on
// untouched. The process limit is taken away in the two ways a container
// meets it: RLIMIT_NPROC for a non-root user, and a pids cgroup (Kubernetes
// pod pids limit, docker --pids-limit).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <regex>

#include "fault_storm.h"

namespace cinit_test {
namespace {

using hard::PidsCgroup;

// Every diagnostic of cinit is one line starting "cinit: ".
void ExpectOnlyCinitLines(const std::string& err) {
  for (const auto& line : Lines(err))
    EXPECT_EQ(line.rfind("cinit: ", 0), 0u) << "not a cinit diagnostic: " << line << "\n" << err;
}

// "restarting in N ms" delays logged (at -v) for a sidecar, in order.
std::vector<long> RestartDelays(const std::string& err, const std::string& name, int status) {
  std::vector<long> out;
  std::regex re(name + " exited with " + std::to_string(status) + "; restarting in ([0-9]+) ms");
  for (const auto& line : Lines(err)) {
    std::smatch m;
    if (std::regex_search(line, m, re)) out.push_back(std::stol(m[1]));
  }
  return out;
}

TEST(FaultFork, MainCannotBeForkedUnderNprocLimit) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  // Owned by the user cinit runs as, so the state file is not what fails.
  ASSERT_EQ(mkdir(dir.Path("state").c_str(), 0755), 0);
  ASSERT_EQ(chown(dir.Path("state").c_str(), 65534, 65534), 0);
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  Options options;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state"), hard::AsanOptionsWithoutLeakCheck()};
  options.args = {"--", "sh", "-c", "echo started > " + dir.Path("state/ran")};
  // One process for uid 65534: cinit itself. Its fork of the main fails.
  RunResult r = hard::RunWrapped(options, {"--uid", "65534", "--nproc", "1"});
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_NE(r.err.find("cinit: cannot start sh: Resource temporarily unavailable"), std::string::npos)
      << r.Describe();
  EXPECT_NE(r.err.find("process limit"), std::string::npos) << "the message should say what to raise\n"
                                                            << r.Describe();
  EXPECT_FALSE(dir.Exists("state/ran")) << "the main must not have run";
  EXPECT_LT(r.elapsed.count(), 5000) << r.Describe();
  ExpectOnlyCinitLines(r.err);
}

TEST(FaultFork, MainCannotBeForkedInPidsCgroup) {
  CINIT_REQUIRE_ROOT();
  PidsCgroup cg;
  if (!cg.ok()) GTEST_SKIP() << cg.why();
  ASSERT_TRUE(cg.SetMax("1"));  // cinit and nothing else
  TempDir dir;
  Options options;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state"), hard::AsanOptionsWithoutLeakCheck()};
  options.args = {"--", "sh", "-c", "echo started > " + dir.Path("ran")};
  RunResult r = hard::RunWrapped(options, {"--cgroup", cg.path()});
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_NE(r.err.find("cinit: cannot start sh: Resource temporarily unavailable"), std::string::npos)
      << r.Describe();
  EXPECT_FALSE(dir.Exists("ran"));
  EXPECT_GE(cg.ForkFailures(), 1) << "the cgroup should have refused a fork";
  EXPECT_EQ(cg.Current(), 0) << "something is left in the cgroup";
  ExpectOnlyCinitLines(r.err);
}

// The sidecar was started, then the main could not be: the sidecar is
// stopped (no fixed wait), cinit exits 125 and the cgroup is empty. As a
// subreaper, where no namespace teardown would hide a leftover process.
TEST(FaultFork, SidecarIsStoppedWhenMainCannotBeForked) {
  CINIT_REQUIRE_ROOT();
  CINIT_REQUIRE_SUBREAPER();
  PidsCgroup cg;
  if (!cg.ok()) GTEST_SKIP() << cg.why();
  ASSERT_TRUE(cg.SetMax("2"));  // cinit and the sidecar
  TempDir dir;
  Channel ch(dir);
  Options options;
  options.mode = Mode::kSubreaper;
  options.env = {"FIFO=" + ch.path(), "CINIT_STATE_DIR=" + dir.Path("state"),
                 hard::AsanOptionsWithoutLeakCheck()};
  // ready=fd:3 holds the main back until the sidecar has reported.
  options.args = {"--sidecar", "side ready=fd:3 -- sh -c 'echo side-up > \"$FIFO\"; echo >&3; exec sleep 60'",
                  "--", "sh", "-c", "echo started > " + dir.Path("ran")};
  auto cinit = hard::StartWrapped(options, {"--cgroup", cg.path()});
  ASSERT_TRUE(cinit->started()) << cinit->error();
  ch.Watch(*cinit);
  EXPECT_TRUE(ch.WaitForLine("side-up")) << cinit->Describe();
  ExitInfo exit = cinit->Wait(Ms(10000));
  EXPECT_EQ(exit.status(), 125) << cinit->Describe();
  EXPECT_FALSE(dir.Exists("ran"));
  std::string err = cinit->Stderr();
  EXPECT_NE(err.find("cinit: cannot start sh: Resource temporarily unavailable"), std::string::npos) << err;
  EXPECT_EQ(cg.Current(), 0) << "the sidecar (or something else) was left running";
  EXPECT_TRUE(cinit->Descendants().empty());
  ExpectOnlyCinitLines(err);
}

// The sidecar runs, then exits while no process may be forked: each restart
// attempt fails, is logged, and waits the sidecar's backoff (doubling up to
// backoff-max, not a busy loop); the main keeps running with the same pid.
// Once forks work again, the sidecar comes back by itself.
TEST(FaultFork, SidecarRestartForkFailureIsRetriedWithBackoff) {
  CINIT_REQUIRE_ROOT();
  PidsCgroup cg;
  if (!cg.ok()) GTEST_SKIP() << cg.why();
  TempDir dir;
  Channel ch(dir);
  Channel go(dir, "go");
  Options options;
  options.env = {"FIFO=" + ch.path(), "GO=" + go.path(), "CINIT_STATE_DIR=" + dir.Path("state")};
  options.args = {"-v", "--sidecar",
                  "side backoff=50ms backoff-max=400ms -- sh -c 'echo side-up > \"$FIFO\"; read x < \"$GO\"; exit 1'",
                  "--", ProbePath(), "sigrecord", ch.path(), "main", std::to_string(SIGUSR1)};
  auto cinit = hard::StartWrapped(options, {"--cgroup", cg.path()});
  ASSERT_TRUE(cinit->started()) << cinit->error();
  ch.Watch(*cinit);
  // The two start independently: their lines come in either order.
  std::vector<std::string> first = {ch.ReadLine().value_or("none"), ch.ReadLine().value_or("none")};
  std::sort(first.begin(), first.end());
  ASSERT_EQ(first, (std::vector<std::string>{"main ready", "side-up"})) << cinit->Describe();
  pid_t main_pid = -1;
  for (pid_t p : cinit->Descendants())
    if (ProcCmdline(p).find("sigrecord") != std::string::npos) main_pid = p;
  ASSERT_GT(main_pid, 0) << cinit->Describe();

  // cinit, the sidecar and the main: once the sidecar is gone, no fork fits.
  long running = cg.Current();
  ASSERT_EQ(running, 3) << "unexpected processes in the cgroup";
  ASSERT_TRUE(cg.SetMax(std::to_string(running - 1)));
  ASSERT_TRUE(go.Send("exit"));
  ASSERT_TRUE(WaitUntil([&] { return cg.ForkFailures() >= 4; }, Ms(10000)))
      << "cinit did not retry the sidecar\n" << cinit->Describe();
  EXPECT_FALSE(cinit->Exited()) << cinit->Describe();
  EXPECT_NE(ProcState(main_pid), 0) << "the main must keep running";
  std::string state = dir.Read("state/state");
  EXPECT_NE(state.find("side sidecar backoff"), std::string::npos) << state;

  // Forks work again: the next retry brings the sidecar back.
  ASSERT_TRUE(cg.SetMax("max"));
  EXPECT_TRUE(ch.WaitForLine("side-up", Ms(5000))) << "the sidecar did not come back\n" << cinit->Describe();

  // The main saw nothing of all this: the first signal it records is ours.
  ASSERT_TRUE(cinit->Signal(SIGUSR1));
  auto recorded = ch.ReadLine();
  EXPECT_EQ(recorded.value_or("nothing"), "main " + std::to_string(SIGUSR1)) << cinit->Describe();
  ExitInfo exit = cinit->Wait();
  EXPECT_EQ(exit.status(), 0) << "the main's own status\n" << cinit->Describe();

  std::string err = cinit->Stderr();
  int failures = hard::CountLines(err, "cinit: cannot start side: Resource temporarily unavailable");
  EXPECT_GE(failures, 4) << err;
  // Every failed attempt counts as a quick failure: the delay doubles up to
  // backoff-max. The first delay follows the sidecar's own exit 1.
  std::vector<long> delays = RestartDelays(err, "side", 125);
  ASSERT_GE(delays.size(), 3u) << err;
  EXPECT_EQ(RestartDelays(err, "side", 1), std::vector<long>{50}) << err;
  for (size_t k = 1; k < delays.size(); k++) EXPECT_GE(delays[k], delays[k - 1]) << err;
  EXPECT_EQ(delays.back(), 400) << err;
  EXPECT_EQ(delays.front(), 100) << err;
}


// A sidecar that cannot be forked at startup is not ready, and like any
// sidecar that is not ready it holds startup back for at most its
// ready-timeout (SPEC §5): then a non-critical one is given up on with a
// warning and the main starts. Its next retry is 30 s away, so only the
// ready-timeout can let the main start within the test's deadline.
TEST(FaultFork, SidecarNotForkableAtStartupIsBoundedByReadyTimeout) {
  CINIT_REQUIRE_ROOT();
  PidsCgroup cg;
  if (!cg.ok()) GTEST_SKIP() << cg.why();
  ASSERT_TRUE(cg.SetMax("1"));
  TempDir dir;
  Channel ch(dir);
  Options options;
  options.env = {"FIFO=" + ch.path(), "CINIT_STATE_DIR=" + dir.Path("state")};
  options.args = {"--sidecar", "side ready-timeout=300ms backoff=30s -- sleep 60",
                  "--", "sh", "-c", "echo main-up > \"$FIFO\"; exit 6"};
  auto cinit = hard::StartWrapped(options, {"--cgroup", cg.path()});
  ASSERT_TRUE(cinit->started()) << cinit->error();
  ch.Watch(*cinit);
  ASSERT_TRUE(WaitUntil([&] { return cg.ForkFailures() >= 1; })) << cinit->Describe();
  // From now on forks work: the main can start as soon as cinit lets it.
  ASSERT_TRUE(cg.SetMax("max"));
  EXPECT_TRUE(ch.WaitForLine("main-up", Ms(5000)))
      << "the main did not start within 5 s: the sidecar that could not be forked held startup back "
         "past its 300 ms ready-timeout\n" << cinit->Describe();
  ExitInfo exit = cinit->Wait(Ms(5000));
  EXPECT_EQ(exit.status(), 6) << cinit->Describe();
  std::string err = cinit->Stderr();
  EXPECT_NE(err.find("cinit: cannot start side: Resource temporarily unavailable"), std::string::npos) << err;
  EXPECT_NE(err.find("not ready within its ready-timeout"), std::string::npos) << err;
}

// The same for a critical sidecar: past its ready-timeout startup is
// aborted with 124 (SPEC §5), the main never starts, nothing is left.
TEST(FaultFork, CriticalSidecarNotForkableAtStartupAbortsWith124) {
  CINIT_REQUIRE_ROOT();
  CINIT_REQUIRE_SUBREAPER();
  PidsCgroup cg;
  if (!cg.ok()) GTEST_SKIP() << cg.why();
  ASSERT_TRUE(cg.SetMax("1"));
  TempDir dir;
  Options options;
  options.mode = Mode::kSubreaper;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state"), hard::AsanOptionsWithoutLeakCheck()};
  options.args = {"--sidecar", "side critical ready-timeout=300ms backoff=30s -- sleep 60",
                  "--", "sh", "-c", "echo ran > " + dir.Path("ran")};
  RunResult r = hard::RunWrapped(options, {"--cgroup", cg.path()}, Ms(5000));
  EXPECT_EQ(r.exit.status(), 124) << "expected 124 once the 300 ms ready-timeout passed\n" << r.Describe();
  EXPECT_FALSE(dir.Exists("ran"));
  EXPECT_NE(r.err.find("cinit: cannot start side: Resource temporarily unavailable"), std::string::npos)
      << r.Describe();
  EXPECT_EQ(cg.Current(), 0);
}

}  // namespace
}  // namespace cinit_test
