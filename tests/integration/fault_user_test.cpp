// --user NAME against a missing or malformed /etc/passwd (and /etc/group):
// cinit resolves every user before anything starts, so each of these is a
// usage error: one clear "cinit: " line naming the user and the file, exit
// 125, nothing run. A numeric user needs no database and still works.
//
// The files are replaced in cinit's own mount namespace by the wrap helper
// (a tmpfs over /etc, or a file bind-mounted over /etc/passwd), so the
// host's files are never touched.
#include <sys/stat.h>
#include <unistd.h>

#include "fault_storm.h"

namespace cinit_test {
namespace {

struct Case {
  const char* name;
  std::string passwd;
};

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; i++) out += s;
  return out;
}

// Runs cinit with `wrap` options and --user USER; expects a refusal.
void ExpectRefused(const std::vector<std::string>& wrap, const std::vector<std::string>& cinit_args,
                   const std::string& must_mention, Ms timeout = kDefaultTimeout) {
  TempDir dir;
  Options options;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state")};
  options.args = cinit_args;
  for (std::string w : {std::string("--"), std::string("sh"), std::string("-c"), "echo ran > " + dir.Path("ran")})
    options.args.push_back(w);
  RunResult r = hard::RunWrapped(options, wrap, timeout);
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_FALSE(dir.Exists("ran")) << "nothing may run when a user cannot be resolved";
  ASSERT_FALSE(r.err.empty()) << r.Describe();
  std::vector<std::string> lines = Lines(r.err);
  EXPECT_EQ(lines.size(), 1u) << "one line saying what is wrong\n" << r.Describe();
  EXPECT_EQ(lines[0].rfind("cinit: ", 0), 0u) << r.Describe();
  EXPECT_NE(r.err.find(must_mention), std::string::npos) << r.Describe();
}

TEST(FaultUser, MissingPasswdWithUserName) {
  CINIT_REQUIRE_ROOT();
  // An empty /etc: no passwd, no group.
  ExpectRefused({"--tmpfs", "/etc"}, {"--user", "nobody"}, "/etc/passwd");
}

TEST(FaultUser, MissingPasswdWithSidecarUserName) {
  CINIT_REQUIRE_ROOT();
  ExpectRefused({"--tmpfs", "/etc"}, {"--sidecar", "side user=nobody -- sleep 60"}, "/etc/passwd");
}

// The message names the user and the file once, not twice.
TEST(FaultUser, MissingPasswdMessageIsNotRepeated) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  Options options;
  options.args = {"--user", "nobody", "--", "true"};
  RunResult r = hard::RunWrapped(options, {"--tmpfs", "/etc"});
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_EQ(hard::CountLines(r.err, "--user nobody: --user nobody"), 0)
      << "the user is named twice in one message\n" << r.Describe();
}

TEST(FaultUser, MalformedPasswdWithUserName) {
  CINIT_REQUIRE_ROOT();
  std::string garbage;
  for (int i = 0; i < 4096; i++) garbage += static_cast<char>((i * 7919 + 13) % 256);
  std::vector<Case> cases = {
      {"empty", ""},
      {"binary", garbage},
      {"uid not a number", "nobody:x:abc:65534::/:/bin/false\n"},
      {"gid not a number", "nobody:x:65534:-1::/:/bin/false\n"},
      {"uid out of range", "nobody:x:4294967295:65534::/:/bin/false\n"},
      {"too few fields", "nobody:x:65534\n"},
      {"one word", "nobody\n"},
      {"only colons", "::::::\n:::\n"},
      {"NUL inside the name", std::string("nob\0dy:x:65534:65534::/:/bin/false\n", 35)},
      {"name with spaces", " nobody :x:65534:65534::/:/bin/false\n"},
      {"no newline, one long line", Repeat("a", 60000)},
      {"larger than cinit reads", Repeat("user:x:1000:1000::/home/user:/bin/sh\n", 3000) +
                                      "nobody:x:65534:65534::/:/bin/false\n"},
      {"comment only", "# nobody:x:65534:65534::/:/bin/false\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    dir.Write("passwd", c.passwd);
    ExpectRefused({"--bind", dir.Path("passwd"), "/etc/passwd"}, {"--user", "nobody"}, "nobody");
  }
}

// /etc/passwd that is not a regular file: a directory, /dev/zero (endless),
// a FIFO nobody writes to (opening it would wait forever). Each is refused
// at once; PID 1 must not block on its own configuration.
TEST(FaultUser, PasswdThatIsNotAFile) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  ASSERT_EQ(mkdir(dir.Path("a-directory").c_str(), 0755), 0);
  std::string fifo = dir.MakeFifo("a-fifo");
  for (std::string target : {dir.Path("a-directory"), std::string("/dev/zero"), fifo}) {
    SCOPED_TRACE(target);
    // An empty /etc with passwd a symlink to the target.
    ExpectRefused({"--tmpfs", "/etc", "--symlink", target, "/etc/passwd"}, {"--user", "nobody"}, "nobody",
                  Ms(3000));
  }
}

TEST(FaultUser, MalformedGroupWithUserAndGroupName) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  dir.Write("passwd", "nobody:x:65534:65534::/:/bin/false\n");
  dir.Write("group", "nogroup:x:notanumber:\n:::\n");
  ExpectRefused({"--bind", dir.Path("passwd"), "/etc/passwd", "--bind", dir.Path("group"), "/etc/group"},
                {"--user", "nobody:nogroup"}, "nogroup");
}

// A numeric user needs no passwd entry: with /etc empty, the main still
// runs, with that uid (and the same gid, as runc does).
TEST(FaultUser, NumericUserNeedsNoPasswd) {
  CINIT_REQUIRE_ROOT();
  Options options;
  options.args = {"--user", "65534", "--", "sh", "-c", "[ \"$(id -u):$(id -g)\" = 65534:65534 ] && exit 42"};
  RunResult r = hard::RunWrapped(options, {"--tmpfs", "/etc"});
  EXPECT_EQ(r.exit.status(), 42) << r.Describe();
}

// cinit without the right to switch users (not root, no CAP_SETUID): the
// child cannot drop to the user (setgroups fails first), reports it through
// the exec pipe and exits 125 before exec; nothing runs as the wrong user.
// For the main that is cinit's status; a sidecar is retried with backoff
// and the main is unaffected.
TEST(FaultUser, UserSwitchFailureBeforeExec) {
  CINIT_REQUIRE_ROOT();
  CINIT_REQUIRE_SUBREAPER();
  TempDir dir;
  ASSERT_EQ(chmod(dir.path().c_str(), 0777), 0);
  Options options;
  options.mode = Mode::kSubreaper;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state")};
  options.args = {"--user", "1234", "--", "sh", "-c", "echo ran > " + dir.Path("ran")};
  RunResult r = hard::RunWrapped(options, {"--uid", "65534"});
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_FALSE(dir.Exists("ran"));
  EXPECT_NE(r.err.find("cinit: cannot switch sh to its user: Operation not permitted"), std::string::npos)
      << r.Describe();

  // A sidecar with user=: its failed starts are retried with backoff; the
  // main (no user=) runs and its status is cinit's.
  Channel go(dir, "go");
  options.env.push_back("GO=" + go.path());
  options.args = {"-v", "--sidecar", "side user=1234 backoff=20ms backoff-max=40ms -- sh -c 'echo ran > " +
                  dir.Path("side-ran") + "'", "--", "sh", "-c", "read x < \"$GO\"; exit 7"};
  auto cinit = hard::StartWrapped(options, {"--uid", "65534"});
  ASSERT_TRUE(cinit->started()) << cinit->error();
  EXPECT_TRUE(WaitUntil([&] {
    return hard::CountLines(cinit->Stderr(), "side exited with 125; restarting in") >= 3;
  })) << cinit->Describe();
  ASSERT_TRUE(go.Send("go"));
  EXPECT_EQ(cinit->Wait().status(), 7) << cinit->Describe();
  EXPECT_FALSE(dir.Exists("side-ran"));
  EXPECT_GE(hard::CountLines(cinit->Stderr(), "cinit: cannot switch side to its user: Operation not permitted"), 3)
      << cinit->Describe();
}

}  // namespace
}  // namespace cinit_test
