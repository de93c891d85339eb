// workload: the child side of the cinit benchmark suite (tests/bench/run).
//
// It runs as the main process under an init (or, for the "no init" column,
// as PID 1 of a PID namespace by itself). Every mode exits 0 on SIGTERM, so
// an init that forwards TERM and then exits with the main's status exits 0.
// Talk to the driver goes through paths (FIFOs, files), never through
// inherited descriptors, so it works whatever an init does with its fds.
//
//   workload sleep READY_FIFO
//       Write 'r' to READY_FIFO, then sleep until SIGTERM.
//   workload echo parent|self COUNT OUT_FILE
//       Signal round trip: block SIGUSR1, then COUNT times send SIGUSR1 to
//       the parent (the init, which forwards it back) or to itself, and wait
//       for it with sigtimedwait. Writes COUNT uint64 nanosecond samples.
//   workload orphans COUNT SYNC_FIFO GO_FIFO
//       Write 'r' to SYNC_FIFO, wait for a byte on GO_FIFO, then make COUNT
//       orphans (fork a child that forks a grandchild and exits at once: the
//       grandchild is re-parented to PID 1), write 'd' to SYNC_FIFO and
//       sleep until SIGTERM.
//   workload shutdown MARK_FILE READY_FIFO
//       Start a background worker that creates MARK_FILE when it gets
//       SIGTERM and exits; write 'r' to READY_FIFO; sleep. On SIGTERM the
//       main exits 0 without telling the worker (as a shell main would).
//   workload teardown COUNT COUNTER_FILE READY_FIFO
//       Fork COUNT children that sleep; each one that gets SIGTERM adds one
//       to the 32-bit counter at the start of COUNTER_FILE and exits.
//       Write 'r' to READY_FIFO; sleep. On SIGTERM the main exits 0.
//   workload notify
//       Send sd_notify READY=1 to $NOTIFY_SOCKET (a path, or @abstract),
//       then sleep until SIGTERM (staying alive, so that the receiver can
//       check the sender's pid).
//
// Exit codes: 0 ok, 2 usage, 3 signal wait timed out, 4 system call failed.

#include <cerrno>
#include <cstddef>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "workload: %s: %s\n", what, std::strerror(errno));
    _exit(4);
}

std::uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1000000000u + std::uint64_t(ts.tv_nsec);
}

void put_byte(const char* fifo, char c) {
    int fd = open(fifo, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die("open fifo for writing");
    while (write(fd, &c, 1) < 0)
        if (errno != EINTR) die("write fifo");
    close(fd);
}

void get_byte(const char* fifo) {
    int fd = open(fifo, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open fifo for reading");
    char c;
    for (;;) {
        ssize_t n = read(fd, &c, 1);
        if (n == 1) break;
        if (n < 0 && errno == EINTR) continue;
        die("read fifo");
    }
    close(fd);
}

void on_term_exit(int) { _exit(0); }

void exit_on_term() {
    struct sigaction sa{};
    sa.sa_handler = on_term_exit;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, nullptr) != 0) die("sigaction");
}

[[noreturn]] void sleep_forever() {
    for (;;) pause();
}

long parse_count(const char* s) {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (!*s || *end || v <= 0) {
        std::fprintf(stderr, "workload: bad count '%s'\n", s);
        _exit(2);
    }
    return v;
}

pid_t fork_retry() {
    for (int tries = 0;; ++tries) {
        pid_t p = fork();
        if (p >= 0 || errno != EAGAIN || tries > 1000) return p;
        usleep(1000);
    }
}

int mode_sleep(int argc, char** argv) {
    if (argc != 3) return 2;
    exit_on_term();
    put_byte(argv[2], 'r');
    sleep_forever();
}

int mode_echo(int argc, char** argv) {
    if (argc != 5) return 2;
    bool self = std::strcmp(argv[2], "self") == 0;
    if (!self && std::strcmp(argv[2], "parent") != 0) return 2;
    long count = parse_count(argv[3]);
    exit_on_term();

    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &usr1, nullptr) != 0) die("sigprocmask");

    auto* samples = static_cast<std::uint64_t*>(std::calloc(std::size_t(count), sizeof(std::uint64_t)));
    if (!samples) die("calloc");
    const timespec timeout{5, 0};
    const long warmup = 20;
    for (long i = -warmup; i < count; ++i) {
        pid_t target = self ? getpid() : getppid();
        std::uint64_t t0 = now_ns();
        if (kill(target, SIGUSR1) != 0) die("kill");
        int got;
        do got = sigtimedwait(&usr1, nullptr, &timeout);
        while (got < 0 && errno == EINTR);
        std::uint64_t t1 = now_ns();
        if (got != SIGUSR1) {
            std::fprintf(stderr, "workload: SIGUSR1 not forwarded back within 5s (sample %ld)\n", i);
            _exit(3);
        }
        if (i >= 0) samples[i] = t1 - t0;
    }
    int fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die("open output");
    const char* p = reinterpret_cast<const char*>(samples);
    std::size_t left = std::size_t(count) * sizeof(std::uint64_t);
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("write output");
        }
        p += n;
        left -= std::size_t(n);
    }
    close(fd);
    return 0;
}

int mode_orphans(int argc, char** argv) {
    if (argc != 5) return 2;
    long count = parse_count(argv[2]);
    exit_on_term();
    put_byte(argv[3], 'r');
    get_byte(argv[4]);
    for (long i = 0; i < count; ++i) {
        pid_t mid = fork_retry();
        if (mid < 0) die("fork");
        if (mid == 0) {
            pid_t orphan = fork();
            _exit(orphan < 0 ? 4 : 0);  // the grandchild (orphan == 0) exits too
        }
        int st;
        while (waitpid(mid, &st, 0) < 0)
            if (errno != EINTR) die("waitpid");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            std::fprintf(stderr, "workload: orphan maker failed\n");
            _exit(4);
        }
    }
    put_byte(argv[3], 'd');
    sleep_forever();
}

const char* g_mark = nullptr;

void on_term_mark(int) {
    int fd = open(g_mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) close(fd);
    _exit(0);
}

int mode_shutdown(int argc, char** argv) {
    if (argc != 4) return 2;
    g_mark = argv[2];
    exit_on_term();
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) die("pipe");
    pid_t worker = fork();
    if (worker < 0) die("fork");
    if (worker == 0) {
        struct sigaction sa{};
        sa.sa_handler = on_term_mark;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGTERM, &sa, nullptr) != 0) die("sigaction");
        char c = 'w';
        if (write(p[1], &c, 1) != 1) die("write pipe");
        sleep_forever();
    }
    close(p[1]);
    char c;
    if (read(p[0], &c, 1) != 1) die("worker did not start");
    put_byte(argv[3], 'r');
    sleep_forever();
}

volatile sig_atomic_t g_is_child = 0;
std::uint32_t* g_counter = nullptr;

void on_term_count(int) {
    if (g_is_child) __atomic_fetch_add(g_counter, 1u, __ATOMIC_SEQ_CST);
    _exit(0);
}

int mode_teardown(int argc, char** argv) {
    if (argc != 5) return 2;
    long count = parse_count(argv[2]);
    int fd = open(argv[3], O_RDWR | O_CLOEXEC);
    if (fd < 0) die("open counter file");
    void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) die("mmap counter file");
    close(fd);
    g_counter = static_cast<std::uint32_t*>(m);

    struct sigaction sa{};
    sa.sa_handler = on_term_count;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, nullptr) != 0) die("sigaction");
    for (long i = 0; i < count; ++i) {
        pid_t c = fork_retry();
        if (c < 0) die("fork");
        if (c == 0) {
            g_is_child = 1;
            sleep_forever();
        }
    }
    put_byte(argv[4], 'r');
    sleep_forever();
}

int mode_notify(int argc, char**) {
    if (argc != 2) return 2;
    exit_on_term();
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path || std::strlen(path) >= sizeof(sockaddr_un{}.sun_path)) {
        std::fprintf(stderr, "workload: notify: no usable NOTIFY_SOCKET\n");
        _exit(4);
    }
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::size_t n = std::strlen(path);
    std::memcpy(sa.sun_path, path, n);
    if (path[0] == '@') sa.sun_path[0] = 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    static const char msg[] = "READY=1";
    if (sendto(fd, msg, sizeof msg - 1, 0, reinterpret_cast<sockaddr*>(&sa),
               socklen_t(offsetof(sockaddr_un, sun_path) + n)) < 0)
        die("sendto NOTIFY_SOCKET");
    close(fd);
    sleep_forever();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2) {
        const char* m = argv[1];
        int rc = 2;
        if (!std::strcmp(m, "sleep")) rc = mode_sleep(argc, argv);
        else if (!std::strcmp(m, "echo")) rc = mode_echo(argc, argv);
        else if (!std::strcmp(m, "orphans")) rc = mode_orphans(argc, argv);
        else if (!std::strcmp(m, "shutdown")) rc = mode_shutdown(argc, argv);
        else if (!std::strcmp(m, "teardown")) rc = mode_teardown(argc, argv);
        else if (!std::strcmp(m, "notify")) rc = mode_notify(argc, argv);
        if (rc != 2) return rc;
    }
    std::fprintf(stderr,
                 "usage: workload sleep READY_FIFO\n"
                 "       workload echo parent|self COUNT OUT_FILE\n"
                 "       workload orphans COUNT SYNC_FIFO GO_FIFO\n"
                 "       workload shutdown MARK_FILE READY_FIFO\n"
                 "       workload teardown COUNT COUNTER_FILE READY_FIFO\n"
                 "       workload notify\n");
    return 2;
}
