// A client may be destroyed while its calls are in flight: each call keeps what it needs (gRPC's
// context holds the channel), ends as usual, and the process goes on calling.
//
// The call's end then drops the last reference to the channel on one of gRPC's callback threads.
// With no other channel or server in the process, that used to shut down gRPC's process-wide
// callback queue from one of its own threads, which then used the freed queue (a double free;
// client/internal/callback_queue_anchor.h). So the server here runs in a process of its own, and
// every test ends by calling again on a new client, after that thread has gone round its loop.
#include <future>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "asio/co_spawn.hpp"
#include "asio/post.hpp"
#include "asio/use_future.hpp"
#include "client/channel.h"
#include "executors/coroutine_loop.h"
#include "gtest/gtest.h"
#include "tests/cli/process.h"
#include "tests/testing/test_methods.h"

namespace tandem::testing {
namespace {

using ::tandem::cli_test::ServerProcess;

constexpr char kServer[] = "tandem/tests/cluster/cluster_server";

TestRequest Sleeping(absl::Duration sleep) {
  TestRequest request;
  request.set_action(TestRequest::SLEEP);
  request.set_message("slept");
  request.set_sleep_ms(absl::ToInt64Milliseconds(sleep));
  return request;
}

class ClientLifetime : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(server_.address().empty()); }

  std::unique_ptr<TestClient> NewClient() {
    return std::make_unique<TestClient>(CreateChannel(server_.address()));
  }

  // Gives gRPC's callback thread that ended the last call time to go back to its queue, then
  // calls once more: the process still works.
  void ExpectTheProcessStillCalls() {
    absl::SleepFor(absl::Milliseconds(200));
    std::unique_ptr<TestClient> client = NewClient();
    absl::StatusOr<TestReply> reply =
        CallBlocking(*client, Method::kBlocking, Sleeping(absl::ZeroDuration()), CallOptions());
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->message(), "slept");
  }

  ServerProcess server_{kServer};
};

TEST_F(ClientLifetime, AnAsyncCallOutlivesItsClient) {
  std::unique_ptr<TestClient> client = NewClient();
  std::future<absl::StatusOr<TestReply>> reply =
      client->AsyncBlocking(Sleeping(absl::Milliseconds(300)), CallOptions(), asio::use_future);
  client.reset();
  absl::StatusOr<TestReply> got = reply.get();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message(), "slept");
  ExpectTheProcessStillCalls();
}

// The client goes once the coroutine has started its call and is suspended waiting for it (a Co
// form uses its client when awaited, not when created).
TEST_F(ClientLifetime, ACoroutineCallOutlivesItsClient) {
  CoroutineLoop loop({.name = "client-loop"});
  std::unique_ptr<TestClient> client = NewClient();
  std::future<absl::StatusOr<TestReply>> reply = asio::co_spawn(
      loop.executor(), client->CoBlocking(Sleeping(absl::Milliseconds(300)), CallOptions()),
      asio::use_future);
  std::promise<void> gone;
  asio::post(loop.executor(), [&] {
    client.reset();
    gone.set_value();
  });
  gone.get_future().wait();
  absl::StatusOr<TestReply> got = reply.get();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message(), "slept");
  ExpectTheProcessStillCalls();
}

// The stream's handle goes after its client: the call is cancelled, and gRPC's end of it is the
// last thing holding the channel.
TEST_F(ClientLifetime, AStreamAbandonedAfterItsClientEnds) {
  std::unique_ptr<TestClient> client = NewClient();
  TestRequest request;
  request.set_action(TestRequest::WAIT_FOR_CANCEL);
  auto reader = std::make_unique<ClientReader<TestReply>>(
      client->ServerStreamBlocking(request, CallOptions()));
  client.reset();
  reader.reset();
  ExpectTheProcessStillCalls();
}

}  // namespace
}  // namespace tandem::testing
