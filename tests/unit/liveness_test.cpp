// Tests for src/liveness.cpp's pure parts and the live= options of a SPEC.
#include "liveness.h"

#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <string>

namespace {

TEST(LiveCount, FailuresInARowStopTheProcess) {
  uint32_t n = 0;
  EXPECT_FALSE(CountLiveAttempt(&n, false, 3));
  EXPECT_FALSE(CountLiveAttempt(&n, false, 3));
  // A passing attempt starts the count again.
  EXPECT_FALSE(CountLiveAttempt(&n, true, 3));
  EXPECT_EQ(n, 0u);
  EXPECT_FALSE(CountLiveAttempt(&n, false, 3));
  EXPECT_FALSE(CountLiveAttempt(&n, false, 3));
  EXPECT_TRUE(CountLiveAttempt(&n, false, 3));
  uint32_t m = 0;
  EXPECT_TRUE(CountLiveAttempt(&m, false, 1));
}

TEST(LiveCount, StopCountsAsAFailure) {
  Decl d;  // ok-codes=0, stop-signal=TERM
  // Killed by its stop signal: that status, a failure already.
  EXPECT_EQ(LiveFailureStatus(d, SIGTERM), SIGTERM);
  // It exits 0 on TERM: still a failure, as death by its stop signal.
  EXPECT_EQ(LiveFailureStatus(d, 0), SIGTERM);
  d.stop_signal = SIGINT;
  EXPECT_EQ(LiveFailureStatus(d, 0), SIGINT);
  // A failing exit code stays.
  EXPECT_EQ(LiveFailureStatus(d, 3 << 8), 3 << 8);
}

struct F {
  std::unique_ptr<Arena> arena = std::make_unique<Arena>();
  Decl d;
  Status Parse(const char* spec, DeclKind kind = DeclKind::kSidecar) { return ParseDecl(spec, kind, arena.get(), &d); }
  std::string Error(const char* spec, DeclKind kind = DeclKind::kSidecar) {
    Status s = Parse(spec, kind);
    return s.ok ? "(parsed)" : s.error.text;
  }
};

TEST(LiveSpec, DefaultsAndKinds) {
  F f;
  ASSERT_TRUE(f.Parse("x -- true").ok);
  EXPECT_EQ(f.d.live.kind, ReadyKind::kNone);
  EXPECT_EQ(f.d.live_interval, 10000);
  EXPECT_EQ(f.d.live_failures, 3u);
  EXPECT_EQ(f.d.live_timeout, 1000);
  ASSERT_TRUE(f.Parse("x live=tcp:127.0.0.1:80 -- true").ok);
  EXPECT_EQ(f.d.live.kind, ReadyKind::kTcp);
  EXPECT_EQ(f.d.live.port, 80);
  ASSERT_TRUE(f.Parse("x live=http://[::1]:8080/healthz live-interval=5s live-failures=2 live-timeout=300ms -- true").ok);
  EXPECT_EQ(f.d.live.kind, ReadyKind::kHttp);
  EXPECT_STREQ(f.d.live.http_path, "/healthz");
  EXPECT_EQ(f.d.live_interval, 5000);
  EXPECT_EQ(f.d.live_failures, 2u);
  EXPECT_EQ(f.d.live_timeout, 300);
  ASSERT_TRUE(f.Parse("x 'live=exec:pg_isready -q' -- true").ok);
  EXPECT_EQ(f.d.live.kind, ReadyKind::kExec);
  EXPECT_STREQ(f.d.live.exec_argv[1], "-q");
  ASSERT_TRUE(f.Parse("x live=file:/run/alive ready=tcp:127.0.0.1:1 -- true").ok);
  EXPECT_EQ(f.d.live.kind, ReadyKind::kFile);
  EXPECT_EQ(f.d.ready.kind, ReadyKind::kTcp);  // two checks, apart
}

TEST(LiveSpec, Errors) {
  F f;
  EXPECT_NE(f.Error("x live=fd:3 -- true").find("tcp:, http://, exec: or file:"), std::string::npos);
  EXPECT_NE(f.Error("x live=notify -- true").find("tcp:, http://, exec: or file:"), std::string::npos);
  // An unknown option's message lists every key, the live ones too, whole.
  std::string unknown = f.Error("x zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz=1 -- true");
  EXPECT_NE(unknown.find("restart=, ok-codes="), std::string::npos) << unknown;
  EXPECT_NE(unknown.find(", critical, "), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("live-timeout=; then '--' and the command)"), std::string::npos) << unknown;
  EXPECT_NE(f.Error("x live=udp:1 -- true").find("expected tcp:"), std::string::npos);
  EXPECT_NE(f.Error("x live-interval=5s -- true").find("add live="), std::string::npos);
  EXPECT_NE(f.Error("x live=file:/a live-failures=0 -- true").find("1 to 1000"), std::string::npos);
  EXPECT_NE(f.Error("x live=file:/a live-interval=0 -- true").find("more than 0"), std::string::npos);
  EXPECT_NE(f.Error("x live=file:/a live=file:/b -- true").find("twice"), std::string::npos);
  EXPECT_NE(f.Error("x live=file:/a -- true", DeclKind::kInit).find("init tasks"), std::string::npos);
}

}  // namespace
