#include "cli.h"

#include <cstdio>
#include <cstring>

#include "peers.h"
#include "signals.h"

const char kUsage[] =
    "usage: cinit [OPTIONS] [--] COMMAND [ARG...] | cinit status [--state-dir DIR] [--ready|--live] [NAME]\n"
    "  -g, --pgroup            signal the main's group [CINIT_PGROUP=1]\n"
    "  -r, --rewrite SRC:DST   forward SRC as DST, 0 drops [CINIT_REWRITE]\n"
    "  -e, --remap-exit CODE   exit CODE counts as 0 [CINIT_REMAP_EXIT]\n"
    "  -p, --pdeathsig SIG     SIG when the parent dies [CINIT_PDEATHSIG]\n"
    "  -t, --timeout DURATION  stop the main after it, exit 124 [CINIT_TIMEOUT]\n"
    "      --grace DURATION    shutdown budget, 10s [CINIT_GRACE]\n"
    "  -u, --user USER[:GROUP] run the main as USER [CINIT_USER]\n"
    "      --sidecar SPEC      a sidecar [CINIT_SIDECAR_<n>]\n"
    "      --init SPEC         an init task [CINIT_INIT_<n>]\n"
    "      --config FILE       config file [CINIT_CONFIG]\n"
    "      --log-prefix        'NAME | ' before sidecar lines [CINIT_LOG_PREFIX=1]\n"
    "      --watch PATH:SIG    SIG to the main when PATH changes [CINIT_WATCH]\n"
    "      --health-listen ADDR:PORT  /livez /readyz /status over HTTP [CINIT_HEALTH_LISTEN]\n"
    "      --ready notify      the main is ready on sd_notify READY=1 [CINIT_READY]\n"
    "      --state-dir DIR     state file's directory, also for cinit status [CINIT_STATE_DIR]\n"
    "  -v, --verbose           more diagnostics [CINIT_VERBOSE=N]\n"
    "  -w, --warn-reaped       log reaped strangers [CINIT_WARN_REAPED=1]\n"
    "  -h, --help  -V, --version  -l, --license\n"
    "  -s, --subreaper  -c, --single-child  (tini/dumb-init: no effect)\n"
    "  TINI_*, DUMB_INIT_* variables: as in tini/dumb-init, below CINIT_*\n"
    "SPEC: NAME [restart= ok-codes= ready= ready-timeout= critical stop-signal=\n"
    "  stop-timeout= backoff= backoff-max= max-restarts= user= cwd= env= log=\n"
    "  watch= on-change= live= live-interval= live-failures= live-timeout=] -- ARGV\n"
    "Exit: the main's (128+N: signal N), 124 timeout, 125 usage, 126/127 exec.\n"
    "See cinit(1).\n";

namespace {

enum class Arg : uint8_t { kNone, kValue };

enum class Id : uint8_t {
  kPgroup, kRewrite, kRemapExit, kPdeathsig, kTimeout, kGrace, kUser, kSidecar, kInit, kConfig,
  kLogPrefix, kWatch, kVerbose, kWarnReaped, kHelp, kVersion, kSubreaper, kSingleChild, kLicense, kHealthListen,
  kReady, kStateDir,
};

struct OptionDef {
  const char* long_name;
  char short_name;
  Arg arg;
  Id id;
  bool settable;  // has an environment / config file form
};

// Every option cinit knows, including the tini and dumb-init spellings.
constexpr OptionDef kOptions[] = {
    {"pgroup", 'g', Arg::kNone, Id::kPgroup, true},
    {"rewrite", 'r', Arg::kValue, Id::kRewrite, true},
    {"remap-exit", 'e', Arg::kValue, Id::kRemapExit, true},
    {"pdeathsig", 'p', Arg::kValue, Id::kPdeathsig, true},
    {"timeout", 't', Arg::kValue, Id::kTimeout, true},
    {"grace", 0, Arg::kValue, Id::kGrace, true},
    {"user", 'u', Arg::kValue, Id::kUser, true},
    {"sidecar", 0, Arg::kValue, Id::kSidecar, false},
    {"init", 0, Arg::kValue, Id::kInit, false},
    {"config", 0, Arg::kValue, Id::kConfig, false},
    {"log-prefix", 0, Arg::kNone, Id::kLogPrefix, true},
    {"watch", 0, Arg::kValue, Id::kWatch, true},
    {"verbose", 'v', Arg::kNone, Id::kVerbose, true},
    {"warn-reaped", 'w', Arg::kNone, Id::kWarnReaped, true},
    {"help", 'h', Arg::kNone, Id::kHelp, false},
    {"version", 'V', Arg::kNone, Id::kVersion, false},
    {"subreaper", 's', Arg::kNone, Id::kSubreaper, false},
    {"single-child", 'c', Arg::kNone, Id::kSingleChild, false},
    {"license", 'l', Arg::kNone, Id::kLicense, false},
    {"health-listen", 0, Arg::kValue, Id::kHealthListen, true},
    {"ready", 0, Arg::kValue, Id::kReady, true},
    {"state-dir", 0, Arg::kValue, Id::kStateDir, true},
};

const OptionDef* FindLong(std::string_view name) {
  for (const auto& o : kOptions)
    if (name == o.long_name) return &o;
  return nullptr;
}

const OptionDef* FindShort(char c) {
  for (const auto& o : kOptions)
    if (o.short_name == c) return &o;
  return nullptr;
}

constexpr int kMaxCluster = 16;

// One option as given: its definition and value (nullptr for flags).
struct Token {
  const OptionDef* def;
  const char* value;
};

// Reads the option word argv[*i] (and its value word, advancing *i) into
// tokens, getopt-style: "--grace=5s", "--grace 5s", "-gv", "-e3", "-ge 143".
Result<int> ReadOptionWord(int argc, char** argv, int* i, Token* tokens) {
  const char* arg = argv[*i];
  auto value_from_next = [&](const char* shown, int len) -> Result<const char*> {
    if (*i + 1 >= argc)
      return Result<const char*>::Fail("option '%.*s' needs a value: see cinit --help", len, shown);
    return Result<const char*>::Ok(argv[++*i]);
  };
  if (arg[1] == '-') {
    std::string_view body(arg + 2);
    size_t eq = body.find('=');
    std::string_view name = eq == std::string_view::npos ? body : std::string_view(arg + 2, eq);
    const OptionDef* def = FindLong(name);
    if (!def) return Result<int>::Fail("unknown option '%s': see cinit --help", arg);
    int shown_len = static_cast<int>(2 + name.size());
    tokens[0] = {def, nullptr};
    if (eq != std::string_view::npos) {
      if (def->arg == Arg::kNone) return Result<int>::Fail("option '%.*s' takes no value", shown_len, arg);
      tokens[0].value = arg + 2 + eq + 1;
    } else if (def->arg == Arg::kValue) {
      auto v = value_from_next(arg, shown_len);
      if (!v.ok) return Result<int>::Fail(v.error);
      tokens[0].value = v.value;
    }
    return Result<int>::Ok(1);
  }
  int n = 0;
  for (const char* c = arg + 1; *c && n < kMaxCluster; c++) {
    const OptionDef* def = FindShort(*c);
    if (!def) {
      if (c == arg + 1) return Result<int>::Fail("unknown option '-%c': see cinit --help", *c);
      return Result<int>::Fail("unknown option '-%c' in '%s': see cinit --help", *c, arg);
    }
    tokens[n++] = {def, nullptr};
    if (def->arg == Arg::kNone) continue;
    // The rest of the word is the value, else the next word.
    if (c[1]) {
      tokens[n - 1].value = c + 1;
    } else {
      char shown[3] = {'-', *c, 0};
      auto v = value_from_next(shown, 2);
      if (!v.ok) return Result<int>::Fail(v.error);
      tokens[n - 1].value = v.value;
    }
    break;
  }
  return Result<int>::Ok(n);
}

void SetBit(uint64_t* bits, int n) { bits[n / 64] |= 1ULL << (n % 64); }

// Lists ("TERM:QUIT,INT:0", "1 2") are accepted wherever an option repeats.
template <class F>
Status ForEachItem(std::string_view list, F&& apply) {
  size_t i = 0;
  bool any = false;
  while (i < list.size()) {
    while (i < list.size() && (list[i] == ',' || list[i] == ' ' || list[i] == '\t')) i++;
    size_t start = i;
    while (i < list.size() && list[i] != ',' && list[i] != ' ' && list[i] != '\t') i++;
    if (i > start) {
      any = true;
      Status s = apply(list.substr(start, i - start));
      if (!s.ok) return s;
    }
  }
  if (!any) return Status::Fail("an empty list was given");
  return Ok();
}

Status ApplyRewrite(Options* o, std::string_view item) {
  size_t colon = item.find(':');
  if (colon == std::string_view::npos)
    return Status::Fail("--rewrite '%.*s': use SRC:DST, e.g. TERM:QUIT or INT:0", (int)item.size(), item.data());
  auto from = ParseSignal(item.substr(0, colon));
  if (!from.ok) return Status::Fail("--rewrite: %s", from.error.text);
  auto to = ParseSignal(item.substr(colon + 1), /*allow_zero=*/true);
  if (!to.ok) return Status::Fail("--rewrite: %s", to.error.text);
  o->rewrite[from.value] = static_cast<int8_t>(to.value);
  return Ok();
}

Status ApplyRemap(Options* o, std::string_view item) {
  auto code = ParseUnsigned(item, 255);
  if (!code.ok) return Status::Fail("--remap-exit: %s: an exit code is 0-255", code.error.text);
  SetBit(o->remap_exit, code.value);
  return Ok();
}

Status ApplyWatch(Options* o, std::string_view item) {
  if (o->watch_count == kMaxMainWatches)
    return Status::Fail("--watch: too many paths (at most %d)", kMaxMainWatches);
  MainWatch& m = o->watch[o->watch_count];
  Status s = ParseWatchItem(item.data(), static_cast<int>(item.size()), m.path, &m.signal);
  if (s.ok) o->watch_count++;
  return s;
}

Status ApplyFlag(bool* flag, std::string_view value) {
  auto b = ParseBool(value);
  if (!b.ok) return Status::Fail("%s", b.error.text);
  *flag = b.value;
  return Ok();
}

// "--grace: bad duration ..." with the option's name in front.
Status Named(std::string_view name, const Error& e) {
  return Status::Fail("--%.*s: %s", (int)name.size(), name.data(), e.text);
}

// Turns "CINIT_LOG_PREFIX" into "log-prefix" in buf.
std::string_view EnvToOptionName(std::string_view var, char* buf, size_t size) {
  size_t n = 0;
  for (char c : var) {
    if (n + 1 >= size) break;
    buf[n++] = c == '_' ? '-' : (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return std::string_view(buf, n);
}

// CINIT_<var> variables that are not an option's environment form.
bool IsNonOptionVariable(std::string_view var) {
  return var == "CONFIG" || var.starts_with("SIDECAR_") || var.starts_with("INIT_");
}

struct PendingDecl {
  uint32_t order;
  DeclKind kind;
  const char* text;
  const char* var;
};

Status AddDecl(DeclKind kind, std::string_view text, const Origin& origin, DeclTable* decls, Arena* arena) {
  Decl d;
  d.kind = kind;
  d.origin = origin;
  Status s = ParseDecl(text, kind, arena, &d);
  if (!s.ok) return Status::Fail("%s: %s", d.origin.text, s.error.text);
  s = AddOrReplace(decls, d);
  if (!s.ok) return Status::Fail("%s: %s", d.origin.text, s.error.text);
  return Ok();
}

// CINIT_SIDECAR_<n> / CINIT_INIT_<n>, applied in the order of n.
Status ApplyEnvDecls(char** envp, DeclTable* decls, Arena* arena) {
  PendingDecl pending[kMaxDecls * 2];
  int count = 0;
  for (char** e = envp; e && *e; e++) {
    std::string_view entry(*e);
    DeclKind kind;
    size_t prefix;
    if (entry.starts_with("CINIT_SIDECAR_")) kind = DeclKind::kSidecar, prefix = 14;
    else if (entry.starts_with("CINIT_INIT_")) kind = DeclKind::kInit, prefix = 11;
    else continue;
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    auto n = ParseUnsigned(entry.substr(prefix, eq - prefix), 1000000);
    if (!n.ok)
      return Status::Fail("%.*s: the suffix must be a number, e.g. CINIT_SIDECAR_1", (int)eq, entry.data());
    if (count == kMaxDecls * 2) return Status::Fail("too many CINIT_SIDECAR_<n>/CINIT_INIT_<n> variables (at most %d)", kMaxDecls);
    // Stable insertion by n; an init task sorts before a sidecar of the same n.
    uint32_t order = n.value * 2 + (kind == DeclKind::kSidecar);
    int at = count;
    while (at > 0 && pending[at - 1].order > order) {
      pending[at] = pending[at - 1];
      at--;
    }
    pending[at] = PendingDecl{order, kind, *e + eq + 1, *e};
    count++;
  }
  for (int i = 0; i < count; i++) {
    const char* var = pending[i].var;
    Origin origin;
    snprintf(origin.text, sizeof origin.text, "%.*s", static_cast<int>(strchr(var, '=') - var), var);
    Status s = AddDecl(pending[i].kind, pending[i].text, origin, decls, arena);
    if (!s.ok) return s;
  }
  return Ok();
}

}  // namespace

namespace {

// Sets a settable option from its text value (flags take yes/no here).
Status ApplyValue(Options* o, const OptionDef& def, std::string_view value) {
  switch (def.id) {
    case Id::kPgroup: return ApplyFlag(&o->pgroup, value);
    case Id::kLogPrefix: return ApplyFlag(&o->log_prefix, value);
    case Id::kWarnReaped: return ApplyFlag(&o->warn_reaped, value);
    case Id::kRewrite: return ForEachItem(value, [o](std::string_view i) { return ApplyRewrite(o, i); });
    case Id::kRemapExit: return ForEachItem(value, [o](std::string_view i) { return ApplyRemap(o, i); });
    case Id::kWatch: return ForEachItem(value, [o](std::string_view i) { return ApplyWatch(o, i); });
    case Id::kPdeathsig: {
      auto sig = ParseSignal(value);
      if (!sig.ok) return Named(def.long_name, sig.error);
      o->pdeathsig = sig.value;
      return Ok();
    }
    case Id::kTimeout:
    case Id::kGrace: {
      auto d = ParseDuration(value);
      if (!d.ok) return Named(def.long_name, d.error);
      (def.id == Id::kTimeout ? o->timeout : o->grace) = d.value;
      return Ok();
    }
    case Id::kUser:
      if (value.empty() || value.size() >= sizeof o->user)
        return Status::Fail("--user: give a user name or number, e.g. nobody or 65534:65534");
      memcpy(o->user, value.data(), value.size());
      o->user[value.size()] = '\0';
      return Ok();
    case Id::kStateDir:
      // Empty means "not set": the default places (as CINIT_STATE_DIR= always did).
      o->state_dir = value.empty() ? nullptr : value.data();
      return Ok();
    case Id::kVerbose: {
      auto v = ParseUnsigned(value, 9);
      if (!v.ok) return Named(def.long_name, v.error);
      o->verbosity = static_cast<int>(v.value);
      return Ok();
    }
    case Id::kHealthListen: {
      ReadyCheck where;
      Status s = ParseHostAndPort(value, &where);
      if (!s.ok)
        return Status::Fail("--health-listen '%.*s': %s: use ADDR:PORT, e.g. 0.0.0.0:8080 or [::]:8080",
                            (int)value.size(), value.data(), s.error.text);
      o->health_port = where.port;
      o->health_ipv6 = where.ipv6;
      memcpy(o->health_addr, where.addr, sizeof o->health_addr);
      return Ok();
    }
    case Id::kReady:
      if (value != "notify" && value != "none")
        return Status::Fail("--ready '%.*s': the main's readiness is notify (READY=1 on NOTIFY_SOCKET) or none",
                            (int)value.size(), value.data());
      o->ready_notify = value == "notify";
      return Ok();
    default: return Status::Fail("option '%s' cannot be set here", def.long_name);
  }
}

}  // namespace

Status ApplyOption(Options* o, std::string_view name, std::string_view value) {
  const OptionDef* def = FindLong(name);
  if (!def || !def->settable) return Status::Fail("unknown option '%.*s'", (int)name.size(), name.data());
  // `cinit status` reads no config file, so a state-dir set there would make
  // it look in another place than cinit writes.
  if (def->id == Id::kStateDir)
    return Status::Fail("'state-dir' cannot be set in a config file (cinit status does not read it): use "
                        "--state-dir or CINIT_STATE_DIR");
  return ApplyValue(o, *def, value);
}

bool IsCinitVariable(const char* env_entry) {
  return strncmp(env_entry, "CINIT_", 6) == 0 || strncmp(env_entry, "NOTIFY_SOCKET=", 14) == 0;
}

bool UnknownCinitVariable(const char* entry, char* closest, size_t size) {
  const char* eq = strchr(entry, '=');
  if (strncmp(entry, "CINIT_", 6) != 0 || !eq) return false;
  std::string_view var(entry + 6, eq - entry - 6);
  char buf[64];
  std::string_view name = EnvToOptionName(var, buf, sizeof buf);
  const OptionDef* def = FindLong(name);
  if (IsNonOptionVariable(var) || (def && def->settable)) return false;
  // A trailing number is compared as the <n> of CINIT_SIDECAR_<n>.
  while (!name.empty() && name.back() >= '0' && name.back() <= '9') name.remove_suffix(1);
  static constexpr const char* kOthers[] = {"config", "sidecar-<n>", "init-<n>"};
  const char* best = kOthers[0];
  int best_distance = 99;
  auto consider = [&](const char* candidate) {
    std::string_view key(candidate);
    int d = EditDistance(name, key.substr(0, key.find('<')));
    if (d < best_distance) best = candidate, best_distance = d;
  };
  for (const auto& o : kOptions)
    if (o.settable) consider(o.long_name);
  for (const char* other : kOthers) consider(other);
  size_t n = static_cast<size_t>(snprintf(closest, size, "CINIT_%s", best));
  for (size_t i = 6; i < n && i < size && closest[i] != '<'; i++)
    if (closest[i] == '-') closest[i] = '_';
    else if (closest[i] >= 'a' && closest[i] <= 'z') closest[i] = static_cast<char>(closest[i] - 'a' + 'A');
  return true;
}

Status ParseInvocation(int argc, char** argv, char** envp, ConfigLoader load_config, Options* o,
                       DeclTable* decls, Arena* arena) {
  if (argc >= 2 && strcmp(argv[1], "status") == 0) {
    o->mode = Mode::kStatus;
    for (char** e = envp; e && *e; e++)
      if (strncmp(*e, "CINIT_STATE_DIR=", 16) == 0) o->state_dir = (*e)[16] ? *e + 16 : nullptr;
    for (int i = 2; i < argc; i++) {
      std::string_view a(argv[i]);
      if (a == "--ready") o->status.ready = true;
      else if (a == "--state-dir" && i + 1 < argc) o->state_dir = argv[++i][0] ? argv[i] : nullptr;
      else if (a.starts_with("--state-dir=")) o->state_dir = argv[i][12] ? argv[i] + 12 : nullptr;
      else if (a == "--live") o->status.live = true;
      else if (!a.empty() && a[0] != '-' && !o->status.name) o->status.name = argv[i];
      else return Status::Fail("status: unexpected '%s': use cinit status [--state-dir DIR] [--ready | --live] [NAME]", argv[i]);
    }
    if (o->status.ready && o->status.live) return Status::Fail("status: give --ready or --live, not both");
    return Ok();
  }

  // The config file comes first (lowest precedence), so find its path first.
  for (char** e = envp; e && *e; e++)
    if (strncmp(*e, "CINIT_CONFIG=", 13) == 0) o->config_path = *e + 13, o->config_explicit = true;
  Token tokens_first[kMaxCluster];
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0 || argv[i][0] != '-' || argv[i][1] == '\0') break;
    auto n = ReadOptionWord(argc, argv, &i, tokens_first);
    if (!n.ok) break;  // reported by the full pass below
    for (int t = 0; t < n.value; t++)
      if (tokens_first[t].def->id == Id::kConfig)
        o->config_path = tokens_first[t].value, o->config_explicit = true;
  }
  if (!o->config_path) o->config_path = "/etc/cinit.conf";
  if (load_config) {
    Status s = load_config(o->config_path, o->config_explicit, o, decls, arena);
    if (!s.ok) return s;
  }

  // Then the environment: the peers' variables (tini, dumb-init), then CINIT_*.
  {
    Status s = ApplyPeerVariables(envp, o);
    if (!s.ok) return s;
  }
  for (char** e = envp; e && *e; e++) {
    if (strncmp(*e, "CINIT_", 6) != 0) continue;
    std::string_view entry(*e + 6);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view var = entry.substr(0, eq), value = entry.substr(eq + 1);
    if (IsNonOptionVariable(var)) continue;
    char name_buf[64];
    std::string_view name = EnvToOptionName(var, name_buf, sizeof name_buf);
    const OptionDef* def = FindLong(name);
    if (!def || !def->settable) continue;  // unknown: ignored with a warning (UnknownCinitVariable)
    Status s = ApplyValue(o, *def, value);
    if (!s.ok) return Status::Fail("CINIT_%.*s: %s", (int)var.size(), var.data(), s.error.text);
  }
  {
    Status s = ApplyEnvDecls(envp, decls, arena);
    if (!s.ok) return s;
  }

  // Then the command line. Options end at "--" or the first non-option word.
  int i = 1;
  int cli_verbosity = -1;
  Token tokens[kMaxCluster];
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (argv[i][0] != '-' || argv[i][1] == '\0') break;
    int word = i;
    auto n = ReadOptionWord(argc, argv, &i, tokens);
    if (!n.ok) return Status::Fail(n.error);
    for (int t = 0; t < n.value; t++) {
      const OptionDef& def = *tokens[t].def;
      switch (def.id) {
        case Id::kPgroup: o->pgroup = true; break;
        case Id::kLogPrefix: o->log_prefix = true; break;
        case Id::kWarnReaped: o->warn_reaped = true; break;
        case Id::kVerbose: cli_verbosity = (cli_verbosity < 0 ? 0 : cli_verbosity) + 1; break;
        case Id::kHelp: o->mode = Mode::kHelp; break;
        case Id::kVersion: o->mode = Mode::kVersion; break;
        case Id::kLicense: o->mode = Mode::kLicense; break;
        case Id::kSubreaper:
        case Id::kSingleChild:
        case Id::kConfig: break;  // no-ops; --config was read before the config file was loaded
        case Id::kSidecar:
        case Id::kInit: {
          Origin origin;
          snprintf(origin.text, sizeof origin.text, "--%s (argument %d)", def.long_name, word);
          Status s = AddDecl(def.id == Id::kSidecar ? DeclKind::kSidecar : DeclKind::kInit, tokens[t].value, origin,
                             decls, arena);
          if (!s.ok) return s;
          break;
        }
        default: {
          Status s = ApplyValue(o, def, tokens[t].value);
          if (!s.ok) return s;
        }
      }
    }
  }
  if (cli_verbosity >= 0) o->verbosity = cli_verbosity;

  if (o->mode != Mode::kRun) return Ok();
  if (i >= argc) return Status::Fail("no command given: usage: cinit [OPTIONS] [--] COMMAND [ARG...]");
  o->command = argv + i;
  return Ok();
}
