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

#include "absl/time/time.h"

namespace tandem::bench {

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
