// The health endpoint (SPEC §7, --health-listen ADDR:PORT): a tiny HTTP/1.x
// server inside the supervisor's one loop, for Kubernetes httpGet probes.
//
// Model. One listening socket and at most kHealthMaxConns connections, all
// non-blocking, each with a fixed buffer that holds its request and then
// its answer. A connection reads until the blank line that ends the
// headers, gets one answer (Connection: close) and is closed. It has
// kHealthDeadline from accept to finish, then it is dropped; a request that
// does not fit the buffer gets 431, garbage gets 400. When every slot is
// taken, a new connection evicts the oldest one, so idle or slow clients
// can never keep a real probe out. Nothing is allocated; with no connection
// open there is no deadline at all (zero wake-ups while idle).
//
// The answers are pure functions of the status table (the same one the
// state file is written from) and of whether shutdown has begun:
//   /livez, /readyz          the verdicts of `cinit status --live/--ready`;
//                            /readyz is 503 once shutdown has begun
//   /livez/NAME, /readyz/NAME  those of `cinit status --live/--ready NAME`
//   /status                  the table as JSON
// 200 with a one-line body, else 503; other paths 404, other methods 405.
#pragma once

#include <cstdint>
#include <string_view>

#include "clock.h"
#include "result.h"
#include "status.h"
#include "units.h"

constexpr int kHealthMaxConns = 16;
constexpr int kHealthBufSize = 4096;      // the largest request
// Room for any answer: the head, and /status of a full table (a row is at
// most 144 bytes of JSON). Only the part an answer uses is ever touched.
constexpr int kHealthAnswerSize = 512 + 160 * (kMaxDecls + 1);
constexpr Millis kHealthDeadline = 2000;  // from accept to the answer sent

enum class HttpParse : uint8_t { kIncomplete, kComplete, kBad, kTooLarge };
enum class HttpMethod : uint8_t { kGet, kHead, kOther };

struct HttpRequest {
  HttpMethod method = HttpMethod::kOther;
  std::string_view path;  // without the query string; points into the data
};

// Parses the request line and headers in data[0, len). kIncomplete until
// the blank line ending the headers has arrived; kTooLarge when it has not
// within capacity bytes; kBad as soon as the bytes cannot be an HTTP/1.x
// request (binary garbage is refused at its first byte). Pure.
HttpParse ParseHttpRequest(const char* data, int len, int capacity, HttpRequest* out);

// The whole answer (status line, headers, body; no body for HEAD) into buf;
// returns its length (always fits kHealthAnswerSize). Pure.
int AnswerHttp(HttpParse parsed, const HttpRequest& request, const StatusTable& table, bool stopping, char* buf,
               int size);

// The table as one JSON object, with the verdicts:
//   {"ready":true,"live":true,"stopping":false,"processes":[{"name":"main",
//    "kind":"main","state":"running","pid":7,"ready":true,"restarts":0,"last":null}]}
// pid and last are null where the state file shows "-". Returns the length.
int FormatStatusJson(const StatusTable& table, bool stopping, char* buf, int size);

// What the server asks of the supervisor when it answers: the current table
// and whether shutdown has begun.
using HealthSnapshot = void (*)(void* ctx, StatusTable* table, bool* stopping);

// The slots' bookkeeping is dense and their buffers apart, so the loop's
// scans of the slots read one page, and a buffer's pages are touched only
// once a connection uses it (on kernels without a shared zero page even a
// read of untouched .bss costs resident memory). Every field's empty state
// is zero, so a global HealthServer needs no constructor and stays in .bss:
// fd means something only while `open`.
struct HealthConn {
  bool open = false;
  int fd = 0;
  int len = 0;          // bytes read, or the answer's length once answering
  int sent = 0;         // bytes of the answer written
  bool answering = false;
  bool drained = false;  // the last read took all that had come
  Millis deadline = 0;
  uint64_t seq = 0;     // accept order: the lowest is evicted first
  char* buf = nullptr;  // kHealthAnswerSize bytes: the request, then the answer
};

struct HealthServer {
  int listen_fd = 0;  // set before the loop starts (-1: no endpoint)
  uint64_t next_seq = 0;
  uint32_t evicted = 0;     // connections closed to make room
  Millis paused_until = 0;  // out of descriptors: accept again at this time
  HealthSnapshot snapshot = nullptr;
  void* ctx = nullptr;
  HealthConn conns[kHealthMaxConns];
  char bufs[kHealthMaxConns][kHealthAnswerSize] = {};  // conns[i].buf is bufs[i]
};

// Creates the listening socket (non-blocking, close-on-exec, SO_REUSEADDR)
// on addr:port; addr is 4 bytes, or 16 with ipv6 (then IPv6 only).
Result<int> HealthListen(const uint8_t* addr, bool ipv6, uint16_t port);

// Loop hooks. The listening socket is polled for POLLIN (unless paused);
// each connection for what HealthEvents says.
short HealthEvents(const HealthConn& c);     // POLLIN or POLLOUT; 0: not open
void HealthOnAccept(HealthServer* s, Clock* clock);
void HealthOnEvent(HealthServer* s, int slot, short revents);
Millis HealthDeadline(const HealthServer& s);  // earliest; 0 when no connection is open
void HealthOnTimer(HealthServer* s, Millis now);
