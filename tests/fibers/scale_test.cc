// Scale: 10 000 calls at once to a blocking-style handler that waits 100 ms with tandem::SleepFor,
// served by a fiber pool of two threads, all answer correctly. On a thread pool the same handler
// would need a thread per waiting call; tests/fibers/scale_report.cc measures both.
#include <memory>

#include "absl/strings/str_cat.h"
#include "executors/fiber_pool.h"
#include "gtest/gtest.h"
#include "tests/fibers/concurrent_calls.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

TEST(FiberScale, TenThousandSleepingCallsOnATwoThreadFiberPoolAllAnswer) {
  constexpr int kCalls = 10'000;
  auto pool = std::make_shared<FiberPool>(FiberPool::Options{.name = "scale-fibers", .threads = 2});
  auto server = TestServer::Start(
      [&](ServerBuilder&, ServiceOptions& options) { options.Bind("Blocking", pool); });
  ASSERT_NE(server, nullptr);

  ConcurrentCallsResult result = RunConcurrentCalls(
      server->client(), kCalls,
      [](int i) {
        TestRequest request = MakeRequest(TestRequest::SLEEP, absl::StrCat("call-", i));
        request.set_sleep_ms(100);
        return request;
      },
      absl::Seconds(120));

  EXPECT_EQ(result.answered, kCalls);
  EXPECT_EQ(result.ok, kCalls) << "first error: " << result.first_error;
  server->server().Shutdown(absl::Seconds(10));
  EXPECT_EQ(pool->stats().completed, static_cast<uint64_t>(kCalls));
  EXPECT_EQ(pool->stats().rejected, 0u);
}

}  // namespace
}  // namespace tandem::testing
