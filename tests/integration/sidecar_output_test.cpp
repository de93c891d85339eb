// Sidecar output (SPEC §4 log=, README "Output"): with --log-prefix (or
// log=prefix) every line of a sidecar becomes "NAME | line" on the same
// stream, written whole: lines of two busy sidecars never tear or mix, none
// is lost, a long line is split into whole chunks, a partial line is
// flushed after a while. cinit never blocks on its own stdout: with nobody
// reading it, signals still reach the main, restarts go on, and cinit still
// exits when the main does.
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "harness.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

size_t CountLines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

// Two sidecars print 1..10000 each, flat out, at the same time.
TEST(SidecarOutput, TwoBusySidecarsNeverTearOrLoseLines) {
  CINIT_REQUIRE_ROOT();
  constexpr int kLines = 10000;
  SidecarRun run;
  auto seq = [&](const std::string& name) {
    return name + " -- sh -c 'busybox seq 1 " + std::to_string(kLines) + "; echo " + name +
           "-done > $EV; read x < $HOLD'";
  };
  Cinit cinit(run.MakeOptions(
      {"--log-prefix", "--sidecar", seq("a"), "--sidecar", seq("b"), "--", "sh", "-c", "read x < $GO; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  auto done = ReadLines(run.ev, 2, Ms(20000));
  std::sort(done.begin(), done.end());
  ASSERT_EQ(done, (std::vector<std::string>{"a-done", "b-done"})) << cinit.Describe();
  // Everything the sidecars wrote is in cinit's pipes or already out; what
  // is still in a pipe must come out before cinit exits.
  ASSERT_TRUE(run.go.Send("go"));
  ASSERT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Stderr();

  std::string out = cinit.Stdout();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  int next_a = 1, next_b = 1;
  size_t bad = 0;
  std::string first_bad;
  for (const auto& line : Lines(out)) {
    int* next = line.rfind("a | ", 0) == 0 ? &next_a : line.rfind("b | ", 0) == 0 ? &next_b : nullptr;
    if (next != nullptr && line.substr(4) == std::to_string(*next)) {
      ++*next;
      continue;
    }
    if (bad++ == 0) first_bad = line;
  }
  EXPECT_EQ(bad, 0u) << "torn, mixed or out-of-order lines; the first: '" << first_bad << "'";
  EXPECT_EQ(next_a, kLines + 1) << "lines of a lost";
  EXPECT_EQ(next_b, kLines + 1) << "lines of b lost";
  EXPECT_EQ(CountLines(out), static_cast<size_t>(2 * kLines));
}

// One 100,000-byte line comes out as whole prefixed chunks that add up to
// exactly the line.
TEST(SidecarOutput, LongLineIsSplitIntoWholeChunks) {
  CINIT_REQUIRE_ROOT();
  constexpr size_t kSize = 100000;
  SidecarRun run;
  Cinit cinit(run.MakeOptions(
      {"--log-prefix", "--sidecar",
       "big -- sh -c 'busybox head -c " + std::to_string(kSize) +
           " /dev/zero | busybox tr \"\\0\" x; echo; echo after; echo big-done > $EV; read x < $HOLD'",
       "--", "sh", "-c", "read x < $GO; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("big-done")) << cinit.Describe();
  ASSERT_TRUE(run.go.Send("go"));
  ASSERT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Stderr();

  std::string out = cinit.Stdout();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  auto lines = Lines(out);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.back(), "big | after");
  lines.pop_back();
  std::string joined;
  for (const auto& line : lines) {
    ASSERT_EQ(line.rfind("big | ", 0), 0u) << "a chunk without its prefix: " << line.substr(0, 80);
    std::string text = line.substr(6);
    EXPECT_FALSE(text.empty()) << "an empty chunk";
    EXPECT_LE(text.size(), 4096u) << "a chunk too long to be written whole";
    joined += text;
  }
  EXPECT_GE(lines.size(), 2u) << "a 100 KB line was not split";
  EXPECT_EQ(joined.size(), kSize);
  EXPECT_EQ(joined.find_first_not_of('x'), std::string::npos);
}

// stdout stays stdout and stderr stays stderr; a partial line is written
// while the sidecar still runs; log= overrides the global setting.
TEST(SidecarOutput, StreamsPartialLinesAndOverrides) {
  CINIT_REQUIRE_ROOT();
  {
    SidecarRun run;
    Cinit cinit(run.MakeOptions(
        {"--log-prefix",                                                                            //
         "--sidecar", "s -- sh -c 'echo to-out; echo to-err >&2; printf partial; read x < $HOLD'",  //
         "--sidecar", "raw log=inherit -- sh -c 'echo raw-line; read x < $HOLD'",                   //
         "--", "sh", "-c", "read x < $GO; exit 0"}));
    ASSERT_TRUE(cinit.started()) << cinit.error();
    // No newline ever follows "partial": it must come out on its own.
    EXPECT_TRUE(WaitUntil([&] {
      auto out = Lines(cinit.Stdout());
      return std::find(out.begin(), out.end(), "s | partial") != out.end() &&
             std::find(out.begin(), out.end(), "raw-line") != out.end();
    })) << cinit.Describe();
    EXPECT_TRUE(WaitUntil([&] { return cinit.Stderr().find("s | to-err\n") != std::string::npos; }))
        << cinit.Describe();
    ASSERT_TRUE(run.go.Send("go"));
    ASSERT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Describe();
    auto out = Lines(cinit.Stdout());
    std::sort(out.begin(), out.end());
    EXPECT_EQ(out, (std::vector<std::string>{"raw-line", "s | partial", "s | to-out"})) << cinit.Describe();
    EXPECT_EQ(LinesStartingWith(cinit.Stderr(), "s | "), std::vector<std::string>{"s | to-err"})
        << cinit.Describe();
  }
  {
    // Without --log-prefix output passes through untouched, except with log=prefix.
    SidecarRun run;
    Cinit cinit(run.MakeOptions({"--sidecar", "pre log=prefix -- sh -c 'echo one; read x < $HOLD'",  //
                                 "--sidecar", "plain -- sh -c 'echo two; read x < $HOLD'",           //
                                 "--", "sh", "-c", "read x < $GO; exit 0"}));
    ASSERT_TRUE(cinit.started()) << cinit.error();
    EXPECT_TRUE(WaitUntil([&] { return CountLines(cinit.Stdout()) >= 2; })) << cinit.Describe();
    ASSERT_TRUE(run.go.Send("go"));
    ASSERT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Describe();
    auto out = Lines(cinit.Stdout());
    std::sort(out.begin(), out.end());
    EXPECT_EQ(out, (std::vector<std::string>{"pre | one", "two"})) << cinit.Describe();
  }
}

// cinit's stdout is a pipe nobody reads, and a sidecar floods it. Once the
// pipe is full, cinit must still forward signals, restart sidecars, and
// exit when the main exits.
TEST(SidecarOutput, BlockedStdoutDoesNotBlockCinit) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  auto options = run.MakeOptions(
      {"--log-prefix",                                                              //
       "--sidecar", "flood -- sh -c 'echo flood-start > $EV; exec yes flooding'",  //
       "--sidecar", "ticker backoff=100ms -- sh -c 'echo tick > $EV; exit 0'",      //
       "--", "sh", "-c", "trap 'echo main-usr1 > $EV; exit 0' USR1; echo main-start > $EV; while :; do sleep 0.1; done"});
  options.fds = {{pipe_fds[1], 1}};  // replaces the harness's stdout file
  Cinit cinit(options);
  close(pipe_fds[1]);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  ASSERT_TRUE(run.ev.WaitForLine("main-start")) << cinit.Describe();

  int queued = 0;
  EXPECT_TRUE(WaitUntil([&] { return ioctl(pipe_fds[0], FIONREAD, &queued) == 0 && queued >= 60000; }))
      << "the pipe never filled up: " << queued << " bytes";
  // Full for a while now; the loop must still be turning.
  EXPECT_EQ(ReadLinesWithPrefix(run.ev, "tick", 3).size(), 3u) << "restarts stopped\n" << cinit.Describe();
  ASSERT_TRUE(cinit.Signal(SIGUSR1));
  std::vector<std::string> skipped;
  EXPECT_TRUE(run.ev.WaitForLine("main-usr1", kDefaultTimeout, &skipped))
      << "USR1 did not reach the main while stdout was blocked\n" << cinit.Describe();
  auto exit = cinit.Wait(Ms(15000));
  EXPECT_EQ(exit.status(), 0) << "cinit must exit with the main\n" << cinit.Describe();
  close(pipe_fds[0]);
}

}  // namespace
}  // namespace cinit_test
