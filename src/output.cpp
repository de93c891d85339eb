// Sidecar output with a "NAME | " prefix. See output.h for the model.
//
// Data flows pipe -> pending (raw bytes) -> out (one formatted line) ->
// target. A stream never holds more than one formatted line: while out
// cannot be written, the pipe is not read, so the kernel's pipe buffer fills
// and only the sidecar that floods blocks in its own write(2).
#include "output.h"

#include <cerrno>
#include <cstdio>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spec.h"

static_assert(kMaxNameLen + 3 + kMaxLine + 1 <= static_cast<int>(sizeof(OutputStream{}.out)),
              "a formatted line must fit in out");
// POSIX: a pipe write of at most PIPE_BUF bytes is atomic.
static_assert(kMaxLine + 48 <= PIPE_BUF, "a formatted line must be written to a pipe in one piece");

namespace {

// How a target descriptor is written without ever blocking cinit.
enum TargetMode : uint8_t {
  kPlain = 0,      // non-blocking (or a regular file, which never waits): write()
  kPipe = 1,       // non-blocking pipe: write(), after checking a reader is left
  kSocket = 2,     // a socket we could not reopen: send(MSG_DONTWAIT)
  kPollFirst = 3,  // blocking and shared with the main: write() only when poll says so
};

// Reads per call, so that one flooding sidecar cannot hold the loop.
constexpr int kMaxReadsPerCall = 4;
// "Now" for a flush at exit: every partial line is due.
constexpr Millis kFlushAll = kMaxDuration * 1024;

uint8_t ModeOf(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return kPlain;  // closed: writes fail and lines are dropped
  if (S_ISREG(st.st_mode)) return kPlain;
  if (S_ISSOCK(st.st_mode)) return kSocket;
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || !(fl & O_NONBLOCK)) return kPollFirst;
  return S_ISFIFO(st.st_mode) ? kPipe : kPlain;
}

enum class Room { kYes, kNo, kGone };

// poll() with a zero timeout never waits. A pipe without reader reports
// POLLERR: writing to it would raise SIGPIPE, which cinit must not receive
// from its own writes (it would be forwarded to the main), so the line is
// dropped instead.
Room CheckRoom(int fd) {
  struct pollfd p = {fd, POLLOUT, 0};
  int r;
  do r = poll(&p, 1, 0);
  while (r < 0 && errno == EINTR);
  if (r <= 0) return Room::kNo;
  if (p.revents & (POLLERR | POLLNVAL)) return Room::kGone;
  return Room::kYes;  // POLLOUT, or POLLHUP: write() reports the error
}

// Writes what is left of out. True when out is empty afterwards.
bool WriteOut(OutputStream* s) {
  while (s->out_off < s->out_len) {
    if (s->target_mode == kPipe || s->target_mode == kPollFirst) {
      Room room = CheckRoom(s->target);
      if (room == Room::kNo) return false;
      if (room == Room::kGone) break;
    }
    // A line is at most kMaxLine + 48 bytes, less than PIPE_BUF (4096):
    // on a pipe it is written whole or not at all, never torn.
    const char* p = s->out + s->out_off;
    size_t n = static_cast<size_t>(s->out_len - s->out_off);
    ssize_t w = s->target_mode == kSocket ? send(s->target, p, n, MSG_DONTWAIT | MSG_NOSIGNAL)
                                          : write(s->target, p, n);
    if (w > 0) {
      s->out_off += static_cast<int>(w);  // a tty or socket may take part of it
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    // The target is gone or broken (EPIPE, EIO, EBADF...): drop the line so
    // the sidecar keeps running instead of stalling on a dead descriptor.
    break;
  }
  s->out_len = 0;
  s->out_off = 0;
  return true;
}

// Where to split a full pending buffer: kMaxLine, or earlier so that a UTF-8
// character is not cut in two.
int SplitPoint(const char* text, int len) {
  int lead = len - 1;
  int back = 0;
  while (lead > 0 && back < 3 && (static_cast<unsigned char>(text[lead]) & 0xC0) == 0x80) {
    lead--;
    back++;
  }
  unsigned char c = static_cast<unsigned char>(text[lead]);
  int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (c >= 0xC0 && c < 0xF8 && lead + need > len && lead > 0) return lead;
  return len;
}

void Consume(OutputStream* s, int n) {
  memmove(s->pending, s->pending + n, static_cast<size_t>(s->pending_len - n));
  s->pending_len -= n;
  // The rest began at the latest with the last append: counting from there
  // may flush it a little late, never too early.
  if (s->pending_len > 0) s->pending_since = s->last_append;
}

void NoteAppended(OutputStream* s, int n, Millis now) {
  if (s->pending_len == 0) s->pending_since = now;
  s->pending_len += n;
  s->last_append = now;
}

// Moves lines along until the target is full, the pipe is empty, or the
// read budget is spent. Partial lines older than kPartialFlush (at now) are
// written as lines.
void Pump(OutputStream* s, const char* name, Millis now) {
  int reads = 0;
  for (;;) {
    if (s->out_len > 0 && !WriteOut(s)) return;  // back-pressure: stop reading
    if (FormatNextLine(s, name, false)) continue;
    // No whole line is buffered and pending has room.
    ssize_t n = -1;
    if (s->pipe_fd >= 0 && reads < kMaxReadsPerCall) {
      reads++;
      n = read(s->pipe_fd, s->pending + s->pending_len, static_cast<size_t>(kMaxLine - s->pending_len));
      if (n > 0) {
        NoteAppended(s, static_cast<int>(n), now);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {
        // Every write end is closed (cinit holds child_fd, so only after
        // it was closed on purpose): nothing more will come.
        close(s->pipe_fd);
        s->pipe_fd = -1;
      }
    }
    if (s->pending_len > 0 && now - s->pending_since >= kPartialFlush && FormatNextLine(s, name, true)) continue;
    if (s->pipe_fd < 0 && s->pending_len > 0 && FormatNextLine(s, name, true)) continue;
    return;
  }
}

int OpenTarget(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return fd;  // not open: lines to it are dropped
  struct stat st;
  // A regular file is shared with the main: a new description would have
  // its own offset and overwrite the main's output. Files never make a
  // writer wait for a reader, so the plain descriptor is fine.
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) return fd;
  if (fl & O_NONBLOCK) return fd;
  // O_NONBLOCK on fd itself would change the file description the main
  // shares (a blocking writer would start getting EAGAIN); opening the same
  // file again through /proc gives cinit a description of its own.
  // O_NOCTTY: PID 1 must not acquire a terminal by opening it.
  char path[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (fl & O_APPEND));
  if (nfd < 0) {
    // Sockets cannot be opened this way (ENXIO), /proc may be missing.
    LOG_DEBUG("reopen of fd %d for prefixed output failed: %s; writing to it when poll allows", fd,
              strerror(errno));
    return fd;
  }
  return nfd;
}

}  // namespace

void OpenOutputTargets(OutputTargets* t) {
  t->out = OpenTarget(STDOUT_FILENO);
  t->err = OpenTarget(STDERR_FILENO);
}

Status OpenOutputStream(OutputStream* s, int target) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return Status::Fail("cannot create a pipe for sidecar output: %s: raise the open-file limit or drop --log-prefix",
                        strerror(errno));
  // Only cinit's end is non-blocking; the sidecar's end keeps the blocking
  // mode programs expect on their stdout.
  int fl = fcntl(fds[0], F_GETFL);
  if (fl < 0 || fcntl(fds[0], F_SETFL, fl | O_NONBLOCK) != 0) {
    Status st = Status::Fail("cannot make the sidecar output pipe non-blocking: %s", strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return st;
  }
  s->pipe_fd = fds[0];
  s->child_fd = fds[1];
  s->target = target;
  s->target_mode = ModeOf(target);
  s->pending_len = 0;
  s->pending_since = 0;
  s->last_append = 0;
  s->out_len = 0;
  s->out_off = 0;
  s->after_split = false;
  return Ok();
}

bool FormatNextLine(OutputStream* s, const char* name, bool force_partial) {
  if (s->out_len > 0) return true;
  while (s->pending_len > 0) {
    const void* nl = memchr(s->pending, '\n', static_cast<size_t>(s->pending_len));
    int text_len;
    int used;
    bool whole = nl != nullptr;
    if (whole) {
      text_len = static_cast<int>(static_cast<const char*>(nl) - s->pending);
      used = text_len + 1;
    } else if (s->pending_len >= kMaxLine) {
      text_len = used = SplitPoint(s->pending, s->pending_len);
    } else if (force_partial) {
      text_len = used = s->pending_len;
    } else {
      return false;
    }
    // The newline that ends a line already written in pieces (split, or
    // flushed while unfinished) would otherwise show as an empty line.
    bool skip = whole && text_len == 0 && s->after_split;
    s->after_split = !whole;
    if (!skip) {
      char* o = s->out;
      if (name) {
        size_t name_len = strnlen(name, kMaxNameLen);
        memcpy(o, name, name_len);
        o += name_len;
      }
      memcpy(o, " | ", 3);
      o += 3;
      memcpy(o, s->pending, static_cast<size_t>(text_len));
      o += text_len;
      *o++ = '\n';
      s->out_len = static_cast<int>(o - s->out);
      s->out_off = 0;
    }
    Consume(s, used);
    if (!skip) return true;
  }
  return false;
}

int AppendPending(OutputStream* s, const char* data, int len, Millis now) {
  int n = kMaxLine - s->pending_len;
  if (len < n) n = len;
  if (n <= 0) return 0;
  memcpy(s->pending + s->pending_len, data, static_cast<size_t>(n));
  NoteAppended(s, n, now);
  return n;
}

bool WantsRead(const OutputStream& s) { return s.pipe_fd >= 0 && s.out_len == 0; }
bool WantsWrite(const OutputStream& s) { return s.target >= 0 && s.out_len > 0; }

void OutputOnReadable(OutputStream* s, const char* name, Millis now) { Pump(s, name, now); }
void OutputOnWritable(OutputStream* s, const char* name, Millis now) { Pump(s, name, now); }

Millis OutputDeadline(const OutputStream& s) {
  if (s.out_len > 0 || s.pending_len == 0) return 0;  // writability, not time, moves it on
  return s.pending_since + kPartialFlush;
}

void OutputOnTimer(OutputStream* s, const char* name, Millis now) { Pump(s, name, now); }

void OutputFlush(OutputStream* s, const char* name) {
  // Enough passes to empty a full pipe (64 KiB) at kMaxReadsPerCall each.
  for (int i = 0; i < 16; i++) Pump(s, name, kFlushAll);
}
