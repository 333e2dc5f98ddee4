// Tandem's variants of the bench service: one service class per handler style, each served with
// Tandem's defaults unless the variant says otherwise.
//
//   tandem-callback                  callback style, inline on gRPC's callback thread (the
//                                    default for callbacks). Echo only: Sleep is NotImplemented.
//   tandem-coroutine                 coroutine style on the server's CoroutineLoop; Sleep
//                                    co_awaits tandem::AsyncSleepFor (an Asio timer).
//   tandem-blocking-threads          blocking style on the server's default ThreadPool; Sleep
//                                    parks its pool thread (tandem::SleepFor).
//   tandem-blocking-threads-own-executor
//                                    as tandem-blocking-threads, but Sleep is bound to a
//                                    ThreadPool of its own (default options), so slow calls
//                                    cannot take the threads Echo runs on.
//   tandem-blocking-fibers           the same blocking service on a FiberPool (default options:
//                                    one thread per core); tandem::SleepFor suspends the fiber.
//   <any of these>-shadowed          the same, with every Echo call shadowed (ServiceOptions::
//                                    Shadow, share 1.0, default max_in_flight of 64) to the
//                                    coroutine service's Echo on a CoroutineLoop of its own
//                                    ("bench-shadow"): the candidate runs after the primary has
//                                    answered, on a copy of the request, and its answer is
//                                    compared with the primary's.
//   <any of these>-limit             the same, with an adaptive ConcurrencyLimiter (default
//                                    options) on each method: calls over it are shed at once.
//   <any of these>[-limit]-metrics   the same, exporting its metrics in Prometheus' format
//                                    (metrics/prometheus_exporter.h), scraped over HTTP once a
//                                    second by a thread of the server's process (MetricsScraper).
#ifndef TANDEM_TOOLS_BENCH_TANDEM_SERVERS_H_
#define TANDEM_TOOLS_BENCH_TANDEM_SERVERS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/bench/bench_server.h"

namespace tandem::bench {

// True if `variant` is one of the Tandem variants above.
bool IsTandemVariant(absl::string_view variant);

// Starts the Tandem variant `variant` on 127.0.0.1:0.
absl::StatusOr<std::unique_ptr<BenchServer>> StartTandemServer(absl::string_view variant);

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_TANDEM_SERVERS_H_
