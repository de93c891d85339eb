// systemd's sd_notify protocol, both ways (SPEC §7).
//
// Downward: processes declared with ready=notify (and the main with
// --ready notify) get NOTIFY_SOCKET naming a unix datagram socket that
// cinit owns: an abstract name the kernel picks (autobind), so two cinits
// sharing a network namespace, as the containers of a pod do, never
// collide. SO_PASSCRED makes the kernel attach the sender's pid to every
// datagram; the supervisor accepts one only from a ready=notify process or
// one of its descendants (a pid the sender cannot fake without
// CAP_SYS_ADMIN) and ignores and counts the rest. READY=1 makes the process
// ready.
//
// Upward: when cinit itself was started with NOTIFY_SOCKET (podman
// --sdnotify=container, a systemd or Quadlet service), it sends READY=1
// once the main runs and everything is ready, and STOPPING=1 when shutdown
// begins. cinit's own NOTIFY_SOCKET never reaches a child (IsCinitVariable).
#pragma once

#include <string_view>
#include <sys/types.h>

#include "result.h"

constexpr int kNotifyMaxDatagram = 4096;  // larger datagrams are cut and refused
constexpr int kNotifyStatusLen = 64;      // STATUS= text kept per process

// One datagram: newline-separated KEY=VALUE assignments (the last line may
// lack its newline). Unknown keys are ignored, as systemd does.
struct NotifyMessage {
  bool ready = false;         // READY=1
  bool stopping = false;      // STOPPING=1
  bool has_status = false;    // STATUS=... (the last one wins)
  std::string_view status;    // points into the datagram
};

// Pure. false when the datagram is malformed: empty, a NUL byte, or a
// non-empty line without '=' or with an empty key.
bool ParseNotify(const char* data, int len, NotifyMessage* out);

// The socket for ready=notify processes (non-blocking, close-on-exec,
// SO_PASSCRED, autobound abstract name); env gets "NOTIFY_SOCKET=@NAME".
Result<int> NotifyOpen(char* env, int env_size);

// Receives one datagram into buf: its length, and the sender's pid in
// *sender (0 when the kernel gave none); -1 when none is waiting. Any
// descriptors passed along (sd_notify barriers, FDSTORE=1) are closed at
// once: cinit keeps none.
int NotifyReceive(int fd, char* buf, int size, pid_t* sender);

// The index in pids[0, count) of sender itself or of its nearest ancestor
// there, by walking the parent chain in /proc (at most 64 steps, ending at
// pid 1 or stop_at, cinit itself); -1 if none (pids <= 0 never match).
int FindNotifier(pid_t sender, const pid_t* pids, int count, pid_t stop_at);

// Sends text to the socket named by a NOTIFY_SOCKET value ("/path" or
// "@abstract"); false (errno set) on failure.
bool NotifySend(const char* socket_name, const char* text);
