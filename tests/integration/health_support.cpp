#include "health_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace cinit_test {

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in sa = {};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string ReadUntilClosed(int fd, Ms timeout, bool* closed) {
  auto end = Clock::now() + timeout;
  std::string out;
  char buf[4096];
  if (closed) *closed = false;
  for (;;) {
    auto left = std::chrono::duration_cast<Ms>(end - Clock::now()).count();
    if (left <= 0) break;
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string RawExchange(int port, const std::string& bytes, Ms timeout) {
  int fd = Connect(port);
  if (fd < 0) return "";
  if (!bytes.empty() && send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) {
    // The server may answer and close before taking everything: read anyway.
  }
  std::string out = ReadUntilClosed(fd, timeout);
  close(fd);
  return out;
}

HttpAnswer Http(int port, const std::string& method, const std::string& path, Ms timeout) {
  std::string raw = RawExchange(port, method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n\r\n",
                                timeout);
  HttpAnswer a;
  size_t split = raw.find("\r\n\r\n");
  if (raw.size() < 12 || raw.compare(0, 9, "HTTP/1.1 ") != 0 || split == std::string::npos) return a;
  a.code = std::stoi(raw.substr(9, 3));
  a.head = raw.substr(0, split + 2);
  a.body = raw.substr(split + 4);
  return a;
}

NotifyListener::NotifyListener(const TempDir& dir) : path_(dir.Path("notify.sock")) {
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path_.c_str());
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) ADD_FAILURE() << "bind " << path_;
}

NotifyListener::~NotifyListener() {
  if (fd_ >= 0) close(fd_);
}

std::optional<std::string> NotifyListener::Next(Ms timeout) {
  pollfd p = {fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  char buf[4096];
  ssize_t n = recv(fd_, buf, sizeof buf, 0);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace cinit_test
