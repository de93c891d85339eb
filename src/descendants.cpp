#include "descendants.h"

#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

constexpr int kMaxScan = 32768;  // processes examined per scan

struct Link {
  pid_t pid;
  pid_t ppid;
};
Link g_links[kMaxScan];

pid_t ParentOf(pid_t pid) {
  char path[32];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  // The command name may hold spaces and parentheses: parse after the last ')'.
  const char* p = strrchr(buf, ')');
  if (!p) return -1;
  // ") S 123 ...": skip the state, read the parent's pid (no sscanf: it
  // would bring malloc and float parsing into the static binary).
  p++;
  while (*p == ' ') p++;
  if (!*p) return -1;
  p++;
  while (*p == ' ') p++;
  if (*p < '0' || *p > '9') return -1;
  pid_t ppid = 0;
  while (*p >= '0' && *p <= '9') ppid = ppid * 10 + (*p++ - '0');
  return ppid;
}

struct Dirent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

}  // namespace

int SignalDescendants(pid_t self, int sig) {
  // opendir() allocates; getdents64 into a stack buffer does not.
  int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  int count = 0;
  char buf[8192];
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<Dirent64*>(buf + off);
      off += d->reclen;
      if (d->name[0] < '1' || d->name[0] > '9' || count == kMaxScan) continue;
      pid_t pid = 0;
      for (const char* c = d->name; *c >= '0' && *c <= '9'; c++) pid = pid * 10 + (*c - '0');
      if (pid == self) continue;
      pid_t ppid = ParentOf(pid);
      if (ppid > 0) g_links[count++] = {pid, ppid};
    }
  }
  close(dir);
  // Mark descendants: repeat until no new process joins (depth passes).
  static bool marked[kMaxScan];
  memset(marked, 0, sizeof marked);
  bool grew = true;
  while (grew) {
    grew = false;
    for (int i = 0; i < count; i++) {
      if (marked[i]) continue;
      bool parent_is_ours = g_links[i].ppid == self;
      for (int j = 0; !parent_is_ours && j < count; j++)
        parent_is_ours = marked[j] && g_links[j].pid == g_links[i].ppid;
      if (parent_is_ours) marked[i] = grew = true;
    }
  }
  int signalled = 0;
  for (int i = 0; i < count; i++)
    if (marked[i] && kill(g_links[i].pid, sig) == 0) signalled++;
  return signalled;
}
