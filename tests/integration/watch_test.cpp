// Reacting to configuration changes (SPEC §7): --watch PATH:SIGNAL sends
// SIGNAL to the main, watch=PATH on-change=restart|SIGNAL acts on a
// sidecar, once per burst of changes (100 ms quiet, at most 1 s).
//
// The Kubernetes ConfigMap update is reproduced exactly as kubelet's atomic
// writer does it: a new "..TIMESTAMP" directory with the files, a
// "..data_tmp" symlink to it renamed over "..data", then the old directory
// removed; the user-visible names are symlinks "KEY -> ..data/KEY".
//
// The main is the probe's signal recorder: it writes "main N" to $EV for
// each signal N, so the test counts exactly what reached it.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <thread>

#include "harness.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

void MustMkdir(const std::string& path) { ASSERT_EQ(mkdir(path.c_str(), 0755), 0) << path << ": " << strerror(errno); }
void MustSymlink(const std::string& target, const std::string& link) {
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0) << link << ": " << strerror(errno);
}
void MustRename(const std::string& from, const std::string& to) {
  ASSERT_EQ(rename(from.c_str(), to.c_str()), 0) << from << ": " << strerror(errno);
}
void WriteFile(const std::string& path, const std::string& text) {
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  fputs(text.c_str(), f);
  fclose(f);
}

// A mounted ConfigMap with the key app.conf, as kubelet lays it out.
struct ConfigMap {
  std::string dir;
  std::string current;
  int version = 0;

  explicit ConfigMap(std::string d) : dir(std::move(d)) {
    MustMkdir(dir);
    current = NewVersion();
    MustSymlink(current, dir + "/..data");
    MustSymlink("..data/app.conf", dir + "/app.conf");
  }
  std::string NewVersion() {
    char name[64];
    snprintf(name, sizeof name, "..2026_12_07_10_00_%02d.%09d", version, 123456789 + version);
    version++;
    MustMkdir(dir + "/" + name);
    WriteFile(dir + "/" + name + "/app.conf", "version " + std::to_string(version) + "\n");
    return name;
  }
  // kubelet's update: new directory, ..data_tmp -> it, rename over ..data,
  // remove the old directory.
  void Swap() {
    std::string next = NewVersion();
    MustSymlink(next, dir + "/..data_tmp");
    MustRename(dir + "/..data_tmp", dir + "/..data");
    ASSERT_EQ(unlink((dir + "/" + current + "/app.conf").c_str()), 0);
    ASSERT_EQ(rmdir((dir + "/" + current).c_str()), 0);
    current = next;
  }
};

std::vector<std::string> MainArgs(const SidecarRun& run) {
  (void)run;
  return {"--", ProbePath(), "sigrecord", run.ev.path(), "main", "15"};
}

// Lines "main N" read until `quiet` passes without one (after the first
// within `first`), each signal counted.
std::map<int, int> CountSignals(Channel& ch, Ms first, Ms quiet) {
  std::map<int, int> counts;
  Ms wait = first;
  for (;;) {
    auto line = ch.ReadLine(wait);
    if (!line) return counts;
    if (line->rfind("main ", 0) == 0) counts[atoi(line->c_str() + 5)]++;
    wait = quiet;
  }
}

// Lines passed over while waiting for "main ready".
std::vector<std::string> g_skipped;

std::unique_ptr<Cinit> StartMain(SidecarRun& run, std::vector<std::string> args) {
  g_skipped.clear();
  for (auto& a : MainArgs(run)) args.push_back(a);
  auto cinit = std::make_unique<Cinit>(run.MakeOptions(args));
  EXPECT_TRUE(cinit->started()) << cinit->error();
  run.ev.Watch(*cinit);
  EXPECT_TRUE(run.ev.WaitForLine("main ready", kDefaultTimeout, &g_skipped)) << cinit->Describe();
  return cinit;
}

void Finish(Cinit& cinit) {
  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_EQ(cinit.Wait().status(), 0) << cinit.Describe();
}

// One swap: exactly one HUP for the directory, exactly one USR1 for the
// file symlink inside it, nothing else.
TEST(Watch, ConfigMapSwapSignalsOnce) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  ConfigMap cm(run.dir.Path("cm"));
  auto cinit = StartMain(run, {"--watch", cm.dir + ":HUP", "--watch", cm.dir + "/app.conf:USR1"});
  cm.Swap();
  auto counts = CountSignals(run.ev, Ms(5000), Ms(1500));
  EXPECT_EQ(counts[SIGHUP], 1) << cinit->Describe();
  EXPECT_EQ(counts[SIGUSR1], 1) << cinit->Describe();
  EXPECT_EQ(counts.size(), 2u) << cinit->Describe();
  // Re-armed on the new version: a second swap is seen too.
  cm.Swap();
  counts = CountSignals(run.ev, Ms(5000), Ms(1500));
  EXPECT_EQ(counts[SIGHUP], 1) << cinit->Describe();
  EXPECT_EQ(counts[SIGUSR1], 1) << cinit->Describe();
  Finish(*cinit);
}

TEST(Watch, TenRapidSwapsAreOneBurst) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  ConfigMap cm(run.dir.Path("cm"));
  auto cinit = StartMain(run, {"--watch", cm.dir + "/app.conf:HUP"});
  for (int i = 0; i < 10; i++) cm.Swap();
  auto counts = CountSignals(run.ev, Ms(5000), Ms(1500));
  EXPECT_GE(counts[SIGHUP], 1) << cinit->Describe();
  EXPECT_LE(counts[SIGHUP], 2) << cinit->Describe();
  Finish(*cinit);
}

// An editor or kubectl cp: a new file renamed over the old one; then a
// write in place (the new inode is watched too).
TEST(Watch, PlainFileReplacedByRenameThenWritten) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string dir = run.dir.Path("etc");
  MustMkdir(dir);
  WriteFile(dir + "/app.conf", "one\n");
  auto cinit = StartMain(run, {"--watch", dir + "/app.conf:HUP"});
  WriteFile(dir + "/app.conf.tmp", "two\n");
  MustRename(dir + "/app.conf.tmp", dir + "/app.conf");
  auto counts = CountSignals(run.ev, Ms(5000), Ms(1500));
  EXPECT_EQ(counts[SIGHUP], 1) << "after the rename\n" << cinit->Describe();
  FILE* f = fopen((dir + "/app.conf").c_str(), "a");
  ASSERT_NE(f, nullptr);
  fputs("three\n", f);
  fclose(f);
  counts = CountSignals(run.ev, Ms(5000), Ms(1500));
  EXPECT_EQ(counts[SIGHUP], 1) << "after the write in place\n" << cinit->Describe();
  // Another file in the same directory is not the watched one.
  WriteFile(dir + "/other.conf", "x\n");
  counts = CountSignals(run.ev, Ms(1500), Ms(1500));
  EXPECT_EQ(counts[SIGHUP], 0) << "a change to another file counted\n" << cinit->Describe();
  Finish(*cinit);
}

// Two missing components: followed as they appear.
TEST(Watch, PathThatAppearsLater) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string conf = run.dir.Path("later/sub/app.conf");
  auto cinit = StartMain(run, {"--watch", conf + ":HUP"});
  MustMkdir(run.dir.Path("later"));
  MustMkdir(run.dir.Path("later/sub"));
  auto counts = CountSignals(run.ev, Ms(1500), Ms(1500));
  EXPECT_EQ(counts[SIGHUP], 0) << "signalled before the file exists\n" << cinit->Describe();
  WriteFile(conf, "here\n");
  counts = CountSignals(run.ev, Ms(5000), Ms(1500));
  EXPECT_EQ(counts[SIGHUP], 1) << cinit->Describe();
  Finish(*cinit);
}

// on-change=restart (the default): the sidecar is stopped with its
// stop-signal and started again at once, once per burst, as a restart.
TEST(Watch, OnChangeRestartRestartsTheSidecarOnce) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  ConfigMap cm(run.dir.Path("cm"));
  std::string side = "cfg watch=" + cm.dir + " on-change=restart -- sh -c 'echo start > $EV; exec sleep 60'";
  auto cinit = StartMain(run, {"--sidecar", side});
  ASSERT_TRUE(WaitForState(run, "cfg", "running")) << run.State();
  for (int i = 0; i < 3; i++) cm.Swap();
  std::vector<std::string> other;
  auto starts = ReadLinesWithPrefix(run.ev, "start", 2 - LinesStartingWith(Join(g_skipped), "start").size(), Ms(5000), &other);
  EXPECT_EQ(starts.size() + LinesStartingWith(Join(g_skipped), "start").size(), 2u) << Join(starts) << cinit->Describe();
  auto more = ReadLinesWithPrefix(run.ev, "start", 1, Ms(1500), &other);
  EXPECT_EQ(more.size(), 0u) << "restarted more than once\n" << cinit->Describe();
  EXPECT_TRUE(WaitUntil([&] {
    auto row = FindRow(run.State(), "cfg");
    return row && row->restarts == 1 && row->state == "running";
  })) << run.State();
  Finish(*cinit);
}

// on-change=SIGNAL: sent to the sidecar's group.
TEST(Watch, OnChangeSignalReachesTheSidecar) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  std::string dir = run.dir.Path("etc");
  MustMkdir(dir);
  std::string side = "cfg watch=" + dir + " on-change=USR2 -- " + ProbePath() + " sigrecord " + run.ev.path() +
                     " side 15";
  auto cinit = StartMain(run, {"--sidecar", side});
  if (LinesStartingWith(Join(g_skipped), "side ready").empty())
    ASSERT_TRUE(run.ev.WaitForLine("side ready")) << cinit->Describe();
  WriteFile(dir + "/new.conf", "x\n");
  EXPECT_TRUE(run.ev.WaitForLine("side " + std::to_string(SIGUSR2), Ms(5000))) << cinit->Describe();
  Finish(*cinit);
}

// Zero wake-ups in 2 s while nothing changes, with watches armed and a
// liveness check waiting for its next attempt.
TEST(Watch, NoWakeupsWhileNothingChanges) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  ConfigMap cm(run.dir.Path("cm"));
  std::string plain = run.dir.Path("plain.conf");
  WriteFile(plain, "x\n");
  // ... and a liveness check with a long interval.
  std::string side = "cfg watch=" + cm.dir + "/app.conf live=file:" + plain +
                     " live-interval=60s -- sh -c 'echo start > $EV; exec sleep 60'";
  auto cinit = StartMain(run, {"--watch", cm.dir + ":HUP", "--watch", plain + ":HUP", "--watch",
                               run.dir.Path("missing/x.conf") + ":HUP", "--sidecar", side});
  ASSERT_TRUE(WaitForState(run, "cfg", "running")) << run.State();
  ASSERT_TRUE(WaitUntil([&] { return ProcState(cinit->pid()) == 'S'; })) << cinit->Describe();
  long before = atol(ProcStatusField(cinit->pid(), "voluntary_ctxt_switches").c_str());
  std::this_thread::sleep_for(Ms(2000));  // the measurement window, not a synchronisation
  long after = atol(ProcStatusField(cinit->pid(), "voluntary_ctxt_switches").c_str());
  EXPECT_EQ(after, before) << "cinit woke up " << after - before << " times in 2 s";
  Finish(*cinit);
}

TEST(Watch, BadWatchIsAUsageError) {
  CINIT_REQUIRE_ROOT();
  auto r = RunCinit({"--watch", "relative.conf:HUP", "--", "true"});
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_NE(r.err.find("absolute"), std::string::npos) << r.err;
  r = RunCinit({"--sidecar", "x on-change=HUP -- true", "--", "true"});
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_NE(r.err.find("without watch="), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cinit_test
