// The bench's server variants by name: the plain gRPC yardsticks (grpc_servers.h) and Tandem's
// handler styles and executors (tandem_servers.h).
#ifndef TANDEM_TOOLS_BENCH_SERVER_VARIANTS_H_
#define TANDEM_TOOLS_BENCH_SERVER_VARIANTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/bench/bench_server.h"

namespace tandem::bench {

// Every variant StartBenchServer knows in this build, in a stable order.
std::vector<std::string> BenchServerVariants();

// Starts the server variant `variant` (a name from BenchServerVariants) on 127.0.0.1:0.
absl::StatusOr<std::unique_ptr<BenchServer>> StartBenchServer(absl::string_view variant);

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_SERVER_VARIANTS_H_
