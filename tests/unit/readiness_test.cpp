// Readiness checks: the pure HTTP helpers, then each kind of check against
// real sockets, files, pipes and processes, driven by a miniature of the
// supervisor's loop (Drive) instead of the supervisor itself.
#include "readiness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

extern char** environ;

namespace {

Millis NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// The fake Inherited for Spawn: what this test process was started with.
const Inherited& TestInherited() {
  static Inherited* in = [] {
    auto* captured = new Inherited;
    sigset_t mask;
    sigprocmask(SIG_SETMASK, nullptr, &mask);
    CaptureInherited(environ, mask, captured);
    return captured;
  }();
  return *in;
}

// The supervisor's loop in miniature: poll the probe's descriptor and the
// exec check's pidfd until the next deadline; feed events, exits and timers.
// Returns when ready, when stop() is true, when nothing is left to wait for,
// or after budget ms.
ProbeResult Drive(Probe* p, const ReadyCheck& c, ProbeResult r, Millis budget,
                  const std::function<bool()>& stop = nullptr) {
  const Inherited& in = TestInherited();
  Millis end = NowMs() + budget;
  while (r == ProbeResult::kPending && !(stop && stop())) {
    Millis now = NowMs();
    if (now >= end) break;
    if (p->wake_at && now >= p->wake_at) {
      r = ProbeOnTimer(p, c, in, now);
      continue;
    }
    if (p->fd < 0 && p->exec_pid <= 0 && p->wake_at == 0) break;  // nothing will ever happen
    pollfd fds[2];
    int n = 0;
    if (p->fd >= 0) fds[n++] = {p->fd, p->events, 0};
    int pidfd = p->exec_pid > 0 ? static_cast<int>(syscall(SYS_pidfd_open, p->exec_pid, 0)) : -1;
    if (pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    Millis timeout = end - now;
    if (p->wake_at) timeout = std::min(timeout, p->wake_at - now);
    if (p->exec_pid > 0 && pidfd < 0) timeout = std::min<Millis>(timeout, 5);  // no pidfd: tick
    int got = poll(fds, n, static_cast<int>(timeout));
    if (pidfd >= 0) close(pidfd);
    if (got > 0 && p->fd >= 0 && fds[0].fd == p->fd && fds[0].revents)
      r = ProbeOnEvent(p, c, in, fds[0].revents, NowMs());
    if (r == ProbeResult::kPending && p->exec_pid > 0) {
      int status;
      pid_t pid = p->exec_pid;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        p->exec_pid = -1;  // as the supervisor does: cleared the moment it is reaped
        r = ProbeOnExit(p, c, in, status, NowMs());
      }
    }
  }
  return r;
}

// ProbeStop, then reap an exec check it killed, so no zombie outlives a test.
void StopAndReap(Probe* p) {
  pid_t pid = p->exec_pid;
  ProbeStop(p);
  if (pid > 0) waitpid(pid, nullptr, 0);
}

bool StillOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

ReadyCheck Loopback(ReadyKind kind, bool ipv6, uint16_t port) {
  ReadyCheck c;
  c.kind = kind;
  c.ipv6 = ipv6;
  inet_pton(ipv6 ? AF_INET6 : AF_INET, ipv6 ? "::1" : "127.0.0.1", c.addr);
  c.port = port;
  return c;
}

// A TCP socket bound to a loopback ephemeral port, not yet listening: a
// connect to it is refused, and the port cannot be taken by anyone else.
int BoundSocket(bool ipv6, uint16_t* port) {
  int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_storage ss{};
  socklen_t len;
  if (ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

// A tiny HTTP server on a thread: reads each request up to the blank line,
// records it, answers with the current canned answer and closes.
class HttpServer {
 public:
  explicit HttpServer(bool ipv6) {
    fd_ = BoundSocket(ipv6, &port_);
    if (fd_ < 0 || listen(fd_, 8) != 0 || pipe2(stop_, O_CLOEXEC) != 0) return;
    thread_ = std::thread([this] { Run(); });
  }
  ~HttpServer() {
    if (thread_.joinable()) {
      EXPECT_EQ(1, write(stop_[1], "x", 1));
      thread_.join();
    }
    for (int fd : {fd_, stop_[0], stop_[1]})
      if (fd >= 0) close(fd);
  }
  bool ok() const { return thread_.joinable(); }
  uint16_t port() const { return port_; }
  int requests() const { return requests_; }
  void SetAnswer(const std::string& a) {
    std::lock_guard<std::mutex> lock(mu_);
    answer_ = a;
  }
  std::string last_request() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_request_;
  }

 private:
  void Run() {
    for (;;) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0 || fds[1].revents) return;
      int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      std::string request;
      char chunk[512];
      pollfd in = {conn, POLLIN, 0};
      while (request.find("\r\n\r\n") == std::string::npos && poll(&in, 1, 2000) == 1) {
        ssize_t n = recv(conn, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        request.append(chunk, n);
      }
      std::string answer;
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_request_ = request;
        answer = answer_;
      }
      ssize_t sent = send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
      (void)sent;
      close(conn);
      requests_++;
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  int stop_[2] = {-1, -1};
  std::thread thread_;
  std::mutex mu_;
  std::string answer_ = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  std::string last_request_;
  std::atomic<int> requests_{0};
};

std::string TempDir() {
  char tmpl[] = "/tmp/cinit-readiness-XXXXXX";
  EXPECT_NE(nullptr, mkdtemp(tmpl));
  return tmpl;
}

// ---- Pure helpers ----------------------------------------------------------

TEST(HttpRequest, IPv4WithPath) {
  ReadyCheck c = Loopback(ReadyKind::kHttp, false, 8080);
  c.http_path = "/healthz?full=1";
  char buf[256];
  int n = FormatHttpRequest(c, buf, sizeof buf);
  std::string want = "GET /healthz?full=1 HTTP/1.0\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(static_cast<int>(want.size()), n);
  EXPECT_EQ(want, std::string(buf, n));
}

TEST(HttpRequest, MissingPathIsRoot) {
  ReadyCheck c = Loopback(ReadyKind::kHttp, false, 80);
  char buf[256];
  int n = FormatHttpRequest(c, buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ("GET / HTTP/1.0\r\nHost: 127.0.0.1:80\r\nConnection: close\r\n\r\n", std::string(buf, n));
}

TEST(HttpRequest, IPv6HostIsBracketed) {
  ReadyCheck c = Loopback(ReadyKind::kHttp, true, 9000);
  c.http_path = "/";
  char buf[256];
  int n = FormatHttpRequest(c, buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ("GET / HTTP/1.0\r\nHost: [::1]:9000\r\nConnection: close\r\n\r\n", std::string(buf, n));
}

TEST(HttpRequest, TooSmallBufferFails) {
  ReadyCheck c = Loopback(ReadyKind::kHttp, false, 80);
  c.http_path = "/x";
  char buf[256];
  int n = FormatHttpRequest(c, buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(n, FormatHttpRequest(c, buf, n + 1));  // exactly fits with its NUL
  EXPECT_EQ(-1, FormatHttpRequest(c, buf, n));
  EXPECT_EQ(-1, FormatHttpRequest(c, nullptr, 0));
}

int StatusOf(const char* s) { return ParseHttpStatus(s, static_cast<int>(strlen(s))); }

TEST(HttpStatus, SuccessAndRedirectAreReady) {
  for (const char* s : {"HTTP/1.1 200 OK\r\n", "HTTP/1.0 204 No Content\r\n", "HTTP/1.1 301 Moved\r\n",
                        "HTTP/1.1 302 Found\r\n", "HTTP/1.1 399 x", "HTTP/1.0 200\r\n", "HTTP/1.0 200\n"})
    EXPECT_EQ(1, StatusOf(s)) << s;
}

TEST(HttpStatus, OtherClassesAreNotReady) {
  for (const char* s : {"HTTP/1.1 100 Continue\r\n", "HTTP/1.1 199 x", "HTTP/1.1 404 Not Found\r\n",
                        "HTTP/1.1 500 Internal Server Error\r\n", "HTTP/1.1 503 ", "HTTP/1.1 000 "})
    EXPECT_EQ(0, StatusOf(s)) << s;
}

TEST(HttpStatus, MalformedIsNotReady) {
  for (const char* s : {"SSH-2.0-OpenSSH_9.2\r\n", "http/1.1 200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000 ",
                        "HTTP/1.1  200 OK", "HTTP/11 200 OK", " HTTP/1.1 200 OK", "HTTP/1.1 2x0 OK", "\r\n"})
    EXPECT_EQ(0, StatusOf(s)) << s;
}

TEST(HttpStatus, PrefixesNeedMoreBytes) {
  const char* full = "HTTP/1.1 200 OK\r\n";
  for (int len = 0; len < 13; len++) EXPECT_EQ(-1, ParseHttpStatus(full, len)) << len;
  EXPECT_EQ(1, ParseHttpStatus(full, 13));
  // A wrong byte is rejected as soon as it arrives, without waiting for more.
  EXPECT_EQ(0, ParseHttpStatus("HTTX", 4));
  EXPECT_EQ(0, ParseHttpStatus("<", 1));
}

// ---- kNone -------------------------------------------------------------------

TEST(ProbeNone, ReadyAtOnce) {
  ReadyCheck c;
  Probe p;
  int child_fd = 99;
  ASSERT_TRUE(ProbeBeforeStart(&p, c, &child_fd).ok);
  EXPECT_EQ(-1, child_fd);
  EXPECT_EQ(ProbeResult::kReady, ProbeStart(&p, c, TestInherited(), NowMs()));
  EXPECT_EQ(-1, p.fd);
  EXPECT_EQ(0, p.wake_at);
}

// ---- tcp: --------------------------------------------------------------------

TEST(ProbeTcp, ListeningPortIsReady) {
  uint16_t port;
  int s = BoundSocket(false, &port);
  ASSERT_GE(s, 0);
  ASSERT_EQ(0, listen(s, 4));
  ReadyCheck c = Loopback(ReadyKind::kTcp, false, port);
  Probe p;
  EXPECT_EQ(ProbeResult::kReady, Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000));
  EXPECT_EQ(-1, p.fd);
  EXPECT_EQ(0, p.wake_at);
  EXPECT_EQ(1, p.attempts);
  close(s);
}

TEST(ProbeTcp, RefusedUntilListening) {
  uint16_t port;
  int s = BoundSocket(false, &port);
  ASSERT_GE(s, 0);
  ReadyCheck c = Loopback(ReadyKind::kTcp, false, port);
  Probe p;
  ProbeResult r = Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000, [&] { return p.attempts >= 3; });
  EXPECT_EQ(ProbeResult::kPending, r);
  EXPECT_GE(p.attempts, 3);
  EXPECT_NE(nullptr, strstr(p.last_failure, "refused")) << p.last_failure;
  ASSERT_EQ(0, listen(s, 4));
  EXPECT_EQ(ProbeResult::kReady, Drive(&p, c, r, 3000));
  close(s);
}

TEST(ProbeTcp, IPv6Loopback) {
  uint16_t port;
  int s = BoundSocket(true, &port);
  if (s < 0) GTEST_SKIP() << "SKIPPED LOUDLY: IPv6 loopback [::1] is not available here (" << strerror(errno) << ")";
  ASSERT_EQ(0, listen(s, 4));
  ReadyCheck c = Loopback(ReadyKind::kTcp, true, port);
  Probe p;
  EXPECT_EQ(ProbeResult::kReady, Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000));
  close(s);
}

// ---- http:// -----------------------------------------------------------------

TEST(ProbeHttp, OkIsReadyAndRequestIsWellFormed) {
  HttpServer server(false);
  ASSERT_TRUE(server.ok());
  ReadyCheck c = Loopback(ReadyKind::kHttp, false, server.port());
  c.http_path = "/healthz";
  Probe p;
  EXPECT_EQ(ProbeResult::kReady, Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000));
  EXPECT_EQ(-1, p.fd);
  EXPECT_EQ("GET /healthz HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                "\r\nConnection: close\r\n\r\n",
            server.last_request());
}

TEST(ProbeHttp, ServerErrorIsRetriedUntilRedirect) {
  HttpServer server(false);
  ASSERT_TRUE(server.ok());
  server.SetAnswer("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
  ReadyCheck c = Loopback(ReadyKind::kHttp, false, server.port());
  c.http_path = "/";
  Probe p;
  ProbeResult r = Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 4000,
                        [&] { return server.requests() >= 3; });
  EXPECT_EQ(ProbeResult::kPending, r);
  EXPECT_GE(server.requests(), 3);
  EXPECT_NE(nullptr, strstr(p.last_failure, "HTTP/1.1 500 Internal Server Error")) << p.last_failure;
  server.SetAnswer("HTTP/1.1 302 Found\r\nLocation: /login\r\n\r\n");
  EXPECT_EQ(ProbeResult::kReady, Drive(&p, c, r, 3000));
}

TEST(ProbeHttp, ClosedWithoutAnswerIsNotReady) {
  HttpServer server(false);
  ASSERT_TRUE(server.ok());
  server.SetAnswer("");
  ReadyCheck c = Loopback(ReadyKind::kHttp, false, server.port());
  Probe p;
  ProbeResult r = Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000,
                        [&] { return p.attempts >= 2; });
  EXPECT_EQ(ProbeResult::kPending, r);
  EXPECT_NE(nullptr, strstr(p.last_failure, "closed the connection")) << p.last_failure;
  StopAndReap(&p);
}

// The server accepts the connection (in the kernel's backlog) and never
// answers: the attempt must end at kProbeAttemptMax and a new one begin.
TEST(ProbeHttp, SilentServerTimesOutAndRetries) {
  uint16_t port;
  int s = BoundSocket(false, &port);
  ASSERT_GE(s, 0);
  ASSERT_EQ(0, listen(s, 8));
  ReadyCheck c = Loopback(ReadyKind::kHttp, false, port);
  Probe p;
  Millis start = NowMs();
  ProbeResult r = Drive(&p, c, ProbeStart(&p, c, TestInherited(), start), 4000, [&] { return p.attempts >= 2; });
  EXPECT_EQ(ProbeResult::kPending, r);
  EXPECT_EQ(2, p.attempts);
  EXPECT_GE(NowMs() - start, kProbeAttemptMax + kProbeInterval);
  EXPECT_NE(nullptr, strstr(p.last_failure, "no answer within 1000ms")) << p.last_failure;
  int fd = p.fd;
  ASSERT_GE(fd, 0);
  StopAndReap(&p);
  EXPECT_FALSE(StillOpen(fd));
  EXPECT_EQ(-1, p.fd);
  EXPECT_EQ(0, p.wake_at);
  close(s);
}

TEST(ProbeHttp, IPv6Loopback) {
  HttpServer server(true);
  if (!server.ok()) GTEST_SKIP() << "SKIPPED LOUDLY: IPv6 loopback [::1] is not available here";
  ReadyCheck c = Loopback(ReadyKind::kHttp, true, server.port());
  c.http_path = "/ready";
  Probe p;
  EXPECT_EQ(ProbeResult::kReady, Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000));
  EXPECT_NE(std::string::npos, server.last_request().find("Host: [::1]:" + std::to_string(server.port())));
}

// ---- file: ------------------------------------------------------------------

TEST(ProbeFile, RemovedBeforeStartThenReadyWhenCreated) {
  std::string path = TempDir() + "/ready";
  ASSERT_EQ(0, close(open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)));
  ReadyCheck c;
  c.kind = ReadyKind::kFile;
  c.file_path = path.c_str();
  Probe p;
  int child_fd = 99;
  ASSERT_TRUE(ProbeBeforeStart(&p, c, &child_fd).ok);
  EXPECT_EQ(-1, child_fd);
  EXPECT_NE(0, access(path.c_str(), F_OK));  // the stale file is gone
  ASSERT_TRUE(ProbeBeforeStart(&p, c, &child_fd).ok);  // already absent: fine
  ProbeResult r = Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000, [&] { return p.attempts >= 2; });
  EXPECT_EQ(ProbeResult::kPending, r);
  EXPECT_GT(p.wake_at, 0);
  ASSERT_EQ(0, close(open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)));
  EXPECT_EQ(ProbeResult::kReady, Drive(&p, c, r, 3000));
  unlink(path.c_str());
  rmdir(path.substr(0, path.rfind('/')).c_str());
}

TEST(ProbeFile, TimerBeforeWakeAtDoesNothing) {
  std::string dir = TempDir();
  std::string path = dir + "/ready";
  ReadyCheck c;
  c.kind = ReadyKind::kFile;
  c.file_path = path.c_str();
  Probe p;
  Millis now = 1000;
  ASSERT_EQ(ProbeResult::kPending, ProbeStart(&p, c, TestInherited(), now));
  EXPECT_EQ(now + kProbeInterval, p.wake_at);
  ASSERT_EQ(0, close(open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)));
  EXPECT_EQ(ProbeResult::kPending, ProbeOnTimer(&p, c, TestInherited(), now + kProbeInterval - 1));
  EXPECT_EQ(ProbeResult::kReady, ProbeOnTimer(&p, c, TestInherited(), now + kProbeInterval));
  EXPECT_EQ(0, p.wake_at);
  unlink(path.c_str());
  rmdir(dir.c_str());
}

TEST(ProbeFile, UnremovableTargetIsAnError) {
  std::string dir = TempDir();
  ReadyCheck c;
  c.kind = ReadyKind::kFile;
  c.file_path = dir.c_str();  // a directory: unlink fails with EISDIR
  Probe p;
  int child_fd;
  Status s = ProbeBeforeStart(&p, c, &child_fd);
  EXPECT_FALSE(s.ok);
  EXPECT_NE(nullptr, strstr(s.error.text, dir.c_str())) << s.error.text;
  rmdir(dir.c_str());
}

// ---- fd:N ------------------------------------------------------------------

TEST(ProbeFd, PipeIsSetUpForTheChild) {
  ReadyCheck c;
  c.kind = ReadyKind::kFd;
  c.fd = 5;
  Probe p;
  int child_fd = -1;
  ASSERT_TRUE(ProbeBeforeStart(&p, c, &child_fd).ok);
  ASSERT_GE(child_fd, 0);
  ASSERT_GE(p.ready_pipe, 0);
  EXPECT_TRUE(fcntl(p.ready_pipe, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(fcntl(p.ready_pipe, F_GETFD) & FD_CLOEXEC);
  EXPECT_FALSE(fcntl(child_fd, F_GETFL) & O_NONBLOCK);  // the sidecar's end blocks as usual
  EXPECT_TRUE(fcntl(child_fd, F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(ProbeResult::kPending, ProbeStart(&p, c, TestInherited(), NowMs()));
  EXPECT_EQ(p.ready_pipe, p.fd);
  EXPECT_EQ(POLLIN, p.events);
  int read_end = p.ready_pipe;
  ProbeStop(&p);
  EXPECT_FALSE(StillOpen(read_end));
  EXPECT_EQ(-1, p.ready_pipe);
  EXPECT_EQ(-1, p.fd);
  close(child_fd);
}

TEST(ProbeFd, NewlineIsReady) {
  ReadyCheck c;
  c.kind = ReadyKind::kFd;
  c.fd = 5;
  Probe p;
  int child_fd = -1;
  ASSERT_TRUE(ProbeBeforeStart(&p, c, &child_fd).ok);
  ProbeResult r = ProbeStart(&p, c, TestInherited(), NowMs());
  ASSERT_EQ(7, write(child_fd, "warming", 7));
  r = Drive(&p, c, r, 100);  // bytes without a newline: not yet
  EXPECT_EQ(ProbeResult::kPending, r);
  EXPECT_GE(p.fd, 0);
  ASSERT_EQ(1, write(child_fd, "\n", 1));
  EXPECT_EQ(ProbeResult::kReady, Drive(&p, c, r, 3000));
  EXPECT_EQ(-1, p.ready_pipe);
  close(child_fd);
}

TEST(ProbeFd, ClosedWithoutNewlineStaysPendingAndStopsPolling) {
  ReadyCheck c;
  c.kind = ReadyKind::kFd;
  c.fd = 5;
  Probe p;
  int child_fd = -1;
  ASSERT_TRUE(ProbeBeforeStart(&p, c, &child_fd).ok);
  ProbeResult r = ProbeStart(&p, c, TestInherited(), NowMs());
  ASSERT_EQ(3, write(child_fd, "abc", 3));
  close(child_fd);
  Millis start = NowMs();
  EXPECT_EQ(ProbeResult::kPending, Drive(&p, c, r, 3000));
  EXPECT_LT(NowMs() - start, 3000);  // Drive ended because nothing was left to poll
  EXPECT_EQ(-1, p.fd);
  EXPECT_EQ(-1, p.ready_pipe);
  EXPECT_NE(nullptr, strstr(p.last_failure, "closed fd 5")) << p.last_failure;
}

// Through Spawn, as the supervisor does it: the child gets the write end as
// fd 5, cinit closes its copy, and the child's newline or exit is seen.
TEST(ProbeFd, RealChild) {
  for (bool writes : {true, false}) {
    ReadyCheck c;
    c.kind = ReadyKind::kFd;
    c.fd = 5;
    Probe p;
    int child_fd = -1;
    ASSERT_TRUE(ProbeBeforeStart(&p, c, &child_fd).ok);
    const char* argv[] = {"sh", "-c", writes ? "printf 'ready\\n' >&5" : "exit 0", nullptr};
    SpawnRequest req;
    req.argv = argv;
    req.ready_fd = child_fd;
    req.ready_fd_target = 5;
    SpawnOutcome out = Spawn(TestInherited(), req);
    close(child_fd);
    ASSERT_GT(out.pid, 0);
    ASSERT_EQ(0, out.error);
    ProbeResult r = Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000);
    EXPECT_EQ(writes ? ProbeResult::kReady : ProbeResult::kPending, r) << "writes=" << writes;
    EXPECT_EQ(-1, p.fd) << "writes=" << writes;
    int status;
    ASSERT_EQ(out.pid, waitpid(out.pid, &status, 0));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
}

// ---- exec: -----------------------------------------------------------------

ReadyCheck Exec(std::initializer_list<const char*> words) {
  ReadyCheck c;
  c.kind = ReadyKind::kExec;
  int i = 0;
  for (const char* w : words) c.exec_argv[i++] = w;
  c.exec_argv[i] = nullptr;
  return c;
}

TEST(ProbeExec, ExitZeroIsReady) {
  ReadyCheck c = Exec({"sh", "-c", "exit 0"});
  Probe p;
  ProbeResult r = ProbeStart(&p, c, TestInherited(), NowMs());
  EXPECT_GT(p.exec_pid, 0);
  EXPECT_EQ(ProbeResult::kReady, Drive(&p, c, r, 3000));
  EXPECT_EQ(-1, p.exec_pid);
  EXPECT_EQ(0, p.wake_at);
}

TEST(ProbeExec, FailureIsRetried) {
  ReadyCheck c = Exec({"false"});
  Probe p;
  ProbeResult r = Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000, [&] { return p.attempts >= 3; });
  EXPECT_EQ(ProbeResult::kPending, r);
  EXPECT_GE(p.attempts, 3);
  EXPECT_NE(nullptr, strstr(p.last_failure, "false exited with status 1")) << p.last_failure;
  StopAndReap(&p);
}

TEST(ProbeExec, ReadyOnceTheCheckPasses) {
  std::string dir = TempDir();
  std::string flag = dir + "/up";
  std::string script = "test -e " + flag;
  ReadyCheck c = Exec({"sh", "-c", script.c_str()});
  Probe p;
  ProbeResult r = Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000, [&] { return p.attempts >= 2; });
  EXPECT_EQ(ProbeResult::kPending, r);
  ASSERT_EQ(0, close(open(flag.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)));
  EXPECT_EQ(ProbeResult::kReady, Drive(&p, c, r, 3000));
  unlink(flag.c_str());
  rmdir(dir.c_str());
}

TEST(ProbeExec, MissingCommandIsRetriedAndExplained) {
  ReadyCheck c = Exec({"/nonexistent/cinit-check"});
  Probe p;
  ProbeResult r = Drive(&p, c, ProbeStart(&p, c, TestInherited(), NowMs()), 3000, [&] { return p.attempts >= 2; });
  EXPECT_EQ(ProbeResult::kPending, r);
  EXPECT_NE(nullptr, strstr(p.last_failure, "cannot run")) << p.last_failure;
  StopAndReap(&p);
}

TEST(ProbeExec, SlowCheckIsKilledAndRetried) {
  ReadyCheck c = Exec({"sleep", "30"});
  Probe p;
  ProbeResult r = ProbeStart(&p, c, TestInherited(), NowMs());
  pid_t first = p.exec_pid;
  ASSERT_GT(first, 0);
  r = Drive(&p, c, r, 4000, [&] { return p.attempts >= 2; });
  EXPECT_EQ(ProbeResult::kPending, r);
  EXPECT_EQ(2, p.attempts);
  EXPECT_NE(first, p.exec_pid);
  EXPECT_EQ(-1, kill(first, 0));  // killed and reaped before the next attempt
  EXPECT_NE(nullptr, strstr(p.last_failure, "did not finish within 1000ms")) << p.last_failure;
  pid_t second = p.exec_pid;
  ASSERT_GT(second, 0);
  ProbeStop(&p);
  int status;
  ASSERT_EQ(second, waitpid(second, &status, 0));
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(-1, p.exec_pid);
}

}  // namespace
