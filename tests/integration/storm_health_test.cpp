// Abuse of the health endpoint (SPEC §7): while 1,000 connections sit idle,
// a slowloris client sends a header byte every 100 ms, and clients keep
// sending a 64 KiB header, binary garbage, and half a request followed by
// shutdown(SHUT_WR), cinit still
//   - answers GET /livez to a well-behaved client within 50 ms,
//   - forwards a signal to the main (the probe's signal recorder),
//   - reaps an orphan that exits meanwhile (an init task's background job),
// and once the abusers are gone its descriptors are exactly what they were
// and its resident memory has not grown (beyond 64 KiB of slack).
//
// The listener has TCP_DEFER_ACCEPT (README "Decisions"): the kernel keeps
// the idle connections to itself for about a second, then hands them all
// over, and cinit takes them (evicting the oldest) and drops each 2 s
// later. So the abuse lasts 3.6 s, past both: /livez stays within the bound
// through the hand-over, cinit never holds more than its 16 connections
// (descriptors sampled throughout), and a client that connects with the
// idle ones and sends its request 1.5 s later is answered or closed, never
// left hanging past the deferral plus the deadline.
//
// A Storm test: it runs alone (integration.storms is RUN_SERIAL), so the
// 50 ms bound measures cinit, not a busy machine. If cinit ever blocked on
// one client (a blocking read, an unbounded accept loop), every /livez
// would wait for the slowloris or the 2 s deadline and the bound fails.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "fault_storm.h"
#include "health_support.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

constexpr int kIdle = 1000;
constexpr int kSamples = 20;
constexpr double kLivezMs = 50;
constexpr Ms kAbuse(3600);      // past the kernel's ~1 s deferral and the 2 s deadline
constexpr Ms kLateSend(1500);   // when the late client sends its request
constexpr int kMaxConns = 16;   // kHealthMaxConns

// Sends what it can without blocking; false once the peer is gone.
bool SendSome(int fd, const std::string& bytes) {
  return send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT) >= 0 || errno == EAGAIN;
}

// The abusive clients, in one thread, until stop is set. Sockets it opens
// stay open (ours) until the end, so cinit alone decides when to drop them.
void Abuse(int port, const std::atomic<bool>& stop, std::vector<int>* held) {
  const std::string big = "GET /livez HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  std::string garbage(512, '\0');
  for (size_t i = 0; i < garbage.size(); i++) garbage[i] = static_cast<char>((i * 7919 + 13) & 0xff);
  const std::string slow = "GET /livez HTTP/1.1\r\nX-Slow: ";
  int slowloris = -1;
  size_t slow_sent = 0;
  while (!stop) {
    // Slowloris: one more byte every 100 ms; when cinit drops it, again.
    if (slowloris >= 0 && !SendSome(slowloris, std::string(1, slow_sent < slow.size() ? slow[slow_sent] : 'z'))) {
      held->push_back(slowloris);
      slowloris = -1;
    }
    if (slowloris < 0) {
      slowloris = Connect(port);
      slow_sent = 0;
    } else {
      slow_sent++;
    }
    for (int kind = 0; kind < 3; kind++) {
      int fd = Connect(port);
      if (fd < 0) continue;
      if (kind == 0) SendSome(fd, big);
      if (kind == 1) SendSome(fd, garbage);
      if (kind == 2) {
        SendSome(fd, "GET /li");
        shutdown(fd, SHUT_WR);
      }
      held->push_back(fd);
    }
    std::this_thread::sleep_for(Ms(100));  // the slowloris pace, not a wait for anything
  }
  if (slowloris >= 0) held->push_back(slowloris);
}

// GET /livez on a fresh connection, timed from connect to the whole answer.
double TimedLivez(int port, int* code) {
  auto start = Clock::now();
  *code = Http(port, "GET", "/livez", Ms(3000)).code;
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void CloseAll(std::vector<int>* fds) {
  for (int fd : *fds) close(fd);
  fds->clear();
}

TEST(StormHealth, AbusedEndpointStaysFastAndCinitUnchanged) {
  CINIT_REQUIRE_ROOT();
  // 1,000 idle clients plus the abusers need descriptors of this process.
  rlimit old{};
  ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
  rlimit want = old;
  want.rlim_cur = std::max<rlim_t>(old.rlim_cur, 4096);
  if (want.rlim_max != RLIM_INFINITY && want.rlim_max < want.rlim_cur) want.rlim_max = want.rlim_cur;
  if (setrlimit(RLIMIT_NOFILE, &want) != 0)
    GTEST_SKIP() << "cannot raise RLIMIT_NOFILE to 4096 for " << kIdle << " client sockets";

  SidecarRun run;
  Channel ogo(run.dir, "ogo");
  int port = FreeTcpPort();
  auto options = run.MakeOptions(
      {"--health-listen", "127.0.0.1:" + std::to_string(port), "--init",
       "orphan -- sh -c '{ echo orphan-up > $EV; read x < $OGO; } </dev/null >/dev/null 2>&1 & exit 0'", "--",
       ProbePath(), "sigrecord", run.ev.path(), "main", "15"});
  options.env.push_back("OGO=" + ogo.path());
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  std::vector<std::string> lines;
  ASSERT_TRUE(run.ev.WaitForLine("main ready", kDefaultTimeout, &lines)) << cinit.Describe();
  if (std::find(lines.begin(), lines.end(), "orphan-up") == lines.end())
    ASSERT_TRUE(run.ev.WaitForLine("orphan-up")) << cinit.Describe();
  ASSERT_TRUE(WaitUntil([&] { return Get(port, "/livez").code == 200; })) << cinit.Describe();
  // The orphan was adopted: cinit's children are the main and it.
  ASSERT_TRUE(WaitUntil([&] { return cinit.Children().size() == 2; })) << cinit.Describe();
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  int fds_before = hard::FdCount(cinit.pid());

  // Warm-up: every connection slot's buffer filled once, every answer
  // built once, so later pages touched are growth, not first use.
  {
    std::vector<int> warm;
    for (int i = 0; i < 16; i++) {
      int fd = Connect(port);
      if (fd >= 0) SendSome(fd, "GET /livez HTTP/1.1\r\nX: " + std::string(4000, 'w')), warm.push_back(fd);
    }
    EXPECT_EQ(200, Get(port, "/status").code);
    CloseAll(&warm);
    ASSERT_TRUE(WaitUntil([&] { return hard::FdCount(cinit.pid()) == fds_before; })) << cinit.Describe();
  }
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  long rss_before = hard::RssKb(cinit.pid());

  // The abuse.
  std::vector<int> idle;
  for (int i = 0; i < kIdle; i++) {
    int fd = Connect(port);
    ASSERT_GE(fd, 0) << "connection " << i << " failed: " << strerror(errno);
    idle.push_back(fd);
  }
  auto abuse_start = Clock::now();
  int late = Connect(port);
  ASSERT_GE(late, 0);
  bool late_sent = false;
  std::atomic<bool> stop{false};
  std::vector<int> held;
  std::thread abuser(Abuse, port, std::cref(stop), &held);

  std::vector<double> ms;
  int bad = 0, fds_max = 0;
  while (Clock::now() < abuse_start + kAbuse) {
    int code = -1;
    ms.push_back(TimedLivez(port, &code));
    if (code != 200) bad++;
    fds_max = std::max(fds_max, hard::FdCount(cinit.pid()));
    if (!late_sent && Clock::now() >= abuse_start + kLateSend) {
      std::string req = "GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      SendSome(late, req);  // cinit may have evicted it already: then it is closed
      late_sent = true;
    }
    std::this_thread::sleep_for(Ms(50));  // spread over the abuse
  }
  bool late_closed = false;
  std::string late_got = ReadUntilClosed(late, Ms(2000), &late_closed);
  double late_secs = std::chrono::duration<double>(Clock::now() - abuse_start).count();
  close(late);
  // A signal is forwarded meanwhile.
  auto sent = Clock::now();
  ASSERT_TRUE(cinit.Signal(SIGUSR1));
  bool forwarded = run.ev.WaitForLine("main " + std::to_string(SIGUSR1), Ms(3000));
  double signal_ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
  // And the orphan is reaped once it exits.
  ASSERT_TRUE(ogo.Send("exit"));
  auto exited = Clock::now();
  bool reaped = WaitUntil([&] { return cinit.Children().size() == 1; }, Ms(3000));
  double reap_ms = std::chrono::duration<double, std::milli>(Clock::now() - exited).count();
  for (int i = 0; i < kSamples / 2; i++) {
    int code = -1;
    ms.push_back(TimedLivez(port, &code));
    if (code != 200) bad++;
  }
  stop = true;
  abuser.join();
  size_t abusive = held.size();
  CloseAll(&idle);
  CloseAll(&held);

  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(0, bad) << "a /livez got no 200 answer during the abuse";
  // One more than the slots: a connection is accepted before the oldest is evicted.
  EXPECT_LE(fds_max, fds_before + kMaxConns + 1) << "cinit held more connections than its slots";
  EXPECT_TRUE(late_closed && (late_got.empty() || late_got.starts_with("HTTP/1.1 200 OK")))
      << "the late client, " << late_secs << " s after its connect: " << (late_closed ? "closed" : "still open")
      << ", got: " << late_got.substr(0, 80);
  EXPECT_LE(late_secs, 5.6) << "the late client was left open past the deferral + the deadline";
  // Every request within the bound: a blocked cinit would miss them all.
  EXPECT_LE(sorted.back(), kLivezMs) << "slowest /livez " << sorted.back() << " ms, median "
                                     << sorted[sorted.size() / 2] << " ms";
  EXPECT_TRUE(forwarded) << "USR1 did not reach the main\n" << cinit.Describe();
  EXPECT_LT(signal_ms, 1000);
  EXPECT_TRUE(reaped) << "the orphan was not reaped\n" << cinit.Describe();

  // Afterwards: the same descriptors, and no memory gained.
  int fds_after = -1;
  EXPECT_TRUE(WaitUntil([&] { return (fds_after = hard::FdCount(cinit.pid())) == fds_before; }))
      << "cinit's descriptors: " << fds_before << " -> " << fds_after;
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  long rss_after = hard::RssKb(cinit.pid());
  EXPECT_LE(rss_after, rss_before + 64) << "cinit's memory grew: " << rss_before << " -> " << rss_after << " kB";
  EXPECT_EQ(200, Get(port, "/livez").code);

  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_EQ(0, cinit.Wait().status()) << cinit.Describe();
  setrlimit(RLIMIT_NOFILE, &old);
  hard::Report("storm-health", std::to_string(kIdle) + " idle + " + std::to_string(abusive) +
                                   " abusive connections over " + std::to_string(kAbuse.count()) + " ms (" +
                                   std::to_string(ms.size()) + " probes, cinit fds at most " +
                                   std::to_string(fds_max) + "; late client " +
                                   (late_got.empty() ? "closed" : "answered") + "): /livez median " +
                                   std::to_string(sorted[sorted.size() / 2]) +
                                   " ms, slowest " + std::to_string(sorted.back()) + " ms; USR1 forwarded in " +
                                   std::to_string(signal_ms) + " ms, orphan reaped in " + std::to_string(reap_ms) +
                                   " ms; cinit RSS " + std::to_string(rss_before) + " -> " + std::to_string(rss_after) +
                                   " kB, fds " + std::to_string(fds_before) + " -> " + std::to_string(fds_after));
}

}  // namespace
}  // namespace cinit_test
