// CallOptions: the per-call settings every generated client call takes.
//
//   client.SayHello(request, tandem::CallOptions()
//                                .set_timeout(absl::Seconds(2))
//                                .AddMetadata("x-request-id", "42"));
//
// A call made while serving a call (in a handler, on any executor; see executors/call_scope.h)
// inherits that call's deadline, less the server's margin, unless its own is earlier, and is
// cancelled when that call is cancelled. set_detached(true) opts out, for background work that
// must outlive the call that started it.
//
// A value type: copy it freely. Not thread-safe to modify while another thread reads it.
#ifndef TANDEM_CLIENT_CALL_OPTIONS_H_
#define TANDEM_CLIENT_CALL_OPTIONS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "client/cancellation.h"
#include "executors/call_scope.h"
#include "grpcpp/client_context.h"

namespace tandem {

class CallOptions {
 public:
  // The call fails with DEADLINE_EXCEEDED at `deadline`. Default: no deadline.
  CallOptions& set_deadline(absl::Time deadline) {
    deadline_ = deadline;
    return *this;
  }
  // The call fails with DEADLINE_EXCEEDED `timeout` after it starts. With a deadline too, the
  // earlier of the two applies.
  CallOptions& set_timeout(absl::Duration timeout) {
    timeout_ = timeout;
    return *this;
  }

  // Sent to the server as request metadata. Keys are lower-case; "-bin" keys carry binary values.
  CallOptions& AddMetadata(std::string key, std::string value) {
    metadata_.emplace_back(std::move(key), std::move(value));
    return *this;
  }

  // Wait for the channel to connect instead of failing fast with UNAVAILABLE.
  CallOptions& set_wait_for_ready(bool wait_for_ready) {
    wait_for_ready_ = wait_for_ready;
    return *this;
  }

  // True: the call inherits nothing from the call being served (its deadline and cancellation).
  CallOptions& set_detached(bool detached) {
    detached_ = detached;
    return *this;
  }

  // Lets another thread cancel the call (see ClientCancellation).
  CallOptions& set_cancellation(std::shared_ptr<ClientCancellation> cancellation) {
    cancellation_ = std::move(cancellation);
    return *this;
  }

  absl::Time deadline() const { return deadline_; }
  absl::Duration timeout() const { return timeout_; }
  const std::shared_ptr<ClientCancellation>& cancellation() const { return cancellation_; }

  // Applies the options to a fresh context, before the call starts: deadline (the inherited one
  // too), metadata, wait-for-ready, and the cancellations that apply (this call's
  // ClientCancellation, the current call scope's). Keep the result until the call ends: it
  // unregisters the call from the scope.
  [[nodiscard]] CallScope::Registration ApplyTo(
      const std::shared_ptr<grpc::ClientContext>& context) const;

 private:
  absl::Time deadline_ = absl::InfiniteFuture();
  absl::Duration timeout_ = absl::InfiniteDuration();
  std::vector<std::pair<std::string, std::string>> metadata_;
  bool wait_for_ready_ = false;
  bool detached_ = false;
  std::shared_ptr<ClientCancellation> cancellation_;
};

}  // namespace tandem

#endif  // TANDEM_CLIENT_CALL_OPTIONS_H_
