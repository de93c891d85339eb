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
