// Orphan storm (SPEC §3: every child that terminates is reaped promptly):
// 50,000 orphans re-parented to cinit and exiting in bursts. Afterwards no
// zombie is left and cinit's memory and descriptors are what they were.
//
// The main is the "orphans" helper (fault_helpers_test.cpp): it makes the
// orphans 1,000 at a time, each through a middle process that exits at
// once, and starts the next burst only when cinit has reaped the last one,
// so the storm never exhausts the system's pid space (pid_max may be 32768).
#include <signal.h>

#include <algorithm>
#include <sstream>

#include "fault_storm.h"

namespace cinit_test {
namespace {

constexpr long kOrphans = 50000;
constexpr long kBurst = 1000;

long Field(const std::string& line, const std::string& key) {
  std::istringstream in(line);
  std::string word;
  while (in >> word)
    if (word.rfind(key + "=", 0) == 0) return std::stol(word.substr(key.size() + 1));
  return -1;
}

TEST(StormOrphans, FiftyThousandOrphansAreReaped) {
  CINIT_REQUIRE_ROOT();
  if (hard::FreePids() < 3 * kBurst) GTEST_SKIP() << "fewer than " << 3 * kBurst << " free pids on this system";
  TempDir dir;
  Channel ch(dir);
  Channel go(dir, "go");
  Options options;
  options.env = {hard::kHelperEnv, "CINIT_STATE_DIR=" + dir.Path("state")};
  options.args = {"--", hard::SelfPath(), "orphans", std::to_string(kOrphans), std::to_string(kBurst), ch.path(),
                  go.path()};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("ready")) << cinit.Describe();
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  long rss_before = hard::RssKb(cinit.pid());
  int fds_before = hard::FdCount(cinit.pid());

  auto start = Clock::now();
  ASSERT_TRUE(go.Send("go"));
  auto line = ch.ReadLine(Ms(60000));
  ASSERT_TRUE(line && line->rfind("done ", 0) == 0) << "the orphan maker did not finish\n" << cinit.Describe();
  // The kernel sends no event for "reaped": watch cinit's children until
  // only the (live) main is left.
  std::vector<std::pair<pid_t, char>> children;
  bool clean = WaitUntil([&] {
    children = cinit.Children();
    return children.size() == 1 && children[0].second != 'Z';
  });
  auto end = Clock::now();
  auto zombies = std::count_if(children.begin(), children.end(), [](const auto& c) { return c.second == 'Z'; });
  EXPECT_TRUE(clean) << "cinit still has " << children.size() << " children, " << zombies << " of them zombies";
  ASSERT_FALSE(cinit.Exited()) << cinit.Describe();
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  long rss_after = hard::RssKb(cinit.pid());
  int fds_after = hard::FdCount(cinit.pid());

  ASSERT_TRUE(cinit.Signal(SIGTERM));
  ExitInfo exit = cinit.Wait();
  EXPECT_EQ(exit.status(), 0) << cinit.Describe();

  long made = Field(*line, "made"), reparented = Field(*line, "reparented"), ms = Field(*line, "ms");
  EXPECT_EQ(made, kOrphans) << *line;
  EXPECT_EQ(reparented, kOrphans) << "every orphan must be adopted by cinit\n" << *line;
  EXPECT_LE(rss_after, rss_before + 8) << "cinit's memory grew: " << rss_before << " -> " << rss_after << " kB";
  EXPECT_EQ(fds_after, fds_before);
  long total_ms = std::chrono::duration_cast<Ms>(end - start).count();
  EXPECT_LT(total_ms, 30000);
  hard::Report("storm-orphans", std::to_string(made) + " orphans (" + std::to_string(reparented) +
                                    " adopted by cinit) in bursts of " + std::to_string(kBurst) + ", made in " +
                                    std::to_string(ms) + " ms, none left after " + std::to_string(total_ms) +
                                    " ms; zombies left: " + std::to_string(zombies) + "; cinit RSS " +
                                    std::to_string(rss_before) + " -> " + std::to_string(rss_after) + " kB, fds " +
                                    std::to_string(fds_before) + " -> " + std::to_string(fds_after));
}

}  // namespace
}  // namespace cinit_test
