// BenchServer: one running server variant of the bench, plain gRPC or Tandem.
//
// Every variant serves the same tandem.bench.Bench service (bench.proto) on 127.0.0.1 and a port
// it picked, so the load generator cannot tell them apart except by how fast they answer.
//
// Variants are listed and started by name in server_variants.h.
//
// Threads: port() and Shutdown() are called from the thread that started the server.
// Lifetime: destroying a server shuts it down (with no grace period) if Shutdown was not called.
#ifndef TANDEM_TOOLS_BENCH_BENCH_SERVER_H_
#define TANDEM_TOOLS_BENCH_BENCH_SERVER_H_

#include <time.h>

#include <cstdint>

#include "absl/time/time.h"

namespace tandem::bench {

// What every variant's Echo does with BenchRequest::spin_us: keeps its thread busy until the
// thread has used `microseconds` of CPU time (a handler's real work, as far as load goes).
inline void BurnCpu(int64_t microseconds) {
  if (microseconds <= 0) return;
  auto thread_cpu_ns = [] {
    timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
  };
  const int64_t until = thread_cpu_ns() + microseconds * 1000;
  while (thread_cpu_ns() < until) {
  }
}

class BenchServer {
 public:
  virtual ~BenchServer() = default;

  // The loopback port the server listens on.
  virtual int port() const = 0;

  // Stops accepting calls, gives in-flight calls `grace` to finish, cancels the rest. Blocks.
  virtual void Shutdown(absl::Duration grace) = 0;
};

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_BENCH_SERVER_H_
