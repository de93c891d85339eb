// Status for probes (SPEC §6): cinit keeps $CINIT_STATE_DIR/state, one row
// per process, replaced atomically on every change; `cinit status` prints
// it, `--ready` exits 0 only while the main runs and every sidecar is
// ready, `--live` only while the main runs and no sidecar is FAILED. The
// probes here run from the test process, outside cinit's namespace, the way
// a kubelet's exec probe would run beside it, sharing only the directory.
#include <fcntl.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "harness.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

// The probe exit codes at one moment: "status --ready", "--live".
struct Probes {
  int ready, live;
  bool operator==(const Probes&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Probes& p) {
  return os << "{--ready " << p.ready << ", --live " << p.live << "}";
}
Probes Probe(const SidecarRun& run) {
  return {RunStatus(run.state_dir, {"--ready"}).code, RunStatus(run.state_dir, {"--live"}).code};
}

bool RowIs(const SidecarRun& run, const std::string& name, const std::string& state, const std::string& ready) {
  auto row = FindRow(run.State(), name);
  return row && row->state == state && row->ready == ready;
}

TEST(SidecarStatus, ProbesThroughTheLifecycle) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  Channel web_go(run.dir, "web-go");
  Channel flaky_go(run.dir, "flaky-go");

  // No cinit yet: no state file, every probe fails.
  EXPECT_EQ(RunStatus(run.state_dir).code, 1);
  EXPECT_EQ(Probe(run), (Probes{1, 1}));

  auto options = run.MakeOptions(
      {"--sidecar",
       "web ready=file:" + run.dir.Path("web.ready") + " -- sh -c '" +
           "trap \"echo web-term > $EV; read y < $WEB_GO; exit 0\" TERM; "
           "echo web-up > $EV; read x < $WEB_GO; touch $D/web.ready; while :; do sleep 0.1; done'",
       "--sidecar",
       "flaky max-restarts=1 backoff=100ms -- sh -c '"
       "if [ -e $D/fail ]; then exit 1; fi; echo flaky-up > $EV; read x < $FLAKY_GO; exit 1'",
       "--", "sh", "-c", "echo main-up > $EV; read x < $GO; exit 0"});
  options.env.push_back("WEB_GO=" + web_go.path());
  options.env.push_back("FLAKY_GO=" + flaky_go.path());
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);

  // Startup: web runs but is not ready; the main has not started.
  ASSERT_TRUE(run.ev.WaitForLine("web-up")) << cinit.Describe();
  ASSERT_TRUE(WaitUntil([&] { return RowIs(run, "web", "starting", "no"); })) << run.State();
  auto all = RunStatus(run.state_dir);
  EXPECT_EQ(all.code, 0) << all.err;
  EXPECT_EQ(all.out, run.State());
  ASSERT_TRUE(ParseState(all.out)) << all.out;
  EXPECT_EQ(ParseState(all.out)->size(), 3u) << all.out;
  EXPECT_EQ(FindRow(all.out, "main").value_or(StateRow{}).state, "pending") << all.out;
  EXPECT_EQ(Probe(run), (Probes{1, 1})) << "starting\n" << run.State();
  EXPECT_EQ(RunStatus(run.state_dir, {"--live", "web"}).code, 0) << run.State();
  EXPECT_EQ(RunStatus(run.state_dir, {"--ready", "web"}).code, 1) << run.State();

  // Running: everything up and ready.
  ASSERT_TRUE(web_go.Send("ready"));
  ASSERT_TRUE(run.ev.WaitForLine("main-up")) << cinit.Describe();
  ASSERT_TRUE(WaitUntil([&] {
    return RowIs(run, "web", "running", "yes") && RowIs(run, "flaky", "running", "yes") &&
           RowIs(run, "main", "running", "yes");
  })) << run.State();
  EXPECT_EQ(Probe(run), (Probes{0, 0})) << "running\n" << run.State();
  auto one = RunStatus(run.state_dir, {"web"});
  EXPECT_EQ(one.code, 0);
  EXPECT_EQ(Lines(one.out).size(), 2u) << "header and the one row\n" << one.out;
  EXPECT_EQ(LinesStartingWith(one.out, "web sidecar running ").size(), 1u) << one.out;
  EXPECT_EQ(RunStatus(run.state_dir, {"--ready", "nosuch"}).code, 1);

  // A non-critical sidecar FAILED: not ready, not live, the main goes on.
  run.dir.Write("fail", "");
  ASSERT_TRUE(flaky_go.Send("exit"));
  ASSERT_TRUE(WaitForState(run, "flaky", "failed")) << run.State();
  EXPECT_EQ(Probe(run), (Probes{1, 1})) << "a sidecar failed\n" << run.State();
  EXPECT_EQ(RunStatus(run.state_dir, {"--live", "web"}).code, 0) << run.State();
  EXPECT_EQ(RunStatus(run.state_dir, {"--live", "flaky"}).code, 1) << run.State();
  EXPECT_EQ(RunStatus(run.state_dir, {"--live", "main"}).code, 0) << run.State();
  EXPECT_FALSE(cinit.Exited());

  // Shutdown: the main has exited (status 0 recorded), web is stopping.
  ASSERT_TRUE(run.go.Send("exit"));
  ASSERT_TRUE(run.ev.WaitForLine("web-term")) << cinit.Describe();
  ASSERT_TRUE(WaitForState(run, "web", "stopping")) << run.State();
  auto main_row = FindRow(run.State(), "main");
  ASSERT_TRUE(main_row) << run.State();
  EXPECT_EQ(main_row->state, "exited") << run.State();
  EXPECT_EQ(main_row->last, "0") << run.State();
  EXPECT_EQ(main_row->pid, "-") << run.State();
  EXPECT_EQ(Probe(run), (Probes{1, 1})) << "shutting down\n" << run.State();

  ASSERT_TRUE(web_go.Send("stop"));
  EXPECT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Describe();
  EXPECT_EQ(Probe(run), (Probes{1, 1})) << "after the end\n" << run.State();
}

// A sidecar restarting about once a millisecond rewrites the state file
// all the time; a reader re-reading it meanwhile must only ever see a
// whole file.
TEST(SidecarStatus, StateFileIsReplacedAtomically) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  Cinit cinit(run.MakeOptions({"--sidecar", "loop backoff=1ms backoff-max=1ms -- false",  //
                               "--", "sh", "-c", "read x < $GO; exit 0"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);

  const std::string path = run.state_dir + "/state";
  long reads = 0, bad = 0;
  std::string first_bad;
  std::set<unsigned long> restarts_seen;
  // Only this thread runs until it is joined; the harness forks nothing meanwhile.
  std::thread reader([&] {
    auto deadline = Clock::now() + Ms(8000);
    while (Clock::now() < deadline) {
      int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;  // not written yet
      std::string text;
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
      close(fd);
      ++reads;
      auto rows = ParseState(text);
      if (!rows || rows->size() != 2) {
        if (bad++ == 0) first_bad = text;
        continue;
      }
      restarts_seen.insert((*rows)[0].restarts);
      if (restarts_seen.size() >= 200 && reads >= 1000) break;
    }
  });
  reader.join();
  EXPECT_EQ(bad, 0) << "of " << reads << " reads; the first bad one:\n'" << first_bad << "'";
  EXPECT_GE(reads, 100);
  EXPECT_GE(restarts_seen.size(), 20u) << "the state file hardly changed: nothing was tested";

  ASSERT_TRUE(run.go.Send("go"));
  EXPECT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Describe();
  EXPECT_FALSE(access((run.state_dir + "/state.new").c_str(), F_OK) == 0) << "a temporary file was left";
  auto row = FindRow(run.State(), "loop");
  ASSERT_TRUE(row) << run.State();
  // Its last run exited 1, or was stopped by TERM at shutdown.
  EXPECT_TRUE(row->last == "1" || row->last == "143") << run.State();
  EXPECT_EQ(row->state, "exited") << run.State();
}

}  // namespace
}  // namespace cinit_test
