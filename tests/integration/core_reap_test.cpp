// Reaping (SPEC §2, §3): every orphan re-parented to cinit is reaped
// promptly, as PID 1 of a namespace and as a subreaper outside one (which
// cinit must become by itself, without -s).
#include <signal.h>

#include <algorithm>

#include "harness.h"

namespace cinit_test {
namespace {

constexpr int kOrphans = 1000;

void CheckOrphansReaped(Mode mode, std::vector<std::string> env = {}, int orphans = kOrphans) {
  TempDir dir;
  Channel ch(dir);
  Options options;
  options.mode = mode;
  options.env = std::move(env);
  options.args = {"--", ProbePath(), "orphans", std::to_string(orphans), ch.path()};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);

  // The probe's orphans all exit at once after checking who adopted them.
  auto line = ch.ReadLine(Ms(30000));
  ASSERT_TRUE(line) << "the probe did not report\n" << cinit.Describe();
  EXPECT_EQ(*line, "reparented " + std::to_string(orphans))
      << "orphans must be re-parented to cinit";

  // The kernel sends no event for "reaped"; poll cinit's children until
  // only the (live) main is left.
  std::vector<std::pair<pid_t, char>> children;
  bool clean = WaitUntil([&] {
    children = cinit.Children();
    return children.size() == 1 && children[0].second != 'Z';
  });
  auto zombies = std::count_if(children.begin(), children.end(),
                               [](const auto& c) { return c.second == 'Z'; });
  EXPECT_TRUE(clean) << "cinit still has " << children.size() << " children, " << zombies
                     << " of them zombies";
  ASSERT_FALSE(cinit.Exited()) << "cinit must still run while the main runs\n" << cinit.Describe();

  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_EQ(cinit.Wait().status(), 128 + SIGTERM) << cinit.Describe();
}

TEST(CoreReap, ThousandOrphansReapedAsPid1) {
  CINIT_REQUIRE_ROOT();
  CheckOrphansReaped(Mode::kPid1);
}

TEST(CoreReap, ThousandOrphansReapedAsSubreaper) {
  CINIT_REQUIRE_SUBREAPER();
  CheckOrphansReaped(Mode::kSubreaper);
}

// A daemon that double-forks and exits while the main keeps running leaves
// no zombie either, and cinit does not mistake its exit for the main's.
// tini's TINI_SUBREAPER (docker --init, no flags): cinit is a subreaper
// outside a namespace with or without it, as tini is with it.
TEST(CorePeers, TiniSubreaperReapsOrphansWhenNotPid1) {
  CINIT_REQUIRE_ROOT();
  CINIT_REQUIRE_SUBREAPER();
  CheckOrphansReaped(Mode::kSubreaper, {"TINI_SUBREAPER="}, 20);
}

TEST(CoreReap, DoubleForkedDaemonIsReapedWhileMainRuns) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  Channel ch(dir);
  Channel go(dir, "go");
  Options options;
  options.env = {"FIFO=" + ch.path(), "GO=" + go.path()};
  options.args = {"--", "sh", "-c",
                  "(sh -c 'exit 9' &); (sleep 0 &); echo spawned > \"$FIFO\"; "
                  "read x < \"$GO\"; exit 4"};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("spawned")) << cinit.Describe();
  std::vector<std::pair<pid_t, char>> children;
  bool clean = WaitUntil([&] {
    children = cinit.Children();
    return children.size() == 1 && children[0].second != 'Z';
  });
  EXPECT_TRUE(clean) << "cinit has " << children.size() << " children";
  ASSERT_FALSE(cinit.Exited()) << cinit.Describe();
  // Let the main finish: its exit code, not the daemon's 9, is cinit's.
  ASSERT_TRUE(go.Send("go"));
  EXPECT_EQ(cinit.Wait().status(), 4) << cinit.Describe();
}

}  // namespace
}  // namespace cinit_test
