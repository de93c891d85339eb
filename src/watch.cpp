// inotify watching and debouncing; the model is in watch.h.
#include "watch.h"

#include <cerrno>
#include <cstring>
#include <new>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "signals.h"

namespace {

// A directory watched for one entry name: only what changes the name's
// meaning, so unrelated writes in the same directory never wake cinit.
constexpr uint32_t kNameMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;
// A watched directory itself: also files written in it.
constexpr uint32_t kDirMask = kNameMask | IN_CLOSE_WRITE | IN_ATTRIB;
// A watched file itself: written in place, touched, removed.
constexpr uint32_t kFileMask = IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
// More links than this in one resolution is a loop (the kernel's limit is 40).
constexpr int kMaxLinks = 16;
constexpr int kResolveMax = 1024;
// Reads per readable event, so a flood of changes cannot hold the loop.
constexpr int kMaxReads = 4;

alignas(WatchTarget) unsigned char g_target_storage[sizeof(WatchTarget) * kMaxWatchTargets];
Watcher g_watcher;

void WarnOnce(WatchTarget* t, const char* what, int err) {
  if (t->warned) return;
  t->warned = true;
  LOG_WARN("cannot watch %s: %s: %s: %s", t->path, what, strerror(err),
           err == ENOSPC ? "raise fs.inotify.max_user_watches" : "changes to it go unnoticed until it can be watched");
}

// Adds (wd of dir, name) to t; name_len 0 means any event.
void AddEntry(Watcher* w, WatchTarget* t, const char* dir, uint32_t mask, const char* name, int name_len) {
  if (t->count == kMaxWatchEntries || t->names_used + name_len > kWatchNamesSize) {
    WarnOnce(t, "resolving it", ENAMETOOLONG);
    return;
  }
  // IN_MASK_ADD: several targets (or roles) may share one inode's watch.
  int wd = inotify_add_watch(w->fd, dir, mask | IN_MASK_ADD);
  if (wd < 0) {
    if (errno != ENOENT) WarnOnce(t, "inotify_add_watch", errno);
    return;
  }
  WatchEntry& e = t->entries[t->count++];
  e.wd = wd;
  e.name_off = static_cast<uint16_t>(t->names_used);
  e.name_len = static_cast<uint16_t>(name_len);
  memcpy(t->names + t->names_used, name, name_len);
  t->names_used += name_len;
}

// Resolves t->path component by component and watches each step (watch.h).
void Arm(Watcher* w, WatchTarget* t) {
  t->exists = false;
  t->count = 0;
  t->names_used = 0;
  char dir[kResolveMax] = "";  // resolved so far, no symlinks; "" is "/"
  char rest[kResolveMax];      // still to resolve
  char cand[kResolveMax];
  int dir_len = 0;
  snprintf(rest, sizeof rest, "%s", t->path);
  int links = 0;
  const char* p = rest;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) return;  // the path was "/" or ended in "/.."
    const char* end = strchr(p, '/');
    int len = end ? static_cast<int>(end - p) : static_cast<int>(strlen(p));
    const char* next = p + len;
    while (*next == '/') next++;
    bool last = *next == '\0';
    if (len == 1 && p[0] == '.') {
      p = next;
      if (last) return;
      continue;
    }
    if (len == 2 && p[0] == '.' && p[1] == '.') {
      while (dir_len > 0 && dir[dir_len - 1] != '/') dir_len--;
      if (dir_len > 0) dir_len--;
      dir[dir_len] = '\0';
      p = next;
      continue;
    }
    const char* parent = dir_len ? dir : "/";
    if (dir_len + 1 + len >= kResolveMax) return WarnOnce(t, "resolving it", ENAMETOOLONG);
    memcpy(cand, dir, dir_len);
    cand[dir_len] = '/';
    memcpy(cand + dir_len + 1, p, len);
    cand[dir_len + 1 + len] = '\0';
    struct stat st;
    if (lstat(cand, &st) != 0 || (!last && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))) {
      // Not there (yet): wait in the deepest existing directory for it.
      AddEntry(w, t, parent, kNameMask, p, len);
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      AddEntry(w, t, parent, kNameMask, p, len);
      char target[kResolveMax];
      ssize_t n = readlink(cand, target, sizeof target - 1);
      if (n <= 0 || ++links > kMaxLinks) return WarnOnce(t, "following its symbolic links", n <= 0 ? errno : ELOOP);
      target[n] = '\0';
      // The rest becomes TARGET/remaining, resolved from dir (or from /).
      char joined[kResolveMax];
      int m = snprintf(joined, sizeof joined, "%s%s%s", target, last ? "" : "/", next);
      if (m >= static_cast<int>(sizeof joined)) return WarnOnce(t, "resolving it", ENAMETOOLONG);
      memcpy(rest, joined, m + 1);
      p = rest;
      if (target[0] == '/') dir_len = 0, dir[0] = '\0';
      continue;
    }
    if (last) {
      t->exists = true;
      AddEntry(w, t, parent, kNameMask, p, len);
      AddEntry(w, t, cand, S_ISDIR(st.st_mode) ? kDirMask : kFileMask, "", 0);
      return;
    }
    memcpy(dir, cand, dir_len + 1 + len + 1);
    dir_len += 1 + len;
    p = next;
  }
}

bool Uses(const Watcher& w, int wd) {
  for (int i = 0; i < w.count; i++)
    for (int k = 0; k < w.targets[i].count; k++)
      if (w.targets[i].entries[k].wd == wd) return true;
  return false;
}

// Resolves t again and removes the watches that no target uses any more.
void Rearm(Watcher* w, WatchTarget* t) {
  int old[kMaxWatchEntries];
  int old_count = t->count;
  for (int k = 0; k < old_count; k++) old[k] = t->entries[k].wd;
  Arm(w, t);
  for (int k = 0; k < old_count; k++) {
    bool seen = false;
    for (int j = 0; j < k; j++) seen = seen || old[j] == old[k];
    if (!seen && !Uses(*w, old[k])) inotify_rm_watch(w->fd, old[k]);
  }
}

void Changed(WatchTarget* t, Millis now) {
  if (!t->first) t->first = now;
  t->due = DebounceDue(t->first, now);
  t->dirty = true;
}

}  // namespace

Millis DebounceDue(Millis first, Millis now) {
  Millis quiet = now + kWatchQuiet, cap = first + kWatchBurstMax;
  return quiet < cap ? quiet : cap;
}

bool WatchEventMatches(const WatchTarget& t, int wd, uint32_t mask, const char* name) {
  for (int k = 0; k < t.count; k++) {
    const WatchEntry& e = t.entries[k];
    if (e.wd != wd) continue;
    if (e.name_len == 0) return true;
    // The directory itself went away or moved: every name in it changed.
    if (mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) return true;
    if (name && strlen(name) == e.name_len && memcmp(name, t.names + e.name_off, e.name_len) == 0) return true;
  }
  return false;
}

Status ParseWatchItem(const char* text, int len, char* path, int* signal) {
  int colon = len - 1;
  while (colon >= 0 && text[colon] != ':') colon--;
  if (colon < 0)
    return Status::Fail("--watch '%.*s': use PATH:SIGNAL, e.g. /etc/nginx/conf.d:HUP", len > 64 ? 64 : len, text);
  if (colon == 0 || text[0] != '/')
    return Status::Fail("--watch '%.*s': PATH must be absolute (cinit runs in /)", len > 64 ? 64 : len, text);
  if (colon >= kWatchPathMax)
    return Status::Fail("--watch: PATH '%.64s...' is longer than %d bytes", text, kWatchPathMax - 1);
  auto sig = ParseSignal(std::string_view(text + colon + 1, len - colon - 1));
  if (!sig.ok) return Status::Fail("--watch '%.*s': %s", len > 64 ? 64 : len, text, sig.error.text);
  memcpy(path, text, colon);
  path[colon] = '\0';
  *signal = sig.value;
  return Ok();
}

Watcher* WatcherAdd(const char* path, int owner, int signal) {
  Watcher* w = &g_watcher;
  w->targets = reinterpret_cast<WatchTarget*>(g_target_storage);
  if (w->count == kMaxWatchTargets) return w;  // the parsers keep within the limits
  WatchTarget* t = new (&w->targets[w->count++]) WatchTarget;
  t->path = path;
  t->owner = owner;
  t->signal = signal;
  return w;
}

void WatcherStart(Watcher* w) {
  // Non-blocking: the loop reads until EAGAIN; close-on-exec: no child gets it.
  w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (w->fd < 0) {
    LOG_WARN("cannot watch files: inotify_init1: %s: raise fs.inotify.max_user_instances; --watch and watch= "
             "do nothing", strerror(errno));
    return;
  }
  for (int i = 0; i < w->count; i++) Arm(w, &w->targets[i]);
}

void WatcherOnReadable(Watcher* w, Millis now) {
  Millis was_first[kMaxWatchTargets], was_due[kMaxWatchTargets];
  for (int i = 0; i < w->count; i++) was_first[i] = w->targets[i].first, was_due[i] = w->targets[i].due;
  alignas(inotify_event) char buf[4096];
  for (int r = 0; r < kMaxReads; r++) {
    ssize_t n = read(w->fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      off += sizeof(inotify_event) + ev->len;
      // An overflow lost events: count it as a change of everything (the
      // queue is drained by this read, so this never repeats by itself).
      bool overflow = ev->mask & IN_Q_OVERFLOW;
      for (int i = 0; i < w->count; i++)
        if (overflow || WatchEventMatches(w->targets[i], ev->wd, ev->mask, ev->len ? ev->name : nullptr))
          Changed(&w->targets[i], now);
    }
  }
  for (int i = 0; i < w->count; i++) {
    WatchTarget* t = &w->targets[i];
    if (!t->dirty) continue;
    t->dirty = false;
    bool existed = t->exists;
    Rearm(w, t);
    // A directory on the way to a path that is still missing appeared:
    // followed, but nothing the process reads has changed.
    if (!existed && !t->exists) t->first = was_first[i], t->due = was_due[i];
  }
}

Millis WatcherDeadline(const Watcher& w) {
  Millis d = 0;
  for (int i = 0; i < w.count; i++)
    if (w.targets[i].due && (!d || w.targets[i].due < d)) d = w.targets[i].due;
  return d;
}

int WatcherTakeDue(Watcher* w, Millis now) {
  for (int i = 0; i < w->count; i++) {
    WatchTarget* t = &w->targets[i];
    if (!t->due || now < t->due) continue;
    for (int j = 0; j < w->count; j++) {
      WatchTarget* o = &w->targets[j];
      if (o->owner == t->owner && o->signal == t->signal) o->due = 0, o->first = 0;
    }
    return i;
  }
  return -1;
}
