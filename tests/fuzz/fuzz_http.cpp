// Fuzz target: the health endpoint's HTTP request parser and its answers
// (ParseHttpRequest, AnswerHttp in src/health.h), against a reference
// written from the grammar in health.h/health.cpp, not from the code:
//   request line  METHOD SP TARGET SP "HTTP/1." DIGIT [CR] LF, METHOD 1-16
//                 of A-Z, TARGET "/" then visible ASCII (no space), or
//                 "http://" / "https://" (any case), a host (not starting
//                 with '/') and an optional "/..." (the path; "/" if none);
//   header lines  up to an empty line ([CR] LF); each non-empty one has a
//                 name, then ':'; no control byte but a tab, a CR only
//                 right before the LF.
// Checked on every input:
//   - kComplete exactly when a complete, valid head is there, with the
//     reference's method and path (target up to '?');
//   - kBad only when the bytes can no longer become a valid head;
//     kIncomplete/kTooLarge never when they already are one, and kTooLarge
//     exactly when an incomplete head fills the capacity;
//   - a verdict on a prefix holds for the whole (kBad and kComplete stick);
//   - the answer is one well-formed HTTP/1.1 response within
//     kHealthAnswerSize, 400 for kBad, 431 for kTooLarge, Content-Length true,
//     no body for HEAD, and /status JSON complete even for a full table.
//
// Input: the first byte holds flags (bit 0: the buffer's capacity is the
// input's length, as when a request fills it; bit 1: shutdown has begun);
// the rest is what the client sent.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "health.h"

namespace {

enum class Ref { kIncomplete, kComplete, kBad };

struct RefResult {
  Ref verdict = Ref::kIncomplete;
  std::string_view method, path;
};

bool Upper(char c) { return c >= 'A' && c <= 'Z'; }
bool Visible(char c) { return c > ' ' && c < 0x7f; }
bool Control(char c) { return (static_cast<unsigned char>(c) < ' ' && c != '\t') || c == 0x7f; }

char Lower(char c) { return Upper(c) ? static_cast<char>(c + 32) : c; }

// "http://" or "https://" in any case at the start of t: its length, or 0.
size_t SchemeLength(std::string_view t) {
  for (std::string_view s : {std::string_view("http://"), std::string_view("https://")}) {
    if (t.size() < s.size()) continue;
    size_t k = 0;
    while (k < s.size() && Lower(t[k]) == s[k]) k++;
    if (k == s.size()) return k;
  }
  return 0;
}

// Whether t could still grow into "http://" or "https://" (any case) and more.
bool AbsolutePrefix(std::string_view t) {
  for (std::string_view s : {std::string_view("http://"), std::string_view("https://")}) {
    size_t k = 0;
    while (k < s.size() && k < t.size() && Lower(t[k]) == s[k]) k++;
    if (k == s.size() || k == t.size()) return true;
  }
  return false;
}

// The request line in d (without its LF): valid or not. When there is no LF
// yet, whether d could still begin one.
bool RequestLine(std::string_view d, bool complete, RefResult* r) {
  size_t i = 0;
  while (i < d.size() && Upper(d[i])) i++;
  size_t mlen = i;
  if (mlen > 16) return false;
  if (i == d.size()) return !complete;
  if (mlen == 0 || d[i] != ' ') return false;
  r->method = d.substr(0, mlen);
  size_t t = ++i;
  while (i < d.size() && Visible(d[i])) i++;
  std::string_view target = d.substr(t, i - t);
  if (!target.empty() && target[0] != '/' && !AbsolutePrefix(target)) return false;
  if (i == d.size()) return !complete;
  if (i == t || d[i] != ' ') return false;
  std::string_view path = target;
  if (target[0] != '/') {
    size_t scheme = SchemeLength(target);
    if (!scheme || scheme == target.size() || target[scheme] == '/') return false;  // no host
    size_t slash = target.find('/', scheme);
    path = slash == std::string_view::npos ? "/" : target.substr(slash);
  }
  r->path = path.substr(0, path.find('?'));
  std::string_view rest = d.substr(i + 1);
  std::string_view version = "HTTP/1.";
  for (size_t k = 0; k < rest.size() && k < version.size(); k++)
    if (rest[k] != version[k]) return false;
  if (rest.size() <= version.size()) return !complete;
  if (rest[7] < '0' || rest[7] > '9') return false;
  if (rest.size() == 8) return true;
  return rest.size() == 9 && rest[8] == '\r';
}

// One header line (without its LF); whether d could still begin one when
// incomplete. *end: it is the empty line.
bool HeaderLine(std::string_view d, bool complete, bool* end) {
  for (size_t k = 0; k < d.size(); k++) {
    if (d[k] == '\r' && k + 1 == d.size()) continue;  // a CR may end it
    if (d[k] == '\r' || Control(d[k])) return false;
  }
  std::string_view line = d;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  *end = complete && line.empty();
  if (line.empty()) return true;
  if (line[0] == ':') return false;
  if (!complete) return true;
  return line.find(':') != std::string_view::npos;
}

RefResult Reference(std::string_view d) {
  RefResult r;
  size_t start = 0;
  for (int n = 0;; n++) {
    size_t nl = d.find('\n', start);
    bool complete = nl != std::string_view::npos;
    std::string_view line = d.substr(start, complete ? nl - start : std::string_view::npos);
    bool end = false;
    bool ok = n == 0 ? RequestLine(line, complete, &r) : HeaderLine(line, complete, &end);
    if (!ok) {
      r.verdict = Ref::kBad;
      return r;
    }
    if (!complete) return r;
    if (end) {
      r.verdict = Ref::kComplete;
      return r;
    }
    start = nl + 1;
  }
}

// The worst case for /status: every row there can be, longest names and
// numbers.
const StatusTable& FullTable() {
  static StatusTable t;
  static bool done = false;
  if (!done) {
    t.count = kMaxDecls + 1;
    for (int i = 0; i < t.count; i++) {
      StatusRow& r = t.rows[i];
      snprintf(r.name, sizeof r.name, "%0*d", kMaxNameLen, i);
      r.kind = ProcKind::kSidecar;
      r.state = ProcState::kStopping;
      r.pid = 4194304;
      r.restarts = 4294967295u;
      r.last_status = 255;
    }
    done = true;
  }
  return t;
}

void CheckAnswer(HttpParse parsed, const HttpRequest& req, bool stopping) {
  static char buf[kHealthAnswerSize];
  int n = AnswerHttp(parsed, req, FullTable(), stopping, buf, sizeof buf);
  FUZZ_REQUIRE(n > 0 && n <= kHealthAnswerSize);
  std::string_view a(buf, static_cast<size_t>(n));
  FUZZ_REQUIRE(a.substr(0, 9) == "HTTP/1.1 " && a.size() > 13 && a[12] == ' ');
  int code = std::stoi(std::string(a.substr(9, 3)));
  size_t split = a.find("\r\n\r\n");
  FUZZ_REQUIRE(split != std::string_view::npos);
  std::string_view head = a.substr(0, split + 2), body = a.substr(split + 4);
  size_t cl = head.find("\r\nContent-Length: ");
  FUZZ_REQUIRE(cl != std::string_view::npos);
  size_t length = std::stoul(std::string(head.substr(cl + 18)));
  FUZZ_REQUIRE(head.find("\r\nConnection: close\r\n") != std::string_view::npos);
  if (parsed == HttpParse::kBad) FUZZ_REQUIRE(code == 400);
  if (parsed == HttpParse::kTooLarge) FUZZ_REQUIRE(code == 431);
  if (parsed == HttpParse::kComplete) {
    FUZZ_REQUIRE(code == 200 || code == 404 || code == 405 || code == 503);
    if (req.method == HttpMethod::kOther) FUZZ_REQUIRE(code == 405 || code == 404);
    if (req.path == "/livez" && req.method != HttpMethod::kOther) FUZZ_REQUIRE(code == 200 || code == 503);
    if (req.path == "/readyz" && req.method != HttpMethod::kOther && stopping) FUZZ_REQUIRE(code == 503);
  }
  if (parsed == HttpParse::kComplete && req.method == HttpMethod::kHead) {
    FUZZ_REQUIRE(body.empty());
  } else {
    FUZZ_REQUIRE(body.size() == length && length > 0 && body.back() == '\n');
    if (code == 200 && req.path == "/status") FUZZ_REQUIRE(body.substr(body.size() - 3) == "]}\n");
  }
}

HttpParse Parse(const std::vector<char>& d, size_t len, int capacity, HttpRequest* req) {
  return ParseHttpRequest(d.data(), static_cast<int>(len), capacity, req);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > static_cast<size_t>(kHealthBufSize) + 1) return 0;
  bool full = data[0] & 1, stopping = data[0] & 2;
  // Exactly the request's bytes, so ASan catches a read past them.
  std::vector<char> d(data + 1, data + size);
  size_t len = d.size();
  int capacity = full ? static_cast<int>(len) : kHealthBufSize;
  if (capacity == 0) capacity = 1;
  std::string_view text(d.data(), len);

  HttpRequest req;
  HttpParse got = Parse(d, len, capacity, &req);
  RefResult want = Reference(text);
  switch (got) {
    case HttpParse::kComplete:
      FUZZ_REQUIRE(want.verdict == Ref::kComplete);
      FUZZ_REQUIRE(req.path == want.path);
      // Into the request, but for the "/" of an absolute form without a path.
      FUZZ_REQUIRE(req.path == "/" ||
                   (req.path.data() >= d.data() && req.path.data() + req.path.size() <= d.data() + len));
      FUZZ_REQUIRE(req.method == (want.method == "GET"    ? HttpMethod::kGet
                                  : want.method == "HEAD" ? HttpMethod::kHead
                                                          : HttpMethod::kOther));
      break;
    case HttpParse::kBad: FUZZ_REQUIRE(want.verdict == Ref::kBad); break;
    case HttpParse::kIncomplete:
      FUZZ_REQUIRE(want.verdict != Ref::kComplete);
      FUZZ_REQUIRE(static_cast<int>(len) < capacity);
      break;
    case HttpParse::kTooLarge:
      FUZZ_REQUIRE(want.verdict != Ref::kComplete);
      FUZZ_REQUIRE(static_cast<int>(len) >= capacity);
      break;
    default: FUZZ_REQUIRE(false);
  }
  CheckAnswer(got, req, stopping);

  // Bytes arrive in pieces: a verdict on a prefix must hold for the whole.
  if (len > 1) {
    size_t cut = 1 + data[size - 1] % (len - 1);
    HttpRequest part;
    HttpParse early = Parse(d, cut, kHealthBufSize, &part);
    if (early == HttpParse::kBad) FUZZ_REQUIRE(Parse(d, len, kHealthBufSize, &req) == HttpParse::kBad);
    if (early == HttpParse::kComplete) {
      HttpRequest whole;
      FUZZ_REQUIRE(Parse(d, len, kHealthBufSize, &whole) == HttpParse::kComplete);
      FUZZ_REQUIRE(whole.method == part.method && whole.path.data() == part.path.data() &&
                   whole.path.size() == part.path.size());
    }
  }
  return 0;
}
