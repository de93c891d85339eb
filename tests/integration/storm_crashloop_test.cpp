// Crash-loop storm (SPEC §4 restarts): a sidecar that exits at once,
// restarted 1,000 times with a 1 ms backoff. cinit allocates nothing once
// running and each start's descriptors (exec-report pipe, state.new) are
// closed again: its resident memory and open descriptors must be the same
// after the 1,000 restarts as before them.
//
// The sidecar crashes unless a "hold" file exists, in which case it sleeps:
// that lets the test take both measurements while cinit is idle (a
// measurement in the middle of a spawn would count its pipe), and warm up
// first, so pages touched on the first restarts are not mistaken for growth.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "fault_storm.h"

namespace cinit_test {
namespace {

constexpr long kRestarts = 1000;

struct Row {
  std::string state;
  pid_t pid = 0;
  long restarts = -1;
};

// The sidecar's row of the state file.
Row ReadRow(const TempDir& dir) {
  Row row;
  for (const auto& line : Lines(dir.Read("state/state"))) {
    std::istringstream in(line);
    std::string name, kind, state, pid, ready, restarts;
    if (!(in >> name >> kind >> state >> pid >> ready >> restarts) || name != "crash") continue;
    row.state = state;
    row.pid = pid == "-" ? 0 : std::stoi(pid);
    row.restarts = std::stol(restarts);
  }
  return row;
}

TEST(StormCrashLoop, ThousandRestartsKeepMemoryAndDescriptors) {
  CINIT_REQUIRE_SUBREAPER();
  TempDir dir;
  Channel ch(dir);
  Options options;
  // As a subreaper, so that the pids in the state file are ours too.
  options.mode = Mode::kSubreaper;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state"), "D=" + dir.path()};
  options.args = {"--sidecar", "crash backoff=1ms backoff-max=1ms -- sh -c '[ -e \"$D/hold\" ] && exec sleep 600; exit 1'",
                  "--", ProbePath(), "sigrecord", ch.path(), "main", std::to_string(SIGTERM)};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("main ready")) << cinit.Describe();
  pid_t main_pid = -1;
  for (pid_t p : cinit.Descendants())
    if (ProcCmdline(p).find("sigrecord") != std::string::npos) main_pid = p;
  ASSERT_GT(main_pid, 0) << cinit.Describe();

  // Holds the sidecar (running, sleeping) and waits until cinit is idle.
  auto hold = [&](long at_least) {
    dir.Write("hold", "");
    Row row;
    bool held = WaitUntil(
        [&] {
          row = ReadRow(dir);
          return row.restarts >= at_least && row.state == "running" && row.pid > 0 &&
                 ProcCmdline(row.pid).find("sleep") != std::string::npos;
        },
        Ms(20000));
    EXPECT_TRUE(held) << "state: " << dir.Read("state/state") << cinit.Describe();
    EXPECT_TRUE(hard::WaitIdle(cinit.pid()));
    return row;
  };
  // Lets it crash again: no hold file, and the sleeping run is killed.
  auto release = [&](const Row& row) {
    ASSERT_EQ(unlink(dir.Path("hold").c_str()), 0);
    ASSERT_EQ(kill(row.pid, SIGKILL), 0);
  };

  // Warm-up: a few dozen restarts touch every page the loop will touch.
  ASSERT_TRUE(WaitUntil([&] { return ReadRow(dir).restarts >= 30; }, Ms(20000))) << cinit.Describe();
  Row before = hold(30);
  long rss_before = hard::RssKb(cinit.pid());
  int fds_before = hard::FdCount(cinit.pid());

  auto start = Clock::now();
  release(before);
  ASSERT_TRUE(WaitUntil([&] { return ReadRow(dir).restarts >= before.restarts + kRestarts; }, Ms(30000)))
      << "only " << ReadRow(dir).restarts - before.restarts << " restarts\n" << cinit.Describe();
  auto end = Clock::now();
  Row after = hold(before.restarts + kRestarts);
  long rss_after = hard::RssKb(cinit.pid());
  int fds_after = hard::FdCount(cinit.pid());

  EXPECT_NE(ProcState(main_pid), 0) << "the main must run on";
  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_TRUE(ch.WaitForLine("main " + std::to_string(SIGTERM))) << cinit.Describe();
  ExitInfo exit = cinit.Wait();
  EXPECT_EQ(exit.status(), 0) << cinit.Describe();

  long restarts = after.restarts - before.restarts;
  EXPECT_GE(restarts, kRestarts);
  EXPECT_EQ(rss_after, rss_before) << "cinit's resident memory changed over " << restarts << " restarts";
  EXPECT_EQ(fds_after, fds_before) << "cinit's open descriptors changed over " << restarts << " restarts";
  long ms = std::chrono::duration_cast<Ms>(end - start).count();
  hard::Report("storm-crashloop", std::to_string(restarts) + " restarts (backoff 1 ms) in " + std::to_string(ms) +
                                      " ms; cinit RSS " + std::to_string(rss_before) + " -> " +
                                      std::to_string(rss_after) + " kB, fds " + std::to_string(fds_before) +
                                      " -> " + std::to_string(fds_after));
}

}  // namespace
}  // namespace cinit_test
