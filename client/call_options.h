// CallOptions: the per-call settings every generated client call takes.
//
//   client.SayHello(request, tandem::CallOptions()
//                                .set_timeout(absl::Seconds(2))
//                                .AddMetadata("x-request-id", "42"));
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

  // Lets another thread cancel the call (see ClientCancellation).
  CallOptions& set_cancellation(std::shared_ptr<ClientCancellation> cancellation) {
    cancellation_ = std::move(cancellation);
    return *this;
  }

  absl::Time deadline() const { return deadline_; }
  const std::shared_ptr<ClientCancellation>& cancellation() const { return cancellation_; }

  // Applies the options to a fresh context, before the call starts.
  void ApplyTo(grpc::ClientContext& context) const;

 private:
  absl::Time deadline_ = absl::InfiniteFuture();
  absl::Duration timeout_ = absl::InfiniteDuration();
  std::vector<std::pair<std::string, std::string>> metadata_;
  bool wait_for_ready_ = false;
  std::shared_ptr<ClientCancellation> cancellation_;
};

}  // namespace tandem

#endif  // TANDEM_CLIENT_CALL_OPTIONS_H_
