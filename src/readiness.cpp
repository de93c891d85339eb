// Readiness checks (SPEC §4 ready=). Each kind is a small set of steps:
//   tcp:   connect (POLLOUT) -> SO_ERROR 0 means ready.
//   http:  connect (POLLOUT) -> send the GET (POLLOUT) -> read the status
//          line (POLLIN) -> 2xx/3xx means ready.
//   exec:  spawn the command -> its exit status 0 means ready.
//   file:  the path exists at a timer tick.
//   fd:N:  a newline arrives on the pipe whose write end the child holds.
// A tcp/http/exec attempt has kProbeAttemptMax to finish (wake_at is its
// deadline); a failed attempt closes what it opened and sets wake_at to the
// start of the next one, kProbeInterval later. Only routine failures are
// logged at debug level; a failure that is surely a configuration mistake
// warns once, on the first attempt.
#include "readiness.h"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

namespace {

// Longest GET we send; built on the stack at each write, so Probe::buf only
// holds the answer. A longer URL path makes the check fail with an error.
constexpr int kHttpRequestMax = 2048;
// fd:N: reads per event, so a sidecar writing without end cannot hold the loop.
constexpr int kMaxPipeReads = 16;

const char* Who(const Probe* p) { return p->name ? p->name : "(unnamed)"; }

// "127.0.0.1:8080" or "[::1]:8080", for the Host header and for messages.
// (Written out rather than inet_ntop(3), which is large in a static binary.)
void FormatHostPort(const ReadyCheck& c, char* out, int size) {
  const uint8_t* a = c.addr;
  if (!c.ipv6) {
    snprintf(out, size, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], unsigned{c.port});
    return;
  }
  // RFC 5952 form: the longest run of two or more zero groups becomes "::".
  unsigned g[8];
  for (int i = 0; i < 8; i++) g[i] = a[2 * i] << 8 | a[2 * i + 1];
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[j] == 0) j++;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j > i ? j : i + 1;
  }
  char host[48];
  int n = 0;
  for (int i = 0; i < 8; i++) {
    if (i == best) {
      n += snprintf(host + n, sizeof host - n, "::");
      i += best_len - 1;
      continue;
    }
    n += snprintf(host + n, sizeof host - n, "%s%x", n && host[n - 1] != ':' ? ":" : "", g[i]);
  }
  snprintf(out, size, "[%s]:%u", host, unsigned{c.port});
}

// Closes this attempt's socket (never the fd:N pipe, which outlives attempts).
void EndAttempt(Probe* p) {
  if (p->fd >= 0 && p->fd != p->ready_pipe) close(p->fd);
  p->fd = -1;
  p->events = 0;
  p->sent = 0;
  p->received = 0;
}

void ClosePipe(Probe* p) {
  if (p->fd == p->ready_pipe) p->fd = -1;
  if (p->ready_pipe >= 0) close(p->ready_pipe);
  p->ready_pipe = -1;
  p->events = 0;
}

ProbeResult Ready(Probe* p) {
  EndAttempt(p);
  p->wake_at = 0;
  p->last_failure[0] = '\0';
  return ProbeResult::kReady;
}

// The attempt failed: remember why, and start the next one kProbeInterval later.
ProbeResult RetryLater(Probe* p, Millis now) {
  LOG_DEBUG("sidecar %s: check failed: %s; next attempt in %lldms", Who(p), p->last_failure,
            static_cast<long long>(p->interval));
  EndAttempt(p);
  p->failed++;
  p->wake_at = now + p->interval;
  return ProbeResult::kPending;
}

[[gnu::format(printf, 3, 4)]] ProbeResult Retry(Probe* p, Millis now, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->last_failure, sizeof p->last_failure, fmt, ap);
  va_end(ap);
  return RetryLater(p, now);
}

int SocketError(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

// Kernel pitfall: a connect from 127.0.0.1 to a port in the ephemeral range
// that nobody listens on can pick that very port as its source and connect
// to itself (TCP simultaneous open). That is not a listening sidecar.
bool ConnectedToItself(int fd) {
  sockaddr_storage local{}, peer{};
  socklen_t local_len = sizeof local, peer_len = sizeof peer;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) return false;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) return false;
  return local_len == peer_len && memcmp(&local, &peer, local_len) == 0;
}

ProbeResult SendRequest(Probe* p, const ReadyCheck& c, Millis now) {
  char request[kHttpRequestMax];
  int size = FormatHttpRequest(c, request, sizeof request);
  if (size < 0) {
    if (p->attempts == 1)
      LOG_ERROR("sidecar %s: the URL path of its check is longer than %d bytes; it can never be checked: shorten it",
                Who(p), kHttpRequestMax - 64);
    return Retry(p, now, "the URL path is too long");
  }
  while (p->sent < size) {
    // MSG_NOSIGNAL: a server that already closed must not raise SIGPIPE in PID 1.
    ssize_t n = send(p->fd, request + p->sent, size - p->sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      p->events = POLLOUT;
      return ProbeResult::kPending;
    }
    if (n < 0) return Retry(p, now, "sending the request failed: %s", strerror(errno));
    p->sent += static_cast<int>(n);
  }
  p->events = POLLIN;
  return ProbeResult::kPending;
}

ProbeResult Connected(Probe* p, const ReadyCheck& c, Millis now) {
  if (ConnectedToItself(p->fd)) return Retry(p, now, "nothing listens on the port (the connection looped back)");
  if (c.kind == ReadyKind::kTcp) return Ready(p);
  return SendRequest(p, c, now);
}

ProbeResult StartConnect(Probe* p, const ReadyCheck& c, Millis now) {
  EndAttempt(p);
  p->attempts++;
  char where[64];
  FormatHostPort(c, where, sizeof where);
  sockaddr_storage ss{};
  socklen_t len;
  if (c.ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(c.port);
    memcpy(&a->sin6_addr, c.addr, 16);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(c.port);
    memcpy(&a->sin_addr, c.addr, 4);
    len = sizeof *a;
  }
  p->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd < 0) {
    int err = errno;
    if (p->attempts == 1)
      LOG_WARN("sidecar %s: cannot create a socket to check %s: %s (no %s in this container?); retrying",
               Who(p), where, strerror(err), c.ipv6 ? "IPv6" : "IPv4");
    return Retry(p, now, "cannot create a socket: %s", strerror(err));
  }
  p->wake_at = now + p->attempt_max;
  if (connect(p->fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return Connected(p, c, now);
  // EINTR on a non-blocking socket: the connection still goes on in the background.
  if (errno == EINPROGRESS || errno == EINTR) {
    p->events = POLLOUT;
    return ProbeResult::kPending;
  }
  return Retry(p, now, "connecting to %s failed: %s", where, strerror(errno));
}

ProbeResult ReadAnswer(Probe* p, Millis now) {
  for (;;) {
    int room = static_cast<int>(sizeof p->buf) - p->received;
    ssize_t n = recv(p->fd, p->buf + p->received, room, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return ProbeResult::kPending;
    if (n < 0) return Retry(p, now, "reading the answer failed: %s", strerror(errno));
    p->received += static_cast<int>(n);
    int verdict = ParseHttpStatus(p->buf, p->received);
    if (verdict == 1) return Ready(p);
    if (verdict == 0) {
      int line = 0;
      while (line < p->received && line < 60 && p->buf[line] != '\r' && p->buf[line] != '\n') line++;
      return Retry(p, now, "the server answered \"%.*s\"", line, p->buf);
    }
    if (n == 0) return Retry(p, now, "the server closed the connection before sending a status line");
    if (p->received == static_cast<int>(sizeof p->buf)) return Retry(p, now, "the answer has no HTTP status line");
  }
}

ProbeResult ReadPipe(Probe* p, const ReadyCheck& c) {
  char chunk[64];
  for (int i = 0; i < kMaxPipeReads; i++) {
    ssize_t n = read(p->ready_pipe, chunk, sizeof chunk);
    if (n > 0 && memchr(chunk, '\n', n)) {
      // Readiness is signalled once; the sidecar is expected to close its end.
      ClosePipe(p);
      return Ready(p);
    }
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return ProbeResult::kPending;
    if (n == 0) {
      LOG_WARN("sidecar %s closed fd %d without signalling readiness: it stays not ready until it restarts "
               "(it must write a newline to fd %d once ready)", Who(p), c.fd, c.fd);
      snprintf(p->last_failure, sizeof p->last_failure, "it closed fd %d without writing a newline", c.fd);
    } else {
      LOG_WARN("sidecar %s: reading its readiness pipe (fd %d) failed: %s; it stays not ready until it restarts",
               Who(p), c.fd, strerror(errno));
      snprintf(p->last_failure, sizeof p->last_failure, "reading fd %d failed", c.fd);
    }
    ClosePipe(p);
    return ProbeResult::kPending;
  }
  return ProbeResult::kPending;  // more to read: poll reports it again
}

ProbeResult StartExec(Probe* p, const ReadyCheck& c, const Inherited& in, Millis now) {
  EndAttempt(p);
  p->attempts++;
  SpawnRequest req;
  req.argv = c.exec_argv;  // own process group, stdout/stderr inherited
  SpawnOutcome out = Spawn(in, req);
  if (out.pid <= 0) {
    if (p->attempts == 1)
      LOG_WARN("sidecar %s: cannot start its check %s: %s (process limit?); retrying", Who(p),
               c.exec_argv[0], strerror(out.error));
    return Retry(p, now, "cannot start %s: %s", c.exec_argv[0], strerror(out.error));
  }
  p->exec_pid = out.pid;
  p->wake_at = now + p->attempt_max;
  if (out.error != 0) {
    // The child already exited 126/127: this attempt failed; wake_at 0 makes
    // ProbeOnExit keep this message when it is reaped.
    p->wake_at = 0;
    if (p->attempts == 1)
      LOG_ERROR("sidecar %s: its check %s cannot run: %s; fix its exec: command", Who(p),
                c.exec_argv[0], strerror(out.error));
    snprintf(p->last_failure, sizeof p->last_failure, "%.40s cannot run: %s", c.exec_argv[0], strerror(out.error));
  }
  return ProbeResult::kPending;
}

ProbeResult CheckFile(Probe* p, const ReadyCheck& c, Millis now) {
  p->attempts++;
  struct stat st;
  if (stat(c.file_path, &st) == 0) return Ready(p);
  return Retry(p, now, "%.60s does not exist yet (%s)", c.file_path, strerror(errno));
}

}  // namespace

Status ProbeBeforeStart(Probe* p, const ReadyCheck& check, int* child_fd) {
  *child_fd = -1;
  if (check.kind == ReadyKind::kFile && unlink(check.file_path) != 0 && errno != ENOENT)
    return Status::Fail("cannot remove the readiness file %s before the start: %s (a stale file would count as "
                        "ready; remove it or fix its directory)", check.file_path, strerror(errno));
  if (check.kind != ReadyKind::kFd) return Ok();
  ClosePipe(p);
  int ends[2];
  // Close-on-exec in cinit: only the sidecar gets the write end, as fd N
  // (Spawn's child dup2()s it), so its exit is seen here as EOF.
  if (pipe2(ends, O_CLOEXEC) != 0)
    return Status::Fail("cannot create the pipe for ready=fd:%d: %s (too many open files?)", check.fd, strerror(errno));
  // Non-blocking on the read end only: O_NONBLOCK belongs to the open file,
  // and the sidecar's write end must stay blocking.
  int flags = fcntl(ends[0], F_GETFL);
  if (flags < 0 || fcntl(ends[0], F_SETFL, flags | O_NONBLOCK) != 0) {
    int err = errno;
    close(ends[0]);
    close(ends[1]);
    return Status::Fail("cannot make the pipe for ready=fd:%d non-blocking: %s", check.fd, strerror(err));
  }
  p->ready_pipe = ends[0];
  *child_fd = ends[1];
  return Ok();
}

ProbeResult ProbeStart(Probe* p, const ReadyCheck& check, const Inherited& inherited, Millis now) {
  EndAttempt(p);
  p->wake_at = 0;
  p->attempts = 0;
  p->last_failure[0] = '\0';
  switch (check.kind) {
    case ReadyKind::kNone:
      return ProbeResult::kReady;
    case ReadyKind::kTcp:
    case ReadyKind::kHttp:
      return StartConnect(p, check, now);
    case ReadyKind::kExec:
      return StartExec(p, check, inherited, now);
    case ReadyKind::kFile:
      return CheckFile(p, check, now);
    case ReadyKind::kFd:
      if (p->ready_pipe < 0) {
        snprintf(p->last_failure, sizeof p->last_failure, "no readiness pipe for fd %d", check.fd);
        return ProbeResult::kPending;  // ProbeBeforeStart failed and said why
      }
      p->fd = p->ready_pipe;
      p->events = POLLIN;
      return ProbeResult::kPending;
    case ReadyKind::kNotify:
      // Nothing to poll: the supervisor's notify socket brings READY=1.
      snprintf(p->last_failure, sizeof p->last_failure, "no READY=1 on NOTIFY_SOCKET");
      return ProbeResult::kPending;
  }
  return ProbeResult::kPending;
}

ProbeResult ProbeOnEvent(Probe* p, const ReadyCheck& check, const Inherited&, short revents, Millis now) {
  if (p->fd < 0 || revents == 0) return ProbeResult::kPending;
  if (check.kind == ReadyKind::kFd) return ReadPipe(p, check);
  if (check.kind != ReadyKind::kTcp && check.kind != ReadyKind::kHttp) return ProbeResult::kPending;
  if (p->events == POLLIN) return ReadAnswer(p, now);
  // Connecting (or sending): the connect finished, well or not, once the
  // socket is writable or has an error; SO_ERROR tells which.
  if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return ProbeResult::kPending;
  int err = SocketError(p->fd);
  if (err != 0) {
    char where[64];
    FormatHostPort(check, where, sizeof where);
    return Retry(p, now, "connecting to %s failed: %s", where, strerror(err));
  }
  if (p->sent == 0) return Connected(p, check, now);
  return SendRequest(p, check, now);
}

ProbeResult ProbeOnExit(Probe* p, const ReadyCheck& check, const Inherited&, int wait_status, Millis now) {
  p->exec_pid = -1;
  if (check.kind != ReadyKind::kExec) return ProbeResult::kPending;
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return Ready(p);
  // wake_at == 0 while it ran: the attempt had already failed (it could not
  // exec, or ProbeOnTimer killed it) and last_failure says why.
  if (p->wake_at == 0) return RetryLater(p, now);
  if (WIFSIGNALED(wait_status))
    return Retry(p, now, "%.40s was killed by signal %d", check.exec_argv[0], WTERMSIG(wait_status));
  return Retry(p, now, "%.40s exited with status %d", check.exec_argv[0], WEXITSTATUS(wait_status));
}

ProbeResult ProbeOnTimer(Probe* p, const ReadyCheck& check, const Inherited& inherited, Millis now) {
  if (p->wake_at == 0 || now < p->wake_at) return ProbeResult::kPending;
  switch (check.kind) {
    case ReadyKind::kTcp:
    case ReadyKind::kHttp:
      if (p->fd >= 0)
        return Retry(p, now, "no %s within %lldms", check.kind == ReadyKind::kTcp ? "connection" : "answer",
                     static_cast<long long>(p->attempt_max));
      return StartConnect(p, check, now);
    case ReadyKind::kExec:
      if (p->exec_pid > 0) {
        // Too slow: kill its whole group; the next attempt starts once it is
        // reaped (ProbeOnExit), so two checks never run at once.
        kill(-p->exec_pid, SIGKILL);
        snprintf(p->last_failure, sizeof p->last_failure, "%.40s did not finish within %lldms",
                 check.exec_argv[0], static_cast<long long>(p->attempt_max));
        p->wake_at = 0;
        return ProbeResult::kPending;
      }
      return StartExec(p, check, inherited, now);
    case ReadyKind::kFile:
      return CheckFile(p, check, now);
    case ReadyKind::kNone:
    case ReadyKind::kFd:
    case ReadyKind::kNotify:
      break;
  }
  p->wake_at = 0;
  return ProbeResult::kPending;
}

void ProbeStop(Probe* p) {
  EndAttempt(p);
  ClosePipe(p);
  // Its exit is reaped later as an unknown child; the pid is forgotten now.
  if (p->exec_pid > 0) kill(-p->exec_pid, SIGKILL);
  p->exec_pid = -1;
  p->wake_at = 0;
}

int FormatHttpRequest(const ReadyCheck& check, char* buf, int size) {
  char where[64];
  FormatHostPort(check, where, sizeof where);
  const char* path = check.http_path && check.http_path[0] ? check.http_path : "/";
  int n = snprintf(buf, size > 0 ? size : 0, "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path, where);
  return n >= 0 && n < size ? n : -1;
}

int ParseHttpStatus(const char* data, int len) {
  // Status line (RFC 9112): "HTTP/" DIGIT "." DIGIT SP 3DIGIT SP reason CRLF.
  // '9' stands for any digit; the last character may also be CR or LF, for
  // servers that send no reason phrase. Decided as soon as it can be.
  static constexpr char kShape[] = "HTTP/9.9 999 ";
  constexpr int kLen = sizeof kShape - 1;
  for (int i = 0; i < kLen; i++) {
    if (i >= len) return -1;
    char c = data[i];
    bool ok = kShape[i] == '9' ? c >= '0' && c <= '9'
              : i == kLen - 1  ? c == ' ' || c == '\r' || c == '\n'
                               : c == kShape[i];
    if (!ok) return 0;
  }
  return data[9] == '2' || data[9] == '3' ? 1 : 0;
}
