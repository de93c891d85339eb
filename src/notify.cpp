// sd_notify both ways. See notify.h for the model.
#include "notify.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "descendants.h"

bool ParseNotify(const char* data, int len, NotifyMessage* result) {
  *result = NotifyMessage{};
  if (len <= 0) return false;
  NotifyMessage m;  // nothing of a refused datagram counts
  NotifyMessage* out = &m;
  int i = 0;
  while (i < len) {
    int start = i;
    while (i < len && data[i] != '\n') {
      if (data[i] == '\0') return false;
      i++;
    }
    std::string_view line(data + start, static_cast<size_t>(i - start));
    i++;  // past the newline (or the end)
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    std::string_view key(line.data(), eq), value(line.data() + eq + 1, line.size() - eq - 1);
    // READY=1 anywhere in the datagram counts, as systemd reads it: a later
    // READY= line does not take it back.
    if (key == "READY" && value == "1") out->ready = true;
    else if (key == "STOPPING" && value == "1") out->stopping = true;
    else if (key == "STATUS") out->has_status = true, out->status = value;
  }
  *result = m;
  return true;
}

Result<int> NotifyOpen(char* env, int env_size) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Result<int>::Fail("cannot create the notify socket: %s", strerror(errno));
  int one = 1;
  // Without SO_PASSCRED no datagram carries a pid and none could be trusted.
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  socklen_t len = sizeof sa;
  // Binding only the family autobinds: the kernel picks a unique abstract
  // name (five hex digits), so nothing collides in a shared network namespace.
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa_family_t)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0 || len <= sizeof(sa_family_t) + 1) {
    int err = errno;
    close(fd);
    return Result<int>::Fail("cannot set up the notify socket: %s", strerror(err));
  }
  int name_len = static_cast<int>(len - sizeof(sa_family_t) - 1);  // after the leading NUL
  snprintf(env, static_cast<size_t>(env_size), "NOTIFY_SOCKET=@%.*s", name_len, sa.sun_path + 1);
  return Result<int>::Ok(fd);
}

int NotifyReceive(int fd, char* buf, int size, pid_t* sender) {
  *sender = 0;
  iovec iov{buf, static_cast<size_t>(size)};
  // Room for the credentials and a few descriptors; descriptors beyond the
  // room are closed by the kernel (MSG_CTRUNC).
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * 8)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      ucred cred;
      memcpy(&cred, CMSG_DATA(c), sizeof cred);
      *sender = cred.pid;
    } else if (c->cmsg_type == SCM_RIGHTS) {
      int count = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int k = 0; k < count; k++) {
        int passed;
        memcpy(&passed, CMSG_DATA(c) + k * sizeof(int), sizeof passed);
        close(passed);
      }
    }
  }
  // A datagram cut to size is not what was sent: refuse it.
  if (msg.msg_flags & MSG_TRUNC) return 0;
  return static_cast<int>(n);
}

int FindNotifier(pid_t sender, const pid_t* pids, int count, pid_t stop_at) {
  pid_t cur = sender;
  for (int step = 0; step < 64 && cur > 1 && cur != stop_at; step++) {
    for (int i = 0; i < count; i++)
      if (pids[i] > 0 && pids[i] == cur) return i;
    cur = ParentOf(cur);
  }
  return -1;
}

bool NotifySend(const char* name, const char* text) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  size_t len = strlen(name);
  if (len < 2 || len >= sizeof sa.sun_path || (name[0] != '/' && name[0] != '@')) {
    errno = EINVAL;
    return false;
  }
  memcpy(sa.sun_path, name, len);
  if (name[0] == '@') sa.sun_path[0] = '\0';  // abstract namespace
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  socklen_t addr_len = static_cast<socklen_t>(sizeof(sa_family_t) + len);
  ssize_t n = sendto(fd, text, strlen(text), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), addr_len);
  int err = errno;
  close(fd);
  errno = err;
  return n >= 0;
}
