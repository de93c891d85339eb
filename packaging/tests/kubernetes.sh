#!/usr/bin/env bash
# Checks packaging/kubernetes/*.yaml:
#   1. valid YAML, clean under yamllint (strict; lines up to 120 columns);
#   2. the expected kinds (a Pod with sidecars and probes, a Job with an init
#      task), with the usual required fields;
#   3. they refer only to options cinit has: every flag in a cinit command
#      line and every CINIT_<NAME> variable is an option of `cinit --help`
#      (or, without a binary, of the man page), every sidecar / init SPEC
#      parses (NAME, known keys with well-formed values, "--", a command),
#      and the probes are httpGet of /livez, /readyz, /livez/NAME or
#      /readyz/NAME on the port of cinit's --health-listen (not loopback),
#      or exec of `/sbin/cinit status --ready|--live`;
#   4. cinit's --grace stays below terminationGracePeriodSeconds.
# Usage: kubernetes.sh [PATH/TO/cinit]   (or CINIT_BIN=...)
# Needs python3 with PyYAML and yamllint (Debian: yamllint, which brings
# python3-yaml); installs them with apt-get when run as root.
# Exit 0 pass, 1 fail, 77 skip.
set -u

here=$(cd "$(dirname "$0")" && pwd)
dir=${CINIT_K8S_DIR:-$here/../kubernetes}
page=$here/../cinit.1
cinit=${1:-${CINIT_BIN:-}}

find_python() {
  local py
  for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import yaml' 2>/dev/null; then
      echo "$py"
      return 0
    fi
  done
  return 1
}
if ! command -v yamllint >/dev/null || ! find_python >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing yamllint and python3-yaml"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      yamllint python3-yaml >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
          yamllint python3-yaml >/dev/null 2>&1; }
  fi
fi
command -v yamllint >/dev/null || { echo "SKIP: yamllint is not installed (apt-get install yamllint)"; exit 77; }
py=$(find_python) || { echo "SKIP: no python3 with PyYAML (apt-get install python3-yaml)"; exit 77; }

shopt -s nullglob
files=("$dir"/*.yaml)
[ "${#files[@]}" -ge 2 ] || { echo "FAIL: expected manifests in $dir, found ${#files[@]}" >&2; exit 1; }

failed=0
echo "--- yamllint"
if ! yamllint -s -d '{extends: default, rules: {line-length: {max: 120}}}' "${files[@]}"; then
  echo "FAIL: yamllint" >&2
  failed=1
fi

# The options cinit has, as "  -r, --rewrite SRC:DST" lines: from --help, or
# from the man page rendered as text.
if [ -n "$cinit" ]; then
  options_text=$("$cinit" --help 2>&1) || { echo "FAIL: $cinit --help failed" >&2; exit 1; }
  source_name="cinit --help"
elif command -v groff >/dev/null; then
  options_text=$(groff -man -Tascii -P-c -P-b -P-u "$page" 2>/dev/null | sed 's/.\x08//g')
  source_name="the man page"
else
  echo "SKIP: neither a cinit binary (kubernetes.sh PATH/TO/cinit) nor groff to read the options from"
  exit 77
fi
echo "--- options from $source_name"

OPTIONS_TEXT=$options_text "$py" - "${files[@]}" <<'PYEOF' || failed=1
import os, re, shlex, sys
import yaml

errors = []
def err(where, msg):
    errors.append(f"{where}: {msg}")

# --- the options cinit has -------------------------------------------------
# A line that starts (after blanks) with "-x, --long ARG", "--long ARG" or
# "-x ARG" documents an option; an ARG in capitals means it takes a value.
takes_value = {}
opt_line = re.compile(r"^\s+(-[A-Za-z0-9](?:,\s*|\s+|$))?(--[a-z0-9][a-z0-9-]*)?(?:[ =]([A-Z][A-Z0-9:_\[\].|]*))?")
for line in os.environ["OPTIONS_TEXT"].splitlines():
    m = opt_line.match(line)
    if not m or not (m.group(1) or m.group(2)):
        continue
    value = bool(m.group(3))
    for name in (m.group(1), m.group(2)):
        if name:
            name = name.rstrip(", \t")
            takes_value[name] = takes_value.get(name, False) or value
long_opts = {o for o in takes_value if o.startswith("--")}
if len(long_opts) < 10:
    print(f"found only {len(long_opts)} long options in the option source: {sorted(long_opts)}", file=sys.stderr)
    sys.exit(1)

# SPEC keys of SPEC §4: key -> value check (None: a bare word).
DURATION = re.compile(r"^[0-9]+(ms|s|m|h)?$")
SIGNAL = re.compile(r"^((SIG)?[A-Z][A-Z0-9+]*|[0-9]+)$", re.I)
def ready_ok(v):
    return bool(re.match(r"^(tcp:(\[[0-9a-f:]+\]|[0-9.]+|localhost):[0-9]+"
                         r"|http://(\[[0-9a-f:]+\]|[0-9.]+|localhost)(:[0-9]+)?(/\S*)?"
                         r"|exec:\S.*|file:/\S*|fd:[0-9]+|notify)$", v))
SPEC_KEYS = {
    "restart": lambda v: v in ("always", "on-failure", "never"),
    "ok-codes": lambda v: re.match(r"^[0-9]+(,[0-9]+)*$", v) is not None,
    "ready": ready_ok,
    "ready-timeout": DURATION.match,
    "critical": None,
    "stop-signal": SIGNAL.match,
    "stop-timeout": DURATION.match,
    "backoff": DURATION.match,
    "backoff-max": DURATION.match,
    "max-restarts": lambda v: v.isdigit(),
    "user": lambda v: re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$", v) is not None,
    "cwd": lambda v: v.startswith("/"),
    "env": lambda v: re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", v) is not None,
    "log": lambda v: v in ("prefix", "inherit"),
    "watch": lambda v: v.startswith("/"),
    "on-change": lambda v: v == "restart" or SIGNAL.match(v) is not None,
}
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")

def check_spec(where, spec, kind):
    try:
        words = shlex.split(spec, posix=True)
    except ValueError as e:
        return err(where, f"SPEC does not split into words: {e}")
    if "--" not in words:
        return err(where, "SPEC has no '--' before the command")
    cut = words.index("--")
    head, argv = words[:cut], words[cut + 1:]
    if not head or not NAME.match(head[0]):
        return err(where, f"SPEC needs a NAME matching [a-z0-9][a-z0-9_.-]{{0,31}}, got {head[:1]}")
    if not argv or not argv[0]:
        err(where, "SPEC has no command after '--'")
    seen = set()
    for word in head[1:]:
        key, eq, value = word.partition("=")
        if key not in SPEC_KEYS:
            err(where, f"unknown SPEC option '{word}'")
            continue
        if key in seen and key != "env":
            err(where, f"SPEC option '{key}' given twice")
        seen.add(key)
        check = SPEC_KEYS[key]
        if check is None:
            if eq:
                err(where, f"'{key}' takes no value")
        elif not eq or not check(value):
            err(where, f"bad value in '{word}'")
    if kind == "init":
        if "ready" in seen:
            err(where, "an init task has no ready= check")
        if re.search(r"(^|\s)restart=always(\s|$)", spec):
            err(where, "an init task cannot use restart=always")
    if options_seen is not None and help_has_keys:
        for key in seen:
            if key + "=" not in options_text and key not in options_text:
                err(where, f"SPEC option '{key}' is not in the option source")
    return head[0]

options_text = os.environ["OPTIONS_TEXT"]
options_seen = set()
help_has_keys = "restart" in options_text

def parse_duration_s(v):
    m = re.match(r"^([0-9]+)(ms|s|m|h)?$", v)
    if not m:
        return None
    return int(m.group(1)) * {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[m.group(2)]

def check_cinit_argv(where, argv):
    """Options of a cinit command line; returns (grace seconds or None, specs).
    Sets health_listen[where] to the value of --health-listen."""
    grace, specs = None, []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--" or not a.startswith("-") or a == "-":
            break
        name, eq, value = a.partition("=") if a.startswith("--") else (a[:2], "", a[2:])
        if name not in takes_value:
            err(where, f"cinit has no option '{name}'")
            i += 1
            continue
        options_seen.add(name)
        if takes_value[name]:
            if not (eq or value):
                i += 1
                if i >= len(argv):
                    err(where, f"option '{name}' needs a value")
                    break
                value = argv[i]
            if name in ("--grace",):
                grace = parse_duration_s(value)
            if name in ("--grace", "--timeout", "-t") and parse_duration_s(value) is None:
                err(where, f"bad duration '{value}' for {name}")
            if name in ("--sidecar", "--init"):
                specs.append((name[2:], value))
            if name == "--health-listen":
                health_listen[where] = value
        elif eq or (value and not a.startswith("--") and any(
                ("-" + c) not in takes_value or takes_value["-" + c] for c in value)):
            err(where, f"'{a}' is not a valid flag cluster")
        i += 1
    return grace, specs

health_listen = {}
# ADDR:PORT of --health-listen: (addr, port) or None.
def parse_listen(v):
    m = re.match(r"^(\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost):([0-9]+)$", v or "")
    if not m or not 0 < int(m.group(2)) < 65536:
        return None
    return m.group(1), int(m.group(2))

BOOL = {"1", "0", "true", "false", "yes", "no", "on", "off"}
NOT_ENV = {"help", "version", "license", "subreaper", "single-child", "sidecar", "init"}

def check_container(where, c, pod_spec):
    cmd = list(c.get("command") or [])
    if not cmd or not cmd[0].endswith("/cinit"):
        return err(where, "command does not start with /sbin/cinit")
    if cmd[0] != "/sbin/cinit":
        err(where, f"command is {cmd[0]}, the images install /sbin/cinit")
    argv = cmd + list(c.get("args") or [])
    grace, specs = check_cinit_argv(where, argv)
    rest = argv[1:]
    if "--" in rest:
        after = rest[rest.index("--") + 1:]
    else:
        after = [w for w in rest if not w.startswith("-")]
    if not after:
        err(where, "no main command after cinit's options")
    names = {}
    for e in c.get("env") or []:
        n, v = e.get("name", ""), e.get("value")
        if not n.startswith("CINIT_"):
            continue
        w = f"{where} env {n}"
        if v is None:
            err(w, "CINIT_ variables need a literal value here")
            continue
        m = re.match(r"^CINIT_(SIDECAR|INIT)_([0-9]+)$", n)
        if m:
            specs.append(("sidecar" if m.group(1) == "SIDECAR" else "init", v, w))
            continue
        if n == "CINIT_HEALTH_LISTEN":
            health_listen.setdefault(where, v)
        if n == "CINIT_STATE_DIR":
            if not v.startswith("/"):
                err(w, "must be an absolute path")
            continue
        opt = "--" + n[6:].lower().replace("_", "-")
        if opt not in long_opts or opt[2:] in NOT_ENV:
            err(w, f"cinit has no option {opt} for {n}")
            continue
        options_seen.add(opt)
        if not takes_value[opt] and v.lower() not in BOOL:
            err(w, f"'{v}' is not a yes/no value")
        if opt == "--grace":
            grace = parse_duration_s(v) if grace is None else grace
    for item in specs:
        kind, spec = item[0], item[1]
        w = item[2] if len(item) > 2 else f"{where} --{kind}"
        name = check_spec(w, spec, kind)
        if name:
            names[name] = kind
    # Probes: httpGet against --health-listen, or exec of cinit status.
    listen = parse_listen(health_listen.get(where))
    if health_listen.get(where) and not listen:
        err(where, f"bad --health-listen value {health_listen.get(where)!r} (want ADDR:PORT)")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        p = c.get(probe)
        if not p:
            continue
        hg = p.get("httpGet")
        if hg is not None:
            w = f"{where} {probe}"
            if not listen:
                err(w, "httpGet probe but cinit has no --health-listen (or CINIT_HEALTH_LISTEN)")
                continue
            if listen[0] in ("127.0.0.1", "localhost", "[::1]"):
                err(w, f"--health-listen {listen[0]} is loopback: the kubelet probes the pod IP")
            if hg.get("port") != listen[1]:
                err(w, f"httpGet port {hg.get('port')} is not cinit's --health-listen port {listen[1]}")
            path = hg.get("path", "/")
            m = re.match(r"^/(livez|readyz)(?:/([^/]+))?$", path)
            if not m:
                err(w, f"httpGet path {path} is not /livez, /readyz, /livez/NAME or /readyz/NAME")
            elif m.group(2) and m.group(2) not in names and m.group(2) != "main":
                err(w, f"no sidecar or init task named {m.group(2)}")
            elif probe == "livenessProbe" and m.group(1) != "livez":
                err(w, "the liveness probe should ask /livez")
            elif probe != "livenessProbe" and m.group(1) != "readyz":
                err(w, f"the {probe} should ask /readyz")
            if hg.get("scheme", "HTTP") != "HTTP":
                err(w, "cinit's health endpoint speaks plain HTTP")
            continue
        pc = (p.get("exec") or {}).get("command")
        if not pc or pc[0] != "/sbin/cinit" or len(pc) < 2 or pc[1] != "status":
            err(f"{where} {probe}", f"want exec of /sbin/cinit status, got {pc}")
            continue
        for a in pc[2:]:
            if a.startswith("-") and a not in ("--ready", "--live"):
                err(f"{where} {probe}", f"cinit status has no option {a}")
            elif not a.startswith("-") and a not in names:
                err(f"{where} {probe}", f"no sidecar or init task named {a}")
    tgps = pod_spec.get("terminationGracePeriodSeconds", 30)
    g = 10 if grace is None else grace
    if g >= tgps:
        err(where, f"cinit's grace ({g}s) must stay below terminationGracePeriodSeconds ({tgps})")
    return names, c

summary = []
for path in sys.argv[1:]:
    base = os.path.basename(path)
    try:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        err(base, f"invalid YAML: {e}")
        continue
    if not docs:
        err(base, "no YAML document")
    for d in docs:
        kind = d.get("kind")
        name = (d.get("metadata") or {}).get("name")
        where = f"{base} {kind}/{name}"
        if not d.get("apiVersion") or not kind or not name:
            err(where, "needs apiVersion, kind and metadata.name")
            continue
        if kind == "Pod":
            pod_spec = d.get("spec") or {}
        elif kind in ("Job", "Deployment", "StatefulSet", "DaemonSet"):
            pod_spec = ((d.get("spec") or {}).get("template") or {}).get("spec") or {}
        elif kind == "CronJob":
            pod_spec = (((d.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}) \
                .get("template", {}).get("spec") or {}
        else:
            err(where, f"unexpected kind {kind}")
            continue
        containers = pod_spec.get("containers") or []
        if not containers:
            err(where, "no containers")
        if kind == "Job" and pod_spec.get("restartPolicy") not in ("Never", "OnFailure"):
            err(where, "a Job's pod needs restartPolicy Never or OnFailure")
        kinds_here = {}
        probes = set()
        for c in containers:
            if not c.get("name") or not c.get("image"):
                err(where, "every container needs a name and an image")
            r = check_container(f"{where} container {c.get('name')}", c, pod_spec)
            if r:
                kinds_here.update({k: v for k, v in r[0].items()})
                probes |= {p for p in ("readinessProbe", "livenessProbe") if c.get(p)}
        summary.append((where, sorted(kinds_here.items()), sorted(probes)))
        if kind == "Pod":
            if "sidecar" not in kinds_here.values():
                err(where, "the Pod example should declare sidecars")
            if probes != {"readinessProbe", "livenessProbe"}:
                err(where, "the Pod example should have readiness and liveness probes")
        if kind == "Job" and "init" not in kinds_here.values():
            err(where, "the Job example should declare an init task")

for where, decls, probes in summary:
    print(f"ok: {where}: declarations {decls}, probes {probes}")
print(f"cinit options used: {sorted(options_seen)}")
if errors:
    for e in errors:
        print("FAIL: " + e, file=sys.stderr)
    sys.exit(1)
PYEOF

if [ "$failed" = 0 ]; then
  echo "PASS: kubernetes.sh"
  exit 0
fi
echo "FAILED: kubernetes.sh" >&2
exit 1
