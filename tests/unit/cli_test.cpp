// Tests for src/cli.cpp: the command line and its environment forms (SPEC §1),
// declarations from the environment and flags (§4), `cinit status`.
#include "cli.h"

#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

namespace {

using V = std::vector<std::string>;

// Owns argv/envp for one parse; Options and the big tables live on the heap.
struct Cli {
  V args, env;
  std::vector<char*> argv, envp;
  std::unique_ptr<Options> opts = std::make_unique<Options>();
  std::unique_ptr<DeclTable> decls = std::make_unique<DeclTable>();
  std::unique_ptr<Arena> arena = std::make_unique<Arena>();
  Status status;

  Cli(V a, V e = {}, ConfigLoader loader = nullptr) : args(std::move(a)), env(std::move(e)) {
    args.insert(args.begin(), "cinit");
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    status = ParseInvocation(static_cast<int>(args.size()), argv.data(), envp.data(), loader, opts.get(),
                             decls.get(), arena.get());
  }
  bool ok() const { return status.ok; }
  std::string error() const { return status.ok ? "(no error)" : status.error.text; }
  V command() const { V out; for (char** c = opts->command; c && *c; c++) out.emplace_back(*c); return out; }
  V names() const { V out; for (int i = 0; i < decls->count; i++) out.emplace_back(decls->decls[i].name); return out; }
  const Options& o() const { return *opts; }
};

// Expects a parse error whose message contains each of the words.
void ExpectError(const Cli& c, std::initializer_list<const char*> words) {
  ASSERT_FALSE(c.ok()) << "parsed, command " << (c.command().empty() ? "" : c.command()[0]);
  for (const char* w : words) EXPECT_NE(c.error().find(w), std::string::npos) << "'" << w << "' not in: " << c.error();
}

#define EXPECT_PARSED(c) ASSERT_TRUE((c).ok()) << (c).error()

// --- Where options end --------------------------------------------------------

TEST(CliCommand, OptionsEndAtTheFirstNonOptionWord) {
  Cli c({"sh", "-c", "exit 3"});
  EXPECT_PARSED(c);
  EXPECT_EQ(c.command(), (V{"sh", "-c", "exit 3"}));
  EXPECT_EQ(c.o().mode, Mode::kRun);
  EXPECT_EQ(c.o().command, c.argv.data() + 1);  // points into argv, NULL-terminated
  EXPECT_EQ(c.o().command[3], nullptr);
  Cli g({"-g", "server", "-v", "--grace", "1s"});
  EXPECT_PARSED(g);
  EXPECT_TRUE(g.o().pgroup);
  EXPECT_EQ(g.command(), (V{"server", "-v", "--grace", "1s"}));
  EXPECT_EQ(g.o().verbosity, 0);
  EXPECT_EQ(g.o().grace, 10000);
}

TEST(CliCommand, DoubleDashEndsOptions) {
  Cli c({"--", "-g", "x"});
  EXPECT_PARSED(c);
  EXPECT_EQ(c.command(), (V{"-g", "x"}));
  EXPECT_FALSE(c.o().pgroup);
  Cli d({"-g", "--", "--", "a"});
  EXPECT_PARSED(d);
  EXPECT_TRUE(d.o().pgroup);
  EXPECT_EQ(d.command(), (V{"--", "a"}));
  Cli s({"--", "status"});  // not the status subcommand
  EXPECT_PARSED(s);
  EXPECT_EQ(s.o().mode, Mode::kRun);
  EXPECT_EQ(s.command(), V{"status"});
}

TEST(CliCommand, UsageErrors) {
  ExpectError(Cli({}), {"no command"});
  ExpectError(Cli({"-g"}), {"no command"});
  ExpectError(Cli({"--grace", "3s", "--"}), {"no command"});
  ExpectError(Cli({"--bogus", "x"}), {"--bogus"});
  ExpectError(Cli({"-x", "x"}), {"-x"});
  ExpectError(Cli({"--pgroups", "x"}), {"--pgroups"});
  ExpectError(Cli({"--PGROUP", "x"}), {});
  // An option missing its value.
  ExpectError(Cli({"--grace"}), {"--grace"});
  ExpectError(Cli({"-t"}), {"-t"});
  ExpectError(Cli({"-g", "-e"}), {"-e"});
  ExpectError(Cli({"--sidecar"}), {"--sidecar"});
  ExpectError(Cli({"--config"}), {"--config"});
}

// --- Every option: short, long, --long=value -----------------------------------

// Parses each form and hands the options to check.
template <class F>
void EachForm(std::initializer_list<V> forms, F check) {
  for (const V& a : forms) {
    Cli c(a);
    SCOPED_TRACE(a[0]);
    EXPECT_PARSED(c);
    EXPECT_EQ(c.command(), V{"x"});
    check(c.o());
  }
}

TEST(CliOptions, EveryFormOfEveryValueOption) {
  EachForm({{"-r", "TERM:QUIT", "x"}, {"--rewrite", "TERM:QUIT", "x"}, {"--rewrite=TERM:QUIT", "x"},
            {"-rTERM:QUIT", "x"}, {"-r", "sigterm:sigquit", "x"}, {"-r", "15:3", "x"}},
           [](const Options& o) { EXPECT_EQ(o.rewrite[SIGTERM], SIGQUIT); EXPECT_EQ(o.rewrite[SIGINT], -1); });
  EachForm({{"-e", "3", "x"}, {"--remap-exit", "3", "x"}, {"--remap-exit=3", "x"}, {"-e3", "x"}},
           [](const Options& o) { EXPECT_TRUE(IsRemapped(o, 3)); EXPECT_FALSE(IsRemapped(o, 0)); });
  EachForm({{"-p", "KILL", "x"}, {"--pdeathsig", "SIGKILL", "x"}, {"--pdeathsig=9", "x"}, {"-pkill", "x"}},
           [](const Options& o) { EXPECT_EQ(o.pdeathsig, SIGKILL); });
  EachForm({{"-t", "5s", "x"}, {"--timeout", "5000ms", "x"}, {"--timeout=5", "x"}, {"-t5s", "x"}},
           [](const Options& o) { EXPECT_EQ(o.timeout, 5000); });
  EachForm({{"--grace", "3s", "x"}, {"--grace=3s", "x"}, {"--grace", "3", "x"}, {"--grace=3000ms", "x"}},
           [](const Options& o) { EXPECT_EQ(o.grace, 3000); });
  EachForm({{"-u", "app:staff", "x"}, {"--user", "app:staff", "x"}, {"--user=app:staff", "x"}, {"-uapp:staff", "x"}},
           [](const Options& o) { EXPECT_STREQ(o.user, "app:staff"); });
}

TEST(CliOptions, EveryFormOfEveryFlag) {
  EachForm({{"-g", "x"}, {"--pgroup", "x"}}, [](const Options& o) { EXPECT_TRUE(o.pgroup); });
  EachForm({{"-w", "x"}, {"--warn-reaped", "x"}}, [](const Options& o) { EXPECT_TRUE(o.warn_reaped); });
  EachForm({{"-v", "x"}, {"--verbose", "x"}}, [](const Options& o) { EXPECT_EQ(o.verbosity, 1); });
  EachForm({{"--log-prefix", "x"}}, [](const Options& o) { EXPECT_TRUE(o.log_prefix); });
  // tini -s, dumb-init -c/--single-child: accepted, and change nothing.
  EachForm({{"-s", "x"}, {"--subreaper", "x"}, {"-c", "x"}, {"--single-child", "x"}}, [](const Options& o) {
    EXPECT_FALSE(o.pgroup);
    EXPECT_EQ(o.verbosity, 0);
  });
  EXPECT_EQ(Cli({"--verbose", "--verbose", "-v", "x"}).o().verbosity, 3);
  ExpectError(Cli({"--pgroup=1", "x"}), {"--pgroup"});
  ExpectError(Cli({"--verbose=2", "x"}), {"--verbose"});
  ExpectError(Cli({"--log-prefix=yes", "x"}), {"--log-prefix"});
}

TEST(CliOptions, Defaults) {
  Cli c({"x"});
  EXPECT_PARSED(c);
  const Options& o = c.o();
  EXPECT_FALSE(o.pgroup || o.warn_reaped || o.log_prefix || o.pdeathsig || o.timeout || o.verbosity || o.user[0]);
  EXPECT_EQ(o.grace, 10000);
  for (int sig = 1; sig <= kMaxSignal; sig++) EXPECT_EQ(o.rewrite[sig], -1) << sig;
  for (int code = 0; code < 256; code++) EXPECT_FALSE(IsRemapped(o, code)) << code;
}

TEST(CliOptions, RepeatedAndListedRewritesAndRemaps) {
  Cli c({"-r", "15:3", "-r", "INT:0", "--rewrite", "USR1:USR2,HUP:TERM", "-r", "RTMIN+3:RTMAX-1", "-e", "3", "-e",
         "143", "--remap-exit", "1,2", "-e", "255", "-e", "0", "x"});
  EXPECT_PARSED(c);
  EXPECT_EQ(c.o().rewrite[SIGTERM], SIGQUIT);
  EXPECT_EQ(c.o().rewrite[SIGINT], 0);
  EXPECT_EQ(c.o().rewrite[SIGUSR1], SIGUSR2);
  EXPECT_EQ(c.o().rewrite[SIGHUP], SIGTERM);
  EXPECT_EQ(c.o().rewrite[SIGRTMIN + 3], SIGRTMAX - 1);
  EXPECT_EQ(c.o().rewrite[SIGQUIT], -1);
  for (int code : {0, 1, 2, 3, 143, 255}) EXPECT_TRUE(IsRemapped(c.o(), code)) << code;
  for (int code : {4, 64, 127, 142, 254}) EXPECT_FALSE(IsRemapped(c.o(), code)) << code;
}

TEST(CliOptions, BadValues) {
  ExpectError(Cli({"-r", "TERM", "x"}), {"TERM"});
  ExpectError(Cli({"-r", "TERM:BOGUS", "x"}), {"BOGUS"});
  ExpectError(Cli({"-r", "BOGUS:TERM", "x"}), {"BOGUS"});
  ExpectError(Cli({"-r", "0:TERM", "x"}), {"0"});  // the source cannot be 0
  ExpectError(Cli({"-r", "", "x"}), {});
  ExpectError(Cli({"-e", "300", "x"}), {"300"});
  ExpectError(Cli({"-e", "256", "x"}), {"256"});
  ExpectError(Cli({"-e", "abc", "x"}), {"abc"});
  ExpectError(Cli({"-p", "BOGUS", "x"}), {"BOGUS"});
  ExpectError(Cli({"-p", "0", "x"}), {});
  ExpectError(Cli({"-t", "5x", "x"}), {"5x"});
  ExpectError(Cli({"--grace", "soon", "x"}), {"--grace", "soon"});
  ExpectError(Cli({"--grace=", "x"}), {"--grace"});
  ExpectError(Cli({"--user=", "x"}), {"--user"});
  ExpectError(Cli({"-u", std::string(200, 'a'), "x"}), {"--user"});
}

TEST(CliOptions, HelpVersionLicenseNeedNoCommand) {
  for (V a : {V{"-h"}, V{"--help"}}) EXPECT_EQ(Cli(a).o().mode, Mode::kHelp) << a[0];
  for (V a : {V{"-V"}, V{"--version"}}) EXPECT_EQ(Cli(a).o().mode, Mode::kVersion) << a[0];
  for (V a : {V{"-l"}, V{"--license"}}) EXPECT_EQ(Cli(a).o().mode, Mode::kLicense) << a[0];
  for (V a : {V{"-h"}, V{"--version"}, V{"-l"}}) EXPECT_TRUE(Cli(a).ok()) << a[0];
  EXPECT_NE(std::string(kUsage).find("usage: cinit"), std::string::npos);
}

TEST(CliOptions, TiniAndDumbInitCommandLines) {
  Cli tini({"-s", "-g", "-e", "143", "-p", "SIGKILL", "-v", "-w", "--", "app", "serve"});
  EXPECT_PARSED(tini);
  EXPECT_TRUE(tini.o().pgroup);
  EXPECT_TRUE(IsRemapped(tini.o(), 143));
  EXPECT_EQ(tini.o().pdeathsig, SIGKILL);
  EXPECT_EQ(tini.o().verbosity, 1);
  EXPECT_TRUE(tini.o().warn_reaped);
  EXPECT_EQ(tini.command(), (V{"app", "serve"}));

  Cli dumb({"-c", "--rewrite", "15:3", "-r", "2:0", "-v", "app"});
  EXPECT_PARSED(dumb);
  EXPECT_EQ(dumb.o().rewrite[15], 3);
  EXPECT_EQ(dumb.o().rewrite[2], 0);
  EXPECT_FALSE(dumb.o().pgroup);
  EXPECT_EQ(dumb.command(), V{"app"});
}

// --- Clusters -----------------------------------------------------------------

TEST(CliCluster, ShortFlagsCluster) {
  Cli gv({"-gv", "x"});
  EXPECT_PARSED(gv);
  EXPECT_TRUE(gv.o().pgroup);
  EXPECT_EQ(gv.o().verbosity, 1);
  EXPECT_EQ(Cli({"-vvv", "x"}).o().verbosity, 3);
  Cli sgw({"-sgwv", "-v", "x"});
  EXPECT_PARSED(sgw);
  EXPECT_TRUE(sgw.o().pgroup);
  EXPECT_TRUE(sgw.o().warn_reaped);
  EXPECT_EQ(sgw.o().verbosity, 2);
  EXPECT_EQ(Cli({"-gh"}).o().mode, Mode::kHelp);
  ExpectError(Cli({"-gx", "x"}), {"-gx"});
  ExpectError(Cli({"-vq", "x"}), {});
}

TEST(CliCluster, ValueOptionTakesTheRestOfTheWord) {
  Cli c({"-e3", "-t250ms", "-e143", "x"});
  EXPECT_PARSED(c);
  EXPECT_TRUE(IsRemapped(c.o(), 3));
  EXPECT_TRUE(IsRemapped(c.o(), 143));
  EXPECT_FALSE(IsRemapped(c.o(), 1));
  EXPECT_EQ(c.o().timeout, 250);
}

TEST(CliCluster, FlagsMayEndWithAValueOptionAsInGetopt) {
  // tini parses with getopt(3): "-ge 143" and "-sge143" are -g -e 143.
  for (V a : {V{"-ge", "143", "x"}, V{"-sge143", "x"}}) {
    Cli c(a);
    EXPECT_PARSED(c);
    EXPECT_TRUE(c.o().pgroup) << a[0];
    EXPECT_TRUE(IsRemapped(c.o(), 143)) << a[0];
    EXPECT_EQ(c.command(), V{"x"}) << a[0];
  }
}

// --- The environment ---------------------------------------------------------------

TEST(CliEnv, EveryOptionHasAnEnvironmentForm) {
  Cli c({"x"}, {"CINIT_PGROUP=1", "CINIT_GRACE=20s", "CINIT_TIMEOUT=2m", "CINIT_REWRITE=TERM:QUIT,INT:0",
                "CINIT_REMAP_EXIT=3,143", "CINIT_USER=nobody", "CINIT_VERBOSE=2", "CINIT_LOG_PREFIX=yes",
                "CINIT_WARN_REAPED=true", "CINIT_PDEATHSIG=KILL", "PATH=/bin"});
  EXPECT_PARSED(c);
  EXPECT_TRUE(c.o().pgroup);
  EXPECT_EQ(c.o().grace, 20000);
  EXPECT_EQ(c.o().timeout, 120000);
  EXPECT_EQ(c.o().rewrite[SIGTERM], SIGQUIT);
  EXPECT_EQ(c.o().rewrite[SIGINT], 0);
  EXPECT_TRUE(IsRemapped(c.o(), 3));
  EXPECT_TRUE(IsRemapped(c.o(), 143));
  EXPECT_STREQ(c.o().user, "nobody");
  EXPECT_EQ(c.o().verbosity, 2);
  EXPECT_TRUE(c.o().log_prefix);
  EXPECT_TRUE(c.o().warn_reaped);
  EXPECT_EQ(c.o().pdeathsig, SIGKILL);
  EXPECT_EQ(c.command(), V{"x"});
}

TEST(CliEnv, FlagsTakeYesOrNo) {
  EXPECT_FALSE(Cli({"x"}, {"CINIT_PGROUP=0"}).o().pgroup);
  EXPECT_FALSE(Cli({"x"}, {"CINIT_LOG_PREFIX="}).o().log_prefix);
  ExpectError(Cli({"x"}, {"CINIT_PGROUP=maybe"}), {"CINIT_PGROUP"});
}

TEST(CliEnv, CommandLineWins) {
  Cli g({"--grace", "3s", "x"}, {"CINIT_GRACE=20s"});
  EXPECT_PARSED(g);
  EXPECT_EQ(g.o().grace, 3000);
  Cli u({"-u", "app", "-t", "1s", "-p", "HUP", "-r", "TERM:INT", "x"},
        {"CINIT_USER=nobody", "CINIT_TIMEOUT=9s", "CINIT_PDEATHSIG=KILL", "CINIT_REWRITE=TERM:QUIT"});
  EXPECT_PARSED(u);
  EXPECT_STREQ(u.o().user, "app");
  EXPECT_EQ(u.o().timeout, 1000);
  EXPECT_EQ(u.o().pdeathsig, SIGHUP);
  EXPECT_EQ(u.o().rewrite[SIGTERM], SIGINT);
  Cli v({"-v", "x"}, {"CINIT_VERBOSE=3"});
  EXPECT_PARSED(v);
  EXPECT_EQ(v.o().verbosity, 1);
}

TEST(CliEnv, BadValueNamesTheVariable) {
  ExpectError(Cli({"x"}, {"CINIT_GRACE=soon"}), {"CINIT_GRACE", "soon"});
  ExpectError(Cli({"x"}, {"CINIT_TIMEOUT=5x"}), {"CINIT_TIMEOUT"});
  ExpectError(Cli({"x"}, {"CINIT_REMAP_EXIT=300"}), {"CINIT_REMAP_EXIT", "300"});
  ExpectError(Cli({"x"}, {"CINIT_PDEATHSIG=NOPE"}), {"CINIT_PDEATHSIG"});
  ExpectError(Cli({"x"}, {"CINIT_REWRITE=TERM"}), {"CINIT_REWRITE"});
  ExpectError(Cli({"x"}, {"CINIT_VERBOSE=lots"}), {"CINIT_VERBOSE"});
  // The command line does not rescue a bad variable: it is still a mistake.
  ExpectError(Cli({"--grace", "3s", "x"}, {"CINIT_GRACE=soon"}), {"CINIT_GRACE"});
}

TEST(CliEnv, OtherVariablesAreIgnored) {
  Cli c({"x"}, {"GRACE=soon", "cinit_grace=soon", "CINIT_STATE_DIR=/run/x", "CINIT_GRACE"});
  EXPECT_PARSED(c);
  EXPECT_EQ(c.o().grace, 10000);
}

TEST(CliEnv, IsCinitVariable) {
  for (const char* v :
       {"CINIT_GRACE=20s", "CINIT_SIDECAR_1=web -- x", "CINIT_CONFIG=/c", "CINIT_STATE_DIR=/run", "CINIT_="})
    EXPECT_TRUE(IsCinitVariable(v)) << v;
  for (const char* v : {"PATH=/bin", "CINIT=1", "CINITX_A=1", "XCINIT_A=1", "cinit_grace=1", "", "HOME=CINIT_X",
                        "NOTIFY_SOCKETS=1", "X_NOTIFY_SOCKET=/s"})
    EXPECT_FALSE(IsCinitVariable(v)) << v;
  // cinit's own service manager socket never reaches a child as it is.
  EXPECT_TRUE(IsCinitVariable("NOTIFY_SOCKET=/run/notify"));
  EXPECT_TRUE(IsCinitVariable("NOTIFY_SOCKET=@abc"));
}

TEST(CliHealth, ListenAddressForms) {
  {
    Cli c({"--health-listen", "0.0.0.0:8080", "x"});
    EXPECT_PARSED(c);
    EXPECT_EQ(8080, c.o().health_port);
    EXPECT_FALSE(c.o().health_ipv6);
  }
  {
    Cli c({"--health-listen=127.0.0.1:9"}, {});
    ExpectError(c, {"no command"});
  }
  {
    Cli c({"--health-listen=[::]:8081", "x"});
    EXPECT_PARSED(c);
    EXPECT_EQ(8081, c.o().health_port);
    EXPECT_TRUE(c.o().health_ipv6);
  }
  {
    Cli c({"x"}, {"CINIT_HEALTH_LISTEN=localhost:8082"});
    EXPECT_PARSED(c);
    EXPECT_EQ(8082, c.o().health_port);
    EXPECT_EQ(127, c.o().health_addr[0]);
  }
  {
    Options o;
    EXPECT_TRUE(ApplyOption(&o, "health-listen", "10.1.2.3:80").ok);  // the config file's form
    EXPECT_EQ(80, o.health_port);
    EXPECT_EQ(10, o.health_addr[0]);
  }
  ExpectError(Cli({"--health-listen", "8080", "x"}), {"--health-listen", "ADDR:PORT"});
  ExpectError(Cli({"--health-listen", "0.0.0.0:0", "x"}), {"--health-listen", "port"});
  ExpectError(Cli({"--health-listen", "example.com:80", "x"}), {"--health-listen", "numeric"});
  ExpectError(Cli({"--health-listen", "::1:80", "x"}), {"brackets"});
}

TEST(CliReady, MainReadyNotify) {
  EXPECT_FALSE(Cli({"x"}).o().ready_notify);
  EXPECT_TRUE(Cli({"--ready", "notify", "x"}).o().ready_notify);
  EXPECT_TRUE(Cli({"x"}, {"CINIT_READY=notify"}).o().ready_notify);
  EXPECT_FALSE(Cli({"--ready=none", "x"}, {"CINIT_READY=notify"}).o().ready_notify);
  ExpectError(Cli({"--ready", "tcp:1.2.3.4:5", "x"}), {"--ready", "notify"});
}

// --- Declarations ------------------------------------------------------------------

TEST(CliDecls, EnvironmentDeclarationsOrderedNumerically) {
  Cli c({"x"}, {"CINIT_SIDECAR_10=ten -- /bin/ten", "CINIT_SIDECAR_2=two -- /bin/two",
                "CINIT_INIT_5=five -- /bin/five", "CINIT_SIDECAR_1=one -- /bin/one"});
  EXPECT_PARSED(c);
  EXPECT_EQ(c.names(), (V{"one", "two", "five", "ten"}));
  EXPECT_EQ(c.decls->decls[2].kind, DeclKind::kInit);
  EXPECT_EQ(c.decls->decls[3].kind, DeclKind::kSidecar);
  EXPECT_STREQ(c.decls->decls[3].argv[0], "/bin/ten");
  EXPECT_STREQ(c.decls->decls[1].origin.text, "CINIT_SIDECAR_2");
}

TEST(CliDecls, LaterFlagReplacesInPlace) {
  Cli c({"--sidecar", "a restart=never -- /bin/new", "--init=setup -- /bin/setup", "x"},
        {"CINIT_SIDECAR_1=a -- /bin/old", "CINIT_SIDECAR_2=b -- /bin/b"});
  EXPECT_PARSED(c);
  EXPECT_EQ(c.names(), (V{"a", "b", "setup"}));
  EXPECT_STREQ(c.decls->decls[0].argv[0], "/bin/new");
  EXPECT_EQ(c.decls->decls[0].restart, RestartPolicy::kNever);
  EXPECT_EQ(c.decls->decls[2].kind, DeclKind::kInit);
}

TEST(CliDecls, ErrorsNameTheSource) {
  ExpectError(Cli({"x"}, {"CINIT_SIDECAR_3=Bad Name -- x"}), {"CINIT_SIDECAR_3"});
  ExpectError(Cli({"x"}, {"CINIT_SIDECAR_x=a -- x"}), {"CINIT_SIDECAR_x"});
  ExpectError(Cli({"--sidecar", "web restart=sometimes -- x", "x"}), {"--sidecar", "restart"});
}

// --- cinit status -------------------------------------------------------------------

TEST(CliStatus, FormsAndErrors) {
  Cli s({"status"});
  EXPECT_PARSED(s);
  EXPECT_EQ(s.o().mode, Mode::kStatus);
  EXPECT_FALSE(s.o().status.ready || s.o().status.live);
  EXPECT_EQ(s.o().status.name, nullptr);
  Cli r({"status", "--ready", "web"});
  EXPECT_PARSED(r);
  EXPECT_EQ(r.o().mode, Mode::kStatus);
  EXPECT_TRUE(r.o().status.ready && !r.o().status.live);
  EXPECT_STREQ(r.o().status.name, "web");
  Cli l({"status", "--live"});
  EXPECT_PARSED(l);
  EXPECT_TRUE(l.o().status.live && !l.o().status.ready);
  ExpectError(Cli({"status", "--ready", "--live"}), {});
  ExpectError(Cli({"status", "--bogus"}), {"--bogus"});
  ExpectError(Cli({"status", "a", "b"}), {"b"});
}

// --- The config file comes first ------------------------------------------------------

struct LoaderLog {
  int calls = 0;
  std::string path;
  bool explicit_path = false;
  Millis grace_seen = -1;
  bool fail = false;
} g_loader;

Status FakeLoader(const char* path, bool explicit_path, Options* opts, DeclTable* decls, Arena* arena) {
  g_loader.calls++;
  g_loader.path = path ? path : "(null)";
  g_loader.explicit_path = explicit_path;
  g_loader.grace_seen = opts->grace;
  if (g_loader.fail) return Status::Fail("%s:3: broken", path);
  Status s = ApplyOption(opts, "grace", "20s");
  if (s.ok) s = ApplyOption(opts, "pgroup", "1");
  if (s.ok) s = ApplyOption(opts, "user", "conf");
  Decl d;
  if (s.ok) s = ParseDecl("conf -- /bin/conf", DeclKind::kSidecar, arena, &d);
  if (s.ok) s = AddOrReplace(decls, d);
  return s;
}

TEST(CliConfig, ConfigIsAppliedFirst) {
  g_loader = {};
  Cli c({"-u", "cli", "--sidecar", "cli -- /bin/cli", "x"},
        {"CINIT_GRACE=7s", "CINIT_SIDECAR_1=env -- /bin/env", "CINIT_SIDECAR_2=conf -- /bin/env2"}, FakeLoader);
  EXPECT_PARSED(c);
  EXPECT_EQ(g_loader.grace_seen, 10000);  // the environment was not applied yet
  EXPECT_EQ(c.o().grace, 7000);           // the environment beats the file
  EXPECT_TRUE(c.o().pgroup);              // what nothing overrides stays
  EXPECT_STREQ(c.o().user, "cli");        // the command line beats the file
  EXPECT_EQ(c.names(), (V{"conf", "env", "cli"}));
  EXPECT_STREQ(c.decls->decls[0].argv[0], "/bin/env2");  // replaced in place
}

TEST(CliConfig, PathAndWhetherItWasExplicit) {
  g_loader = {};
  Cli d({"x"}, {}, FakeLoader);
  EXPECT_PARSED(d);
  EXPECT_EQ(g_loader.calls, 1);
  EXPECT_EQ(g_loader.path, "/etc/cinit.conf");
  EXPECT_FALSE(g_loader.explicit_path);
  for (V a : {V{"--config", "/my.conf", "x"}, V{"--config=/my.conf", "x"}, V{"-g", "--config", "/my.conf", "x"}}) {
    g_loader = {};
    Cli c(a, {"CINIT_CONFIG=/env.conf"}, FakeLoader);
    EXPECT_PARSED(c);
    EXPECT_EQ(g_loader.path, "/my.conf") << a[0] << " " << a[1];
    EXPECT_TRUE(g_loader.explicit_path) << a[0];
  }
  g_loader = {};
  Cli e({"x"}, {"CINIT_CONFIG=/env.conf"}, FakeLoader);
  EXPECT_PARSED(e);
  EXPECT_EQ(g_loader.path, "/env.conf");
  EXPECT_TRUE(g_loader.explicit_path);
  // After the command, --config belongs to the command.
  g_loader = {};
  Cli after({"x", "--config", "/my.conf"}, {}, FakeLoader);
  EXPECT_PARSED(after);
  EXPECT_EQ(g_loader.path, "/etc/cinit.conf");
}

TEST(CliConfig, ConfigAfterAnOptionWithASeparateValueIsFound) {
  // "--grace 3s --config F": the value word "3s" does not end the options.
  for (V a : {V{"--grace", "3s", "--config", "/my.conf", "x"}, V{"-t", "1s", "--config=/my.conf", "x"},
              V{"-e", "3", "--config", "/my.conf", "x"}}) {
    g_loader = {};
    Cli c(a, {}, FakeLoader);
    EXPECT_PARSED(c);
    EXPECT_EQ(g_loader.path, "/my.conf") << a[0] << " " << a[1];
    EXPECT_TRUE(g_loader.explicit_path) << a[0] << " " << a[1];
  }
}

TEST(CliConfig, LoaderErrorIsAUsageError) {
  g_loader = {};
  g_loader.fail = true;
  ExpectError(Cli({"--config", "/bad.conf", "x"}, {}, FakeLoader), {"/bad.conf:3"});
  g_loader = {};
}

// --- Unknown CINIT_* variables and the peers' variables ---------------------------

std::string Unknown(const char* entry) {
  char closest[40] = "(unchanged)";
  return UnknownCinitVariable(entry, closest, sizeof closest) ? closest : "";
}

TEST(CliEnv, UnknownVariableNamesTheClosestKnownOne) {
  EXPECT_EQ(Unknown("CINIT_GRAEC=5s"), "CINIT_GRACE");
  EXPECT_EQ(Unknown("CINIT_PGRUOP=1"), "CINIT_PGROUP");
  EXPECT_EQ(Unknown("CINIT_LOGPREFIX=1"), "CINIT_LOG_PREFIX");
  EXPECT_EQ(Unknown("CINIT_STATEDIR=/run"), "CINIT_STATE_DIR");
  EXPECT_EQ(Unknown("CINIT_CONFG=/c"), "CINIT_CONFIG");
  EXPECT_EQ(Unknown("CINIT_SIDCAR_1=a -- b"), "CINIT_SIDECAR_<n>");
  EXPECT_EQ(Unknown("CINIT_SIDECAR=a -- b"), "CINIT_SIDECAR_<n>");
  EXPECT_EQ(Unknown("CINIT_HELP=1"), "CINIT_USER");  // not an environment form
  EXPECT_NE(Unknown("CINIT_=1"), "");
  EXPECT_NE(Unknown("CINIT_A_VERY_LONG_NAME_THAT_IS_LIKE_NOTHING_CINIT_KNOWS_AT_ALL=1"), "");
}

TEST(CliEnv, KnownAndOtherVariablesAreNotUnknown) {
  for (const char* v : {"CINIT_GRACE=5s", "CINIT_PGROUP=1", "CINIT_LOG_PREFIX=1", "CINIT_STATE_DIR=/run",
                        "CINIT_CONFIG=/c", "CINIT_SIDECAR_1=a -- b", "CINIT_INIT_3=a -- b", "CINIT_VERBOSE=2",
                        "CINIT_READY=notify", "CINIT_HEALTH_LISTEN=:80", "CINIT_WATCH=/a:HUP", "PATH=/bin",
                        "TINI_SUBREAPER=1", "CINIT_GRAEC", "cinit_graec=1", ""})
    EXPECT_EQ(Unknown(v), "") << v;
}

TEST(CliPeers, AfterTheConfigFileBeforeCinitVariablesAndFlags) {
  // The file sets -g; DUMB_INIT_SETSID=0 undoes it; CINIT_PGROUP beats both.
  EXPECT_FALSE(Cli({"x"}, {"DUMB_INIT_SETSID=0"}, FakeLoader).o().pgroup);
  EXPECT_TRUE(Cli({"x"}, {"DUMB_INIT_SETSID=0", "CINIT_PGROUP=1"}, FakeLoader).o().pgroup);
  EXPECT_FALSE(Cli({"x"}, {"TINI_KILL_PROCESS_GROUP=1", "CINIT_PGROUP=0"}).o().pgroup);
  EXPECT_TRUE(Cli({"x"}, {"TINI_KILL_PROCESS_GROUP=1"}).o().pgroup);
  EXPECT_TRUE(Cli({"-g", "x"}, {"DUMB_INIT_SETSID=0"}).o().pgroup);
  EXPECT_EQ(Cli({"x"}, {"TINI_VERBOSITY=0"}).o().verbosity, -1);
  EXPECT_EQ(Cli({"x"}, {"TINI_VERBOSITY=0", "CINIT_VERBOSE=2"}).o().verbosity, 2);
  EXPECT_EQ(Cli({"-v", "x"}, {"TINI_VERBOSITY=0"}).o().verbosity, 1);
  EXPECT_EQ(Cli({"x"}, {"DUMB_INIT_DEBUG=1"}).o().verbosity, 1);
  ExpectError(Cli({"x"}, {"TINI_VERBOSITY=loud"}), {"TINI_VERBOSITY", "loud"});
}

}  // namespace
