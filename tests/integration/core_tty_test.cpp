// Terminals (SPEC §2): under `docker run -it` the main child's process group
// owns the terminal's foreground, so Ctrl-C reaches it and an interactive
// shell gets job control.
#include <signal.h>

#include <regex>

#include "harness.h"

namespace cinit_test {
namespace {

Options TtyOptions(std::vector<std::string> args) {
  Options options;
  options.tty = true;
  options.args = std::move(args);
  return options;
}

TEST(CoreTty, ChildOwnsTheForeground) {
  CINIT_REQUIRE_ROOT();
  Cinit cinit(TtyOptions({"--", ProbePath(), "tty"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ASSERT_TRUE(cinit.WaitForOutput("sid=")) << cinit.Describe();
  auto exit = cinit.Wait();
  ASSERT_EQ(exit.status(), 0) << cinit.Describe();
  std::smatch m;
  const std::string& out = cinit.PtyOutput();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(pid=(-?\d+) pgrp=(-?\d+) fg=(-?\d+) sid=(-?\d+))")))
      << out;
  int pid = std::stoi(m[1]), pgrp = std::stoi(m[2]), fg = std::stoi(m[3]), sid = std::stoi(m[4]);
  EXPECT_EQ(pgrp, pid) << "the main child leads its own process group";
  EXPECT_NE(pgrp, 1) << "not cinit's group";
  EXPECT_EQ(fg, pgrp) << "the main child's group is the terminal's foreground group";
  EXPECT_EQ(sid, 1) << "the main child stays in cinit's session (the terminal's)";
}

TEST(CoreTty, CtrlCInterruptsTheChild) {
  CINIT_REQUIRE_ROOT();
  Cinit cinit(TtyOptions({"--", "sh", "-c", "echo READY; exec sleep 60"}));
  ASSERT_TRUE(cinit.started()) << cinit.error();
  ASSERT_TRUE(cinit.WaitForOutput("READY")) << cinit.Describe();
  cinit.Type("\x03");  // VINTR: the line discipline sends SIGINT to the foreground group
  auto exit = cinit.Wait(Ms(5000));
  EXPECT_EQ(exit.status(), 128 + SIGINT) << cinit.Describe();
}

TEST(CoreTty, InteractiveShellGetsJobControl) {
  CINIT_REQUIRE_ROOT();
  Options options = TtyOptions({"--", "sh", "-i"});
  options.env = {"PS1=$ ", "ENV="};
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  // The terminal echoes what is typed; the quotes keep the marker out of the
  // echo so that only the shell's output contains it.
  cinit.Type("set -o | grep monitor; echo JOB\"\"CONTROL\n");
  ASSERT_TRUE(cinit.WaitForOutput("JOBCONTROL")) << "the shell did not run (stopped by SIGTTIN?)\n"
                                                 << cinit.Describe();
  const std::string& out = cinit.PtyOutput();
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(monitor\s+on)"))) << out;
  EXPECT_EQ(out.find("job control turned off"), std::string::npos) << out;
  EXPECT_EQ(out.find("can't access tty"), std::string::npos) << out;

  // A background job and the jobs table, then the exit status.
  cinit.Type("sleep 30 & jobs; echo JOB\"\"S\n");
  ASSERT_TRUE(cinit.WaitForOutput("JOBS")) << cinit.Describe();
  EXPECT_TRUE(std::regex_search(cinit.PtyOutput(), std::regex(R"(\[1\]\s*\+?\s*Running)")))
      << cinit.PtyOutput();
  // KILL, not TERM: an interactive shell ignores TERM, and so does its
  // forked job until it has reset its signals, so a TERM this early could be
  // lost in the shell's window, not cinit's.
  cinit.Type("kill -KILL %1; exit 7\n");
  EXPECT_EQ(cinit.Wait(Ms(5000)).status(), 7) << cinit.Describe();
}

TEST(CoreTty, NoTerminalIsFine) {
  CINIT_REQUIRE_ROOT();
  // stdin /dev/null: nothing to hand over, the child still runs normally.
  auto r = RunCinit({"--", ProbePath(), "tty"});
  EXPECT_EQ(r.exit.status(), 0) << r.Describe();
  EXPECT_NE(r.out.find("fg=-1"), std::string::npos) << r.Describe();
}

}  // namespace
}  // namespace cinit_test
