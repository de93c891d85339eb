// The health endpoint (SPEC §7): --health-listen serves /livez, /readyz,
// /livez/NAME, /readyz/NAME with exactly the verdicts of `cinit status`,
// /status as JSON, and /readyz 503 once shutdown begins. Requests come from
// the test process, as a kubelet's httpGet probe would.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "fault_storm.h"
#include "harness.h"
#include "health_support.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

const char* const kPaths[] = {"/livez", "/readyz", "/livez/web", "/readyz/web", "/livez/flaky", "/readyz/flaky",
                              "/livez/main", "/readyz/main"};

// Every endpoint answers what `cinit status` says at the same moment. The
// state can move between the two looks, so retry a few times.
void ExpectSameVerdicts(const SidecarRun& run, int port, const char* when) {
  for (const char* path : kPaths) {
    std::string p(path);
    std::vector<std::string> args = {p.starts_with("/livez") ? "--live" : "--ready"};
    size_t slash = p.find('/', 1);
    if (slash != std::string::npos) args.push_back(p.substr(slash + 1));
    int http = -1, expected = -2;
    for (int attempt = 0; attempt < 5 && http != expected; attempt++) {
      expected = RunStatus(run.state_dir, args).code == 0 ? 200 : 503;
      http = Get(port, p).code;
    }
    EXPECT_EQ(expected, http) << when << ": " << p << "\n" << run.State();
  }
}

TEST(Health, VerdictsThroughTheLifecycle) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  Channel web_go(run.dir, "web-go");
  Channel flaky_go(run.dir, "flaky-go");
  int port = FreeTcpPort();
  auto options = run.MakeOptions(
      {"--health-listen", "127.0.0.1:" + std::to_string(port), "--sidecar",
       "web ready=file:" + run.dir.Path("web.ready") + " -- sh -c 'echo web-up > $EV; read x < $WEB_GO; touch " +
           run.dir.Path("web.ready") + "; read x < $HOLD'",
       "--sidecar",
       "flaky max-restarts=1 backoff=1s -- sh -c 'echo flaky-up > $EV; read x < $FLAKY_GO; exit 1'", "--", "sh",
       "-c", "trap 'echo main-term > $EV; read y < $GO; exit 0' TERM; echo main-up > $EV; while :; do sleep 1; done"});
  options.env.push_back("WEB_GO=" + web_go.path());
  options.env.push_back("FLAKY_GO=" + flaky_go.path());
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);

  // Startup: web is not ready yet, so nothing after it has started.
  ASSERT_TRUE(run.ev.WaitForLine("web-up")) << cinit.Describe();
  ASSERT_TRUE(WaitForState(run, "web", "starting"));
  EXPECT_EQ(503, Get(port, "/readyz").code);
  EXPECT_EQ(503, Get(port, "/livez").code);  // the main does not run yet
  EXPECT_EQ(200, Get(port, "/livez/web").code);
  HttpAnswer status = Get(port, "/status");
  EXPECT_EQ(200, status.code);
  EXPECT_NE(std::string::npos, status.body.find("{\"name\":\"web\",\"kind\":\"sidecar\",\"state\":\"starting\""))
      << status.body;
  EXPECT_NE(std::string::npos, status.body.find("\"state\":\"pending\",\"pid\":null")) << status.body;
  ExpectSameVerdicts(run, port, "startup");

  // Running: everything ready.
  ASSERT_TRUE(web_go.Send("go"));
  {
    // flaky and the main start at once: their lines come in either order.
    auto lines = ReadLines(run.ev, 2);
    std::sort(lines.begin(), lines.end());
    ASSERT_EQ((std::vector<std::string>{"flaky-up", "main-up"}), lines) << cinit.Describe();
  }
  ASSERT_TRUE(WaitUntil([&] { return Get(port, "/readyz").code == 200; })) << run.State();
  HttpAnswer ready = Get(port, "/readyz");
  EXPECT_EQ("ready\n", ready.body);
  EXPECT_NE(std::string::npos, ready.head.find("Connection: close")) << ready.head;
  EXPECT_EQ("live\n", Get(port, "/livez").body);
  EXPECT_EQ("web ready\n", Get(port, "/readyz/web").body);
  ExpectSameVerdicts(run, port, "running");

  // A sidecar in backoff: not ready, still live.
  ASSERT_TRUE(flaky_go.Send("fail"));
  ASSERT_TRUE(WaitForState(run, "flaky", "backoff")) << run.State();
  EXPECT_EQ(503, Get(port, "/readyz").code) << run.State();
  EXPECT_EQ(200, Get(port, "/livez").code) << run.State();
  EXPECT_EQ(503, Get(port, "/readyz/flaky").code);
  EXPECT_EQ(200, Get(port, "/livez/flaky").code);
  ExpectSameVerdicts(run, port, "backoff");

  // FAILED: not live either; the main still is.
  ASSERT_TRUE(run.ev.WaitForLine("flaky-up"));
  ASSERT_TRUE(flaky_go.Send("fail"));
  ASSERT_TRUE(WaitForState(run, "flaky", "failed")) << run.State();
  EXPECT_EQ(503, Get(port, "/livez").code);
  EXPECT_EQ("not live\n", Get(port, "/livez").body);
  EXPECT_EQ("flaky not live\n", Get(port, "/livez/flaky").body);
  EXPECT_EQ(200, Get(port, "/livez/main").code);
  ExpectSameVerdicts(run, port, "failed");
  EXPECT_NE(std::string::npos, Get(port, "/status").body.find("\"name\":\"flaky\",\"kind\":\"sidecar\",\"state\":\"failed\""));

  // Shutdown: /readyz is 503 at once, while the main is still running.
  ASSERT_TRUE(cinit.Signal(SIGTERM));
  ASSERT_TRUE(run.ev.WaitForLine("main-term"));
  HttpAnswer stopping = Get(port, "/readyz");
  EXPECT_EQ(503, stopping.code);
  EXPECT_EQ("not ready: shutting down\n", stopping.body);
  EXPECT_EQ("running", FindRow(run.State(), "main").value_or(StateRow{}).state);
  EXPECT_NE(std::string::npos, Get(port, "/status").body.find("\"stopping\":true"));
  ASSERT_TRUE(run.go.Send("exit"));
  ExitInfo e = cinit.Wait();
  EXPECT_EQ(0, e.status()) << cinit.Describe();
}

TEST(Health, ErrorsHeadAndListenForms) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  int port = FreeTcpPort();
  auto options = run.MakeOptions({"--", "sh", "-c", "echo up > $EV; read x < $GO"});
  options.env.push_back("CINIT_HEALTH_LISTEN=[::ffff:127.0.0.1]:" + std::to_string(port));  // IPv6 form, env form
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("up")) << cinit.Describe();
  ASSERT_TRUE(WaitUntil([&] { return Get(port, "/livez").code == 200; })) << cinit.Describe();

  EXPECT_EQ(404, Get(port, "/").code);
  EXPECT_EQ(404, Get(port, "/readyz/nope").code);
  HttpAnswer post = Http(port, "POST", "/readyz");
  EXPECT_EQ(405, post.code);
  EXPECT_NE(std::string::npos, post.head.find("Allow: GET, HEAD")) << post.head;
  HttpAnswer head = Http(port, "HEAD", "/readyz");
  EXPECT_EQ(200, head.code);
  EXPECT_EQ("", head.body);
  EXPECT_EQ(0u, RawExchange(port, std::string("\x00\xff\x13garbage\r\n\r\n", 14)).find("HTTP/1.1 400 "));
  EXPECT_EQ(0u, RawExchange(port, "GET /livez HTTP/1.1\r\nX: " + std::string(64 * 1024, 'a') + "\r\n\r\n")
                    .find("HTTP/1.1 431 "));
  // Half-closed right after the request: still answered.
  int fd = Connect(port);
  ASSERT_GE(fd, 0);
  std::string req = "GET /livez HTTP/1.0\r\n\r\n";
  ASSERT_EQ(static_cast<ssize_t>(req.size()), write(fd, req.data(), req.size()));
  shutdown(fd, SHUT_WR);
  char buf[512];
  std::string got;
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) got.append(buf, n);
  close(fd);
  EXPECT_EQ(0u, got.find("HTTP/1.1 200 OK")) << got;

  ASSERT_TRUE(run.go.Send("exit"));
  EXPECT_EQ(0, cinit.Wait().status()) << cinit.Describe();
}

// TCP_DEFER_ACCEPT (README "Decisions"): the kernel keeps a connection that
// has sent nothing to itself for about a second, so it takes none of
// cinit's descriptors or slots; then cinit takes it and its 2 s deadline
// starts. A request sent after that second is still answered, and a
// connection that never sends is closed by cinit 2 s after it took it
// (about 3 s after the connect), not held.
TEST(Health, LateRequestAnsweredSilentConnectionClosed) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  int port = FreeTcpPort();
  Cinit cinit(run.MakeOptions({"--health-listen", "127.0.0.1:" + std::to_string(port), "--", "sh", "-c",
                               "echo up > $EV; read x < $GO"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("up")) << cinit.Describe();
  ASSERT_TRUE(WaitUntil([&] { return Get(port, "/livez").code == 200; })) << cinit.Describe();
  int fds_before = -1;
  ASSERT_TRUE(WaitUntil([&] {
    fds_before = hard::FdCount(cinit.pid());
    return fds_before > 0;
  }));

  auto start = Clock::now();
  int late = Connect(port), silent = Connect(port);
  ASSERT_GE(late, 0);
  ASSERT_GE(silent, 0);
  // Half a second in: both still wait in the kernel, not in cinit.
  std::this_thread::sleep_for(Ms(500));  // the clients' silence is what is tested
  EXPECT_EQ(fds_before, hard::FdCount(cinit.pid())) << "a silent connection took a descriptor of cinit";
  std::this_thread::sleep_for(Ms(1000));
  std::string req = "GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_EQ(static_cast<ssize_t>(req.size()), send(late, req.data(), req.size(), MSG_NOSIGNAL));
  bool closed = false;
  std::string got = ReadUntilClosed(late, Ms(3000), &closed);
  EXPECT_EQ(0u, got.find("HTTP/1.1 200 OK")) << "request sent 1.5 s after the connect: " << got;
  EXPECT_TRUE(closed);
  got = ReadUntilClosed(silent, Ms(6000), &closed);
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_TRUE(closed) << "a silent connection was not closed within 7.5 s";
  EXPECT_EQ("", got);
  EXPECT_GE(secs, 1.9) << "a silent connection was closed before its 2 s deadline";
  EXPECT_LE(secs, 5.5) << "a silent connection was held past the ~1 s deferral + the 2 s deadline";
  close(late);
  close(silent);
  EXPECT_TRUE(WaitUntil([&] { return hard::FdCount(cinit.pid()) == fds_before; }));

  ASSERT_TRUE(run.go.Send("exit"));
  EXPECT_EQ(0, cinit.Wait().status()) << cinit.Describe();
}

TEST(Health, PortTakenIsAUsageError) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  int blocker = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa = {};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  ASSERT_EQ(0, bind(blocker, reinterpret_cast<sockaddr*>(&sa), sizeof sa));
  ASSERT_EQ(0, listen(blocker, 1));
  ASSERT_EQ(0, getsockname(blocker, reinterpret_cast<sockaddr*>(&sa), &len));
  Cinit cinit(run.MakeOptions({"--health-listen", "127.0.0.1:" + std::to_string(ntohs(sa.sin_port)), "true"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  EXPECT_EQ(125, cinit.Wait().status());
  EXPECT_NE(std::string::npos, cinit.Stderr().find("cinit: --health-listen: cannot listen on port")) << cinit.Stderr();
  close(blocker);
}

}  // namespace
}  // namespace cinit_test
