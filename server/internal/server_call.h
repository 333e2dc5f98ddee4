// ServerCall: one call on the server, whatever its RPC kind and handler style. It carries the
// per-call state every stage of the call path shares (call_path.h): the method, and the
// ServerContext with deadline, cancellation, priority and stage times. The reply shim of each
// kind derives from it (unary_call.h, stream_call.h).
//
// Its stages, where each runs, and what it records:
//   received  the constructor, on gRPC's dispatch thread: counts the call, stamps the time.
//   started   MarkStarted, on the executor just before the handler runs.
//   finished  the kind's PostFinish hands the status to gRPC (any thread): MarkFinished.
//   done      the kind's OnDone reaction (a gRPC thread) calls RecordDone: outcome and times go
//             into the method's stats.
//
// Threads: every member is thread-safe and never blocks.
// Lifetime: reference-counted. gRPC holds one reference until OnDone. Each handle of the handler
// (a unary responder, a stream handle, and the call path's own while the handler runs) holds one
// more; when the last handle goes while the call is unfinished, the call ends with INTERNAL: a
// handler that forgets to answer costs its call, never a hang.
#ifndef TANDEM_SERVER_INTERNAL_SERVER_CALL_H_
#define TANDEM_SERVER_INTERNAL_SERVER_CALL_H_

#include <atomic>
#include <exception>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "server/internal/method_binding.h"
#include "server/server_context.h"

namespace tandem::server_internal {

class ServerCall {
 public:
  ServerCall(const ServerCall&) = delete;
  ServerCall& operator=(const ServerCall&) = delete;

  MethodBinding& method() const { return method_; }
  ServerContext& context() { return context_; }
  const ServerContext& context() const { return context_; }

  // The reply shim: ends the call with `status` (after any queued writes). Any thread; never
  // blocks. First wins: returns false, and drops `status`, if the call was already finishing.
  virtual bool PostFinish(grpc::Status status) = 0;

  // The handler starts now (on its executor).
  void MarkStarted() { context_.MarkStarted(); }

  // The handler failed without a status of its own: it threw, or dropped its last handle
  // unfinished (the call's status says so already). Detached calls note it.
  virtual void NoteHandlerFailed() {}

  // Ends the call as its executor refused it (queue full, or shutting down): RESOURCE_EXHAUSTED,
  // counted, and refused() says so afterwards.
  void FinishRefused();
  bool refused() const { return refused_.load(std::memory_order_acquire); }

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  // A reference if the call is still alive, for code that finds it in a registry while it may
  // be being destroyed: false if the last reference is already gone.
  bool TryRef() {
    int refs = refs_.load(std::memory_order_relaxed);
    while (refs > 0 &&
           !refs_.compare_exchange_weak(refs, refs + 1, std::memory_order_relaxed)) {
    }
    return refs > 0;
  }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Handles are the handler's references. The last one dropped unfinished ends the call.
  void AddHandle() {
    handles_.fetch_add(1, std::memory_order_relaxed);
    Ref();
  }
  void ReleaseHandle();

 protected:
  // `handle_noun` names what the handler holds ("responder", "stream"), for the error sent when
  // it drops the last one unfinished.
  ServerCall(MethodBinding& method, grpc::CallbackServerContext* grpc_context,
             absl::string_view handle_noun);
  // A detached call (server_context.h): not one of the method's calls in its stats, since no
  // client sent it; the creator holds the first reference.
  ServerCall(MethodBinding& method, std::unique_ptr<const CallSnapshot> snapshot,
             absl::Time deadline, absl::string_view handle_noun);
  virtual ~ServerCall() = default;

  // For the kind's PostFinish, once its status is decided and just before gRPC gets it.
  void MarkFinished() { context_.MarkFinished(); }
  // For the kind's OnDone, with the code of the status the call handed to gRPC (none: it ended
  // without one). The call finished OK only if it sent OK and was not cancelled on the way (the
  // client then never saw the OK; gRPC runs OnCancel, if at all, before OnDone): it counts as
  // DEADLINE_EXCEEDED if its deadline had passed, else as CANCELLED.
  void RecordDone(std::optional<grpc::StatusCode> sent) {
    grpc::StatusCode code = sent.value_or(grpc::StatusCode::CANCELLED);
    if (code == grpc::StatusCode::OK && context_.IsCancelled()) {
      code = absl::Now() >= context_.deadline() ? grpc::StatusCode::DEADLINE_EXCEEDED
                                                : grpc::StatusCode::CANCELLED;
    }
    method_.RecordDone(context_.times(), code);
  }

  MethodBinding& method_;
  ServerContext context_;

 private:
  const absl::string_view handle_noun_;
  std::atomic<int> refs_{1};  // gRPC's, released by OnDone
  std::atomic<bool> refused_{false};
  std::atomic<int> handles_{0};
};

// A counted handle on a call: what each stream handle holds (server/stream.h).
class CallHandle {
 public:
  explicit CallHandle(ServerCall* call) : call_(call) { call_->AddHandle(); }
  CallHandle(const CallHandle& other) : call_(other.call_) { call_->AddHandle(); }
  CallHandle& operator=(const CallHandle&) = delete;
  ~CallHandle() { call_->ReleaseHandle(); }

  ServerCall* get() const { return call_; }

 private:
  ServerCall* const call_;
};

// Runs `handler` (which returns grpc::Status) and turns an exception into the call's error: a
// handler that throws costs its own call, never the server.
template <class Handler>
grpc::Status RunCatching(ServerCall& call, Handler&& handler) {
  MethodBinding& method = call.method();
  try {
    return handler();
  } catch (const std::exception& e) {
    method.exceptions.fetch_add(1, std::memory_order_relaxed);
    call.NoteHandlerFailed();
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(method.full_name, ": handler threw: ", e.what()));
  } catch (...) {
    method.exceptions.fetch_add(1, std::memory_order_relaxed);
    call.NoteHandlerFailed();
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(method.full_name, ": handler threw a non-standard exception"));
  }
}

// The status of a call whose executor refused it (queue full, or shutting down), uncounted.
grpc::Status RefusedStatus(const MethodBinding& method);

// The status of a call to a method declared tandem::NotImplemented.
grpc::Status UnimplementedStatus(const MethodBinding& method);

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_SERVER_CALL_H_
