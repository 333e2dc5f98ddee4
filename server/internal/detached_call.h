// DetachedCall: a unary call that Tandem runs with no gRPC call behind it: a shadow candidate's
// copy of a call (shadow.h), or a one-way method's handler after its call was answered
// (start_call.h). It takes the same call path as any call (call_path.h: hand off, start, run,
// finish), in any handler style; finishing it runs its completion instead of sending anything.
// Its ServerContext is a detached one (server/server_context.h).
//
// Threads: PostFinish may be called from any thread and never blocks. The completion runs once,
// on the thread that finishes the call (the handler's executor, a callback handler's thread, or
// the dispatch thread whose hand-off was refused), and must never block.
// Lifetime: reference-counted like every ServerCall; the creator's first reference is released
// when the call finishes. A DetachedCallRegistry knows the call from construction to
// destruction, so that the server's Shutdown can wait for it, and cancel it.
#ifndef TANDEM_SERVER_INTERNAL_DETACHED_CALL_H_
#define TANDEM_SERVER_INTERNAL_DETACHED_CALL_H_

#include <atomic>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"
#include "server/internal/method_binding.h"
#include "server/internal/server_call.h"

namespace tandem::server_internal {

class DetachedCall;

// The detached calls of one server, in an intrusive list (no allocation per call).
// Thread-safe; Add and Remove never block for long (one mutex, held to link or unlink a call).
class DetachedCallRegistry {
 public:
  void Add(DetachedCall* call) ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(DetachedCall* call) ABSL_LOCKS_EXCLUDED(mu_);

  // Waits, blocking, until no call is left or `deadline` passes; true if none is left.
  bool WaitUntilEmpty(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  // Cancels every call left: their handlers see IsCancelled, and those still queued end
  // without running.
  void CancelAll() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  DetachedCall* first_ ABSL_GUARDED_BY(mu_) = nullptr;
};

class DetachedCall : public ServerCall {
 public:
  // Runs once, when the call finishes, with the status its handler (or the call path) ended it
  // with. Must never block.
  using Completion = absl::AnyInvocable<void(DetachedCall& call, const grpc::Status& status) &&>;

  bool PostFinish(grpc::Status status) override;

  virtual google::protobuf::Message& request_message() = 0;
  virtual const google::protobuf::Message& response_message() const = 0;

  // Whether the handler ran (else the executor refused the call, or it expired in the queue),
  // and whether it failed without a status of its own: it threw, or dropped its responder.
  bool ran() const { return context().times().started != absl::InfinitePast(); }
  bool handler_failed() const { return handler_failed_.load(std::memory_order_acquire); }

  // For a shadow call (shadow.h): the primary's answer, which the candidate's is compared with.
  // Set before the call starts; read by its completion.
  grpc::Status& expected_status() { return expected_status_; }
  virtual google::protobuf::Message& expected_response() = 0;

 protected:
  DetachedCall(MethodBinding& method, std::unique_ptr<const CallSnapshot> snapshot,
               absl::Time deadline, DetachedCallRegistry& registry, Completion completion);
  ~DetachedCall() override;

 private:
  // Called before the status that says so is posted; a drop after the call finished is no
  // failure.
  void NoteHandlerFailed() override {
    if (!finished_.load(std::memory_order_acquire)) {
      handler_failed_.store(true, std::memory_order_release);
    }
  }

  friend class DetachedCallRegistry;

  DetachedCallRegistry& registry_;
  // The registry's list, guarded by its mutex.
  DetachedCall* previous_ = nullptr;
  DetachedCall* next_ = nullptr;
  Completion completion_;
  grpc::Status expected_status_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> handler_failed_{false};
};

// The detached call of a unary method with these message types.
template <class Request, class Response>
class DetachedCallOf final : public DetachedCall {
 public:
  DetachedCallOf(MethodBinding& method, std::unique_ptr<const CallSnapshot> snapshot,
                 absl::Time deadline, DetachedCallRegistry& registry, Completion completion)
      : DetachedCall(method, std::move(snapshot), deadline, registry, std::move(completion)) {}

  Request* request() { return &request_; }
  Response* response() { return &response_; }
  google::protobuf::Message& request_message() override { return request_; }
  const google::protobuf::Message& response_message() const override { return response_; }
  google::protobuf::Message& expected_response() override { return expected_; }

 private:
  ~DetachedCallOf() override = default;

  Request request_;
  Response response_;
  Response expected_;
};

// The completion of a one-way method's detached call: counts how its handler ended
// (MethodBinding::one_way_ok / one_way_failed) and logs failures, the first ten and then one in
// a thousand. A call its executor refused is not counted: its client got the refusal.
DetachedCall::Completion OneWayCompletion();

// One unary method of one service implementation, run detached: what generated code gives for
// each unary method (ServiceDefinition::detached_methods), and how a shadow runs its candidate.
// Thread-safe: const, shared by every call.
class DetachedUnaryMethod {
 public:
  virtual ~DetachedUnaryMethod() = default;

  virtual const google::protobuf::Descriptor* response_type() const = 0;
  // A new call of the method, to run on `binding`'s executor, with an empty request (fill
  // request_message() before Start). The caller holds its first reference until it finishes.
  virtual DetachedCall* NewCall(MethodBinding& binding,
                                std::unique_ptr<const CallSnapshot> snapshot,
                                absl::Time deadline, DetachedCallRegistry& registry,
                                DetachedCall::Completion completion) const = 0;
  // Hands `call` (made by NewCall) to its executor to run the handler: false if the executor
  // refused it (the call then finished with RESOURCE_EXHAUSTED). Never blocks.
  virtual bool Start(DetachedCall* call) const = 0;
};

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_DETACHED_CALL_H_
