// Implementation of the sidecar test support; see sidecar_support.h.
#include "sidecar_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cinit_test {

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> SplitSpaces(const std::string& line) {
  std::vector<std::string> words;
  size_t pos = 0;
  for (;;) {
    size_t sp = line.find(' ', pos);
    words.push_back(line.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos));
    if (sp == std::string::npos) return words;
    pos = sp + 1;
  }
}

bool IsNumberOrDash(const std::string& s) {
  if (s == "-") return true;
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

// --- SidecarRun ------------------------------------------------------------

SidecarRun::SidecarRun() {
  state_dir = dir.Path("state");
  if (mkdir(state_dir.c_str(), 0755) != 0) ADD_FAILURE() << "mkdir " << state_dir << ": " << strerror(errno);
}

Options SidecarRun::MakeOptions(std::vector<std::string> args) const {
  Options options;
  options.args = std::move(args);
  options.env = {"D=" + dir.path(), "EV=" + ev.path(), "HOLD=" + hold.path(), "GO=" + go.path(),
                 "CINIT_STATE_DIR=" + state_dir};
  return options;
}

std::string SidecarRun::State() const { return ReadFile(state_dir + "/state"); }

// --- cinit status ----------------------------------------------------------

StatusResult RunStatus(const std::string& state_dir, std::vector<std::string> args) {
  StatusResult result;
  std::string binary = CinitPath();
  std::vector<std::string> argv_storage = {binary, "status"};
  for (auto& a : args) argv_storage.push_back(a);
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string env_dir = "CINIT_STATE_DIR=" + state_dir;
  std::string env_path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {env_dir.data(), env_path.data(), nullptr};

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return result;
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    result.err = std::string("posix_spawn: ") + strerror(rc);
    return result;
  }
  // Both pipes until EOF, with a deadline: a hanging probe is a failure,
  // not a hung test.
  auto deadline = Clock::now() + Ms(10000);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  while (open_count > 0) {
    auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
    if (left <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    int n = poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_count--;
      }
    }
  }
  for (auto& p : fds)
    if (p.fd >= 0) close(p.fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// --- The state file ----------------------------------------------------------

std::optional<std::vector<StateRow>> ParseState(const std::string& text) {
  if (text.empty() || text.back() != '\n') return std::nullopt;
  std::vector<StateRow> rows;
  size_t pos = 0;
  bool header = true;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (header) {
      if (line != "NAME KIND STATE PID READY RESTARTS LAST") return std::nullopt;
      header = false;
      continue;
    }
    auto f = SplitSpaces(line);
    if (f.size() != 7 || f[0].empty()) return std::nullopt;
    static const char* kKinds[] = {"init", "sidecar", "main"};
    static const char* kStates[] = {"pending", "starting", "running", "backoff", "stopping", "exited", "failed"};
    bool kind_ok = false, state_ok = false;
    for (const char* k : kKinds) kind_ok = kind_ok || f[1] == k;
    for (const char* s : kStates) state_ok = state_ok || f[2] == s;
    if (!kind_ok || !state_ok || !IsNumberOrDash(f[3]) || (f[4] != "yes" && f[4] != "no") ||
        !IsNumberOrDash(f[5]) || f[5] == "-" || !IsNumberOrDash(f[6]))
      return std::nullopt;
    StateRow row;
    row.name = f[0];
    row.kind = f[1];
    row.state = f[2];
    row.pid = f[3];
    row.ready = f[4];
    row.restarts = strtoul(f[5].c_str(), nullptr, 10);
    row.last = f[6];
    rows.push_back(row);
  }
  if (header) return std::nullopt;
  return rows;
}

std::optional<StateRow> FindRow(const std::string& text, const std::string& name) {
  auto rows = ParseState(text);
  if (!rows) return std::nullopt;
  for (const auto& row : *rows)
    if (row.name == name) return row;
  return std::nullopt;
}

bool WaitForState(const SidecarRun& run, const std::string& name, const std::string& state, Ms timeout) {
  return WaitUntil(
      [&] {
        auto row = FindRow(run.State(), name);
        return row && row->state == state;
      },
      timeout);
}

// --- Kernel look-ups -----------------------------------------------------------

pid_t HostPid(const Cinit& cinit, pid_t ns_pid) {
  for (pid_t pid : cinit.Descendants()) {
    // "NSpid:\t4711\t7": the host pid first, the innermost namespace's last.
    std::string nspid = ProcStatusField(pid, "NSpid");
    size_t tab = nspid.find_last_of(" \t");
    std::string inner = tab == std::string::npos ? nspid : nspid.substr(tab + 1);
    if (!inner.empty() && atoi(inner.c_str()) == ns_pid) return pid;
  }
  return -1;
}

int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

// --- Text ------------------------------------------------------------------------

double LastNumber(const std::string& line) {
  size_t sp = line.find_last_of(' ');
  std::string word = sp == std::string::npos ? line : line.substr(sp + 1);
  char* end = nullptr;
  double v = strtod(word.c_str(), &end);
  if (end == word.c_str() || *end != '\0') return -1;
  return v;
}

std::vector<std::string> LinesStartingWith(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& line : Lines(text))
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

std::vector<std::string> ReadLinesWithPrefix(Channel& ch, const std::string& prefix, size_t count, Ms timeout,
                                             std::vector<std::string>* other) {
  std::vector<std::string> got;
  auto deadline = Clock::now() + timeout;
  while (got.size() < count) {
    auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now());
    if (left.count() <= 0) break;
    auto line = ch.ReadLine(left);
    if (!line) break;
    if (line->rfind(prefix, 0) == 0) got.push_back(*line);
    else if (other != nullptr) other->push_back(*line);
  }
  return got;
}

std::vector<std::string> ReadLines(Channel& ch, size_t n, Ms timeout) {
  std::vector<std::string> got;
  auto deadline = Clock::now() + timeout;
  while (got.size() < n) {
    auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now());
    if (left.count() <= 0) break;
    auto line = ch.ReadLine(left);
    if (!line) break;
    got.push_back(*line);
  }
  return got;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

void Chmod(const std::string& path, mode_t mode) {
  if (chmod(path.c_str(), mode) != 0) ADD_FAILURE() << "chmod " << path << ": " << strerror(errno);
}

}  // namespace cinit_test
