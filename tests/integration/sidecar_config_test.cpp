// Declarations (SPEC §4): the SPEC syntax, its options and the three
// sources (config file, CINIT_INIT_n / CINIT_SIDECAR_n, --init/--sidecar).
// Every declaration is validated before anything starts: a mistake gives
// exit 125 and a "cinit: WHERE: ..." line naming the source and line, and
// nothing runs. Valid declarations from the three sources combine in order,
// a later NAME replacing an earlier one in place; the config file takes
// CRLF line ends and comments; user=, cwd= and env= shape the process; no
// child sees a CINIT_* variable.
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>

#include "harness.h"
#include "sidecar_support.h"

namespace cinit_test {
namespace {

struct BadCase {
  std::vector<std::string> args;  // options after the valid "ok" sidecar (arguments 1-2)
  std::vector<std::string> env;
  std::string config;             // config file text; given with --config when not empty
  std::string where;              // the location; CONF stands for the config file's path
  std::string fragment;           // something the message must mention
};

std::string Repeat(const std::string& word, int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += (i ? " " : "") + word;
  return text;
}

std::vector<BadCase> BadCases() {
  const std::string arg3 = "--sidecar (argument 3)";
  auto side = [&](const std::string& spec, const std::string& fragment) {
    return BadCase{{"--sidecar", spec}, {}, "", arg3, fragment};
  };
  std::vector<BadCase> cases = {
      // Names.
      side("Web -- true", "Web"),
      side("_web -- true", "_web"),
      side(std::string(33, 'a') + " -- true", "aaaa"),
      side("main -- true", "main"),
      // Shape.
      side("web true", "--"),
      side("web restart=never", "--"),
      side("web --", "command"),
      side("", "empty"),
      side("-- true", "NAME"),
      // Quoting.
      side("web -- sh -c 'echo", "quote"),
      side("web -- sh -c \"echo", "quote"),
      side("web -- true \\", "backslash"),
      side("web -- " + Repeat("x", 257), "257 words (at most 256)"),
      // Options.
      side("web restrat=always -- true", "restrat"),
      side("web restart=sometimes -- true", "restart"),
      side("web restart=never restart=always -- true", "twice"),
      side("web ok-codes=256 -- true", "ok-codes"),
      side("web ok-codes=0,,1 -- true", "ok-codes"),
      side("web ready=tcp:127.0.0.1:0 -- true", "port"),
      side("web ready=tcp:127.0.0.1:65536 -- true", "port"),
      side("web ready=tcp:127.0.0.1 -- true", "PORT"),
      side("web ready=tcp:example.com:80 -- true", "example.com"),
      side("web ready=http://127.0.0.1:99999/ -- true", "port"),
      side("web ready=https://127.0.0.1/ -- true", "https"),
      side("web ready=file:relative/path -- true", "absolute"),
      side("web ready=fd:2 -- true", "fd"),
      side("web ready=exec: -- true", "exec"),
      side("web ready=magic -- true", "magic"),
      side("web ready-timeout=0 -- true", "ready-timeout"),
      side("web ready-timeout=5x -- true", "5x"),
      side("web backoff=-1s -- true", "backoff"),
      side("web backoff=10s backoff-max=1s -- true", "backoff-max"),
      side("web stop-signal=NOPE -- true", "NOPE"),
      side("web stop-signal=99 -- true", "99"),
      side("web stop-timeout=soon -- true", "stop-timeout"),
      side("web max-restarts=x -- true", "max-restarts"),
      side("web max-restarts=-1 -- true", "max-restarts"),
      side("web critical=yes -- true", "critical"),
      side("web log=json -- true", "log"),
      side("web cwd=relative -- true", "cwd"),
      side("web env=NOEQUALS -- true", "env"),
      side("web user= -- true", "user"),
      side("web user=no-such-user-here -- true", "no-such-user-here"),
      // The other flag, the --opt=SPEC form, later argument positions.
      {{"--init", "job restart=always -- true"}, {}, "", "--init (argument 3)", "restart"},
      {{"--sidecar=web bogus -- true"}, {}, "", arg3, "bogus"},
      {{"--grace", "5s", "--sidecar", "web ready=fd:x -- true"}, {}, "", "--sidecar (argument 5)", "fd"},
      // The environment: the variable is the location.
      {{}, {"CINIT_SIDECAR_1=good -- true", "CINIT_SIDECAR_2=web bogus=1 -- true"}, "", "CINIT_SIDECAR_2", "bogus"},
      {{}, {"CINIT_INIT_2=setup -- "}, "", "CINIT_INIT_2", "command"},
      {{}, {"CINIT_SIDECAR_x=web -- true"}, "", "CINIT_SIDECAR_x", "number"},
      {{}, {"CINIT_SIDECAR_2=good -- true", "CINIT_SIDECAR_10=Bad -- true"}, "", "CINIT_SIDECAR_10", "Bad"},
      // The config file: PATH:LINE, counting comments, blank and CRLF lines.
      {{}, {}, "# comment\n\nsidecar web restrat=x -- true\n", "CONF:3", "restrat"},
      {{}, {}, "# comment\r\n\r\ninit ok2 -- true\r\nsidecar Bad -- true\r\n", "CONF:4", "Bad"},
      {{}, {}, "log-prefix = yes\ngrace = forever\n", "CONF:2", "forever"},
      {{}, {}, "no-such-option = 1\n", "CONF:1", "no-such-option"},
      {{}, {}, "sidecar\n", "CONF:1", "sidecar"},
      {{}, {}, "just-a-word\n", "CONF:1", "just-a-word"},
      {{}, {}, "sidecar web -- sh -c 'unterminated\n", "CONF:1", "quote"},
  };
  // 65 declarations: one too many; the 65th is the one named.
  BadCase many{{}, {}, "", "--sidecar (argument 129)", "(at most 64)"};
  for (int i = 2; i <= 65; ++i) {
    many.args.push_back("--sidecar");
    many.args.push_back("s" + std::to_string(i) + " -- true");
  }
  cases.push_back(many);
  return cases;
}

TEST(SidecarConfig, MalformedDeclarationsAreRejectedBeforeAnythingStarts) {
  CINIT_REQUIRE_ROOT();
  auto cases = BadCases();
  ASSERT_GE(cases.size(), 30u);
  for (const BadCase& c : cases) {
    SidecarRun run;
    std::vector<std::string> args = {"--sidecar", "ok -- sh -c 'touch $D/side-ran'"};
    std::string where = c.where;
    if (!c.config.empty()) {
      run.dir.Write("cinit.conf", c.config);
      args = {"--config", run.dir.Path("cinit.conf")};
      where.replace(0, 4, run.dir.Path("cinit.conf"));
    }
    args.insert(args.end(), c.args.begin(), c.args.end());
    for (std::string word : {"--", "sh", "-c", "touch $D/main-ran"}) args.push_back(word);
    auto options = run.MakeOptions(args);
    options.env.insert(options.env.end(), c.env.begin(), c.env.end());
    std::string label = "case: " + Join(c.args) + Join(c.env) + c.config;

    auto r = RunCinit(options);
    EXPECT_EQ(r.exit.status(), 125) << label << r.Describe();
    auto errors = LinesStartingWith(r.err, "cinit: " + where + ": ");
    EXPECT_EQ(errors.size(), 1u) << label << "expected one line starting 'cinit: " << where << ": '\n"
                                 << r.err;
    if (!errors.empty()) {
      EXPECT_NE(errors[0].find(c.fragment), std::string::npos)
          << label << "the message should mention '" << c.fragment << "': " << errors[0];
    }
    EXPECT_FALSE(run.dir.Exists("main-ran")) << label << "the main ran";
    EXPECT_FALSE(run.dir.Exists("side-ran")) << label << "a sidecar ran";
  }
}

// CRLF line ends, comments and blank lines; global options and both kinds
// of declaration from the file (CINIT_CONFIG names it).
TEST(SidecarConfig, ConfigFileWithCrlfAndComments) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  run.dir.Write("cinit.conf",
                "# cinit.conf for a test\r\n"
                "\r\n"
                "   # an indented comment\r\n"
                "log-prefix = yes\r\n"
                "grace = 5s\r\n"
                "init setup -- sh -c 'echo \"init [$0]\" > $EV' zero\r\n"
                "sidecar side ready=file:" + run.dir.Path("side.ready") +
                    " -- sh -c 'echo \"side [$0]\" > $EV; echo hello; touch $D/side.ready; read x < $HOLD' one\r\n"
                "\r\n");
  auto options = run.MakeOptions({"sh", "-c", "echo main > $EV; exit 3"});
  options.env.push_back("CINIT_CONFIG=" + run.dir.Path("cinit.conf"));
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  EXPECT_EQ(cinit.Wait(Ms(10000)).status(), 3) << cinit.Describe();
  // No '\r' reached an argument.
  EXPECT_EQ(run.ev.Drain(), (std::vector<std::string>{"init [zero]", "side [one]", "main"})) << cinit.Describe();
  EXPECT_EQ(Lines(cinit.Stdout()), std::vector<std::string>{"side | hello"}) << "log-prefix = yes ignored";
}

// A sidecar that reports its start and then becomes ready, so that starts
// are strictly ordered.
std::string Ordered(const SidecarRun& run, const std::string& name, const std::string& tag) {
  return name + " ready=file:" + run.dir.Path(name + ".ready") + " -- sh -c 'echo " + tag +
         " > $EV; touch $D/" + name + ".ready; read x < $HOLD'";
}

// Config file, then CINIT_SIDECAR_n by the number n (2 before 10), then
// flags; a redefinition keeps the original position.
TEST(SidecarConfig, SourcesCombineInOrderAndReplaceInPlace) {
  CINIT_REQUIRE_ROOT();
  SidecarRun run;
  run.dir.Write("cinit.conf", "sidecar " + Ordered(run, "a", "a-config") + "\nsidecar " +
                                  Ordered(run, "b", "b-config") + "\n");
  auto options = run.MakeOptions(
      {"--config", run.dir.Path("cinit.conf"), "--sidecar", Ordered(run, "b", "b-flag"), "--sidecar",
       Ordered(run, "e", "e-flag"), "--", "sh", "-c", "echo \"main $(env | grep -c ^CINIT_)\" > $EV"});
  options.env.push_back("CINIT_SIDECAR_10=" + Ordered(run, "d", "d-env"));
  options.env.push_back("CINIT_SIDECAR_2=" + Ordered(run, "a", "a-env"));
  options.env.push_back("CINIT_SIDECAR_3=" + Ordered(run, "c", "c-env"));
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  EXPECT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Describe();
  EXPECT_EQ(run.ev.Drain(),
            (std::vector<std::string>{"a-env", "b-flag", "c-env", "d-env", "e-flag", "main 0"}))
      << "expected: a and b in their config-file places with their later definitions, then "
         "CINIT_SIDECAR_3 before _10, then the flag; and no CINIT_* variable in the main\n"
      << cinit.Describe();
}

// user=nobody: uid and gid 65534, no supplementary groups (none of root's
// left); user=UID:GID likewise; cwd= and env= too; no CINIT_* variable.
// Gives this process supplementary groups until destroyed, so that cinit
// starts with some that a sidecar's user= must drop.
class ExtraGroups {
 public:
  ExtraGroups() {
    int n = getgroups(0, nullptr);
    saved_.resize(n > 0 ? n : 0);
    if (n > 0) getgroups(n, saved_.data());
    gid_t extra[] = {0, 4242};
    ok_ = setgroups(2, extra) == 0;
  }
  ~ExtraGroups() { setgroups(saved_.size(), saved_.data()); }
  bool ok() const { return ok_; }

 private:
  std::vector<gid_t> saved_;
  bool ok_ = false;
};

TEST(SidecarConfig, ProcessAttributes) {
  CINIT_REQUIRE_ROOT();
  ExtraGroups groups;
  ASSERT_TRUE(groups.ok()) << "setgroups: " << strerror(errno);
  SidecarRun run;
  Channel numeric(run.dir, "numeric");
  // Processes that are not root must reach the channels.
  Chmod(run.dir.path(), 0755);
  for (const auto& path : {run.ev.path(), run.hold.path(), numeric.path()}) Chmod(path, 0666);
  std::string work = run.dir.Path("work");
  ASSERT_EQ(mkdir(work.c_str(), 0755), 0);
  const std::string report =
      "grep -E \"^(Uid|Gid|Groups):\" /proc/self/status > $OUT; echo \"cwd $(pwd)\" > $OUT; "
      "echo \"greeting $GREETING\" > $OUT; echo \"cinit-vars $(env | grep -c ^CINIT_)\" > $OUT; read x < $HOLD";
  auto options = run.MakeOptions(
      {"--sidecar", "named user=nobody env=OUT=" + run.ev.path() + " -- sh -c '" + report + "'",  //
       "--sidecar",
       "numeric user=1234:5678 cwd=" + work + " env=GREETING=hello env=OUT=" + numeric.path() + " -- sh -c '" +
           report + "'",
       "--", "sh", "-c", "read x < $GO"});
  Cinit cinit(options);
  ASSERT_TRUE(cinit.started()) << cinit.error();
  run.ev.Watch(cinit);
  numeric.Watch(cinit);
  // cinit itself has the groups the sidecars must not get.
  EXPECT_EQ(ProcStatusField(cinit.pid(), "Groups"), "0 4242");
  std::string named_text = Join(ReadLines(run.ev, 6));
  std::string numeric_text = Join(ReadLines(numeric, 6));
  ASSERT_TRUE(run.go.Send("go"));
  EXPECT_EQ(cinit.Wait(Ms(10000)).status(), 0) << cinit.Describe();

  EXPECT_EQ(StatusField(named_text, "Uid"), "65534\t65534\t65534\t65534") << named_text << cinit.Describe();
  EXPECT_EQ(StatusField(named_text, "Gid"), "65534\t65534\t65534\t65534") << named_text;
  EXPECT_EQ(StatusField(named_text, "Groups"), "") << "supplementary groups left\n" << named_text;
  EXPECT_NE(named_text.find("cwd /\n"), std::string::npos) << "the default directory is cinit's (/ here)\n"
                                                           << named_text;
  EXPECT_NE(named_text.find("greeting \n"), std::string::npos) << named_text;
  EXPECT_NE(named_text.find("cinit-vars 0\n"), std::string::npos) << named_text;

  EXPECT_EQ(StatusField(numeric_text, "Uid"), "1234\t1234\t1234\t1234") << numeric_text;
  EXPECT_EQ(StatusField(numeric_text, "Gid"), "5678\t5678\t5678\t5678") << numeric_text;
  EXPECT_EQ(StatusField(numeric_text, "Groups"), "") << numeric_text;
  EXPECT_NE(numeric_text.find("cwd " + work + "\n"), std::string::npos) << numeric_text;
  EXPECT_NE(numeric_text.find("greeting hello\n"), std::string::npos) << numeric_text;
  EXPECT_NE(numeric_text.find("cinit-vars 0\n"), std::string::npos) << numeric_text;
}

}  // namespace
}  // namespace cinit_test
