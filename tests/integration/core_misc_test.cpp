// The rest of the main child's contract (SPEC §2, §3): no wake-ups while
// idle, --pdeathsig, --user, descriptors, working directories.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "harness.h"

namespace cinit_test {
namespace {

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

long VoluntarySwitches(pid_t pid) { return atol(ProcStatusField(pid, "voluntary_ctxt_switches").c_str()); }

// "No timers, no polling, zero wake-ups while nothing happens."
TEST(CoreMisc, NoWakeupsWhileTheChildSleeps) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  Channel ch(dir);
  Options options;
  options.env = {"FIFO=" + ch.path()};
  options.args = {"--", "sh", "-c", "echo up > \"$FIFO\"; exec sleep 30"};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("up")) << cinit.Describe();
  // cinit may be finishing its start; begin once it sleeps in its wait.
  ASSERT_TRUE(WaitUntil([&] { return ProcState(cinit.pid()) == 'S'; })) << cinit.Describe();
  long before = VoluntarySwitches(cinit.pid());
  std::this_thread::sleep_for(Ms(2000));  // the measurement window, not a synchronisation
  long after = VoluntarySwitches(cinit.pid());
  EXPECT_EQ(after, before) << "cinit woke up " << after - before << " times in 2 s of idling";
  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_EQ(cinit.Wait().status(), 128 + SIGTERM) << cinit.Describe();
}

// cinit's parent dies (an intermediate process outside any namespace):
// -p USR1 makes cinit act as if it had received USR1, i.e. forward it.
TEST(CoreMisc, PdeathsigForwardsWhenTheParentDies) {
  CINIT_REQUIRE_SUBREAPER();
  TempDir dir;
  Channel ch(dir);
  Options options;
  options.mode = Mode::kSubreaper;
  options.intermediate_parent = true;
  options.args = {"-p", "USR1", "--", ProbePath(), "sigrecord", ch.path(), "main", "10"};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("main ready")) << cinit.Describe();
  cinit.ReleaseParent();
  auto line = ch.ReadLine(Ms(5000));
  EXPECT_EQ(line.value_or("nothing"), "main 10") << "USR1 not forwarded after the parent died\n"
                                                 << cinit.Describe();
  EXPECT_EQ(cinit.Wait(Ms(5000)).status(), 0) << cinit.Describe();
}

void ExpectIds(const std::vector<std::string>& user_args, const std::string& uid, const std::string& gid) {
  std::vector<std::string> args = user_args;
  for (const char* w : {"--", "cat", "/proc/self/status"}) args.push_back(w);
  auto r = RunCinit(args);
  ASSERT_EQ(r.exit.status(), 0) << r.Describe();
  EXPECT_EQ(Words(StatusField(r.out, "Uid")), std::vector<std::string>(4, uid)) << r.out;
  EXPECT_EQ(Words(StatusField(r.out, "Gid")), std::vector<std::string>(4, gid)) << r.out;
  EXPECT_EQ(StatusField(r.out, "Groups"), "") << "supplementary groups must be dropped\n" << r.out;
}

TEST(CoreMisc, UserRunsTheChildAsThatUser) {
  CINIT_REQUIRE_ROOT();
  ExpectIds({"--user", "nobody"}, "65534", "65534");
  ExpectIds({"-u", "65534:65534"}, "65534", "65534");
  ExpectIds({"--user", "1234:4321"}, "1234", "4321");
}

TEST(CoreMisc, ChildGetsOnlyPassedDescriptors) {
  CINIT_REQUIRE_ROOT();
  int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int b = open("/dev/null", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  Options options;
  options.fds = {{a, 5}, {b, 7}};
  options.args = {"--", ProbePath(), "fds"};
  auto r = RunCinit(options);
  EXPECT_EQ(r.exit.status(), 0) << r.Describe();
  EXPECT_EQ(r.out, "0 1 2 5 7\n") << "descriptors of the child";
  options.fds.clear();
  auto none = RunCinit(options);
  EXPECT_EQ(none.out, "0 1 2\n") << "descriptors of the child";
  close(a);
  close(b);
}

TEST(CoreMisc, CinitClosesPassedDescriptorsAndMovesToRoot) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  Channel ch(dir);
  int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(a, 0);
  Options options;
  options.fds = {{a, 5}, {a, 7}};
  options.cwd = dir.path();
  options.env = {"FIFO=" + ch.path()};
  options.args = {"--", "sh", "-c", "echo up > \"$FIFO\"; exec sleep 30"};
  Cinit cinit(options);
  close(a);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("up")) << cinit.Describe();
  // Closed right after the child is started; allow for that moment.
  std::vector<int> fds;
  bool closed = WaitUntil([&] {
    fds = OpenFds(cinit.pid());
    return std::count(fds.begin(), fds.end(), 5) + std::count(fds.begin(), fds.end(), 7) == 0;
  }, Ms(2000));
  EXPECT_TRUE(closed) << "cinit keeps the descriptors it passed on";
  char cwd[4096] = {};
  ssize_t n = readlink(("/proc/" + std::to_string(cinit.pid()) + "/cwd").c_str(), cwd, sizeof cwd - 1);
  ASSERT_GT(n, 0);
  EXPECT_STREQ(cwd, "/") << "cinit must not keep its start directory busy";
  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_EQ(cinit.Wait().status(), 128 + SIGTERM) << cinit.Describe();
}

TEST(CoreMisc, ChildKeepsTheWorkingDirectory) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  char real[4096];
  ASSERT_NE(realpath(dir.path().c_str(), real), nullptr);
  Options options;
  options.cwd = dir.path();
  options.args = {"--", "sh", "-c", "pwd -P"};
  auto r = RunCinit(options);
  EXPECT_EQ(r.exit.status(), 0) << r.Describe();
  EXPECT_EQ(r.out, std::string(real) + "\n") << "the image's WORKDIR is the main's";
}

}  // namespace
}  // namespace cinit_test
