// No silent truncation (SPEC §2, §4): the environment and the inherited
// descriptors reach the main whole, however many there are; a sidecar's
// ARGV and the number of declarations go well past what users meet.
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>

#include "harness.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

const Mode kModes[] = {Mode::kPid1, Mode::kSubreaper};
const char* Name(Mode mode) { return mode == Mode::kPid1 ? "as PID 1" : "as subreaper"; }

// 5,000 variables (Kubernetes service links give thousands) plus CINIT_*
// ones: every one of the 5,000 reaches the main, none of the CINIT_* ones.
TEST(CoreLimits, FiveThousandVariablesReachTheMain) {
  CINIT_REQUIRE_ROOT();
  for (Mode mode : kModes) {
    Options options;
    options.mode = mode;
    for (int i = 0; i < 5000; i++) options.env.push_back("BIG_" + std::to_string(i) + "=v" + std::to_string(i));
    options.env.push_back("CINIT_GRACE=5s");
    options.args = {"--", "sh", "-c",
                    "env | grep -c '^BIG_[0-9]*=v[0-9]*$'; echo \"$BIG_0 $BIG_4999\"; env | grep -c '^CINIT_'"};
    auto r = RunCinit(options);
    EXPECT_EQ(r.exit.status(), 1) << Name(mode) << ": grep -c finds no CINIT_ variable\n" << r.Describe();
    EXPECT_EQ(r.out, "5000\nv0 v4999\n0\n") << Name(mode) << "\n" << r.Describe();
  }
}

// The same variables reach a sidecar, with its env= overrides applied on
// top of the whole set.
TEST(CoreLimits, FiveThousandVariablesReachASidecarWithItsOverrides) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  Options options = run.MakeOptions(
      {"--sidecar", "s env=BIG_7=over env=NEW=1 -- sh -c 'echo $(env | grep -c ^BIG_) $BIG_7 $NEW $BIG_4999 > $EV; read x < $HOLD'",
       "--", "sh", "-c", "read x < \"$GO\""});
  for (int i = 0; i < 5000; i++) options.env.push_back("BIG_" + std::to_string(i) + "=v" + std::to_string(i));
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  EXPECT_TRUE(run.ev.WaitForLine("5000 over 1 v4999")) << cinit.Describe();
  run.go.Send("x");
  EXPECT_EQ(cinit.Wait().status(), 0) << cinit.Describe();
}

// 200 descriptors (socket activation with many listeners) reach the main,
// and cinit itself closes them once the main has them. cinit opens its own
// too (signalfd, health listener, inotify, a sidecar's log pipes, the state
// file): the main sees exactly 0-2 and the 200, none of those.
TEST(CoreLimits, TwoHundredInheritedDescriptorsReachTheMain) {
  CINIT_REQUIRE_ROOT();
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 1024) GTEST_SKIP() << "needs RLIMIT_NOFILE >= 1024, have " << rl.rlim_cur;
  int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(a, 0);
  std::string expected = "0 1 2";
  Options base;
  for (int i = 0; i < 200; i++) {
    base.fds.push_back({a, 3 + i});
    expected += " " + std::to_string(3 + i);
  }
  for (Mode mode : kModes) {
    TempDir dir;
    Channel go(dir, "go");
    Options options = base;
    options.mode = mode;
    options.env = {"GO=" + go.path()};
    options.args = {"--health-listen", "127.0.0.1:" + std::to_string(FreeTcpPort()), "--watch", dir.Path("app.conf") + ":HUP",
                    "--log-prefix", "--sidecar", "s -- sleep 3600",
                    "--", "sh", "-c", "\"$0\" fds; read x < \"$GO\"", ProbePath()};
    Cinit cinit(options);
    ASSERT_TRUE(cinit.started()) << cinit.error();
    // cinit keeps none of the 200 once the main has started.
    std::vector<int> fds;
    EXPECT_TRUE(WaitUntil([&] {
      fds = OpenFds(cinit.pid());
      return std::none_of(fds.begin(), fds.end(), [](int fd) { return fd >= 3 && fd < 203; }) && !fds.empty();
    })) << Name(mode) << ": cinit still holds inherited descriptors (" << fds.size() << " open)";
    go.Send("x");
    auto exit = cinit.Wait();
    EXPECT_EQ(exit.status(), 0) << Name(mode) << "\n" << cinit.Describe();
    EXPECT_EQ(cinit.Stdout(), expected + "\n") << Name(mode) << "\n" << cinit.Describe();
  }
  close(a);
}

// A sidecar's ARGV of 200 words (a JVM with many -D flags) arrives whole.
TEST(CoreLimits, SidecarWithTwoHundredArguments) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  // sh -c SCRIPT sh a1 .. a196: 200 words; the script sees 196 arguments.
  std::string spec = "big -- sh -c 'echo $# $1 $196 > $EV; read x < $HOLD' sh";
  for (int i = 1; i <= 196; i++) spec += " a" + std::to_string(i);
  Cinit cinit(run.MakeOptions({"--sidecar", spec, "--", "sh", "-c", "read x < \"$GO\""}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  EXPECT_TRUE(run.ev.WaitForLine("196 a1 a196")) << cinit.Describe();
  run.go.Send("x");
  EXPECT_EQ(cinit.Wait().status(), 0) << cinit.Describe();
}

// 64 sidecars at once: all start, all are in the state file, and all are
// stopped (each gets its TERM) at shutdown.
TEST(CoreLimits, SixtyFourSidecarsAtOnce) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::vector<std::string> args;
  for (int i = 0; i < 64; i++) {
    std::string name = "s" + std::to_string(i);
    args.push_back("--sidecar");
    args.push_back(name + " -- " + ProbePath() + " sigrecord " + run.ev.path() + " " + name + " 15");
  }
  for (const char* a : {"--", "sh", "-c", "read x < \"$GO\""}) args.push_back(a);
  Cinit cinit(run.MakeOptions(args));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  std::vector<std::string> other;
  auto ready = ReadLinesWithPrefix(run.ev, "s", 64, kDefaultTimeout, &other);
  ASSERT_EQ(ready.size(), 64u) << cinit.Describe();
  for (int i = 0; i < 64; i++)
    EXPECT_NE(std::find(ready.begin(), ready.end(), "s" + std::to_string(i) + " ready"), ready.end()) << i;
  ASSERT_TRUE(WaitForState(run, "main", "running")) << run.State();
  auto rows = ParseState(run.State());
  ASSERT_TRUE(rows.has_value()) << run.State();
  int running = 0;
  for (const auto& row : *rows) running += row.kind == "sidecar" && row.state == "running";
  EXPECT_EQ(running, 64) << run.State();
  run.go.Send("x");
  auto stopped = ReadLinesWithPrefix(run.ev, "s", 64, Ms(20000));
  EXPECT_EQ(stopped.size(), 64u) << cinit.Describe();
  for (int i = 0; i < 64; i++)
    EXPECT_NE(std::find(stopped.begin(), stopped.end(), "s" + std::to_string(i) + " 15"), stopped.end()) << i;
  EXPECT_EQ(cinit.Wait(Ms(20000)).status(), 0) << cinit.Describe();
  auto final_rows = ParseState(run.State());
  ASSERT_TRUE(final_rows.has_value()) << run.State();
  for (const auto& row : *final_rows)
    EXPECT_NE(row.state, "running") << row.name << " still running in the last state\n" << run.State();
}

}  // namespace
}  // namespace cinit_test
