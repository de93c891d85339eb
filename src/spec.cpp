// Parsing of sidecar / init-task declarations (SPEC §4). Everything here is
// pure: text in, a filled Decl or a one-line error out. Words live in the
// caller's Arena, so the supervision loop later only reads pointers.
#include "spec.h"

#include <cstring>

#include "address.h"
#include "format.h"
#include "signals.h"
#include "watch.h"

namespace {

// Room for NAME, every option (env= may repeat), "--" and a full ARGV, so
// that an over-long ARGV gets its own message instead of "too many words".
constexpr int kMaxSpecWords = 1 + 24 + kMaxEnv + kMaxDeclWatches + 1 + kMaxArgs;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

Status Fail(const Error& e) { return Status::Fail(e); }

// string_view::substr may throw (a libstdc++ symbol the musl build lacks);
// this clamps instead.
std::string_view Sub(std::string_view s, size_t pos, size_t n = std::string_view::npos) {
  if (pos > s.size()) pos = s.size();
  if (n > s.size() - pos) n = s.size() - pos;
  return std::string_view(s.data() + pos, n);
}
int ClipLen(std::string_view t) { return t.size() > 64 ? 64 : static_cast<int>(t.size()); }

// Words in messages are clipped so a pasted command never pushes the useful
// part of the line out of the fixed-size error text.
#define WORD_FMT "'%.64s'"
#define SHAPE "write NAME [OPTION...] -- COMMAND [ARG...]"

bool ValidName(std::string_view n) {
  if (n.empty() || n.size() > kMaxNameLen) return false;
  for (size_t i = 0; i < n.size(); i++) {
    char c = n[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
  }
  return true;
}

}  // namespace

int EditDistance(std::string_view a, std::string_view b) {
  if (a.size() > 32 || b.size() > 32) return 99;
  int row[33];
  for (size_t j = 0; j <= b.size(); j++) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); i++) {
    int diag = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); j++) {
      int up = row[j];
      int best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[b.size()];
}

namespace {

enum Opt { kRestart, kOkCodes, kReady, kReadyTimeout, kCritical, kStopSignal, kStopTimeout,
           kBackoff, kBackoffMax, kMaxRestarts, kUser, kCwd, kEnv, kLog, kWatch, kOnChange,
           kLive, kLiveInterval, kLiveFailures, kLiveTimeout, kOptCount };

// Each option's usage; its key is the part before the first '='.
constexpr const char* kOptUsage[kOptCount] = {
    "restart=always|on-failure|never", "ok-codes=0,1,...",
    "ready=tcp:HOST:PORT|http://HOST:PORT/PATH|exec:COMMAND|file:PATH|fd:N|notify", "ready-timeout=DURATION",
    "critical", "stop-signal=SIG", "stop-timeout=DURATION", "backoff=DURATION", "backoff-max=DURATION",
    "max-restarts=N", "user=USER[:GROUP]", "cwd=/PATH", "env=KEY=VALUE", "log=prefix|inherit",
    "watch=/PATH", "on-change=restart|SIGNAL", "live=tcp:|http://|exec:|file:", "live-interval=DURATION", "live-failures=N", "live-timeout=DURATION"};

std::string_view OptKey(int opt) { return Sub(kOptUsage[opt], 0, std::string_view(kOptUsage[opt]).find('=')); }

int FindOption(std::string_view key) {
  for (int i = 0; i < kOptCount; i++)
    if (key == OptKey(i)) return i;
  return kOptCount;
}

Status UnknownOption(std::string_view word, std::string_view key) {
  // A word with '=' was surely meant as an option, so a distance of 2 is a
  // fair guess; a bare short word ("ls") should not be matched to "log".
  bool has_eq = word.find('=') != std::string_view::npos;
  for (int i = 0; i < kOptCount; i++) {
    int d = EditDistance(key, OptKey(i));
    if (d <= 2 && (has_eq || 2 * d < static_cast<int>(OptKey(i).size())))
      return Status::Fail("unknown option " WORD_FMT " (did you mean '%.*s'?)", word.data(),
                          static_cast<int>(OptKey(i).size()) + (i != kCritical), kOptUsage[i]);
  }
  // The keys, from the usage table: "restart=, ok-codes=, ..., critical, ...".
  char list[256];
  int n = 0;
  for (int i = 0; i < kOptCount; i++)
    Append(list, sizeof list, &n, "%s%.*s", i ? ", " : "", static_cast<int>(OptKey(i).size()) + (i != kCritical),
           kOptUsage[i]);
  return Status::Fail("unknown option " WORD_FMT " (expected %s; then '--' and the command)", word.data(), list);
}

// HOST is numeric IPv4, [IPv6] or localhost: no DNS, so readiness checks
// never block on a resolver.
Status ParseHost(std::string_view host, ReadyCheck* r) {
  char buf[64];
  if (host == "localhost") host = "127.0.0.1";
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = Sub(host, 1, host.size() - 2);
  if (host.empty() || host.size() >= sizeof buf) return Status::Fail("missing or too long host");
  memcpy(buf, host.data(), host.size());
  buf[host.size()] = '\0';
  r->ipv6 = bracketed;
  if (bracketed ? ParseIPv6(host, r->addr) : ParseIPv4(host, r->addr)) return Ok();
  if (!bracketed && host.find(':') != std::string_view::npos)
    return Status::Fail("write an IPv6 host in brackets, e.g. [::1]:8080");
  return Status::Fail("host '%s' is not a numeric address or localhost (no DNS lookups)", buf);
}

// "HOST:PORT" where HOST may be "[v6]". port_default 0 means required.
Status ParseHostPort(std::string_view hp, uint16_t port_default, ReadyCheck* r) {
  size_t colon;
  if (!hp.empty() && hp.front() == '[') {
    size_t close = hp.find(']');
    if (close == std::string_view::npos) return Status::Fail("missing ']' after the IPv6 host");
    colon = close + 1 < hp.size() ? close + 1 : std::string_view::npos;
    if (colon != std::string_view::npos && hp[colon] != ':') return Status::Fail("expected ':PORT' after ']'");
  } else {
    colon = hp.rfind(':');
  }
  Status s = ParseHost(Sub(hp, 0, colon), r);
  if (!s.ok) return s;
  if (colon == std::string_view::npos) {
    if (port_default == 0) return Status::Fail("missing ':PORT'");
    r->port = port_default;
    return Ok();
  }
  std::string_view port = Sub(hp, colon + 1);
  Result<uint32_t> p = ParseUnsigned(port, 65535);
  if (!p.ok || p.value == 0) return Status::Fail("port '%.*s' is not 1 to 65535", ClipLen(port), port.data());
  r->port = static_cast<uint16_t>(p.value);
  return Ok();
}

Status ParseReady(std::string_view v, Arena* arena, ReadyCheck* r) {
  auto starts = [&](std::string_view p) { return Sub(v, 0, p.size()) == p; };
  if (starts("tcp:")) {
    r->kind = ReadyKind::kTcp;
    return ParseHostPort(Sub(v, 4), 0, r);
  }
  if (starts("http://")) {
    r->kind = ReadyKind::kHttp;
    std::string_view rest = Sub(v, 7);
    size_t slash = rest.find('/');
    Status s = ParseHostPort(Sub(rest, 0, slash), 80, r);
    if (!s.ok) return s;
    // The path goes verbatim into the request line, so no spaces or controls.
    std::string_view path = slash == std::string_view::npos ? "/" : Sub(rest, slash);
    for (char c : path)
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
        return Status::Fail("the URL path may not contain spaces or control characters");
    // The word is NUL-terminated in the arena, so its tail is a C string.
    r->http_path = slash == std::string_view::npos ? "/" : path.data();
    return Ok();
  }
  if (v == "notify") {
    r->kind = ReadyKind::kNotify;  // READY=1 on the NOTIFY_SOCKET cinit gives it
    return Ok();
  }
  if (starts("https:")) return Status::Fail("https is not supported: readiness checks are plain http://");
  if (starts("exec:")) {
    r->kind = ReadyKind::kExec;
    Result<int> n = SplitWords(Sub(v, 5), arena, r->exec_argv, kMaxArgs);
    if (!n.ok) return Fail(n.error);
    if (n.value == 0 || r->exec_argv[0][0] == '\0') return Status::Fail("exec: needs a command, e.g. ready='exec:pg_isready -q'");
    r->exec_argv[n.value] = nullptr;
    return Ok();
  }
  if (starts("file:")) {
    r->kind = ReadyKind::kFile;
    // cinit runs in "/", so a relative path would silently mean "/PATH".
    if (v.size() < 6 || v[5] != '/') return Status::Fail("file: needs an absolute path, e.g. file:/run/app.ready");
    r->file_path = v.data() + 5;
    return Ok();
  }
  if (starts("fd:")) {
    r->kind = ReadyKind::kFd;
    Result<uint32_t> n = ParseUnsigned(Sub(v, 3), 1023);
    // 0-2 are the child's stdio; the notification pipe must not replace them.
    if (!n.ok || n.value < 3) return Status::Fail("fd: needs a descriptor number from 3 to 1023");
    r->fd = static_cast<int>(n.value);
    return Ok();
  }
  return Status::Fail("expected tcp:HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND, file:PATH, fd:N or notify");
}

Status ParseOkCodes(std::string_view v, Decl* d) {
  uint64_t bits[4] = {};
  while (true) {
    size_t comma = v.find(',');
    Result<uint32_t> c = ParseUnsigned(Sub(v, 0, comma), 255);
    if (!c.ok) return Status::Fail("expected exit codes 0 to 255 separated by commas");
    bits[c.value / 64] |= uint64_t{1} << (c.value % 64);
    if (comma == std::string_view::npos) break;
    v = Sub(v, comma + 1);
  }
  memcpy(d->ok_codes, bits, sizeof bits);
  return Ok();
}

Status ParseUser(std::string_view v) {
  size_t colon = v.find(':');
  std::string_view user = Sub(v, 0, colon);
  std::string_view group = colon == std::string_view::npos ? "x" : Sub(v, colon + 1);
  if (user.empty() || group.empty() || group.find(':') != std::string_view::npos)
    return Status::Fail("expected USER or USER:GROUP (names or numbers)");
  return Ok();
}

Status ParseEnv(const char* kv, Decl* d) {
  std::string_view s = kv;
  size_t eq = s.find('=');
  if (eq == std::string_view::npos || eq == 0) return Status::Fail("expected env=KEY=VALUE");
  // A repeated KEY replaces the earlier value, as a later assignment would.
  for (int i = 0; i < d->env_count; i++) {
    if (strncmp(d->env[i], kv, eq + 1) == 0) {
      d->env[i] = kv;
      return Ok();
    }
  }
  if (d->env_count == kMaxEnv) return Status::Fail("too many env= options (at most %d)", kMaxEnv);
  d->env[d->env_count++] = kv;
  return Ok();
}

// Applies one option word; *seen guards against options given twice.
Status ApplyDeclOption(const char* word, Arena* arena, Decl* d, uint32_t* seen, const char** opt_words) {
  std::string_view w = word;
  size_t eq = w.find('=');
  std::string_view key = Sub(w, 0, eq);
  int opt = FindOption(key);
  if (opt == kOptCount) return UnknownOption(w, key);
  if (opt == kCritical) {
    if (eq != std::string_view::npos) return Status::Fail("option " WORD_FMT " takes no value: write just 'critical'", word);
  } else if (eq == std::string_view::npos) {
    return Status::Fail("option " WORD_FMT " needs a value: %s", word, kOptUsage[opt]);
  }
  if (opt != kEnv && opt != kWatch && (*seen & (1u << opt)))
    return Status::Fail("option " WORD_FMT " given twice (earlier: '%.64s')", word, opt_words[opt]);
  *seen |= 1u << opt;
  opt_words[opt] = word;
  const char* value = eq == std::string_view::npos ? "" : word + eq + 1;
  std::string_view v = value;

  Status s = Ok();
  switch (opt) {
    case kRestart:
      if (v == "always") d->restart = RestartPolicy::kAlways;
      else if (v == "on-failure") d->restart = RestartPolicy::kOnFailure;
      else if (v == "never") d->restart = RestartPolicy::kNever;
      else s = Status::Fail("expected restart=always, restart=on-failure or restart=never");
      if (s.ok && d->kind == DeclKind::kInit && d->restart == RestartPolicy::kAlways)
        s = Status::Fail("an init task must run to completion; use restart=on-failure or restart=never");
      break;
    case kOkCodes: s = ParseOkCodes(v, d); break;
    case kReady:
      // Init tasks hold back startup until they exit 0; readiness means nothing.
      if (d->kind == DeclKind::kInit) s = Status::Fail("init tasks have no readiness check: they are done when they exit 0");
      else s = ParseReady(v, arena, &d->ready);
      break;
    case kCritical: d->critical = true; break;
    case kStopSignal: {
      Result<int> sig = ParseSignal(v);
      if (!sig.ok) s = Fail(sig.error);
      d->stop_signal = sig.value;
      break;
    }
    case kLive:
      if (d->kind == DeclKind::kInit) s = Status::Fail("init tasks have no liveness check: they run to completion");
      else s = ParseReady(v, arena, &d->live);
      // fd:N and notify say "ready" once: nothing to ask again later.
      if (s.ok && (d->live.kind == ReadyKind::kFd || d->live.kind == ReadyKind::kNotify))
        s = Status::Fail("live= takes tcp:, http://, exec: or file: (fd: and notify signal readiness only once)");
      break;
    case kLiveFailures: {
      Result<uint32_t> n = ParseUnsigned(v, 1000);
      if (!n.ok || n.value == 0) s = Status::Fail("expected a number of failures from 1 to 1000");
      d->live_failures = n.value;
      break;
    }
    case kLiveInterval: case kLiveTimeout:
    case kReadyTimeout: case kStopTimeout: case kBackoff: case kBackoffMax: {
      Result<Millis> ms = ParseDuration(v);
      if (!ms.ok) { s = Fail(ms.error); break; }
      // stop-timeout=0 (straight to SIGKILL) is meaningful; zero for the
      // others would be an instant timeout or a restart busy-loop.
      if (ms.value == 0 && opt != kStopTimeout) { s = Status::Fail("must be more than 0"); break; }
      Millis* field = opt == kReadyTimeout ? &d->ready_timeout : opt == kStopTimeout ? &d->stop_timeout
                      : opt == kBackoff ? &d->backoff : opt == kLiveInterval ? &d->live_interval
                      : opt == kLiveTimeout ? &d->live_timeout : &d->backoff_max;
      *field = ms.value;
      break;
    }
    case kMaxRestarts: {
      Result<uint32_t> n = ParseUnsigned(v, 1000000);
      if (!n.ok) s = Fail(n.error);
      d->max_restarts = n.value;
      break;
    }
    case kUser: s = ParseUser(v); d->user = value; break;
    case kCwd:
      if (v.empty() || v[0] != '/') s = Status::Fail("cwd= needs an absolute path (cinit itself runs in /)");
      d->cwd = value;
      break;
    case kEnv: s = ParseEnv(value, d); break;
    case kLog:
      if (v == "prefix") d->log = LogMode::kPrefix;
      else if (v == "inherit") d->log = LogMode::kInherit;
      else s = Status::Fail("expected log=prefix or log=inherit");
      break;
    case kWatch:
      if (d->kind == DeclKind::kInit) s = Status::Fail("init tasks cannot watch files: they run to completion");
      else if (v.empty() || v[0] != '/') s = Status::Fail("watch= needs an absolute path (cinit itself runs in /)");
      else if (v.size() >= kWatchPathMax) s = Status::Fail("the path is longer than %d bytes", kWatchPathMax - 1);
      else if (d->watch_count == kMaxDeclWatches) s = Status::Fail("too many watch= options (at most %d)", kMaxDeclWatches);
      else d->watch[d->watch_count++] = value;
      break;
    case kOnChange:
      if (v == "restart") {
        d->on_change = 0;
      } else {
        Result<int> sig = ParseSignal(v);
        if (!sig.ok) s = Status::Fail("expected on-change=restart or on-change=SIGNAL: %s", sig.error.text);
        d->on_change = sig.value;
      }
      break;
  }
  if (s.ok) return s;
  return Status::Fail("bad option " WORD_FMT ": %s", word, s.error.text);
}

Status ParseDeclWords(const char** words, int n, Arena* arena, Decl* d) {
  const char* name = words[0];
  if (std::string_view(name) == "--")
    return Status::Fail("missing NAME: " SHAPE);
  int dashes = 1;
  while (dashes < n && std::string_view(words[dashes]) != "--") dashes++;
  if (dashes == n) {
    // Name the first word that is not an option: most likely the command.
    int i = 1;
    while (i < n && FindOption(Sub(words[i], 0, std::string_view(words[i]).find('='))) != kOptCount) i++;
    if (i < n)
      return Status::Fail("missing '--' before the command " WORD_FMT ": " SHAPE, words[i]);
    return Status::Fail("missing '-- COMMAND' after " WORD_FMT ": " SHAPE, words[n - 1]);
  }
  if (!ValidName(name))
    return Status::Fail("bad name " WORD_FMT ": use 1 to %d of a-z 0-9 _ . - starting with a letter or digit",
                        name, kMaxNameLen);
  // "main" names the main process in the state file and in cinit status.
  if (strcmp(name, "main") == 0) return Status::Fail("the name 'main' is reserved for the main process: pick another");
  memcpy(d->name, name, strlen(name) + 1);

  uint32_t seen = 0;
  const char* opt_words[kOptCount] = {};
  for (int i = 1; i < dashes; i++) {
    Status s = ApplyDeclOption(words[i], arena, d, &seen, opt_words);
    if (!s.ok) return s;
  }
  constexpr uint32_t kLiveTuning = 1u << kLiveInterval | 1u << kLiveFailures | 1u << kLiveTimeout;
  if ((seen & kLiveTuning) && d->live.kind == ReadyKind::kNone)
    return Status::Fail("live-interval=, live-failures= and live-timeout= need a check: add live=");
  if ((seen & (1u << kOnChange)) && !d->watch_count)
    return Status::Fail("'%.64s' without watch=PATH: nothing would trigger it", opt_words[kOnChange]);
  // backoff=60s alone should just work: raise the default ceiling to match.
  if (d->backoff_max < d->backoff) {
    if (seen & (1u << kBackoffMax))
      return Status::Fail("'%.64s' is shorter than '%.64s'", opt_words[kBackoffMax], opt_words[kBackoff]);
    d->backoff_max = d->backoff;
  }

  int argc = n - dashes - 1;
  if (argc == 0) return Status::Fail("no command after '--' for '%s'", d->name);
  if (argc > kMaxArgs) return Status::Fail("command of '%s' has %d words (at most %d)", d->name, argc, kMaxArgs);
  if (words[dashes + 1][0] == '\0') return Status::Fail("empty command after '--' for '%s'", d->name);
  for (int i = 0; i < argc; i++) d->argv[i] = words[dashes + 1 + i];
  d->argv[argc] = nullptr;
  d->argc = argc;
  return Ok();
}

}  // namespace

Status ParseHostAndPort(std::string_view text, ReadyCheck* r) { return ParseHostPort(text, 0, r); }

char* ArenaCopy(Arena* arena, std::string_view text) {
  if (text.size() >= static_cast<size_t>(kArenaSize - arena->used)) return nullptr;
  char* p = arena->bytes + arena->used;
  memcpy(p, text.data(), text.size());
  p[text.size()] = '\0';
  arena->used += static_cast<int>(text.size()) + 1;
  return p;
}

Result<int> SplitWords(std::string_view text, Arena* arena, const char** words, int max_words) {
  int count = 0;
  int pos = arena->used;  // write cursor of the word being built
  bool in_word = false;   // a quoted '' is an (empty) word too
  char quote = 0;         // 0, '\'' or '"'
  const char* why = nullptr;
  auto put = [&](char c) {
    static_assert(kArenaSize == 256 * 1024, "keep the message below in step");
    if (pos >= kArenaSize) why = "the words of all declarations together exceed 256 KiB";
    else arena->bytes[pos++] = c;
  };
  auto end_word = [&] {
    put('\0');
    if (why) return;
    words[count++] = arena->bytes + arena->used;
    arena->used = pos;
    in_word = false;
  };
  const int mark = arena->used;
  for (size_t i = 0; i < text.size() && !why; i++) {
    char c = text[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      else put(c);
    } else if (quote == '"') {
      // Only \" and \\ are escapes inside double quotes; other backslashes stay.
      if (c == '"') quote = 0;
      else if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) put(text[++i]);
      else put(c);
    } else if (IsSpace(c)) {
      if (in_word) end_word();
    } else {
      if (!in_word && count == max_words) {
        arena->used = mark;
        return Result<int>::Fail("too many words (at most %d) in '%.*s'", max_words, ClipLen(text), text.data());
      }
      in_word = true;
      if (c == '\'' || c == '"') quote = c;
      else if (c != '\\') put(c);
      else if (i + 1 == text.size()) why = "trailing backslash";
      else put(text[++i]);
    }
  }
  if (!why && quote) why = quote == '\'' ? "unterminated ' quote" : "unterminated \" quote";
  if (!why && in_word) end_word();
  if (why) {
    arena->used = mark;  // a failed split leaves the arena as it was
    return Result<int>::Fail("%s in '%.*s'", why, ClipLen(text), text.data());
  }
  return Result<int>::Ok(count);
}

Status ParseDecl(std::string_view spec, DeclKind kind, Arena* arena, Decl* out) {
  // Start from the defaults; kind and origin belong to the caller.
  Origin origin = out->origin;
  *out = Decl{};
  out->kind = kind;
  out->origin = origin;
  if (kind == DeclKind::kInit) out->restart = RestartPolicy::kNever;

  const int mark = arena->used;
  const char* words[kMaxSpecWords];
  Result<int> n = SplitWords(spec, arena, words, kMaxSpecWords);
  if (!n.ok) return Fail(n.error);
  if (n.value == 0) return Status::Fail("empty declaration: " SHAPE);
  Status s = ParseDeclWords(words, n.value, arena, out);
  if (!s.ok) arena->used = mark;  // a rejected declaration leaves no words behind
  return s;
}

Status AddOrReplace(DeclTable* table, const Decl& d) {
  for (int i = 0; i < table->count; i++) {
    if (strcmp(table->decls[i].name, d.name) == 0) {
      table->decls[i] = d;
      return Ok();
    }
  }
  if (table->count == kMaxDecls)
    return Status::Fail("too many sidecars and init tasks: '%s' would be number %d (at most %d)", d.name,
                        kMaxDecls + 1, kMaxDecls);
  table->decls[table->count++] = d;
  return Ok();
}
