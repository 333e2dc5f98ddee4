// Service registration: handler styles, per-method executor binding, and what generated code
// hands to the server.
//
// A service implementation derives from the generated `FooTandem::Service<Impl>` and writes each
// method of the .proto in exactly one handler style (see handler_blocking.h, handler_coroutine.h,
// handler_callback.h). The style is read off the method's signature at compile time: no handler,
// or handlers in two styles, for one method is a compile error that names the method. A method
// the service deliberately leaves out is declared
//     static constexpr tandem::NotImplemented MethodName{};
// and answers UNIMPLEMENTED.
//
// Which executor runs each method is chosen when the server is built (ServiceOptions::Bind), not
// in the handler, so moving a method between executors touches neither the handler nor the client.
#ifndef TANDEM_SERVER_SERVICE_H_
#define TANDEM_SERVER_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "executors/coroutine_loop.h"
#include "executors/executor.h"
#include "grpcpp/impl/codegen/service_type.h"

namespace tandem {

// How a handler is written. Read off its signature; never declared by hand.
enum class HandlerStyle {
  kBlocking,        // returns grpc::Status; may block; runs on a thread pool
  kCoroutine,       // returns Task<grpc::Status>; runs on a coroutine loop
  kCallback,        // gets a responder and finishes it later, from any thread
  kNotImplemented,  // declared tandem::NotImplemented: answers UNIMPLEMENTED
};

absl::string_view HandlerStyleName(HandlerStyle style);

// Declares a method the service does not implement (see the top of this file).
struct NotImplemented {};

// Per-service choices made when the server is built.
class ServiceOptions {
 public:
  // Runs `method` (its name in the .proto, e.g. "SayHello") on `executor`. Checked when the server
  // starts: an unknown method, or an executor that cannot run the method's handler style (a
  // blocking handler on a coroutine loop or inline), fails BuildAndStart with a message naming it.
  ServiceOptions& Bind(std::string method, std::shared_ptr<Executor> executor) {
    bindings_[std::move(method)] = std::move(executor);
    return *this;
  }

  const std::map<std::string, std::shared_ptr<Executor>>& bindings() const { return bindings_; }

  // Runs `method`'s calls at `priority` on its executor (default Priority::kNormal): a high
  // method's calls start before queued normal ones, an idle method's only when no high or normal
  // work is waiting (see Priority in executors/executor.h). An unknown method fails BuildAndStart.
  ServiceOptions& SetPriority(std::string method, Priority priority) {
    priorities_[std::move(method)] = priority;
    return *this;
  }

  const std::map<std::string, Priority>& priorities() const { return priorities_; }

 private:
  std::map<std::string, std::shared_ptr<Executor>> bindings_;
  std::map<std::string, Priority> priorities_;
};

// Bounds on what one streaming call may hold in its write queue. A writer that would exceed them
// waits (blocking), is suspended (coroutine) or is called back later (callback) until the client
// has taken enough messages. A single message larger than max_queued_bytes is still sent, alone.
struct StreamLimits {
  size_t max_queued_messages = 64;
  size_t max_queued_bytes = 256 * 1024;
};

// Counters of one method, since the server started. Thread-safe to read at any time.
struct MethodStats {
  std::string method;  // "/package.Service/Method"
  HandlerStyle style;
  std::string executor;
  uint64_t started = 0;
  uint64_t finished_ok = 0;
  // Any other end: a non-OK status (rejections and exceptions too), or a call cancelled before
  // its status reached the client. Counted when gRPC is done with the call (OnDone), so
  // started == finished_ok + finished_error once the server is idle.
  uint64_t finished_error = 0;
  uint64_t rejected = 0;        // the executor refused the call: RESOURCE_EXHAUSTED
  uint64_t exceptions = 0;      // the handler threw: INTERNAL
  // Requests (or streamed request messages) that were not a valid encoding of the method's
  // request type: each ends its call with INTERNAL before (or without) the handler seeing it.
  uint64_t malformed_requests = 0;
  // Times the watchdog saw one of the method's calls hold its thread past the executor's
  // threshold (see executors/watchdog.h; the log names the thread and the time held).
  uint64_t watchdog_reports = 0;
  // Streaming methods: messages written, the most bytes any one call had queued, and the mean
  // time a message waited in its call's queue before gRPC took it.
  uint64_t stream_messages_written = 0;
  size_t max_queued_bytes = 0;
  absl::Duration mean_write_handoff = absl::ZeroDuration();
};

namespace server_internal {

// One method of one registered service, as the server runs it. Owned by the Server; outlives
// every call to the method. Counters are updated from any thread.
struct MethodBinding {
  std::string full_name;  // "/package.Service/Method"
  HandlerStyle style = HandlerStyle::kNotImplemented;
  std::shared_ptr<Executor> executor;
  CoroutineLoop* loop = nullptr;  // `executor`, when the style is kCoroutine
  Priority priority = Priority::kNormal;
  WorkLabel label;  // named full_name: what the watchdog reports, and its count

  // How the method's work is posted to its executor.
  PostOptions post_options() const { return {.priority = priority, .label = &label}; }

  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> finished_ok{0};
  std::atomic<uint64_t> finished_error{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> exceptions{0};
  std::atomic<uint64_t> malformed_requests{0};

  StreamLimits stream_limits;
  std::atomic<uint64_t> stream_messages_written{0};
  std::atomic<uint64_t> write_handoffs{0};
  std::atomic<int64_t> total_write_handoff_ns{0};
  std::atomic<size_t> max_queued_bytes{0};

  void RecordQueuedBytes(size_t bytes) {
    size_t max = max_queued_bytes.load(std::memory_order_relaxed);
    while (bytes > max &&
           !max_queued_bytes.compare_exchange_weak(max, bytes, std::memory_order_relaxed)) {
    }
  }
  void RecordWriteHandoff(absl::Duration waited) {
    write_handoffs.fetch_add(1, std::memory_order_relaxed);
    total_write_handoff_ns.fetch_add(absl::ToInt64Nanoseconds(waited), std::memory_order_relaxed);
  }
};

// The member-function type of a handler: how generated code reads a handler's style off its
// signature (the return type says blocking, coroutine or callback).
template <class Result, class Impl, class... Args>
using HandlerFn = Result (Impl::*)(Args...);

struct MethodInfo {
  absl::string_view name;  // as in the .proto
  HandlerStyle style;
};

// What generated code gives ServerBuilder::RegisterService.
struct ServiceDefinition {
  absl::string_view full_name;  // "package.Service"
  std::vector<MethodInfo> methods;
  // Makes gRPC's callback service for the implementation; `bindings` parallels `methods`.
  absl::AnyInvocable<std::unique_ptr<grpc::Service>(std::vector<MethodBinding*> bindings)>
      make_grpc_service;
};

}  // namespace server_internal
}  // namespace tandem

#endif  // TANDEM_SERVER_SERVICE_H_
