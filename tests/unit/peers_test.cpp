// Tests for src/peers.cpp: tini's and dumb-init's environment switches
// mapped onto cinit's options (SPEC §1), each with the peer's meaning.
#include "peers.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace {

struct Peers {
  std::vector<std::string> env;
  std::vector<char*> envp;
  std::unique_ptr<Options> opts = std::make_unique<Options>();
  Status status;
  explicit Peers(std::vector<std::string> e, bool pgroup_before = false, int verbosity_before = 0)
      : env(std::move(e)) {
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    opts->pgroup = pgroup_before;
    opts->verbosity = verbosity_before;
    status = ApplyPeerVariables(envp.data(), opts.get());
  }
  bool pgroup() const { return opts->pgroup; }
  int verbosity() const { return opts->verbosity; }
};

TEST(Peers, NoneChangesNothing) {
  Peers p({"PATH=/bin", "TINI=1", "TINI_KILL_PROCESS_GROUPX=1", "DUMB_INIT_SETSID", "XTINI_VERBOSITY=0"});
  ASSERT_TRUE(p.status.ok);
  EXPECT_FALSE(p.pgroup());
  EXPECT_EQ(p.verbosity(), 0);
  Peers kept({"PATH=/bin"}, true, 2);  // what the config file set stays
  EXPECT_TRUE(kept.pgroup());
  EXPECT_EQ(kept.verbosity(), 2);
}

TEST(Peers, TiniKillProcessGroupIsPresenceNotValue) {
  for (const char* v : {"TINI_KILL_PROCESS_GROUP=1", "TINI_KILL_PROCESS_GROUP=", "TINI_KILL_PROCESS_GROUP=0",
                        "TINI_KILL_PROCESS_GROUP=no"})
    EXPECT_TRUE(Peers({v}).pgroup()) << v;
}

TEST(Peers, TiniSubreaperIsAcceptedAndChangesNoOption) {
  Peers p({"TINI_SUBREAPER=", "TINI_SUBREAPER=1"});
  ASSERT_TRUE(p.status.ok);
  EXPECT_FALSE(p.pgroup());
  EXPECT_EQ(p.verbosity(), 0);
}

TEST(Peers, TiniVerbosityIsTinisLevelLessOne) {
  EXPECT_EQ(Peers({"TINI_VERBOSITY=0"}).verbosity(), -1);  // errors only
  EXPECT_EQ(Peers({"TINI_VERBOSITY=1"}, false, 2).verbosity(), 0);  // tini's default: warnings
  EXPECT_EQ(Peers({"TINI_VERBOSITY=2"}).verbosity(), 1);
  EXPECT_EQ(Peers({"TINI_VERBOSITY=3"}).verbosity(), 2);
  EXPECT_EQ(Peers({"TINI_VERBOSITY=4000"}).verbosity(), 9);
}

TEST(Peers, TiniVerbosityMustBeANumber) {
  for (const char* v : {"TINI_VERBOSITY=", "TINI_VERBOSITY=loud", "TINI_VERBOSITY=-1", "TINI_VERBOSITY=2x"}) {
    Peers p({v});
    ASSERT_FALSE(p.status.ok) << v;
    EXPECT_NE(std::string(p.status.error.text).find("TINI_VERBOSITY"), std::string::npos) << p.status.error.text;
  }
}

TEST(Peers, DumbInitSetsidZeroIsChildOnlyElseTheGroup) {
  EXPECT_FALSE(Peers({"DUMB_INIT_SETSID=0"}, true).pgroup());  // overrides the config file's -g
  for (const char* v : {"DUMB_INIT_SETSID=1", "DUMB_INIT_SETSID=", "DUMB_INIT_SETSID=yes"})
    EXPECT_TRUE(Peers({v}).pgroup()) << v;  // dumb-init: anything but 0 keeps setsid mode
  // Both peers asked, differently: the group wins.
  EXPECT_TRUE(Peers({"DUMB_INIT_SETSID=0", "TINI_KILL_PROCESS_GROUP=1"}).pgroup());
  EXPECT_TRUE(Peers({"TINI_KILL_PROCESS_GROUP=1", "DUMB_INIT_SETSID=0"}).pgroup());
}

TEST(Peers, DumbInitDebugOneIsVerbose) {
  EXPECT_EQ(Peers({"DUMB_INIT_DEBUG=1"}).verbosity(), 1);
  for (const char* v : {"DUMB_INIT_DEBUG=0", "DUMB_INIT_DEBUG=yes", "DUMB_INIT_DEBUG=", "DUMB_INIT_DEBUG=true"})
    EXPECT_EQ(Peers({v}).verbosity(), 0) << v;  // dumb-init: only "1" turns it on
  // With TINI_VERBOSITY the louder of the two counts.
  EXPECT_EQ(Peers({"DUMB_INIT_DEBUG=1", "TINI_VERBOSITY=0"}).verbosity(), 1);
  EXPECT_EQ(Peers({"TINI_VERBOSITY=3", "DUMB_INIT_DEBUG=1"}).verbosity(), 2);
}

}  // namespace
