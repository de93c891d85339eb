#include "clock.h"

#include <cstdint>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

Millis Now() {
  // The system call itself: musl's vDSO lookup costs more binary than the
  // few calls per loop pass cost time. 32-bit architectures (i386, ARM)
  // have two: the old one writes 32-bit seconds, which is not musl's
  // 64-bit time_t, so they get clock_gettime64 and the kernel's own
  // 64-bit layout; 64-bit ones have only the one call with that layout.
#ifdef SYS_clock_gettime64
  struct {
    int64_t tv_sec, tv_nsec;
  } ts;
  syscall(SYS_clock_gettime64, CLOCK_MONOTONIC, &ts);
#else
  timespec ts;
  static_assert(sizeof ts.tv_sec == 8, "a 64-bit kernel timespec");
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
#endif
  return static_cast<Millis>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
