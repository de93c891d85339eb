#include "health.h"
#include "status_row.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

HttpParse Parse(const std::string& text, HttpRequest* req, int capacity = kHealthBufSize) {
  return ParseHttpRequest(text.data(), static_cast<int>(text.size()), capacity, req);
}

StatusTable Sample() {
  StatusTable t;
  t.rows[0] = Row("migrate", ProcKind::kInit, ProcState::kExited, 0, false, 0, 0);
  t.rows[1] = Row("proxy", ProcKind::kSidecar, ProcState::kRunning, 12, true);
  t.rows[2] = Row("main", ProcKind::kMain, ProcState::kRunning, 7, true);
  t.count = 3;
  return t;
}

std::string Answer(const std::string& request, const StatusTable& t, bool stopping = false) {
  HttpRequest req;
  HttpParse p = Parse(request, &req);
  char buf[kHealthAnswerSize];
  int n = AnswerHttp(p, req, t, stopping, buf, sizeof buf);
  return std::string(buf, static_cast<size_t>(n));
}

std::string Get(const std::string& path, const StatusTable& t, bool stopping = false) {
  return Answer("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", t, stopping);
}

int Code(const std::string& answer) { return std::stoi(answer.substr(9, 3)); }
std::string Body(const std::string& answer) { return answer.substr(answer.find("\r\n\r\n") + 4); }

TEST(HttpParser, KubeletRequest) {
  HttpRequest r;
  std::string text =
      "GET /readyz HTTP/1.1\r\nHost: 10.0.0.1:8080\r\nUser-Agent: kube-probe/1.29\r\nAccept: */*\r\n"
      "Connection: close\r\n\r\n";
  EXPECT_EQ(HttpParse::kComplete, Parse(text, &r));
  EXPECT_EQ(HttpMethod::kGet, r.method);
  EXPECT_EQ("/readyz", r.path);
}

TEST(HttpParser, MethodsQueryBareLf) {
  HttpRequest r;
  std::string head = "HEAD /livez?verbose=1 HTTP/1.0\n\n";  // r.path points into it
  EXPECT_EQ(HttpParse::kComplete, Parse(head, &r));
  EXPECT_EQ(HttpMethod::kHead, r.method);
  EXPECT_EQ("/livez", r.path);
  EXPECT_EQ(HttpParse::kComplete, Parse("POST /livez HTTP/1.1\r\n\r\n", &r));
  EXPECT_EQ(HttpMethod::kOther, r.method);
}

// A server must take the absolute form too (RFC 9112 3.2.2): its path counts.
TEST(HttpParser, AbsoluteFormTarget) {
  HttpRequest r;
  std::string proxy = "GET http://10.0.0.1:8080/readyz/web?x=1 HTTP/1.1\r\n\r\n";  // r.path points into it
  EXPECT_EQ(HttpParse::kComplete, Parse(proxy, &r));
  EXPECT_EQ("/readyz/web", r.path);
  std::string upper = "GET HTTPS://pod/livez HTTP/1.1\r\n\r\n";
  EXPECT_EQ(HttpParse::kComplete, Parse(upper, &r));
  EXPECT_EQ("/livez", r.path);
  EXPECT_EQ(HttpParse::kComplete, Parse("GET http://pod HTTP/1.1\r\n\r\n", &r));
  EXPECT_EQ("/", r.path);  // not a pointer into the request
  EXPECT_EQ(HttpParse::kBad, Parse("GET http:///livez HTTP/1.1\r\n\r\n", &r));  // no host
  EXPECT_EQ(HttpParse::kBad, Parse("GET ftp://pod/livez HTTP/1.1\r\n\r\n", &r));
  EXPECT_EQ(HttpParse::kBad, Parse("GET http:// HTTP/1.1\r\n\r\n", &r));
  EXPECT_EQ(HttpParse::kBad, Parse("OPTIONS * HTTP/1.1\r\n\r\n", &r));
  EXPECT_EQ(200, Code(Get("http://pod:8080/readyz", Sample())));
  EXPECT_EQ(404, Code(Get("http://pod:8080", Sample())));
}

TEST(HttpParser, IncompleteUntilTheBlankLine) {
  HttpRequest r;
  std::string full = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t n = 0; n < full.size(); n++) EXPECT_EQ(HttpParse::kIncomplete, Parse(full.substr(0, n), &r)) << n;
  EXPECT_EQ(HttpParse::kComplete, Parse(full, &r));
}

TEST(HttpParser, GarbageIsRefusedAtOnce) {
  HttpRequest r;
  EXPECT_EQ(HttpParse::kBad, Parse(std::string("\x00\x01\x02", 3), &r));
  EXPECT_EQ(HttpParse::kBad, Parse("\x16\x03\x01", &r));  // a TLS ClientHello
  EXPECT_EQ(HttpParse::kBad, Parse("get /livez HTTP/1.1\r\n\r\n", &r));
  EXPECT_EQ(HttpParse::kBad, Parse("GET livez HTTP/1.1\r\n\r\n", &r));
  EXPECT_EQ(HttpParse::kBad, Parse("GET /livez HTTP/2.0\r\n\r\n", &r));
  EXPECT_EQ(HttpParse::kBad, Parse("GET /livez\r\n\r\n", &r));  // HTTP/0.9
  EXPECT_EQ(HttpParse::kBad, Parse("GET /livez HTTP/1.1\r\nno colon\r\n\r\n", &r));
  EXPECT_EQ(HttpParse::kBad, Parse("GET /livez HTTP/1.1\r\nA: b\x01\r\n\r\n", &r));
  EXPECT_EQ(HttpParse::kBad, Parse("GET /livez HTTP/1.1\r\nA: b\rc\r\n\r\n", &r));
  EXPECT_EQ(HttpParse::kBad, Parse("GETTINGVERYLONGMETHOD /x HTTP/1.1\r\n\r\n", &r));
}

TEST(HttpParser, TooLargeWhenTheBufferIsFull) {
  HttpRequest r;
  std::string big = "GET /livez HTTP/1.1\r\nX: " + std::string(5000, 'a');
  EXPECT_EQ(HttpParse::kTooLarge, Parse(big.substr(0, kHealthBufSize), &r));
  EXPECT_EQ(HttpParse::kIncomplete, Parse(big.substr(0, 100), &r));
}

TEST(HealthRouter, Verdicts) {
  StatusTable t = Sample();
  EXPECT_EQ(200, Code(Get("/livez", t)));
  EXPECT_EQ("live\n", Body(Get("/livez", t)));
  EXPECT_EQ(200, Code(Get("/readyz", t)));
  EXPECT_EQ("ready\n", Body(Get("/readyz", t)));
  EXPECT_EQ("proxy ready\n", Body(Get("/readyz/proxy", t)));
  EXPECT_EQ(200, Code(Get("/livez/main", t)));
  EXPECT_EQ(200, Code(Get("/readyz/migrate", t)));
  t.rows[1].state = ProcState::kBackoff;
  t.rows[1].ready = false;
  EXPECT_EQ(503, Code(Get("/readyz", t)));
  EXPECT_EQ("not ready\n", Body(Get("/readyz", t)));
  EXPECT_EQ(200, Code(Get("/livez", t)));
  EXPECT_EQ(503, Code(Get("/readyz/proxy", t)));
  EXPECT_EQ("proxy not ready\n", Body(Get("/readyz/proxy", t)));
  EXPECT_EQ(200, Code(Get("/livez/proxy", t)));
  t.rows[1].state = ProcState::kFailed;
  EXPECT_EQ(503, Code(Get("/livez", t)));
  EXPECT_EQ(503, Code(Get("/livez/proxy", t)));
  EXPECT_EQ(200, Code(Get("/livez/main", t)));
}

TEST(HealthRouter, SameAnswersAsStatusCommand) {
  StatusTable t = Sample();
  const ProcState states[] = {ProcState::kPending, ProcState::kStarting, ProcState::kRunning, ProcState::kBackoff,
                              ProcState::kStopping, ProcState::kExited, ProcState::kFailed};
  for (ProcState side : states)
    for (ProcState main : states)
      for (int ready = 0; ready < 2; ready++) {
        t.rows[1].state = side;
        t.rows[1].ready = ready;
        t.rows[2].state = main;
        for (const char* name : {static_cast<const char*>(nullptr), "proxy", "main", "migrate"})
          for (int live = 0; live < 2; live++) {
            StatusQuery q;
            q.ready = !live;
            q.live = live;
            q.name = name;
            std::string path = std::string(live ? "/livez" : "/readyz") + (name ? std::string("/") + name : "");
            EXPECT_EQ(EvaluateStatus(t, q) == 0 ? 200 : 503, Code(Get(path, t))) << path;
          }
      }
}

TEST(HealthRouter, ShuttingDownIsNotReady) {
  StatusTable t = Sample();
  EXPECT_EQ(503, Code(Get("/readyz", t, true)));
  EXPECT_EQ("not ready: shutting down\n", Body(Get("/readyz", t, true)));
  EXPECT_EQ(200, Code(Get("/livez", t, true)));
}

TEST(HealthRouter, ErrorsAndHead) {
  StatusTable t = Sample();
  EXPECT_EQ(404, Code(Get("/", t)));
  EXPECT_EQ(404, Code(Get("/healthz", t)));
  EXPECT_EQ(404, Code(Get("/readyz/", t)));
  EXPECT_EQ(404, Code(Get("/readyz/nope", t)));
  EXPECT_EQ(404, Code(Get("/livez/" + std::string(40, 'a'), t)));
  std::string post = Answer("POST /readyz HTTP/1.1\r\n\r\n", t);
  EXPECT_EQ(405, Code(post));
  EXPECT_NE(std::string::npos, post.find("Allow: GET, HEAD\r\n"));
  EXPECT_EQ(404, Code(Answer("DELETE /nope HTTP/1.1\r\n\r\n", t)));
  EXPECT_EQ(400, Code(Answer("\x01\x02", t)));
  std::string big = "GET / HTTP/1.1\r\nX: " + std::string(kHealthBufSize, 'a');
  EXPECT_EQ(431, Code(Answer(big.substr(0, kHealthBufSize), t)));
  std::string head = Answer("HEAD /livez HTTP/1.1\r\n\r\n", t);
  EXPECT_EQ(200, Code(head));
  EXPECT_EQ("", Body(head));
  EXPECT_NE(std::string::npos, head.find("Content-Length: 5\r\n"));
  std::string get = Get("/livez", t);
  EXPECT_EQ(0u, get.find("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(std::string::npos, get.find("Connection: close\r\n"));
}

TEST(HealthJson, SameFieldsAsTheStateFile) {
  StatusTable t = Sample();
  char buf[kHealthAnswerSize];
  int n = FormatStatusJson(t, false, buf, sizeof buf);
  EXPECT_EQ(
      "{\"ready\":true,\"live\":true,\"stopping\":false,\"processes\":["
      "{\"name\":\"migrate\",\"kind\":\"init\",\"state\":\"exited\",\"pid\":null,\"ready\":false,\"restarts\":0,"
      "\"last\":0},"
      "{\"name\":\"proxy\",\"kind\":\"sidecar\",\"state\":\"running\",\"pid\":12,\"ready\":true,\"restarts\":0,"
      "\"last\":null},"
      "{\"name\":\"main\",\"kind\":\"main\",\"state\":\"running\",\"pid\":7,\"ready\":true,\"restarts\":0,"
      "\"last\":null}]}\n",
      std::string(buf, static_cast<size_t>(n)));
  n = FormatStatusJson(t, true, buf, sizeof buf);
  EXPECT_EQ(0, std::string(buf, n).find("{\"ready\":false,\"live\":true,\"stopping\":true,"));
  std::string answer = Get("/status", t);
  EXPECT_NE(std::string::npos, answer.find("Content-Type: application/json\r\n"));
}

TEST(HealthJson, FullTableFitsTheBuffer) {
  StatusTable t;
  t.count = kMaxDecls + 1;
  for (int i = 0; i < t.count; i++) {
    t.rows[i] = Row("x", ProcKind::kSidecar, ProcState::kStopping, 2147483647, false, 0, 255);
    memset(t.rows[i].name, 'n', kMaxNameLen);
    t.rows[i].restarts = 4294967295u;
  }
  std::string a = Get("/status", t);
  EXPECT_EQ("]}\n", a.substr(a.size() - 3));
  size_t cl = a.find("Content-Length: ");
  EXPECT_EQ(Body(a).size(), std::stoul(a.substr(cl + 16)));
}

}  // namespace
