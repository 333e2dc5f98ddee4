// ServerContext: what a handler knows about its call, in every handler style.
//
// The handler's view of its call's state: the method, deadline, cancellation, priority and the
// times the call passed each stage of Tandem's call path (server/internal/call_path.h), the
// client's metadata and the peer; and it takes the metadata the handler wants to send back. One
// per call, made by Tandem when gRPC hands the call over, before the handler starts.
//
// Threads: IsCancelled, WaitForCancellation, AsyncWaitCancelled, priority and times are
// thread-safe. The other members belong to the handler: call them from one thread at a time,
// before the call is finished (for a callback handler, before `Finish`).
// Lifetime: valid until the handler finishes the call (returns, co_returns, or calls Finish).
//
// Detached calls: Tandem also runs handlers on calls that no gRPC call stands behind: a shadow
// candidate (ServiceOptions::Shadow) and a one-way method's handler after its call was answered
// (ServiceOptions::SetOneWay). Their context holds a copy of the original call's peer and
// metadata; metadata added to it goes nowhere, grpc_context() is null, and the call counts as
// cancelled once its deadline has passed or when the server shuts down. No gRPC call enforces
// its deadline: IsCancelled and WaitForCancellation look at the clock themselves, and the first
// AsyncWaitCancelled arms a timer (server/internal/deadline_alarm.h) that cancels the call, and
// the client calls made in its scope, at the deadline.
#ifndef TANDEM_SERVER_SERVER_CONTEXT_H_
#define TANDEM_SERVER_SERVER_CONTEXT_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "asio/async_result.hpp"
#include "executors/call_scope.h"
#include "executors/completion.h"
#include "executors/event.h"
#include "executors/executor.h"
#include "grpcpp/server_context.h"
#include "server/internal/deadline_alarm.h"

namespace tandem {

// When a call passed each stage of its path. A stage not reached (yet) is absl::InfinitePast().
struct CallTimes {
  absl::Time received;  // gRPC handed the call to Tandem, on its dispatch thread
  absl::Time started;   // the handler started, on its executor (never, for a refused call)
  absl::Time finished;  // the reply shim handed the call's status to gRPC
};

namespace server_internal {
// What a detached call (see the top of this file) keeps of the gRPC call it was copied from.
struct CallSnapshot {
  std::string peer;
  std::vector<std::string> peer_identity;
  std::string metadata_storage;  // every key and value, end to end; never resized once filled
  std::multimap<grpc::string_ref, grpc::string_ref> metadata;  // views of metadata_storage
};
}  // namespace server_internal

class ServerContext {
 public:
  // `deadline_margin`: what the client calls the handler makes keep in hand of the call's
  // deadline (ServerBuilder::SetDeadlineMargin).
  ServerContext(grpc::CallbackServerContext* grpc_context, absl::string_view method,
                Priority priority, absl::Duration deadline_margin);

  // A detached call's context (see the top of this file), for Tandem.
  ServerContext(std::unique_ptr<const server_internal::CallSnapshot> snapshot,
                absl::string_view method, Priority priority, absl::Time deadline,
                absl::Duration deadline_margin);

  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  // "/package.Service/Method".
  absl::string_view method() const { return method_; }
  // absl::InfiniteFuture() when the client set no deadline.
  absl::Time deadline() const { return deadline_; }
  // The priority the call runs at on its executor (ServiceOptions::SetPriority).
  Priority priority() const { return priority_; }
  // The times so far. Thread-safe: a stage's time is visible from the moment it is reached.
  CallTimes times() const;
  // The client's address, e.g. "ipv4:127.0.0.1:54321".
  std::string peer() const { return snapshot_ ? snapshot_->peer : grpc_context_->peer(); }
  // Who the client is, as its TLS certificate says: the certificate's subject alternative names,
  // or its common name if it has none (gRPC's AuthContext::GetPeerIdentity). Empty for a client
  // without a certificate, or without TLS.
  std::vector<std::string> peer_identity() const;

  const std::multimap<grpc::string_ref, grpc::string_ref>& client_metadata() const {
    return snapshot_ ? snapshot_->metadata : grpc_context_->client_metadata();
  }
  // The first value the client sent for `key` (lower-case), if any.
  std::optional<absl::string_view> FindClientMetadata(absl::string_view key) const;

  // Metadata sent with the response headers / with the status. Keys are lower-case; keys ending
  // in "-bin" carry binary values. Dropped on a detached call.
  void AddInitialMetadata(const std::string& key, const std::string& value) {
    if (grpc_context_ != nullptr) grpc_context_->AddInitialMetadata(key, value);
  }
  void AddTrailingMetadata(const std::string& key, const std::string& value) {
    if (grpc_context_ != nullptr) grpc_context_->AddTrailingMetadata(key, value);
  }

  // True once the call is cancelled: by the client, by its deadline, by server shutdown, or by
  // gRPC or Tandem ending a stream that broke (an oversize or malformed request message). A
  // cancelled call's reply is dropped, so a handler may stop early. Thread-safe.
  bool IsCancelled() const ABSL_LOCKS_EXCLUDED(mu_);

  // Waits until the call is cancelled or `timeout` passes; true if cancelled. For blocking
  // handlers only: on a fiber it suspends only the fiber, on a thread it blocks the thread (see
  // executors/blocking.h). Thread-safe.
  bool WaitForCancellation(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // Completes, with signature void(), when the call is cancelled. With `asio::use_awaitable`:
  //   co_await context.AsyncWaitCancelled(asio::use_awaitable);
  // A completion with an executor of its own (a coroutine) is posted there; a plain callback
  // runs on the gRPC thread that reports the cancellation, or at once if the call already is
  // cancelled, and must never block. A wait still pending when the call ends is abandoned: its
  // handler is destroyed, not run.
  template <class CompletionToken>
  auto AsyncWaitCancelled(CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void()>(
        [this](auto handler) {
          OnCancelled([handler = std::move(handler)]() mutable {
            CompleteOnItsExecutor(std::move(handler));
          });
        },
        token);
  }

  // What the client calls made while serving this call inherit: the deadline less the server's
  // margin, and cancellation with this call. Tandem makes it current while the handler runs
  // (executors/call_scope.h); code that continues the call elsewhere, such as a callback
  // handler's completion on a gRPC thread, enters it with
  // `tandem::InCallScope enter(context.call_scope());`. Thread-safe.
  const std::shared_ptr<CallScope>& call_scope() const { return call_scope_; }

  // gRPC's own context, for what Tandem does not wrap; null on a detached call. Same thread
  // rules as this object.
  grpc::CallbackServerContext* grpc_context() const { return grpc_context_; }

  // For Tandem: a copy of this call's peer and metadata, for a detached call made from it.
  // Call before the call is finished (gRPC's context goes with it).
  std::unique_ptr<const server_internal::CallSnapshot> Snapshot() const;

  // For Tandem: called by the call's OnCancel reaction (a gRPC thread), or where Tandem learns
  // first that the call is over; later calls do nothing. Runs the pending cancellation
  // callbacks, which only post work, and cancels the client calls made in the call's scope.
  // Never blocks.
  void MarkCancelled() ABSL_LOCKS_EXCLUDED(mu_);

  // For Tandem's call path: stamps the started and finished times. Any thread; never blocks.
  void MarkStarted() { started_ns_.store(NowNanos(), std::memory_order_release); }
  void MarkFinished() { finished_ns_.store(NowNanos(), std::memory_order_release); }

 private:
  static int64_t NowNanos() { return absl::ToUnixNanos(absl::Now()); }

  // Runs `callback` once the call is cancelled: at once, on this thread, if it already is;
  // else on the gRPC thread that reports the cancellation. `callback` must never block.
  void OnCancelled(absl::AnyInvocable<void() &&> callback) ABSL_LOCKS_EXCLUDED(mu_);

  grpc::CallbackServerContext* const grpc_context_;  // null: detached
  const std::unique_ptr<const server_internal::CallSnapshot> snapshot_;  // set: detached
  const std::string method_;
  const Priority priority_;
  // Read from gRPC once, as the call arrives: gRPC keeps it on a monotonic clock, and each
  // conversion to real time costs clock reads.
  const absl::Time deadline_;
  const absl::Time received_ = absl::Now();
  const std::shared_ptr<CallScope> call_scope_;
  // Unix nanoseconds; 0 until the stage is reached.
  std::atomic<int64_t> started_ns_{0};
  std::atomic<int64_t> finished_ns_{0};

  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<absl::AnyInvocable<void() &&>> on_cancelled_ ABSL_GUARDED_BY(mu_);
  // Notified with cancelled_: what WaitForCancellation waits on, as a fiber or a thread.
  Event cancelled_event_;
  // A detached call's, armed by the first wait for cancellation. Last, so that it is disarmed
  // first: its function uses the members above.
  std::optional<server_internal::DeadlineAlarm> deadline_alarm_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem

#endif  // TANDEM_SERVER_SERVER_CONTEXT_H_
