// Support for the health endpoint and sd_notify tests (SPEC §7): a plain
// HTTP/1.1 client for cinit's endpoint and a datagram socket the test owns,
// standing in for cinit's own service manager (NOTIFY_SOCKET).
#pragma once

#include <optional>
#include <string>

#include "harness.h"

namespace cinit_test {

struct HttpAnswer {
  int code = -1;  // -1: no answer (refused, closed, timed out)
  std::string head, body;
};
// One request on a fresh connection to 127.0.0.1:port: "GET /livez", with
// a blocking socket bounded by timeout.
HttpAnswer Http(int port, const std::string& method, const std::string& path, Ms timeout = Ms(3000));
inline HttpAnswer Get(int port, const std::string& path) { return Http(port, "GET", path); }
// Sends raw bytes and returns what comes back until the peer closes.
std::string RawExchange(int port, const std::string& bytes, Ms timeout = Ms(3000));
// A connected socket, or -1.
int Connect(int port);
// Reads fd until the peer closes or resets it (then *closed is true) or
// timeout passes; returns what came.
std::string ReadUntilClosed(int fd, Ms timeout, bool* closed = nullptr);

// A unix datagram socket bound at a path in dir (NOTIFY_SOCKET=path()).
class NotifyListener {
 public:
  explicit NotifyListener(const TempDir& dir);
  ~NotifyListener();
  const std::string& path() const { return path_; }
  // The next datagram, or nullopt if none comes within timeout.
  std::optional<std::string> Next(Ms timeout = kDefaultTimeout);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace cinit_test
