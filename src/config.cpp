// The config file loader (SPEC §4). Format, one item per line:
//
//   # a comment: only when '#' is the first non-blank character. A '#'
//   # later on a line is kept, because a SPEC's command may contain one
//   # (sh -c 'x # y', a URL fragment) and stripping it would change ARGV.
//   grace = 20s                    key = value, key a long option name
//   init migrate -- /app/migrate   init SPEC  ("init = SPEC" also works)
//   sidecar web ready=tcp:localhost:80 -- nginx -g 'daemon off;'
//
// Blank lines are skipped, CRLF line ends and a UTF-8 byte-order mark are
// accepted, a value is taken literally after trimming (no quotes, no
// expansion) and there are no continuation lines. Errors read
// "PATH:LINE: message"; the first one stops the parse.
#include "config.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsBlank(s[b])) b++;
  while (e > b && IsBlank(s[e - 1])) e--;
  return std::string_view(s.data() + b, e - b);
}

int Clip(std::string_view s) { return s.size() > 64 ? 64 : static_cast<int>(s.size()); }

// Everything needed to name the line an error came from.
struct Where {
  const char* path;
  int line;
};

[[gnu::format(printf, 2, 3)]] Status LineError(const Where& at, const char* fmt, ...) {
  Status s = Status::Fail("%.100s:%d: ", at.path, at.line);
  size_t used = strlen(s.error.text);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s.error.text + used, sizeof s.error.text - used, fmt, ap);
  va_end(ap);
  return s;
}

Status ApplyDeclLine(const Where& at, DeclKind kind, std::string_view spec, DeclTable* decls, Arena* arena) {
  const char* keyword = kind == DeclKind::kInit ? "init" : "sidecar";
  if (!spec.empty() && spec[0] == '=') spec = Trim(std::string_view(spec.data() + 1, spec.size() - 1));
  if (spec.empty())
    return LineError(at, "'%s' needs a declaration: %s NAME [OPTION...] -- COMMAND [ARG...]", keyword, keyword);
  Decl d;
  d.kind = kind;
  snprintf(d.origin.text, sizeof d.origin.text, "%s:%d", at.path, at.line);
  Status s = ParseDecl(spec, kind, arena, &d);
  if (s.ok) s = AddOrReplace(decls, d);
  if (!s.ok) return LineError(at, "%s", s.error.text);
  return Ok();
}

Status ApplyKeyValue(const Where& at, std::string_view line, Options* opts, Arena* arena) {
  size_t eq = line.find('=');
  if (eq == std::string_view::npos) {
    bool one_word = line.find(' ') == std::string_view::npos && line.find('\t') == std::string_view::npos;
    return LineError(at, "expected 'sidecar SPEC', 'init SPEC' or 'key = value', got '%.*s'%s", Clip(line),
                     line.data(), one_word ? " (for a flag write e.g. 'pgroup = yes')" : "");
  }
  std::string_view key = Trim(std::string_view(line.data(), eq));
  std::string_view value = Trim(std::string_view(line.data() + eq + 1, line.size() - eq - 1));
  bool key_ok = !key.empty();
  for (char c : key)
    key_ok = key_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!key_ok)
    return LineError(at, "bad key '%.*s': use a long option name such as grace or log-prefix", Clip(key), key.data());
  // The file's own path comes from --config / CINIT_CONFIG, never from itself.
  if (key == "config") return LineError(at, "'config' cannot be set inside a config file");
  // ApplyOption may keep a pointer to the value, so give it a stable,
  // NUL-terminated copy rather than a slice of the read buffer.
  const char* copy = ArenaCopy(arena, value);
  if (!copy) return LineError(at, "declarations and values exceed %d bytes", kArenaSize);
  Status s = ApplyOption(opts, key, std::string_view(copy, value.size()));
  if (!s.ok) return LineError(at, "%s", s.error.text);
  return Ok();
}

Status ApplyLine(const Where& at, std::string_view line, Options* opts, DeclTable* decls, Arena* arena) {
  line = Trim(line);
  if (line.empty() || line[0] == '#') return Ok();
  // Words become C strings, so an embedded NUL would silently cut them.
  if (line.find('\0') != std::string_view::npos) return LineError(at, "NUL byte in line");
  size_t end = 0;
  while (end < line.size() && !IsBlank(line[end]) && line[end] != '=') end++;
  std::string_view first(line.data(), end);
  std::string_view rest = Trim(std::string_view(line.data() + end, line.size() - end));
  if (first == "sidecar") return ApplyDeclLine(at, DeclKind::kSidecar, rest, decls, arena);
  if (first == "init") return ApplyDeclLine(at, DeclKind::kInit, rest, decls, arena);
  return ApplyKeyValue(at, line, opts, arena);
}

}  // namespace

Status ParseConfigText(std::string_view text, const char* path, Options* opts, DeclTable* decls, Arena* arena) {
  if (!path) path = kDefaultConfigPath;
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.size() >= kBom.size() && std::string_view(text.data(), kBom.size()) == kBom)
    text = std::string_view(text.data() + kBom.size(), text.size() - kBom.size());
  Where at{path, 0};
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    at.line++;
    Status s = ApplyLine(at, std::string_view(text.data() + start, end - start), opts, decls, arena);
    if (!s.ok) return s;
    start = end + 1;
  }
  return Ok();
}

Status LoadConfigFile(const char* path, bool explicit_path, Options* opts, DeclTable* decls, Arena* arena) {
  if (!path) path = kDefaultConfigPath;
  // O_NONBLOCK: a FIFO planted as the config file must not hang PID 1.
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    // The default file is optional; one named by the user must exist.
    if (errno == ENOENT && !explicit_path) return Ok();
    return Status::Fail("%.100s: cannot open config file: %s", path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Status::Fail("%.100s: not a regular file: give a config file", path);
  }
  // Read once, before the loop starts, into a fixed buffer: one byte more
  // than the limit tells a file that is too big from one that just fits.
  static char buf[kMaxConfigSize + 1];
  size_t total = 0;
  while (total < sizeof buf) {
    ssize_t n = read(fd, buf + total, sizeof buf - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return Status::Fail("%.100s: cannot read config file: %s", path, strerror(err));
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  close(fd);
  if (total > kMaxConfigSize)
    return Status::Fail("%.100s: config file is larger than %d KiB", path, kMaxConfigSize / 1024);
  return ParseConfigText(std::string_view(buf, total), path, opts, decls, arena);
}
