// ServerProcess: a bench server variant running as a child process, and what /proc says about it.
//
// The bench starts each variant in a process of its own (this binary, `--serve=VARIANT`), so the
// variants never share a heap, threads or gRPC's global state, and their CPU time, peak RSS and
// thread count are theirs alone. The child prints "listening on 127.0.0.1:PORT" once it serves,
// and dies with its parent (PR_SET_PDEATHSIG), so a killed bench leaves no servers behind.
//
// Threads: a ServerProcess is used from one thread. PeakThreadSampler samples on its own thread.
#ifndef TANDEM_TOOLS_BENCH_SERVER_PROCESS_H_
#define TANDEM_TOOLS_BENCH_SERVER_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem::bench {

class ServerProcess {
 public:
  // Runs `argv` (argv[0] is the executable) and waits up to `ready_timeout` for its
  // "listening on HOST:PORT" line. Fails, and kills the child, if it exits or stays silent.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const std::vector<std::string>& argv,
                                                              absl::Duration ready_timeout);

  // Kills the child if it still runs.
  ~ServerProcess();

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"

  // SIGTERM, then waits up to `timeout` for the child to exit (SIGKILL after that). OK only if it
  // exited on its own with status 0.
  absl::Status Stop(absl::Duration timeout);

 private:
  ServerProcess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}

  pid_t pid_;
  int stdout_fd_;  // kept open so the child never writes into a closed pipe
  std::string address_;
  bool reaped_ = false;
};

// What /proc/<pid>/status and /proc/<pid>/stat say about a process.
struct ProcSample {
  int threads = 0;
  double vm_hwm_mib = 0;  // peak resident set size
  double vm_rss_mib = 0;
  double cpu_s = 0;  // user + system time since it started
};

absl::StatusOr<ProcSample> ReadProcSample(pid_t pid);

// Samples a process's thread count every `period` until stopped, and keeps the peak.
class PeakThreadSampler {
 public:
  PeakThreadSampler(pid_t pid, absl::Duration period);
  ~PeakThreadSampler();  // stops

  // Stops sampling (idempotent) and returns the peak seen.
  int Stop();

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> peak_{0};
  std::thread thread_;
};

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_SERVER_PROCESS_H_
