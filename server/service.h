// Service registration: handler styles, per-method executor binding and priority, stream limits,
// and the per-method stats a server reports.
//
// A service implementation derives from the generated `FooTandem::Service<Impl>` and writes each
// method of the .proto in exactly one handler style (see server/handlers.h). The style is read off the method's signature at compile time: no handler,
// or handlers in two styles, for one method is a compile error that names the method. A method
// the service deliberately leaves out is declared
//     static constexpr tandem::NotImplemented MethodName{};
// and answers UNIMPLEMENTED.
//
// Which executor runs each method is chosen when the server is built (ServiceOptions::Bind), not
// in the handler, so moving a method between executors touches neither the handler nor the client.
#ifndef TANDEM_SERVER_SERVICE_H_
#define TANDEM_SERVER_SERVICE_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "executors/executor.h"
#include "server/concurrency_limiter.h"
#include "server/latency_histogram.h"

namespace tandem {

namespace server_internal {
struct ServiceDefinition;
}  // namespace server_internal

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

// How a candidate implementation of a unary method is tried on live traffic beside the primary
// one (ServiceOptions::Shadow): a shadow call. The candidate runs after the primary handler has
// answered its client, on a copy of the request, and its answer is compared with the primary's
// and dropped. Only shadow methods whose side effects are safe to run twice (reads, idempotent
// writes): the candidate really runs.
struct ShadowOptions {
  // The share of calls shadowed, in [0, 1], spread evenly: 0.25 shadows every fourth call whose
  // primary handler ran. Outside [0, 1] fails BuildAndStart.
  double share = 1.0;
  // At most this many candidate calls at once; a call that would exceed it is not shadowed and
  // counts as skipped (MethodStats::shadow_skipped). Must be positive.
  int max_in_flight = 64;
  // Where the candidate runs. Null: the server's default executor for the candidate's style
  // (its thread pool, coroutine loop, or inline for callbacks). The bench and the docs give a
  // candidate an executor of its own, so that a slow candidate cannot take the primary's threads.
  std::shared_ptr<Executor> executor;
  // Response fields left out of the comparison, by their path from the response message:
  // "served_at", or "meta.request_id" for a field of a sub-message (ignored wherever that
  // sub-message's type appears). An unknown field fails BuildAndStart.
  std::vector<std::string> ignored_fields;
  // The first this many mismatches are logged (with the paths of the fields that differ) and
  // kept in MethodStats::shadow_mismatch_samples.
  int mismatches_logged = 5;
};

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

  // Answers `method`'s calls that waited longer than `limit` for their executor with
  // RESOURCE_EXHAUSTED, without running their handlers (fbthrift calls it a queue timeout), so a
  // client can retry elsewhere instead of waiting behind a backlog. Unset: no limit besides the
  // call's deadline. An unknown method fails BuildAndStart.
  ServiceOptions& SetMaxQueueTime(std::string method, absl::Duration limit) {
    max_queue_times_[std::move(method)] = limit;
    return *this;
  }

  const std::map<std::string, absl::Duration>& max_queue_times() const {
    return max_queue_times_;
  }

  // Admits `method`'s calls through `limiter` (server/concurrency_limiter.h): a call over its
  // limit is answered RESOURCE_EXHAUSTED at once. Methods given the same limiter share its limit.
  // Overrides ServerBuilder::SetExecutorConcurrencyLimiter and the default stream cap. An unknown
  // method, a null limiter or an unusable configuration (a limit of 0 or less) fails
  // BuildAndStart.
  ServiceOptions& SetConcurrencyLimiter(std::string method,
                                        std::shared_ptr<ConcurrencyLimiter> limiter) {
    limiters_[std::move(method)] = std::move(limiter);
    return *this;
  }

  const std::map<std::string, std::shared_ptr<ConcurrencyLimiter>>& limiters() const {
    return limiters_;
  }

  // Shadows the unary `method` with `candidate`'s handler (see ShadowOptions): `candidate` is
  // another implementation of the same service (a class derived from the same generated
  // FooTandem::Service<>, in any handler styles), typically the method rewritten. Its other
  // methods are not used. A method that is not unary or not in the service, or a candidate of
  // another service, fails BuildAndStart. `candidate` must outlive the server.
  template <class Candidate>
  ServiceOptions& Shadow(std::string method, Candidate& candidate, ShadowOptions options = {}) {
    static_assert(requires { candidate.TandemDefinition(); },
                  "Shadow takes a class derived from a generated FooTandem::Service<Impl>");
    shadows_[std::move(method)] = {
        std::make_shared<server_internal::ServiceDefinition>(candidate.TandemDefinition()),
        std::move(options)};
    return *this;
  }

  struct ShadowRegistration {
    std::shared_ptr<server_internal::ServiceDefinition> candidate;
    ShadowOptions options;
  };
  const std::map<std::string, ShadowRegistration>& shadows() const { return shadows_; }

  // Makes the unary `method` one-way: a call is answered OK, with an empty response, as soon as
  // its executor has accepted it, and its handler runs after that. The client learns only that
  // the call was admitted (the generated client's Cast form waits for just this); a call shed or
  // refused at admission still gets its RESOURCE_EXHAUSTED. The handler's outcome is counted
  // (MethodStats::one_way_ok / one_way_failed) and a failure is logged, never sent. The handler
  // runs without a deadline (the client stopped waiting), sees the client's metadata, and is
  // cancelled only by server shutdown; what it adds to metadata goes nowhere. A method that is
  // not unary or not in the service fails BuildAndStart.
  ServiceOptions& SetOneWay(std::string method) {
    one_way_.push_back(std::move(method));
    return *this;
  }

  const std::vector<std::string>& one_way() const { return one_way_; }

 private:
  std::map<std::string, std::shared_ptr<Executor>> bindings_;
  std::map<std::string, Priority> priorities_;
  std::map<std::string, absl::Duration> max_queue_times_;
  std::map<std::string, std::shared_ptr<ConcurrencyLimiter>> limiters_;
  std::map<std::string, ShadowRegistration> shadows_;
  std::vector<std::string> one_way_;
};

// Bounds on what one streaming call may hold in its write queue. A writer that would exceed them
// waits (blocking), is suspended (coroutine) or is called back later (callback) until the client
// has taken enough messages. A single message larger than max_queued_bytes is still sent, alone.
struct StreamLimits {
  size_t max_queued_messages = 64;
  size_t max_queued_bytes = 256 * 1024;
};

// How many gRPC status codes there are (OK = 0 ... UNAUTHENTICATED = 16).
inline constexpr size_t kStatusCodes = 17;

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
  // The same finished calls by status code, indexed by grpc::StatusCode (0 OK ... 16
  // UNAUTHENTICATED): the status the server sent, except that a call cancelled before its OK
  // reached the client counts as DEADLINE_EXCEEDED if its deadline had passed, else CANCELLED.
  // finished_ok is calls_by_code[0]; finished_error the sum of the others.
  std::array<uint64_t, kStatusCodes> calls_by_code{};
  uint64_t rejected = 0;        // the executor refused the call: RESOURCE_EXHAUSTED
  // Calls that ended before their handler ran, because they waited too long for the executor:
  // their deadline passed or their client cancelled meanwhile (expired), or they waited past
  // the method's SetMaxQueueTime (RESOURCE_EXHAUSTED).
  uint64_t expired_in_queue = 0;
  uint64_t queue_timeouts = 0;
  // Calls shed at the door by the method's concurrency limiter (RESOURCE_EXHAUSTED). They never
  // became calls of the server: `started` does not count them. And the limiter's current limit
  // (0: the method has none) and calls in, counting every method that shares the limiter.
  uint64_t shed = 0;
  int concurrency_limit = 0;
  int limiter_in_flight = 0;
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
  uint64_t stream_bytes_written = 0;  // the messages' serialized bytes
  size_t max_queued_bytes = 0;
  absl::Duration mean_write_handoff = absl::ZeroDuration();
  // The stages of the call path (see CallTimes in server/server_context.h), over the calls whose
  // handler ran: how many ran, how long they waited for their executor between receipt and the
  // handler's start (mean and max), and the mean time from that start to the status handed to
  // gRPC. Recorded when gRPC is done with each call.
  uint64_t ran = 0;
  absl::Duration mean_queued = absl::ZeroDuration();
  absl::Duration max_queued = absl::ZeroDuration();
  absl::Duration mean_running = absl::ZeroDuration();
  // The same stages as histograms (server/latency_histogram.h): over the calls that ran, the
  // time queued (received to started; its count is `ran`) and running (started to finished);
  // and over every call whose status was handed to gRPC, ran or not, the whole call (received
  // to finished).
  LatencyDistribution queued;
  LatencyDistribution running;
  LatencyDistribution duration;

  // One-way methods (ServiceOptions::SetOneWay): their calls are answered when admitted, so the
  // counts above are of those answers; these count how their handlers ended afterwards: OK, or
  // anything else (an error status, an exception, expired in the queue, cancelled by shutdown).
  bool one_way = false;
  uint64_t one_way_ok = 0;
  uint64_t one_way_failed = 0;

  // Shadowed methods (ServiceOptions::Shadow): the candidate's style and executor, and how its
  // answers compared with the primary's. A match is the same status code and message and, when
  // OK, responses equal but for the ignored fields. A candidate error is a candidate that did
  // not answer properly: it threw, dropped its responder, was refused or expired on its
  // executor, or answered after the call's deadline. Skipped: calls not shadowed because
  // max_in_flight candidate calls were running. `shadow_in_flight` are running now.
  bool shadowed = false;
  HandlerStyle shadow_style = HandlerStyle::kNotImplemented;
  std::string shadow_executor;
  uint64_t shadow_matches = 0;
  uint64_t shadow_mismatches = 0;
  uint64_t shadow_candidate_errors = 0;
  uint64_t shadow_skipped = 0;
  int shadow_in_flight = 0;
  // The first few mismatches (ShadowOptions::mismatches_logged), as logged: which fields or
  // statuses differed.
  std::vector<std::string> shadow_mismatch_samples;
};

}  // namespace tandem

#endif  // TANDEM_SERVER_SERVICE_H_
