// A config file that is not a regular file (SPEC §4: read before anything
// starts): a directory, an endless device, a FIFO that nobody writes to.
// Each is a usage error (125, one "cinit: " line naming the file); none may
// make PID 1 wait forever before it has even started the main.
#include <sys/stat.h>
#include <unistd.h>

#include "fault_storm.h"

namespace cinit_test {
namespace {

void ExpectConfigRefused(const std::string& path) {
  CINIT_REQUIRE_SUBREAPER();
  TempDir dir;
  Options options;
  options.mode = Mode::kSubreaper;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state")};
  options.args = {"--config", path, "--", "sh", "-c", "echo ran > " + dir.Path("ran")};
  RunResult r = RunCinit(options, Ms(3000));
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_FALSE(dir.Exists("ran"));
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.Describe();
  EXPECT_NE(r.err.find("cinit: " + path), std::string::npos) << r.Describe();
}

TEST(FaultConfig, ConfigThatIsADirectory) {
  TempDir dir;
  ExpectConfigRefused(dir.path());
}

TEST(FaultConfig, ConfigThatNeverEnds) { ExpectConfigRefused("/dev/zero"); }

TEST(FaultConfig, ConfigThatIsAFifoWithoutWriter) {
  TempDir dir;
  ExpectConfigRefused(dir.MakeFifo("cinit.conf"));
}

// The default /etc/cinit.conf, when it is a FIFO: the same, in cinit's own
// mount namespace.
TEST(FaultConfig, DefaultConfigThatIsAFifo) {
  CINIT_REQUIRE_ROOT();
  TempDir dir;
  std::string fifo = dir.MakeFifo("fifo");
  Options options;
  options.env = {"CINIT_STATE_DIR=" + dir.Path("state")};
  options.args = {"--", "sh", "-c", "echo ran > " + dir.Path("ran")};
  RunResult r = hard::RunWrapped(options, {"--tmpfs", "/etc", "--symlink", fifo, "/etc/cinit.conf"}, Ms(3000));
  EXPECT_EQ(r.exit.status(), 125) << r.Describe();
  EXPECT_FALSE(dir.Exists("ran"));
  EXPECT_NE(r.err.find("cinit: /etc/cinit.conf"), std::string::npos) << r.Describe();
}

}  // namespace
}  // namespace cinit_test
