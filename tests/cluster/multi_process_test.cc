// Several server processes behind gRPC's own client-side load balancing (client/channel.h):
// calls spread evenly over processes on separate ports; a process killed mid-load costs only
// the calls it had in flight (UNAVAILABLE), and once restarted takes its share again; and
// several processes share one port through SO_REUSEPORT, which gRPC sets on Linux.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/channel.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/cli/process.h"
#include "tests/cluster/call_tally.h"

namespace tandem::testing {
namespace {

using ::tandem::cli_test::ServerProcess;

constexpr char kServer[] = "tandem/tests/cluster/cluster_server";
constexpr int kServers = 3;
constexpr int kCalls = 3000;
constexpr int kInFlight = 16;

// Quick reconnection, so a restarted process is found within the test's patience.
ChannelOptions QuickReconnect() {
  ChannelOptions options;
  options.initial_reconnect_backoff = absl::Milliseconds(100);
  options.max_reconnect_backoff = absl::Milliseconds(500);
  return options;
}

std::vector<std::string> Addresses(const std::vector<std::unique_ptr<ServerProcess>>& servers) {
  std::vector<std::string> addresses;
  for (const auto& server : servers) addresses.push_back(server->address());
  return addresses;
}

// Every one of `pids` served at least a fifth of `tally`'s OK calls.
::testing::AssertionResult EachServesAShare(const Tally& tally, const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    auto served = tally.by_pid.find(pid);
    const int calls = served == tally.by_pid.end() ? 0 : served->second;
    if (calls * 5 < tally.ok()) {
      return ::testing::AssertionFailure()
             << "process " << pid << " served " << calls << " of " << tally.ok() << " calls";
    }
  }
  return ::testing::AssertionSuccess();
}

// Calls until every one of `pids` has answered (round_robin reaches a new or restarted process
// once it has connected), within a generous bound.
::testing::AssertionResult UntilEachAnswers(TestClient& client, const std::vector<pid_t>& pids) {
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (absl::Now() < give_up) {
    const Tally tally = CallMany(client, 30, kInFlight);
    bool all = true;
    for (pid_t pid : pids) all &= tally.by_pid.count(pid) > 0;
    if (all) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "not every process answered within 30 s";
}

TEST(AddressListTarget, NamesEachAddressForGrpcsResolver) {
  EXPECT_EQ(AddressListTarget({"127.0.0.1:5001", "127.0.0.1:5002"}),
            "ipv4:127.0.0.1:5001,127.0.0.1:5002");
  EXPECT_EQ(AddressListTarget({"[::1]:5001", "[::1]:5002"}), "ipv6:[::1]:5001,[::1]:5002");
}

class SeveralProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < kServers; ++i) {
      servers_.push_back(std::make_unique<ServerProcess>(kServer));
      ASSERT_FALSE(servers_.back()->address().empty());
    }
    client_ = std::make_unique<TestClient>(
        CreateChannel(AddressListTarget(Addresses(servers_)), QuickReconnect()));
    ASSERT_TRUE(UntilEachAnswers(*client_, Pids()));
  }

  std::vector<pid_t> Pids() const {
    std::vector<pid_t> pids;
    for (const auto& server : servers_) pids.push_back(server->pid());
    return pids;
  }

  std::vector<std::unique_ptr<ServerProcess>> servers_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(SeveralProcesses, EachServesAShareOfTheCalls) {
  const Tally tally = CallMany(*client_, kCalls, kInFlight);
  EXPECT_EQ(tally.failed(), 0);
  EXPECT_TRUE(EachServesAShare(tally, Pids()));
}

TEST_F(SeveralProcesses, AKilledProcessCostsOnlyItsCallsInFlightAndARestartedOneServesAgain) {
  std::atomic<int> done = 0;
  Tally during;
  std::thread load([&] { during = CallMany(*client_, kCalls, kInFlight, &done); });
  while (done.load() < kCalls / 3) absl::SleepFor(absl::Milliseconds(1));
  const std::string port = servers_[1]->address().substr(servers_[1]->address().rfind(':') + 1);
  servers_[1]->Kill();
  load.join();

  // The calls in flight on the killed process fail UNAVAILABLE, and so may the few sent on its
  // connection before the client saw it close; no other call fails.
  EXPECT_LE(during.failed(), 2 * kInFlight);
  for (const auto& [code, calls] : during.failures) {
    EXPECT_EQ(code, absl::StatusCode::kUnavailable) << calls << " calls";
  }
  EXPECT_EQ(during.ok() + during.failed(), kCalls);

  servers_[1] = std::make_unique<ServerProcess>(kServer, std::vector<std::string>{
                                                             absl::StrCat("--port=", port)});
  ASSERT_FALSE(servers_[1]->address().empty());
  ASSERT_TRUE(UntilEachAnswers(*client_, Pids()));
  const Tally after = CallMany(*client_, kCalls, kInFlight);
  EXPECT_EQ(after.failed(), 0);
  EXPECT_TRUE(EachServesAShare(after, Pids()));
}

// SO_REUSEPORT: processes listening on the same port, the kernel spreading connections over
// them. One channel has one connection; many channels, each with a connection of its own, reach
// every process.
TEST(OnePort, SeveralProcessesListenOnItAndEachGetsConnections) {
  constexpr int kChannels = 60;
  std::vector<std::unique_ptr<ServerProcess>> servers;
  servers.push_back(std::make_unique<ServerProcess>(kServer));
  const std::string address = servers.front()->address();
  ASSERT_FALSE(address.empty());
  const std::string port = address.substr(address.rfind(':') + 1);
  for (int i = 1; i < kServers; ++i) {
    servers.push_back(std::make_unique<ServerProcess>(
        kServer, std::vector<std::string>{absl::StrCat("--port=", port)}));
    ASSERT_EQ(servers.back()->address(), address) << "a second process could not share the port";
  }

  // gRPC shares a connection between channels whose arguments are equal: an argument of its
  // own gives each channel its own.
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kChannels; ++i) {
    grpc::ChannelArguments args = ChannelArgumentsFor(ChannelOptions());
    args.SetInt("tandem.test.channel", i);
    clients.push_back(std::make_unique<TestClient>(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
  }
  std::map<int64_t, int> by_pid;
  for (const auto& client : clients) {
    const Tally tally = CallMany(*client, 4, 2);
    EXPECT_EQ(tally.failed(), 0);
    for (const auto& [pid, calls] : tally.by_pid) by_pid[pid] += calls;
  }
  for (const auto& server : servers) {
    EXPECT_GT(by_pid[server->pid()], 0) << "process " << server->pid() << " got no connection";
  }
}

// A server process killed while it streams to a client: the client's reads end and the call
// ends UNAVAILABLE at once, in every stream handler style; nothing waits for a deadline.
TEST(KilledMidStream, TheClientSeesUnavailableWithoutHanging) {
  for (const char* method : {"ServerStreamBlocking", "ServerStreamCoroutine",
                             "ServerStreamCallback"}) {
    ServerProcess server(kServer);
    ASSERT_FALSE(server.address().empty());
    TestClient client(CreateChannel(server.address()));
    TestRequest request;
    request.set_action(TestRequest::WAIT_FOR_CANCEL);  // writes until a write fails
    request.set_count(1);
    const CallOptions options = CallOptions().set_timeout(absl::Seconds(60));
    auto reader = std::string(method) == "ServerStreamBlocking"
                      ? client.ServerStreamBlocking(request, options)
                  : std::string(method) == "ServerStreamCoroutine"
                      ? client.ServerStreamCoroutine(request, options)
                      : client.ServerStreamCallback(request, options);
    TestReply reply;
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(reader.Read(&reply)) << method;
    server.Kill();
    auto ended = std::async(std::launch::async, [&] {
      while (reader.Read(&reply)) {
      }
      return reader.Finish();
    });
    ASSERT_EQ(ended.wait_for(std::chrono::seconds(30)), std::future_status::ready)
        << method << ": the stream did not end";
    EXPECT_EQ(ended.get().code(), absl::StatusCode::kUnavailable) << method;
  }
}

}  // namespace
}  // namespace tandem::testing
