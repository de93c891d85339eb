// Sidecars in a real OCI container (SPEC §4, §5): `runc kill ID TERM`
// reaches cinit as the container's PID 1; the main is stopped first and its
// status becomes the container's; then the sidecars are stopped one at a
// time, newest first. Synchronisation is on files in /shared (inotify), as
// in runc_test.cpp.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "container.h"

namespace cinit_runc {
namespace {

constexpr Millis kReady{20000};
constexpr Millis kExit{30000};

// Reports its start and stop in /shared/order; ready once the start is
// written, so that the order of the start lines is the start order.
constexpr char kSidecarScript[] =
    "n=$1\n"
    "trap 'echo $n-stop >> /shared/order; exit 0' TERM\n"
    "echo $n-start >> /shared/order\n"
    "touch /tmp/$n.ready\n"
    // `wait` is interrupted by a trapped signal; a foreground sleep is not.
    "while :; do sleep 1000 & wait $!; done\n";

constexpr char kMainScript[] =
    "trap 'echo main-stop >> /shared/order; exit 3' TERM\n"
    "echo main-start >> /shared/order\n"
    "touch /shared/main-ready\n"
    "while :; do sleep 1000 & wait $!; done\n";

TEST(RuncSidecar, TermStopsMainThenSidecarsInReverseOrder) {
  const std::string why = RuncSkipReason();
  if (!why.empty()) {
    fprintf(stderr, "*** SKIPPING runc sidecar test: %s\n", why.c_str());
    GTEST_SKIP() << why;
  }
  ASSERT_FALSE(CinitBinary().empty()) << "no cinit binary known";

  Container c("sidecar-order");
  c.AddFile("/side.sh", kSidecarScript);
  c.AddFile("/main.sh", kMainScript);
  c.SetCinitCommand({"--sidecar", "s1 ready=file:/tmp/s1.ready -- sh /side.sh s1",  //
                     "--sidecar", "s2 ready=file:/tmp/s2.ready -- sh /side.sh s2"},
                    {"sh", "/main.sh"});
  std::string err;
  ASSERT_TRUE(c.Start(&err)) << err;
  ASSERT_TRUE(c.WaitForFile("main-ready", kReady)) << "the main never started\n" << c.Logs();
  EXPECT_EQ(c.ReadShared("order"), "s1-start\ns2-start\nmain-start\n") << c.Logs();

  ExecResult k = c.Kill("TERM");
  ASSERT_EQ(k.status, 0) << "runc kill TERM failed: " << k.err;
  std::optional<int> status = c.Wait(kExit);
  ASSERT_TRUE(status.has_value()) << "the container did not stop after TERM\n" << c.Logs();
  EXPECT_EQ(*status, 3) << "the container's status is the main's\n" << c.Logs();
  EXPECT_EQ(c.ReadShared("order"), "s1-start\ns2-start\nmain-start\nmain-stop\ns2-stop\ns1-stop\n")
      << "the main stops first, then the sidecars, newest first\n"
      << c.Logs();
}

}  // namespace
}  // namespace cinit_runc
