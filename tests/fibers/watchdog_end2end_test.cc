// The watchdog, end to end: a handler that holds its thread with a truly blocking sleep is named
// (method and time held) and counted in the server's MethodStats, whichever thread it holds: a
// fiber-pool thread (blocking handler), the coroutine loop (coroutine handler), or gRPC's callback
// thread (callback handler bound inline). The call itself still completes.
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "executors/coroutine_loop.h"
#include "executors/executor.h"
#include "executors/fiber_pool.h"
#include "executors/watchdog.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kThreshold = absl::Milliseconds(50);
constexpr absl::Duration kWait = absl::Seconds(30);

struct HeldThread {
  std::string name;
  Method method;
  std::string full_method;
  std::string thread;  // how the report names the thread
  TestServer::Configure configure;
};

std::vector<HeldThread> HeldThreads() {
  return {
      {"FiberPoolThread", Method::kBlocking, "/tandem.testing.TestService/Blocking",
       "fiber pool 'watched-fibers'",
       [](ServerBuilder&, ServiceOptions& options) {
         options.Bind("Blocking", std::make_shared<FiberPool>(FiberPool::Options{
                                      .name = "watched-fibers", .watchdog_threshold = kThreshold}));
       }},
      {"CoroutineLoop", Method::kCoroutine, "/tandem.testing.TestService/Coroutine",
       "coroutine loop 'watched-loop'",
       [](ServerBuilder& builder, ServiceOptions&) {
         builder.SetDefaultCoroutineLoop(std::make_shared<CoroutineLoop>(
             CoroutineLoop::Options{.name = "watched-loop", .watchdog_threshold = kThreshold}));
       }},
      {"GrpcCallbackThread", Method::kCallback, "/tandem.testing.TestService/Callback",
       "running inline work", nullptr},
  };
}

class WatchdogEndToEnd : public ::testing::TestWithParam<HeldThread> {
 protected:
  void SetUp() override {
    saved_inline_threshold_ = InlineExecutor::Get()->watchdog_threshold();
    InlineExecutor::Get()->SetWatchdogThreshold(kThreshold);
  }
  void TearDown() override { InlineExecutor::Get()->SetWatchdogThreshold(saved_inline_threshold_); }

 private:
  absl::Duration saved_inline_threshold_;
};

uint64_t WatchdogReportsOf(Server& server, absl::string_view method) {
  for (const MethodStats& stats : server.method_stats()) {
    if (stats.method == method) return stats.watchdog_reports;
  }
  return 0;
}

TEST_P(WatchdogEndToEnd, NamesAHandlerThatHoldsItsThreadWithABlockingSleep) {
  const HeldThread& held = GetParam();
  auto server = TestServer::Start(held.configure);
  ASSERT_NE(server, nullptr);

  // The handler sleeps (blocking) until released: the test releases it once the report is in.
  std::future<absl::StatusOr<TestReply>> call = std::async(std::launch::async, [&] {
    return server->Call(held.method, ClientForm::kAsyncCallback,
                        MakeRequest(TestRequest::BLOCKING_SLEEP, "woke up"),
                        CallOptions().set_timeout(kWait));
  });
  const absl::Time give_up = absl::Now() + kWait;
  while (WatchdogReportsOf(server->server(), held.full_method) == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));  // Polls the stats; the handler waits for Release().
  }
  server->service().Release();

  absl::StatusOr<TestReply> reply = call.get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "woke up");
  EXPECT_EQ(WatchdogReportsOf(server->server(), held.full_method), 1u);

  std::optional<WatchdogReport> report;
  for (const WatchdogReport& recent : Watchdog::Get().RecentReports()) {
    if (recent.label == held.full_method) report = recent;
  }
  ASSERT_TRUE(report.has_value());
  EXPECT_THAT(report->thread, HasSubstr(held.thread));
  EXPECT_GE(report->held, kThreshold);
  EXPECT_THAT(report->message, HasSubstr(held.full_method));
  EXPECT_THAT(report->message, HasSubstr(absl::FormatDuration(report->held)));
}

INSTANTIATE_TEST_SUITE_P(EveryWatchedThread, WatchdogEndToEnd, ::testing::ValuesIn(HeldThreads()),
                         [](const ::testing::TestParamInfo<HeldThread>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace tandem::testing
