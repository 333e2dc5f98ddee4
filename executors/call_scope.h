// CallScope: the inbound call that running code serves, so that the client calls it makes inherit
// that call's deadline and are cancelled with it.
//
// The server gives every call a CallScope (its deadline less the server's margin, see
// ServerBuilder::SetDeadlineMargin) and makes it current while the handler runs, whatever its
// style and executor. A Tandem client call started while a scope is current takes the earlier of
// its own deadline and the scope's, and is cancelled when the scope is (CallOptions::set_detached
// opts out). Nothing else reads it: it is the deadline and cancellation context of Google's
// Stubby, folly's RequestContext or Go's context.Context, carried implicitly.
//
// "Current" follows the code, not the thread:
//   - on a thread (a ThreadPool's, or a gRPC thread running inline work): until the InCallScope
//     that entered it is destroyed;
//   - on a fiber: for that fiber only, on whichever pool thread it resumes after a wait
//     (Boost.Fiber's fiber-specific storage);
//   - in a coroutine spawned with PostOptions::call_scope: during each of its resumptions
//     (its executor enters the scope around everything it runs: internal/resumption_executor.h).
// Work posted with PostOptions::call_scope runs inside that scope on every executor. Code that
// continues a call elsewhere (a callback handler's completion on a gRPC thread) can enter the
// call's scope itself: `tandem::InCallScope enter(context.call_scope());`.
//
// Threads: every CallScope member is thread-safe and never blocks. Cancel runs the registered
// callbacks on the calling thread, so they must never block (they only cancel calls).
#ifndef TANDEM_EXECUTORS_CALL_SCOPE_H_
#define TANDEM_EXECUTORS_CALL_SCOPE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tandem {

class CallScope : public std::enable_shared_from_this<CallScope> {
 public:
  // `deadline`: what calls made in the scope inherit; absl::InfiniteFuture() for none.
  explicit CallScope(absl::Time deadline) : deadline_(deadline) {}

  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // The scope the calling code runs in, or null. Valid while that code runs in it.
  static CallScope* Current();

  absl::Time deadline() const { return deadline_; }
  bool cancelled() const ABSL_LOCKS_EXCLUDED(mu_);

  // Cancels the scope: runs every registered callback, here, once. Idempotent.
  void Cancel() ABSL_LOCKS_EXCLUDED(mu_);

  // A callback registered with OnCancel; unregisters it when destroyed. Movable.
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& other) noexcept
        : scope_(std::move(other.scope_)), id_(other.id_) {}
    Registration& operator=(Registration&& other) noexcept;
    ~Registration() { Reset(); }

   private:
    friend class CallScope;
    Registration(std::shared_ptr<CallScope> scope, uint64_t id)
        : scope_(std::move(scope)), id_(id) {}
    void Reset();

    std::shared_ptr<CallScope> scope_;
    uint64_t id_ = 0;
  };

  // Runs `callback` when the scope is cancelled: at once, on this thread, if it already is; else
  // on the thread that cancels it, unless the Registration is destroyed first. `callback` must
  // never block, and may still run while the Registration is being destroyed (it should hold
  // only weak references). The scope must be owned by a shared_ptr.
  [[nodiscard]] Registration OnCancel(absl::AnyInvocable<void() &&> callback)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const absl::Time deadline_;
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, absl::AnyInvocable<void() &&>> callbacks_ ABSL_GUARDED_BY(mu_);
};

// Makes `scope` (may be null: no scope) current for the code that follows on this thread or
// fiber, until destroyed; then the previous one is current again. Keeps `scope` alive meanwhile.
// Create and destroy it on the same fiber (or thread), in nested order.
class InCallScope {
 public:
  explicit InCallScope(std::shared_ptr<CallScope> scope);
  ~InCallScope();

  InCallScope(const InCallScope&) = delete;
  InCallScope& operator=(const InCallScope&) = delete;

 private:
  std::shared_ptr<CallScope> scope_;
  CallScope* previous_;
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_CALL_SCOPE_H_
