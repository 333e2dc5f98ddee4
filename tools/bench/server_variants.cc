#include "tools/bench/server_variants.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/bench/grpc_servers.h"
#include "tools/bench/tandem_servers.h"

namespace tandem::bench {

std::vector<std::string> BenchServerVariants() {
  return {
      "grpc-callback",
      "grpc-sync",
      "tandem-callback",
      "tandem-callback-metrics",
      "tandem-coroutine",
      "tandem-blocking-threads",
      "tandem-blocking-threads-own-executor",
      "tandem-blocking-fibers",
      "tandem-callback-limit",
      "tandem-coroutine-limit",
      "tandem-blocking-threads-limit",
      "tandem-blocking-fibers-limit",
      "tandem-callback-shadowed",
      "tandem-coroutine-shadowed",
      "tandem-blocking-threads-shadowed",
      "tandem-blocking-fibers-shadowed",
  };
}

absl::StatusOr<std::unique_ptr<BenchServer>> StartBenchServer(absl::string_view variant) {
  if (variant == "grpc-callback") return StartGrpcCallbackServer();
  if (variant == "grpc-sync") return StartGrpcSyncServer();
  if (IsTandemVariant(variant)) return StartTandemServer(variant);
  return absl::InvalidArgumentError(absl::StrCat("unknown server variant '", variant,
                                                 "'; known: ",
                                                 absl::StrJoin(BenchServerVariants(), ", ")));
}

}  // namespace tandem::bench
