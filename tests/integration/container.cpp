// See container.h for the model. Everything here is test support: it may
// allocate and use the standard library freely, but it must always clean up
// (a leaked container keeps a cgroup and processes on the host).
#include "container.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cinit_runc {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

std::string SearchPath(const std::string& name) {
  const char* path = getenv("PATH");
  std::stringstream ss(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (!dir.empty() && IsExecutableFile(dir + "/" + name)) return dir + "/" + name;
  }
  return "";
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return false;
  out << content;
  out.close();
  return out.good() && chmod(path.c_str(), mode) == 0;
}

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

int DecodeWaitStatus(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

int MillisUntil(Clock::time_point deadline) {
  auto left = std::chrono::ceil<Millis>(deadline - Clock::now()).count();
  if (left < 0) return 0;
  return left > 1000000 ? 1000000 : static_cast<int>(left);
}

// Waits for our child `pid` until `deadline`, sleeping on its pidfd (the
// kernel makes a pidfd readable when the process exits). Without a pidfd
// (kernel < 5.3) it falls back to re-checking every 10 ms.
std::optional<int> WaitChild(pid_t pid, int pidfd, Clock::time_point deadline) {
  for (;;) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return DecodeWaitStatus(st);
    if (r < 0 && errno != EINTR) return -1;  // not our child any more
    if (Clock::now() >= deadline) return std::nullopt;
    int ms = MillisUntil(deadline);
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, ms);
    } else {
      usleep(static_cast<useconds_t>(std::min(ms, 10)) * 1000);
    }
  }
}

// fork + exec with the given stdio. The child gets its own process group (so
// a stray can be killed with its descendants), default signal dispositions,
// an empty mask, no other descriptors of ours, and `deathsig` if we die.
pid_t Spawn(const std::vector<std::string>& argv, int in, int out, int err, int deathsig,
            const std::string& cwd) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: async-signal-safe calls only.
  setpgid(0, 0);
  if (deathsig != 0) {
    prctl(PR_SET_PDEATHSIG, deathsig);
    if (getppid() != parent) _exit(125);  // the parent died before prctl
  }
  for (int s = 1; s < NSIG; ++s) {
    if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(125);
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
  {
    for (int fd = 3; fd < 4096; ++fd) close(fd);
  }
  if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(125);
  execvp(cargv[0], cargv.data());
  _exit(127);
}

std::string ReadAllFromStart(int fd) {
  std::string s;
  if (lseek(fd, 0, SEEK_SET) < 0) return s;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      s.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return s;
    }
  }
}

// Is this an ELF file with a PT_INTERP header (dynamically linked)?
bool IsDynamicElf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char ident[EI_NIDENT] = {};
  if (!in.read(reinterpret_cast<char*>(ident), EI_NIDENT)) return false;
  if (memcmp(ident, ELFMAG, SELFMAG) != 0) return false;
  in.seekg(0);
  auto scan = [&](auto ehdr, auto phdr) {
    if (!in.read(reinterpret_cast<char*>(&ehdr), sizeof ehdr)) return false;
    for (unsigned i = 0; i < ehdr.e_phnum; ++i) {
      in.seekg(static_cast<std::streamoff>(ehdr.e_phoff + i * ehdr.e_phentsize));
      if (!in.read(reinterpret_cast<char*>(&phdr), sizeof phdr)) return false;
      if (phdr.p_type == PT_INTERP) return true;
    }
    return false;
  };
  if (ident[EI_CLASS] == ELFCLASS64) return scan(Elf64_Ehdr{}, Elf64_Phdr{});
  return scan(Elf32_Ehdr{}, Elf32_Phdr{});
}

// Busybox applet names, from `busybox --list` (a fixed fallback otherwise).
std::vector<std::string> BusyboxApplets(const std::string& busybox) {
  std::vector<std::string> names;
  ExecResult r = RunCommand({busybox, "--list"}, Millis(10000));
  std::stringstream ss(r.out);
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty() && line.find('/') == std::string::npos && line != "busybox")
      names.push_back(line);
  }
  if (names.size() < 10) {
    names = {"sh",   "ash",  "sleep", "kill",  "echo", "cat",   "mv",    "cp",   "rm",
             "ls",   "touch", "mkdir", "mkfifo", "ps",  "true",  "false", "test", "[",
             "date", "env",  "id",    "wc",    "grep", "sed",   "head",  "tail", "printf",
             "nc",   "wget", "ln",    "chmod", "pidof", "setsid", "timeout", "seq", "yes"};
  }
  return names;
}

std::string Quote(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      case '\r': o += "\\r"; break;
      default:
        if (c < 0x20) {
          char b[8];
          snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "\"";
}

std::string List(const std::vector<std::string>& v) {
  std::string o = "[";
  for (size_t i = 0; i < v.size(); ++i) o += (i ? ", " : "") + Quote(v[i]);
  return o + "]";
}

std::string Mount(const std::string& dst, const std::string& type, const std::string& src,
                  const std::vector<std::string>& options) {
  return "{\"destination\": " + Quote(dst) + ", \"type\": " + Quote(type) +
         ", \"source\": " + Quote(src) + ", \"options\": " + List(options) + "}";
}

// The raw value of `"key": value` in runc's JSON (strings unquoted).
std::string JsonValue(const std::string& json, const std::string& key) {
  size_t k = json.find("\"" + key + "\"");
  if (k == std::string::npos) return "";
  size_t i = json.find(':', k);
  if (i == std::string::npos) return "";
  ++i;
  while (i < json.size() && isspace(static_cast<unsigned char>(json[i]))) ++i;
  if (i < json.size() && json[i] == '"') {
    size_t end = json.find('"', i + 1);
    return end == std::string::npos ? "" : json.substr(i + 1, end - i - 1);
  }
  size_t end = i;
  while (end < json.size() && json[end] != ',' && json[end] != '}' &&
         !isspace(static_cast<unsigned char>(json[end])))
    ++end;
  return json.substr(i, end - i);
}

// Mount points at or below `dir`, from /proc/self/mountinfo.
bool HasMountBelow(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string id, parent, devno, root, point;
    ss >> id >> parent >> devno >> root >> point;
    if (point == dir || point.rfind(dir + "/", 0) == 0) return true;
  }
  return false;
}

// rm -rf that never leaves the filesystem it started on.
void RemoveTree(const std::string& path, dev_t dev) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || st.st_dev != dev) return;
  if (S_ISDIR(st.st_mode)) {
    if (DIR* d = opendir(path.c_str())) {
      while (dirent* e = readdir(d)) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
          RemoveTree(path + "/" + e->d_name, dev);
      }
      closedir(d);
    }
    rmdir(path.c_str());
  } else {
    unlink(path.c_str());
  }
}

const char* const kCapabilities[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",   "CAP_AUDIT_WRITE"};

// Containers left behind by a test process that was killed (SIGKILL, a
// ctest timeout) before its destructors ran: their directory records the
// owner's pid; if that process is gone, delete the containers and the dir.
void SweepStaleContainers() {
  DIR* tmp = opendir("/tmp");
  if (!tmp) return;
  while (dirent* e = readdir(tmp)) {
    if (strncmp(e->d_name, "cinit-runc-", 11) != 0) continue;
    const std::string dir = std::string("/tmp/") + e->d_name;
    const long owner = strtol(ReadFileOrEmpty(dir + "/owner").c_str(), nullptr, 10);
    if (owner <= 0 || kill(static_cast<pid_t>(owner), 0) == 0 || errno != ESRCH) continue;
    std::error_code ec;
    for (const auto& s : fs::directory_iterator(dir + "/state", ec)) {
      RunCommand({FindRunc(), "--root", dir + "/state", "delete", "-f", s.path().filename()},
                 Millis(20000));
    }
    struct stat st;
    if (!HasMountBelow(dir) && lstat(dir.c_str(), &st) == 0) RemoveTree(dir, st.st_dev);
  }
  closedir(tmp);
}

}  // namespace

// --- The environment -------------------------------------------------------

std::string FindRunc() {
  if (const char* e = getenv("CINIT_TEST_RUNC"); e && *e) return IsExecutableFile(e) ? e : "";
  for (const char* p : {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc",
                        "/usr/local/bin/runc", "/sbin/runc", "/bin/runc"}) {
    if (IsExecutableFile(p)) return p;
  }
  return SearchPath("runc");
}

std::string CinitBinary() {
  if (const char* e = getenv("CINIT_TEST_BINARY"); e && *e) return e;
#ifdef CINIT_BINARY
  return CINIT_BINARY;
#else
  return "";
#endif
}

std::string FindBusybox() {
  if (const char* e = getenv("CINIT_TEST_BUSYBOX"); e && *e) return IsExecutableFile(e) ? e : "";
  for (const char* p : {"/bin/busybox", "/usr/bin/busybox"}) {
    if (IsExecutableFile(p)) return p;
  }
  return "";
}

std::string RuncSkipReason() {
  if (geteuid() != 0)
    return "runc containers need root (euid " + std::to_string(geteuid()) + ")";
  if (FindRunc().empty()) return "runc not found (install the runc package or set CINIT_TEST_RUNC)";
  if (FindBusybox().empty())
    return "busybox not found at /bin/busybox (install busybox-static or set CINIT_TEST_BUSYBOX)";
  return "";
}

// --- Running a command on the host ----------------------------------------

ExecResult RunCommand(const std::vector<std::string>& argv, Millis timeout) {
  ExecResult res;
  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = memfd_create("cinit-test-out", MFD_CLOEXEC);
  int err = memfd_create("cinit-test-err", MFD_CLOEXEC);
  if (in < 0 || out < 0 || err < 0 || argv.empty()) {
    res.err = std::string("cannot run command: ") + strerror(errno);
  } else {
    pid_t pid = Spawn(argv, in, out, err, SIGKILL, "");
    if (pid < 0) {
      res.err = std::string("fork: ") + strerror(errno);
    } else {
      int pidfd = PidfdOpen(pid);
      std::optional<int> st = WaitChild(pid, pidfd, Clock::now() + timeout);
      if (!st) {
        res.timed_out = true;
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        st = WaitChild(pid, pidfd, Clock::now() + Millis(10000));
      }
      res.status = st.value_or(-1);
      if (pidfd >= 0) close(pidfd);
      res.out = ReadAllFromStart(out);
      res.err = ReadAllFromStart(err);
    }
  }
  for (int fd : {in, out, err}) {
    if (fd >= 0) close(fd);
  }
  return res;
}

std::vector<pid_t> HostChildrenOf(pid_t parent) {
  std::vector<pid_t> kids;
  DIR* d = opendir("/proc");
  if (!d) return kids;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::string stat = ReadFileOrEmpty(std::string("/proc/") + e->d_name + "/stat");
    size_t paren = stat.rfind(')');  // comm may contain spaces and ')'
    if (paren == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (sscanf(stat.c_str() + paren + 1, " %c %ld", &state, &ppid) == 2 && ppid == parent)
      kids.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return kids;
}

// --- One container -----------------------------------------------------------

Container::Container(const std::string& name_hint) {
  static std::atomic<int> counter{0};
  std::string hint;
  for (char c : name_hint) {
    if (isalnum(static_cast<unsigned char>(c)) || c == '-') hint += c;
    if (hint.size() >= 32) break;
  }
  id_ = "cinit-it-" + std::to_string(getpid()) + "-" + std::to_string(++counter) +
        (hint.empty() ? "" : "-" + hint);
  static bool swept = false;
  if (!swept && geteuid() == 0 && !FindRunc().empty()) SweepStaleContainers();
  swept = true;
  char tmpl[] = "/tmp/cinit-runc-XXXXXX";
  if (mkdtemp(tmpl) != nullptr) {
    dir_ = tmpl;
    WriteFile(dir_ + "/owner", std::to_string(getpid()) + "\n", 0644);
    mkdir(shared().c_str(), 0777);
    chmod(shared().c_str(), 01777);  // writable for a container user too
    mkdir(runc_root().c_str(), 0700);
  }
}

Container::~Container() { Destroy(); }

void Container::SetCinitCommand(const std::vector<std::string>& cinit_flags,
                                const std::vector<std::string>& cmd) {
  args_ = {"/sbin/cinit"};
  args_.insert(args_.end(), cinit_flags.begin(), cinit_flags.end());
  args_.push_back("--");
  args_.insert(args_.end(), cmd.begin(), cmd.end());
}

void Container::AddFile(std::string path_in_rootfs, std::string content, mode_t mode) {
  files_.push_back({std::move(path_in_rootfs), std::move(content), mode});
}

std::vector<std::string> Container::Runc(std::vector<std::string> rest) const {
  std::vector<std::string> argv = {FindRunc(), "--root", runc_root()};
  argv.insert(argv.end(), rest.begin(), rest.end());
  return argv;
}

bool Container::BuildBundle(std::string* error) {
  const std::string cinit = CinitBinary();
  const std::string busybox = FindBusybox();
  if (!IsExecutableFile(cinit)) {
    *error = "cinit binary '" + cinit + "' is not an executable file (CINIT_TEST_BINARY?)";
    return false;
  }
  if (busybox.empty()) {
    *error = "no busybox";
    return false;
  }
  const std::string root = rootfs();
  std::error_code ec;
  for (const char* d : {"bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "run", "root",
                        "shared", "usr"}) {
    fs::create_directories(root + "/" + d, ec);
    if (ec) {
      *error = "mkdir " + root + "/" + d + ": " + ec.message();
      return false;
    }
  }
  chmod((root + "/tmp").c_str(), 01777);
  for (const auto& [src, dst] : {std::pair{busybox, root + "/bin/busybox"},
                                 std::pair{cinit, root + "/sbin/cinit"}}) {
    fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
    if (ec || chmod(dst.c_str(), 0755) != 0) {
      *error = "copy " + src + " to " + dst + ": " + ec.message();
      return false;
    }
  }
  for (const auto& applet : BusyboxApplets(busybox)) {
    symlink("busybox", (root + "/bin/" + applet).c_str());  // EEXIST is fine
  }
  bool ok = WriteFile(root + "/etc/passwd",
                      "root:x:0:0:root:/root:/bin/sh\n"
                      "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
                      0644) &&
            WriteFile(root + "/etc/group", "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n", 0644);
  for (const auto& f : files_) {
    ok = ok && WriteFile(root + "/" + f.path, f.content, f.mode);
  }
  if (!ok) {
    *error = "cannot write files into " + root;
    return false;
  }

  // A dynamically linked cinit (e.g. a sanitizer build) needs the host's
  // libraries: mirror the host's lib symlinks and bind the real dirs read-only.
  std::vector<std::string> lib_dirs;
  if (IsDynamicElf(cinit) || IsDynamicElf(busybox)) {
    for (const char* d : {"/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64",
                          "/usr/lib32", "/usr/libx32"}) {
      struct stat st;
      if (lstat(d, &st) != 0) continue;
      if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(d, target, sizeof target - 1);
        if (n > 0) {
          target[n] = '\0';
          symlink(target, (root + d).c_str());
        }
      } else if (S_ISDIR(st.st_mode)) {
        fs::create_directories(root + d, ec);
        lib_dirs.push_back(d);
      }
    }
  }
  if (!WriteFile(bundle() + "/config.json", ConfigJson(lib_dirs), 0644)) {
    *error = "cannot write " + bundle() + "/config.json";
    return false;
  }
  return true;
}

std::string Container::ConfigJson(const std::vector<std::string>& host_lib_dirs) const {
  std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                  "HOME=/root"};
  env.insert(env.end(), env_.begin(), env_.end());
  std::vector<std::string> caps(std::begin(kCapabilities), std::end(kCapabilities));

  std::vector<std::string> mounts = {
      Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      Mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      Mount("/dev/shm", "tmpfs", "shm",
            {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      Mount("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777"}),
      Mount("/run", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=755"}),
      Mount("/shared", "bind", shared(), {"rbind", "rw"}),
  };
  for (const auto& d : host_lib_dirs) mounts.push_back(Mount(d, "bind", d, {"rbind", "ro"}));

  std::vector<std::string> namespaces = {"pid", "ipc", "uts", "mount"};
  if (new_network_) namespaces.push_back("network");

  std::string j;
  j += "{\n  \"ociVersion\": \"1.0.2\",\n";
  j += "  \"process\": {\n";
  j += "    \"terminal\": false,\n";
  j += "    \"user\": {\"uid\": 0, \"gid\": 0},\n";
  j += "    \"args\": " + List(args_) + ",\n";
  j += "    \"env\": " + List(env) + ",\n";
  j += "    \"cwd\": \"/\",\n";
  j += "    \"capabilities\": {\"bounding\": " + List(caps) + ", \"effective\": " + List(caps) +
       ", \"permitted\": " + List(caps) + "},\n";
  j += "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n";
  j += "    \"noNewPrivileges\": false\n  },\n";
  j += "  \"root\": {\"path\": \"rootfs\", \"readonly\": ";
  j += readonly_root_ ? "true" : "false";
  j += "},\n";
  j += "  \"hostname\": \"cinit-test\",\n";
  j += "  \"mounts\": [\n    ";
  for (size_t i = 0; i < mounts.size(); ++i) j += (i ? ",\n    " : "") + mounts[i];
  j += "\n  ],\n";
  j += "  \"linux\": {\n";
  j += "    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},\n";
  j += "    \"namespaces\": [";
  for (size_t i = 0; i < namespaces.size(); ++i)
    j += std::string(i ? ", " : "") + "{\"type\": " + Quote(namespaces[i]) + "}";
  j += "],\n";
  j += "    \"maskedPaths\": " +
       List({"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
             "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
             "/proc/scsi"}) +
       ",\n";
  j += "    \"readonlyPaths\": " +
       List({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) + "\n";
  j += "  }\n}\n";
  return j;
}

bool Container::Start(std::string* error) {
  if (dir_.empty()) {
    *error = "mkdtemp under /tmp failed";
    return false;
  }
  if (runc_pid_ > 0 || exit_status_) {
    *error = "container already started";
    return false;
  }
  if (FindRunc().empty()) {
    *error = "runc not found";
    return false;
  }
  if (args_.empty()) {
    *error = "no process args (SetArgs or SetCinitCommand)";
    return false;
  }
  if (!BuildBundle(error)) return false;

  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = open((dir_ + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = open((dir_ + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in >= 0 && out >= 0 && err >= 0) {
    // SIGTERM if this test process dies: runc forwards it to cinit, which
    // shuts the container down, and runc then deletes it.
    runc_pid_ = Spawn(Runc({"run", "--bundle", bundle(), id_}), in, out, err, SIGTERM, bundle());
    if (runc_pid_ < 0) *error = std::string("fork: ") + strerror(errno);
  } else {
    *error = std::string("open stdio files: ") + strerror(errno);
  }
  for (int fd : {in, out, err}) {
    if (fd >= 0) close(fd);
  }
  if (runc_pid_ < 0) return false;
  runc_pidfd_ = PidfdOpen(runc_pid_);
  return true;
}

std::optional<int> Container::Wait(Millis timeout) {
  if (exit_status_) return exit_status_;
  if (runc_pid_ <= 0) return std::nullopt;
  exit_status_ = WaitChild(runc_pid_, runc_pidfd_, Clock::now() + timeout);
  return exit_status_;
}

bool Container::Running() {
  if (exit_status_ || runc_pid_ <= 0) return false;
  return !Wait(Millis(0));
}

bool Container::SharedExists(const std::string& name) const {
  struct stat st;
  return lstat(SharedPath(name).c_str(), &st) == 0;
}

std::string Container::ReadShared(const std::string& name) const {
  return ReadFileOrEmpty(SharedPath(name));
}

bool Container::WaitForFile(const std::string& name, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ifd >= 0 &&
      inotify_add_watch(ifd, shared().c_str(), IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    close(ifd);
    ifd = -1;
  }
  bool found = false;
  for (;;) {
    if (SharedExists(name)) {
      found = true;
      break;
    }
    if (!Running()) {  // the container ended: the file will never come
      found = SharedExists(name);
      break;
    }
    if (Clock::now() >= deadline) break;
    pollfd fds[2] = {{ifd, POLLIN, 0}, {runc_pidfd_, POLLIN, 0}};
    int ms = MillisUntil(deadline);
    if (ifd < 0 || runc_pidfd_ < 0) ms = std::min(ms, 20);  // no event source: re-check
    poll(fds, 2, ms);  // negative fds are ignored by poll
    if (ifd >= 0) {
      char buf[4096];
      while (read(ifd, buf, sizeof buf) > 0) {
      }
    }
  }
  if (ifd >= 0) close(ifd);
  return found;
}

ExecResult Container::Kill(const std::string& sig) {
  return RunCommand(Runc({"kill", id_, sig}), Millis(20000));
}

ExecResult Container::Exec(const std::vector<std::string>& argv, Millis timeout) {
  std::vector<std::string> rest = {"exec", id_};
  rest.insert(rest.end(), argv.begin(), argv.end());
  return RunCommand(Runc(rest), timeout);
}

std::string Container::Status() {
  ExecResult r = RunCommand(Runc({"state", id_}), Millis(20000));
  return r.status == 0 ? JsonValue(r.out, "status") : "";
}

std::optional<pid_t> Container::InitPid() {
  ExecResult r = RunCommand(Runc({"state", id_}), Millis(20000));
  if (r.status != 0) return std::nullopt;
  long pid = strtol(JsonValue(r.out, "pid").c_str(), nullptr, 10);
  if (pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

std::string Container::Logs() const {
  return "--- container stdout ---\n" + ReadFileOrEmpty(dir_ + "/stdout") +
         "--- container stderr (includes runc's) ---\n" + ReadFileOrEmpty(dir_ + "/stderr") +
         "--- end ---\n";
}

std::map<std::string, std::string> Container::SharedFiles() const {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(shared(), ec)) {
    if (e.is_regular_file(ec)) files[e.path().filename().string()] = ReadFileOrEmpty(e.path());
  }
  return files;
}

void Container::Destroy() {
  if (destroyed_) return;
  destroyed_ = true;
  if (runc_pid_ > 0 && Running()) {
    Kill("KILL");
    if (!Wait(Millis(10000))) {
      // runc itself is stuck: kill it and whatever is left in its group.
      kill(-runc_pid_, SIGKILL);
      kill(runc_pid_, SIGKILL);
      Wait(Millis(10000));
    }
  }
  if (runc_pid_ > 0 && !FindRunc().empty()) {
    // Normally `runc run` has deleted it already; this covers a runc that
    // died half-way. An unknown id is not an error worth reporting here.
    RunCommand(Runc({"delete", "-f", id_}), Millis(20000));
  }
  if (runc_pidfd_ >= 0) {
    close(runc_pidfd_);
    runc_pidfd_ = -1;
  }
  if (dir_.empty()) return;
  if (HasMountBelow(dir_)) {
    fprintf(stderr, "cinit-test: not removing %s: something is still mounted below it\n",
            dir_.c_str());
    return;
  }
  struct stat st;
  if (lstat(dir_.c_str(), &st) == 0) RemoveTree(dir_, st.st_dev);
}

// --- One-shot runs -----------------------------------------------------------

RunOutcome RunCinitInContainer(const std::vector<std::string>& cinit_flags,
                               const std::vector<std::string>& cmd, Millis timeout,
                               const std::function<void(Container&)>& setup) {
  RunOutcome o;
  Container c("run");
  c.SetCinitCommand(cinit_flags, cmd);
  if (setup) setup(c);
  if (!c.Start(&o.error)) return o;
  o.status = c.Wait(timeout);
  if (!o.status) o.error = "the container did not exit within the timeout";
  o.logs = c.Logs();
  o.shared = c.SharedFiles();
  c.Destroy();
  return o;
}

}  // namespace cinit_runc
