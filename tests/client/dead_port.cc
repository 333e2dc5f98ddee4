#include "tests/client/dead_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tandem::testing {

DeadPort::DeadPort() {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "cannot bind a loopback port: " << std::strerror(errno);
    return;
  }
  port_ = ntohs(address.sin_port);
}

DeadPort::~DeadPort() {
  if (fd_ >= 0) close(fd_);
}

std::string DeadPort::target() const { return absl::StrCat("127.0.0.1:", port_); }

}  // namespace tandem::testing
