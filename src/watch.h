// Watching files for changes (SPEC §7: --watch PATH:SIGNAL for the main,
// watch=PATH per declaration). One inotify descriptor, read in the one loop;
// nothing wakes cinit while nothing changes.
//
// A watched PATH is resolved the way the kernel would open it, one
// component at a time, and every step that could change what PATH means is
// watched:
//   - each symbolic link met on the way: its directory, for that entry name
//     (so the Kubernetes ConfigMap swap, a rename of a new "..data" symlink
//     over the old one, is seen on "..data" even when PATH is one of the
//     file symlinks "app.conf -> ..data/app.conf");
//   - the final entry: its directory, for its name (a file replaced by
//     rename, created or removed), and the file or directory itself (writes
//     in place; for a directory, any entry created, removed or renamed);
//   - a component that does not exist yet: the deepest existing directory,
//     for that name, so PATH is followed as its components appear.
// After any change the target is resolved again (re-armed) and watches no
// target uses any more are removed. A burst of events becomes one action:
// the action is due kWatchQuiet after the last event, at most kWatchBurstMax
// after the first. A queue overflow counts as a change of every target.
#pragma once

#include <cstdint>

#include "result.h"
#include "spec.h"
#include "units.h"

constexpr int kMaxMainWatches = 8;    // --watch entries
constexpr int kWatchPathMax = 256;    // bytes of one PATH, with its NUL
constexpr Millis kWatchQuiet = 100;   // a burst ends after this long without an event
constexpr Millis kWatchBurstMax = 1000;  // ... or this long after its first event

// What one target watches: up to kMaxWatchEntries (watch descriptor, entry
// name) pairs; an entry without a name matches any event on its descriptor.
constexpr int kMaxWatchEntries = 12;
constexpr int kWatchNamesSize = 512;

struct WatchEntry {
  int wd = -1;
  uint16_t name_off = 0;   // into WatchTarget::names
  uint16_t name_len = 0;   // 0: any event on wd
};

struct WatchTarget {
  const char* path = nullptr;  // absolute
  int owner = 0;               // the process index (the main or a declaration)
  int signal = 0;              // the main's signal; 0: the declaration's on-change
  WatchEntry entries[kMaxWatchEntries];
  int count = 0;
  char names[kWatchNamesSize];
  int names_used = 0;
  Millis first = 0;            // first event of the current burst, 0 none
  Millis due = 0;              // when the action runs, 0 none
  bool dirty = false;          // to be resolved again
  bool exists = false;         // the path resolved to something at the last arming
  bool warned = false;         // a failure to watch warns once
};

constexpr int kMaxWatchTargets = kMaxMainWatches + kMaxDecls * kMaxDeclWatches;

struct Watcher {
  int fd = -1;
  int count = 0;
  WatchTarget* targets = nullptr;  // count entries, constructed on demand
};

// The watcher, constructed on first use (untouched, it costs no memory).
Watcher* WatcherAdd(const char* path, int owner, int signal);
// Opens the inotify descriptor and arms every target; a failure warns.
void WatcherStart(Watcher* w);
// The descriptor is readable: reads the events, re-arms what changed.
void WatcherOnReadable(Watcher* w, Millis now);
// The earliest due action, 0 none.
Millis WatcherDeadline(const Watcher& w);
// A target whose action is due at now (clearing it and every other due
// target of the same owner and signal: one action per burst), or -1.
int WatcherTakeDue(Watcher* w, Millis now);

// Pure helpers, for tests.
// When a burst that began at first is due, after an event at now.
Millis DebounceDue(Millis first, Millis now);
// Whether an event (wd, mask, name) concerns target t.
bool WatchEventMatches(const WatchTarget& t, int wd, uint32_t mask, const char* name);
// "PATH:SIGNAL" (the last ':' separates): PATH absolute and shorter than
// kWatchPathMax, copied NUL-terminated into path.
Status ParseWatchItem(const char* text, int len, char* path, int* signal);
