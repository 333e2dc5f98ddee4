#include "tests/testing/test_server.h"

#include <chrono>
#include <future>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "asio/co_spawn.hpp"
#include "asio/use_future.hpp"
#include "executors/coroutine_loop.h"
#include "executors/thread_pool.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"

namespace tandem::testing {
namespace {

using Client = TestServiceTandem::Client;

absl::Status NoReply(absl::Duration limit) {
  return absl::DeadlineExceededError(absl::StrCat("test: no reply within ", absl::FormatDuration(limit)));
}

// Where coroutine-form client calls run: one loop for the whole test binary.
CoroutineLoop& ClientLoop() {
  static auto* const loop = new CoroutineLoop({.name = "test-client-loop"});
  return *loop;
}

absl::StatusOr<TestReply> CallAsyncWithin(Client& client, Method method,
                                          const TestRequest& request, const CallOptions& options,
                                          absl::Duration limit) {
  // Shared, so a reply arriving after the test gave up lands somewhere valid.
  struct Outcome {
    absl::Notification done;
    absl::StatusOr<TestReply> reply;
  };
  auto outcome = std::make_shared<Outcome>();
  auto on_done = [outcome](absl::StatusOr<TestReply> reply) {
    outcome->reply = std::move(reply);
    outcome->done.Notify();
  };
  tandem::testing::CallAsync(client, method, request, options, on_done);
  if (!outcome->done.WaitForNotificationWithTimeout(limit)) return NoReply(limit);
  return outcome->reply;
}

}  // namespace

std::string ClientFormName(ClientForm form) {
  switch (form) {
    case ClientForm::kBlocking:
      return "BlockingClient";
    case ClientForm::kAsyncCallback:
      return "AsyncClient";
    case ClientForm::kCoroutine:
      return "CoroutineClient";
  }
  return "Unknown";
}

TestRequest MakeRequest(TestRequest::Action action, std::string message) {
  TestRequest request;
  request.set_action(action);
  request.set_message(std::move(message));
  return request;
}

std::unique_ptr<TestServer> TestServer::Start(Configure configure) {
  std::unique_ptr<TestServer> test_server(new TestServer());
  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0");
  ServiceOptions options;
  options.Bind("CallbackOnPool",
               std::make_shared<ThreadPool>(ThreadPool::Options{.name = "callback-pool",
                                                                .threads = 4}));
  if (configure) configure(builder, options);
  builder.RegisterService(&test_server->service_, options);
  absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  test_server->server_ = *std::move(server);
  test_server->channel_ =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", test_server->server_->port()),
                          grpc::InsecureChannelCredentials());
  test_server->client_ = std::make_unique<Client>(test_server->channel_);
  test_server->service_.ConnectNestedClient(test_server->channel_);
  return test_server;
}

MethodStats TestServer::StatsOf(absl::string_view method) {
  const std::string full_name = absl::StartsWith(method, "/")
                                    ? std::string(method)
                                    : absl::StrCat("/tandem.testing.TestService/", method);
  for (MethodStats& stats : server_->method_stats()) {
    if (stats.method == full_name) return std::move(stats);
  }
  ADD_FAILURE() << "no stats for " << full_name;
  return {};
}

bool TestServer::WaitUntilReceived(absl::string_view method, uint64_t calls,
                                   absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (StatsOf(method).started < calls) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

MethodStats TestServer::StatsOnceIdle(absl::string_view method, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (true) {
    MethodStats stats = StatsOf(method);
    if (stats.started == stats.finished_ok + stats.finished_error || absl::Now() > give_up) {
      return stats;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

absl::StatusOr<TestReply> TestServer::Call(Method method, ClientForm form,
                                           const TestRequest& request,
                                           const CallOptions& options, absl::Duration limit) {
  switch (form) {
    case ClientForm::kBlocking: {
      // On its own thread, so that a hung call fails the test instead of hanging it.
      auto reply = std::async(std::launch::async, [&, request, options] {
        return CallBlocking(*client_, method, request, options);
      });
      if (reply.wait_for(absl::ToChronoNanoseconds(limit)) != std::future_status::ready) {
        ADD_FAILURE() << "blocking call hung; aborting to avoid a stuck test";
        std::abort();
      }
      return reply.get();
    }
    case ClientForm::kAsyncCallback:
      return CallAsyncWithin(*client_, method, request, options, limit);
    case ClientForm::kCoroutine: {
      std::future<absl::StatusOr<TestReply>> reply =
          asio::co_spawn(ClientLoop().executor(),
                         CallCoroutine(*client_, method, request, options), asio::use_future);
      if (reply.wait_for(absl::ToChronoNanoseconds(limit)) != std::future_status::ready) {
        return NoReply(limit);
      }
      return reply.get();
    }
  }
  return absl::InternalError("unknown client form");
}

}  // namespace tandem::testing
