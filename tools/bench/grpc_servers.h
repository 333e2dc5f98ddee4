// The yardsticks: tandem.bench.Bench served by plain gRPC, without Tandem.
//
//   grpc-callback  gRPC's callback API. Echo replies inline on the gRPC thread that got the call;
//                  Sleep arms a grpc::Alarm and replies from its callback, holding no thread;
//                  Stream writes one message at a time from a ServerWriteReactor, reusing one
//                  reply message.
//   grpc-sync      gRPC's synchronous API. Each call holds one of gRPC's sync-server threads for
//                  as long as it runs, so Sleep holds one for the whole wait; gRPC adds threads
//                  when all are busy. Stream loops over ServerWriter::Write.
//
// Both are kept as small as gRPC allows: they are what Tandem's variants are measured against.
#ifndef TANDEM_TOOLS_BENCH_GRPC_SERVERS_H_
#define TANDEM_TOOLS_BENCH_GRPC_SERVERS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "tools/bench/bench_server.h"

namespace tandem::bench {

absl::StatusOr<std::unique_ptr<BenchServer>> StartGrpcCallbackServer();
absl::StatusOr<std::unique_ptr<BenchServer>> StartGrpcSyncServer();

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_GRPC_SERVERS_H_
