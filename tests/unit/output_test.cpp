// --log-prefix: formatting (pure) and the descriptor handling with real pipes.
#include "output.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <cstdlib>
#include <memory>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <termios.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

std::unique_ptr<OutputStream> NewStream() { return std::make_unique<OutputStream>(); }

// The formatted line in out, which is then marked written.
std::string TakeOut(OutputStream* s) {
  std::string line(s->out, static_cast<size_t>(s->out_len));
  s->out_len = 0;
  return line;
}

// Feeds text through AppendPending/FormatNextLine; returns every line.
std::vector<std::string> FeedAll(OutputStream* s, const std::string& text, Millis now = 0) {
  std::vector<std::string> lines;
  size_t off = 0;
  for (;;) {
    while (FormatNextLine(s, "web", false)) lines.push_back(TakeOut(s));
    if (off == text.size()) break;
    off += static_cast<size_t>(AppendPending(s, text.data() + off, static_cast<int>(text.size() - off), now));
  }
  return lines;
}

void SetNonBlocking(int fd) { ASSERT_EQ(0, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)); }

std::string ReadAvailable(int fd) {
  std::string got;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

struct Pipe {
  int r = -1, w = -1;
  explicit Pipe(bool nonblocking_write) {
    int fds[2];
    EXPECT_EQ(0, pipe2(fds, O_CLOEXEC));
    r = fds[0];
    w = fds[1];
    SetNonBlocking(r);
    if (nonblocking_write) SetNonBlocking(w);
  }
  ~Pipe() {
    close(r);
    close(w);
  }
};

void CloseStream(OutputStream* s) {
  close(s->pipe_fd);
  close(s->child_fd);
}

TEST(OutputFormat, WholeLinesOnePerCall) {
  auto s = NewStream();
  ASSERT_EQ(5, AppendPending(s.get(), "a\nbb\n", 5, 0));
  ASSERT_TRUE(FormatNextLine(s.get(), "web", false));
  EXPECT_EQ("web | a\n", TakeOut(s.get()));
  ASSERT_TRUE(FormatNextLine(s.get(), "web", false));
  EXPECT_EQ("web | bb\n", TakeOut(s.get()));
  EXPECT_FALSE(FormatNextLine(s.get(), "web", false));
  EXPECT_EQ(0, s->pending_len);
}

TEST(OutputFormat, BusyOutIsNotOverwritten) {
  auto s = NewStream();
  AppendPending(s.get(), "one\ntwo\n", 8, 0);
  ASSERT_TRUE(FormatNextLine(s.get(), "web", false));
  EXPECT_TRUE(FormatNextLine(s.get(), "web", false));  // still the first line
  EXPECT_EQ("web | one\n", TakeOut(s.get()));
  ASSERT_TRUE(FormatNextLine(s.get(), "web", false));
  EXPECT_EQ("web | two\n", TakeOut(s.get()));
}

TEST(OutputFormat, SeveralLinesAndAPartialInOneRead) {
  auto s = NewStream();
  auto lines = FeedAll(s.get(), "x\ny\npart");
  EXPECT_EQ((std::vector<std::string>{"web | x\n", "web | y\n"}), lines);
  EXPECT_EQ("part", std::string(s->pending, static_cast<size_t>(s->pending_len)));
  ASSERT_TRUE(FormatNextLine(s.get(), "web", true));
  EXPECT_EQ("web | part\n", TakeOut(s.get()));
}

TEST(OutputFormat, EmptyLinesAreKept) {
  auto s = NewStream();
  EXPECT_EQ((std::vector<std::string>{"web | \n", "web | \n", "web | z\n"}), FeedAll(s.get(), "\n\nz\n"));
}

TEST(OutputFormat, AppendTakesOnlyTheFreeSpace) {
  auto s = NewStream();
  std::string big(kMaxLine + 10, 'q');
  EXPECT_EQ(kMaxLine, AppendPending(s.get(), big.data(), static_cast<int>(big.size()), 0));
  EXPECT_EQ(0, AppendPending(s.get(), "r", 1, 0));
}

void ExpectChunks(size_t length) {
  auto s = NewStream();
  std::string text;
  for (size_t i = 0; i < length; i++) text.push_back(static_cast<char>('a' + i % 26));
  auto lines = FeedAll(s.get(), text + "\nnext\n");
  size_t chunks = (length + kMaxLine - 1) / kMaxLine;
  ASSERT_EQ(chunks + 1, lines.size()) << "no empty line after a split line";
  std::string joined;
  for (size_t i = 0; i < chunks; i++) {
    const std::string& l = lines[i];
    ASSERT_EQ("web | ", l.substr(0, 6));
    ASSERT_EQ('\n', l.back());
    size_t expect = i + 1 < chunks ? kMaxLine : length - (chunks - 1) * kMaxLine;
    ASSERT_EQ(expect, l.size() - 7) << "chunk " << i;
    joined += l.substr(6, l.size() - 7);
  }
  EXPECT_EQ(text, joined);
  EXPECT_EQ("web | next\n", lines.back());
}

TEST(OutputFormat, LongLineIsSplitIntoWholeChunks) {
  ExpectChunks(100 * 1024);  // 25 full chunks and a rest
  ExpectChunks(25 * kMaxLine);  // exactly full chunks: the newline is no extra line
}

TEST(OutputFormat, SplitDoesNotCutAUtf8Character) {
  auto s = NewStream();
  std::string text = std::string(kMaxLine - 1, 'a') + "\xc3\xa9" + "b\n";  // é straddles the limit
  auto lines = FeedAll(s.get(), text);
  ASSERT_EQ(2u, lines.size());
  EXPECT_EQ(static_cast<size_t>(6 + kMaxLine - 1 + 1), lines[0].size());
  EXPECT_EQ("web | \xc3\xa9" "b\n", lines[1]);
}

TEST(OutputFormat, ForcedPartialThenItsNewlineGivesNoEmptyLine) {
  auto s = NewStream();
  FeedAll(s.get(), "abc");
  ASSERT_TRUE(FormatNextLine(s.get(), "web", true));
  EXPECT_EQ("web | abc\n", TakeOut(s.get()));
  EXPECT_EQ((std::vector<std::string>{"web | d\n", "web | \n"}), FeedAll(s.get(), "\nd\n\n"));
}

// The partial line is written at the deadline, not before.
TEST(OutputPipe, PartialLineFlushedAfterDeadlineOnly) {
  Pipe target(true);
  auto s = NewStream();
  ASSERT_TRUE(OpenOutputStream(s.get(), target.w).ok);
  ASSERT_EQ(3, write(s->child_fd, "abc", 3));
  OutputOnReadable(s.get(), "web", 1000);
  EXPECT_EQ("", ReadAvailable(target.r));
  EXPECT_EQ(1000 + kPartialFlush, OutputDeadline(*s));
  OutputOnTimer(s.get(), "web", 1000 + kPartialFlush - 1);
  EXPECT_EQ("", ReadAvailable(target.r));
  OutputOnTimer(s.get(), "web", 1000 + kPartialFlush);
  EXPECT_EQ("web | abc\n", ReadAvailable(target.r));
  EXPECT_EQ(0, OutputDeadline(*s));
  ASSERT_EQ(5, write(s->child_fd, "def\n\n", 5));  // the rest of the line, then one empty line
  OutputOnReadable(s.get(), "web", 5000);
  EXPECT_EQ("web | def\nweb | \n", ReadAvailable(target.r));
  CloseStream(s.get());
}

// Two sidecars write 10,000 lines each through their pipes to one target;
// the handlers run in a poll loop like the supervisor's. Every line arrives
// whole, prefixed, in order, none lost, none mixed with another.
void RunManyLines(bool nonblocking_target) {
  Pipe target(nonblocking_target);
  constexpr int kLines = 10000;
  const char* names[2] = {"web", "db"};
  std::unique_ptr<OutputStream> streams[2] = {NewStream(), NewStream()};
  std::vector<std::string> expected[2];
  for (int k = 0; k < 2; k++) {
    ASSERT_TRUE(OpenOutputStream(streams[k].get(), target.w).ok);
    for (int i = 0; i < kLines; i++)
      expected[k].push_back(std::to_string(i) + " " + std::string(static_cast<size_t>((i * 37 + k) % 300), 'x'));
  }
  std::vector<std::thread> writers;
  for (int k = 0; k < 2; k++) {
    writers.emplace_back([&, k] {
      std::string all;
      for (auto& l : expected[k]) all += l + "\n";
      // Uneven write sizes, so lines are cut across reads.
      for (size_t off = 0, step = 1; off < all.size(); step = step * 7 % 9001 + 1) {
        size_t n = std::min(step, all.size() - off);
        ssize_t w = write(streams[k]->child_fd, all.data() + off, n);
        if (w > 0) off += static_cast<size_t>(w);
      }
    });
  }
  std::atomic<bool> done{false};
  std::string received;
  std::thread reader([&] {
    size_t newlines = 0;
    while (newlines < 2 * kLines) {
      struct pollfd p = {target.r, POLLIN, 0};
      if (poll(&p, 1, 10000) <= 0) break;
      std::string got = ReadAvailable(target.r);
      for (char c : got) newlines += c == '\n';
      received += got;
    }
    done = true;
  });
  // now = 0 throughout: no partial line is ever due, so even a slow writer
  // thread cannot make a line be flushed in two pieces.
  while (!done) {
    struct pollfd fds[4];
    int n = 0;
    for (auto& s : streams) {
      if (WantsRead(*s)) fds[n++] = {s->pipe_fd, POLLIN, 0};
      if (WantsWrite(*s)) fds[n++] = {s->target, POLLOUT, 0};
    }
    poll(fds, static_cast<nfds_t>(n), 50);
    for (int k = 0; k < 2; k++) {
      OutputOnReadable(streams[k].get(), names[k], 0);
      OutputOnWritable(streams[k].get(), names[k], 0);
    }
  }
  for (auto& w : writers) w.join();
  reader.join();
  size_t next[2] = {0, 0};
  size_t pos = 0;
  while (pos < received.size()) {
    size_t nl = received.find('\n', pos);
    ASSERT_NE(std::string::npos, nl);
    std::string line = received.substr(pos, nl - pos);
    pos = nl + 1;
    int k = line.rfind("web | ", 0) == 0 ? 0 : line.rfind("db | ", 0) == 0 ? 1 : -1;
    ASSERT_NE(-1, k) << "line without prefix: " << line.substr(0, 80);
    std::string text = line.substr(strlen(names[k]) + 3);
    ASSERT_LT(next[k], expected[k].size());
    ASSERT_EQ(expected[k][next[k]], text) << names[k] << " line " << next[k];
    next[k]++;
  }
  EXPECT_EQ(static_cast<size_t>(kLines), next[0]);
  EXPECT_EQ(static_cast<size_t>(kLines), next[1]);
  for (auto& s : streams) CloseStream(s.get());
}

TEST(OutputPipe, TenThousandLinesWholeAndInOrder) { RunManyLines(true); }
// A target that could not be reopened non-blocking: written only when
// poll says so.
TEST(OutputPipe, TenThousandLinesBlockingTarget) { RunManyLines(false); }

// Nobody reads the target: the handlers return, the stream stops reading
// its pipe, and it resumes once the target drains. alarm() turns a blocking
// call into a failed (killed) test instead of a hang.
void RunBackPressure(bool nonblocking_target) {
  Pipe target(nonblocking_target);
  Pipe other(true);
  auto s = NewStream();
  auto quiet = NewStream();
  ASSERT_TRUE(OpenOutputStream(s.get(), target.w).ok);
  ASSERT_TRUE(OpenOutputStream(quiet.get(), other.w).ok);
  SetNonBlocking(s->child_fd);  // the test itself must not block either
  alarm(20);
  std::string line(999, 'f');
  line += '\n';
  long written = 0;
  for (int round = 0; round < 100000; round++) {
    ssize_t n = write(s->child_fd, line.data(), line.size());
    if (n > 0) written += n;
    OutputOnReadable(s.get(), "flood", 0);
    OutputOnWritable(s.get(), "flood", 0);
    if (n < 0 && !WantsRead(*s)) break;
  }
  EXPECT_FALSE(WantsRead(*s));
  EXPECT_TRUE(WantsWrite(*s));
  EXPECT_GT(written, 65536L);
  // Another sidecar is not held up.
  ASSERT_EQ(3, write(quiet->child_fd, "ok\n", 3));
  OutputOnReadable(quiet.get(), "quiet", 0);
  EXPECT_EQ("quiet | ok\n", ReadAvailable(other.r));
  // The target drains: the stalled line goes out whole and reading resumes.
  std::string drained = ReadAvailable(target.r);
  OutputOnWritable(s.get(), "flood", 0);
  drained += ReadAvailable(target.r);
  alarm(0);
  EXPECT_EQ(0u, drained.size() % (line.size() + 8)) << "only whole lines";
  EXPECT_EQ(0u, drained.rfind("flood | ", 0));
  EXPECT_TRUE(WantsRead(*s) || WantsWrite(*s));
  CloseStream(s.get());
  CloseStream(quiet.get());
}

TEST(OutputPipe, BackPressureNeverBlocks) { RunBackPressure(true); }
TEST(OutputPipe, BackPressureNeverBlocksOnBlockingTarget) { RunBackPressure(false); }

// A socket target (cannot be reopened through /proc) may take part of a
// line; the rest is written later, nothing is repeated or lost. The socket
// stays blocking, as the main's shared stdout would be.
TEST(OutputPipe, SocketTargetPartialWritesKeepTheRest) {
  int sv[2];
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  int small = 4096;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  SetNonBlocking(sv[1]);
  auto s = NewStream();
  ASSERT_TRUE(OpenOutputStream(s.get(), sv[0]).ok);
  SetNonBlocking(s->child_fd);
  alarm(20);
  std::string expected;
  std::string received;
  int i = 0;
  for (int round = 0; round < 2000; round++) {
    std::string text = std::to_string(i) + std::string(static_cast<size_t>(i % 3000), 'y') + "\n";
    if (write(s->child_fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())) {
      expected += "web | " + text;
      i++;
    }
    OutputOnReadable(s.get(), "web", 0);
    OutputOnWritable(s.get(), "web", 0);
    if (round % 50 == 49) received += ReadAvailable(sv[1]);  // drain now and then
  }
  for (int round = 0; round < 1000 && received.size() < expected.size(); round++) {
    OutputOnWritable(s.get(), "web", 0);
    received += ReadAvailable(sv[1]);
  }
  alarm(0);
  EXPECT_GT(i, 100);
  EXPECT_EQ(expected.size(), received.size());
  EXPECT_TRUE(expected == received);
  close(sv[0]);
  close(sv[1]);
  CloseStream(s.get());
}

// A terminal takes as much of a write as fits: the rest of the line must be
// written later, nothing repeated or lost.
TEST(OutputPipe, TerminalPartialWritesKeepTheRest) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(0, grantpt(master));
  ASSERT_EQ(0, unlockpt(master));
  int slave = open(ptsname(master), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(slave, 0);
  struct termios tio;
  ASSERT_EQ(0, tcgetattr(slave, &tio));
  cfmakeraw(&tio);  // no "\n" -> "\r\n", so the bytes come out as written
  ASSERT_EQ(0, tcsetattr(slave, TCSANOW, &tio));
  SetNonBlocking(master);
  auto s = NewStream();
  ASSERT_TRUE(OpenOutputStream(s.get(), slave).ok);
  SetNonBlocking(s->child_fd);
  alarm(20);
  std::string expected;
  std::string received;
  int i = 0;
  for (int round = 0; round < 3000; round++) {
    std::string text = std::to_string(i) + std::string(static_cast<size_t>(i * 131 % 3001), 't') + "\n";
    if (write(s->child_fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())) {
      expected += "tty | " + text;
      i++;
    }
    OutputOnReadable(s.get(), "tty", 0);
    OutputOnWritable(s.get(), "tty", 0);
    if (round % 40 == 39) received += ReadAvailable(master);
  }
  for (int round = 0; round < 5000 && received.size() < expected.size(); round++) {
    OutputOnWritable(s.get(), "tty", 0);
    received += ReadAvailable(master);
  }
  alarm(0);
  EXPECT_GT(i, 100);
  EXPECT_EQ(expected.size(), received.size());
  EXPECT_TRUE(expected == received);
  close(slave);
  close(master);
  CloseStream(s.get());
}

// A target whose reader is gone: lines are dropped (no SIGPIPE), the
// sidecar's pipe keeps being read so the sidecar never stalls.
TEST(OutputPipe, DeadTargetDropsLinesWithoutSignal) {
  int fds[2];
  ASSERT_EQ(0, pipe2(fds, O_CLOEXEC | O_NONBLOCK));
  close(fds[0]);
  sighandler_t old = signal(SIGPIPE, SIG_DFL);  // a SIGPIPE would kill the test
  auto s = NewStream();
  ASSERT_TRUE(OpenOutputStream(s.get(), fds[1]).ok);
  ASSERT_EQ(4, write(s->child_fd, "hi\n\n", 4));
  OutputOnReadable(s.get(), "web", 0);
  EXPECT_TRUE(WantsRead(*s));
  EXPECT_FALSE(WantsWrite(*s));
  signal(SIGPIPE, old);
  close(fds[1]);
  CloseStream(s.get());
}

TEST(OutputTargets, ReopenedNonBlockingWithoutChangingTheOriginal) {
  int fds[2];
  ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
  int saved_out = dup(1);
  int saved_err = dup(2);
  ASSERT_EQ(1, dup2(fds[1], 1));
  int devnull = open("/dev/null", O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_EQ(2, dup2(devnull, 2));
  OutputTargets t;
  OpenOutputTargets(&t);
  int out_fl = fcntl(t.out, F_GETFL);
  int orig_fl = fcntl(1, F_GETFL);
  int err_fl = fcntl(t.err, F_GETFL);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  EXPECT_NE(1, t.out);
  EXPECT_NE(2, t.err);
  EXPECT_TRUE(out_fl & O_NONBLOCK);
  EXPECT_FALSE(orig_fl & O_NONBLOCK) << "the main's stdout must stay blocking";
  EXPECT_TRUE(err_fl & O_APPEND);
  EXPECT_TRUE(fcntl(t.out, F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(3, write(t.out, "hey", 3));
  char buf[8] = {};
  EXPECT_EQ(3, read(fds[0], buf, sizeof buf));
  for (int fd : {t.out, t.err, saved_out, saved_err, devnull, fds[0], fds[1]}) close(fd);
}

TEST(OutputTargets, PipeEndsAreCloseOnExecAndOnlyTheReadEndNonBlocking) {
  auto s = NewStream();
  ASSERT_TRUE(OpenOutputStream(s.get(), 1).ok);
  EXPECT_TRUE(fcntl(s->pipe_fd, F_GETFL) & O_NONBLOCK);
  EXPECT_FALSE(fcntl(s->child_fd, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(fcntl(s->pipe_fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(fcntl(s->child_fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(1, s->target);
  CloseStream(s.get());
}

}  // namespace
