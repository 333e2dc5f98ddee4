#include "client/fan_out.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace tandem {
namespace {

// Splits "host:port", "[v6]:port" into host and port; false if there is no port.
bool SplitHostPort(absl::string_view name_and_port, std::string* host, std::string* port) {
  if (absl::ConsumePrefix(&name_and_port, "[")) {
    const size_t close = name_and_port.find("]:");
    if (close == absl::string_view::npos) return false;
    *host = std::string(name_and_port.substr(0, close));
    *port = std::string(name_and_port.substr(close + 2));
  } else {
    const size_t colon = name_and_port.rfind(':');
    if (colon == absl::string_view::npos) return false;
    *host = std::string(name_and_port.substr(0, colon));
    *port = std::string(name_and_port.substr(colon + 1));
    // An IPv6 address needs brackets: "::1:50051" is ambiguous.
    if (host->find(':') != std::string::npos) return false;
  }
  return !host->empty() && !port->empty();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ResolveFanOutTargets(
    absl::string_view dns_name_and_port) {
  absl::string_view name = absl::StripAsciiWhitespace(dns_name_and_port);
  absl::ConsumePrefix(&name, "dns:///");
  std::string host;
  std::string port;
  if (!SplitHostPort(name, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("fan-out target \"", dns_name_and_port,
                     "\" is not \"host:port\" (an IPv6 address in brackets: \"[::1]:50051\")"));
  }
  int port_number = 0;
  if (!absl::SimpleAtoi(port, &port_number) || port_number < 1 || port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("fan-out target \"", dns_name_and_port,
                                                   "\": port \"", port,
                                                   "\" is not a number in [1, 65535]"));
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (error != 0) {
    const std::string message = absl::StrCat("cannot resolve fan-out target \"",
                                             dns_name_and_port, "\": ", gai_strerror(error));
    switch (error) {
      case EAI_NONAME:
#ifdef EAI_NODATA
      case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
      case EAI_ADDRFAMILY:
#endif
        return absl::NotFoundError(message);
      default:
        return absl::UnavailableError(message);
    }
  }
  std::vector<std::string> targets;
  for (const addrinfo* each = found; each != nullptr; each = each->ai_next) {
    if (each->ai_family != AF_INET && each->ai_family != AF_INET6) continue;
    char address[NI_MAXHOST];
    if (getnameinfo(each->ai_addr, each->ai_addrlen, address, sizeof(address), nullptr, 0,
                    NI_NUMERICHOST) != 0) {
      continue;
    }
    std::string target = each->ai_family == AF_INET
                             ? absl::StrCat("ipv4:", address, ":", port_number)
                             : absl::StrCat("ipv6:[", address, "]:", port_number);
    if (std::find(targets.begin(), targets.end(), target) == targets.end()) {
      targets.push_back(std::move(target));
    }
  }
  freeaddrinfo(found);
  if (targets.empty()) {
    return absl::NotFoundError(absl::StrCat("fan-out target \"", dns_name_and_port,
                                            "\" resolves to no IPv4 or IPv6 address"));
  }
  return targets;
}

namespace client_internal {

CallOptions WithOneDeadline(CallOptions options) {
  if (options.timeout() != absl::InfiniteDuration()) {
    options.set_deadline(std::min(options.deadline(), absl::Now() + options.timeout()));
    options.set_timeout(absl::InfiniteDuration());
  }
  return options;
}

absl::Status ValidateFanOutTargets(const std::vector<std::string>& targets) {
  if (targets.empty()) {
    return absl::InvalidArgumentError(
        "a fan-out needs at least one target, and the target list is empty");
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    if (absl::StripAsciiWhitespace(targets[i]).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("fan-out target ", i, " of ", targets.size(), " is empty"));
    }
  }
  return absl::OkStatus();
}

}  // namespace client_internal
}  // namespace tandem
