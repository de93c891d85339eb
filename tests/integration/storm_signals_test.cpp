// Signal storms (SPEC §3): 100,000 signals of mixed kinds in a few seconds.
// cinit must not crash, must forward them (every queued real-time signal
// exactly once; standard signals coalesce, as the kernel's do, but each
// kind arrives), keep its memory and descriptors, and a final TERM must
// still end the container.
//
// The main is the "sigcount" helper (fault_helpers_test.cpp): it counts
// every signal and acknowledges each 1,000th real-time one, so the sender
// keeps at most a window of them in flight and never reaches the kernel's
// queue limit (RLIMIT_SIGPENDING), which would make a signal fail to queue
// for reasons that have nothing to do with cinit.
#include <signal.h>
#include <sys/resource.h>

#include <map>
#include <sstream>

#include "fault_storm.h"

namespace cinit_test {
namespace {

constexpr int kSignals = 100000;
constexpr long kAckEvery = 1000;

// Standard signals in the mix: none that starts a shutdown (TERM, INT,
// QUIT), none that cannot be caught, not CHLD (cinit's own).
const int kStandard[] = {SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH, SIGCONT, SIGURG, SIGPIPE, SIGTSTP, SIGTTIN};

struct Summary {
  long total = -1;
  long rt = -1;
  std::map<int, long> count;
};

Summary ParseDone(const std::string& line) {
  Summary s;
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    if (word.rfind("total=", 0) == 0) s.total = std::stol(word.substr(6));
    else if (word.rfind("rt=", 0) == 0) s.rt = std::stol(word.substr(3));
    else if (size_t colon = word.find(':'); colon != std::string::npos)
      s.count[std::stoi(word.substr(0, colon))] = std::stol(word.substr(colon + 1));
  }
  return s;
}

TEST(StormSignals, HundredThousandMixedSignals) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  Channel ch(dir);
  Options options;
  options.env = {hard::kHelperEnv, "CINIT_STATE_DIR=" + dir.Path("state")};
  options.args = {"--", hard::SelfPath(), "sigcount", ch.path(), std::to_string(kAckEvery)};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("ready")) << cinit.Describe();
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  long rss_before = hard::RssKb(cinit.pid());
  int fds_before = hard::FdCount(cinit.pid());

  // In flight: sent but not yet acknowledged by the main.
  rlimit pending{};
  getrlimit(RLIMIT_SIGPENDING, &pending);
  long window = 5000;
  if (pending.rlim_cur != RLIM_INFINITY && static_cast<long>(pending.rlim_cur) / 4 < window)
    window = static_cast<long>(pending.rlim_cur) / 4;
  ASSERT_GE(window, kAckEvery * 2) << "RLIMIT_SIGPENDING is too small for this test";
  long rt_sent = 0, acked = 0, waits = 0;
  auto take_acks = [&](long until) {
    while (acked < until) {
      auto line = ch.ReadLine(Ms(10000));
      if (!line || line->rfind("ack ", 0) != 0) return false;
      acked = std::stol(line->substr(4));
    }
    return true;
  };
  int rt_kinds = SIGRTMAX - SIGRTMIN + 1;
  int standard_kinds = sizeof kStandard / sizeof kStandard[0];
  auto start = Clock::now();
  for (int i = 0; i < kSignals; i++) {
    if (i % 2 == 0) {
      if (rt_sent - acked >= window) {
        waits++;
        ASSERT_TRUE(take_acks(rt_sent - window + kAckEvery)) << "the main stopped acknowledging\n"
                                                             << cinit.Describe();
      }
      int sig = SIGRTMIN + (i / 2) % rt_kinds;
      ASSERT_TRUE(cinit.Queue(sig, i)) << "sigqueue " << sig << ": " << strerror(errno);
      rt_sent++;
    } else {
      int sig = kStandard[(i / 2) % standard_kinds];
      ASSERT_TRUE(cinit.Signal(sig)) << "kill " << sig << ": " << strerror(errno);
    }
  }
  auto sent = Clock::now();
  // Every real-time signal reached the main before the final TERM goes out
  // (a pending TERM would be taken before queued real-time signals).
  ASSERT_TRUE(take_acks(rt_sent)) << "only " << acked << " of " << rt_sent << " real-time signals arrived\n"
                                  << cinit.Describe();
  auto delivered = Clock::now();
  ASSERT_FALSE(cinit.Exited()) << cinit.Describe();
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  long rss_after = hard::RssKb(cinit.pid());
  int fds_after = hard::FdCount(cinit.pid());

  ASSERT_TRUE(cinit.Signal(SIGTERM));
  std::string done;
  for (;;) {
    auto line = ch.ReadLine();
    ASSERT_TRUE(line) << "the main never reported the final TERM\n" << cinit.Describe();
    if (line->rfind("done ", 0) == 0) {
      done = *line;
      break;
    }
  }
  ExitInfo exit = cinit.Wait();
  EXPECT_EQ(exit.status(), 0) << "the main exits 0 on TERM; so must cinit\n" << cinit.Describe();

  Summary s = ParseDone(done);
  EXPECT_EQ(s.rt, rt_sent) << "each queued real-time signal must arrive exactly once\n" << done;
  for (int sig : kStandard) EXPECT_GE(s.count[sig], 1) << "signal " << sig << " never reached the main\n" << done;
  EXPECT_EQ(s.count[SIGTERM], 1) << done;
  EXPECT_LE(rss_after, rss_before + 8) << "cinit's memory grew: " << rss_before << " -> " << rss_after << " kB";
  EXPECT_EQ(fds_after, fds_before);
  auto ms = [](auto d) { return std::chrono::duration_cast<Ms>(d).count(); };
  long standard_seen = s.total - s.rt - 1;
  EXPECT_LT(ms(delivered - start), 20000);
  hard::Report("storm-signals",
               std::to_string(kSignals) + " signals (" + std::to_string(rt_sent) + " real-time of " +
                   std::to_string(rt_kinds) + " kinds, " + std::to_string(kSignals - rt_sent) + " standard of " +
                   std::to_string(standard_kinds) + " kinds) sent in " + std::to_string(ms(sent - start)) +
                   " ms, all real-time ones delivered once after " + std::to_string(ms(delivered - start)) +
                   " ms (sender paused " + std::to_string(waits) + " times for a " + std::to_string(window) +
                   "-signal window); standard ones reached the main " + std::to_string(standard_seen) +
                   " times after coalescing; cinit RSS " + std::to_string(rss_before) + " -> " +
                   std::to_string(rss_after) + " kB, fds " + std::to_string(fds_before) + " -> " +
                   std::to_string(fds_after) + "; final TERM: exit " + std::to_string(exit.status()));
}

// Signals 32 and 33 are real-time signals for the kernel, but glibc keeps
// them for itself: its sigfillset() leaves them out, so a glibc program
// that blocks "all signals" still dies of them. The SPEC forwards every
// real-time signal; a `kill -32` from the host must not kill PID 1.
TEST(StormSignals, RealtimeSignals32And33AreForwardedNotFatal) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  Channel ch(dir);
  Options options;
  options.env = {hard::kHelperEnv, "CINIT_STATE_DIR=" + dir.Path("state")};
  options.args = {"--", hard::SelfPath(), "sigcount", ch.path(), "0"};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("ready")) << cinit.Describe();
  for (int sig : {32, 33}) {
    ASSERT_TRUE(cinit.Signal(sig));
    auto line = ch.ReadLine(Ms(5000));
    EXPECT_EQ(line.value_or("nothing"), "sig " + std::to_string(sig)) << cinit.Describe();
    if (cinit.Exited()) break;
  }
  ASSERT_FALSE(cinit.Exited()) << "cinit died of a real-time signal\n" << cinit.Describe();
  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_EQ(cinit.Wait().status(), 0) << cinit.Describe();
}

}  // namespace
}  // namespace cinit_test
