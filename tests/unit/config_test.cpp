// Tests for src/config.cpp: the config file format and its loader.
#include "config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

// Arena and DeclTable are tens of KiB: keep them off the stack.
struct ConfigFixture {
  Options opts;
  std::unique_ptr<DeclTable> decls = std::make_unique<DeclTable>();
  std::unique_ptr<Arena> arena = std::make_unique<Arena>();

  Status Parse(std::string_view text, const char* path = "/etc/cinit.conf") {
    return ParseConfigText(text, path, &opts, decls.get(), arena.get());
  }
  Status Load(const std::string& path, bool explicit_path) {
    return LoadConfigFile(path.c_str(), explicit_path, &opts, decls.get(), arena.get());
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (int i = 0; i < decls->count; i++) out.emplace_back(decls->decls[i].name);
    return out;
  }
};

using V = std::vector<std::string>;

std::vector<std::string> Argv(const Decl& d) { return std::vector<std::string>(d.argv, d.argv + d.argc); }

// Fails with the message when s is an error, so the reason shows in the log.
::testing::AssertionResult IsOk(const Status& s) {
  if (s.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.error.text;
}

::testing::AssertionResult FailsWith(const Status& s, const std::string& needle) {
  if (s.ok) return ::testing::AssertionFailure() << "unexpectedly ok";
  if (std::string(s.error.text).find(needle) == std::string::npos)
    return ::testing::AssertionFailure() << "message '" << s.error.text << "' lacks '" << needle << "'";
  return ::testing::AssertionSuccess();
}

TEST(ConfigText, DeclarationsOptionsCommentsAndBlankLines) {
  ConfigFixture f;
  ASSERT_TRUE(IsOk(f.Parse("# cinit config\n"
                           "\n"
                           "grace = 20s\n"
                           "   # indented comment\n"
                           "init migrate -- /app/migrate --up\n"
                           "\t\n"
                           "sidecar web ready=tcp:localhost:80 -- nginx -g 'daemon off;'\n"
                           "pgroup=yes\n")));
  EXPECT_EQ(f.opts.grace, 20000);
  EXPECT_TRUE(f.opts.pgroup);
  EXPECT_EQ(f.Names(), (V{"migrate", "web"}));
  const Decl& init = f.decls->decls[0];
  EXPECT_EQ(init.kind, DeclKind::kInit);
  EXPECT_EQ(init.restart, RestartPolicy::kNever);
  EXPECT_EQ(Argv(init), (V{"/app/migrate", "--up"}));
  EXPECT_STREQ(init.origin.text, "/etc/cinit.conf:5");
  const Decl& web = f.decls->decls[1];
  EXPECT_EQ(web.kind, DeclKind::kSidecar);
  EXPECT_EQ(web.ready.kind, ReadyKind::kTcp);
  EXPECT_EQ(Argv(web), (V{"nginx", "-g", "daemon off;"}));
  EXPECT_STREQ(web.origin.text, "/etc/cinit.conf:7");
}

TEST(ConfigText, CrlfLineEndsAndByteOrderMark) {
  ConfigFixture f;
  ASSERT_TRUE(IsOk(f.Parse("\xEF\xBB\xBF# saved on Windows\r\n"
                           "grace = 3s\r\n"
                           "\r\n"
                           "sidecar log -- tail -F /var/log/app.log\r\n")));
  EXPECT_EQ(f.opts.grace, 3000);
  ASSERT_EQ(f.decls->count, 1);
  EXPECT_EQ(Argv(f.decls->decls[0]), (V{"tail", "-F", "/var/log/app.log"}));
  EXPECT_STREQ(f.decls->decls[0].origin.text, "/etc/cinit.conf:4");
}

TEST(ConfigText, LastLineWithoutNewlineAndEmptyText) {
  ConfigFixture f;
  ASSERT_TRUE(IsOk(f.Parse("")));
  ASSERT_TRUE(IsOk(f.Parse("\n\n")));
  ASSERT_TRUE(IsOk(f.Parse("sidecar a -- x")));
  EXPECT_EQ(f.Names(), V{"a"});
}

TEST(ConfigText, OnlyWholeLineCommentsSoHashStaysInCommands) {
  ConfigFixture f;
  ASSERT_TRUE(IsOk(f.Parse("sidecar a -- sh -c 'echo x # y'\n"
                           "sidecar b -- echo one # two\n")));
  EXPECT_EQ(Argv(f.decls->decls[0]), (V{"sh", "-c", "echo x # y"}));
  EXPECT_EQ(Argv(f.decls->decls[1]), (V{"echo", "one", "#", "two"}));
}

TEST(ConfigText, EqualsAfterKeywordIsAccepted) {
  ConfigFixture f;
  ASSERT_TRUE(IsOk(f.Parse("sidecar = a -- x\ninit=b -- y\n")));
  EXPECT_EQ(f.Names(), (V{"a", "b"}));
  EXPECT_EQ(f.decls->decls[1].kind, DeclKind::kInit);
}

TEST(ConfigText, ValuesAreTrimmedAndStable) {
  ConfigFixture f;
  ASSERT_TRUE(IsOk(f.Parse("user   =   app:staff   \nverbose=2\n")));
  EXPECT_STREQ(f.opts.user, "app:staff");
  EXPECT_EQ(f.opts.verbosity, 2);
}

TEST(ConfigText, LaterNameReplacesInPlace) {
  ConfigFixture f;
  ASSERT_TRUE(IsOk(f.Parse("sidecar a -- one\n"
                           "sidecar b -- two\n"
                           "init c -- three\n"
                           "sidecar a restart=never -- four\n")));
  EXPECT_EQ(f.Names(), (V{"a", "b", "c"}));
  EXPECT_EQ(Argv(f.decls->decls[0]), V{"four"});
  EXPECT_EQ(f.decls->decls[0].restart, RestartPolicy::kNever);
  EXPECT_STREQ(f.decls->decls[0].origin.text, "/etc/cinit.conf:4");
}

TEST(ConfigText, AppendsAfterEarlierSources) {
  ConfigFixture f;
  ASSERT_TRUE(IsOk(f.Parse("sidecar a -- x\n", "/first.conf")));
  ASSERT_TRUE(IsOk(f.Parse("sidecar b -- y\nsidecar a -- z\n", "/second.conf")));
  EXPECT_EQ(f.Names(), (V{"a", "b"}));
  EXPECT_STREQ(f.decls->decls[0].origin.text, "/second.conf:2");
}

struct BadConfig {
  std::string text;
  std::string needle;
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.text; }

const BadConfig kBadConfigs[] = {
    {"sidecar a -- x\nsidecar Bad -- x\n", "/etc/cinit.conf:2: bad name 'Bad'"},
    {"\n\n\nsidecar a restrat=always -- x\n", "/etc/cinit.conf:4: unknown option 'restrat=always'"},
    {"init a restart=always -- x\n", ":1: bad option 'restart=always'"},
    {"sidecar a -- 'unterminated\n", ":1: unterminated ' quote"},
    {"sidecar a -- x \\\n", ":1: trailing backslash"},
    {"sidecar\n", ":1: 'sidecar' needs a declaration"},
    {"init =  \n", ":1: 'init' needs a declaration"},
    {"sidecar a nginx\n", ":1: missing '--' before the command 'nginx'"},
    {"pgroup\n", ":1: expected 'sidecar SPEC', 'init SPEC' or 'key = value', got 'pgroup'"},
    {"sidecars a -- x\n", ":1: expected 'sidecar SPEC'"},
    {"grace = soon\n", ":1: --grace: bad duration 'soon'"},
    {"Grace = 5s\n", ":1: bad key 'Grace'"},
    {"= 5s\n", ":1: bad key ''"},
    {"grace time = 5s\n", ":1: bad key 'grace time'"},
    {"no-such-option = 1\n", ":1: unknown option 'no-such-option'"},
    {"config = /other.conf\n", ":1: 'config' cannot be set inside a config file"},
    {"grace = 1\r\nsidecar a ready=fd:1 -- x\r\n", ":2: bad option 'ready=fd:1'"},
    {std::string("sidecar a -- x\0y\n", 17), ":1: NUL byte"},
};

class ConfigBad : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigBad, NamesPathAndLine) {
  ConfigFixture f;
  EXPECT_TRUE(FailsWith(f.Parse(GetParam().text), GetParam().needle));
}

INSTANTIATE_TEST_SUITE_P(Config, ConfigBad, ::testing::ValuesIn(kBadConfigs));

TEST(ConfigText, StopsAtFirstError) {
  ConfigFixture f;
  EXPECT_TRUE(FailsWith(f.Parse("sidecar a -- x\nsidecar ! -- x\nsidecar b -- y\n"), ":2:"));
  EXPECT_EQ(f.Names(), V{"a"});
}

TEST(ConfigText, TooManyDeclarationsNamesTheLine) {
  ConfigFixture f;
  std::string text;
  for (int i = 0; i <= kMaxDecls; i++) text += "sidecar s" + std::to_string(i) + " -- x\n";
  EXPECT_TRUE(FailsWith(f.Parse(text), ":" + std::to_string(kMaxDecls + 1) + ": too many"));
  EXPECT_EQ(f.decls->count, kMaxDecls);
}

// Files: each test gets its own directory under the gtest temp dir.
class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "cinit_config_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    ASSERT_NE(mkdtemp(buf.data()), nullptr);
    dir_ = buf.data();
  }
  void TearDown() override {
    for (const auto& p : files_) unlink(p.c_str());
    rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    files_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> files_;
  ConfigFixture f;
};

TEST_F(ConfigFile, MissingDefaultFileIsFine) {
  EXPECT_TRUE(IsOk(f.Load(dir_ + "/absent.conf", false)));
  EXPECT_EQ(f.decls->count, 0);
}

TEST_F(ConfigFile, MissingExplicitFileIsAnError) {
  std::string path = dir_ + "/absent.conf";
  EXPECT_TRUE(FailsWith(f.Load(path, true), path + ": cannot open config file: No such file"));
}

TEST_F(ConfigFile, ReadsAndNamesItsPath) {
  std::string path = Write("cinit.conf", "grace = 7s\nsidecar a -- x\n");
  ASSERT_TRUE(IsOk(f.Load(path, true)));
  EXPECT_EQ(f.opts.grace, 7000);
  ASSERT_EQ(f.decls->count, 1);
  EXPECT_EQ(std::string(f.decls->decls[0].origin.text), path + ":2");
}

TEST_F(ConfigFile, ErrorsCarryPathAndLine) {
  std::string path = Write("bad.conf", "\nsidecar a -- 'x\n");
  EXPECT_TRUE(FailsWith(f.Load(path, false), path + ":2: unterminated"));
}

TEST_F(ConfigFile, DirectoryIsAnError) {
  EXPECT_TRUE(FailsWith(f.Load(dir_, true), dir_ + ": not a regular file"));
}

TEST_F(ConfigFile, SizeLimitIs64KiB) {
  std::string line = "#" + std::string(62, 'x') + "\n";  // 64 bytes
  std::string full;
  while (full.size() < static_cast<size_t>(kMaxConfigSize)) full += line;
  ASSERT_EQ(full.size(), static_cast<size_t>(kMaxConfigSize));
  EXPECT_TRUE(IsOk(f.Load(Write("full.conf", full), true)));
  EXPECT_TRUE(FailsWith(f.Load(Write("big.conf", full + "\n"), true), "larger than 64 KiB"));
}

}  // namespace
