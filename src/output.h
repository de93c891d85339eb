// --log-prefix (SPEC §4 log=prefix): a sidecar's stdout and stderr go
// through pipes to cinit, which writes each line as "NAME | line\n" to its
// own stdout or stderr respectively, in one write(2), never torn or mixed.
// Lines longer than kMaxLine are split. A partial line waiting more than
// kPartialFlush is written as a line of its own. cinit never blocks on
// output: the targets are non-blocking, and while a stream's formatted line
// cannot be written, that stream's pipe is not read (only the flooding
// sidecar stalls; reaping and signals go on).
#pragma once

#include <cstdint>

#include "result.h"
#include "units.h"

constexpr int kMaxLine = 4000;          // bytes of one line's text before it is split
constexpr Millis kPartialFlush = 200;   // a partial line is written after this

struct OutputStream {
  // The small fields first and the buffers last, so that a stream that is
  // never used leaves its buffers untouched (not resident).
  int pipe_fd = -1;          // read end (cinit's, non-blocking, close-on-exec)
  int child_fd = -1;         // write end, given to each start of the sidecar
  int target = -1;           // OutputTargets fd this stream writes to
  int pending_len = 0;
  Millis pending_since = 0;  // when the unfinished line began
  int out_len = 0;
  int out_off = 0;           // bytes of out already written (partial write)
  Millis last_append = 0;    // when bytes were last added to pending
  bool after_split = false;  // last line was split or flushed unfinished: its "\n" is due
  uint8_t target_mode = 0;   // how target is written (output.cpp: TargetMode)
  char pending[kMaxLine];    // bytes of an unfinished line
  char out[kMaxLine + 48];   // one formatted line waiting to be written
};

// cinit's stdout and stderr, reopened non-blocking when possible (through
// /proc/self/fd, a new open file description, so the main's shared stdout
// keeps its blocking mode); else the plain descriptors, written only when
// poll says they are writable.
struct OutputTargets {
  int out = 1;
  int err = 2;
};
void OpenOutputTargets(OutputTargets* t);

// Creates the pipe for one stream (target = t.out or t.err) and notes how
// the target can be written without blocking.
Status OpenOutputStream(OutputStream* s, int target);

// Pure: if s->out is empty and a whole line (or, with force, the partial
// line; or a kMaxLine chunk) is in pending, formats "NAME | text\n" into
// out and removes it from pending. Returns true if out now holds a line.
bool FormatNextLine(OutputStream* s, const char* name, bool force_partial);
// Pure: appends bytes to pending (at most the free space); returns how many.
int AppendPending(OutputStream* s, const char* data, int len, Millis now);

// Poll interest: pipe_fd for POLLIN while out is empty; target for POLLOUT
// while out holds a line.
bool WantsRead(const OutputStream& s);
bool WantsWrite(const OutputStream& s);
// pipe_fd readable: read what fits, format and try to write lines.
void OutputOnReadable(OutputStream* s, const char* name, Millis now);
// target writable: write the pending line, then more if there are some.
void OutputOnWritable(OutputStream* s, const char* name, Millis now);
// When the partial line must be flushed, or 0.
Millis OutputDeadline(const OutputStream& s);
void OutputOnTimer(OutputStream* s, const char* name, Millis now);
// At exit: write what is buffered without blocking, best effort.
void OutputFlush(OutputStream* s, const char* name);
