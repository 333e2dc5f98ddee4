#include "tests/testing/test_service_impl.h"

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>

#include "asio/bind_executor.hpp"
#include "asio/steady_timer.hpp"
#include "asio/use_awaitable.hpp"
#include "client/call_options.h"
#include "executors/blocking.h"

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

// FORWARD's pieces, shared by every style.
grpc::Status CannotForward(const TestRequest& request) {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("cannot forward to '", request.forward_method(),
                                   "': no such method, or no nested client connected"));
}

CallOptions ForwardOptions(const TestRequest& request) {
  CallOptions options;
  options.set_detached(request.detached());
  if (request.forward_timeout_ms() > 0) {
    options.set_timeout(absl::Milliseconds(request.forward_timeout_ms()));
  }
  return options;
}

// The onward call's reply becomes this call's, or its status this call's status.
grpc::Status Forwarded(absl::StatusOr<TestReply> forwarded, TestReply* reply) {
  if (!forwarded.ok()) {
    return grpc::Status(static_cast<grpc::StatusCode>(forwarded.status().code()),
                        std::string(forwarded.status().message()));
  }
  *reply = *std::move(forwarded);
  return grpc::Status::OK;
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

void TestServiceImpl::NoteCancellation(bool saw_cancellation) {
  absl::MutexLock lock(&mu_);
  if (saw_cancellation) ++cancellations_seen_;
}

std::optional<grpc::Status> TestServiceImpl::RunImmediateAction(ServerContext& context,
                                                                const TestRequest& request,
                                                                TestReply* reply,
                                                                absl::string_view style) {
  reply->set_handler_style(std::string(style));
  reply->set_peer(context.peer());
  reply->set_server_pid(getpid());
  for (std::string& name : context.peer_identity()) reply->add_peer_identity(std::move(name));
  reply->set_has_deadline(context.deadline() != absl::InfiniteFuture());
  reply->set_deadline_unix_ns(reply->has_deadline() ? absl::ToUnixNanos(context.deadline()) : 0);
  const CallTimes times = context.times();
  reply->set_received_unix_ns(absl::ToUnixNanos(times.received));
  reply->set_started_unix_ns(absl::ToUnixNanos(times.started));
  reply->set_priority(std::string(PriorityName(context.priority())));
  switch (request.action()) {
    case TestRequest::ECHO:
      reply->set_message(request.message());
      return grpc::Status::OK;
    case TestRequest::FAIL:
      return grpc::Status(static_cast<grpc::StatusCode>(request.code()), request.message());
    case TestRequest::THROW:
      throw std::runtime_error(request.message());
    case TestRequest::BLOCKING_SLEEP:
      BlockingSleepUntilReleased();
      reply->set_message(request.message());
      return grpc::Status::OK;
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
      // Tandem's sleep: on a fiber pool it yields the thread, on a thread pool it blocks.
      tandem::SleepFor(absl::Milliseconds(request.sleep_ms()));
      reply->set_message(request.message());
      return grpc::Status::OK;
    case TestRequest::NESTED_CALL:
      return NestedCall(request, reply);
    case TestRequest::FORWARD: {
      tandem::SleepFor(absl::Milliseconds(request.sleep_ms()));
      std::shared_ptr<TestClient> client = NestedClient();
      const std::optional<Method> method = MethodNamed(request.forward_method());
      if (client == nullptr || !method) return CannotForward(request);
      return Forwarded(CallBlocking(*client, *method, request.forward(), ForwardOptions(request)),
                       reply);
    }
    case TestRequest::SPIN:
      SpinUntilReleased();
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
    case TestRequest::FORWARD: {
      co_await AsyncSleepFor(absl::Milliseconds(request.sleep_ms()));
      std::shared_ptr<TestClient> client = NestedClient();
      const std::optional<Method> method = MethodNamed(request.forward_method());
      if (client == nullptr || !method) co_return CannotForward(request);
      co_return Forwarded(co_await CallCoroutine(*client, *method, request.forward(),
                                                 ForwardOptions(request)),
                          reply);
    }
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
    case TestRequest::FORWARD: {
      std::shared_ptr<TestClient> client = NestedClient();
      const std::optional<Method> method = MethodNamed(request.forward_method());
      if (client == nullptr || !method) return responder.Finish(CannotForward(request));
      auto forward = [client, method = *method, request,
                      responder = std::make_shared<UnaryResponder<TestReply>>(
                          std::move(responder))] {
        CallAsync(*client, method, request.forward(), ForwardOptions(request),
                  [responder](absl::StatusOr<TestReply> forwarded) {
                    responder->Finish(Forwarded(std::move(forwarded), responder->response()));
                  });
      };
      if (request.sleep_ms() == 0) return forward();  // in the call's scope, as every handler
      // Later, on a timer thread: the continuation enters the call's scope itself. The context
      // is valid until the responder finishes.
      auto timer = std::make_shared<asio::steady_timer>(
          timers_, absl::ToChronoMilliseconds(absl::Milliseconds(request.sleep_ms())));
      timer->async_wait([timer, scope = context.call_scope(),
                         forward = std::move(forward)](const std::error_code&) {
        InCallScope enter(scope);
        forward();
      });
      return;
    }
    default:
      responder.Finish(WrongStyle(request, style));
  }
}

void TestServiceImpl::ConnectNestedClient(std::shared_ptr<grpc::ChannelInterface> channel) {
  absl::MutexLock lock(&mu_);
  nested_client_ = std::make_shared<TestServiceTandem::Client>(std::move(channel));
}

bool TestServiceImpl::released() {
  absl::MutexLock lock(&mu_);
  return released_;
}

std::shared_ptr<TestClient> TestServiceImpl::NestedClient() {
  absl::MutexLock lock(&mu_);
  return nested_client_;
}

grpc::Status TestServiceImpl::NestedCall(const TestRequest& request, TestReply* reply) {
  if (request.code() > 0) {
    MutexLock lock(&nested_mu_);
    ++nested_arrived_;
    nested_arrivals_.SignalAll();
    const absl::Time give_up = absl::Now() + kLongWait;
    while (nested_arrived_ < request.code() &&
           !nested_arrivals_.WaitWithDeadline(&nested_mu_, give_up)) {
    }
    if (nested_arrived_ < request.code()) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          absl::StrCat("nested call: only ", nested_arrived_, " of ",
                                       request.code(), " calls ever ran at once"));
    }
  }
  std::shared_ptr<TestClient> client = NestedClient();
  if (client == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "no nested client connected");
  }
  TestRequest echo;
  echo.set_action(TestRequest::ECHO);
  echo.set_message(request.message());
  absl::StatusOr<TestReply> inner = client->Blocking(
      echo, CallOptions().set_timeout(absl::Milliseconds(request.sleep_ms())));
  if (!inner.ok()) {
    return grpc::Status(static_cast<grpc::StatusCode>(inner.status().code()),
                        absl::StrCat("nested call to /", TestServiceTandem::kServiceName,
                                     "/Blocking failed: ", inner.status().message()));
  }
  reply->set_message(inner->message());
  return grpc::Status::OK;
}

void TestServiceImpl::BlockingSleepUntilReleased() {
  EnterWait();
  const absl::Time give_up = absl::Now() + kLongWait;
  // absl::SleepFor, not tandem::SleepFor: this action exists to hold its thread.
  while (!released() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  ExitWait(false);
}

void TestServiceImpl::SpinUntilReleased() {
  EnterWait();
  const absl::Time give_up = absl::Now() + kLongWait;
  while (!released() && absl::Now() < give_up) tandem::Yield();
  ExitWait(false);
}

}  // namespace tandem::testing

// Streaming. Every style below does the same thing; only the way it waits differs.
namespace tandem::testing {
namespace {

TestReply NumberedReply(const TestRequest& request, int index) {
  TestReply reply;
  reply.set_message(absl::StrCat(request.message(), "-", index));
  reply.set_payload(std::string(request.payload_bytes(), 'x'));
  return reply;
}

bool IsDone(const TestRequest& request, int written) {
  return request.action() != TestRequest::WAIT_FOR_CANCEL && written >= request.count();
}

// How many replies a bidirectional ECHO request gets: `count`, at least one.
int Replies(const TestRequest& request) { return std::max(1, request.count()); }

// The reply of the client-streaming methods: the messages joined by ",".
void AppendMessage(TestReply* reply, const TestRequest& request) {
  if (!reply->message().empty()) reply->mutable_message()->append(",");
  reply->mutable_message()->append(request.message());
}

}  // namespace

grpc::Status TestServiceImpl::StreamEnd(const TestRequest& request) {
  switch (request.action()) {
    case TestRequest::FAIL:
      return grpc::Status(static_cast<grpc::StatusCode>(request.code()), request.message());
    case TestRequest::THROW:
      throw std::runtime_error(request.message());
    default:
      return grpc::Status::OK;
  }
}

grpc::Status TestServiceImpl::ServerStreamBlocking(ServerContext& context,
                                                   const TestRequest& request,
                                                   ServerWriter<TestReply> writer) {
  for (int i = 0; !IsDone(request, i); ++i) {
    if (!writer.Write(NumberedReply(request, i))) {
      NoteCancellation(context.IsCancelled());
      return Cancelled();
    }
  }
  return StreamEnd(request);
}

Task<grpc::Status> TestServiceImpl::ServerStreamCoroutine(ServerContext& context,
                                                          const TestRequest& request,
                                                          ServerWriter<TestReply> writer) {
  for (int i = 0; !IsDone(request, i); ++i) {
    if (!co_await writer.CoWrite(NumberedReply(request, i))) {
      NoteCancellation(context.IsCancelled());
      co_return Cancelled();
    }
  }
  co_return StreamEnd(request);
}

// Callback style: each write's completion starts the next one. The completions run on this
// service's own loop (timers_), as an application's event loop would run them; a completion
// running inline on a gRPC thread would also do, but could nest one write inside the last.
void TestServiceImpl::ServerStreamCallback(ServerContext& context, const TestRequest& request,
                                           ServerWriter<TestReply> writer) {
  struct Writing : std::enable_shared_from_this<Writing> {
    Writing(TestServiceImpl* service, TestRequest request, ServerWriter<TestReply> writer)
        : service(service), request(std::move(request)), writer(std::move(writer)) {}

    TestServiceImpl* service;
    TestRequest request;
    ServerWriter<TestReply> writer;
    int next = 0;

    void WriteNext() {
      if (IsDone(request, next)) {
        try {
          writer.Finish(StreamEnd(request));
        } catch (const std::exception& e) {
          // Not on the handler's stack any more: a callback handler reports its own errors.
          writer.Finish(grpc::Status(grpc::StatusCode::INTERNAL, e.what()));
        }
        return;
      }
      writer.AsyncWrite(NumberedReply(request, next++),
                        asio::bind_executor(service->timers_,
                                            [self = shared_from_this()](bool ok) {
                                              ok ? self->WriteNext() : self->Stop();
                                            }));
    }
    void Stop() {
      service->NoteCancellation(writer.IsCancelled());
      writer.Finish(Cancelled());
    }
  };
  if (request.action() == TestRequest::THROW && request.count() == 0) {
    throw std::runtime_error(request.message());
  }
  auto writing = std::make_shared<Writing>(this, request, std::move(writer));
  writing->WriteNext();
}

grpc::Status TestServiceImpl::ClientStreamBlocking(ServerContext& context,
                                                   ServerReader<TestRequest> reader,
                                                   TestReply* reply) {
  std::optional<TestRequest> first;
  TestRequest request;
  while (reader.Read(&request)) {
    if (!first) {
      first = request;
      if (first->action() == TestRequest::WAIT_FOR_CANCEL) EnterWait();
    }
    AppendMessage(reply, request);
  }
  if (first && first->action() == TestRequest::WAIT_FOR_CANCEL) {
    // A failed read may come before gRPC reports the cancellation: wait for the report.
    ExitWait(context.WaitForCancellation(kLongWait));
    return Cancelled();
  }
  return first ? StreamEnd(*first) : grpc::Status::OK;
}

Task<grpc::Status> TestServiceImpl::ClientStreamCoroutine(ServerContext& context,
                                                          ServerReader<TestRequest> reader,
                                                          TestReply* reply) {
  std::optional<TestRequest> first;
  while (std::optional<TestRequest> request = co_await reader.CoRead()) {
    if (!first) {
      first = *request;
      if (first->action() == TestRequest::WAIT_FOR_CANCEL) EnterWait();
    }
    AppendMessage(reply, *request);
  }
  if (first && first->action() == TestRequest::WAIT_FOR_CANCEL) {
    co_await context.AsyncWaitCancelled(asio::use_awaitable);
    ExitWait(true);
    co_return Cancelled();
  }
  co_return first ? StreamEnd(*first) : grpc::Status::OK;
}

void TestServiceImpl::ClientStreamCallback(ServerContext& context,
                                           ServerReader<TestRequest> reader, TestReply* reply) {
  struct Reading : std::enable_shared_from_this<Reading> {
    Reading(TestServiceImpl* service, ServerReader<TestRequest> reader, TestReply* reply)
        : service(service), reader(std::move(reader)), reply(reply) {}

    TestServiceImpl* service;
    ServerReader<TestRequest> reader;
    TestReply* reply;
    std::optional<TestRequest> first;

    void ReadNext() {
      reader.AsyncRead(asio::bind_executor(
          service->timers_, [self = shared_from_this()](std::optional<TestRequest> request) {
            request ? self->OnRequest(*request) : self->OnEnd();
          }));
    }
    void OnRequest(const TestRequest& request) {
      if (!first) {
        first = request;
        if (first->action() == TestRequest::WAIT_FOR_CANCEL) service->EnterWait();
      }
      AppendMessage(reply, request);
      ReadNext();
    }
    void OnEnd() {
      if (first && first->action() == TestRequest::WAIT_FOR_CANCEL) {
        reader.context().AsyncWaitCancelled([self = shared_from_this()] {
          self->service->ExitWait(true);
          self->reader.Finish(Cancelled());
        });
        return;
      }
      grpc::Status status = grpc::Status::OK;
      try {
        if (first) status = StreamEnd(*first);
      } catch (const std::exception& e) {
        // Not on the handler's stack any more: a callback handler reports its own errors.
        status = grpc::Status(grpc::StatusCode::INTERNAL, e.what());
      }
      reader.Finish(status);
    }
  };
  auto reading = std::make_shared<Reading>(this, std::move(reader), reply);
  reading->ReadNext();
}

grpc::Status TestServiceImpl::BidiBlocking(ServerContext& context,
                                           ServerReaderWriter<TestRequest, TestReply> stream) {
  TestRequest request;
  bool expect_cancel = false;
  while (stream.Read(&request)) {
    if (request.action() == TestRequest::FAIL || request.action() == TestRequest::THROW) {
      return StreamEnd(request);
    }
    if (request.action() == TestRequest::WAIT_FOR_CANCEL && !expect_cancel) {
      expect_cancel = true;
      EnterWait();
    }
    bool written = true;
    for (int i = 0; request.action() == TestRequest::ECHO && i < Replies(request) && written; ++i) {
      written = stream.Write(NumberedReply(request, i));
    }
    if (!written) break;
  }
  if (expect_cancel) {
    ExitWait(context.WaitForCancellation(kLongWait));
    return Cancelled();
  }
  return grpc::Status::OK;
}

Task<grpc::Status> TestServiceImpl::BidiCoroutine(
    ServerContext& context, ServerReaderWriter<TestRequest, TestReply> stream) {
  bool expect_cancel = false;
  while (std::optional<TestRequest> request = co_await stream.CoRead()) {
    if (request->action() == TestRequest::FAIL || request->action() == TestRequest::THROW) {
      co_return StreamEnd(*request);
    }
    if (request->action() == TestRequest::WAIT_FOR_CANCEL && !expect_cancel) {
      expect_cancel = true;
      EnterWait();
    }
    bool written = true;
    for (int i = 0; request->action() == TestRequest::ECHO && i < Replies(*request) && written;
         ++i) {
      written = co_await stream.CoWrite(NumberedReply(*request, i));
    }
    if (!written) break;
  }
  if (expect_cancel) {
    co_await context.AsyncWaitCancelled(asio::use_awaitable);
    ExitWait(true);
    co_return Cancelled();
  }
  co_return grpc::Status::OK;
}

void TestServiceImpl::BidiCallback(ServerContext& context,
                                   ServerReaderWriter<TestRequest, TestReply> stream) {
  struct Echoing : std::enable_shared_from_this<Echoing> {
    Echoing(TestServiceImpl* service, ServerReaderWriter<TestRequest, TestReply> stream)
        : service(service), stream(std::move(stream)) {}

    TestServiceImpl* service;
    ServerReaderWriter<TestRequest, TestReply> stream;

    void ReadNext() {
      stream.AsyncRead(asio::bind_executor(
          service->timers_, [self = shared_from_this()](std::optional<TestRequest> request) {
            request ? self->OnRequest(*request) : self->OnEnd();
          }));
    }
    void OnRequest(const TestRequest& request) {
      if (request.action() == TestRequest::FAIL) {
        stream.Finish(StreamEnd(request));
      } else if (request.action() == TestRequest::THROW) {
        stream.Finish(grpc::Status(grpc::StatusCode::INTERNAL, request.message()));
      } else if (request.action() == TestRequest::ECHO) {
        WriteReplies(request, 0);
      } else {
        if (request.action() == TestRequest::WAIT_FOR_CANCEL && !expect_cancel) {
          expect_cancel = true;
          service->EnterWait();
        }
        ReadNext();
      }
    }
    // Writes reply `index` of `request`'s replies, and the next from its completion; then reads.
    void WriteReplies(const TestRequest& request, int index) {
      stream.AsyncWrite(NumberedReply(request, index),
                        asio::bind_executor(service->timers_, [self = shared_from_this(), request,
                                                               index](bool ok) {
                          if (!ok) return self->OnEnd();
                          index + 1 < Replies(request) ? self->WriteReplies(request, index + 1)
                                                       : self->ReadNext();
                        }));
    }
    void OnEnd() {
      if (expect_cancel) {
        stream.context().AsyncWaitCancelled([self = shared_from_this()] {
          self->service->ExitWait(true);
          self->stream.Finish(Cancelled());
        });
        return;
      }
      stream.Finish(grpc::Status::OK);
    }
    bool expect_cancel = false;
  };
  auto echoing = std::make_shared<Echoing>(this, std::move(stream));
  echoing->ReadNext();
}

}  // namespace tandem::testing
