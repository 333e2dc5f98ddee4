#include "tests/testing/test_service_impl.h"

#include <memory>
#include <stdexcept>
#include <utility>

#include "asio/steady_timer.hpp"
#include "asio/use_awaitable.hpp"

namespace tandem::testing {
namespace {

constexpr absl::Duration kLongWait = absl::Seconds(30);

grpc::Status WrongStyle(const TestRequest& request, absl::string_view style) {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat(TestRequest::Action_Name(request.action()),
                                   " is not meant for the ", style, " handler"));
}

grpc::Status Cancelled() {
  return grpc::Status(grpc::StatusCode::CANCELLED, "the handler saw the cancellation");
}

}  // namespace

TestServiceImpl::TestServiceImpl()
    : timers_work_(timers_.get_executor()), timers_thread_([this] { timers_.run(); }) {}

TestServiceImpl::~TestServiceImpl() {
  Release();
  timers_work_.reset();
  timers_thread_.join();
}

void TestServiceImpl::Release() {
  absl::MutexLock lock(&mu_);
  released_ = true;
}

bool TestServiceImpl::WaitForHandlersWaiting(int count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiting_ >= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

bool TestServiceImpl::WaitForCancellationsSeen(int count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return cancellations_seen_ >= count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

void TestServiceImpl::EnterWait() {
  absl::MutexLock lock(&mu_);
  ++waiting_;
}

void TestServiceImpl::ExitWait(bool saw_cancellation) {
  absl::MutexLock lock(&mu_);
  --waiting_;
  if (saw_cancellation) ++cancellations_seen_;
}

std::optional<grpc::Status> TestServiceImpl::RunImmediateAction(ServerContext& context,
                                                                const TestRequest& request,
                                                                TestReply* reply,
                                                                absl::string_view style) {
  reply->set_handler_style(std::string(style));
  reply->set_peer(context.peer());
  reply->set_has_deadline(context.deadline() != absl::InfiniteFuture());
  switch (request.action()) {
    case TestRequest::ECHO:
      reply->set_message(request.message());
      return grpc::Status::OK;
    case TestRequest::FAIL:
      return grpc::Status(static_cast<grpc::StatusCode>(request.code()), request.message());
    case TestRequest::THROW:
      throw std::runtime_error(request.message());
    case TestRequest::ECHO_METADATA: {
      const std::string value(context.FindClientMetadata("x-echo").value_or(""));
      context.AddInitialMetadata("x-echo-initial", value);
      context.AddTrailingMetadata("x-echo-trailing", value);
      reply->set_message(value);
      return grpc::Status::OK;
    }
    default:
      return std::nullopt;
  }
}

grpc::Status TestServiceImpl::Blocking(ServerContext& context, const TestRequest& request,
                                       TestReply* reply) {
  if (auto status = RunImmediateAction(context, request, reply, "blocking")) return *status;
  switch (request.action()) {
    case TestRequest::WAIT_FOR_CANCEL: {
      EnterWait();
      const bool cancelled = context.WaitForCancellation(kLongWait);
      ExitWait(cancelled);
      return cancelled ? Cancelled() : grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                                    "never cancelled");
    }
    case TestRequest::SLEEP:
      absl::SleepFor(absl::Milliseconds(request.sleep_ms()));
      reply->set_message(request.message());
      return grpc::Status::OK;
    case TestRequest::BLOCK: {
      EnterWait();
      {
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(&released_), kLongWait);
      }
      ExitWait(false);
      reply->set_message(request.message());
      return grpc::Status::OK;
    }
    case TestRequest::RENDEZVOUS: {
      EnterWait();
      bool all_arrived;
      int arrived;
      {
        absl::MutexLock lock(&mu_);
        ++rendezvous_arrived_;
        auto all = [this, &request]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return rendezvous_arrived_ >= request.code();
        };
        all_arrived = mu_.AwaitWithTimeout(absl::Condition(&all), kLongWait);
        arrived = rendezvous_arrived_;
      }
      ExitWait(false);
      if (!all_arrived) {
        return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                            absl::StrCat("rendezvous: only ", arrived, " of ", request.code(),
                                         " calls ever ran at once"));
      }
      reply->set_message(request.message());
      return grpc::Status::OK;
    }
    default:
      return WrongStyle(request, "blocking");
  }
}

Task<grpc::Status> TestServiceImpl::Coroutine(ServerContext& context, const TestRequest& request,
                                              TestReply* reply) {
  if (auto status = RunImmediateAction(context, request, reply, "coroutine")) co_return *status;
  switch (request.action()) {
    case TestRequest::WAIT_FOR_CANCEL:
      EnterWait();
      co_await context.AsyncWaitCancelled(asio::use_awaitable);
      ExitWait(true);
      co_return Cancelled();
    case TestRequest::SLEEP:
      co_await AsyncSleepFor(absl::Milliseconds(request.sleep_ms()));
      reply->set_message(request.message());
      co_return grpc::Status::OK;
    default:
      co_return WrongStyle(request, "coroutine");
  }
}

void TestServiceImpl::Callback(ServerContext& context, const TestRequest& request,
                               UnaryResponder<TestReply> responder) {
  CallbackStyle(context, request, std::move(responder), "callback");
}

void TestServiceImpl::CallbackOnPool(ServerContext& context, const TestRequest& request,
                                     UnaryResponder<TestReply> responder) {
  CallbackStyle(context, request, std::move(responder), "callback-on-pool");
}

void TestServiceImpl::CallbackStyle(ServerContext& context, const TestRequest& request,
                                    UnaryResponder<TestReply> responder,
                                    absl::string_view style) {
  if (auto status = RunImmediateAction(context, request, responder.response(), style)) {
    responder.Finish(*status);
    return;
  }
  switch (request.action()) {
    case TestRequest::WAIT_FOR_CANCEL:
      EnterWait();
      // Runs on the gRPC thread that reports the cancellation: it only finishes.
      context.AsyncWaitCancelled([this, responder = std::move(responder)]() mutable {
        ExitWait(true);
        responder.Finish(Cancelled());
      });
      return;
    case TestRequest::SLEEP: {
      auto timer = std::make_shared<asio::steady_timer>(
          timers_, absl::ToChronoMilliseconds(absl::Milliseconds(request.sleep_ms())));
      timer->async_wait([timer, message = request.message(),
                         responder = std::move(responder)](const std::error_code&) mutable {
        responder.response()->set_message(message);
        responder.Finish(grpc::Status::OK);
      });
      return;
    }
    case TestRequest::DROP_REPLY:
      return;  // The responder's destructor answers INTERNAL.
    default:
      responder.Finish(WrongStyle(request, style));
  }
}

}  // namespace tandem::testing
