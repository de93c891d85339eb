// The command line (SPEC §1): environment forms CINIT_<NAME> with the command
// line winning, the CINIT_* variables kept from the child, the drop-in flags
// of tini and dumb-init, --help and --version.
#include <signal.h>

#include "harness.h"

namespace cinit_test {
namespace {

TEST(CoreCli, GraceFromTheEnvironment) {
  CINIT_REQUIRE_ROOT();
  auto run = RunWithTermIgnoringStray(Mode::kPid1, {}, {"CINIT_GRACE=1s"});
  EXPECT_EQ(run.exit.status(), 0) << run.description;
  EXPECT_GE(run.ms_after_main, 800) << run.description;
  EXPECT_LE(run.ms_after_main, 3000) << "CINIT_GRACE=1s should act like --grace 1s\n" << run.description;
}

TEST(CoreCli, CommandLineWinsOverTheEnvironment) {
  CINIT_REQUIRE_ROOT();
  auto run = RunWithTermIgnoringStray(Mode::kPid1, {"--grace", "1s"}, {"CINIT_GRACE=30s"});
  EXPECT_EQ(run.exit.status(), 0) << run.description;
  EXPECT_GE(run.ms_after_main, 800) << run.description;
  EXPECT_LE(run.ms_after_main, 3000) << "--grace 1s must win over CINIT_GRACE=30s\n" << run.description;

  Options options;
  options.env = {"CINIT_TIMEOUT=60s"};
  options.args = {"--timeout", "1s", "--", "sleep", "60"};
  auto r = RunCinit(options, Ms(15000));
  EXPECT_EQ(r.exit.status(), 124) << "--timeout 1s must win over CINIT_TIMEOUT=60s\n" << r.Describe();
}

TEST(CoreCli, OtherOptionsFromTheEnvironment) {
  CINIT_REQUIRE_ROOT();
  Options remap;
  remap.env = {"CINIT_REMAP_EXIT=3"};
  remap.args = {"--", "sh", "-c", "exit 3"};
  auto r = RunCinit(remap);
  EXPECT_EQ(r.exit.status(), 0) << "CINIT_REMAP_EXIT=3\n" << r.Describe();

  Options timeout;
  timeout.env = {"CINIT_TIMEOUT=1s"};
  timeout.args = {"--", "sleep", "60"};
  auto t = RunCinit(timeout, Ms(15000));
  EXPECT_EQ(t.exit.status(), 124) << "CINIT_TIMEOUT=1s\n" << t.Describe();
}

TEST(CoreCli, BadEnvironmentValueIs125) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  Options options;
  options.env = {"CINIT_GRACE=5x"};
  options.args = {"--", "sh", "-c", "touch \"$0\"", dir.Path("started")};
  auto r = RunCinit(options);
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_FALSE(dir.Exists("started")) << "the command ran";
}

TEST(CoreCli, CinitVariablesAreKeptFromTheChild) {
  CINIT_REQUIRE_ROOT();
  Options options;
  options.env = {"CINIT_GRACE=20s", "CINIT_VERBOSE=0", "APP_SETTING=kept"};
  options.args = {"--", "env"};
  auto r = RunCinit(options);
  ASSERT_EQ(r.exit.status(), 0) << r.Describe();
  bool app = false;
  for (const auto& line : Lines(r.out)) {
    EXPECT_NE(line.rfind("CINIT_", 0), 0u) << "leaked to the child: " << line;
    if (line == "APP_SETTING=kept") app = true;
  }
  EXPECT_TRUE(app) << "the rest of the environment must pass through\n" << r.out;
}

// Lines of cinit's stderr that contain needle.
int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  for (const auto& line : Lines(text)) n += line.find(needle) != std::string::npos;
  return n;
}

// A typo in a CINIT_* variable must not pass silently: one warning, naming
// the closest known variable, however long cinit runs (here: a sidecar that
// restarts, so any per-start check would repeat it).
TEST(CorePeers, UnknownCinitVariableWarnsOnce) {
  CINIT_REQUIRE_ROOT();
  Options options;
  options.env = {"CINIT_GRAEC=5s", "TINI_KILL_PROCESS_GROUP=1", "DUMB_INIT_SETSID=1"};
  options.args = {"--sidecar", "flap backoff=10ms -- true", "--", "sh", "-c", "sleep 0.3; env; exit 4"};
  auto r = RunCinit(options);
  ASSERT_EQ(r.exit.status(), 4) << r.Describe();
  EXPECT_EQ(CountLines(r.err, "CINIT_GRAEC"), 1) << r.err;
  EXPECT_NE(r.err.find("cinit: unknown variable CINIT_GRAEC ignored; did you mean CINIT_GRACE?\n"), std::string::npos)
      << r.err;
  // CINIT_* never reaches the child; the peers' variables pass as they are.
  EXPECT_EQ(CountLines(r.out, "CINIT_GRAEC"), 0) << r.out;
  EXPECT_EQ(CountLines(r.out, "TINI_KILL_PROCESS_GROUP=1"), 1) << r.out;
  EXPECT_EQ(CountLines(r.out, "DUMB_INIT_SETSID=1"), 1) << r.out;
}

// TINI_VERBOSITY=0 is tini's "fatal errors only": the warning goes, the
// error stays. TINI_VERBOSITY=2 (tini's info level) and DUMB_INIT_DEBUG=1
// are -v: lifecycle lines appear.
TEST(CorePeers, TiniVerbosityAndDumbInitDebug) {
  CINIT_REQUIRE_ROOT();
  Options quiet;
  quiet.env = {"TINI_VERBOSITY=0", "CINIT_GRAEC=5s"};
  quiet.args = {"--", "/no/such/command"};
  auto q = RunCinit(quiet);
  EXPECT_EQ(q.exit.status(), 127) << q.Describe();
  EXPECT_EQ(CountLines(q.err, "CINIT_GRAEC"), 0) << q.err;
  EXPECT_EQ(CountLines(q.err, "cinit: exec /no/such/command"), 1) << q.err;

  const std::string lifecycle = "cinit: main exited with status 3";
  for (const char* var : {"TINI_VERBOSITY=2", "DUMB_INIT_DEBUG=1"}) {
    Options loud;
    loud.env = {var};
    loud.args = {"--", "sh", "-c", "exit 3"};
    auto v = RunCinit(loud);
    EXPECT_EQ(v.exit.status(), 3) << v.Describe();
    EXPECT_EQ(CountLines(v.err, lifecycle), 1) << var << ": " << v.err;
  }
  // Without them (or with values the peers do not count) nothing is said.
  for (const char* var : {"TINI_VERBOSITY=1", "DUMB_INIT_DEBUG=yes", "UNRELATED=1"}) {
    Options plain;
    plain.env = {var};
    plain.args = {"--", "sh", "-c", "exit 3"};
    auto p = RunCinit(plain);
    EXPECT_EQ(p.exit.status(), 3) << p.Describe();
    EXPECT_EQ(p.err, "") << var;
  }
}

TEST(CoreCli, TiniFlagsAreAccepted) {
  CINIT_REQUIRE_ROOT();
  auto r = RunCinit({"-s", "-g", "-v", "-w", "--", "sh", "-c", "exit 5"});
  EXPECT_EQ(r.exit.status(), 5) << r.Describe();
  auto sub = RunCinit({"-s", "--", "sh", "-c", "exit 6"}, Mode::kSubreaper);
  EXPECT_EQ(sub.exit.status(), 6) << sub.Describe();
}

TEST(CoreCli, DumbInitFlagsAreAccepted) {
  CINIT_REQUIRE_ROOT();
  const std::vector<std::vector<std::string>> forms = {
      {"-c"}, {"--single-child"}, {"-r", "15:3"}, {"--rewrite", "15:3"}, {"-c", "-v", "-r", "2:15"}};
  for (const auto& flags : forms) {
    std::vector<std::string> args = flags;
    for (const char* w : {"--", "sh", "-c", "exit 6"}) args.push_back(w);
    auto r = RunCinit(args);
    EXPECT_EQ(r.exit.status(), 6) << flags.front() << ": " << r.Describe();
  }
}

TEST(CoreCli, VersionAndHelpExitZero) {
  CINIT_REQUIRE_ROOT();
  for (const char* flag : {"--version", "-V", "--help", "-h"}) {
    auto r = RunCinit({flag});
    EXPECT_EQ(r.exit.status(), 0) << flag << ": " << r.Describe();
    EXPECT_FALSE(r.out.empty()) << flag << " should print to stdout\n" << r.Describe();
  }
  auto version = RunCinit({"--version"});
  EXPECT_NE(version.out.find_first_of("0123456789"), std::string::npos) << version.out;
}

}  // namespace
}  // namespace cinit_test
