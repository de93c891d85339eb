// cinit as PID 1 of a real OCI container started with runc (see container.h).
//
// Each test synchronises on files the container writes into /shared (the
// host watches them with inotify) or on a FIFO gate the host holds open;
// none waits a fixed time. They skip, loudly, only when not root or when
// runc or busybox is missing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "container.h"
#include "harness.h"

namespace cinit_runc {
namespace {

constexpr Millis kReady{20000};  // generous: a loaded CI machine is slow
constexpr Millis kExit{30000};

class RuncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = RuncSkipReason();
    if (!why.empty()) {
      fprintf(stderr, "*** SKIPPING runc container test: %s\n", why.c_str());
      GTEST_SKIP() << why;
    }
    const std::string bin = CinitBinary();
    ASSERT_FALSE(bin.empty()) << "no cinit binary known: build target cinit or set CINIT_TEST_BINARY";
    ASSERT_EQ(access(bin.c_str(), X_OK), 0) << bin << " is not executable";
  }

  static std::string TestName() {
    return ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
};

// Closes a descriptor on every path out of a test.
struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

TEST_F(RuncTest, ExitStatusPassesThrough) {
  RunOutcome o = RunCinitInContainer({}, {"sh", "-c", "exit 7"}, kExit);
  ASSERT_TRUE(o.error.empty()) << o.error << "\n" << o.logs;
  ASSERT_TRUE(o.status.has_value()) << o.logs;
  EXPECT_EQ(*o.status, 7) << "runc run must exit with the main's code via cinit\n" << o.logs;

  // A main killed by signal N gives 128+N.
  o = RunCinitInContainer({}, {"sh", "-c", "kill -KILL $$"}, kExit);
  ASSERT_TRUE(o.error.empty()) << o.error << "\n" << o.logs;
  ASSERT_TRUE(o.status.has_value()) << o.logs;
  EXPECT_EQ(*o.status, 128 + 9) << o.logs;
}

// `runc kill ID TERM` reaches cinit as PID 1. The main (an exec'd sleep with
// the default TERM action) dies of it, so the status is 143; a background
// worker that traps TERM must then be asked to stop too and get to finish
// its handler before the container ends (an init that just exits lets the
// kernel SIGKILL the rest of the PID namespace, and the marker is missing).
TEST_F(RuncTest, TermStopsMainAndLetsWorkerExitGracefully) {
  Container c(TestName());
  c.AddFile("/worker.sh",
            "trap 'kill $p 2>/dev/null; echo graceful > /shared/worker.tmp;"
            " mv /shared/worker.tmp /shared/worker-done; exit 0' TERM\n"
            "echo > /shared/worker-ready\n"
            // `wait` is interruptible by a trapped signal; a foreground
            // sleep would defer the trap until it ends.
            "while :; do sleep 1000 & p=$!; wait $p; done\n");
  c.SetCinitCommand({}, {"sh", "-c", "sh /worker.sh & exec sleep 1000"});
  std::string err;
  ASSERT_TRUE(c.Start(&err)) << err;
  ASSERT_TRUE(c.WaitForFile("worker-ready", kReady)) << "worker never started\n" << c.Logs();

  ExecResult k = c.Kill("TERM");
  ASSERT_EQ(k.status, 0) << "runc kill TERM failed: " << k.err;
  std::optional<int> st = c.Wait(kExit);
  ASSERT_TRUE(st.has_value()) << "container still running after TERM\n" << c.Logs();
  EXPECT_EQ(*st, 128 + 15) << "main was killed by TERM\n" << c.Logs();
  EXPECT_TRUE(c.SharedExists("worker-done"))
      << "the background worker never ran its TERM handler: cinit must send TERM to the "
         "processes left after the main exits and wait for them\n"
      << c.Logs();
  EXPECT_EQ(c.ReadShared("worker-done"), "graceful\n");
}

// `runc kill ID USR1` is forwarded to the main, whose handler exits 42.
TEST_F(RuncTest, Usr1IsForwardedToMain) {
  Container c(TestName());
  c.AddFile("/main.sh",
            "trap 'kill $p 2>/dev/null; echo usr1 > /shared/usr1.tmp;"
            " mv /shared/usr1.tmp /shared/usr1; exit 42' USR1\n"
            "echo > /shared/ready\n"
            "while :; do sleep 1000 & p=$!; wait $p; done\n");
  c.SetCinitCommand({}, {"sh", "/main.sh"});
  std::string err;
  ASSERT_TRUE(c.Start(&err)) << err;
  ASSERT_TRUE(c.WaitForFile("ready", kReady)) << "main never started\n" << c.Logs();

  // The container's PID 1 is the binary under test, not a shell.
  EXPECT_EQ(c.Status(), "running");
  ExecResult comm = c.Exec({"cat", "/proc/1/comm"});
  EXPECT_EQ(comm.status, 0) << comm.err;
  EXPECT_EQ(comm.out, "cinit\n");

  ExecResult k = c.Kill("USR1");
  ASSERT_EQ(k.status, 0) << "runc kill USR1 failed: " << k.err;
  std::optional<int> st = c.Wait(kExit);
  ASSERT_TRUE(st.has_value()) << "container still running after USR1\n" << c.Logs();
  EXPECT_EQ(*st, 42) << c.Logs();
  EXPECT_EQ(c.ReadShared("usr1"), "usr1\n") << c.Logs();
}

// The main makes 500 orphans (100 under qemu-user): each `( read x <&3 & )` subshell exits at once,
// so its background child is re-parented to PID 1 and blocks reading the FIFO
// gate that the host holds open. The host checks from outside that they are
// all children of the container's init, then closes the gate: all 500 see EOF
// and exit together. The main then scans /proc until nothing but PID 1 and
// itself is left (an unreaped orphan stays as a zombie and is counted), and
// reports what it saw (it gives up after 10 s, so a non-reaping init is
// reported as "others=500 zombies=500" rather than as a hang).
TEST_F(RuncTest, OrphanStormLeavesNoZombie) {
  // Under qemu-user (another architecture's busybox) every fork is emulated
  // and 1,000 of them outlast the deadline on a loaded machine: 100 orphans
  // test the same reaping there.
  const int kOrphans = cinit_test::SubreaperUnavailable().empty() ? 500 : 100;
  Container c(TestName());
  c.AddFile("/storm.sh",
            "exec 3</shared/gate\n"
            "i=0\n"
            "while [ $i -lt " + std::to_string(kOrphans) + " ]; do\n"
            "  ( read x <&3 & )\n"
            "  i=$((i+1))\n"
            "done\n"
            "echo > /shared/spawned\n"
            "read x <&3\n"
            "exec 3<&-\n"
            "end=$(( $(date +%s) + 10 ))\n"
            "while :; do\n"
            "  n=0; z=0\n"
            "  for d in /proc/[0-9]*; do\n"
            "    p=${d#/proc/}\n"
            "    case $p in 1|$$) continue;; esac\n"
            "    n=$((n+1)); s=\n"
            "    read -r _p _c s _r 2>/dev/null <$d/stat\n"
            "    if [ \"$s\" = Z ]; then z=$((z+1)); fi\n"
            "  done\n"
            "  if [ $n -eq 0 ] || [ $(date +%s) -ge $end ]; then break; fi\n"
            "done\n"
            "echo \"others=$n zombies=$z\" > /shared/result.tmp\n"
            "mv /shared/result.tmp /shared/result\n");
  c.SetCinitCommand({}, {"sh", "/storm.sh"});
  ASSERT_EQ(mkfifo(c.SharedPath("gate").c_str(), 0666), 0);
  Fd gate;  // O_RDWR: does not block, and keeps a writer so readers block
  gate.fd = open(c.SharedPath("gate").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(gate.fd, 0);

  std::string err;
  ASSERT_TRUE(c.Start(&err)) << err;
  ASSERT_TRUE(c.WaitForFile("spawned", kExit)) << "the storm never got going\n" << c.Logs();
  std::optional<pid_t> init = c.InitPid();
  ASSERT_TRUE(init.has_value()) << "runc state gave no init pid";
  // kOrphans orphans plus the main itself.
  EXPECT_GE(HostChildrenOf(*init).size(), static_cast<size_t>(kOrphans + 1))
      << "the orphans were not re-parented to the container's PID 1";

  gate.Close();  // release all orphans at once
  ASSERT_TRUE(c.WaitForFile("result", kExit)) << "the main never reported\n" << c.Logs();
  EXPECT_EQ(c.ReadShared("result"), "others=0 zombies=0\n")
      << "orphans were left unreaped by PID 1\n"
      << c.Logs();
  std::optional<int> st = c.Wait(kExit);
  ASSERT_TRUE(st.has_value()) << "container did not exit after the storm\n" << c.Logs();
  EXPECT_EQ(*st, 0) << c.Logs();
}

// Ready for the sidecar work (SPEC §4, §5): a sidecar with a readiness file
// starts before the main and is stopped after it.
TEST_F(RuncTest, SidecarStartsBeforeMainAndStopsAfterIt) {
  RunOutcome o = RunCinitInContainer(
      {"--sidecar",
       "side ready=file:/tmp/side-ready -- sh -c '"
       "trap \"echo side-stop >> /shared/order; exit 0\" TERM; "
       "echo side-start >> /shared/order; touch /tmp/side-ready; "
       "while :; do sleep 1000 & wait $!; done'"},
      {"sh", "-c", "echo main >> /shared/order"}, kExit);
  ASSERT_TRUE(o.error.empty()) << o.error << "\n" << o.logs;
  ASSERT_TRUE(o.status.has_value()) << o.logs;
  EXPECT_EQ(*o.status, 0) << o.logs;
  EXPECT_EQ(o.shared["order"], "side-start\nmain\nside-stop\n") << o.logs;
}

}  // namespace
}  // namespace cinit_runc
