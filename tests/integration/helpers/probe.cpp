// cinit_probe: a small program the integration tests run under cinit, for
// the observations a shell cannot make reliably. One subcommand per probe:
//
//   sigrecord FIFO TAG EXITSIG   block every signal, write "TAG ready" and
//                                then "TAG N" for each signal N taken with
//                                sigwaitinfo (SIGCHLD excepted) to FIFO; exit
//                                0 after recording EXITSIG (0: never).
//   sigrecord FIFO TAG EXITSIG COUNT CODE   the same, but exit CODE after
//                                the COUNT-th EXITSIG.
//   waitsig SIG CODE             block SIG, wait for it, exit CODE (no
//                                children, no handler: nothing to race).
//   fds                          print the open descriptor numbers, sorted.
//   tty                          print "pid= pgrp= fg= sid=" (fg: tcgetpgrp(0)).
//   notify TEXT                  send TEXT as one datagram to $NOTIFY_SOCKET
//                                ("/path" or "@abstract"), then wait like
//                                sd_notify_barrier(3) (BARRIER=1 with a pipe
//                                end, until the receiver closes it), as
//                                systemd-notify does; exit 0 if it was sent.
//   orphans N FIFO               make N orphans that exit together once all
//                                exist; write "reparented K" (K of them saw
//                                the probe's parent as their new parent) to
//                                FIFO, then wait for a signal.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

void WriteLine(int fd, const std::string& line) {
  std::string text = line + "\n";
  // One write per line: FIFO writes up to PIPE_BUF never interleave.
  if (write(fd, text.data(), text.size()) < 0) _exit(3);
}

int OpenFifo(const char* path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    perror("cinit_probe: open fifo");
    _exit(3);
  }
  return fd;
}

int SigRecord(const char* fifo, const char* tag, int exit_sig, int count = 1, int code = 0) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  // SIGCHLD stays blocked but is never taken, so children cannot add noise.
  sigset_t wait_set = all;
  sigdelset(&wait_set, SIGCHLD);
  int fd = OpenFifo(fifo);
  WriteLine(fd, std::string(tag) + " ready");
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&wait_set, &info);
    if (sig < 0) continue;
    WriteLine(fd, std::string(tag) + " " + std::to_string(sig));
    if (sig == exit_sig && --count <= 0) return code;
  }
}

int WaitSig(int sig, int code) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  while (sigwaitinfo(&set, nullptr) != sig) {
  }
  return code;
}

int Fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 3;
  std::vector<int> fds;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = atoi(entry->d_name);
    if (fd != dirfd(dir)) fds.push_back(fd);
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end());
  std::string line;
  for (int fd : fds) line += (line.empty() ? "" : " ") + std::to_string(fd);
  printf("%s\n", line.c_str());
  return 0;
}

int Tty() {
  printf("pid=%d pgrp=%d fg=%d sid=%d\n", static_cast<int>(getpid()),
         static_cast<int>(getpgrp()), static_cast<int>(tcgetpgrp(0)),
         static_cast<int>(getsid(0)));
  return 0;
}

int Orphans(int count, const char* fifo) {
  pid_t expected_parent = getppid();  // cinit: the reaper orphans must reach
  int release[2], counter[2];
  if (pipe(release) != 0 || pipe(counter) != 0) return 3;
  for (int i = 0; i < count; ++i) {
    pid_t middle = fork();
    if (middle < 0) return 3;
    if (middle == 0) {
      pid_t orphan = fork();
      if (orphan == 0) {
        close(release[1]);
        close(counter[0]);
        char byte;
        // Blocks until the probe closes the release pipe; by then our parent
        // has long exited and we belong to the reaper.
        while (read(release[0], &byte, 1) < 0) {
        }
        if (getppid() == expected_parent) {
          if (write(counter[1], "x", 1) < 0) _exit(3);
        }
        _exit(0);
      }
      _exit(orphan < 0 ? 3 : 0);
    }
    int status = 0;
    waitpid(middle, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 3;
  }
  close(release[0]);
  close(release[1]);  // every orphan wakes up and exits
  close(counter[1]);
  int seen = 0;
  char buf[512];
  for (;;) {
    ssize_t n = read(counter[0], buf, sizeof buf);
    if (n > 0) seen += static_cast<int>(n);
    else if (n == 0 || errno != EINTR) break;
  }
  int fd = OpenFifo(fifo);
  WriteLine(fd, "reparented " + std::to_string(seen));
  for (;;) pause();
}

int Notify(const char* text) {
  const char* name = getenv("NOTIFY_SOCKET");
  if (!name || !*name) {
    fprintf(stderr, "cinit_probe notify: no NOTIFY_SOCKET\n");
    return 1;
  }
  sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  size_t len = strlen(name);
  if (len >= sizeof sa.sun_path) return 1;
  memcpy(sa.sun_path, name, len);
  if (name[0] == '@') sa.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ssize_t n = sendto(fd, text, strlen(text), 0, reinterpret_cast<sockaddr*>(&sa),
                     static_cast<socklen_t>(sizeof(sa_family_t) + len));
  if (n < 0) {
    perror("cinit_probe notify: sendto");
    return 1;
  }
  // The barrier: the receiver has read TEXT once it has read this and
  // closed the descriptor; until then this process (the sender the
  // receiver checks) stays alive.
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return 1;
  char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov = {const_cast<char*>("BARRIER=1"), 9};
  msghdr msg = {};
  msg.msg_name = &sa;
  msg.msg_namelen = static_cast<socklen_t>(sizeof(sa_family_t) + len);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &ends[1], sizeof(int));
  if (sendmsg(fd, &msg, 0) < 0) return 1;
  close(ends[1]);
  pollfd p = {ends[0], POLLIN, 0};
  return poll(&p, 1, 5000) == 1 ? 0 : 4;  // POLLHUP once the receiver closed its copy
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "sigrecord" && argc == 5) return SigRecord(argv[2], argv[3], atoi(argv[4]));
  if (cmd == "sigrecord" && argc == 7) return SigRecord(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
  if (cmd == "waitsig" && argc == 4) return WaitSig(atoi(argv[2]), atoi(argv[3]));
  if (cmd == "fds" && argc == 2) return Fds();
  if (cmd == "tty" && argc == 2) return Tty();
  if (cmd == "notify" && argc == 3) return Notify(argv[2]);
  if (cmd == "orphans" && argc == 4) return Orphans(atoi(argv[2]), argv[3]);
  fprintf(stderr, "usage: cinit_probe sigrecord FIFO TAG EXITSIG [COUNT CODE] | waitsig SIG CODE | fds | tty | notify TEXT | orphans N FIFO\n");
  return 2;
}
