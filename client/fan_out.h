// Fan-out calls: one unary method called on every server of a list, with one deadline for all
// of them, and one result per server (oslo.messaging's `fanout`, with the answers gathered).
//
//   absl::StatusOr<std::vector<std::string>> targets =
//       tandem::ResolveFanOutTargets("greeter.internal:50051");  // or a list of your own
//   if (!targets.ok()) return targets.status();
//   absl::StatusOr<GreeterTandem::FanOutClient> fan_out =
//       GreeterTandem::FanOutClient::Create(*targets);
//   if (!fan_out.ok()) return fan_out.status();
//   for (const tandem::FanOutResult<HelloReply>& each :
//        fan_out->SayHello(request, tandem::CallOptions().set_timeout(absl::Seconds(2)))) {
//     // each.target: "ipv4:10.0.0.7:50051"; each.result: its reply, or its call's status
//   }
//
// The generated FooTandem::FanOutClient keeps one channel per target (CreateChannel, see
// client/channel.h) and gives every unary method in the three forms of FooTandem::Client:
// blocking, Async with an Asio completion token, and Co to co_await. Each form starts one call
// per target at once and delivers std::vector<FanOutResult<Response>>, one per target in the
// order of the targets, when every call has ended.
//
// Guarantees:
//   - One deadline: the CallOptions' deadline and timeout become one absolute deadline when the
//     fan-out starts, shared by every call, so the fan-out ends by then whatever the slowest
//     target does. Without a deadline it waits for the slowest target: set one. (A fan-out made
//     while serving a call inherits that call's deadline and cancellation, as every client call
//     does.) The other options (metadata, wait-for-ready, cancellation) apply to every call; a
//     ClientCancellation cancels them all.
//   - Failures are per target: a target that is down ends its own call UNAVAILABLE (with
//     set_wait_for_ready(true), DEADLINE_EXCEEDED at the deadline), a slow one DEADLINE_EXCEEDED,
//     and the other targets' results are unaffected. The fan-out itself never fails.
// Threads: a FanOutClient is thread-safe, and cheap to copy (copies share the channels). A
// fan-out in flight holds what it needs, so the client may go away before its calls end.
//   - Blocking: waits until every call has ended: on a fiber it suspends only the fiber,
//     elsewhere it parks the thread. Never on a gRPC callback thread or a coroutine loop.
//   - Async: returns at once. A plain callback runs on the gRPC thread that ends the last call
//     and must not block; asio::use_awaitable resumes on the coroutine's executor;
//     tandem::use_future gives a tandem::Future.
//   - Co: the Async form with asio::use_awaitable.
// ResolveFanOutTargets blocks the calling thread (a fiber's whole thread too) for the lookup.
#ifndef TANDEM_CLIENT_FAN_OUT_H_
#define TANDEM_CLIENT_FAN_OUT_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "asio/associated_executor.hpp"
#include "asio/async_result.hpp"
#include "asio/executor_work_guard.hpp"
#include "client/call_options.h"
#include "client/channel.h"
#include "executors/completion.h"
#include "executors/wait_for_completion.h"

namespace tandem {

// One target's part of a fan-out: the target as given (or as ResolveFanOutTargets made it), and
// its call's reply or status.
template <class Response>
struct FanOutResult {
  std::string target;
  absl::StatusOr<Response> result;
};

// Every address `dns_name_and_port` ("greeter.internal:50051", "localhost:50051",
// "[::1]:50051"; a "dns:///" prefix is allowed) resolves to, through the system resolver
// (getaddrinfo), as gRPC targets one address each: "ipv4:10.0.0.7:50051", "ipv6:[fe80::1]:50051",
// in the resolver's order, without repeats. Errors name the input: INVALID_ARGUMENT for no port
// or a bad one, NOT_FOUND for a name that does not resolve, UNAVAILABLE when the resolver fails
// (try again later). Blocks the calling thread for the lookup.
absl::StatusOr<std::vector<std::string>> ResolveFanOutTargets(
    absl::string_view dns_name_and_port);

namespace client_internal {

// `options` with its timeout turned into a deadline, as of now: the one deadline every call of a
// fan-out gets.
CallOptions WithOneDeadline(CallOptions options);

// OK, or INVALID_ARGUMENT for an empty list or an empty target.
absl::Status ValidateFanOutTargets(const std::vector<std::string>& targets);

// A fan-out's targets and a generated Client per target, built once; shared by the copies of a
// FanOutClient and by the fan-outs in flight. Thread-safe: the Clients are.
template <class Client>
class FanOutClients {
 public:
  static absl::StatusOr<std::shared_ptr<const FanOutClients>> Create(
      std::vector<std::string> targets, const ChannelOptions& options) {
    if (absl::Status valid = ValidateFanOutTargets(targets); !valid.ok()) return valid;
    std::shared_ptr<FanOutClients> clients(new FanOutClients(std::move(targets)));
    for (const std::string& target : clients->targets_) {
      clients->clients_.push_back(std::make_unique<Client>(CreateChannel(target, options)));
    }
    return std::shared_ptr<const FanOutClients>(std::move(clients));
  }

  const std::vector<std::string>& targets() const { return targets_; }
  Client& client(size_t index) const { return *clients_[index]; }

 private:
  explicit FanOutClients(std::vector<std::string> targets) : targets_(std::move(targets)) {}

  const std::vector<std::string> targets_;
  std::vector<std::unique_ptr<Client>> clients_;  // one per target, in the same order
};

// One fan-out in flight: a result per target, filled by the target's call as it ends (on a gRPC
// thread); the call that ends last hands them all to the handler. Each call writes only its own
// slot; the countdown's acquire-release orders every write before the handing over.
template <class Response, class Handler>
class FanOutOp {
 public:
  // `call_one(client, request, options, on_done)` starts one target's call, whose end runs
  // on_done(absl::StatusOr<Response>) on a gRPC thread (or at once, if it never started).
  template <class Client, class CallOne, class Request>
  static void Begin(const FanOutClients<Client>& clients, CallOne& call_one,
                    const Request& request, const CallOptions& options, Handler handler) {
    const std::vector<std::string>& targets = clients.targets();
    std::shared_ptr<FanOutOp> op(new FanOutOp(targets, std::move(handler)));
    if (targets.empty()) {  // FanOutClient::Create refuses an empty list; just in case
      CompleteOnItsExecutor(std::move(op->handler_), std::move(op->results_));
      return;
    }
    for (size_t i = 0; i < targets.size(); ++i) {
      call_one(clients.client(i), request, options, [op, i](absl::StatusOr<Response> result) {
        op->Complete(i, std::move(result));
      });
    }
  }

 private:
  FanOutOp(const std::vector<std::string>& targets, Handler handler)
      : remaining_(targets.size()),
        handler_(std::move(handler)),
        work_(asio::make_work_guard(asio::get_associated_executor(handler_))) {
    results_.reserve(targets.size());
    for (const std::string& target : targets) {
      results_.push_back({target, absl::UnknownError("fan-out: the call has not ended")});
    }
  }

  void Complete(size_t index, absl::StatusOr<Response> result) {
    results_[index].result = std::move(result);
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      CompleteOnItsExecutor(std::move(handler_), std::move(results_));
    }
  }

  std::vector<FanOutResult<Response>> results_;
  std::atomic<size_t> remaining_;
  Handler handler_;
  // Keeps the handler's executor (a coroutine loop) running while the calls are in flight.
  decltype(asio::make_work_guard(asio::get_associated_executor(std::declval<Handler&>()))) work_;
};

// The Async form of a generated FanOutClient method: `call_one` is the per-target call
// (client.AsyncFoo(request, options, on_done)); the token gets
// std::vector<FanOutResult<Response>>. The deadline is fixed when the fan-out starts (for
// use_awaitable, when it is co_awaited).
template <class Response, class Client, class Request, class CompletionToken, class CallOne>
auto AsyncFanOut(std::shared_ptr<const FanOutClients<Client>> clients, const Request& request,
                 const CallOptions& options, CompletionToken&& token, CallOne call_one) {
  return asio::async_initiate<CompletionToken, void(std::vector<FanOutResult<Response>>)>(
      [clients = std::move(clients), call_one = std::move(call_one)](
          auto handler, Request request, CallOptions options) mutable {
        FanOutOp<Response, decltype(handler)>::Begin(
            *clients, call_one, request, WithOneDeadline(std::move(options)), std::move(handler));
      },
      token, request, options);
}

// The blocking form: `start_async(done)` starts the fan-out in its Async form; waits for `done`
// (on a fiber, only the fiber waits).
template <class Response, class StartAsync>
std::vector<FanOutResult<Response>> WaitForFanOut(StartAsync start_async) {
  return WaitForCompletion<std::vector<FanOutResult<Response>>>(std::move(start_async));
}

}  // namespace client_internal
}  // namespace tandem

#endif  // TANDEM_CLIENT_FAN_OUT_H_
