// Fuzz target: the log line splitter behind --log-prefix (FormatNextLine,
// AppendPending in src/output.h), driven the way the loop drives it.
//
// Input: byte 0 picks the name (length 0-40, or none); then a stream of
// operations, one byte each:
//   op % 4 == 0  append: the next byte is a length n, the n bytes after it
//                are the sidecar's output (what does not fit in pending
//                waits, as it would in the pipe)
//   op % 4 == 1  format the next line, as on readable data
//   op % 4 == 2  format with force_partial, as when the 200 ms timer fires
//   op % 4 == 3  the clock moves on by op / 4 ms
// Formatted lines are collected (the target "writes" them at once); at the
// end everything left is drained as at exit.
//
// Properties checked:
//  - pending_len and out_len stay within their buffers;
//  - every line is "NAME | text\n" with no newline inside text and text at
//    most kMaxLine bytes;
//  - nothing is lost, duplicated or reordered: the texts concatenated equal
//    the output with its newlines removed;
//  - without forced flushes and with every input line shorter than kMaxLine,
//    the lines are exactly the input (plus a final newline if it had none);
//  - without forced flushes, valid UTF-8 output is never cut inside a
//    character.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "output.h"

namespace {

// Structurally valid UTF-8: each lead byte followed by its continuation
// bytes (overlong forms and surrogates are not the splitter's concern).
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t need;
    if (c < 0x80) need = 0;
    else if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if ((c & 0xF0) == 0xE0) need = 2;
    else if (c >= 0xF0 && c <= 0xF4) need = 3;
    else return false;
    if (i + need >= s.size()) return false;
    for (size_t k = 1; k <= need; k++)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += need + 1;
  }
  return true;
}

struct Model {
  std::unique_ptr<OutputStream> s = std::make_unique<OutputStream>();
  const char* name = nullptr;
  std::string prefix;           // what each line must start with
  std::string input;            // every byte the sidecar wrote
  std::string waiting;          // written but not yet taken into pending
  std::string texts;            // the texts of the formatted lines, concatenated
  std::string lines;            // the lines as written, prefix removed
  bool forced = false;
  Millis now = 1;

  void CheckState() const {
    FUZZ_REQUIRE(s->pending_len >= 0 && s->pending_len <= kMaxLine);
    FUZZ_REQUIRE(s->out_len >= 0 && s->out_len <= static_cast<int>(sizeof s->out));
  }

  // Takes the formatted line, as a successful write would.
  void Collect() {
    std::string_view line(s->out, static_cast<size_t>(s->out_len));
    FUZZ_REQUIRE(line.size() >= prefix.size() + 1);
    FUZZ_REQUIRE(line.substr(0, prefix.size()) == prefix);
    FUZZ_REQUIRE(line.back() == '\n');
    std::string_view text = line.substr(prefix.size(), line.size() - prefix.size() - 1);
    FUZZ_REQUIRE(text.size() <= static_cast<size_t>(kMaxLine));
    FUZZ_REQUIRE(text.find('\n') == std::string_view::npos);
    texts.append(text);
    lines.append(text);
    lines += '\n';
    s->out_len = 0;
    s->out_off = 0;
  }

  void Feed() {
    if (waiting.empty()) return;
    int n = AppendPending(s.get(), waiting.data(), static_cast<int>(waiting.size()), now);
    FUZZ_REQUIRE(n >= 0 && n <= static_cast<int>(waiting.size()));
    waiting.erase(0, static_cast<size_t>(n));
  }

  void Format(bool force) {
    if (force) forced = true;
    if (FormatNextLine(s.get(), name, force)) Collect();
  }

  // At exit: everything buffered comes out.
  void Drain() {
    for (int guard = 0; guard < 1000000; guard++) {
      Feed();
      if (FormatNextLine(s.get(), name, false)) {
        Collect();
        continue;
      }
      if (!waiting.empty()) continue;
      if (s->pending_len > 0 && FormatNextLine(s.get(), name, true)) {
        Collect();
        continue;
      }
      return;
    }
    FUZZ_REQUIRE(false && "drain does not end");
  }
};

std::string WithoutNewlines(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '\n') out += c;
  return out;
}

bool LinesFit(std::string_view s) {
  size_t start = 0;
  for (;;) {
    size_t nl = s.find('\n', start);
    size_t end = nl == std::string_view::npos ? s.size() : nl;
    // A line and its newline fit in pending together: it is never split.
    if (end - start >= static_cast<size_t>(kMaxLine)) return false;
    if (nl == std::string_view::npos) return true;
    start = nl + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Model m;
  static const char kLongName[] = "abcdefghijklmnopqrstuvwxyz0123456789-._x";
  std::string name_storage;
  if (data[0] != 0xff) {
    name_storage.assign(kLongName, data[0] % 41);
    m.name = name_storage.c_str();
    m.prefix = name_storage.substr(0, kMaxNameLen);
  }
  m.prefix += " | ";
  size_t i = 1;
  while (i < size) {
    uint8_t op = data[i++];
    switch (op % 4) {
      case 0: {
        if (i >= size) break;
        size_t n = data[i++];
        if (n > size - i) n = size - i;
        std::string_view chunk(reinterpret_cast<const char*>(data + i), n);
        i += n;
        m.input.append(chunk);
        m.waiting.append(chunk);
        m.Feed();
        break;
      }
      case 1: m.Format(false); m.Feed(); break;
      case 2: m.Format(true); m.Feed(); break;
      case 3: m.now += op / 4; break;
    }
    m.CheckState();
  }
  m.Drain();
  m.CheckState();
  FUZZ_REQUIRE(m.s->pending_len == 0 && m.waiting.empty());

  FUZZ_REQUIRE(m.texts == WithoutNewlines(m.input));
  if (!m.forced && LinesFit(m.input)) {
    std::string want = m.input;
    if (!want.empty() && want.back() != '\n') want += '\n';
    FUZZ_REQUIRE(m.lines == want);
  }
  if (!m.forced && ValidUtf8(m.input)) {
    size_t start = 0;
    while (start < m.lines.size()) {
      size_t nl = m.lines.find('\n', start);
      FUZZ_REQUIRE(ValidUtf8(std::string_view(m.lines).substr(start, nl - start)));
      start = nl + 1;
    }
  }
  return 0;
}
