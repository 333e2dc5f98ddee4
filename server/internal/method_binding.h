// MethodBinding: one method of a registered service as the server runs it (its executor,
// priority, limits and counters), and the definition generated code hands to ServerBuilder.
//
// Threads: the configuration is written once, while the server is built, and read-only after;
// the counters are updated from any thread and never block.
// Lifetime: owned by the Server; outlives every call to the method.
#ifndef TANDEM_SERVER_INTERNAL_METHOD_BINDING_H_
#define TANDEM_SERVER_INTERNAL_METHOD_BINDING_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "executors/executor.h"
#include "executors/work_label.h"
#include "grpcpp/impl/codegen/rpc_method.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "grpcpp/support/status.h"
#include "server/concurrency_limiter.h"
#include "server/latency_histogram.h"
#include "server/server_context.h"
#include "server/service.h"

namespace tandem::server_internal {

class DetachedCallRegistry;
class DetachedUnaryMethod;
class Shadow;

struct MethodBinding {
  std::string full_name;  // "/package.Service/Method"
  HandlerStyle style = HandlerStyle::kNotImplemented;
  std::shared_ptr<Executor> executor;
  Priority priority = Priority::kNormal;
  WorkLabel label;  // named full_name: what the watchdog reports, and its count
  StreamLimits stream_limits;
  absl::Duration max_queue_time = absl::InfiniteDuration();  // ServiceOptions::SetMaxQueueTime
  absl::Duration deadline_margin = absl::ZeroDuration();     // ServerBuilder::SetDeadlineMargin
  // Admits calls at the door (ServiceOptions::SetConcurrencyLimiter and the defaults); null: no
  // limit besides the executor's queue.
  std::shared_ptr<ConcurrencyLimiter> limiter;
  // ServiceOptions::SetOneWay: calls are answered when admitted, the handler runs detached.
  bool one_way = false;
  // ServiceOptions::Shadow: the candidate tried beside the primary; null if none.
  std::shared_ptr<Shadow> shadow;
  // The server's, for the method's detached calls (one-way handlers, shadow candidates).
  DetachedCallRegistry* detached_calls = nullptr;

  // How the method's work is posted to its executor.
  PostOptions post_options() const { return {.priority = priority, .label = &label}; }

  std::atomic<uint64_t> started{0};
  // Finished calls by the code they ended with (MethodStats::calls_by_code).
  std::array<std::atomic<uint64_t>, kStatusCodes> calls_by_code{};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> exceptions{0};
  std::atomic<uint64_t> malformed_requests{0};
  std::atomic<uint64_t> expired_in_queue{0};
  std::atomic<uint64_t> queue_timeouts{0};
  std::atomic<uint64_t> shed{0};
  std::atomic<uint64_t> one_way_ok{0};
  std::atomic<uint64_t> one_way_failed{0};

  std::atomic<uint64_t> stream_messages_written{0};
  std::atomic<uint64_t> stream_bytes_written{0};
  std::atomic<uint64_t> write_handoffs{0};
  std::atomic<int64_t> total_write_handoff_ns{0};
  std::atomic<size_t> max_queued_bytes{0};

  // The stage times: of the calls whose handler ran (queued, running), and of every call whose
  // status went to gRPC (duration).
  LatencyHistogram queued;
  LatencyHistogram running;
  LatencyHistogram duration;
  std::atomic<int64_t> max_queued_ns{0};

  void RecordQueuedBytes(size_t bytes) { RaiseTo(max_queued_bytes, bytes); }
  void RecordWriteHandoff(absl::Duration waited) {
    write_handoffs.fetch_add(1, std::memory_order_relaxed);
    total_write_handoff_ns.fetch_add(absl::ToInt64Nanoseconds(waited), std::memory_order_relaxed);
  }
  void RecordWritten(size_t bytes) {
    stream_messages_written.fetch_add(1, std::memory_order_relaxed);
    stream_bytes_written.fetch_add(bytes, std::memory_order_relaxed);
  }

  // The last stage of the call path: counts the call's outcome and, of the stages it reached,
  // the time it waited for its executor, ran, and took in all. A handful of relaxed atomic
  // additions: one code counter, one bucket and one sum per histogram.
  void RecordDone(const CallTimes& times, grpc::StatusCode code) {
    const auto index = static_cast<size_t>(code);  // gRPC's codes are 0 to 16
    calls_by_code[index < kStatusCodes ? index : size_t{grpc::StatusCode::UNKNOWN}].fetch_add(
        1, std::memory_order_relaxed);
    const bool finished = times.finished != absl::InfinitePast();
    const bool ran = times.started != absl::InfinitePast();
    if (finished) duration.Record(times.finished - times.received);
    if (limiter) {
      limiter->Release(ran && finished ? times.finished - times.received
                                       : absl::InfiniteDuration());
    }
    if (!ran) return;
    const absl::Duration waited = times.started - times.received;
    queued.Record(waited);
    RaiseTo(max_queued_ns, absl::ToInt64Nanoseconds(waited));
    if (finished) running.Record(times.finished - times.started);
  }

 private:
  template <class T>
  static void RaiseTo(std::atomic<T>& max, T value) {
    T seen = max.load(std::memory_order_relaxed);
    while (value > seen && !max.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
    }
  }
};

// The member-function type of a handler: how generated code reads a handler's style off its
// signature (the return type says blocking, coroutine or callback).
template <class Result, class Impl, class... Args>
using HandlerFn = Result (Impl::*)(Args...);

struct MethodInfo {
  absl::string_view name;  // as in the .proto
  HandlerStyle style;
  grpc::internal::RpcMethod::RpcType kind;
};

// What generated code gives ServerBuilder::RegisterService.
struct ServiceDefinition {
  absl::string_view full_name;  // "package.Service"
  std::vector<MethodInfo> methods;
  // Makes gRPC's callback service for the implementation; `bindings` parallels `methods`.
  absl::AnyInvocable<std::unique_ptr<grpc::Service>(std::vector<MethodBinding*> bindings)>
      make_grpc_service;
  // Parallels `methods`: how each unary method runs detached (one-way handlers, shadow
  // candidates); null for streaming methods and those declared NotImplemented.
  std::vector<std::shared_ptr<const DetachedUnaryMethod>> detached_methods;
};

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_METHOD_BINDING_H_
