// Tests for src/watch.cpp and the watch options: "PATH:SIGNAL" parsing, the
// debounce decision, event-to-watch matching, the limits, and the watcher
// itself on a real directory (inotify needs no privileges).
#include "watch.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "cli.h"

namespace {

Status Item(const char* text, std::string* path, int* sig) {
  char buf[kWatchPathMax];
  Status s = ParseWatchItem(text, static_cast<int>(strlen(text)), buf, sig);
  if (s.ok) *path = buf;
  return s;
}

TEST(WatchItem, PathAndSignal) {
  std::string path;
  int sig = 0;
  ASSERT_TRUE(Item("/etc/nginx/conf.d:HUP", &path, &sig).ok);
  EXPECT_EQ(path, "/etc/nginx/conf.d");
  EXPECT_EQ(sig, SIGHUP);
  // The last ':' separates: a path may contain one.
  ASSERT_TRUE(Item("/a:b/c:SIGUSR1", &path, &sig).ok);
  EXPECT_EQ(path, "/a:b/c");
  EXPECT_EQ(sig, SIGUSR1);
}

TEST(WatchItem, Errors) {
  std::string path;
  int sig = 0;
  EXPECT_NE(std::string(Item("/etc/x", &path, &sig).error.text).find("PATH:SIGNAL"), std::string::npos);
  EXPECT_NE(std::string(Item("etc/x:HUP", &path, &sig).error.text).find("absolute"), std::string::npos);
  EXPECT_NE(std::string(Item(":HUP", &path, &sig).error.text).find("absolute"), std::string::npos);
  EXPECT_FALSE(Item("/etc/x:NOPE", &path, &sig).ok);
  EXPECT_FALSE(Item("/etc/x:", &path, &sig).ok);
  std::string longer = "/" + std::string(kWatchPathMax, 'a') + ":HUP";
  EXPECT_NE(std::string(Item(longer.c_str(), &path, &sig).error.text).find("longer than 255"), std::string::npos);
}

TEST(WatchDebounce, QuietWindowCappedByBurstLength) {
  EXPECT_EQ(DebounceDue(1000, 1000), 1000 + kWatchQuiet);
  EXPECT_EQ(DebounceDue(1000, 1500), 1500 + kWatchQuiet);
  // A change every 50 ms forever still acts once a second.
  EXPECT_EQ(DebounceDue(1000, 1950), 1000 + kWatchBurstMax);
  EXPECT_EQ(DebounceDue(1000, 5000), 1000 + kWatchBurstMax);
}

WatchTarget Target() {
  WatchTarget t;
  auto add = [&t](int wd, const char* name) {
    WatchEntry& e = t.entries[t.count++];
    e.wd = wd;
    e.name_off = static_cast<uint16_t>(t.names_used);
    e.name_len = static_cast<uint16_t>(strlen(name));
    memcpy(t.names + t.names_used, name, strlen(name));
    t.names_used += static_cast<int>(strlen(name));
  };
  add(1, "app.conf");  // the ConfigMap directory, for the file symlink
  add(1, "..data");    // ... and for the symlink it goes through
  add(2, "app.conf");  // the timestamped directory
  add(3, "");          // the file itself
  return t;
}

TEST(WatchMatch, NamesOnDirectoriesAnythingOnTheFile) {
  WatchTarget t = Target();
  EXPECT_TRUE(WatchEventMatches(t, 1, IN_MOVED_TO, "..data"));
  EXPECT_TRUE(WatchEventMatches(t, 1, IN_CREATE, "app.conf"));
  EXPECT_FALSE(WatchEventMatches(t, 1, IN_CREATE, "..data_tmp"));
  EXPECT_FALSE(WatchEventMatches(t, 1, IN_CREATE, "..2026_12_07_10_00_00.123456789"));
  EXPECT_FALSE(WatchEventMatches(t, 1, IN_DELETE, "app.con"));
  EXPECT_FALSE(WatchEventMatches(t, 2, IN_CREATE, "other.conf"));
  EXPECT_TRUE(WatchEventMatches(t, 3, IN_CLOSE_WRITE, nullptr));
  EXPECT_TRUE(WatchEventMatches(t, 3, IN_ATTRIB, nullptr));
  // A watched directory that goes away changes every name in it.
  EXPECT_TRUE(WatchEventMatches(t, 2, IN_DELETE_SELF, nullptr));
  EXPECT_TRUE(WatchEventMatches(t, 2, IN_IGNORED, nullptr));
  // Descriptors of other targets (or removed ones) do not match.
  EXPECT_FALSE(WatchEventMatches(t, 4, IN_CLOSE_WRITE, nullptr));
}

// Limits are errors naming them.
TEST(WatchLimits, TooManyWatches) {
  std::vector<std::string> args = {"cinit"};
  for (int i = 0; i <= kMaxMainWatches; i++) {
    args.push_back("--watch");
    args.push_back("/etc/x" + std::to_string(i) + ":HUP");
  }
  args.push_back("true");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* envp[] = {nullptr};
  auto o = std::make_unique<Options>();
  auto d = std::make_unique<DeclTable>();
  auto arena = std::make_unique<Arena>();
  Status s = ParseInvocation(static_cast<int>(args.size()), argv.data(), envp, nullptr, o.get(), d.get(), arena.get());
  ASSERT_FALSE(s.ok);
  EXPECT_NE(std::string(s.error.text).find("at most 8"), std::string::npos) << s.error.text;
}

TEST(WatchOptions, EnvironmentListAndCommandLineAddUp) {
  std::string a0 = "cinit", a1 = "--watch", a2 = "/c:USR1", a3 = "true";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
  std::string e0 = "CINIT_WATCH=/a:HUP,/b:USR2";
  char* envp[] = {e0.data(), nullptr};
  auto o = std::make_unique<Options>();
  auto d = std::make_unique<DeclTable>();
  auto arena = std::make_unique<Arena>();
  Status s = ParseInvocation(4, argv, envp, nullptr, o.get(), d.get(), arena.get());
  ASSERT_TRUE(s.ok) << s.error.text;
  ASSERT_EQ(o->watch_count, 3);
  EXPECT_STREQ(o->watch[0].path, "/a");
  EXPECT_EQ(o->watch[1].signal, SIGUSR2);
  EXPECT_STREQ(o->watch[2].path, "/c");
  EXPECT_EQ(o->watch[2].signal, SIGUSR1);
}

struct DeclFixture {
  std::unique_ptr<Arena> arena = std::make_unique<Arena>();
  Decl d;
  Status Parse(const char* spec, DeclKind kind = DeclKind::kSidecar) { return ParseDecl(spec, kind, arena.get(), &d); }
};

TEST(WatchDecl, WatchAndOnChange) {
  DeclFixture f;
  ASSERT_TRUE(f.Parse("x watch=/etc/a watch=/etc/b -- true").ok);
  EXPECT_EQ(f.d.watch_count, 2);
  EXPECT_STREQ(f.d.watch[1], "/etc/b");
  EXPECT_EQ(f.d.on_change, 0);  // restart
  ASSERT_TRUE(f.Parse("x watch=/etc/a on-change=HUP -- true").ok);
  EXPECT_EQ(f.d.on_change, SIGHUP);
  ASSERT_TRUE(f.Parse("x watch=/etc/a on-change=restart -- true").ok);
  EXPECT_EQ(f.d.on_change, 0);
}

TEST(WatchDecl, Errors) {
  DeclFixture f;
  EXPECT_NE(std::string(f.Parse("x watch=etc/a -- true").error.text).find("absolute"), std::string::npos);
  EXPECT_NE(std::string(f.Parse("x on-change=HUP -- true").error.text).find("without watch="), std::string::npos);
  EXPECT_FALSE(f.Parse("x watch=/a on-change=sometimes -- true").ok);
  EXPECT_NE(std::string(f.Parse("x watch=/a watch=/b watch=/c watch=/d watch=/e -- true").error.text).find("at most 4"),
            std::string::npos);
  EXPECT_NE(std::string(f.Parse("x watch=/a -- true", DeclKind::kInit).error.text).find("init tasks"),
            std::string::npos);
}

// The watcher on a real directory: a file replaced by rename is one change,
// due kWatchQuiet after the events; a write elsewhere in the directory is none.
TEST(Watcher, RenameOverTheFileIsOneDueChange) {
  char tmpl[] = "/tmp/cinit-watch-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  auto write = [](const std::string& p) { FILE* f = fopen(p.c_str(), "w"); ASSERT_NE(f, nullptr); fputs("x\n", f); fclose(f); };
  write(dir + "/app.conf");
  static std::string path = dir + "/app.conf";
  Watcher* w = WatcherAdd(path.c_str(), 3, SIGHUP);
  WatcherStart(w);
  ASSERT_GE(w->fd, 0);
  EXPECT_EQ(WatcherDeadline(*w), 0);  // no deadline before an event
  write(dir + "/other");
  pollfd p{w->fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  WatcherOnReadable(w, 1000);
  EXPECT_EQ(WatcherDeadline(*w), 0) << "another file in the directory counted";
  write(dir + "/app.conf.new");
  ASSERT_EQ(rename((dir + "/app.conf.new").c_str(), path.c_str()), 0);
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  WatcherOnReadable(w, 2000);
  EXPECT_EQ(WatcherDeadline(*w), 2000 + kWatchQuiet);
  EXPECT_EQ(WatcherTakeDue(w, 2000 + kWatchQuiet - 1), -1);
  int k = WatcherTakeDue(w, 2000 + kWatchQuiet);
  ASSERT_GE(k, 0);
  EXPECT_EQ(w->targets[k].owner, 3);
  EXPECT_EQ(WatcherTakeDue(w, 5000), -1);
  EXPECT_EQ(WatcherDeadline(*w), 0);
  unlink((dir + "/other").c_str());
  unlink(path.c_str());
  rmdir(dir.c_str());
}

}  // namespace
