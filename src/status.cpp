// The state file and "cinit status". See status.h for the model.
//
// The text is the whole interface between the running cinit and the probe,
// which is a second cinit process started by Kubernetes: it is written to
// state.new and renamed over state, so a reader sees the old file or the new
// one, never a mix. A probe that finds no file, or a malformed one, fails.
#include "status.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "format.h"
#include "log.h"
#include "units.h"

namespace {

constexpr char kHeader[] = "NAME KIND STATE PID READY RESTARTS LAST";
constexpr const char* kKindNames[] = {"init", "sidecar", "main"};
constexpr const char* kStateNames[] = {"pending", "starting", "running", "backoff", "stopping", "exited", "failed"};
// /dev/shm before /tmp: a tmpfs in Docker and Kubernetes, where the state
// file's rename costs nothing (on ext4 it forces the new file's data out).
constexpr const char* kDefaultDirs[] = {"/run/cinit", "/dev/shm/cinit", "/tmp/cinit"};
constexpr int kDefaultDirCount = sizeof kDefaultDirs / sizeof kDefaultDirs[0];

void FormatRow(const StatusRow& r, char* buf, int size, int* len) {
  char pid[16] = "-";
  char last[16] = "-";
  if (r.pid > 0) snprintf(pid, sizeof pid, "%d", static_cast<int>(r.pid));
  if (r.last_status >= 0) snprintf(last, sizeof last, "%d", r.last_status);
  Append(buf, size, len, "%s %s %s %s %s %u %s\n", r.name, ProcKindName(r.kind), ProcStateName(r.state), pid,
         r.ready ? "yes" : "no", r.restarts, last);
}

template <class E, size_t N>
bool ParseName(std::string_view word, const char* const (&names)[N], E* out) {
  for (size_t i = 0; i < N; i++) {
    if (word == names[i]) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

// "-" stands for `dash`; else a decimal number up to max.
bool ParseNumber(std::string_view word, uint32_t max, int64_t dash, int64_t* out) {
  if (word == "-") {
    *out = dash;
    return true;
  }
  Result<uint32_t> r = ParseUnsigned(word, max);
  *out = r.value;
  return r.ok;
}

bool ParseRow(std::string_view line, StatusRow* row) {
  std::string_view f[7];
  int n = 0;
  size_t pos = 0;
  for (;;) {
    size_t sp = line.find(' ', pos);
    if (n == 7) return false;
    size_t end = sp == std::string_view::npos ? line.size() : sp;
    f[n++] = std::string_view(line.data() + pos, end - pos);  // not substr: it may throw
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  if (n != 7 || f[0].empty() || f[0].size() > static_cast<size_t>(kMaxNameLen)) return false;
  memcpy(row->name, f[0].data(), f[0].size());
  row->name[f[0].size()] = '\0';
  int64_t pid, restarts, last;
  if (!ParseName(f[1], kKindNames, &row->kind) || !ParseName(f[2], kStateNames, &row->state) ||
      !ParseNumber(f[3], 0x7fffffff, 0, &pid) || (f[4] != "yes" && f[4] != "no") ||
      !ParseNumber(f[5], 0xffffffff, -1, &restarts) || restarts < 0 || !ParseNumber(f[6], 255, -1, &last))
    return false;
  row->pid = static_cast<pid_t>(pid);
  row->ready = f[4] == "yes";
  row->restarts = static_cast<uint32_t>(restarts);
  row->last_status = static_cast<int>(last);
  return true;
}

// The question --ready asks of one process.
bool IsReady(const StatusRow& r) {
  switch (r.kind) {
    case ProcKind::kInit: return r.state == ProcState::kExited && r.last_status == 0;
    case ProcKind::kSidecar: return r.state == ProcState::kRunning && r.ready;
    case ProcKind::kMain: return r.state == ProcState::kRunning && r.ready;  // not ready: --ready notify, no READY=1 yet
  }
  return false;
}

// The question --live asks of one process.
bool IsLive(const StatusRow& r) {
  if (r.kind == ProcKind::kInit) return r.state != ProcState::kFailed;
  return r.state == ProcState::kStarting || r.state == ProcState::kRunning || r.state == ProcState::kBackoff;
}

// Opens dir for the state file; -1 with a reason in why when it does not
// work. O_NOFOLLOW: a symlink planted at the directory's own name (e.g.
// /tmp/cinit -> somewhere else) is refused, not followed.
int OpenDir(const char* dir, bool create, bool shared_place, char* why, int why_size) {
  if (create && mkdir(dir, 0755) != 0 && errno != EEXIST) {
    snprintf(why, why_size, "%s", strerror(errno));
    return -1;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    bool link = errno == ELOOP || errno == ENOTDIR;
    snprintf(why, why_size, "%s", link ? "not a directory (a symlink is not followed)" : strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    snprintf(why, why_size, "%s", strerror(errno));
    close(fd);
    return -1;
  }
  // /tmp is shared with every user: a default directory that someone else
  // created there could be used to feed the probe a fake state.
  uid_t me = geteuid();
  if (shared_place && ((st.st_mode & 022) != 0 || (create ? st.st_uid != me : st.st_uid != me && st.st_uid != 0))) {
    snprintf(why, why_size, "owned by uid %u or writable by others", static_cast<unsigned>(st.st_uid));
    close(fd);
    return -1;
  }
  if (create && syscall(SYS_faccessat, fd, ".", W_OK) != 0) {
    snprintf(why, why_size, "%s", strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

// Reads <dir>/state into buf; its length, or -1 if there is none.
int ReadState(const char* dir, bool shared_place, char* buf, int size) {
  char why[96];
  int dfd = OpenDir(dir, false, shared_place, why, sizeof why);
  if (dfd < 0) return -1;
  int fd = openat(dfd, "state", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  close(dfd);
  if (fd < 0) return -1;
  struct stat st;
  int len = -1;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    len = 0;
    while (len < size) {
      ssize_t n = read(fd, buf + len, static_cast<size_t>(size - len));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      len += static_cast<int>(n);
    }
  }
  close(fd);
  return len;
}

void WriteAll(int fd, const char* data, int len) {
  while (len > 0) {
    ssize_t n = write(fd, data, static_cast<size_t>(len));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    len -= static_cast<int>(n);
  }
}

}  // namespace

const char* ProcKindName(ProcKind k) {
  auto i = static_cast<size_t>(k);
  return i < sizeof kKindNames / sizeof *kKindNames ? kKindNames[i] : "?";
}

const char* ProcStateName(ProcState s) {
  auto i = static_cast<size_t>(s);
  return i < sizeof kStateNames / sizeof *kStateNames ? kStateNames[i] : "?";
}

int FormatStatus(const StatusTable& table, char* buf, int size) {
  if (size <= 0) return 0;
  buf[0] = '\0';
  int len = 0;
  Append(buf, size, &len, "%s\n", kHeader);
  for (int i = 0; i < table.count; i++) FormatRow(table.rows[i], buf, size, &len);
  return len;
}

bool ParseStatus(std::string_view text, StatusTable* table) {
  table->count = 0;
  bool header = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return false;  // every line ends in "\n": a cut file is malformed
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (header) {
      if (line != kHeader) return false;
      header = false;
      continue;
    }
    constexpr int kCapacity = sizeof table->rows / sizeof table->rows[0];
    if (table->count >= kCapacity) return false;
    table->rows[table->count] = StatusRow{};
    if (!ParseRow(line, &table->rows[table->count])) return false;
    table->count++;
  }
  return !header;
}

int EvaluateStatus(const StatusTable& table, const StatusQuery& query) {
  if (query.name) {
    for (int i = 0; i < table.count; i++) {
      const StatusRow& r = table.rows[i];
      if (strcmp(r.name, query.name) != 0) continue;
      if (query.ready && !IsReady(r)) return 1;
      if (query.live && !IsLive(r)) return 1;
      return 0;
    }
    return 1;
  }
  if (!query.ready && !query.live) return 0;
  bool main_running = false;
  for (int i = 0; i < table.count; i++) {
    const StatusRow& r = table.rows[i];
    if (r.kind == ProcKind::kMain) main_running = query.ready ? IsReady(r) : r.state == ProcState::kRunning;
    if (r.kind != ProcKind::kSidecar) continue;
    if (query.ready && !IsReady(r)) return 1;
    if (query.live && r.state == ProcState::kFailed) return 1;
  }
  return main_running ? 0 : 1;
}

void OpenStateDir(const char* env_dir, StateFile* sf) {
  sf->dir_fd = -1;
  sf->dir[0] = '\0';
  char why[kDefaultDirCount][96] = {};
  if (env_dir && *env_dir) {
    int fd = OpenDir(env_dir, true, false, why[0], sizeof why[0]);
    if (fd >= 0) {
      sf->dir_fd = fd;
      snprintf(sf->dir, sizeof sf->dir, "%s", env_dir);
      return;
    }
    LOG_WARN("cannot use state directory %s (--state-dir/CINIT_STATE_DIR): %s: `cinit status` will not work; "
             "give a writable directory", env_dir, why[0]);
    sf->warned = true;
    return;
  }
  for (int i = 0; i < kDefaultDirCount; i++) {
    int fd = OpenDir(kDefaultDirs[i], true, true, why[i], sizeof why[i]);
    if (fd >= 0) {
      sf->dir_fd = fd;
      snprintf(sf->dir, sizeof sf->dir, "%s", kDefaultDirs[i]);
      return;
    }
  }
  LOG_WARN("no state directory (%s: %s; %s: %s; %s: %s): `cinit status` will not work; give --state-dir or "
           "CINIT_STATE_DIR a writable directory", kDefaultDirs[0], why[0], kDefaultDirs[1], why[1], kDefaultDirs[2],
           why[2]);
  sf->warned = true;
}

void WriteStateFile(StateFile* sf, const char* text, int len) {
  if (sf->dir_fd < 0) return;
  const char* step = "create state.new";
  int fd = -1;
  // O_EXCL (which implies not following a symlink at that name) rather than
  // O_TRUNC: a planted symlink, fifo or hard link at state.new is removed
  // and the file created anew, never written through. A state.new that is
  // gone before it could be removed (another cinit sharing the directory
  // renamed it) is no error: the next attempt creates it.
  for (int attempt = 0; attempt < 3 && fd < 0; attempt++) {
    fd = openat(sf->dir_fd, "state.new", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && (errno != EEXIST || (unlinkat(sf->dir_fd, "state.new", 0) != 0 && errno != ENOENT))) break;
  }
  bool ok = fd >= 0;
  if (ok) {
    step = "write state.new";
    for (int off = 0; ok && off < len;) {
      ssize_t n = write(fd, text + off, static_cast<size_t>(len - off));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = ENOSPC;
        ok = false;
        break;
      }
      off += static_cast<int>(n);
    }
    if (close(fd) != 0 && ok) ok = false;
    // rename(2) replaces state in one step: a reader opens either the old
    // file or the new one.
    if (ok) {
      step = "rename state.new to state";
      ok = renameat(sf->dir_fd, "state.new", sf->dir_fd, "state") == 0;
    }
    if (!ok) {
      int saved = errno;
      unlinkat(sf->dir_fd, "state.new", 0);
      errno = saved;
    }
  }
  if (!ok && !sf->warned) {
    sf->warned = true;
    LOG_WARN("cannot %s in %s: %s: `cinit status` shows old data from now on; give cinit a writable "
             "CINIT_STATE_DIR", step, sf->dir, strerror(errno));
  }
}

int RunStatusCommand(const StatusQuery& query, const char* env_dir) {
  bool explicit_dir = env_dir && *env_dir;
  char text[kStatusTextSize + 1];
  int len = -1;
  const char* dir = explicit_dir ? env_dir : kDefaultDirs[0];
  if (explicit_dir) {
    len = ReadState(env_dir, false, text, kStatusTextSize);
  } else {
    for (const char* d : kDefaultDirs) {
      dir = d;
      len = ReadState(d, true, text, kStatusTextSize);
      if (len >= 0) break;
    }
  }
  if (len < 0) {
    if (explicit_dir)
      LOG_ERROR("no state file in %s: is cinit running with --state-dir %s (or CINIT_STATE_DIR)?", env_dir, env_dir);
    else
      LOG_ERROR("no state file in %s, %s or %s: is cinit running? If it has --state-dir DIR (CINIT_STATE_DIR), "
                "give the same here", kDefaultDirs[0], kDefaultDirs[1], kDefaultDirs[2]);
    return 1;
  }
  StatusTable table;
  if (!ParseStatus(std::string_view(text, static_cast<size_t>(len)), &table)) {
    LOG_ERROR("malformed state file %s/state: was it written by another version of cinit? Check that it is the "
              "one of this container", dir);
    return 1;
  }
  if (!query.name) {
    WriteAll(STDOUT_FILENO, text, len);
    return EvaluateStatus(table, query);
  }
  for (int i = 0; i < table.count; i++) {
    if (strcmp(table.rows[i].name, query.name) != 0) continue;
    StatusTable one;
    one.rows[0] = table.rows[i];
    one.count = 1;
    int n = FormatStatus(one, text, sizeof text);
    WriteAll(STDOUT_FILENO, text, n);
    return EvaluateStatus(table, query);
  }
  LOG_ERROR("no process named '%s' in %s/state: run `cinit status` to see the names", query.name, dir);
  return 1;
}
