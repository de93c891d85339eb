// The few libstdc++ functions that header-only code may call, for the
// static musl build, which links no libstdc++ (packaging/musl-toolchain.cmake
// defines CINIT_NO_LIBSTDCXX). They are reached only through a bug (an
// out-of-range string_view::substr, say): cinit says so and aborts.
#ifdef CINIT_NO_LIBSTDCXX
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include "format.h"

// cinit formats with its own small printf: defining these here keeps
// musl's (with floating point) out of the static binary.
extern "C" int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) { return FormatV(buf, size, fmt, ap); }
extern "C" int snprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = FormatV(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

// Only the errors cinit can meet get a text; musl's full table is larger
// than many of cinit's features. Others read "error N" (see errno(3)).
namespace {
// Each entry is the error number as one byte, its text, and a NUL; the
// list ends with an empty string. Linux numbers, checked below.
constexpr char kErrorTexts[] =
    "\001Operation not permitted\0"  // EPERM
    "\002No such file or directory\0"  // ENOENT
    "\003No such process\0"  // ESRCH
    "\004Interrupted system call\0"  // EINTR
    "\005I/O error\0"  // EIO
    "\006No such device or address\0"  // ENXIO
    "\007Argument list too long\0"  // E2BIG
    "\010Exec format error\0"  // ENOEXEC
    "\011Bad file descriptor\0"  // EBADF
    "\012No child process\0"  // ECHILD
    "\013Resource temporarily unavailable\0"  // EAGAIN
    "\014Out of memory\0"  // ENOMEM
    "\015Permission denied\0"  // EACCES
    "\016Bad address\0"  // EFAULT
    "\020Resource busy\0"  // EBUSY
    "\021File exists\0"  // EEXIST
    "\022Cross-device link\0"  // EXDEV
    "\023No such device\0"  // ENODEV
    "\024Not a directory\0"  // ENOTDIR
    "\025Is a directory\0"  // EISDIR
    "\026Invalid argument\0"  // EINVAL
    "\027Too many open files in system\0"  // ENFILE
    "\030No file descriptors available\0"  // EMFILE
    "\031Not a tty\0"  // ENOTTY
    "\032Text file busy\0"  // ETXTBSY
    "\033File too large\0"  // EFBIG
    "\034No space left on device\0"  // ENOSPC
    "\036Read-only file system\0"  // EROFS
    "\040Broken pipe\0"  // EPIPE
    "\044Filename too long\0"  // ENAMETOOLONG
    "\050Symbolic link loop\0"  // ELOOP
    "\046Function not implemented\0"  // ENOSYS
    "\047Directory not empty\0"  // ENOTEMPTY
    "\141Address family not supported by protocol\0"  // EAFNOSUPPORT
    "\143Address not available\0"  // EADDRNOTAVAIL
    "\145Network unreachable\0"  // ENETUNREACH
    "\150Connection reset by peer\0"  // ECONNRESET
    "\156Operation timed out\0"  // ETIMEDOUT
    "\157Connection refused\0"  // ECONNREFUSED
    "\161Host is unreachable\0"  // EHOSTUNREACH
    "\172Quota exceeded\0"  // EDQUOT
    "\137Not supported\0"  // ENOTSUP
    "\113Value too large for data type\0";  // EOVERFLOW
static_assert(EPERM == 1);
static_assert(ENOENT == 2);
static_assert(ESRCH == 3);
static_assert(EINTR == 4);
static_assert(EIO == 5);
static_assert(ENXIO == 6);
static_assert(E2BIG == 7);
static_assert(ENOEXEC == 8);
static_assert(EBADF == 9);
static_assert(ECHILD == 10);
static_assert(EAGAIN == 11);
static_assert(ENOMEM == 12);
static_assert(EACCES == 13);
static_assert(EFAULT == 14);
static_assert(EBUSY == 16);
static_assert(EEXIST == 17);
static_assert(EXDEV == 18);
static_assert(ENODEV == 19);
static_assert(ENOTDIR == 20);
static_assert(EISDIR == 21);
static_assert(EINVAL == 22);
static_assert(ENFILE == 23);
static_assert(EMFILE == 24);
static_assert(ENOTTY == 25);
static_assert(ETXTBSY == 26);
static_assert(EFBIG == 27);
static_assert(ENOSPC == 28);
static_assert(EROFS == 30);
static_assert(EPIPE == 32);
static_assert(ENAMETOOLONG == 36);
static_assert(ELOOP == 40);
static_assert(ENOSYS == 38);
static_assert(ENOTEMPTY == 39);
static_assert(EAFNOSUPPORT == 97);
static_assert(EADDRNOTAVAIL == 99);
static_assert(ENETUNREACH == 101);
static_assert(ECONNRESET == 104);
static_assert(ETIMEDOUT == 110);
static_assert(ECONNREFUSED == 111);
static_assert(EHOSTUNREACH == 113);
static_assert(EDQUOT == 122);
static_assert(ENOTSUP == 95);
static_assert(EOVERFLOW == 75);
}  // namespace

extern "C" char* strerror(int code) {
  for (const char* e = kErrorTexts; *e; e += strlen(e) + 1)
    if (static_cast<unsigned char>(*e) == code) return const_cast<char*>(e + 1);
  static char unknown[24];
  snprintf(unknown, sizeof unknown, "error %d", code);
  return unknown;
}

namespace {
[[noreturn]] void InternalError() {
  static const char msg[] = "cinit: internal error (a C++ library check failed): please report this as a bug\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  // As PID 1, SIGABRT from abort() would be ignored; a trap ends it for sure.
  __builtin_trap();
}
}  // namespace

namespace std {
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) { InternalError(); }
[[noreturn]] void __throw_out_of_range(const char*) { InternalError(); }
[[noreturn]] void __throw_length_error(const char*) { InternalError(); }
[[noreturn]] void __throw_logic_error(const char*) { InternalError(); }
[[noreturn]] void __throw_invalid_argument(const char*) { InternalError(); }
[[noreturn]] void __throw_bad_alloc() { InternalError(); }
[[noreturn]] void __throw_bad_function_call() { InternalError(); }
}  // namespace std

// Pure virtual calls cannot happen (no virtual functions), but keep the
// linker from pulling anything in if a header mentions it.
extern "C" [[noreturn]] void __cxa_pure_virtual() { InternalError(); }
#endif
