#include "descendants.h"

#include "procfs.h"

#include <csignal>
#include <cstdio>
#include <cstring>

namespace {

constexpr int kMaxScan = 32768;  // processes examined per scan

struct Link {
  pid_t pid;
  pid_t ppid;
};
Link g_links[kMaxScan];

struct Scan {
  pid_t self;
  int count;
};

void Record(int pid, void* ctx) {
  auto* scan = static_cast<Scan*>(ctx);
  if (pid == scan->self || scan->count == kMaxScan) return;
  pid_t ppid = ParentOf(pid);
  if (ppid > 0) g_links[scan->count++] = {pid, ppid};
}

}  // namespace

pid_t ParentOf(pid_t pid) {
  char path[32];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  char buf[512];
  if (ReadSmallFile(path, buf, sizeof buf) <= 0) return -1;
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

int SignalDescendants(pid_t self, int sig) {
  Scan scan{self, 0};
  ForEachNumberIn("/proc", Record, &scan);
  int count = scan.count;
  // Mark descendants: repeat until no new process joins (depth passes).
  static bool marked[kMaxScan];
  memset(marked, 0, count);
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
