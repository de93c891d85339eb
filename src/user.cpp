#include "user.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "units.h"

namespace {

// Reads a colon-separated database (passwd, group) one record at a time.
struct Records {
  std::string_view rest;
  std::string_view f[7];
  int n = 0;

  bool Next() {
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (line.empty() || line[0] == '#') continue;
      n = 0;
      while (n < 7) {
        size_t colon = line.find(':');
        f[n++] = line.substr(0, colon);
        if (colon == std::string_view::npos) break;
        line = line.substr(colon + 1);
      }
      return true;
    }
    return false;
  }
};

bool IsNumber(std::string_view s) { return ParseUnsigned(s, 0xfffffffe).ok; }

bool ListContains(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (list.substr(0, comma) == name) return true;
    if (comma == std::string_view::npos) break;
    list = list.substr(comma + 1);
  }
  return false;
}

uint32_t Number(std::string_view s) { return ParseUnsigned(s, 0xfffffffe).value; }

Result<gid_t> ResolveGroup(std::string_view name, std::string_view group) {
  if (IsNumber(name)) return Result<gid_t>::Ok(Number(name));
  for (Records r{group}; r.Next();)
    if (r.n >= 3 && r.f[0] == name && IsNumber(r.f[2])) return Result<gid_t>::Ok(Number(r.f[2]));
  return Result<gid_t>::Fail("group '%.*s' not found in /etc/group: use a number or add the group to the image",
                             (int)name.size(), name.data());
}

Result<int> ReadWhole(const char* path, char* buf, int size) {
  // O_NONBLOCK: a FIFO in place of /etc/passwd must not hang PID 1.
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Result<int>::Fail("cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Result<int>::Fail("%s is not a regular file", path);
  }
  int total = 0;
  while (total < size) {
    ssize_t n = read(fd, buf + total, size - total);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    total += static_cast<int>(n);
  }
  close(fd);
  if (total == size) return Result<int>::Fail("%s is larger than %d bytes: cinit cannot read it", path, size);
  return Result<int>::Ok(total);
}

}  // namespace

Result<Credentials> ResolveUserIn(std::string_view spec, std::string_view passwd, std::string_view group) {
  using R = Result<Credentials>;
  size_t colon = spec.find(':');
  std::string_view user = spec.substr(0, colon);
  std::string_view grp = colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
  if (user.empty() || (colon != std::string_view::npos && grp.empty()))
    return R::Fail("bad user '%.*s': use USER or USER:GROUP, by name or number", (int)spec.size(), spec.data());

  Credentials c;
  bool by_name = !IsNumber(user);
  bool found = false;
  if (by_name) {
    for (Records r{passwd}; !found && r.Next();) {
      if (r.n >= 4 && r.f[0] == user && IsNumber(r.f[2]) && IsNumber(r.f[3])) {
        c.uid = Number(r.f[2]);
        c.gid = Number(r.f[3]);
        found = true;
      }
    }
    if (!found)
      return R::Fail("user '%.*s' not found in /etc/passwd: use a number or add the user to the image",
                     (int)user.size(), user.data());
  } else {
    c.uid = Number(user);
    c.gid = c.uid;  // A bare uid with no passwd entry gets the same gid, as runc does.
    for (Records r{passwd}; r.Next();) {
      if (r.n >= 4 && r.f[2] == user && IsNumber(r.f[3])) {
        c.gid = Number(r.f[3]);
        break;
      }
    }
  }
  if (!grp.empty()) {
    auto g = ResolveGroup(grp, group);
    if (!g.ok) return R::Fail(g.error);
    c.gid = g.value;
  }
  if (by_name) {
    for (Records r{group}; r.Next();) {
      if (r.n < 4 || !IsNumber(r.f[2]) || !ListContains(r.f[3], user)) continue;
      gid_t g = Number(r.f[2]);
      if (g == c.gid) continue;
      if (c.group_count == kMaxGroups)
        return R::Fail("user '%.*s' is in more than %d groups", (int)user.size(), user.data(), kMaxGroups);
      c.groups[c.group_count++] = g;
    }
  }
  return R::Ok(c);
}

Result<Credentials> ResolveUser(std::string_view spec, const char* passwd_path, const char* group_path) {
  static char passwd[65536], group[65536];
  auto p = ReadWhole(passwd_path, passwd, sizeof passwd);
  // Numeric users need no database; a missing file is an error only for names.
  std::string_view ptext, gtext;
  if (p.ok) ptext = std::string_view(passwd, p.value);
  auto g = ReadWhole(group_path, group, sizeof group);
  if (g.ok) gtext = std::string_view(group, g.value);
  auto r = ResolveUserIn(spec, ptext, gtext);
  if (!r.ok && !p.ok)
    return Result<Credentials>::Fail("%s (looking up '%.*s')", p.error.text, (int)spec.size(), spec.data());
  return r;
}

int ApplyCredentials(const Credentials& c) {
  // Raw system calls: this runs in a freshly forked, single-threaded child,
  // where libc's all-threads machinery for set*id (and its size) is not needed.
  // On i386 and 32-bit ARM the plain calls take 16-bit ids (a uid of 70000
  // would become 4464); the 32-bit ones carry the "32" suffix there.
#ifdef SYS_setuid32
  if (syscall(SYS_setgroups32, c.group_count, c.groups) != 0) return errno;
  if (syscall(SYS_setgid32, c.gid) != 0) return errno;
  if (syscall(SYS_setuid32, c.uid) != 0) return errno;
#else
  if (syscall(SYS_setgroups, c.group_count, c.groups) != 0) return errno;
  if (syscall(SYS_setgid, c.gid) != 0) return errno;
  if (syscall(SYS_setuid, c.uid) != 0) return errno;
#endif
  return 0;
}
