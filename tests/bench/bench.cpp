// bench: the driver of the cinit benchmark suite. Run it through tests/bench/run,
// which installs the peer inits, builds cinit and this driver, and passes the
// paths. See tests/bench/README.md for what every figure means.
//
// Every init (and the "no init" baseline) runs as PID 1 of a fresh PID
// namespace, as in a container. The columns are measured interleaved: each
// repetition runs every column once, in an order rotated per repetition, so
// machine noise lands on all of them alike.

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstddef>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <utility>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

// ---------------------------------------------------------------- utilities

std::uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1000000000u + std::uint64_t(ts.tv_nsec);
}

void sleep_ms(long ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, f);
    std::vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

void progress(const char* f, ...) __attribute__((format(printf, 1, 2)));
void progress(const char* f, ...) {
    va_list ap;
    va_start(ap, f);
    std::fputs("bench: ", stderr);
    std::vfprintf(stderr, f, ap);
    std::fputc('\n', stderr);
    va_end(ap);
}

std::string read_file(const std::string& path, std::size_t limit = 1 << 20) {
    std::string out;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, std::size_t(n));
        if (out.size() >= limit) break;
    }
    close(fd);
    return out;
}

bool file_exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

std::optional<long long> file_size(const std::string& p) {
    struct stat st{};
    if (stat(p.c_str(), &st) != 0) return std::nullopt;
    return (long long)st.st_size;
}

std::string first_line_of_command(const std::string& cmd) {
    std::string out;
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) return out;
    char buf[256];
    if (std::fgets(buf, sizeof buf, f)) out = buf;
    pclose(f);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

std::string with_commas(long long v) {
    std::string s = std::to_string(v < 0 ? -v : v);
    for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(std::size_t(i), ",");
    return v < 0 ? "-" + s : s;
}

// Linear interpolation between closest ranks.
double quantile(std::vector<double> v, double q) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    double pos = q * double(v.size() - 1);
    std::size_t lo = std::size_t(pos);
    std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

// ------------------------------------------------------------------ columns

struct Column {
    std::string name;
    std::string path;               // empty: no init, the workload is PID 1
    std::vector<std::string> args;  // between the init and the command
    bool present = true;
    bool none = false;
    std::string version;
};

enum { NONE = 0, TINI = 1, DUMB = 2, CATATONIT = 3, CINIT = 4, NCOL = 5 };

struct Options {
    bool quick = false;
    std::string workload, out, tmp;
    std::string cinit, cinit_musl, cinit_glibc;
    std::string tini = "/usr/bin/tini-static", dumb = "/usr/bin/dumb-init",
                catatonit = "/usr/bin/catatonit";
    // counts
    int starts = 500;
    int signal_rounds = 10, signals_per_round = 500;
    int orphan_rounds = 10, orphans_per_round = 1000;
    int idle_seconds = 5;
    int shutdown_rounds = 20;
    int teardown_rounds = 5, teardown_children = 1000;
    int probes = 10000;  // of each kind
    std::string only;  // comma-separated benchmark names; empty: all
    std::string cinit_rev;  // source revision of the cinit measured, for the report
    bool realtime = true;   // run everything SCHED_FIFO when allowed (see README)
    bool realtime_on = false;
};

Options g_opt;
std::vector<Column> g_cols;
std::vector<std::string> g_errors;
int g_devnull = -1, g_errlog = -1;
std::string g_errlog_path;

void error(int col, const std::string& what) {
    std::string msg = g_cols[std::size_t(col)].name + ": " + what;
    progress("ERROR %s", msg.c_str());
    g_errors.push_back(msg);
}

// Order of the columns in repetition `rep`: rotated, so that no column always
// runs right after another one.
std::vector<int> order(int rep, const std::vector<bool>& alive) {
    std::vector<int> o;
    for (int k = 0; k < NCOL; ++k) {
        int c = (rep + k) % NCOL;
        if (alive[std::size_t(c)]) o.push_back(c);
    }
    return o;
}

std::vector<bool> present_columns(bool with_none) {
    std::vector<bool> a(NCOL);
    for (int c = 0; c < NCOL; ++c) a[std::size_t(c)] = g_cols[std::size_t(c)].present && (with_none || c != NONE);
    return a;
}

// ------------------------------------------------------------ process control

struct Child {
    pid_t pid = -1;
    int pidfd = -1;
};

// Starts INIT ARGS... COMMAND... as PID 1 of a new PID namespace (or COMMAND
// alone for the no-init column). stdin/stdout are /dev/null, stderr goes to
// the shared log. With cpu >= 0, the init and everything it starts run on
// that CPU only.
Child spawn(int col, const std::vector<std::string>& command, int cpu = -1) {
    const Column& c = g_cols[std::size_t(col)];
    std::vector<std::string> words;
    if (!c.none) {
        words.push_back(c.path);
        words.insert(words.end(), c.args.begin(), c.args.end());
    }
    words.insert(words.end(), command.begin(), command.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);

    cpu_set_t one;
    CPU_ZERO(&one);
    if (cpu >= 0) CPU_SET(cpu, &one);

    Child ch;
    long r = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (r < 0) {
        error(col, fmt("clone(CLONE_NEWPID): %s", std::strerror(errno)));
        return ch;
    }
    if (r == 0) {
        // Child: only async-signal-safe calls from here on.
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the driver
        if (cpu >= 0) sched_setaffinity(0, sizeof one, &one);
        dup2(g_devnull, 0);
        dup2(g_devnull, 1);
        dup2(g_errlog, 2);
        execv(argv[0], argv.data());
        _exit(127);
    }
    ch.pid = pid_t(r);
    ch.pidfd = int(syscall(SYS_pidfd_open, ch.pid, 0));
    return ch;
}

// Signals the init. Never with a pid <= 0: kill(-1, …) as root would reach
// every process of the machine.
void signal_child(const Child& ch, int sig) {
    if (ch.pid > 0) kill(ch.pid, sig);
}

// Waits for the child to exit. Returns its wait status, or nullopt after a
// timeout (the child is then killed: its whole namespace goes with it).
std::optional<int> wait_exit(Child& ch, int timeout_ms) {
    if (ch.pid < 0) return std::nullopt;
    bool timed_out = false;
    if (ch.pidfd >= 0) {
        pollfd p{ch.pidfd, POLLIN, 0};
        int r;
        do r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r == 0) {
            timed_out = true;
            kill(ch.pid, SIGKILL);
        }
    }
    int st = 0;
    while (waitpid(ch.pid, &st, 0) < 0 && errno == EINTR) {}
    if (ch.pidfd >= 0) close(ch.pidfd);
    ch.pid = -1;
    ch.pidfd = -1;
    if (timed_out) return std::nullopt;
    return st;
}

std::string describe_status(std::optional<int> st) {
    if (!st) return "timed out (killed)";
    if (WIFEXITED(*st)) return fmt("exited %d", WEXITSTATUS(*st));
    if (WIFSIGNALED(*st)) return fmt("killed by signal %d", WTERMSIG(*st));
    return "stopped?";
}

bool check_status(int col, const char* bench, std::optional<int> st) {
    if (st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) return true;
    error(col, fmt("%s: init %s (want exit 0); see %s", bench, describe_status(st).c_str(),
                   g_errlog_path.c_str()));
    return false;
}

// A FIFO the driver keeps open read-write: opening it never blocks, and a
// writer that comes and goes never makes it report end-of-file.
struct Fifo {
    std::string path;
    int fd = -1;
};

std::vector<std::string> g_fifos;  // removed at the end

Fifo make_fifo(const std::string& name) {
    Fifo f;
    f.path = g_opt.tmp + "/" + name;
    g_fifos.push_back(f.path);
    unlink(f.path.c_str());
    if (mkfifo(f.path.c_str(), 0600) != 0) {
        progress("mkfifo %s: %s", f.path.c_str(), std::strerror(errno));
        std::exit(2);
    }
    f.fd = open(f.path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (f.fd < 0) {
        progress("open %s: %s", f.path.c_str(), std::strerror(errno));
        std::exit(2);
    }
    return f;
}

void drain(const Fifo& f) {
    char buf[64];
    while (read(f.fd, buf, sizeof buf) > 0) {}
}

// Waits for byte `want` on the FIFO; gives up when the init exits first or
// after the timeout.
bool wait_byte(const Fifo& f, char want, const Child& ch, int timeout_ms) {
    std::uint64_t deadline = now_ns() + std::uint64_t(timeout_ms) * 1000000u;
    for (;;) {
        char c;
        ssize_t n = read(f.fd, &c, 1);
        if (n == 1) {
            if (c == want) return true;
            continue;
        }
        std::uint64_t t = now_ns();
        if (t >= deadline) return false;
        pollfd p[2] = {{f.fd, POLLIN, 0}, {ch.pidfd, POLLIN, 0}};
        int r = poll(p, ch.pidfd >= 0 ? 2 : 1, int((deadline - t) / 1000000u) + 1);
        if (r > 0 && (p[1].revents & POLLIN) && !(p[0].revents & POLLIN)) return false;  // init died
    }
}

void put_byte(const Fifo& f, char c) {
    while (write(f.fd, &c, 1) < 0 && errno == EINTR) {}
}

// ------------------------------------------------------------ /proc readers

struct ProcSnap {
    bool ok = false;
    long long ctxt = 0;        // voluntary + nonvoluntary context switches
    long long cpu_ns = 0;      // schedstat field 1: time on CPU
    long long timeslices = 0;  // schedstat field 3: times it was run
    long long rss_kib = 0, hwm_kib = 0, anon_kib = 0;
};

long long status_field(const std::string& s, const char* key) {
    std::size_t p = s.find(key);
    if (p == std::string::npos) return -1;
    return std::atoll(s.c_str() + p + std::strlen(key));
}

ProcSnap snap(pid_t pid) {
    ProcSnap s;
    std::string st = read_file(fmt("/proc/%d/status", pid));
    std::string ss = read_file(fmt("/proc/%d/schedstat", pid));
    if (st.empty() || ss.empty()) return s;
    s.ctxt = status_field(st, "\nvoluntary_ctxt_switches:") + status_field(st, "\nnonvoluntary_ctxt_switches:");
    s.rss_kib = status_field(st, "\nVmRSS:");
    s.hwm_kib = status_field(st, "\nVmHWM:");
    s.anon_kib = status_field(st, "\nRssAnon:");
    unsigned long long cpu = 0, delay = 0, slices = 0;
    std::sscanf(ss.c_str(), "%llu %llu %llu", &cpu, &delay, &slices);
    s.cpu_ns = (long long)cpu;
    s.timeslices = (long long)slices;
    s.ok = true;
    return s;
}

// Zombie children of `parent` (host PIDs; the driver sees every namespace).
long count_zombie_children(pid_t parent) {
    long n = 0;
    DIR* d = opendir("/proc");
    if (!d) return -1;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        char path[300];
        std::snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        char buf[512];
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len <= 0) continue;
        buf[len] = 0;
        char* rp = std::strrchr(buf, ')');
        if (!rp) continue;
        char state = 0;
        int ppid = 0;
        if (std::sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == parent && state == 'Z') ++n;
    }
    closedir(d);
    return n;
}

// ------------------------------------------------------------------ results

enum class Kind { Bytes, KiB, Count, Time, Text };

struct Row {
    std::string label;
    Kind kind = Kind::Count;
    std::vector<std::optional<double>> v = std::vector<std::optional<double>>(NCOL);
    std::vector<std::string> text = std::vector<std::string>(NCOL);  // overrides the value
    bool ratios = true;      // show ÷ tini-static
    bool ratio_none = true;  // show ÷ no init
    std::string target;
};

std::deque<Row> g_rows;  // deque: Row& references stay valid as rows are added

Row& row(const std::string& label, Kind kind, bool ratios = true) {
    g_rows.push_back(Row{});
    Row& r = g_rows.back();
    r.label = label;
    r.kind = kind;
    r.ratios = ratios;
    return r;
}

std::string format_value(Kind k, double x) {
    switch (k) {
    case Kind::Bytes: return with_commas((long long)std::llround(x)) + " B";
    case Kind::KiB: return with_commas((long long)std::llround(x)) + " KiB";
    case Kind::Count: return with_commas((long long)std::llround(x));
    case Kind::Time:
        if (x < 10e3) return fmt("%.2f µs", x / 1e3);
        if (x < 100e3) return fmt("%.1f µs", x / 1e3);
        if (x < 1e6) return fmt("%.0f µs", x / 1e3);
        if (x < 1e9) return fmt("%.2f ms", x / 1e6);
        return fmt("%.2f s", x / 1e9);
    case Kind::Text: break;
    }
    return "";
}

std::string format_ratio(std::optional<double> num, std::optional<double> den) {
    if (!num || !den || *den <= 0) return "–";
    double r = *num / *den;
    if (r < 10) return fmt("%.2f", r);
    if (r < 100) return fmt("%.1f", r);
    return fmt("%.0f", r);
}

std::string cell(const Row& r, int c) {
    if (!r.text[std::size_t(c)].empty()) return r.text[std::size_t(c)];
    const auto& v = r.v[std::size_t(c)];
    if (!v) return g_cols[std::size_t(c)].present ? "–" : "n/a";
    std::string s = format_value(r.kind, *v);
    if (r.ratios) {
        std::string rt = format_ratio(v, r.v[TINI]);
        std::string rn = r.ratio_none ? format_ratio(v, r.v[NONE]) : "–";
        if (rt != "–" || rn != "–") s += " [" + rt + " / " + rn + "]";
    }
    return s;
}

// ---------------------------------------------------------------- benchmarks

void bench_sizes() {
    Row& shipped = row("Binary size (cinit: static musl)", Kind::Bytes);
    Row& glibc = row("Binary size, static glibc", Kind::Bytes);
    shipped.ratios = glibc.ratios = true;
    for (int c = TINI; c <= CATATONIT; ++c) {
        if (!g_cols[std::size_t(c)].present) continue;
        auto sz = file_size(g_cols[std::size_t(c)].path);
        if (!sz) continue;
        shipped.v[std::size_t(c)] = double(*sz);
        if (c == DUMB) {
            // Debian's dumb-init is linked dynamically: its file does not
            // contain the C library it needs.
            glibc.text[std::size_t(c)] = "n/a (Debian's is dynamic: " + with_commas(*sz) + " B + libc.so.6)";
        } else {
            glibc.v[std::size_t(c)] = double(*sz);
        }
    }
    if (auto s = g_opt.cinit_musl.empty() ? std::nullopt : file_size(g_opt.cinit_musl)) shipped.v[CINIT] = double(*s);
    else shipped.text[CINIT] = "not built";
    if (auto s = g_opt.cinit_glibc.empty() ? std::nullopt : file_size(g_opt.cinit_glibc)) glibc.v[CINIT] = double(*s);
    else glibc.text[CINIT] = "not built";
    shipped.text[NONE] = glibc.text[NONE] = "–";
    if (shipped.v[CINIT])
        shipped.target = fmt("≤ 98,304 B: %s", *shipped.v[CINIT] <= 98304 ? "met" : "MISSED");
    else
        shipped.target = "≤ 98,304 B: not measured";
}

void bench_idle() {
    progress("idle: %d s window, all inits side by side", g_opt.idle_seconds);
    Row& rss = row("Memory (VmRSS) while the child sleeps", Kind::KiB);
    Row& anon = row("…of which private to the init (RssAnon)", Kind::KiB);
    Row& hwm = row("Peak memory (VmHWM)", Kind::KiB);
    Row& wake = row(fmt("Wake-ups of the init in %d s idle", g_opt.idle_seconds), Kind::Count);
    rss.text[NONE] = anon.text[NONE] = hwm.text[NONE] = wake.text[NONE] = "–";

    auto alive = present_columns(false);
    std::vector<Child> kids(NCOL);
    std::vector<Fifo> fifos(NCOL);
    for (int c = 1; c < NCOL; ++c) {
        if (!alive[std::size_t(c)]) continue;
        fifos[std::size_t(c)] = make_fifo(fmt("idle-ready-%d", c));
        kids[std::size_t(c)] = spawn(c, {g_opt.workload, "sleep", fifos[std::size_t(c)].path});
    }
    for (int c = 1; c < NCOL; ++c) {
        if (!alive[std::size_t(c)]) continue;
        if (!wait_byte(fifos[std::size_t(c)], 'r', kids[std::size_t(c)], 10000)) {
            error(c, "idle: the sleeping child did not start");
            alive[std::size_t(c)] = false;
        }
    }
    sleep_ms(300);
    std::vector<ProcSnap> s0(NCOL), s1(NCOL);
    for (int c = 1; c < NCOL; ++c)
        if (alive[std::size_t(c)]) s0[std::size_t(c)] = snap(kids[std::size_t(c)].pid);
    sleep_ms(1000L * g_opt.idle_seconds);
    for (int c = 1; c < NCOL; ++c)
        if (alive[std::size_t(c)]) s1[std::size_t(c)] = snap(kids[std::size_t(c)].pid);
    for (int c = 1; c < NCOL; ++c) {
        signal_child(kids[std::size_t(c)], SIGTERM);
    }
    for (int c = 1; c < NCOL; ++c) {
        if (kids[std::size_t(c)].pid < 0) continue;
        auto st = wait_exit(kids[std::size_t(c)], 10000);
        if (!alive[std::size_t(c)]) continue;
        if (!check_status(c, "idle (stop on TERM)", st)) continue;
        if (!s0[std::size_t(c)].ok || !s1[std::size_t(c)].ok) {
            error(c, "idle: could not read /proc");
            continue;
        }
        rss.v[std::size_t(c)] = double(s1[std::size_t(c)].rss_kib);
        anon.v[std::size_t(c)] = double(s1[std::size_t(c)].anon_kib);
        hwm.v[std::size_t(c)] = double(s1[std::size_t(c)].hwm_kib);
        wake.v[std::size_t(c)] = double(s1[std::size_t(c)].ctxt - s0[std::size_t(c)].ctxt);
    }
    for (auto& f : fifos)
        if (f.fd >= 0) close(f.fd);
    if (rss.v[CINIT]) rss.target = fmt("≤ 128 KiB: %s", *rss.v[CINIT] <= 128 ? "met" : "MISSED");
    if (wake.v[CINIT]) wake.target = fmt("0: %s", *wake.v[CINIT] == 0 ? "met" : "MISSED");
}

void bench_start() {
    progress("start: %d × `INIT -- /bin/true` per column", g_opt.starts);
    auto alive = present_columns(true);
    std::vector<std::vector<double>> t(NCOL);
    for (int rep = 0; rep < g_opt.starts; ++rep) {
        for (int c : order(rep, alive)) {
            std::uint64_t t0 = now_ns();
            Child ch = spawn(c, {"/bin/true"});
            auto st = wait_exit(ch, 10000);
            std::uint64_t t1 = now_ns();
            if (!check_status(c, "start", st)) {
                alive[std::size_t(c)] = false;
                continue;
            }
            t[std::size_t(c)].push_back(double(t1 - t0));
        }
    }
    Row& med = row("Start cost, median", Kind::Time);
    Row& p90 = row("Start cost, p90", Kind::Time);
    for (int c = 0; c < NCOL; ++c) {
        if (!alive[std::size_t(c)] || t[std::size_t(c)].empty()) continue;
        med.v[std::size_t(c)] = quantile(t[std::size_t(c)], 0.5);
        p90.v[std::size_t(c)] = quantile(t[std::size_t(c)], 0.9);
    }
    if (med.v[CINIT] && med.v[TINI])
        med.target = fmt("≤ 0.75× tini-static: %s", *med.v[CINIT] <= 0.75 * *med.v[TINI] ? "met" : "MISSED");
    // What the init adds to a start, beyond running the command itself.
    Row& over = row("Start overhead (median − no init)", Kind::Time);
    over.ratio_none = false;
    over.text[NONE] = "–";
    if (med.v[NONE])
        for (int c = TINI; c < NCOL; ++c)
            if (med.v[std::size_t(c)]) over.v[std::size_t(c)] = std::max(0.0, *med.v[std::size_t(c)] - *med.v[NONE]);
}

std::optional<double> best_peer(const Row& r) {
    std::optional<double> best;
    for (int c = TINI; c <= CATATONIT; ++c)
        if (r.v[std::size_t(c)] && (!best || *r.v[std::size_t(c)] < *best)) best = r.v[std::size_t(c)];
    return best;
}

// The signal round trip runs the init and its child on one CPU: the figure is
// then the work of the init's relay (wake up, read the signal, forward it),
// without the cross-CPU wake-up latency that would add the same amount to
// every init (and, with SCHED_FIFO, dominate it).
int g_pin_cpu = -1;

void bench_signals() {
    int total = g_opt.signal_rounds * g_opt.signals_per_round;
    progress("signals: %d SIGUSR1 round trips per column (%d rounds)", total, g_opt.signal_rounds);
    auto alive = present_columns(true);
    std::vector<std::vector<double>> t(NCOL);
    std::string out = g_opt.tmp + "/rtt.bin";
    for (int rep = 0; rep < g_opt.signal_rounds; ++rep) {
        for (int c : order(rep, alive)) {
            unlink(out.c_str());
            Child ch = spawn(c, {g_opt.workload, "echo", c == NONE ? "self" : "parent",
                                 std::to_string(g_opt.signals_per_round), out},
                             g_pin_cpu);
            auto st = wait_exit(ch, 60000);
            if (!check_status(c, "signal round trip", st)) {
                alive[std::size_t(c)] = false;
                continue;
            }
            std::string data = read_file(out, 1 << 30);
            if (data.size() != std::size_t(g_opt.signals_per_round) * 8) {
                error(c, "signal round trip: short sample file");
                alive[std::size_t(c)] = false;
                continue;
            }
            for (std::size_t i = 0; i < data.size(); i += 8) {
                std::uint64_t ns;
                std::memcpy(&ns, data.data() + i, 8);
                t[std::size_t(c)].push_back(double(ns));
            }
        }
    }
    unlink(out.c_str());
    Row& med = row("Signal round trip child → init → child, median", Kind::Time);
    Row& p99 = row("Signal round trip, p99", Kind::Time);
    for (int c = 0; c < NCOL; ++c) {
        if (!alive[std::size_t(c)] || t[std::size_t(c)].empty()) continue;
        med.v[std::size_t(c)] = quantile(t[std::size_t(c)], 0.5);
        p99.v[std::size_t(c)] = quantile(t[std::size_t(c)], 0.99);
    }
    auto best = best_peer(med);
    if (med.v[CINIT] && best)
        med.target = fmt("≤ 0.95× best peer: %s", *med.v[CINIT] <= 0.95 * *best ? "met" : "MISSED");
}

void bench_reaping() {
    int total = g_opt.orphan_rounds * g_opt.orphans_per_round;
    progress("reaping: %d orphans per column (%d rounds)", total, g_opt.orphan_rounds);
    auto alive = present_columns(true);
    std::vector<std::vector<double>> per_orphan(NCOL);  // one value per round
    std::vector<long long> zombies(NCOL), orphans(NCOL);
    Fifo sync = make_fifo("orphans-sync");
    Fifo go = make_fifo("orphans-go");
    for (int rep = 0; rep < g_opt.orphan_rounds; ++rep) {
        for (int c : order(rep, alive)) {
            drain(sync);
            drain(go);
            Child ch = spawn(c, {g_opt.workload, "orphans", std::to_string(g_opt.orphans_per_round), sync.path,
                                 go.path});
            bool ok = wait_byte(sync, 'r', ch, 10000);
            ProcSnap a, b;
            long z = -1;
            if (ok) {
                sleep_ms(20);
                a = snap(ch.pid);
                put_byte(go, 'g');
                ok = wait_byte(sync, 'd', ch, 120000);
            }
            if (ok) {
                // Let the init finish reaping: stop when no zombie is left, or
                // when the count has not moved for 300 ms.
                long last = -1;
                std::uint64_t since = now_ns(), start = since;
                for (;;) {
                    z = count_zombie_children(ch.pid);
                    std::uint64_t t = now_ns();
                    if (z == 0) {
                        sleep_ms(20);
                        break;
                    }
                    if (z != last) {
                        last = z;
                        since = t;
                    } else if (t - since > 300000000u || t - start > 10000000000u) {
                        break;
                    }
                    sleep_ms(10);
                }
                b = snap(ch.pid);
            }
            signal_child(ch, SIGTERM);
            auto st = wait_exit(ch, 30000);
            if (!ok) {
                error(c, fmt("reaping: the orphan workload did not %s (init %s)", a.ok ? "finish" : "start",
                             describe_status(st).c_str()));
                alive[std::size_t(c)] = false;
                continue;
            }
            if (!check_status(c, "reaping (stop on TERM)", st)) {
                alive[std::size_t(c)] = false;
                continue;
            }
            if (!a.ok || !b.ok) {
                error(c, "reaping: could not read /proc");
                alive[std::size_t(c)] = false;
                continue;
            }
            per_orphan[std::size_t(c)].push_back(double(b.cpu_ns - a.cpu_ns) / g_opt.orphans_per_round);
            zombies[std::size_t(c)] += z;
            orphans[std::size_t(c)] += g_opt.orphans_per_round;
        }
    }
    close(sync.fd);
    close(go.fd);
    Row& per = row("Init CPU time per orphan reaped (median of rounds)", Kind::Time);
    Row& zl = row(fmt("Zombies left after %s orphans", with_commas(total).c_str()), Kind::Count, false);
    for (int c = 0; c < NCOL; ++c) {
        if (!alive[std::size_t(c)] || orphans[std::size_t(c)] == 0) continue;
        zl.v[std::size_t(c)] = double(zombies[std::size_t(c)]);
        if (c != NONE) per.v[std::size_t(c)] = quantile(per_orphan[std::size_t(c)], 0.5);
    }
    if (g_cols[NONE].present) per.text[NONE] = "– (nobody reaps)";
    auto best = best_peer(per);
    if (per.v[CINIT] && best)
        per.target = fmt("≤ 0.7× best peer: %s", *per.v[CINIT] <= 0.7 * *best ? "met" : "MISSED");
    if (zl.v[CINIT]) zl.target = fmt("0: %s", *zl.v[CINIT] == 0 ? "met" : "MISSED");
}

void bench_shutdown() {
    progress("shutdown: %d rounds of TERM to a main with a background worker", g_opt.shutdown_rounds);
    auto alive = present_columns(true);
    std::vector<std::vector<double>> t(NCOL);
    std::vector<int> got(NCOL);
    Fifo ready = make_fifo("shutdown-ready");
    std::string mark = g_opt.tmp + "/worker-got-term";
    for (int rep = 0; rep < g_opt.shutdown_rounds; ++rep) {
        for (int c : order(rep, alive)) {
            drain(ready);
            unlink(mark.c_str());
            Child ch = spawn(c, {g_opt.workload, "shutdown", mark, ready.path});
            if (!wait_byte(ready, 'r', ch, 10000)) {
                signal_child(ch, SIGKILL);
                auto st = wait_exit(ch, 10000);
                error(c, "shutdown: the workload did not start (init " + describe_status(st) + ")");
                alive[std::size_t(c)] = false;
                continue;
            }
            std::uint64_t t0 = now_ns();
            signal_child(ch, SIGTERM);
            auto st = wait_exit(ch, 30000);
            std::uint64_t t1 = now_ns();
            if (!check_status(c, "shutdown", st)) {
                alive[std::size_t(c)] = false;
                continue;
            }
            t[std::size_t(c)].push_back(double(t1 - t0));
            if (file_exists(mark)) ++got[std::size_t(c)];
        }
    }
    unlink(mark.c_str());
    close(ready.fd);
    Row& med = row("Shutdown: TERM → init exited, median", Kind::Time);
    Row& w = row("Shutdown: background worker got TERM", Kind::Text, false);
    for (int c = 0; c < NCOL; ++c) {
        if (!alive[std::size_t(c)] || t[std::size_t(c)].empty()) continue;
        med.v[std::size_t(c)] = quantile(t[std::size_t(c)], 0.5);
        int n = int(t[std::size_t(c)].size());
        w.text[std::size_t(c)] = fmt("%s (%d/%d)", got[std::size_t(c)] == n ? "yes" : got[std::size_t(c)] ? "sometimes" : "no",
                                     got[std::size_t(c)], n);
    }
    if (med.v[CINIT]) med.target = fmt("≤ 20 ms: %s", *med.v[CINIT] <= 20e6 ? "met" : "MISSED");
    if (med.v[CINIT])
        w.target = fmt("yes: %s", got[CINIT] == int(t[CINIT].size()) ? "met" : "MISSED");
}

void bench_teardown() {
    progress("teardown: %d rounds of TERM with %d live children", g_opt.teardown_rounds, g_opt.teardown_children);
    auto alive = present_columns(true);
    std::vector<std::vector<double>> t(NCOL), termed(NCOL);
    Fifo ready = make_fifo("teardown-ready");
    std::string counter = g_opt.tmp + "/teardown-counter";
    int cfd = open(counter.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (cfd < 0 || ftruncate(cfd, 4096) != 0) {
        progress("cannot create %s: %s", counter.c_str(), std::strerror(errno));
        std::exit(2);
    }
    for (int rep = 0; rep < g_opt.teardown_rounds; ++rep) {
        for (int c : order(rep, alive)) {
            drain(ready);
            std::uint32_t zero = 0;
            if (pwrite(cfd, &zero, 4, 0) != 4) std::exit(2);
            Child ch = spawn(c, {g_opt.workload, "teardown", std::to_string(g_opt.teardown_children), counter,
                                 ready.path});
            if (!wait_byte(ready, 'r', ch, 60000)) {
                signal_child(ch, SIGKILL);
                auto st = wait_exit(ch, 30000);
                error(c, "teardown: the workload did not start (init " + describe_status(st) + ")");
                alive[std::size_t(c)] = false;
                continue;
            }
            sleep_ms(50);
            std::uint64_t t0 = now_ns();
            signal_child(ch, SIGTERM);
            auto st = wait_exit(ch, 60000);
            std::uint64_t t1 = now_ns();
            if (!check_status(c, "teardown", st)) {
                alive[std::size_t(c)] = false;
                continue;
            }
            std::uint32_t n = 0;
            if (pread(cfd, &n, 4, 0) != 4) n = 0;
            t[std::size_t(c)].push_back(double(t1 - t0));
            termed[std::size_t(c)].push_back(double(n));
        }
    }
    close(cfd);
    unlink(counter.c_str());
    close(ready.fd);
    Row& med = row(fmt("Teardown of %d live children: TERM → all gone, median", g_opt.teardown_children), Kind::Time);
    Row& g = row("Teardown: children that got TERM (not SIGKILL), median", Kind::Count, false);
    for (int c = 0; c < NCOL; ++c) {
        if (!alive[std::size_t(c)] || t[std::size_t(c)].empty()) continue;
        med.v[std::size_t(c)] = quantile(t[std::size_t(c)], 0.5);
        g.v[std::size_t(c)] = quantile(termed[std::size_t(c)], 0.5);
    }
}

// ------------------------------------------------- SPEC §7 (cinit only)
//
// The peers have no health endpoint, sd_notify or watches, so these figures
// are cinit's alone, in a table of their own.

struct PlatRow {
    std::string label, exec, runc, http, ratio, runc_ratio, target;
};
std::vector<PlatRow> g_plat;
std::string g_plat_notes;

// A free TCP port on 127.0.0.1 (the kernel picks it; it is released at once,
// so another program could take it before cinit binds it: then cinit fails
// to start and the suite says so).
int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        progress("cannot find a free port: %s", std::strerror(errno));
        std::exit(2);
    }
    close(fd);
    return ntohs(a.sin_port);
}

// One HTTP probe as kubelet makes it: connect, GET, read the answer until
// cinit closes the connection. Returns the status code, or -1.
int http_get(int port, const char* path) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(std::uint16_t(port));
    timeval tv{5, 0};  // never hang the suite on a broken server
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int code = -1;
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        char req[160];
        int n = std::snprintf(req, sizeof req,
                              "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: kube-probe/1.31\r\n"
                              "Accept: */*\r\nConnection: close\r\n\r\n",
                              path, port);
        if (write(fd, req, std::size_t(n)) == n) {
            char buf[1024];
            std::size_t got = 0;
            for (;;) {
                ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) break;
                got += std::size_t(r);
                if (got == sizeof buf - 1) got = 16;  // keep the status line, drop the rest
            }
            buf[got] = 0;
            if (got >= 12 && std::strncmp(buf, "HTTP/1.", 7) == 0) code = std::atoi(buf + 9);
        }
    }
    close(fd);
    return code;
}

long long rusage_ns(const rusage& r) {
    return (long long)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000000LL +
           (long long)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1000LL;
}

long long self_cpu_ns() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return rusage_ns(r);
}

// One exec probe: `cinit status --ready` as a new process, as kubelet's exec
// probe runs it (minus the container runtime's own exec machinery, which
// costs far more). Returns the exit status; *cpu_ns gets the probe process's
// CPU time.
// With normal_sched, the process runs SCHED_OTHER even when the driver is
// SCHED_FIFO (runc: see start_runc_box).
int exec_probe(char* const* argv, long long* cpu_ns, bool normal_sched = false) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, g_devnull, 1);
    posix_spawn_file_actions_adddup2(&fa, g_devnull, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    if (normal_sched) {
        sched_param sp{};
        posix_spawnattr_setschedpolicy(&attr, SCHED_OTHER);
        posix_spawnattr_setschedparam(&attr, &sp);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSCHEDULER);
    }
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int st = 0;
    rusage ru{};
    while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR) {}
    *cpu_ns = rusage_ns(ru);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// Waits up to timeout_ms for sd_notify "READY=1" on the datagram socket fd.
bool wait_ready_datagram(int fd, const Child& ch, int timeout_ms) {
    std::uint64_t deadline = now_ns() + std::uint64_t(timeout_ms) * 1000000u;
    for (;;) {
        char buf[512];
        ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        if (n > 0) {
            buf[n] = 0;
            if (std::strstr(buf, "READY=1")) return true;
            continue;
        }
        std::uint64_t t = now_ns();
        if (t >= deadline) return false;
        pollfd p[2] = {{fd, POLLIN, 0}, {ch.pidfd, POLLIN, 0}};
        int r = poll(p, 2, int((deadline - t) / 1000000u) + 1);
        if (r > 0 && (p[1].revents & POLLIN) && !(p[0].revents & POLLIN)) return false;
    }
}

std::string us(double ns) { return format_value(Kind::Time, ns); }

// utime and stime of a process (/proc/PID/stat), in clock ticks.
std::pair<long long, long long> user_system_ticks(pid_t pid) {
    std::string s = read_file(fmt("/proc/%d/stat", pid));
    std::size_t rp = s.rfind(')');
    unsigned long long ut = 0, st = 0;
    if (rp != std::string::npos)
        std::sscanf(s.c_str() + rp + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
    return {(long long)ut, (long long)st};
}

// The floors for an HTTP probe on this machine, each a blocking server
// forked from the driver and measured with the same client. Answering: the
// leanest server that answers (TCP_DEFER_ACCEPT, so accept returns with the
// request; one read; the answer sent with MSG_MORE, so it leaves with the
// FIN; close): what cinit costs above it is cinit's own work. Not
// answering: accept and close, nothing read or sent: what every TCP server
// pays per connection, so a target below it cannot be met by any server.
Child start_floor_server(int* port, bool answering) {
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    Child ch;
    int defer = 1;
    if (l < 0 || (answering && setsockopt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer) != 0) ||
        bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 128) != 0 ||
        getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (l >= 0) close(l);
        return ch;
    }
    *port = ntohs(a.sin_port);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nready\n";
        char buf[4096];
        for (;;) {
            int c = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            if (answering && read(c, buf, sizeof buf) > 0 &&
                send(c, answer, sizeof answer - 1, MSG_MORE | MSG_NOSIGNAL) < 0) {}
            close(c);
        }
    }
    close(l);
    ch.pid = pid;
    ch.pidfd = pid > 0 ? int(syscall(SYS_pidfd_open, pid, 0)) : -1;
    return ch;
}

// ------------------------------------------- the exec probe through runc
//
// Kubernetes runs an exec probe through the container runtime: the kubelet
// asks the CRI, whose runtime (runc here) joins the container's namespaces
// and cgroup and executes the command there. RuncBox is such a container: a
// busybox rootfs with the measured cinit as /sbin/cinit, PID 1, its main a
// busybox sleep; one probe is `runc exec ID /sbin/cinit status --ready`.
// Still a lower bound for a kubelet's exec probe: the CRI (containerd and
// its shim) and the kubelet's own work come on top.
struct RuncBox {
    std::string runc, dir, root, id;
    std::string why;  // why it is not running ("" when it is)
    Child run;        // `runc run`, the container's parent
    pid_t init = -1;  // cinit, the container's PID 1, as a host pid
};

// Whether fd becomes readable within ms (a pidfd: the process has exited).
bool poll_readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) > 0;
}

std::string find_runc() {
    for (const char* p : {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc", "/sbin/runc"})
        if (access(p, X_OK) == 0) return p;
    return "";
}

// Runs words to the end (SCHED_OTHER), stdout into *out when given. Returns
// the exit status, or -1.
int run_tool(const std::vector<std::string>& words, std::string* out) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return -1;
    std::vector<std::string> w = words;
    std::vector<char*> argv;
    for (auto& x : w) argv.push_back(x.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, g_devnull, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, g_errlog, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sched_param sp{};
    posix_spawnattr_setschedpolicy(&attr, SCHED_OTHER);
    posix_spawnattr_setschedparam(&attr, &sp);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSCHEDULER);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        return -1;
    }
    char buf[4096];
    for (ssize_t n; (n = read(p[0], buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        if (out) out->append(buf, std::size_t(n));
    }
    close(p[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool write_text(const std::string& path, const std::string& text) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    bool ok = write(fd, text.data(), text.size()) == ssize_t(text.size());
    return close(fd) == 0 && ok;
}

bool copy_exec(const std::string& from, const std::string& to) {
    std::string bytes = read_file(from, std::size_t(64) << 20);
    return !bytes.empty() && write_text(to, bytes) && chmod(to.c_str(), 0755) == 0;
}

// Builds the bundle, starts the container and waits until its
// `cinit status --ready` says ready. On failure, box.why says why.
// Everything runc starts runs SCHED_OTHER, as under a kubelet: a real-time
// task cannot even join a new cgroup v1 cpu group (it has no real-time
// budget), so runc fails to start a SCHED_FIFO container.
RuncBox start_runc_box(const std::string& cinit) {
    RuncBox b;
    b.runc = find_runc();
    const char* busybox = "/bin/busybox";
    if (geteuid() != 0) return b.why = "needs root", b;
    if (read_file("/proc/self/uid_map").find("4294967295") == std::string::npos)
        return b.why = "needs real root (the driver runs in a user namespace)", b;
    if (b.runc.empty()) return b.why = "runc not found (apt-get install runc)", b;
    if (access(busybox, X_OK) != 0) return b.why = "no /bin/busybox (apt-get install busybox-static)", b;
    b.dir = g_opt.tmp + "/runc";
    b.root = b.dir + "/state";
    b.id = fmt("cinit-bench-%d", int(getpid()));
    std::string rootfs = b.dir + "/bundle/rootfs";
    for (std::string d : {"", "/bundle", "/state", "/bundle/rootfs"}) mkdir((b.dir + d).c_str(), 0700);
    for (const char* d : {"/bin", "/sbin", "/proc", "/dev", "/sys", "/tmp", "/run", "/etc"})
        mkdir((rootfs + d).c_str(), 0755);
    if (!copy_exec(busybox, rootfs + "/bin/busybox") || !copy_exec(cinit, rootfs + "/sbin/cinit") ||
        symlink("busybox", (rootfs + "/bin/sleep").c_str()) != 0 || symlink("busybox", (rootfs + "/bin/sh").c_str()) != 0)
        return b.why = "cannot build the rootfs in " + rootfs, b;
    auto tmpfs = [](const char* dst, const char* options) {
        return fmt("{\"destination\": \"%s\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
                   "\"options\": [%s]}", dst, options);
    };
    std::string config =
        "{\"ociVersion\": \"1.0.2\",\n"
        " \"process\": {\"terminal\": false, \"user\": {\"uid\": 0, \"gid\": 0},\n"
        "  \"args\": [\"/sbin/cinit\", \"--\", \"/bin/sleep\", \"1000000\"],\n"
        "  \"env\": [\"PATH=/sbin:/bin\"], \"cwd\": \"/\", \"noNewPrivileges\": true},\n"
        " \"root\": {\"path\": \"rootfs\", \"readonly\": true}, \"hostname\": \"bench\",\n"
        " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"}, " +
        tmpfs("/dev", "\"nosuid\", \"mode=755\"") + ", " + tmpfs("/run", "\"nosuid\", \"nodev\", \"mode=755\"") +
        ", " + tmpfs("/tmp", "\"nosuid\", \"nodev\", \"mode=1777\"") +
        "],\n"
        " \"linux\": {\"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},\n"
        "  \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, "
        "{\"type\": \"mount\"}, {\"type\": \"network\"}]}}\n";
    if (!write_text(b.dir + "/bundle/config.json", config)) return b.why = "cannot write config.json", b;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);  // runc passes it to cinit, which stops the container
        sched_param sp{};
        sched_setscheduler(0, SCHED_OTHER, &sp);
        dup2(g_devnull, 0);
        dup2(g_devnull, 1);
        dup2(g_errlog, 2);
        execl(b.runc.c_str(), b.runc.c_str(), "--root", b.root.c_str(), "run", "--bundle",
              (b.dir + "/bundle").c_str(), b.id.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    b.run.pid = pid;
    b.run.pidfd = pid > 0 ? int(syscall(SYS_pidfd_open, pid, 0)) : -1;
    // Ready when the probe itself says so (cinit writes its state file first).
    std::uint64_t deadline = now_ns() + 20000000000u;
    for (;;) {
        if (run_tool({b.runc, "--root", b.root, "exec", b.id, "/sbin/cinit", "status", "--ready"}, nullptr) == 0) break;
        if (now_ns() > deadline || (b.run.pidfd >= 0 && poll_readable(b.run.pidfd, 50))) {
            std::string log = read_file(g_errlog_path);
            while (!log.empty() && log.back() == '\n') log.pop_back();
            return b.why = "the runc container did not start: " + log.substr(log.rfind('\n') + 1), b;
        }
    }
    std::string state;
    run_tool({b.runc, "--root", b.root, "state", b.id}, &state);
    std::size_t at = state.find("\"pid\":");
    if (at != std::string::npos) b.init = pid_t(std::atoi(state.c_str() + at + 6));
    return b;
}

void stop_runc_box(RuncBox& b) {
    if (b.run.pid > 0) {
        kill(b.run.pid, SIGTERM);
        if (!wait_exit(b.run, 10000)) progress("probes: the runc container did not stop on TERM (killed)");
    }
    if (!b.runc.empty() && !b.root.empty()) run_tool({b.runc, "--root", b.root, "delete", "--force", b.id}, nullptr);
    if (!b.dir.empty()) run_tool({"/bin/rm", "-rf", b.dir}, nullptr);
}

void bench_probes() {
    int total = g_opt.probes;
    // The runtime's exec costs milliseconds: fewer of those.
    int runc_total = g_opt.quick ? 3 : std::max(1, total / 50);
    progress("probes: %d exec probes (`cinit status --ready`), %d through `runc exec`, %d HTTP GET /readyz", total,
             runc_total, total);
    std::string state = g_opt.tmp + "/probe-state";
    mkdir(state.c_str(), 0700);
    int port = free_port();
    Fifo ready = make_fifo("probe-ready");
    setenv("CINIT_STATE_DIR", state.c_str(), 1);
    std::string listen = fmt("127.0.0.1:%d", port);
    Column& col = g_cols[CINIT];
    std::vector<std::string> saved = col.args;
    col.args = {"--health-listen", listen, "--"};
    Child ch = spawn(CINIT, {g_opt.workload, "sleep", ready.path});
    col.args = saved;
    RuncBox box;
    auto fail = [&](const std::string& what) {
        signal_child(ch, SIGKILL);
        wait_exit(ch, 10000);
        stop_runc_box(box);
        unsetenv("CINIT_STATE_DIR");
        close(ready.fd);
        error(CINIT, "probes: " + what);
    };
    if (!wait_byte(ready, 'r', ch, 10000)) return fail("the main did not start");
    // cinit writes the state file and listens before it starts the main;
    // the first 200 says both are in place.
    std::uint64_t deadline = now_ns() + 10000000000u;
    while (http_get(port, "/readyz") != 200)
        if (now_ns() > deadline) return fail("GET /readyz never answered 200");
    std::string status_word = "status", ready_word = "--ready";
    char* argv[] = {col.path.data(), status_word.data(), ready_word.data(), nullptr};
    long long cpu = 0;
    for (int i = 0; i < 20; ++i) {  // warm the page cache and the listen queue
        if (exec_probe(argv, &cpu) != 0) return fail("`cinit status --ready` did not exit 0");
        if (http_get(port, "/readyz") != 200) return fail("GET /readyz did not answer 200");
    }
    box = start_runc_box(col.path);
    if (!box.why.empty()) {
        progress("probes: SKIPPED the `runc exec` column: %s", box.why.c_str());
        runc_total = 0;
    }
    std::vector<std::string> runc_words = {box.runc, "--root", box.root, "exec", box.id, "/sbin/cinit", "status",
                                           "--ready"};
    std::vector<char*> runc_argv;
    for (auto& w : runc_words) runc_argv.push_back(w.data());
    runc_argv.push_back(nullptr);
    // Blocks of each kind, alternating, so that machine noise lands on both.
    const int block = std::min(total, 100);
    const int rounds = (total + block - 1) / block;
    const int runc_block = (runc_total + rounds - 1) / rounds;
    int floor_port = 0, bare_port = 0;
    Child floor = start_floor_server(&floor_port, true);
    Child bare = start_floor_server(&bare_port, false);
    auto stop_floors = [&] {
        for (Child* f : {&floor, &bare})
            if (f->pid > 0) {
                kill(f->pid, SIGKILL);
                wait_exit(*f, 10000);
            }
    };
    if (floor.pid <= 0 || bare.pid <= 0) {
        stop_floors();
        return fail("cannot start the minimal servers");
    }
    for (int i = 0; i < 20; ++i)
        if (http_get(floor_port, "/readyz") != 200 || http_get(bare_port, "/readyz") != -1) {
            stop_floors();
            return fail("the minimal servers did not answer 200 and nothing");
        }
    std::vector<double> wall_exec, wall_http, wall_floor, wall_bare, wall_runc;
    long long init_exec = 0, init_http = 0, prober_exec = 0, prober_http = 0, floor_cpu = 0, bare_cpu = 0;
    long long init_runc = 0, prober_runc = 0;
    long long http_user_ticks = 0, http_sys_ticks = 0;
    for (int done = 0; done < total; done += block) {
        int n = std::min(block, total - done);
        ProcSnap a = snap(ch.pid);
        for (int i = 0; i < n; ++i) {
            std::uint64_t t0 = now_ns();
            int rc = exec_probe(argv, &cpu);
            wall_exec.push_back(double(now_ns() - t0));
            prober_exec += cpu;
            if (rc != 0) {
                stop_floors();
                return fail(fmt("`cinit status --ready` exited %d", rc));
            }
        }
        ProcSnap b_exec = snap(ch.pid);
        // The three HTTP servers in a rotating order: whichever comes right
        // after the exec block finds the caches cold. A block's result is
        // the first answer that was not `expect` (the server that answers
        // nothing: -1), else `expect`.
        auto http_block = [&](int to, int expect, std::vector<double>* wall) {
            int got = expect;
            for (int i = 0; i < n; ++i) {
                std::uint64_t t0 = now_ns();
                int code = http_get(to, "/readyz");
                wall->push_back(double(now_ns() - t0));
                if (got == expect) got = code;
            }
            return got;
        };
        bool snaps_ok = true, floors_ok = true;
        for (int j = 0; j < 3 && floors_ok; ++j) {
            switch ((done / block + j) % 3) {
                case 0: {
                    ProcSnap b = snap(ch.pid);
                    auto tb = user_system_ticks(ch.pid);
                    long long c0 = self_cpu_ns();
                    int code = http_block(port, 200, &wall_http);
                    prober_http += self_cpu_ns() - c0;
                    ProcSnap c = snap(ch.pid);
                    auto tc = user_system_ticks(ch.pid);
                    http_user_ticks += tc.first - tb.first;
                    http_sys_ticks += tc.second - tb.second;
                    snaps_ok = snaps_ok && b.ok && c.ok;
                    init_http += c.cpu_ns - b.cpu_ns;
                    if (code != 200) {
                        stop_floors();
                        return fail(fmt("GET /readyz answered %d", code));
                    }
                    break;
                }
                case 1: {
                    ProcSnap f0 = snap(floor.pid);
                    floors_ok = http_block(floor_port, 200, &wall_floor) == 200;
                    floor_cpu += snap(floor.pid).cpu_ns - f0.cpu_ns;
                    break;
                }
                default: {
                    ProcSnap n0 = snap(bare.pid);
                    floors_ok = http_block(bare_port, -1, &wall_bare) == -1;
                    bare_cpu += snap(bare.pid).cpu_ns - n0.cpu_ns;
                    break;
                }
            }
        }
        if (!floors_ok) {
            stop_floors();
            return fail("a minimal server did not answer as it should (200, or nothing)");
        }
        if (!a.ok || !b_exec.ok || !snaps_ok) {
            stop_floors();
            return fail("could not read /proc");
        }
        init_exec += b_exec.cpu_ns - a.cpu_ns;
        ProcSnap r0 = snap(box.init);
        for (int i = 0; i < runc_block && int(wall_runc.size()) < runc_total; ++i) {
            std::uint64_t t0 = now_ns();
            int rc = exec_probe(runc_argv.data(), &cpu, true);
            wall_runc.push_back(double(now_ns() - t0));
            prober_runc += cpu;
            if (rc != 0) return fail(fmt("`runc exec … cinit status --ready` exited %d", rc));
        }
        ProcSnap r1 = snap(box.init);
        if (r0.ok && r1.ok) init_runc += r1.cpu_ns - r0.cpu_ns;
    }
    stop_floors();
    stop_runc_box(box);
    signal_child(ch, SIGTERM);
    auto st = wait_exit(ch, 10000);
    unsetenv("CINIT_STATE_DIR");
    close(ready.fd);
    unlink((state + "/state").c_str());
    rmdir(state.c_str());
    if (!check_status(CINIT, "probes (stop on TERM)", st)) return;

    auto ratio = [](double num, double den) { return den > 0 ? fmt("%.1f×", num / den) : std::string("–"); };
    int nr = int(wall_runc.size());
    bool have_runc = nr > 0;
    std::string skipped = "skipped (see above)";
    auto rcell = [&](const std::string& v) { return have_runc ? v : skipped; };
    // "met against runc exec (X×), MISSED against posix_spawn (Y×)"
    auto verdict = [&](double exec, double runc, double http) {
        std::string v;
        if (have_runc) v += fmt("%s against `runc exec` (%.0f×), ", runc >= 20 * http ? "met" : "MISSED", runc / http);
        return v + fmt("%s against the bare posix_spawn (%.1f×)", exec >= 20 * http ? "met" : "MISSED", exec / http);
    };
    double we = quantile(wall_exec, 0.5), wh = quantile(wall_http, 0.5), wr = have_runc ? quantile(wall_runc, 0.5) : 0;
    double ie = double(init_exec) / total, ih = double(init_http) / total, ir = have_runc ? double(init_runc) / nr : 0;
    double pe = double(prober_exec) / total, ph = double(prober_http) / total, pr = have_runc ? double(prober_runc) / nr : 0;
    double wr99 = have_runc ? quantile(wall_runc, 0.99) : 0;
    g_plat.push_back({"Probe wall time, median", us(we), rcell(us(wr)), us(wh), ratio(we, wh), rcell(ratio(wr, wh)),
                      "HTTP ≥ 20× cheaper: " + verdict(we, wr, wh)});
    g_plat.push_back({"Probe wall time, p99", us(quantile(wall_exec, 0.99)), rcell(us(wr99)),
                      us(quantile(wall_http, 0.99)), ratio(quantile(wall_exec, 0.99), quantile(wall_http, 0.99)),
                      rcell(ratio(wr99, quantile(wall_http, 0.99))), "–"});
    g_plat.push_back({"CPU of cinit (PID 1) per probe", us(ie), rcell(us(ir)), us(ih), "–", "–",
                      fmt("HTTP ≤ 20 µs: %s", ih <= 20e3 ? "met" : "MISSED")});
    if (http_user_ticks + http_sys_ticks > 0)
        g_plat.push_back({"…of which cinit spends in user space (utime ÷ (utime + stime))", "–", "–",
                          fmt("%.0f%%", 100.0 * double(http_user_ticks) / double(http_user_ticks + http_sys_ticks)),
                          "–", "–", "–"});
    double fl = double(floor_cpu) / total, fb = double(bare_cpu) / total;
    double wf = quantile(wall_floor, 0.5), wb = quantile(wall_bare, 0.5);
    g_plat.push_back({"…the same GET answered by the leanest blocking server (TCP_DEFER_ACCEPT, read, send with "
                      "MSG_MORE, close): its CPU; wall time, median",
                      "–", "–", us(fl) + "; " + us(wf), ratio(we, wf), "–",
                      fmt("cinit %s it: %s; it %s ≤ 20 µs and %s ≥ 20× in wall time itself", ih > fl ? "above" : "below",
                          us(ih > fl ? ih - fl : fl - ih).c_str(), fl <= 20e3 ? "meets" : "misses",
                          we >= 20 * wf ? "meets" : "misses")});
    // What no server can go below: the kernel's work for the connection.
    g_plat.push_back({"…a server that accepts and closes, reading and answering nothing (what any TCP server pays): "
                      "its CPU; wall time, median",
                      "–", "–", us(fb) + "; " + us(wb), ratio(we, wb), "–",
                      fmt("the read and the answer cost %s above it", us(fl - fb).c_str())});
    g_plat.push_back({"CPU of the prober per probe (exec: the probe's processes; HTTP: the client)", us(pe), rcell(us(pr)),
                      us(ph), ratio(pe, ph), rcell(ratio(pr, ph)), "–"});
    g_plat.push_back({"CPU per probe, cinit + prober", us(ie + pe), rcell(us(ir + pr)), us(ih + ph),
                      ratio(ie + pe, ih + ph), rcell(ratio(ir + pr, ih + ph)),
                      "HTTP ≥ 20× cheaper: " + verdict(ie + pe, ir + pr, ih + ph)});
    if (!have_runc) g_plat_notes += "**The `runc exec` column was skipped: " + box.why + ".**\n\n";
    g_plat_notes += fmt("Probes: %d of each kind (%d through `runc exec`), in alternating blocks of %d, against one "
                        "cinit ", total, nr, block) +
                    "(`--health-listen 127.0.0.1:PORT`, its state file in the driver's temporary directory). The "
                    "bare exec probe is `cinit status --ready` started with posix_spawn and waited for, without the "
                    "container runtime: the lower bound of any exec probe. The `runc exec` probe is how Kubernetes "
                    "runs an exec probe, minus the kubelet and the CRI (containerd and its shim): `runc exec ID "
                    "/sbin/cinit status --ready` into a runc container (busybox rootfs, the same cinit as PID 1, "
                    "pid/ipc/uts/mount/network namespaces), its CPU the runc process tree's (wait4). The HTTP probe "
                    "opens a TCP connection to 127.0.0.1, sends a kubelet-like GET /readyz and reads the answer until "
                    "cinit closes the connection. The two floor rows are blocking servers forked from the driver, "
                    "probed by the same client in a rotating order with cinit (whichever follows the exec block "
                    "finds the caches cold): the leanest server that answers, and one that accepts and closes "
                    "without a word (what every TCP server pays). cinit's CPU is /proc/PID/schedstat (kernel time "
                    "included); the prober's is getrusage.\n\n";
}

// Zero idle wake-ups with every SPEC §7 feature in use at once.
void bench_platform_idle() {
    progress("platform: %d s idle with --health-listen, --watch, a ready=notify sidecar, a watch= sidecar, "
             "NOTIFY_SOCKET",
             g_opt.idle_seconds);
    std::string state = g_opt.tmp + "/platform-state", w1 = g_opt.tmp + "/watched-main",
                w2 = g_opt.tmp + "/watched-sidecar";
    mkdir(state.c_str(), 0700);
    mkdir(w1.c_str(), 0700);
    mkdir(w2.c_str(), 0700);
    Fifo main_ready = make_fifo("platform-main"), side_ready = make_fifo("platform-side");
    int port = free_port();
    // The service manager's side: cinit sends READY=1 here once everything is up.
    int up = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::string name = fmt("cinit-bench-notify-%d", getpid());
    std::memcpy(sa.sun_path + 1, name.data(), name.size());
    if (up < 0 || bind(up, reinterpret_cast<sockaddr*>(&sa), socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size())) != 0) {
        progress("cannot bind the notify socket: %s", std::strerror(errno));
        std::exit(2);
    }
    setenv("NOTIFY_SOCKET", ("@" + name).c_str(), 1);
    setenv("CINIT_STATE_DIR", state.c_str(), 1);
    Column& col = g_cols[CINIT];
    std::vector<std::string> saved = col.args;
    col.args = {"--health-listen", fmt("127.0.0.1:%d", port),
                "--watch",         w1 + ":HUP",
                "--sidecar",       "ntf ready=notify -- " + g_opt.workload + " notify",
                "--sidecar",       "wat watch=" + w2 + " on-change=restart -- " + g_opt.workload + " sleep " +
                                       side_ready.path,
                "--"};
    Child ch = spawn(CINIT, {g_opt.workload, "sleep", main_ready.path});
    col.args = saved;
    unsetenv("NOTIFY_SOCKET");
    unsetenv("CINIT_STATE_DIR");
    auto finish = [&](const std::string& what) {
        if (!what.empty()) {
            signal_child(ch, SIGKILL);
            wait_exit(ch, 10000);
            error(CINIT, "platform: " + what);
        }
        close(up);
        close(main_ready.fd);
        close(side_ready.fd);
    };
    if (!wait_byte(main_ready, 'r', ch, 10000) || !wait_byte(side_ready, 'r', ch, 10000))
        return finish("the main or the watch= sidecar did not start");
    if (!wait_ready_datagram(up, ch, 10000)) return finish("no upward READY=1 on NOTIFY_SOCKET");
    if (http_get(port, "/readyz") != 200 || http_get(port, "/readyz/ntf") != 200)
        return finish("GET /readyz or /readyz/ntf did not answer 200 after READY=1");
    sleep_ms(300);
    ProcSnap s0 = snap(ch.pid);
    sleep_ms(1000L * g_opt.idle_seconds);
    ProcSnap s1 = snap(ch.pid);
    // The watches are live: a change under the sidecar's path restarts it.
    std::string f = w2 + "/changed";
    int fd = open(f.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
    bool restarted = wait_byte(side_ready, 'r', ch, 10000);
    unlink(f.c_str());
    signal_child(ch, SIGTERM);
    auto st = wait_exit(ch, 10000);
    finish("");
    if (!check_status(CINIT, "platform (stop on TERM)", st)) return;
    if (!restarted) return error(CINIT, "platform: a change under watch= did not restart the sidecar");
    if (!s0.ok || !s1.ok) return error(CINIT, "platform: could not read /proc");
    long long n = s1.ctxt - s0.ctxt;
    Row& wake = row(fmt("Wake-ups in %d s idle with every §7 feature on (cinit only)", g_opt.idle_seconds),
                    Kind::Count, false);
    for (int c = NONE; c < CINIT; ++c) wake.text[std::size_t(c)] = "–";
    wake.v[CINIT] = double(n);
    wake.target = fmt("0: %s", n == 0 ? "met" : "MISSED");
    g_plat_notes += fmt("Idle with every §7 feature (the wake-up row of the main table, %d s): ", g_opt.idle_seconds) +
                    "`cinit --health-listen 127.0.0.1:PORT --watch DIR:HUP --sidecar 'ntf ready=notify -- workload "
                    "notify' --sidecar 'wat watch=DIR2 -- workload sleep' -- workload sleep`, with NOTIFY_SOCKET set "
                    "to a socket of the driver. Measured after the upward READY=1 arrived and /readyz and /readyz/ntf "
                    "answered 200; afterwards a file created in DIR2 must restart the watch= sidecar, or the run "
                    "fails.\n\n";
}

// ------------------------------------------------------------------- report

double g_load_before = 0;

std::string machine_description() {
    std::string cpu = "unknown CPU";
    std::string ci = read_file("/proc/cpuinfo");
    std::size_t p = ci.find("model name");
    if (p != std::string::npos) {
        std::size_t colon = ci.find(':', p), nl = ci.find('\n', p);
        if (colon != std::string::npos && nl != std::string::npos) cpu = ci.substr(colon + 2, nl - colon - 2);
    }
    long long mem_kib = status_field("\n" + read_file("/proc/meminfo"), "\nMemTotal:");
    utsname u{};
    uname(&u);
    return fmt("%s, %ld cores, %.0f GiB RAM, Linux %s (%s), glibc %s; 1-minute load average %.2f before the run",
               cpu.c_str(), sysconf(_SC_NPROCESSORS_ONLN), double(mem_kib) / 1048576.0, u.release, u.machine,
               gnu_get_libc_version(), g_load_before);
}

std::string report() {
    std::string s;
    char date[64];
    time_t now = time(nullptr);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    s += fmt("## cinit benchmark results (%s run, %s)\n\n", g_opt.quick ? "quick" : "full", date);
    s += "Machine: " + machine_description() + "\n\n";
    s += "Inits: ";
    for (int c = TINI; c < NCOL; ++c) {
        const Column& col = g_cols[std::size_t(c)];
        if (c > TINI) s += "; ";
        s += col.name + " = `" + (col.present ? col.path : std::string("missing")) + "`";
        if (!col.version.empty()) s += " (" + col.version + ")";
    }
    s += "\n\n";
    s += "Each init runs as PID 1 of a fresh PID namespace, as in a container; \"no init\" runs the workload "
         "itself as PID 1. Columns are measured interleaved (round-robin, order rotated per repetition). ";
    s += g_opt.realtime_on ? "Driver, inits and workloads run SCHED_FIFO (priority 10) to shield the figures from "
                             "other load. "
                           : "Normal scheduling (no SCHED_FIFO). ";
    if (g_pin_cpu >= 0) s += fmt("The signal round trip runs the init and its child on one CPU (%d). ", g_pin_cpu);
    s += fmt("Counts: %d starts, %d signals, %d orphans, %d s idle, %d shutdowns, %d teardowns of %d children, "
             "%d probes of each kind.\n\n",
             g_opt.starts, g_opt.signal_rounds * g_opt.signals_per_round,
             g_opt.orphan_rounds * g_opt.orphans_per_round, g_opt.idle_seconds, g_opt.shutdown_rounds,
             g_opt.teardown_rounds, g_opt.teardown_children, g_opt.probes);
    s += "Cells: value [÷ tini-static / ÷ no init]; lower is better everywhere except \"got TERM\". "
         "What each figure means: tests/bench/README.md.\n\n";
    s += "| metric |";
    for (auto& c : g_cols) s += " " + c.name + " |";
    s += " cinit target |\n|---|";
    for (std::size_t i = 0; i < g_cols.size(); ++i) s += "---|";
    s += "---|\n";
    for (auto& r : g_rows) {
        s += "| " + r.label + " |";
        for (int c = 0; c < NCOL; ++c) s += " " + cell(r, c) + " |";
        s += " " + (r.target.empty() ? std::string("–") : r.target) + " |\n";
    }
    if (!g_plat.empty()) {
        s += "\n### Readiness probes: exec vs HTTP (cinit only)\n\n" + g_plat_notes;
        s += "| metric | exec: `cinit status --ready` (posix_spawn) | exec through `runc exec` | HTTP: GET /readyz "
             "| posix_spawn exec ÷ HTTP | runc exec ÷ HTTP | target |\n"
             "|---|---|---|---|---|---|---|\n";
        for (auto& r : g_plat)
            s += "| " + r.label + " | " + r.exec + " | " + r.runc + " | " + r.http + " | " + r.ratio + " | " +
                 r.runc_ratio + " | " + r.target + " |\n";
    }
    if (!g_errors.empty()) {
        s += "\nErrors:\n\n";
        for (auto& e : g_errors) s += "- " + e + "\n";
    }
    return s;
}

// ------------------------------------------------------------------- setup

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: bench --workload PATH --cinit PATH [--cinit-musl PATH] [--cinit-glibc PATH]\n"
                 "             [--tini PATH] [--dumb-init PATH] [--catatonit PATH]\n"
                 "             [--cinit-rev TEXT] [--no-rt] [--tmp DIR] [--out FILE] [--quick] [--only size,idle,start,signals,reaping,shutdown,teardown,probes,platform]\n"
                 "Normally run through tests/bench/run.\n");
    std::exit(2);
}

bool can_clone_newpid() {
    long r = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (r < 0) return false;
    if (r == 0) _exit(0);
    int st;
    waitpid(pid_t(r), &st, 0);
    return true;
}

// Without root, a user namespace gives the right to make PID namespaces.
void ensure_pid_namespaces() {
    if (can_clone_newpid()) return;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER) == 0) {
        auto put = [](const char* path, const std::string& text) {
            int fd = open(path, O_WRONLY | O_CLOEXEC);
            if (fd < 0) return;
            ssize_t n = write(fd, text.data(), text.size());
            (void)n;
            close(fd);
        };
        put("/proc/self/setgroups", "deny");
        put("/proc/self/uid_map", fmt("0 %u 1", uid));
        put("/proc/self/gid_map", fmt("0 %u 1", gid));
        if (can_clone_newpid()) {
            progress("note: not root; running inside a user namespace");
            return;
        }
    }
    progress("cannot create PID namespaces (need root or unprivileged user namespaces): %s", std::strerror(errno));
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    Options& o = g_opt;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--quick") o.quick = true;
        else if (a == "--workload") o.workload = next();
        else if (a == "--cinit") o.cinit = next();
        else if (a == "--cinit-musl") o.cinit_musl = next();
        else if (a == "--cinit-glibc") o.cinit_glibc = next();
        else if (a == "--tini") o.tini = next();
        else if (a == "--dumb-init") o.dumb = next();
        else if (a == "--catatonit") o.catatonit = next();
        else if (a == "--tmp") o.tmp = next();
        else if (a == "--out") o.out = next();
        else if (a == "--only") o.only = next();
        else if (a == "--cinit-rev") o.cinit_rev = next();
        else if (a == "--no-rt") o.realtime = false;
        else usage();
    }
    if (o.workload.empty() || o.cinit.empty()) usage();
    if (o.quick) {
        o.starts = 20;
        o.signal_rounds = 2;
        o.signals_per_round = 100;
        o.orphan_rounds = 1;
        o.orphans_per_round = 500;
        o.idle_seconds = 1;
        o.shutdown_rounds = 3;
        o.teardown_rounds = 1;
        o.probes = 200;
    }
    bool own_tmp = o.tmp.empty();
    if (own_tmp) {
        char tmpl[] = "/tmp/cinit-bench.XXXXXX";
        if (!mkdtemp(tmpl)) {
            progress("mkdtemp: %s", std::strerror(errno));
            return 2;
        }
        o.tmp = tmpl;
    } else {
        mkdir(o.tmp.c_str(), 0700);
    }
    signal(SIGPIPE, SIG_IGN);

    g_cols = {
        Column{"no init", "", {}, true, true, ""},
        Column{"tini-static", o.tini, {"--"}, true, false, ""},
        Column{"dumb-init", o.dumb, {"--"}, true, false, ""},
        Column{"catatonit", o.catatonit, {"--"}, true, false, ""},
        Column{"cinit", o.cinit, {"--"}, true, false, ""},
    };
    for (int c = TINI; c < NCOL; ++c) {
        Column& col = g_cols[std::size_t(c)];
        col.present = access(col.path.c_str(), X_OK) == 0;
        if (!col.present) {
            if (c == CINIT) {
                progress("cinit binary %s is not executable", col.path.c_str());
                return 2;
            }
            progress("warning: %s not found at %s: its column is skipped", col.name.c_str(), col.path.c_str());
            g_errors.push_back(col.name + ": not installed (" + col.path + ")");
            continue;
        }
        col.version = first_line_of_command("'" + col.path + "' --version 2>&1 </dev/null");
    }
    if (!o.cinit_rev.empty()) g_cols[CINIT].version += ", source " + o.cinit_rev;
    if (access(o.workload.c_str(), X_OK) != 0) {
        progress("workload %s is not executable", o.workload.c_str());
        return 2;
    }

    g_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    g_errlog_path = o.tmp + "/init-stderr.log";
    g_errlog = open(g_errlog_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (g_devnull < 0 || g_errlog < 0) {
        progress("cannot open /dev/null or %s", g_errlog_path.c_str());
        return 2;
    }
    ensure_pid_namespaces();

    // Other load on the machine would land on whichever column happens to be
    // running. As real-time processes, the driver and everything it starts
    // (children inherit the policy) run as soon as they are runnable, so the
    // figures reflect the inits rather than the neighbours. The kernel's RT
    // throttling still leaves the rest of the machine 5% of each CPU.
    if (o.realtime) {
        sched_param sp{};
        sp.sched_priority = 10;
        o.realtime_on = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
        if (!o.realtime_on) progress("note: cannot use SCHED_FIFO (%s): timings may be noisier", std::strerror(errno));
    }

    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
            if (CPU_ISSET(cpu, &allowed)) g_pin_cpu = cpu;

    // The children must start from a clean signal state.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);

    std::sscanf(read_file("/proc/loadavg").c_str(), "%lf", &g_load_before);
    std::uint64_t t0 = now_ns();
    struct {
        const char* name;
        void (*fn)();
    } const benches[] = {{"size", bench_sizes},         {"idle", bench_idle},         {"start", bench_start},
                         {"signals", bench_signals},   {"reaping", bench_reaping},   {"shutdown", bench_shutdown},
                         {"teardown", bench_teardown}, {"probes", bench_probes},
                         {"platform", bench_platform_idle}};
    for (auto& b : benches)
        if (o.only.empty() || ("," + o.only + ",").find(std::string(",") + b.name + ",") != std::string::npos) b.fn();
    progress("done in %.1f s", double(now_ns() - t0) / 1e9);

    std::string text = report();
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    if (!o.out.empty()) {
        FILE* f = std::fopen(o.out.c_str(), "w");
        if (!f || std::fputs(text.c_str(), f) < 0 || std::fclose(f) != 0) {
            progress("cannot write %s", o.out.c_str());
            return 2;
        }
        progress("results written to %s", o.out.c_str());
    }
    // Missing peers are reported but are not a failure of the suite; an init
    // that failed to run is.
    bool broken = false;
    for (auto& e : g_errors)
        if (e.find("not installed") == std::string::npos) broken = true;
    for (auto& f : g_fifos) unlink(f.c_str());
    if (broken) {
        progress("FAILED: an init did not run as expected; its stderr is in %s", g_errlog_path.c_str());
        return 1;
    }
    unlink(g_errlog_path.c_str());
    if (own_tmp) rmdir(o.tmp.c_str());
    return 0;
}
