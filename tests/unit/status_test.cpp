// The state file and "cinit status": text format, probe answers, and the
// file system side (atomic replace, symlinks, unusable directories).
#include "status.h"
#include "status_row.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace {

std::string Format(const StatusTable& t) {
  char buf[kStatusTextSize];
  int n = FormatStatus(t, buf, sizeof buf);
  return std::string(buf, static_cast<size_t>(n));
}

// A fresh directory under /tmp, removed (with what the tests put there) at
// the end.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/cinit-status-test.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path + "'";
    int ignored = system(cmd.c_str());
    (void)ignored;
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

std::string ReadFile(const std::string& path) {
  std::string text;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "<missing>";
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(fd);
  return text;
}

// Runs fn with fd (1 or 2) sent to a temporary file; returns what was written.
template <class F>
std::string Capture(int fd, F fn) {
  FILE* tmp = tmpfile();
  int saved = dup(fd);
  dup2(fileno(tmp), fd);
  fn();
  dup2(saved, fd);
  close(saved);
  std::string text;
  rewind(tmp);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, tmp)) > 0) text.append(buf, n);
  fclose(tmp);
  return text;
}

int CountLines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

StatusTable Sample() {
  StatusTable t;
  t.rows[0] = Row("migrate", ProcKind::kInit, ProcState::kExited, 0, false, 0, 0);
  t.rows[1] = Row("db-proxy", ProcKind::kSidecar, ProcState::kRunning, 12, true, 3, 137);
  t.rows[2] = Row("main", ProcKind::kMain, ProcState::kRunning, 7, true);
  t.count = 3;
  return t;
}

TEST(StatusText, FormatIsTheDocumentedOne) {
  EXPECT_EQ(
      "NAME KIND STATE PID READY RESTARTS LAST\n"
      "migrate init exited - no 0 0\n"
      "db-proxy sidecar running 12 yes 3 137\n"
      "main main running 7 yes 0 -\n",
      Format(Sample()));
}

TEST(StatusText, RoundTrip) {
  StatusTable in = Sample();
  in.rows[3] = Row("x.y_z-9", ProcKind::kSidecar, ProcState::kBackoff, 0, false, 4294967295u, 255);
  in.count = 4;
  std::string text = Format(in);
  StatusTable out;
  ASSERT_TRUE(ParseStatus(text, &out));
  ASSERT_EQ(in.count, out.count);
  for (int i = 0; i < in.count; i++) {
    EXPECT_STREQ(in.rows[i].name, out.rows[i].name);
    EXPECT_EQ(in.rows[i].kind, out.rows[i].kind);
    EXPECT_EQ(in.rows[i].state, out.rows[i].state);
    EXPECT_EQ(in.rows[i].pid, out.rows[i].pid);
    EXPECT_EQ(in.rows[i].ready, out.rows[i].ready);
    EXPECT_EQ(in.rows[i].restarts, out.rows[i].restarts);
    EXPECT_EQ(in.rows[i].last_status, out.rows[i].last_status);
  }
  EXPECT_EQ(text, Format(out));
}

TEST(StatusText, AFullTableFits) {
  StatusTable t;
  for (int i = 0; i <= kMaxDecls; i++)
    t.rows[i] = Row(std::string(kMaxNameLen, static_cast<char>('a' + i)).c_str(), ProcKind::kSidecar,
                    ProcState::kStopping, 2147483647, true, 4294967295u, 255);
  t.count = kMaxDecls + 1;
  std::string text = Format(t);
  EXPECT_LT(text.size(), static_cast<size_t>(kStatusTextSize) - 1);
  StatusTable back;
  EXPECT_TRUE(ParseStatus(text, &back));
  EXPECT_EQ(t.count, back.count);
}

TEST(StatusText, MalformedIsRejected) {
  StatusTable t;
  const std::string h = "NAME KIND STATE PID READY RESTARTS LAST\n";
  EXPECT_FALSE(ParseStatus("", &t));
  EXPECT_FALSE(ParseStatus("main main running 7 no 0 -\n", &t));               // no header
  EXPECT_FALSE(ParseStatus(h + "main main running 7 no 0 -", &t));             // cut: no final newline
  EXPECT_FALSE(ParseStatus(h + "main main running 7 no 0\n", &t));             // 6 fields
  EXPECT_FALSE(ParseStatus(h + "main main running 7 no 0 - x\n", &t));         // 8 fields
  EXPECT_FALSE(ParseStatus(h + "main boss running 7 no 0 -\n", &t));           // kind
  EXPECT_FALSE(ParseStatus(h + "main main sleeping 7 no 0 -\n", &t));          // state
  EXPECT_FALSE(ParseStatus(h + "main main running 7 maybe 0 -\n", &t));        // ready
  EXPECT_FALSE(ParseStatus(h + "main main running x7 no 0 -\n", &t));          // pid
  EXPECT_FALSE(ParseStatus(h + "main main running 7 no 0 256\n", &t));         // last
  EXPECT_FALSE(ParseStatus(h + "main  main running 7 no 0 -\n", &t));          // double space
  EXPECT_FALSE(ParseStatus(h + std::string(kMaxNameLen + 1, 'n') + " main running 7 no 0 -\n", &t));
  EXPECT_TRUE(ParseStatus(h, &t));
  EXPECT_EQ(0, t.count);
}

int Ask(const StatusTable& t, bool ready, bool live, const char* name = nullptr) {
  StatusQuery q;
  q.ready = ready;
  q.live = live;
  q.name = name;
  return EvaluateStatus(t, q);
}

TEST(StatusProbe, DuringStartup) {
  StatusTable t;
  t.rows[0] = Row("migrate", ProcKind::kInit, ProcState::kExited, 0, false, 0, 0);
  t.rows[1] = Row("proxy", ProcKind::kSidecar, ProcState::kStarting, 10, false);
  t.rows[2] = Row("main", ProcKind::kMain, ProcState::kPending, 0, false);
  t.count = 3;
  EXPECT_EQ(1, Ask(t, true, false));
  EXPECT_EQ(1, Ask(t, false, true));
  EXPECT_EQ(0, Ask(t, false, false));
  EXPECT_EQ(0, Ask(t, false, true, "proxy"));
  EXPECT_EQ(1, Ask(t, true, false, "proxy"));
  EXPECT_EQ(0, Ask(t, true, false, "migrate"));
  EXPECT_EQ(1, Ask(t, false, true, "main"));
}

TEST(StatusProbe, Running) {
  StatusTable t = Sample();
  EXPECT_EQ(0, Ask(t, true, false));
  EXPECT_EQ(0, Ask(t, false, true));
  EXPECT_EQ(0, Ask(t, true, false, "main"));
  EXPECT_EQ(0, Ask(t, true, false, "db-proxy"));
  // A failed init task (impossible while the main runs, but) is ignored.
  t.rows[0].state = ProcState::kFailed;
  EXPECT_EQ(0, Ask(t, true, false));
  EXPECT_EQ(0, Ask(t, false, true));
  EXPECT_EQ(1, Ask(t, false, true, "migrate"));
}

TEST(StatusProbe, SidecarNotReady) {
  StatusTable t = Sample();
  t.rows[1].ready = false;
  EXPECT_EQ(1, Ask(t, true, false));
  EXPECT_EQ(0, Ask(t, false, true));
  t.rows[1].ready = true;
  t.rows[1].state = ProcState::kBackoff;  // restarting: not ready, still alive
  EXPECT_EQ(1, Ask(t, true, false));
  EXPECT_EQ(0, Ask(t, false, true));
  EXPECT_EQ(0, Ask(t, false, true, "db-proxy"));
}

TEST(StatusProbe, SidecarFailed) {
  StatusTable t = Sample();
  t.rows[1].state = ProcState::kFailed;
  t.rows[1].ready = false;
  EXPECT_EQ(1, Ask(t, false, true));
  EXPECT_EQ(1, Ask(t, true, false));
  EXPECT_EQ(1, Ask(t, false, true, "db-proxy"));
  EXPECT_EQ(0, Ask(t, false, true, "main"));
  EXPECT_EQ(0, Ask(t, false, false));
}

TEST(StatusProbe, MainGoneOrMissing) {
  StatusTable t = Sample();
  t.rows[2].state = ProcState::kExited;
  EXPECT_EQ(1, Ask(t, true, false));
  EXPECT_EQ(1, Ask(t, false, true));
  t.count = 2;  // no main row at all
  EXPECT_EQ(1, Ask(t, true, false));
  EXPECT_EQ(1, Ask(t, false, true));
}

TEST(StatusProbe, MainNotYetNotifiedIsLiveButNotReady) {
  StatusTable t = Sample();
  t.rows[2].ready = false;  // --ready notify, no READY=1 yet
  EXPECT_EQ(1, Ask(t, true, false));
  EXPECT_EQ(1, Ask(t, true, false, "main"));
  EXPECT_EQ(0, Ask(t, false, true));
  EXPECT_EQ(0, Ask(t, false, true, "main"));
}

TEST(StatusProbe, UnknownNameFails) {
  StatusTable t = Sample();
  EXPECT_EQ(1, Ask(t, false, false, "nope"));
  EXPECT_EQ(0, Ask(t, false, false, "main"));
}

TEST(StatusFile, WriteThenStatusCommand) {
  TempDir d;
  StateFile sf;
  OpenStateDir(d.path.c_str(), &sf);
  ASSERT_GE(sf.dir_fd, 0);
  std::string text = Format(Sample());
  WriteStateFile(&sf, text.data(), static_cast<int>(text.size()));
  EXPECT_EQ(text, ReadFile(d / "state"));
  struct stat st;
  ASSERT_EQ(0, stat((d / "state").c_str(), &st));
  EXPECT_EQ(0644u, st.st_mode & 0777 & ~0022u);
  EXPECT_NE(0, access((d / "state.new").c_str(), F_OK));
  StatusQuery q;
  q.ready = true;
  int code = -1;
  EXPECT_EQ(text, Capture(1, [&] { code = RunStatusCommand(q, d.path.c_str()); }));
  EXPECT_EQ(0, code);
  q.name = "db-proxy";
  EXPECT_EQ("NAME KIND STATE PID READY RESTARTS LAST\ndb-proxy sidecar running 12 yes 3 137\n",
            Capture(1, [&] { code = RunStatusCommand(q, d.path.c_str()); }));
  EXPECT_EQ(0, code);
  q.name = "ghost";
  std::string err = Capture(2, [&] { code = RunStatusCommand(q, d.path.c_str()); });
  EXPECT_EQ(1, code);
  EXPECT_EQ(0u, err.rfind("cinit: ", 0));
  close(sf.dir_fd);
}

TEST(StatusFile, NoStateFile) {
  TempDir d;
  StatusQuery q;
  int code = 0;
  std::string err = Capture(2, [&] { code = RunStatusCommand(q, d.path.c_str()); });
  EXPECT_EQ(1, code);
  EXPECT_EQ("cinit: no state file in " + d.path + ": is cinit running with --state-dir " + d.path + " (or CINIT_STATE_DIR)?\n", err);
}

// A reader never sees a partial or mixed file while the writer replaces it.
TEST(StatusFile, ReplacementIsAtomic) {
  TempDir d;
  StateFile sf;
  OpenStateDir(d.path.c_str(), &sf);
  ASSERT_GE(sf.dir_fd, 0);
  StatusTable big;
  for (int i = 0; i <= kMaxDecls; i++)
    big.rows[i] = Row(("sidecar-" + std::to_string(i)).c_str(), ProcKind::kSidecar, ProcState::kRunning, 100 + i, true);
  big.count = kMaxDecls + 1;
  const std::string texts[2] = {Format(Sample()), Format(big)};
  WriteStateFile(&sf, texts[0].data(), static_cast<int>(texts[0].size()));
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, bad{0};
  std::thread reader([&] {
    while (!stop) {
      std::string got = ReadFile(d / "state");
      StatusTable t;
      if ((got != texts[0] && got != texts[1]) || !ParseStatus(got, &t)) bad++;
      reads++;
    }
  });
  for (int i = 0; i < 2000; i++) {
    const std::string& t = texts[i % 2];
    WriteStateFile(&sf, t.data(), static_cast<int>(t.size()));
  }
  stop = true;
  reader.join();
  EXPECT_EQ(0, bad.load());
  EXPECT_GT(reads.load(), 10);
  EXPECT_FALSE(sf.warned);
  close(sf.dir_fd);
}

TEST(StatusFile, MissingDirectoryWarnsOnce) {
  TempDir d;
  StateFile sf;
  std::string dir = d / "no/such/dir";
  std::string err = Capture(2, [&] {
    OpenStateDir(dir.c_str(), &sf);
    for (int i = 0; i < 5; i++) WriteStateFile(&sf, "x\n", 2);
  });
  EXPECT_EQ(-1, sf.dir_fd);
  EXPECT_EQ(1, CountLines(err)) << err;
  EXPECT_EQ(0u, err.rfind("cinit: ", 0));
}

// A directory cinit may not write to. Root may write anywhere, so the check
// runs in a child that drops to nobody when the test runs as root.
TEST(StatusFile, ReadOnlyDirectoryWarnsOnce) {
  TempDir d;
  std::string dir = d / "ro";
  ASSERT_EQ(0, mkdir(dir.c_str(), 0555));
  chmod(d.path.c_str(), 0755);
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fds[1], 2);
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    StateFile sf;
    OpenStateDir(dir.c_str(), &sf);
    for (int i = 0; i < 5; i++) WriteStateFile(&sf, "x\n", 2);
    _exit(sf.dir_fd == -1 && sf.warned ? 0 : 2);
  }
  close(fds[1]);
  std::string err;
  char buf[1024];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status));
  EXPECT_EQ(1, CountLines(err)) << err;
  EXPECT_NE(std::string::npos, err.find(dir));
  EXPECT_EQ("<missing>", ReadFile(dir + "/state"));
}

// The directory works but writing fails later (here: a non-empty directory
// squats on state.new): one warning, the old state stays, cinit goes on.
TEST(StatusFile, FailedWriteWarnsOnceAndKeepsOldState) {
  TempDir d;
  StateFile sf;
  OpenStateDir(d.path.c_str(), &sf);
  ASSERT_GE(sf.dir_fd, 0);
  WriteStateFile(&sf, "old\n", 4);
  ASSERT_EQ(0, mkdir((d / "state.new").c_str(), 0755));
  ASSERT_EQ(0, mkdir((d / "state.new/x").c_str(), 0755));
  std::string err = Capture(2, [&] {
    for (int i = 0; i < 5; i++) WriteStateFile(&sf, "new\n", 4);
  });
  EXPECT_EQ(1, CountLines(err)) << err;
  EXPECT_EQ("old\n", ReadFile(d / "state"));
  close(sf.dir_fd);
}

TEST(StatusFile, SymlinkAsStateDirIsNotFollowed) {
  TempDir d;
  std::string real = d / "real";
  std::string link = d / "link";
  ASSERT_EQ(0, mkdir(real.c_str(), 0755));
  ASSERT_EQ(0, symlink(real.c_str(), link.c_str()));
  StateFile sf;
  std::string err = Capture(2, [&] {
    OpenStateDir(link.c_str(), &sf);
    WriteStateFile(&sf, "x\n", 2);
  });
  EXPECT_EQ(-1, sf.dir_fd);
  EXPECT_EQ(1, CountLines(err));
  EXPECT_EQ("<missing>", ReadFile(real + "/state"));
  // Reading does not follow it either.
  std::string text = Format(Sample());
  int fd = open((real + "/state").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_EQ(static_cast<ssize_t>(text.size()), write(fd, text.data(), text.size()));
  close(fd);
  StatusQuery q;
  int code = 0;
  Capture(1, [&] { Capture(2, [&] { code = RunStatusCommand(q, link.c_str()); }); });
  EXPECT_EQ(1, code);
}

TEST(StatusFile, PlantedStateNewIsReplacedNotWrittenThrough) {
  TempDir d;
  std::string victim = d / "victim";
  int fd = open(victim.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_EQ(6, write(fd, "secret", 6));
  close(fd);
  std::string dir = d / "state-dir";
  StateFile sf;
  OpenStateDir(dir.c_str(), &sf);
  ASSERT_GE(sf.dir_fd, 0);
  alarm(20);  // a fifo opened for writing would block forever
  for (int kind = 0; kind < 3; kind++) {
    std::string planted = dir + "/state.new";
    if (kind == 0) {
      ASSERT_EQ(0, symlink(victim.c_str(), planted.c_str()));
    }
    if (kind == 1) {
      ASSERT_EQ(0, link(victim.c_str(), planted.c_str()));
    }
    if (kind == 2) {
      ASSERT_EQ(0, mkfifo(planted.c_str(), 0644));
    }
    std::string text = "round " + std::to_string(kind) + "\n";
    WriteStateFile(&sf, text.data(), static_cast<int>(text.size()));
    EXPECT_EQ("secret", ReadFile(victim)) << kind;
    EXPECT_EQ(text, ReadFile(dir + "/state")) << kind;
    struct stat st;
    ASSERT_EQ(0, lstat((dir + "/state").c_str(), &st));
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(1u, st.st_nlink);
  }
  alarm(0);
  EXPECT_FALSE(sf.warned);
  close(sf.dir_fd);
}

}  // namespace
