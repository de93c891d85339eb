// Tests for src/user.cpp: USER[:GROUP] resolved against passwd/group text
// (ResolveUserIn) and against files (ResolveUser).
#include "user.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

// A typical Debian image, plus an application user.
constexpr const char kPasswd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n"
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "app:x:1000:1000::/home/app:/bin/sh\n"
    "svc:x:1001:50::/srv:/bin/sh\n";

constexpr const char kGroup[] =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "bin:x:2:\n"
    "adm:x:4:app\n"
    "staff:x:50:\n"
    "www-data:x:33:\n"
    "users:x:100:svc,app\n"
    "nogroup:x:65534:\n"
    "app:x:1000:app\n"
    "docker:x:999:other,app,more\n";

std::vector<gid_t> Groups(const Credentials& c) { return std::vector<gid_t>(c.groups, c.groups + c.group_count); }

using G = std::vector<gid_t>;

TEST(UserByName, UidAndGidFromPasswd) {
  auto r = ResolveUserIn("www-data", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 33u);
  EXPECT_EQ(r.value.gid, 33u);
  EXPECT_EQ(Groups(r.value), G{});

  r = ResolveUserIn("root", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 0u);
  EXPECT_EQ(r.value.gid, 0u);
}

TEST(UserByName, NobodyInATypicalDebianImage) {
  auto r = ResolveUserIn("nobody", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 65534u);
  EXPECT_EQ(r.value.gid, 65534u);
  EXPECT_EQ(r.value.group_count, 0);
}

TEST(UserByName, SupplementaryGroupsFromMemberListsWithoutThePrimary) {
  auto r = ResolveUserIn("app", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 1000u);
  EXPECT_EQ(r.value.gid, 1000u);
  // "app:x:1000:app" lists the primary group: it is not repeated.
  EXPECT_EQ(Groups(r.value), (G{4, 100, 999}));
}

TEST(UserByName, MembershipIsByWholeName) {
  const char group[] =
      "a:x:10:apple,xapp,ap\n"
      "b:x:11:app_\n"
      "c:x:12:APP\n"
      "d:x:13:app\n";
  auto r = ResolveUserIn("app", kPasswd, group);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(Groups(r.value), G{13});
}

TEST(UserByName, NameMustMatchExactly) {
  EXPECT_FALSE(ResolveUserIn("ap", kPasswd, kGroup).ok);
  EXPECT_FALSE(ResolveUserIn("apps", kPasswd, kGroup).ok);
  EXPECT_FALSE(ResolveUserIn("APP", kPasswd, kGroup).ok);
  EXPECT_FALSE(ResolveUserIn("x", kPasswd, kGroup).ok);  // the password field is not a name
}

TEST(UserByName, MissingUserNamesIt) {
  auto r = ResolveUserIn("ghost", kPasswd, kGroup);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(std::string(r.error.text).find("ghost"), std::string::npos) << r.error.text;
  r = ResolveUserIn("ghost", "", "");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(std::string(r.error.text).find("ghost"), std::string::npos) << r.error.text;
}

TEST(UserByNumber, GidFromPasswdWhenListed) {
  auto r = ResolveUserIn("1001", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 1001u);
  EXPECT_EQ(r.value.gid, 50u);
  // A bare number gets no supplementary groups, even if its name is listed.
  EXPECT_EQ(r.value.group_count, 0);

  r = ResolveUserIn("65534", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 65534u);
  EXPECT_EQ(r.value.gid, 65534u);
}

TEST(UserByNumber, GidEqualsUidWhenNotListed) {
  auto r = ResolveUserIn("4242", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 4242u);
  EXPECT_EQ(r.value.gid, 4242u);
  EXPECT_EQ(r.value.group_count, 0);

  r = ResolveUserIn("0", "", "");
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 0u);
  EXPECT_EQ(r.value.gid, 0u);

  // No databases at all (a scratch image).
  r = ResolveUserIn("1000", "", "");
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 1000u);
  EXPECT_EQ(r.value.gid, 1000u);
}

TEST(UserWithGroup, ByName) {
  auto r = ResolveUserIn("app:staff", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 1000u);
  EXPECT_EQ(r.value.gid, 50u);

  r = ResolveUserIn("app:users", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.gid, 100u);
  // The chosen primary group is not repeated among the supplementary ones.
  EXPECT_EQ(Groups(r.value), (G{4, 1000, 999}));
}

TEST(UserWithGroup, ByNumber) {
  auto r = ResolveUserIn("app:777", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 1000u);
  EXPECT_EQ(r.value.gid, 777u);

  r = ResolveUserIn("1000:1000", "", "");
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 1000u);
  EXPECT_EQ(r.value.gid, 1000u);

  r = ResolveUserIn("1001:65534", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 1001u);
  EXPECT_EQ(r.value.gid, 65534u);

  r = ResolveUserIn("4242:nogroup", kPasswd, kGroup);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 4242u);
  EXPECT_EQ(r.value.gid, 65534u);
}

TEST(UserWithGroup, MissingGroupNamesIt) {
  auto r = ResolveUserIn("app:wheel", kPasswd, kGroup);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(std::string(r.error.text).find("wheel"), std::string::npos) << r.error.text;
}

TEST(UserSpec, MalformedSpecsAreRejected) {
  for (const char* bad : {"", ":", "app:", ":100", ":staff"})
    EXPECT_FALSE(ResolveUserIn(bad, kPasswd, kGroup).ok) << "'" << bad << "'";
}

TEST(UserParsing, MalformedLinesAreSkipped) {
  const char passwd[] =
      "# a comment\n"
      "\n"
      "garbage line without colons\n"
      "app:x\n"
      "app:x:notanumber:1000::/:/bin/sh\n"
      "app:x:1000:gid?::/:/bin/sh\n"
      ":x:5:5::/:/bin/sh\n"
      "app:x:1000:1000::/home/app:/bin/sh\n"
      "tail:x:7:8";  // no final newline
  const char group[] =
      "broken\n"
      "g1:x:abc:app\n"
      "g2:x:\n"
      "g3:x:300:app\n"
      "#g4:x:400:app\n"
      "g5:x:500:app";  // no final newline
  auto r = ResolveUserIn("app", passwd, group);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 1000u);
  EXPECT_EQ(r.value.gid, 1000u);
  EXPECT_EQ(Groups(r.value), (G{300, 500}));

  r = ResolveUserIn("tail", passwd, group);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 7u);
  EXPECT_EQ(r.value.gid, 8u);

  r = ResolveUserIn("app:g3", passwd, group);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.gid, 300u);
  EXPECT_FALSE(ResolveUserIn("app:g1", passwd, group).ok);  // its gid is not a number
}

TEST(UserParsing, TooManyGroupsIsAnError) {
  auto groups = [](int n) {
    std::string text;
    for (int i = 0; i < n; i++) text += "g" + std::to_string(i) + ":x:" + std::to_string(2000 + i) + ":app\n";
    return text;
  };
  auto r = ResolveUserIn("app", kPasswd, groups(kMaxGroups + 1));
  EXPECT_FALSE(r.ok);
  r = ResolveUserIn("app", kPasswd, groups(kMaxGroups));  // exactly kMaxGroups fit
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.group_count, kMaxGroups);
}

// --- ResolveUser reads the files ---------------------------------------------

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/cinit-user-test-XXXXXX";
    int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    path = tmpl;
    EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
  }
  ~TempFile() { unlink(path.c_str()); }
};

TEST(UserFiles, ResolvesFromFiles) {
  TempFile passwd(kPasswd), group(kGroup);
  auto r = ResolveUser("app", passwd.path.c_str(), group.path.c_str());
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 1000u);
  EXPECT_EQ(r.value.gid, 1000u);
  EXPECT_EQ(Groups(r.value), (G{4, 100, 999}));

  r = ResolveUser("nobody:nogroup", passwd.path.c_str(), group.path.c_str());
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 65534u);
  EXPECT_EQ(r.value.gid, 65534u);
}

TEST(UserFiles, MissingFilesAreFineForNumbersOnly) {
  const char* none = "/nonexistent/cinit-test/passwd";
  auto r = ResolveUser("1234", none, none);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.uid, 1234u);
  EXPECT_EQ(r.value.gid, 1234u);

  r = ResolveUser("1234:5678", none, none);
  ASSERT_TRUE(r.ok) << r.error.text;
  EXPECT_EQ(r.value.gid, 5678u);

  r = ResolveUser("app", none, none);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(std::string(r.error.text).find("app"), std::string::npos) << r.error.text;
}

TEST(UserFiles, GroupNameNeedsTheGroupFile) {
  TempFile passwd(kPasswd);
  auto r = ResolveUser("app:staff", passwd.path.c_str(), "/nonexistent/cinit-test/group");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(std::string(r.error.text).find("staff"), std::string::npos) << r.error.text;
}

}  // namespace
