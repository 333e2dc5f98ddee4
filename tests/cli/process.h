// Test helpers that run real binaries: the `tandem` tool, and servers on a free port.
//
// RunTandem runs //tools/cli:tandem to completion (under `timeout`, so a hang fails the test
// after a minute instead of stalling it) and returns what it printed and its exit code.
// ServerProcess starts a server binary with --port=0, waits for its "listening on ADDRESS"
// line and kills it (SIGKILL) when destroyed.
//
// Threads: call from the test's thread. Paths are runfiles paths ("tandem/tools/cli/tandem").
#ifndef TANDEM_TESTS_CLI_PROCESS_H_
#define TANDEM_TESTS_CLI_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace tandem::cli_test {

// The absolute path of a runfile, e.g. Runfile("grpc_proto/grpc/testing/test.proto").
std::string Runfile(const std::string& path);

struct Result {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs tandem with `args`, feeding it `stdin_text`.
Result RunTandem(const std::vector<std::string>& args, const std::string& stdin_text = "");

class ServerProcess {
 public:
  // Starts the binary at runfiles path `binary` with --port=0 and `flags`; fails the test
  // (ADD_FAILURE) and leaves address() empty if it does not report its address within 30 s.
  explicit ServerProcess(const std::string& binary, const std::vector<std::string>& flags = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // "127.0.0.1:PORT"
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` (SIGSTOP, SIGCONT, ...) to the server.
  void Signal(int signal) const;
  // SIGKILL, and waits for the process to be gone; the destructor then does nothing.
  void Kill();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string address_;
};

// A loopback address nobody listens on: a port the kernel picked for a socket now closed.
std::string UnusedAddress();

}  // namespace tandem::cli_test

#endif  // TANDEM_TESTS_CLI_PROCESS_H_
