// Keepalive finds a peer that went silent during a long call (what oslo.messaging's
// call_monitor_timeout gave its users): a server process stopped with SIGSTOP mid-call ends the
// call UNAVAILABLE within the client's keepalive, not at its 60 s deadline; and a client process
// stopped mid-call has its connection closed by the server's keepalive and its handler cancelled.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <future>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/channel.h"
#include "gtest/gtest.h"
#include "tests/cli/process.h"
#include "tests/testing/test_methods.h"
#include "tests/testing/test_server.h"

extern char** environ;

namespace tandem::testing {
namespace {

using ::tandem::cli_test::Runfile;
using ::tandem::cli_test::ServerProcess;

constexpr absl::Duration kLongCall = absl::Seconds(60);
// How long the test waits for what keepalive should bring in a few seconds: far less than a
// long call, far more than keepalive needs.
constexpr std::chrono::seconds kPatience(30);

TestRequest WaitForCancel() {
  TestRequest request;
  request.set_action(TestRequest::WAIT_FOR_CANCEL);
  return request;
}

// A long call to a cluster_server process that is stopped (SIGSTOP) once the call is under
// way; the call's outcome, or nullopt if it has none within kPatience.
std::optional<absl::Status> CallAStoppedServer(const ChannelOptions& options,
                                               absl::Duration deadline) {
  ServerProcess server("tandem/tests/cluster/cluster_server", {"--min_client_ping_interval=1s"});
  TestClient client(CreateChannel(server.address(), options));
  TestRequest echo;
  echo.set_action(TestRequest::ECHO);
  EXPECT_TRUE(CallBlocking(client, Method::kBlocking, echo,
                           CallOptions().set_timeout(absl::Seconds(20)))
                  .ok());  // connected

  std::promise<absl::Status> outcome;
  CallAsync(client, Method::kBlocking, WaitForCancel(), CallOptions().set_timeout(deadline),
            [&](absl::StatusOr<TestReply> reply) { outcome.set_value(reply.status()); });
  server.Signal(SIGSTOP);
  std::future<absl::Status> ended = outcome.get_future();
  const bool in_time = ended.wait_for(kPatience) == std::future_status::ready;
  server.Signal(SIGCONT);
  server.Kill();
  const absl::Status status = ended.get();  // the kill ends a call still open
  if (!in_time) return std::nullopt;
  return status;
}

TEST(Keepalive, AStoppedServerEndsALongCallUnavailableWithinTheKeepalive) {
  ChannelOptions options;
  options.keepalive_time = absl::Seconds(1);
  options.keepalive_timeout = absl::Seconds(1);
  const std::optional<absl::Status> status = CallAStoppedServer(options, kLongCall);
  ASSERT_TRUE(status.has_value()) << "the call did not end within " << kPatience.count() << " s";
  EXPECT_EQ(status->code(), absl::StatusCode::kUnavailable) << *status;
}

// The same without keepalive: nothing tells the client, and the call lasts until its deadline.
TEST(Keepalive, WithoutItAStoppedServerHoldsTheCallUntilItsDeadline) {
  ChannelOptions options;
  options.keepalive_time = absl::InfiniteDuration();
  const std::optional<absl::Status> status = CallAStoppedServer(options, absl::Seconds(5));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code(), absl::StatusCode::kDeadlineExceeded) << *status;
}

// The server side: a client process (the tandem CLI, mid-call) stopped with SIGSTOP stops
// answering the server's pings; the server closes its connection and the handler is cancelled.
TEST(Keepalive, TheServerCancelsTheCallsOfAClientThatStoppedAnswering) {
  auto server = TestServer::Start([](ServerBuilder& builder, ServiceOptions&) {
    builder.SetKeepalive({.time = absl::Seconds(1), .timeout = absl::Seconds(1)});
  });
  ASSERT_NE(server, nullptr);
  std::vector<std::string> args = {
      Runfile("tandem/tools/cli/tandem"), "--deadline=60s", "call",
      absl::StrCat("127.0.0.1:", server->server().port()), "tandem.testing.TestService/Blocking",
      R"({"action": "WAIT_FOR_CANCEL"})"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t client = -1;
  ASSERT_EQ(posix_spawn(&client, argv[0], nullptr, nullptr, argv.data(), environ), 0);

  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, absl::Seconds(30)));
  kill(client, SIGSTOP);
  EXPECT_TRUE(server->service().WaitForCancellationsSeen(1, absl::Seconds(kPatience.count())))
      << "the handler was not cancelled";
  kill(client, SIGKILL);
  waitpid(client, nullptr, 0);
}

}  // namespace
}  // namespace tandem::testing
