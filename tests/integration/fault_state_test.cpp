// The state directory (SPEC §6, README "Status for probes") when it is
// read-only, missing, a symlink, or has symlinks (or other traps) planted
// in it: cinit never writes through a link, never fails because of the
// state file, and warns once, not once per change.
//
// To make sure a state change happened (and was written, or refused) the
// tests drive a sidecar that crash-loops a bounded number of times: each
// exit and each restart rewrites the state.
#include <fstream>
#include <optional>
#include <vector>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault_storm.h"

namespace cinit_test {
namespace {

// A sidecar that fails quickly 6 times and then stays FAILED: about a dozen
// state changes in a fraction of a second.
const char kFlappingSidecar[] = "flap backoff=10ms max-restarts=5 -- sh -c 'exit 1'";

// Diagnostics that are about the state file.
int StateWarnings(const std::string& err) {
  int n = 0;
  for (const auto& line : Lines(err))
    if (line.find("state") != std::string::npos) n++;
  return n;
}

std::string Describe(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return path + ": missing";
  char mode[16];
  snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
  const char* type = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "symlink" : "other";
  return path + ": " + type + " " + mode;
}

// Runs a main that waits for "go", with the flapping sidecar; once the
// sidecar has failed for good (and cinit is idle), calls check(cinit) and
// lets the main exit 5. Returns cinit's stderr.
std::string RunFlapping(Options options, const std::vector<std::string>& wrap,
                        const std::function<void(Cinit&)>& check = nullptr) {
  TempDir dir;
  Channel ch(dir);
  Channel go(dir, "go");
  options.env.push_back("FIFO=" + ch.path());
  options.env.push_back("GO=" + go.path());
  options.args = {"--sidecar", kFlappingSidecar, "--", "sh", "-c",
                  "echo up > \"$FIFO\"; read x < \"$GO\"; exit 5"};
  auto cinit = wrap.empty() ? std::make_unique<Cinit>(options) : hard::StartWrapped(options, wrap);
  EXPECT_TRUE(cinit->started()) << cinit->error();
  if (!cinit->started()) return "";
  ch.Watch(*cinit);
  EXPECT_TRUE(ch.WaitForLine("up")) << cinit->Describe();
  EXPECT_TRUE(WaitUntil([&] { return cinit->Stderr().find("sidecar flap failed") != std::string::npos; }))
      << cinit->Describe();
  EXPECT_TRUE(hard::WaitIdle(cinit->pid())) << cinit->Describe();
  if (check) check(*cinit);
  EXPECT_TRUE(go.Send("go"));
  ExitInfo exit = cinit->Wait();
  EXPECT_EQ(exit.status(), 5) << "the state file must never change the outcome\n" << cinit->Describe();
  return cinit->Stderr();
}

TEST(FaultState, ReadOnlyStateDirWarnsOnce) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  ASSERT_EQ(mkdir(dir.Path("ro").c_str(), 0755), 0);
  Options options;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("ro")};
  std::string err = RunFlapping(options, {"--ro-tmpfs", dir.Path("ro")});
  EXPECT_EQ(StateWarnings(err), 1) << err;
  EXPECT_NE(err.find("Read-only file system"), std::string::npos) << err;
}

TEST(FaultState, MissingStateDirIsCreated) {
  CINIT_REQUIRE_SUBREAPER();
  TempDir dir;
  Options options;
  options.mode = Mode::kSubreaper;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("new")};
  std::string state;
  std::string err = RunFlapping(options, {}, [&](Cinit&) { state = dir.Read("new/state"); });
  EXPECT_EQ(StateWarnings(err), 0) << err;
  EXPECT_NE(state.find("flap sidecar failed"), std::string::npos) << state;
  EXPECT_EQ(Describe(dir.Path("new")), dir.Path("new") + ": dir 0755");
  EXPECT_EQ(Describe(dir.Path("new/state")), dir.Path("new/state") + ": file 0644");
  EXPECT_EQ(Describe(dir.Path("new/state.new")), dir.Path("new/state.new") + ": missing");
}

TEST(FaultState, StateDirWithMissingParentWarnsOnce) {
  CINIT_REQUIRE_SUBREAPER();
  TempDir dir;
  Options options;
  options.mode = Mode::kSubreaper;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("no/such/dir")};
  std::string err = RunFlapping(options, {});
  EXPECT_EQ(StateWarnings(err), 1) << err;
  EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
  EXPECT_FALSE(dir.Exists("no"));
}

// CINIT_STATE_DIR itself is a symlink (to a directory someone else
// controls): refused, not followed.
TEST(FaultState, StateDirThatIsASymlinkIsNotFollowed) {
  CINIT_REQUIRE_SUBREAPER();
  TempDir dir;
  ASSERT_EQ(mkdir(dir.Path("elsewhere").c_str(), 0755), 0);
  ASSERT_EQ(symlink(dir.Path("elsewhere").c_str(), dir.Path("link").c_str()), 0);
  Options options;
  options.mode = Mode::kSubreaper;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("link")};
  std::string err = RunFlapping(options, {});
  EXPECT_EQ(StateWarnings(err), 1) << err;
  EXPECT_NE(err.find("symlink is not followed"), std::string::npos) << err;
  EXPECT_FALSE(dir.Exists("elsewhere/state"));
  EXPECT_FALSE(dir.Exists("elsewhere/state.new"));
}

// Symlinks, a hard link and a FIFO planted at state and state.new before
// cinit starts: each is replaced, nothing is written through them, and the
// state file ends up a regular 0644 file.
TEST(FaultState, TrapsPlantedInStateDirAreReplacedNotFollowed) {
  CINIT_REQUIRE_SUBREAPER();
  struct Trap {
    const char* name;
    std::function<void(const TempDir&)> plant;
  };
  std::vector<Trap> traps = {
      {"symlinks", [](const TempDir& d) {
         ASSERT_EQ(symlink(d.Path("victim1").c_str(), d.Path("state/state.new").c_str()), 0);
         ASSERT_EQ(symlink(d.Path("victim2").c_str(), d.Path("state/state").c_str()), 0);
       }},
      {"dangling symlink", [](const TempDir& d) {
         ASSERT_EQ(symlink(d.Path("created-through-link").c_str(), d.Path("state/state.new").c_str()), 0);
       }},
      {"hard link", [](const TempDir& d) {
         ASSERT_EQ(link(d.Path("victim1").c_str(), d.Path("state/state.new").c_str()), 0);
         ASSERT_EQ(link(d.Path("victim2").c_str(), d.Path("state/state").c_str()), 0);
       }},
      {"fifo", [](const TempDir& d) { d.MakeFifo("state/state.new"); }},
  };
  for (const Trap& trap : traps) {
    SCOPED_TRACE(trap.name);
    TempDir dir;
    dir.Write("victim1", "precious 1\n");
    dir.Write("victim2", "precious 2\n");
    ASSERT_EQ(mkdir(dir.Path("state").c_str(), 0755), 0);
    trap.plant(dir);
    Options options;
    options.mode = Mode::kSubreaper;
    options.env = {"CINIT_STATE_DIR=" + dir.Path("state")};
    std::string state;
    std::string err = RunFlapping(options, {}, [&](Cinit&) { state = dir.Read("state/state"); });
    EXPECT_EQ(dir.Read("victim1"), "precious 1\n");
    EXPECT_EQ(dir.Read("victim2"), "precious 2\n");
    EXPECT_FALSE(dir.Exists("created-through-link"));
    EXPECT_EQ(Describe(dir.Path("state/state")), dir.Path("state/state") + ": file 0644");
    EXPECT_NE(state.find("flap sidecar failed"), std::string::npos) << state;
    EXPECT_LE(StateWarnings(err), 1) << err;
  }
}

// The same traps planted while cinit runs (between two writes): still
// nothing written through them.
TEST(FaultState, SymlinksPlantedWhileRunningAreNotFollowed) {
  CINIT_REQUIRE_SUBREAPER();
  TempDir dir;
  dir.Write("victim1", "precious 1\n");
  dir.Write("victim2", "precious 2\n");
  Options options;
  options.mode = Mode::kSubreaper;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state")};
  TempDir run;
  Channel ch(run);
  Channel go(run, "go");
  options.env.push_back("FIFO=" + ch.path());
  options.env.push_back("GO=" + go.path());
  // The sidecar exits when told, and its restart rewrites the state.
  options.args = {"--sidecar", "side backoff=10ms -- sh -c 'read x < \"$GO\"; exit 1'",
                  "--", "sh", "-c", "echo up > \"$FIFO\"; exec sleep 60"};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("up")) << cinit.Describe();
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  ASSERT_TRUE(dir.Exists("state/state"));
  ASSERT_EQ(unlink(dir.Path("state/state").c_str()), 0);
  ASSERT_EQ(symlink(dir.Path("victim1").c_str(), dir.Path("state/state.new").c_str()), 0);
  ASSERT_EQ(symlink(dir.Path("victim2").c_str(), dir.Path("state/state").c_str()), 0);
  ASSERT_TRUE(go.Send("exit"));
  ASSERT_TRUE(WaitUntil([&] { return dir.Read("state/state").find("side sidecar") != std::string::npos; }))
      << Describe(dir.Path("state/state"));
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  EXPECT_EQ(dir.Read("victim1"), "precious 1\n");
  EXPECT_EQ(dir.Read("victim2"), "precious 2\n");
  EXPECT_EQ(Describe(dir.Path("state/state")), dir.Path("state/state") + ": file 0644");
  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_EQ(cinit.Wait().status(), 128 + SIGTERM) << cinit.Describe();
  EXPECT_EQ(StateWarnings(cinit.Stderr()), 0) << cinit.Describe();
}

// The state file becomes impossible to replace while cinit runs (a
// non-empty directory now sits at its name): every later write fails, and
// cinit warns once and goes on. No state.new is left behind.
TEST(FaultState, StateFileThatCannotBeReplacedWarnsOnce) {
  CINIT_REQUIRE_SUBREAPER();
  TempDir dir;
  Options options;
  options.mode = Mode::kSubreaper;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state")};
  TempDir run;
  Channel ch(run);
  Channel go(run, "go");
  options.env.push_back("FIFO=" + ch.path());
  options.env.push_back("GO=" + go.path());
  options.args = {"--sidecar", "flap backoff=10ms max-restarts=5 -- sh -c 'read x < \"$GO\"; exit 1'",
                  "--", "sh", "-c", "echo up > \"$FIFO\"; exec sleep 60"};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("up")) << cinit.Describe();
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  ASSERT_EQ(unlink(dir.Path("state/state").c_str()), 0);
  ASSERT_EQ(mkdir(dir.Path("state/state").c_str(), 0755), 0);
  dir.Write("state/state/keep", "x");
  // Six exits, each followed by a state change or two.
  for (int i = 0; i < 6; i++) ASSERT_TRUE(go.Send("exit"));
  ASSERT_TRUE(WaitUntil([&] { return cinit.Stderr().find("sidecar flap failed") != std::string::npos; }))
      << cinit.Describe();
  ASSERT_TRUE(hard::WaitIdle(cinit.pid()));
  EXPECT_FALSE(dir.Exists("state/state.new"));
  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_EQ(cinit.Wait().status(), 128 + SIGTERM) << cinit.Describe();
  EXPECT_EQ(StateWarnings(cinit.Stderr()), 1) << cinit.Describe();
}

// Points TMPDIR elsewhere for the test's own files, so that /tmp can be
// replaced in cinit's mount namespace.
class TmpdirGuard {
 public:
  explicit TmpdirGuard(const char* dir) {
    const char* old = getenv("TMPDIR");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TMPDIR", dir, 1);
  }
  ~TmpdirGuard() {
    if (had_) setenv("TMPDIR", old_.c_str(), 1);
    else unsetenv("TMPDIR");
  }

 private:
  bool had_ = false;
  std::string old_;
};

// The default places (/run/cinit, /dev/shm/cinit, /tmp/cinit) are all symlinks to a
// directory an attacker controls: neither is followed, one warning, and the
// container runs as usual. Checked inside cinit's own mount namespace
// (/proc/PID/root) while it runs.
// The binaries under test, copied out of /tmp and /run when the build lives
// there (a checkout under /tmp), since the test mounts tmpfs over both.
class BinariesOutsideTmp {
 public:
  BinariesOutsideTmp() {
    for (auto [var, path] : {std::pair{"CINIT_TEST_BINARY", CinitPath()}, std::pair{"CINIT_TEST_PROBE", ProbePath()}}) {
      if (path.rfind("/tmp/", 0) != 0 && path.rfind("/run/", 0) != 0) continue;
      std::string copy = dir_.Path(path.substr(path.rfind('/') + 1));
      std::ifstream in(path, std::ios::binary);
      std::ofstream(copy, std::ios::binary) << in.rdbuf();
      chmod(copy.c_str(), 0755);
      const char* old = getenv(var);
      saved_.push_back({var, old ? std::optional<std::string>(old) : std::nullopt});
      setenv(var, copy.c_str(), 1);
    }
  }
  ~BinariesOutsideTmp() {
    for (auto& [var, old] : saved_) {
      if (old) setenv(var, old->c_str(), 1);
      else unsetenv(var);
    }
  }

 private:
  TmpdirGuard tmpdir_{"/var/tmp"};
  TempDir dir_;
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

TEST(FaultState, DefaultStateDirsThatAreSymlinksAreNotFollowed) {
  CINIT_REQUIRE_ROOT();
  TmpdirGuard tmpdir("/var/tmp");
  TempDir dir;
  Channel ch(dir);
  Channel go(dir, "go");
  Options options;
  options.env = {"FIFO=" + ch.path(), "GO=" + go.path()};
  // Nothing from /tmp (hidden below): a shell main and the channels in /var/tmp.
  options.args = {"--", "sh", "-c", "echo ready > \"$FIFO\"; read x < \"$GO\"; exit 0"};
  auto cinit = hard::StartWrapped(options, {"--tmpfs", "/run", "--tmpfs", "/tmp", "--tmpfs", "/dev/shm", "--mkdir",
                                            "/tmp/elsewhere", "--symlink", "/tmp/elsewhere", "/run/cinit",
                                            "--symlink", "/tmp/elsewhere", "/dev/shm/cinit", "--symlink",
                                            "/tmp/elsewhere", "/tmp/cinit"});
  ASSERT_TRUE(cinit->started()) << cinit->error();
  ch.Watch(*cinit);
  ASSERT_TRUE(ch.WaitForLine("ready")) << cinit->Describe();
  ASSERT_TRUE(hard::WaitIdle(cinit->pid()));
  std::string elsewhere = "/proc/" + std::to_string(cinit->pid()) + "/root/tmp/elsewhere";
  EXPECT_EQ(access(elsewhere.c_str(), F_OK), 0) << "cannot look into cinit's mount namespace";
  EXPECT_NE(access((elsewhere + "/state").c_str(), F_OK), 0) << "a symlinked default directory was followed";
  EXPECT_NE(access((elsewhere + "/state.new").c_str(), F_OK), 0) << "a symlinked default directory was followed";
  ASSERT_TRUE(go.Send("go"));
  EXPECT_EQ(cinit->Wait().status(), 0) << cinit->Describe();
  std::string err = cinit->Stderr();
  EXPECT_EQ(StateWarnings(err), 1) << err;
  EXPECT_NE(err.find("/run/cinit: not a directory (a symlink is not followed)"), std::string::npos) << err;
  EXPECT_NE(err.find("/tmp/cinit: not a directory (a symlink is not followed)"), std::string::npos) << err;
  EXPECT_NE(err.find("/dev/shm/cinit: not a directory (a symlink is not followed)"), std::string::npos) << err;
}

// /dev/shm/cinit (a tmpfs in Docker and Kubernetes) comes after /run/cinit
// and before /tmp/cinit, for cinit and for `cinit status` alike.
TEST(FaultState, DevShmIsTheFallbackBeforeTmp) {
  CINIT_REQUIRE_ROOT();
  BinariesOutsideTmp binaries;
  TempDir dir;
  Channel ch(dir);
  Channel go(dir, "go");
  Options options;
  options.env = {"FIFO=" + ch.path(), "GO=" + go.path(), "D=" + dir.path()};
  options.args = {"--", "sh", "-c",
                  "\"$0\" status > \"$D/status.out\" 2>&1; echo ready > \"$FIFO\"; read x < \"$GO\"; exit 0",
                  CinitPath()};
  // /run/cinit is unusable (a symlink), /dev/shm and /tmp are fresh tmpfs.
  auto cinit = hard::StartWrapped(options, {"--tmpfs", "/run", "--tmpfs", "/tmp", "--tmpfs", "/dev/shm", "--mkdir",
                                            "/tmp/elsewhere", "--symlink", "/tmp/elsewhere", "/run/cinit"});
  ASSERT_TRUE(cinit->started()) << cinit->error();
  ch.Watch(*cinit);
  ASSERT_TRUE(ch.WaitForLine("ready")) << cinit->Describe();
  std::string root = "/proc/" + std::to_string(cinit->pid()) + "/root";
  EXPECT_EQ(access((root + "/dev/shm/cinit/state").c_str(), F_OK), 0) << "no state file in /dev/shm/cinit";
  EXPECT_NE(access((root + "/tmp/cinit").c_str(), F_OK), 0) << "/tmp/cinit was used before /dev/shm/cinit";
  EXPECT_NE(dir.Read("status.out").find("main main running"), std::string::npos) << dir.Read("status.out");
  ASSERT_TRUE(go.Send("go"));
  EXPECT_EQ(cinit->Wait().status(), 0) << cinit->Describe();
  EXPECT_EQ(StateWarnings(cinit->Stderr()), 0) << cinit->Describe();
}

// --state-dir DIR is CINIT_STATE_DIR: cinit writes there, and `cinit status
// --state-dir DIR` (or with CINIT_STATE_DIR) reads there.
TEST(FaultState, StateDirOptionForCinitAndStatus) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  Channel ch(dir);
  Channel go(dir, "go");
  Options options;
  options.env = {"FIFO=" + ch.path(), "GO=" + go.path(), "D=" + dir.path()};
  options.args = {"--state-dir", dir.Path("st"), "--", "sh", "-c",
                  "\"$0\" status --state-dir \"$D/st\" > \"$D/flag.out\" 2>&1; "
                  "CINIT_STATE_DIR=\"$D/st\" \"$0\" status --live > \"$D/env.out\" 2>&1; echo \"live $?\" >> \"$D/env.out\"; "
                  "\"$0\" status --state-dir \"$D/nowhere\" 2> \"$D/none.out\"; echo \"none $?\" >> \"$D/none.out\"; "
                  "echo ready > \"$FIFO\"; read x < \"$GO\"",
                  CinitPath()};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ch.Watch(cinit);
  ASSERT_TRUE(ch.WaitForLine("ready")) << cinit.Describe();
  EXPECT_NE(dir.Read("st/state").find("main main running"), std::string::npos) << dir.Read("st/state");
  EXPECT_NE(dir.Read("flag.out").find("main main running"), std::string::npos) << dir.Read("flag.out");
  EXPECT_NE(dir.Read("env.out").find("live 0"), std::string::npos) << dir.Read("env.out");
  EXPECT_NE(dir.Read("none.out").find("no state file in " + dir.Path("nowhere")), std::string::npos)
      << dir.Read("none.out");
  EXPECT_NE(dir.Read("none.out").find("none 1"), std::string::npos) << dir.Read("none.out");
  ASSERT_TRUE(go.Send("go"));
  EXPECT_EQ(cinit.Wait().status(), 0) << cinit.Describe();
}

}  // namespace
}  // namespace cinit_test
