// Tests for src/spec.cpp: word splitting, declaration parsing, the table.
#include "spec.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace {

// The Arena is 32 KiB: keep it off the test's stack.
struct SpecFixture {
  std::unique_ptr<Arena> arena = std::make_unique<Arena>();

  // Words, or {"ERROR: message"}.
  std::vector<std::string> Split(std::string_view text, int max_words = 64) {
    const char* words[64] = {};
    Result<int> n = SplitWords(text, arena.get(), words, max_words);
    if (!n.ok) return {std::string("ERROR: ") + n.error.text};
    return std::vector<std::string>(words, words + n.value);
  }

  Status Parse(std::string_view spec, Decl* d, DeclKind kind = DeclKind::kSidecar) {
    return ParseDecl(spec, kind, arena.get(), d);
  }
};

std::vector<std::string> Argv(const char* const* argv) {
  std::vector<std::string> out;
  for (; *argv; argv++) out.emplace_back(*argv);
  return out;
}

using V = std::vector<std::string>;

TEST(SpecSplit, WhitespaceSeparates) {
  SpecFixture f;
  EXPECT_EQ(f.Split("a b  c"), (V{"a", "b", "c"}));
  EXPECT_EQ(f.Split("  \ta\n\tb\r\n"), (V{"a", "b"}));
  EXPECT_EQ(f.Split(""), V{});
  EXPECT_EQ(f.Split("   "), V{});
}

TEST(SpecSplit, SingleQuotesAreLiteral) {
  SpecFixture f;
  EXPECT_EQ(f.Split("'a b'"), V{"a b"});
  EXPECT_EQ(f.Split(R"('a\b' 'x\')"), (V{"a\\b", "x\\"}));  // no escapes at all
  EXPECT_EQ(f.Split(R"('say "hi"')"), V{"say \"hi\""});
  EXPECT_EQ(f.Split("'$HOME'"), V{"$HOME"});
}

TEST(SpecSplit, DoubleQuotesAllowOnlyQuoteAndBackslashEscapes) {
  SpecFixture f;
  EXPECT_EQ(f.Split(R"("a \" b")"), V{"a \" b"});
  EXPECT_EQ(f.Split(R"("a\\b")"), V{"a\\b"});
  // Any other backslash inside double quotes stays as written.
  EXPECT_EQ(f.Split(R"("a\nb")"), V{"a\\nb"});
  EXPECT_EQ(f.Split(R"("\$x\'")"), V{"\\$x\\'"});
  EXPECT_EQ(f.Split(R"("it's")"), V{"it's"});
}

TEST(SpecSplit, BackslashOutsideQuotesEscapesOneCharacter) {
  SpecFixture f;
  EXPECT_EQ(f.Split(R"(a\ b)"), V{"a b"});
  EXPECT_EQ(f.Split(R"(\'x\")"), V{"'x\""});
  EXPECT_EQ(f.Split(R"(a\\b)"), V{"a\\b"});
  EXPECT_EQ(f.Split(R"(\n)"), V{"n"});
}

TEST(SpecSplit, EmptyQuotesMakeAnEmptyWord) {
  SpecFixture f;
  EXPECT_EQ(f.Split("a '' b \"\""), (V{"a", "", "b", ""}));
}

TEST(SpecSplit, AdjacentPartsJoinIntoOneWord) {
  SpecFixture f;
  EXPECT_EQ(f.Split(R"(a'b c'"d"\ e)"), V{"ab cd e"});
}

TEST(SpecSplit, NoExpansionOfAnyKind) {
  SpecFixture f;
  EXPECT_EQ(f.Split("$HOME ~ *.txt $(id) `id` {a,b}"), (V{"$HOME", "~", "*.txt", "$(id)", "`id`", "{a,b}"}));
}

TEST(SpecSplit, Errors) {
  SpecFixture f;
  EXPECT_EQ(f.Split("a 'b")[0].rfind("ERROR: unterminated ' quote", 0), 0u);
  EXPECT_EQ(f.Split("a \"b")[0].rfind("ERROR: unterminated \" quote", 0), 0u);
  EXPECT_EQ(f.Split("a \"b\\\"")[0].rfind("ERROR: unterminated \" quote", 0), 0u);
  EXPECT_EQ(f.Split("a b\\")[0].rfind("ERROR: trailing backslash", 0), 0u);
  EXPECT_EQ(f.Split("a b c", 2)[0].rfind("ERROR: too many words (at most 2)", 0), 0u);
  EXPECT_EQ(f.Split("a b ", 2), (V{"a", "b"}));
}

TEST(SpecSplit, FailureLeavesArenaUntouched) {
  SpecFixture f;
  EXPECT_EQ(f.Split("keep"), V{"keep"});
  int used = f.arena->used;
  EXPECT_EQ(f.Split("a b 'c")[0].substr(0, 6), "ERROR:");
  EXPECT_EQ(f.Split("a b c d", 3)[0].substr(0, 6), "ERROR:");
  EXPECT_EQ(f.arena->used, used);
}

TEST(SpecSplit, FullArenaIsAnError) {
  SpecFixture f;
  f.arena->used = kArenaSize - 4;
  EXPECT_EQ(f.Split("ab"), V{"ab"});  // 3 bytes with the NUL
  EXPECT_EQ(f.Split("x")[0].substr(0, 6), "ERROR:");
  EXPECT_EQ(f.arena->used, kArenaSize - 1);
}

TEST(SpecArena, CopyTerminatesAndRefusesWhenFull) {
  SpecFixture f;
  char* p = ArenaCopy(f.arena.get(), std::string_view("hello world", 5));
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p, "hello");
  EXPECT_EQ(f.arena->used, 6);
  f.arena->used = kArenaSize - 3;
  EXPECT_EQ(ArenaCopy(f.arena.get(), "abc"), nullptr);
  EXPECT_NE(ArenaCopy(f.arena.get(), "ab"), nullptr);
  EXPECT_EQ(f.arena->used, kArenaSize);
}

TEST(SpecParse, MinimalSidecarGetsDefaults) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("web -- nginx -g 'daemon off;'", &d).ok);
  EXPECT_STREQ(d.name, "web");
  EXPECT_EQ(d.kind, DeclKind::kSidecar);
  EXPECT_EQ(d.restart, RestartPolicy::kAlways);
  EXPECT_TRUE(IsOkCode(d, 0));
  EXPECT_FALSE(IsOkCode(d, 1));
  EXPECT_EQ(d.ready.kind, ReadyKind::kNone);
  EXPECT_EQ(d.ready_timeout, 60000);
  EXPECT_FALSE(d.critical);
  EXPECT_EQ(d.stop_signal, 15);
  EXPECT_EQ(d.stop_timeout, 5000);
  EXPECT_EQ(d.backoff, 1000);
  EXPECT_EQ(d.backoff_max, 30000);
  EXPECT_EQ(d.max_restarts, 0u);
  EXPECT_EQ(d.user, nullptr);
  EXPECT_EQ(d.cwd, nullptr);
  EXPECT_EQ(d.env_count, 0);
  EXPECT_EQ(d.log, LogMode::kGlobal);
  EXPECT_EQ(d.argc, 3);
  EXPECT_EQ(Argv(d.argv), (V{"nginx", "-g", "daemon off;"}));
  EXPECT_EQ(d.argv[3], nullptr);
}

TEST(SpecParse, InitTaskDefaultsToNeverRestart) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("migrate -- /app/migrate --up", &d, DeclKind::kInit).ok);
  EXPECT_EQ(d.kind, DeclKind::kInit);
  EXPECT_EQ(d.restart, RestartPolicy::kNever);
  // on-failure (retry until it succeeds) and critical are accepted.
  ASSERT_TRUE(f.Parse("migrate restart=on-failure critical -- m", &d, DeclKind::kInit).ok);
  EXPECT_EQ(d.restart, RestartPolicy::kOnFailure);
}

TEST(SpecParse, KeepsKindAndOriginAndResetsTheRest) {
  SpecFixture f;
  Decl d;
  snprintf(d.origin.text, sizeof d.origin.text, "--sidecar #1");
  ASSERT_TRUE(f.Parse("a critical user=x env=A=1 -- x y", &d).ok);
  ASSERT_TRUE(f.Parse("b -- z", &d).ok);
  EXPECT_STREQ(d.origin.text, "--sidecar #1");
  EXPECT_STREQ(d.name, "b");
  EXPECT_FALSE(d.critical);
  EXPECT_EQ(d.user, nullptr);
  EXPECT_EQ(d.env_count, 0);
  EXPECT_EQ(d.env[0], nullptr);
  EXPECT_EQ(Argv(d.argv), V{"z"});
}

TEST(SpecParse, EveryOption) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("db-1.x_y restart=on-failure ok-codes=0,1,143,255 ready=tcp:127.0.0.1:5432 "
                      "ready-timeout=2m critical stop-signal=INT stop-timeout=250ms backoff=2s "
                      "backoff-max=1m max-restarts=5 user=app:staff cwd=/srv env=A=1 env=B=x=y "
                      "log=prefix -- postgres -D /data",
                      &d).ok);
  EXPECT_STREQ(d.name, "db-1.x_y");
  EXPECT_EQ(d.restart, RestartPolicy::kOnFailure);
  for (int c : {0, 1, 143, 255}) EXPECT_TRUE(IsOkCode(d, c)) << c;
  for (int c : {2, 142, 256, -1}) EXPECT_FALSE(IsOkCode(d, c)) << c;
  EXPECT_EQ(d.ready.kind, ReadyKind::kTcp);
  EXPECT_FALSE(d.ready.ipv6);
  EXPECT_EQ(d.ready.addr[0], 127);
  EXPECT_EQ(d.ready.addr[3], 1);
  EXPECT_EQ(d.ready.port, 5432);
  EXPECT_EQ(d.ready_timeout, 120000);
  EXPECT_TRUE(d.critical);
  EXPECT_EQ(d.stop_signal, 2);
  EXPECT_EQ(d.stop_timeout, 250);
  EXPECT_EQ(d.backoff, 2000);
  EXPECT_EQ(d.backoff_max, 60000);
  EXPECT_EQ(d.max_restarts, 5u);
  EXPECT_STREQ(d.user, "app:staff");
  EXPECT_STREQ(d.cwd, "/srv");
  EXPECT_EQ(d.env_count, 2);
  EXPECT_STREQ(d.env[0], "A=1");
  EXPECT_STREQ(d.env[1], "B=x=y");
  EXPECT_EQ(d.env[2], nullptr);
  EXPECT_EQ(d.log, LogMode::kPrefix);
  EXPECT_EQ(Argv(d.argv), (V{"postgres", "-D", "/data"}));
}

TEST(SpecParse, SmallOptionVariants) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("a restart=never ok-codes=3 stop-signal=SIGKILL user=1000 log=inherit -- x", &d).ok);
  EXPECT_EQ(d.restart, RestartPolicy::kNever);
  EXPECT_FALSE(IsOkCode(d, 0));
  EXPECT_TRUE(IsOkCode(d, 3));
  EXPECT_EQ(d.stop_signal, 9);
  EXPECT_STREQ(d.user, "1000");
  EXPECT_EQ(d.log, LogMode::kInherit);
  ASSERT_TRUE(f.Parse("a stop-signal=10 stop-timeout=0 max-restarts=0 -- x", &d).ok);
  EXPECT_EQ(d.stop_signal, 10);
  EXPECT_EQ(d.stop_timeout, 0);
}

TEST(SpecParse, RepeatedEnvKeyReplacesValue) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("a env=A=1 env=AB=2 env=A=3 env=EMPTY= -- x", &d).ok);
  EXPECT_EQ(d.env_count, 3);
  EXPECT_STREQ(d.env[0], "A=3");
  EXPECT_STREQ(d.env[1], "AB=2");
  EXPECT_STREQ(d.env[2], "EMPTY=");
}

TEST(SpecParse, BackoffAloneRaisesTheDefaultCeiling) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("a backoff=1m -- x", &d).ok);
  EXPECT_EQ(d.backoff, 60000);
  EXPECT_EQ(d.backoff_max, 60000);
  ASSERT_TRUE(f.Parse("a backoff-max=5s backoff=5s -- x", &d).ok);
  EXPECT_EQ(d.backoff_max, 5000);
}

TEST(SpecParse, ReadyTcpAndHttpAddresses) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("a ready=tcp:localhost:80 -- x", &d).ok);
  EXPECT_EQ(d.ready.addr[0], 127);
  EXPECT_EQ(d.ready.addr[3], 1);
  EXPECT_EQ(d.ready.port, 80);
  ASSERT_TRUE(f.Parse("a ready=tcp:[::1]:65535 -- x", &d).ok);
  EXPECT_TRUE(d.ready.ipv6);
  EXPECT_EQ(d.ready.addr[0], 0);
  EXPECT_EQ(d.ready.addr[15], 1);
  EXPECT_EQ(d.ready.port, 65535);
  ASSERT_TRUE(f.Parse("a ready=http://10.1.2.3:8080/healthz?full=1 -- x", &d).ok);
  EXPECT_EQ(d.ready.kind, ReadyKind::kHttp);
  EXPECT_EQ(d.ready.addr[0], 10);
  EXPECT_EQ(d.ready.port, 8080);
  EXPECT_STREQ(d.ready.http_path, "/healthz?full=1");
  ASSERT_TRUE(f.Parse("a ready=http://localhost -- x", &d).ok);
  EXPECT_EQ(d.ready.port, 80);
  EXPECT_STREQ(d.ready.http_path, "/");
  ASSERT_TRUE(f.Parse("a ready=http://[fe80::2]:81/ -- x", &d).ok);
  EXPECT_TRUE(d.ready.ipv6);
  EXPECT_EQ(d.ready.addr[0], 0xfe);
  EXPECT_EQ(d.ready.addr[15], 2);
  EXPECT_EQ(d.ready.port, 81);
}

TEST(SpecParse, ReadyExecIsSplitAgain) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("db 'ready=exec:pg_isready -q' -- postgres", &d).ok);
  EXPECT_EQ(d.ready.kind, ReadyKind::kExec);
  EXPECT_EQ(Argv(d.ready.exec_argv), (V{"pg_isready", "-q"}));
  ASSERT_TRUE(f.Parse(R"(a "ready=exec:sh -c 'test -f /tmp/up'" -- x)", &d).ok);
  EXPECT_EQ(Argv(d.ready.exec_argv), (V{"sh", "-c", "test -f /tmp/up"}));
  ASSERT_TRUE(f.Parse("a ready=exec:true -- x", &d).ok);
  EXPECT_EQ(Argv(d.ready.exec_argv), V{"true"});
}

TEST(SpecParse, ReadyFileAndFd) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("a ready=file:/run/app.ready -- x", &d).ok);
  EXPECT_EQ(d.ready.kind, ReadyKind::kFile);
  EXPECT_STREQ(d.ready.file_path, "/run/app.ready");
  ASSERT_TRUE(f.Parse("a ready=fd:3 -- x", &d).ok);
  EXPECT_EQ(d.ready.kind, ReadyKind::kFd);
  EXPECT_EQ(d.ready.fd, 3);
  ASSERT_TRUE(f.Parse("a ready=fd:1023 -- x", &d).ok);
  EXPECT_EQ(d.ready.fd, 1023);
}

TEST(SpecParse, ReadyNotify) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("a ready=notify -- x", &d).ok);
  EXPECT_EQ(d.ready.kind, ReadyKind::kNotify);
  EXPECT_FALSE(f.Parse("a ready=notify:1 -- x", &d).ok);
}

TEST(SpecParse, WordsAfterDashesBelongToTheCommand) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("a -- cmd restart=never -- critical '' \"$X\"", &d).ok);
  EXPECT_EQ(d.restart, RestartPolicy::kAlways);
  EXPECT_FALSE(d.critical);
  EXPECT_EQ(Argv(d.argv), (V{"cmd", "restart=never", "--", "critical", "", "$X"}));
}

TEST(SpecParse, NameAndArgvLimits) {
  SpecFixture f;
  Decl d;
  std::string name32(32, 'n');
  ASSERT_TRUE(f.Parse(name32 + " -- x", &d).ok);
  EXPECT_EQ(std::string(d.name), name32);
  ASSERT_TRUE(f.Parse("0 -- x", &d).ok);
  std::string spec = "a --";
  for (int i = 0; i < kMaxArgs; i++) spec += " w" + std::to_string(i);
  ASSERT_TRUE(f.Parse(spec, &d).ok);
  EXPECT_EQ(d.argc, kMaxArgs);
  EXPECT_EQ(d.argv[kMaxArgs], nullptr);
  std::string envs = "a";
  for (int i = 0; i < kMaxEnv; i++) envs += " env=K" + std::to_string(i) + "=v";
  ASSERT_TRUE(f.Parse(envs + " -- x", &d).ok);
  EXPECT_EQ(d.env_count, kMaxEnv);
  EXPECT_EQ(d.env[kMaxEnv], nullptr);
}

TEST(SpecParse, RejectedDeclarationLeavesArenaUntouched) {
  SpecFixture f;
  Decl d;
  ASSERT_TRUE(f.Parse("ok -- x", &d).ok);
  int used = f.arena->used;
  ASSERT_FALSE(f.Parse("bad ready='exec:a b' nope -- long command words", &d).ok);
  EXPECT_EQ(f.arena->used, used);
}

// Every malformed declaration fails with a message that quotes what is wrong.
struct BadCase {
  DeclKind kind;
  std::string spec;
  std::string needle;
};

// prefix, then n times " " + word + i + tail.
std::string Many(const char* prefix, int n, const char* word, const char* tail = "") {
  std::string s = prefix;
  for (int i = 0; i < n; i++) s += " " + std::string(word) + std::to_string(i) + tail;
  return s;
}

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.spec; }

constexpr DeclKind S = DeclKind::kSidecar;
constexpr DeclKind I = DeclKind::kInit;

const BadCase kBadCases[] = {
    {S, "", "empty declaration"},
    {S, " \t ", "empty declaration"},
    {S, "Web -- x", "'Web'"},
    {S, "-web -- x", "'-web'"},
    {S, "_web -- x", "'_web'"},
    {S, "we/b -- x", "'we/b'"},
    {S, "web! -- x", "'web!'"},
    {S, std::string(33, 'a') + " -- x", std::string(33, 'a')},
    {S, "'' -- x", "bad name ''"},
    {S, "web nginx -g x", "missing '--' before the command 'nginx'"},
    {S, "web critical nginx", "missing '--' before the command 'nginx'"},
    {S, "web critical", "missing '-- COMMAND' after 'critical'"},
    {S, "web", "missing '-- COMMAND' after 'web'"},
    {S, "-- x", "missing NAME"},
    {S, "web --", "no command after '--'"},
    {S, "web -- '' arg", "empty command"},
    {S, Many("web --", kMaxArgs + 1, "w"), std::to_string(kMaxArgs + 1) + " words (at most " + std::to_string(kMaxArgs) + ")"},
    {S, "web restrat=always -- x", "'restrat=always' (did you mean 'restart='?)"},
    {S, "web crtical -- x", "did you mean 'critical'"},
    {S, "web bogus -- x", "unknown option 'bogus'"},
    {S, "web restart=sometimes -- x", "'restart=sometimes'"},
    {S, "web restart -- x", "'restart' needs a value: restart=always|on-failure|never"},
    {S, "web restart=always restart=never -- x", "'restart=never' given twice"},
    {S, "web cwd=/a cwd=/b -- x", "'cwd=/b' given twice"},
    {S, "web critical critical -- x", "'critical' given twice"},
    {S, "web critical=yes -- x", "'critical=yes' takes no value"},
    {S, "web ok-codes= -- x", "'ok-codes='"},
    {S, "web ok-codes=0,256 -- x", "'ok-codes=0,256'"},
    {S, "web ok-codes=1,,2 -- x", "'ok-codes=1,,2'"},
    {S, "web ok-codes=-1 -- x", "'ok-codes=-1'"},
    {S, "web ready=tcp:localhost -- x", "'ready=tcp:localhost'"},
    {S, "web ready=tcp:localhost:0 -- x", "'ready=tcp:localhost:0'"},
    {S, "web ready=tcp:localhost:65536 -- x", "'ready=tcp:localhost:65536'"},
    {S, "web ready=tcp:localhost:80x -- x", "'ready=tcp:localhost:80x'"},
    {S, "web ready=tcp:example.com:80 -- x", "no DNS"},
    {S, "web ready=tcp:::1:80 -- x", "in brackets"},
    {S, "web ready=tcp:[::1:80 -- x", "missing ']'"},
    {S, "web ready=tcp:[::1]80 -- x", "'ready=tcp:[::1]80'"},
    {S, "web ready=tcp:256.1.1.1:80 -- x", "'ready=tcp:256.1.1.1:80'"},
    {S, "web ready=tcp:[127.0.0.1]:80 -- x", "'ready=tcp:[127.0.0.1]:80'"},
    {S, "web ready=https://localhost/ -- x", "https is not supported"},
    {S, "web 'ready=http://localhost/a b' -- x", "'ready=http://localhost/a b'"},
    {S, "web ready=exec: -- x", "'ready=exec:'"},
    {S, "web 'ready=exec:a \"b' -- x", "unterminated \" quote"},
    {S, "web ready=file:relative -- x", "'ready=file:relative'"},
    {S, "web ready=fd:2 -- x", "'ready=fd:2'"},
    {S, "web ready=fd:1024 -- x", "'ready=fd:1024'"},
    {S, "web ready=fd:x -- x", "'ready=fd:x'"},
    {S, "web ready=carrier-pigeon -- x", "'ready=carrier-pigeon'"},
    {S, "web ready-timeout=5x -- x", "'ready-timeout=5x'"},
    {S, "web ready-timeout=0 -- x", "'ready-timeout=0'"},
    {S, "web stop-timeout=-1s -- x", "'stop-timeout=-1s'"},
    {S, "web backoff=abc -- x", "'backoff=abc'"},
    {S, "web backoff=0 -- x", "'backoff=0'"},
    {S, "web backoff=10s backoff-max=5s -- x", "'backoff-max=5s' is shorter than 'backoff=10s'"},
    {S, "web stop-signal=FOO -- x", "'stop-signal=FOO'"},
    {S, "web stop-signal=0 -- x", "'stop-signal=0'"},
    {S, "web max-restarts=many -- x", "'max-restarts=many'"},
    {S, "web user= -- x", "'user='"},
    {S, "web user=:grp -- x", "'user=:grp'"},
    {S, "web user=a: -- x", "'user=a:'"},
    {S, "web user=a:b:c -- x", "'user=a:b:c'"},
    {S, "web cwd=relative -- x", "'cwd=relative'"},
    {S, "web env=NOVALUE -- x", "'env=NOVALUE'"},
    {S, "web env==x -- x", "'env==x'"},
    {S, Many("web", kMaxEnv + 1, "env=K", "=v") + " -- x", "too many env="},
    {S, "web log=loud -- x", "'log=loud'"},
    {S, "web 'unterminated -- x", "unterminated ' quote"},
    {S, "web \"unterminated -- x", "unterminated \" quote"},
    {S, "web -- x \\", "trailing backslash"},
    {I, "mig restart=always -- x", "'restart=always'"},
    {I, "mig ready=tcp:localhost:80 -- x", "'ready=tcp:localhost:80'"},
};

class SpecMalformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(SpecMalformed, FailsNamingTheOffendingWord) {
  const BadCase& c = GetParam();
  SpecFixture f;
  Decl d;
  Status s = f.Parse(c.spec, &d, c.kind);
  ASSERT_FALSE(s.ok) << c.spec;
  std::string msg = s.error.text;
  EXPECT_NE(msg.find(c.needle), std::string::npos) << "spec: " << c.spec << "\nmessage: " << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_EQ(f.arena->used, 0) << c.spec;
}

INSTANTIATE_TEST_SUITE_P(Spec, SpecMalformed, ::testing::ValuesIn(kBadCases));

TEST(SpecMalformed, TableIsLargeEnough) { EXPECT_GE(sizeof kBadCases / sizeof kBadCases[0], 30u); }

TEST(SpecMalformed, UnknownOptionListsTheChoices) {
  SpecFixture f;
  Decl d;
  Status s = f.Parse("web zzz=1 -- x", &d);
  ASSERT_FALSE(s.ok);
  EXPECT_NE(std::string(s.error.text).find("expected restart=, ok-codes=, ready="), std::string::npos)
      << s.error.text;
}

// The table keeps first-definition order; a later NAME replaces in place.
Decl Named(const char* name, const char* cmd) {
  Decl d;
  snprintf(d.name, sizeof d.name, "%s", name);
  d.argv[0] = cmd;
  d.argc = 1;
  return d;
}

TEST(SpecTable, AppendsThenReplacesInPlace) {
  auto t = std::make_unique<DeclTable>();
  ASSERT_TRUE(AddOrReplace(t.get(), Named("a", "1")).ok);
  ASSERT_TRUE(AddOrReplace(t.get(), Named("b", "2")).ok);
  ASSERT_TRUE(AddOrReplace(t.get(), Named("c", "3")).ok);
  ASSERT_TRUE(AddOrReplace(t.get(), Named("a", "4")).ok);
  ASSERT_EQ(t->count, 3);
  EXPECT_STREQ(t->decls[0].name, "a");
  EXPECT_STREQ(t->decls[0].argv[0], "4");
  EXPECT_STREQ(t->decls[1].name, "b");
  EXPECT_STREQ(t->decls[2].name, "c");
}

TEST(SpecTable, RejectsOneTooManyButStillReplaces) {
  auto t = std::make_unique<DeclTable>();
  for (int i = 0; i < kMaxDecls; i++)
    ASSERT_TRUE(AddOrReplace(t.get(), Named(("n" + std::to_string(i)).c_str(), "x")).ok);
  Status s = AddOrReplace(t.get(), Named("extra", "x"));
  ASSERT_FALSE(s.ok);
  EXPECT_NE(std::string(s.error.text).find("'extra'"), std::string::npos) << s.error.text;
  EXPECT_TRUE(AddOrReplace(t.get(), Named("n3", "y")).ok);
  EXPECT_EQ(t->count, kMaxDecls);
  EXPECT_STREQ(t->decls[3].argv[0], "y");
}

}  // namespace
