#include "procfs.h"

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

struct Dirent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

}  // namespace

bool ForEachNumberIn(const char* dir, void (*visit)(int number, void* ctx), void* ctx) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  // Aligned for the 64-bit fields: 32-bit ARM faults on misaligned ones.
  alignas(8) char buf[4096];
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<Dirent64*>(buf + off);
      off += d->reclen;
      if (d->name[0] < '0' || d->name[0] > '9') continue;
      int number = 0;
      for (const char* c = d->name; *c >= '0' && *c <= '9'; c++) number = number * 10 + (*c - '0');
      // The listing's own descriptor shows up in /proc/self/fd: skip it.
      if (number != fd) visit(number, ctx);
    }
  }
  close(fd);
  return true;
}

int ReadSmallFile(const char* path, char* buf, int size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int total = 0;
  while (total < size - 1) {
    ssize_t n = read(fd, buf + total, size - 1 - total);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    total += static_cast<int>(n);
  }
  close(fd);
  buf[total] = '\0';
  return total;
}
