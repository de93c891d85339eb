// cinit's exit status (SPEC §2, §3): the main's exit code, 128+N for death by
// signal N, --remap-exit, 126/127 for exec failures and 125 for bad usage.
#include <signal.h>

#include <vector>

#include "harness.h"

namespace cinit_test {
namespace {

bool HasLineStartingWith(const std::string& text, const std::string& prefix) {
  for (const auto& line : Lines(text))
    if (line.rfind(prefix, 0) == 0) return true;
  return false;
}

// Every code natively. A binary of another architecture runs under qemu-user
// (tests/cross/smoke), where each run costs about 0.1 s of emulation: there
// the edges and a few codes between them (the mapping itself is pure code,
// which that architecture's unit tests check).
TEST(CoreExit, ExitCodesPassThrough) {
  CINIT_REQUIRE_ROOT();
  std::vector<int> codes;
  if (SubreaperUnavailable().empty()) {
    for (int code = 0; code <= 255; ++code) codes.push_back(code);
  } else {
    codes = {0, 1, 2, 3, 7, 42, 64, 100, 124, 125, 126, 127, 128, 129, 143, 200, 254, 255};
  }
  for (int code : codes) {
    auto r = RunCinit({"--", "sh", "-c", "exit " + std::to_string(code)});
    ASSERT_TRUE(r.exit.exited) << "exit " << code << ": " << r.Describe();
    ASSERT_EQ(r.exit.code, code) << r.Describe();
  }
}

TEST(CoreExit, DeathBySignalIs128PlusN) {
  CINIT_REQUIRE_ROOT();
  const int signals[] = {SIGTERM, SIGINT, SIGHUP, SIGKILL, SIGSEGV, SIGABRT, SIGUSR1};
  for (int sig : signals) {
    auto r = RunCinit({"--", "sh", "-c", "kill -" + std::to_string(sig) + " $$"});
    // cinit reports it as an exit code; it does not die of the signal itself.
    EXPECT_TRUE(r.exit.exited) << "signal " << sig << ": " << r.Describe();
    EXPECT_EQ(r.exit.status(), 128 + sig) << "signal " << sig << ": " << r.Describe();
  }
}

TEST(CoreExit, DeathBySignalAsSubreaper) {
  CINIT_REQUIRE_SUBREAPER();
  auto r = RunCinit({"--", "sh", "-c", "kill -TERM $$"}, Mode::kSubreaper);
  EXPECT_TRUE(r.exit.exited) << r.Describe();
  EXPECT_EQ(r.exit.status(), 143) << r.Describe();
}

TEST(CoreExit, RemapExitMapsListedCodesOnly) {
  CINIT_REQUIRE_ROOT();
  auto mapped = RunCinit({"-e", "3", "--", "sh", "-c", "exit 3"});
  EXPECT_EQ(mapped.exit.status(), 0) << mapped.Describe();
  auto other = RunCinit({"-e", "3", "--", "sh", "-c", "exit 4"});
  EXPECT_EQ(other.exit.status(), 4) << other.Describe();
  auto zero = RunCinit({"-e", "3", "--", "sh", "-c", "exit 0"});
  EXPECT_EQ(zero.exit.status(), 0) << zero.Describe();
  auto repeated = RunCinit({"-e", "3", "--remap-exit", "7", "--", "sh", "-c", "exit 7"});
  EXPECT_EQ(repeated.exit.status(), 0) << repeated.Describe();
}

TEST(CoreExit, CommandWithoutDoubleDash) {
  CINIT_REQUIRE_ROOT();
  // Options end at the first word that is not an option (SPEC §1).
  auto r = RunCinit({"sh", "-c", "exit 3"});
  EXPECT_EQ(r.exit.status(), 3) << r.Describe();
}

TEST(CoreExit, MissingProgramIs127) {
  CINIT_REQUIRE_ROOT();
  for (std::string prog : {"/nonexistent/cinit-test-program", "cinit-no-such-program-on-path"}) {
    auto r = RunCinit({"--", prog, "arg"});
    EXPECT_EQ(r.exit.status(), 127) << prog << ": " << r.Describe();
    EXPECT_TRUE(HasLineStartingWith(r.err, "cinit: exec ")) << r.Describe();
    EXPECT_NE(r.err.find(prog), std::string::npos) << "message should name the command\n"
                                                    << r.Describe();
  }
}

TEST(CoreExit, DirectoryIs126) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  auto r = RunCinit({"--", dir.path()});
  EXPECT_EQ(r.exit.status(), 126) << r.Describe();
  EXPECT_TRUE(HasLineStartingWith(r.err, "cinit: exec ")) << r.Describe();
}

TEST(CoreExit, NonExecutableFileIs126) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  dir.Write("script", "#!/bin/sh\nexit 0\n", 0644);
  auto r = RunCinit({"--", dir.Path("script")});
  EXPECT_EQ(r.exit.status(), 126) << r.Describe();
  EXPECT_TRUE(HasLineStartingWith(r.err, "cinit: exec ")) << r.Describe();
}

TEST(CoreExit, NoCommandIs125) {
  CINIT_REQUIRE_ROOT();
  auto none = RunCinit(std::vector<std::string>{});
  EXPECT_EQ(none.exit.status(), 125) << none.Describe();
  auto dashes = RunCinit({"--"});
  EXPECT_EQ(dashes.exit.status(), 125) << dashes.Describe();
  EXPECT_TRUE(HasLineStartingWith(dashes.err, "cinit: ")) << dashes.Describe();
}

TEST(CoreExit, BadUsageIs125AndStartsNothing) {
  CINIT_REQUIRE_ROOT();
  const std::vector<std::vector<std::string>> bad = {
      {"--no-such-option"},
      {"-p", "FOO"},
      {"--pdeathsig", "SIGNOPE"},
      {"--grace", "5x"},
      {"-t", "soon"},
      {"-e", "300"},
      {"-e", "-1"},
      {"-r", "TERM"},
      {"-r", "TERM:NOPE"},
  };
  for (const auto& options : bad) {
    TempDir dir;
    std::vector<std::string> args = options;
    for (const char* word : {"--", "sh", "-c", "touch \"$0\""}) args.push_back(word);
    args.push_back(dir.Path("started"));
    auto r = RunCinit(args);
    std::string shown;
    for (const auto& o : options) shown += o + " ";
    EXPECT_EQ(r.exit.status(), 125) << shown << ": " << r.Describe();
    EXPECT_FALSE(dir.Exists("started")) << shown << ": the command ran";
    EXPECT_TRUE(HasLineStartingWith(r.err, "cinit: ")) << shown << ": " << r.Describe();
  }
}

}  // namespace
}  // namespace cinit_test
