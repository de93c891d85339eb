// The health endpoint. See health.h for the model.
#include "health.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "format.h"
#include "units.h"

namespace {

HttpParse NeedMore(int len, int capacity) { return len >= capacity ? HttpParse::kTooLarge : HttpParse::kIncomplete; }

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::string_view(s.data(), prefix.size()) == prefix;
}

const char* Reason(int code) {
  switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    default: return "Service Unavailable";
  }
}

struct Reply {
  int code = 200;
  bool json = false;
  char body[kHealthAnswerSize - 256];  // the head needs less than 256 bytes
  int len = 0;
};

// Fills the reply for a complete request.
void Route(const HttpRequest& req, const StatusTable& table, bool stopping, Reply* r) {
  std::string_view path = req.path;
  bool known = path == "/status" || path == "/livez" || path == "/readyz" || StartsWith(path, "/livez/") ||
               StartsWith(path, "/readyz/");
  if (!known) {
    r->code = 404;
    Append(r->body, sizeof r->body, &r->len, "not found: use /livez, /readyz, /livez/NAME, /readyz/NAME or /status\n");
    return;
  }
  if (req.method == HttpMethod::kOther) {
    r->code = 405;
    Append(r->body, sizeof r->body, &r->len, "method not allowed: use GET or HEAD\n");
    return;
  }
  if (path == "/status") {
    r->json = true;
    r->len = FormatStatusJson(table, stopping, r->body, sizeof r->body);
    return;
  }
  StatusQuery q;
  q.ready = path[1] == 'r';
  q.live = !q.ready;
  const char* what = q.ready ? "ready" : "live";
  size_t prefix = q.ready ? 7 : 6;  // "/readyz", "/livez"
  char name[kMaxNameLen + 1] = {};
  if (path.size() > prefix) {
    std::string_view n(path.data() + prefix + 1, path.size() - prefix - 1);
    bool found = false;
    if (!n.empty() && n.size() <= static_cast<size_t>(kMaxNameLen)) {
      memcpy(name, n.data(), n.size());
      for (int i = 0; i < table.count && !found; i++) found = strcmp(table.rows[i].name, name) == 0;
    }
    if (!found) {
      r->code = 404;
      Append(r->body, sizeof r->body, &r->len, "no such process: see /status for the names\n");
      return;
    }
    q.name = name;
  }
  bool ok = EvaluateStatus(table, q) == 0;
  // A Service must stop sending traffic as soon as shutdown begins.
  if (q.ready && !q.name && stopping) {
    r->code = 503;
    Append(r->body, sizeof r->body, &r->len, "not ready: shutting down\n");
    return;
  }
  r->code = ok ? 200 : 503;
  Append(r->body, sizeof r->body, &r->len, "%s%s%s%s\n", name, name[0] ? " " : "", ok ? "" : "not ", what);
}

// Closes a connection and frees its slot.
void Drop(HealthConn* c) {
  if (c->open) close(c->fd);
  c->open = false;
  c->len = 0;
  c->sent = 0;
  c->answering = false;
  c->drained = false;
  c->deadline = 0;
}

// Writes what is left of the answer; closes the connection once it is all
// sent or the peer is gone.
void SendAnswer(HealthConn* c) {
  while (c->sent < c->len) {
    // MSG_NOSIGNAL: a peer that went away is an error here, not a SIGPIPE.
    // MSG_MORE: the answer waits in the socket for the close that follows,
    // which sends it with the FIN in one segment: the client is woken once,
    // not twice, and that wake-up is most of what a probe costs cinit. Not
    // when the client sent more than was read (431): that close resets the
    // connection and would throw the held answer away.
    int more = c->drained ? MSG_MORE : 0;
    ssize_t n = send(c->fd, c->buf + c->sent, static_cast<size_t>(c->len - c->sent), MSG_NOSIGNAL | more);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // POLLOUT comes back here
    if (n <= 0) break;
    c->sent += static_cast<int>(n);
  }
  Drop(c);
}

void Answer(HealthServer* s, HealthConn* c, HttpParse parsed, const HttpRequest& req) {
  // Static, off the stack; constructed here into zeroed storage, so its
  // default values (last_status -1) do not sit in the data section.
  alignas(StatusTable) static unsigned char table_bytes[sizeof(StatusTable)];
  StatusTable& table = *new (table_bytes) StatusTable;
  bool stopping = false;
  if (parsed == HttpParse::kComplete && s->snapshot) s->snapshot(s->ctx, &table, &stopping);
  static char out[kHealthAnswerSize];
  int n = AnswerHttp(parsed, req, table, stopping, out, sizeof out);
  memcpy(c->buf, out, static_cast<size_t>(n));
  c->len = n;
  c->sent = 0;
  c->answering = true;
  SendAnswer(c);
}

// Reads what has arrived; answers once the request is complete (or cannot
// be one).
void ReadRequest(HealthServer* s, HealthConn* c) {
  HttpRequest req;
  HttpParse parsed = HttpParse::kIncomplete;
  // Parsed after each read: a complete request is answered at once, without
  // the read that would only say nothing more has come.
  while (parsed == HttpParse::kIncomplete) {
    size_t room = static_cast<size_t>(kHealthBufSize - c->len);
    ssize_t n = recv(c->fd, c->buf + c->len, room, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // POLLIN comes back here
    // An error, or half-closed with the request incomplete: what came is
    // all there will be.
    if (n <= 0) {
      Drop(c);
      return;
    }
    c->len += static_cast<int>(n);
    c->drained = static_cast<size_t>(n) < room;  // nothing else had come
    parsed = ParseHttpRequest(c->buf, c->len, kHealthBufSize, &req);
  }
  Answer(s, c, parsed, req);
}

// The absolute form of a request target, `http://host:port/path` (what a
// request through a proxy carries), must be accepted too (RFC 9112 3.2.2).
constexpr std::string_view kSchemes[] = {"http://", "https://"};

// Whether t, the target so far, can still become an absolute form.
bool CouldBeAbsoluteForm(std::string_view t) {
  for (std::string_view scheme : kSchemes) {
    size_t n = t.size() < scheme.size() ? t.size() : scheme.size();
    if (StartsNoCase(t.substr(0, n), scheme.substr(0, n))) return true;
  }
  return false;
}

// The path an absolute-form target asks for: from the first '/' after a
// non-empty host, or "/" when there is none. False if t is not one.
bool AbsoluteFormPath(std::string_view t, std::string_view* path) {
  for (std::string_view scheme : kSchemes) {
    if (!StartsNoCase(t, scheme)) continue;
    std::string_view rest = t.substr(scheme.size());
    if (rest.empty() || rest[0] == '/') return false;  // no host
    size_t slash = rest.find('/');
    *path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    return true;
  }
  return false;
}

}  // namespace

HttpParse ParseHttpRequest(const char* d, int len, int capacity, HttpRequest* out) {
  // Request line: METHOD SP TARGET SP HTTP/1.D CRLF (a bare LF is accepted);
  // TARGET is /PATH or the absolute form.
  int i = 0;
  while (i < len && i <= 16 && d[i] >= 'A' && d[i] <= 'Z') i++;
  if (i == len) return NeedMore(len, capacity);
  if (i == 0 || i > 16 || d[i] != ' ') return HttpParse::kBad;
  std::string_view method(d, static_cast<size_t>(i));
  int target = ++i;
  while (i < len && d[i] > ' ' && d[i] < 0x7f) i++;
  std::string_view t(d + target, static_cast<size_t>(i - target));
  if (!t.empty() && t[0] != '/' && !CouldBeAbsoluteForm(t)) return HttpParse::kBad;
  if (i == len) return NeedMore(len, capacity);
  if (d[i++] != ' ' || t.empty()) return HttpParse::kBad;
  std::string_view path = t;
  if (t[0] != '/' && !AbsoluteFormPath(t, &path)) return HttpParse::kBad;
  static constexpr char kVersion[] = "HTTP/1.";
  for (int k = 0; k < 7; k++, i++) {
    if (i == len) return NeedMore(len, capacity);
    if (d[i] != kVersion[k]) return HttpParse::kBad;
  }
  if (i == len) return NeedMore(len, capacity);
  if (d[i] < '0' || d[i] > '9') return HttpParse::kBad;
  if (++i < len && d[i] == '\r') i++;
  if (i == len) return NeedMore(len, capacity);
  if (d[i++] != '\n') return HttpParse::kBad;
  // Header lines up to the empty one; each needs a name and a colon, and
  // no control character but a tab (and the CR ending it).
  for (;;) {
    int start = i;
    while (i < len && d[i] != '\n') {
      auto c = static_cast<unsigned char>(d[i]);
      if ((c < ' ' && c != '\t' && c != '\r') || c == 0x7f) return HttpParse::kBad;
      i++;
    }
    if (i == len) return NeedMore(len, capacity);
    int end = i++;
    if (end > start && d[end - 1] == '\r') end--;
    if (end == start) break;
    int colon = start;
    while (colon < end && d[colon] != ':' && d[colon] != '\r') colon++;
    if (colon == start || colon == end || d[colon] == '\r') return HttpParse::kBad;
    for (int k = colon; k < end; k++)
      if (d[k] == '\r') return HttpParse::kBad;
  }
  out->method = method == "GET" ? HttpMethod::kGet : method == "HEAD" ? HttpMethod::kHead : HttpMethod::kOther;
  out->path = path.substr(0, path.find('?'));
  return HttpParse::kComplete;
}

int FormatStatusJson(const StatusTable& t, bool stopping, char* buf, int size) {
  int len = 0;
  if (size <= 0) return 0;
  buf[0] = '\0';
  StatusQuery ready, live;
  ready.ready = true;
  live.live = true;
  Append(buf, size, &len, "{\"ready\":%s,\"live\":%s,\"stopping\":%s,\"processes\":[",
         !stopping && EvaluateStatus(t, ready) == 0 ? "true" : "false", EvaluateStatus(t, live) == 0 ? "true" : "false",
         stopping ? "true" : "false");
  for (int i = 0; i < t.count; i++) {
    const StatusRow& r = t.rows[i];
    // Names are [a-z0-9_.-] (or "main"): nothing to escape.
    char pid[16] = "null", last[16] = "null";
    if (r.pid > 0) snprintf(pid, sizeof pid, "%d", static_cast<int>(r.pid));
    if (r.last_status >= 0) snprintf(last, sizeof last, "%d", r.last_status);
    Append(buf, size, &len, "%s{\"name\":\"%s\",\"kind\":\"%s\",\"state\":\"%s\",\"pid\":%s,\"ready\":%s,"
           "\"restarts\":%u,\"last\":%s}", i ? "," : "", r.name, ProcKindName(r.kind), ProcStateName(r.state), pid,
           r.ready ? "true" : "false", r.restarts, last);
  }
  Append(buf, size, &len, "]}\n");
  return len;
}

int AnswerHttp(HttpParse parsed, const HttpRequest& req, const StatusTable& table, bool stopping, char* buf,
               int size) {
  static Reply r;
  r.code = 200;
  r.json = false;
  r.len = 0;
  r.body[0] = '\0';
  if (parsed == HttpParse::kComplete) {
    Route(req, table, stopping, &r);
  } else if (parsed == HttpParse::kTooLarge) {
    r.code = 431;
    Append(r.body, sizeof r.body, &r.len, "request too large: at most %d bytes\n", kHealthBufSize);
  } else {
    r.code = 400;
    Append(r.body, sizeof r.body, &r.len, "bad request: expected an HTTP/1.x GET\n");
  }
  int len = 0;
  Append(buf, size, &len, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%sConnection: close\r\n\r\n",
         r.code, Reason(r.code), r.json ? "application/json" : "text/plain; charset=utf-8", r.len,
         r.code == 405 ? "Allow: GET, HEAD\r\n" : "");
  bool body = !(parsed == HttpParse::kComplete && req.method == HttpMethod::kHead);
  if (body && len + r.len < size) {
    memcpy(buf + len, r.body, static_cast<size_t>(r.len));
    len += r.len;
  }
  return len;
}

Result<int> HealthListen(const uint8_t* addr, bool ipv6, uint16_t port) {
  int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Result<int>::Fail("cannot create a socket: %s", strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // The kernel keeps a new connection to itself until its request has come
  // (at most about a second, then it hands it over anyway): one wake-up of
  // the loop then accepts, reads, answers and closes, and a client that
  // connects and stays silent takes no slot during that second.
  setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof one);
  int rc;
  if (ipv6) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    memcpy(&sa.sin6_addr, addr, 16);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    memcpy(&sa.sin_addr, addr, 4);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  }
  // A long backlog: connections wait there, not in a refused SYN, until
  // the loop accepts them (and evicts the oldest when it must).
  if (rc != 0 || listen(fd, SOMAXCONN) != 0) {
    int err = errno;
    close(fd);
    return Result<int>::Fail("%s%s", strerror(err),
                             err == EADDRINUSE ? ": the port is taken, pick another" :
                             err == EADDRNOTAVAIL ? ": no interface has that address" : "");
  }
  return Result<int>::Ok(fd);
}

short HealthEvents(const HealthConn& c) {
  if (!c.open) return 0;
  return c.answering ? POLLOUT : POLLIN;
}

void HealthOnAccept(HealthServer* s, Clock* clock) {
  // One connection per loop pass: the listener stays readable while more
  // wait, so the next ppoll returns at once, and signals and reaping come
  // in between. Draining until EAGAIN would cost a probe a second accept4,
  // which allocates a socket and a file before it finds the queue empty
  // (3 of a probe's 30 us here). The loop below repeats only when no
  // connection was taken.
  for (int k = 0; k < kHealthMaxConns; k++) {
    int fd = accept4(s->listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of descriptors or memory, the connection stays queued and the
      // socket readable: evict one so the next pass can take it, instead
      // of spinning on the same error.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        HealthConn* oldest = nullptr;
        for (auto& c : s->conns)
          if (c.open && (!oldest || c.seq < oldest->seq)) oldest = &c;
        if (oldest) {
          Drop(oldest);
          s->evicted++;
          continue;
        }
        s->paused_until = clock->Get() + 100;
      }
      return;
    }
    HealthConn* slot = nullptr;
    for (auto& c : s->conns) {
      if (!c.open) {
        slot = &c;
        break;
      }
      if (!slot || c.seq < slot->seq) slot = &c;
    }
    // Every slot taken: the oldest goes, so idle or slow clients can never
    // keep a real probe out.
    if (slot->open) {
      Drop(slot);
      s->evicted++;
    }
    slot->open = true;
    slot->fd = fd;
    slot->buf = s->bufs[slot - s->conns];
    slot->seq = s->next_seq++;
    // The request often arrives with the connection: answer it now. Only
    // a connection left open needs its deadline, and so the time.
    ReadRequest(s, slot);
    if (slot->open) slot->deadline = clock->Get() + kHealthDeadline;
    return;
  }
}

void HealthOnEvent(HealthServer* s, int slot, short revents) {
  HealthConn* c = &s->conns[slot];
  if (!c->open || !revents) return;
  if (c->answering) {
    if (revents & (POLLOUT | POLLERR | POLLHUP)) SendAnswer(c);
    return;
  }
  ReadRequest(s, c);
}

Millis HealthDeadline(const HealthServer& s) {
  Millis t = s.paused_until;
  for (const auto& c : s.conns)
    if (c.open && (!t || c.deadline < t)) t = c.deadline;
  return t;
}

void HealthOnTimer(HealthServer* s, Millis now) {
  if (s->paused_until && now >= s->paused_until) s->paused_until = 0;
  for (auto& c : s->conns)
    if (c.open && now >= c.deadline) Drop(&c);
}
