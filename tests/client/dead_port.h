// DeadPort: a loopback port where no server listens, for as long as the object lives.
//
// The port is bound (so nothing else takes it) but never listened on: a connection to it is
// refused at once, as to a server that is down.
// Threads: construct and destroy on one thread; target() from any.
#ifndef TANDEM_TESTS_CLIENT_DEAD_PORT_H_
#define TANDEM_TESTS_CLIENT_DEAD_PORT_H_

#include <string>

namespace tandem::testing {

class DeadPort {
 public:
  DeadPort();  // fails the calling test (ADD_FAILURE) if no port can be bound
  ~DeadPort();

  DeadPort(const DeadPort&) = delete;
  DeadPort& operator=(const DeadPort&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:<port>".
  std::string target() const;

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_CLIENT_DEAD_PORT_H_
