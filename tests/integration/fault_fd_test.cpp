// No descriptors left (RLIMIT_NOFILE tiny): cinit needs a few of its own
// (the signalfd, the state directory, a pipe per spawn, two per prefixed
// stream, a socket per tcp/http probe). Whichever of them it cannot get,
// it says so in one clear "cinit: " line and either exits 125 before
// anything runs or carries on without that one thing; it never crashes,
// and never hangs.
#include <signal.h>

#include "fault_storm.h"

namespace cinit_test {
namespace {

#define SKIP_IF_SANITIZED()                                                                  \
  do {                                                                                       \
    if (hard::CinitIsSanitized())                                                            \
      GTEST_SKIP() << "the sanitizer runtime and the dynamic loader of a sanitized cinit "   \
                      "need descriptors of their own: a tiny RLIMIT_NOFILE tests them, not " \
                      "cinit";                                                               \
  } while (0)

// Every limit from "not even the signalfd" to "enough for everything", with
// a prefixed sidecar that has a tcp readiness check (a socket per attempt)
// and a main that exits 3.
TEST(FaultFd, TinyDescriptorLimitNeverCrashesOrHangs) {
  CINIT_REQUIRE_ROOT();
  SKIP_IF_SANITIZED();
  int ran = 0, refused = 0;
  std::string hung, crashed;
  for (int limit = 3; limit <= 16; limit++) {
    SCOPED_TRACE("RLIMIT_NOFILE " + std::to_string(limit));
    TempDir dir;
    Options options;
    options.env = {"CINIT_STATE_DIR=" + dir.Path("state")};
    options.args = {"--log-prefix", "--sidecar",
                    "side ready=tcp:127.0.0.1:1 ready-timeout=300ms -- sh -c 'echo side-out; exec sleep 60'",
                    "--", "sh", "-c", "echo main-out; exit 3"};
    // Even a sidecar that cannot be started holds startup back for at most
    // its ready-timeout (300 ms): 3 s is plenty.
    RunResult r = hard::RunWrapped(options, {"--nofile", std::to_string(limit)}, Ms(3000));
    if (r.exit.timed_out) {
      hung += " " + std::to_string(limit);
      ADD_FAILURE() << "cinit hung with RLIMIT_NOFILE " << limit << "\n" << r.Describe();
      continue;
    }
    if (!r.exit.exited) {
      crashed += " " + std::to_string(limit);
      ADD_FAILURE() << "cinit crashed with RLIMIT_NOFILE " << limit << "\n" << r.Describe();
      continue;
    }
    if (r.exit.code == 125) {
      refused++;
      EXPECT_NE(r.err.find("Too many open files"), std::string::npos) << r.Describe();
    } else {
      EXPECT_EQ(r.exit.code, 3) << r.Describe();
      ran++;
    }
    for (const auto& line : Lines(r.err))
      EXPECT_EQ(line.rfind("cinit: ", 0), 0u) << "not a cinit diagnostic: " << line << "\n" << r.Describe();
  }
  EXPECT_EQ(hung, "") << "limits at which cinit hung";
  EXPECT_EQ(crashed, "") << "limits at which cinit crashed";
  // The sweep covers both outcomes: refusing early and running fine.
  EXPECT_GT(refused, 0);
  EXPECT_GT(ran, 0);
  hard::Report("fd-sweep", "RLIMIT_NOFILE 3..16: " + std::to_string(refused) + " refused with 125, " +
                               std::to_string(ran) + " ran the main");
}

// Without even the signalfd: a clear error, 125, nothing started.
TEST(FaultFd, NoDescriptorForTheSignalfd) {
  CINIT_REQUIRE_ROOT();
  SKIP_IF_SANITIZED();
  TempDir dir;
  Options options;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state"), "CINIT_CONFIG=/dev/null"};
  options.args = {"--", "sh", "-c", "echo ran > " + dir.Path("ran")};
  // 0, 1 and 2 are open: a limit of 3 leaves nothing. /dev/null as the
  // config (one descriptor) still fails, so either message is fine.
  RunResult r = hard::RunWrapped(options, {"--nofile", "3"});
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_NE(r.err.find("Too many open files"), std::string::npos) << r.Describe();
  EXPECT_FALSE(dir.Exists("ran"));
}

// The main's spawn needs a pipe (exec failure is reported through it); with
// no room for one, cinit exits 125 and says that descriptors ran out, and
// what to raise: the open-file limit, not the process limit.
TEST(FaultFd, SpawnWithoutDescriptorsNamesTheOpenFileLimit) {
  CINIT_REQUIRE_ROOT();
  SKIP_IF_SANITIZED();
  TempDir dir;
  Options options;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state")};
  options.args = {"--", "sh", "-c", "echo ran > " + dir.Path("ran")};
  // 0-2, the signalfd and the state directory: one free descriptor, and a
  // pipe needs two.
  RunResult r = hard::RunWrapped(options, {"--nofile", "6"});
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_FALSE(dir.Exists("ran"));
  EXPECT_NE(r.err.find("cinit: cannot start sh: Too many open files"), std::string::npos) << r.Describe();
  EXPECT_EQ(r.err.find("raise the process limit"), std::string::npos)
      << "EMFILE is not a process limit: the hint should name the open-file limit (ulimit -n)\n"
      << r.Describe();
}

}  // namespace
}  // namespace cinit_test
