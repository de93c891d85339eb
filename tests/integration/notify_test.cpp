// sd_notify both ways (SPEC §7). Downward: a ready=notify sidecar (or the
// main with --ready notify) gets NOTIFY_SOCKET and is ready on READY=1 from
// itself or a descendant, never from another process. Upward: with
// NOTIFY_SOCKET set, cinit sends READY=1 once the main runs and every
// sidecar is ready, STOPPING=1 when shutdown begins; its own NOTIFY_SOCKET
// never reaches a child. The test owns the upward socket.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "health_support.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

// Sends text to an abstract or path socket from the test process, which is
// no descendant of anything cinit started.
bool SendFromOutside(const std::string& name, const std::string& text) {
  sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, name.data(), name.size());
  if (name[0] == '@') sa.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ssize_t n = sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&sa),
                     static_cast<socklen_t>(sizeof(sa_family_t) + name.size()));
  close(fd);
  return n == static_cast<ssize_t>(text.size());
}

TEST(Notify, SidecarHoldsTheMainBackUntilReady1) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  auto options = run.MakeOptions(
      {"-v", "--sidecar",
       "svc ready=notify -- sh -c 'echo \"svc $NOTIFY_SOCKET\" > $EV; read x < $GO; sh -c \"$PROBE notify READY=1\"; "
       "read x < $HOLD'",
       "--", "sh", "-c", "echo \"main ${NOTIFY_SOCKET:-none}\" > $EV; read x < $HOLD"});
  options.env.push_back("PROBE=" + ProbePath());
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  auto line = run.ev.ReadLine();
  ASSERT_TRUE(line) << cinit.Describe();
  ASSERT_EQ(0u, line->find("svc @")) << *line;
  std::string socket = line->substr(4);

  // READY=1 from a process that is not svc nor below it: ignored.
  ASSERT_TRUE(SendFromOutside(socket, "READY=1"));
  ASSERT_TRUE(WaitUntil([&] { return cinit.Stderr().find("ignored a notification from pid") != std::string::npos; }))
      << cinit.Describe();
  EXPECT_EQ("starting", FindRow(run.State(), "svc").value_or(StateRow{}).state) << run.State();
  EXPECT_EQ("pending", FindRow(run.State(), "main").value_or(StateRow{}).state) << run.State();

  // READY=1 from a grandchild of svc: ready, and the main starts.
  ASSERT_TRUE(run.go.Send("go"));
  line = run.ev.ReadLine();
  ASSERT_TRUE(line) << cinit.Describe();
  EXPECT_EQ("main none", *line);  // the main is not ready=notify: no NOTIFY_SOCKET
  EXPECT_EQ("yes", FindRow(run.State(), "svc").value_or(StateRow{}).ready) << run.State();
  cinit.Signal(SIGTERM);
  cinit.Wait();
}

TEST(Notify, MainReadyNotifyAndUpwardMessages) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  NotifyListener up(run.dir);
  Channel web_go(run.dir, "web-go");
  int port = FreeTcpPort();
  auto options = run.MakeOptions(
      {"-v", "--health-listen", "127.0.0.1:" + std::to_string(port), "--ready", "notify", "--sidecar",
       "web ready=file:" + run.dir.Path("web.ready") + " -- sh -c 'echo \"web ${NOTIFY_SOCKET:-none}\" > $EV; "
           "read x < $WEB_GO; touch " + run.dir.Path("web.ready") + "; read x < $HOLD'",
       "--", "sh", "-c",
       "trap 'echo main-term > $EV; exit 0' TERM; echo \"main $NOTIFY_SOCKET\" > $EV; read x < $GO; "
       "$PROBE notify READY=1; while :; do sleep 1; done"});
  options.env.push_back("PROBE=" + ProbePath());
  options.env.push_back("WEB_GO=" + web_go.path());
  options.env.push_back("NOTIFY_SOCKET=" + up.path());
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);

  // cinit's own NOTIFY_SOCKET reaches no child.
  EXPECT_EQ("web none", run.ev.ReadLine().value_or("?"));
  EXPECT_FALSE(up.Next(Ms(300))) << "READY=1 before the sidecar was ready";
  ASSERT_TRUE(web_go.Send("go"));
  auto main_line = run.ev.ReadLine();
  ASSERT_TRUE(main_line) << cinit.Describe();
  ASSERT_EQ(0u, main_line->find("main @")) << *main_line;  // cinit's socket, not the test's

  // The main runs but has not said READY=1: not ready, for every probe.
  ASSERT_TRUE(WaitForState(run, "main", "running"));
  EXPECT_EQ(1, RunStatus(run.state_dir, {"--ready"}).code) << run.State();
  EXPECT_EQ(0, RunStatus(run.state_dir, {"--live"}).code) << run.State();
  EXPECT_EQ(503, Get(port, "/readyz").code);
  EXPECT_EQ(503, Get(port, "/readyz/main").code);
  EXPECT_EQ(200, Get(port, "/livez").code);
  EXPECT_FALSE(up.Next(Ms(300))) << "READY=1 before the main was ready";

  ASSERT_TRUE(run.go.Send("go"));
  ASSERT_EQ("READY=1", up.Next().value_or("(nothing)")) << cinit.Describe();
  EXPECT_EQ(0, RunStatus(run.state_dir, {"--ready"}).code) << run.State();
  EXPECT_EQ(200, Get(port, "/readyz").code);

  ASSERT_TRUE(cinit.Signal(SIGTERM));
  EXPECT_EQ("STOPPING=1", up.Next().value_or("(nothing)"));
  EXPECT_EQ(0, cinit.Wait().status()) << cinit.Describe();
  EXPECT_FALSE(up.Next(Ms(100)));  // once each
}

TEST(Notify, UpwardReadyWithoutSidecarsAndNoSocketForOthers) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  NotifyListener up(run.dir);
  auto options = run.MakeOptions({"--", "sh", "-c", "echo \"main ${NOTIFY_SOCKET:-none}\" > $EV; read x < $GO"});
  options.env.push_back("NOTIFY_SOCKET=" + up.path());
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  EXPECT_EQ("main none", run.ev.ReadLine().value_or("?"));
  EXPECT_EQ("READY=1", up.Next().value_or("(nothing)"));
  ASSERT_TRUE(run.go.Send("exit"));
  EXPECT_EQ("STOPPING=1", up.Next().value_or("(nothing)"));
  EXPECT_EQ(0, cinit.Wait().status()) << cinit.Describe();
}

}  // namespace
}  // namespace cinit_test
