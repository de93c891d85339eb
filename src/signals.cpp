#include "signals.h"

#include <csignal>
#include <cstdio>

#include "units.h"

namespace {

// Packed (name inline, not a pointer) to keep the table small.
struct NamedSignal {
  char name[7];
  unsigned char number;
};

constexpr NamedSignal kNames[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},     {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},      {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},         {"POLL", SIGPOLL},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

Result<int> Bad(std::string_view text) {
  return Result<int>::Fail("unknown signal '%.*s': use a name like TERM or SIGUSR1, RTMIN+N, or a number 1-%d",
                           (int)text.size(), text.data(), SIGRTMAX);
}

}  // namespace

Result<int> ParseSignal(std::string_view text, bool allow_zero) {
  if (text.empty()) return Bad(text);
  if (text[0] >= '0' && text[0] <= '9') {
    auto n = ParseUnsigned(text, SIGRTMAX);
    if (!n.ok || (n.value == 0 && !allow_zero)) return Bad(text);
    return Result<int>::Ok(static_cast<int>(n.value));
  }
  std::string_view name = text;
  if (name.size() > 3 && StartsNoCase(name, "SIG")) name.remove_prefix(3);
  for (const auto& s : kNames)
    if (EqualsNoCase(name, s.name)) return Result<int>::Ok(s.number);
  // RTMIN, RTMIN+N, RTMAX, RTMAX-N. glibc reserves the first few real-time
  // signals for itself, so SIGRTMIN is a run-time value, not a constant.
  bool from_min = StartsNoCase(name, "RTMIN");
  bool from_max = StartsNoCase(name, "RTMAX");
  if (!from_min && !from_max) return Bad(text);
  std::string_view rest = name.substr(5);
  int offset = 0;
  if (!rest.empty()) {
    if (rest[0] != (from_min ? '+' : '-')) return Bad(text);
    auto n = ParseUnsigned(rest.substr(1), SIGRTMAX - SIGRTMIN);
    if (!n.ok) return Bad(text);
    offset = static_cast<int>(n.value);
  }
  return Result<int>::Ok(from_min ? SIGRTMIN + offset : SIGRTMAX - offset);
}

const char* SignalName(int sig, char* buf, int size) {
  for (const auto& s : kNames) {
    if (s.number == sig) {
      snprintf(buf, size, "%s", s.name);
      return buf;
    }
  }
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) snprintf(buf, size, "RTMIN+%d", sig - SIGRTMIN);
  else snprintf(buf, size, "%d", sig);
  return buf;
}

bool IsShutdownSignal(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT; }
