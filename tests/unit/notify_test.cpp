#include "notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

namespace {

bool Parse(const std::string& text, NotifyMessage* m) {
  return ParseNotify(text.data(), static_cast<int>(text.size()), m);
}

TEST(NotifyParser, Ready) {
  NotifyMessage m;
  EXPECT_TRUE(Parse("READY=1", &m));
  EXPECT_TRUE(m.ready);
  EXPECT_TRUE(Parse("READY=1\n", &m));
  EXPECT_TRUE(m.ready);
  // m.status points into the datagram: keep it alive while checking.
  const std::string datagram = "MAINPID=7\nREADY=1\nSTATUS=serving on :80\n";
  EXPECT_TRUE(Parse(datagram, &m));
  EXPECT_TRUE(m.ready);
  EXPECT_TRUE(m.has_status);
  EXPECT_EQ("serving on :80", m.status);
  EXPECT_FALSE(m.stopping);
  // As systemd reads it: a later READY= line does not take READY=1 back.
  EXPECT_TRUE(Parse("READY=1\nREADY=", &m));
  EXPECT_TRUE(m.ready);
}

TEST(NotifyParser, NotReady) {
  NotifyMessage m;
  EXPECT_TRUE(Parse("READY=0", &m));
  EXPECT_FALSE(m.ready);
  EXPECT_TRUE(Parse("STATUS=starting", &m));
  EXPECT_FALSE(m.ready);
  EXPECT_TRUE(Parse("WATCHDOG=1\n\nREADYX=1", &m));  // unknown keys, empty lines
  EXPECT_FALSE(m.ready);
  EXPECT_TRUE(Parse("STOPPING=1", &m));
  EXPECT_TRUE(m.stopping);
}

TEST(NotifyParser, Malformed) {
  NotifyMessage m;
  EXPECT_FALSE(Parse("", &m));
  EXPECT_FALSE(Parse("READY", &m));
  EXPECT_FALSE(Parse("=1", &m));
  EXPECT_FALSE(Parse(std::string("READY=1\0", 8), &m));
  EXPECT_FALSE(Parse("READY=1\ngarbage", &m));
  EXPECT_FALSE(m.ready);  // nothing of a refused datagram counts
}

TEST(NotifySocket, AutoboundAndCredentials) {
  char env[64];
  Result<int> fd = NotifyOpen(env, sizeof env);
  ASSERT_TRUE(fd.ok) << fd.error.text;
  std::string e(env);
  ASSERT_EQ(0u, e.find("NOTIFY_SOCKET=@"));
  EXPECT_TRUE(NotifySend(env + 14, "READY=1"));
  char buf[64];
  pid_t sender = -1;
  int n = NotifyReceive(fd.value, buf, sizeof buf, &sender);
  EXPECT_EQ("READY=1", std::string(buf, n > 0 ? n : 0));
  EXPECT_EQ(getpid(), sender);
  EXPECT_EQ(-1, NotifyReceive(fd.value, buf, sizeof buf, &sender));  // nothing more
  close(fd.value);
}

TEST(NotifySocket, FindNotifierWalksParents) {
  pid_t pids[3] = {0, getppid(), 12345678};
  EXPECT_EQ(1, FindNotifier(getpid(), pids, 3, -1));  // our parent is listed: we descend from it
  pid_t self[2] = {getpid(), getppid()};
  EXPECT_EQ(0, FindNotifier(getpid(), self, 2, -1));  // the nearest one
  pid_t none[1] = {12345678};
  EXPECT_EQ(-1, FindNotifier(getpid(), none, 1, -1));
  EXPECT_EQ(-1, FindNotifier(0, self, 2, -1));
  EXPECT_EQ(-1, FindNotifier(getpid(), self + 1, 1, getpid()));  // stop_at ends the walk
}

TEST(NotifySocket, SendToPathAndBadNames) {
  EXPECT_FALSE(NotifySend("relative", "READY=1"));
  EXPECT_FALSE(NotifySend("", "READY=1"));
  EXPECT_FALSE(NotifySend("/nonexistent/socket", "READY=1"));
}

}  // namespace
