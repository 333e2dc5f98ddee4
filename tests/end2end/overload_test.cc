// Overload is shed at the door: a method's concurrency limiter answers a call over its limit
// with RESOURCE_EXHAUSTED at once and its handler never runs, in every style; priorities decide
// who is shed first; by default streaming methods cannot take every thread of a pool, and a call
// waits at most the default queue time; a client retrying in a tight loop does not stop the
// server serving others. Unusable limits fail BuildAndStart.
#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/cancellation.h"
#include "executors/thread_pool.h"
#include "gtest/gtest.h"
#include "server/concurrency_limiter.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

// Calls of `method` that wait in their handlers until cancelled, started in the background.
class HeldCalls {
 public:
  HeldCalls(TestServer& server, Method method) : server_(server), method_(method) {}
  ~HeldCalls() { CancelAll(); }

  // Starts `count` more and waits until `total_waiting` handlers wait; false if they never do.
  bool Hold(int count, int total_waiting) {
    for (int i = 0; i < count; ++i) {
      calls_.push_back(std::async(std::launch::async, [this] {
        return server_.Call(method_, ClientForm::kAsyncCallback,
                            MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                            CallOptions().set_cancellation(cancellation_));
      }));
    }
    return server_.service().WaitForHandlersWaiting(total_waiting, kWait);
  }

  void CancelAll() {
    cancellation_->Cancel();
    for (auto& call : calls_) call.wait();
    calls_.clear();
  }

 private:
  TestServer& server_;
  const Method method_;
  std::shared_ptr<ClientCancellation> cancellation_ = ClientCancellation::Create();
  std::vector<std::future<absl::StatusOr<TestReply>>> calls_;
};

class Shedding : public ::testing::TestWithParam<Method> {
 protected:
  std::string method() const { return MethodName(GetParam()); }
};

TEST_P(Shedding, ACallOverTheLimitIsAnsweredAtOnceAndNeverRuns) {
  auto server = TestServer::Start([this](ServerBuilder&, ServiceOptions& options) {
    options.SetConcurrencyLimiter(method(), ConcurrencyLimiter::Fixed(2));
  });
  ASSERT_NE(server, nullptr);
  HeldCalls held(*server, GetParam());
  ASSERT_TRUE(held.Hold(2, 2));

  absl::StatusOr<TestReply> shed =
      server->Call(GetParam(), ClientForm::kBlocking, MakeRequest(TestRequest::ECHO));
  EXPECT_EQ(shed.status().code(), absl::StatusCode::kResourceExhausted) << shed.status();
  EXPECT_NE(shed.status().message().find("concurrency limit"), std::string::npos)
      << shed.status();
  MethodStats stats = server->StatsOf(method());
  EXPECT_EQ(stats.shed, 1u);
  EXPECT_EQ(stats.started, 2u) << "a shed call never becomes a call of the server";
  EXPECT_EQ(stats.concurrency_limit, 2);
  EXPECT_EQ(stats.limiter_in_flight, 2);

  held.CancelAll();
  // A call's place is freed when gRPC is done with it, a moment after its client hears.
  EXPECT_EQ(server->StatsOnceIdle(method()).limiter_in_flight, 0);
  EXPECT_TRUE(server->Call(GetParam(), ClientForm::kBlocking, MakeRequest(TestRequest::ECHO)).ok())
      << "the places of finished calls are free again";
}

TEST_P(Shedding, AClientRetryingInATightLoopDoesNotStopOthersBeingServed) {
  auto server = TestServer::Start([this](ServerBuilder&, ServiceOptions& options) {
    options.SetConcurrencyLimiter(method(), ConcurrencyLimiter::Fixed(1));
  });
  ASSERT_NE(server, nullptr);
  HeldCalls held(*server, GetParam());
  ASSERT_TRUE(held.Hold(1, 1));
  std::atomic<bool> stop{false};
  std::atomic<int> rejected{0};
  std::thread retrier([&] {
    while (!stop.load()) {
      absl::StatusOr<TestReply> reply = server->client().Blocking(MakeRequest(TestRequest::ECHO));
      if (reply.status().code() == absl::StatusCode::kResourceExhausted) ++rejected;
    }
  });
  // Blocking is the retried method, unless it is the one under test: then Coroutine is.
  const bool retrying_this = GetParam() == Method::kBlocking;
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<TestReply> reply =
        server->Call(retrying_this ? Method::kCoroutine : GetParam(), ClientForm::kBlocking,
                     MakeRequest(TestRequest::ECHO, "served"));
    if (!retrying_this) {
      EXPECT_EQ(reply.status().code(), absl::StatusCode::kResourceExhausted);
    } else {
      ASSERT_TRUE(reply.ok()) << reply.status();
    }
  }
  stop = true;
  retrier.join();
  if (retrying_this) {
    EXPECT_GT(rejected.load(), 0);
  }
  held.CancelAll();
  server->StatsOnceIdle(method());  // the held call's place is free once gRPC is done with it
  EXPECT_TRUE(server->Call(GetParam(), ClientForm::kBlocking, MakeRequest(TestRequest::ECHO)).ok());
}

INSTANTIATE_TEST_SUITE_P(EveryStyle, Shedding,
                         ::testing::Values(Method::kBlocking, Method::kCoroutine,
                                           Method::kCallback, Method::kCallbackOnPool),
                         [](const auto& info) { return MethodName(info.param); });

TEST(SheddingByPriority, IdleCallsGoFirstAndHighPriorityCallsLast) {
  // One limiter of 10 shared by a high (Coroutine), a normal (Callback) and an idle (Blocking)
  // method.
  auto limiter = ConcurrencyLimiter::Fixed(10);
  auto server = TestServer::Start([&](ServerBuilder&, ServiceOptions& options) {
    for (const char* method : {"Coroutine", "Callback", "Blocking"}) {
      options.SetConcurrencyLimiter(method, limiter);
    }
    options.SetPriority("Coroutine", Priority::kHigh).SetPriority("Blocking", Priority::kIdle);
  });
  ASSERT_NE(server, nullptr);
  auto call = [&](Method method) {
    return server->Call(method, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO)).status().code();
  };
  HeldCalls held(*server, Method::kCoroutine);
  ASSERT_TRUE(held.Hold(5, 5));
  EXPECT_EQ(call(Method::kBlocking), absl::StatusCode::kResourceExhausted)
      << "half the limit in: idle calls are shed";
  EXPECT_EQ(call(Method::kCallback), absl::StatusCode::kOk);
  ASSERT_TRUE(held.Hold(4, 9));
  EXPECT_EQ(call(Method::kCallback), absl::StatusCode::kResourceExhausted)
      << "nine tenths in: normal calls are shed";
  EXPECT_EQ(call(Method::kCoroutine), absl::StatusCode::kOk) << "high-priority calls still run";
}

TEST(DefaultLimits, StreamsCannotTakeEveryThreadOfAPool) {
  auto server = TestServer::Start([](ServerBuilder& builder, ServiceOptions&) {
    builder.SetDefaultThreadPoolOptions({.name = "four", .threads = 4});
  });
  ASSERT_NE(server, nullptr);
  TestRequest endless = MakeRequest(TestRequest::WAIT_FOR_CANCEL);
  auto cancellation = ClientCancellation::Create();
  const CallOptions options = CallOptions().set_cancellation(cancellation).set_timeout(kWait);
  std::vector<ClientReader<TestReply>> streams;
  for (int i = 0; i < 2; ++i) {
    streams.push_back(server->client().ServerStreamBlocking(endless, options));
  }
  ASSERT_TRUE(server->WaitUntilReceived("ServerStreamBlocking", 2));
  ClientReader<TestReply> third = server->client().ServerStreamBlocking(endless, options);
  EXPECT_EQ(third.Finish().code(), absl::StatusCode::kResourceExhausted)
      << "half the pool's threads hold streams: the next stream is shed";
  EXPECT_TRUE(server->Call(Method::kBlocking, ClientForm::kBlocking,
                           MakeRequest(TestRequest::ECHO)).ok())
      << "unary calls still get the other threads";
  cancellation->Cancel();
  for (auto& stream : streams) EXPECT_EQ(stream.Finish().code(), absl::StatusCode::kCancelled);
}

TEST(DefaultLimits, ACallWaitsAtMostTheDefaultQueueTime) {
  auto server = TestServer::Start([](ServerBuilder& builder, ServiceOptions&) {
    builder.SetDefaultThreadPoolOptions({.name = "one", .threads = 1});
    builder.SetDefaultMaxQueueTime(absl::Milliseconds(100));
  });
  ASSERT_NE(server, nullptr);
  HeldCalls held(*server, Method::kBlocking);
  ASSERT_TRUE(held.Hold(1, 1));
  auto queued = std::async(std::launch::async, [&] {
    return server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO));
  });
  ASSERT_TRUE(server->WaitUntilReceived("Blocking", 2));
  absl::SleepFor(absl::Milliseconds(200));  // past the queue time, with the thread still held
  held.CancelAll();
  absl::StatusOr<TestReply> reply = queued.get();
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kResourceExhausted) << reply.status();
  EXPECT_NE(reply.status().message().find("queue limit"), std::string::npos) << reply.status();
  EXPECT_EQ(server->StatsOnceIdle("Blocking").queue_timeouts, 1u);
}

// BuildAndStart's answer to one misconfiguration.
absl::Status BuildWith(std::function<void(ServerBuilder&, ServiceOptions&)> configure) {
  TestServiceImpl service;
  ServerBuilder builder;
  ServiceOptions options;
  configure(builder, options);
  builder.AddListeningPort("127.0.0.1:0").RegisterService(&service, options);
  return builder.BuildAndStart().status();
}

TEST(LimitConfiguration, UnusableLimitsFailBuildAndStartNamingWhatIsWrong) {
  struct Case {
    std::string what;
    std::function<void(ServerBuilder&, ServiceOptions&)> configure;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"zero", [](ServerBuilder&, ServiceOptions& o) {
         o.SetConcurrencyLimiter("Blocking", ConcurrencyLimiter::Fixed(0));
       }, "Blocking: concurrency limiter: a fixed limit must be positive"},
      {"negative", [](ServerBuilder&, ServiceOptions& o) {
         o.SetConcurrencyLimiter("Coroutine", ConcurrencyLimiter::Fixed(-5));
       }, "Coroutine: concurrency limiter: a fixed limit must be positive"},
      {"null", [](ServerBuilder&, ServiceOptions& o) {
         o.SetConcurrencyLimiter("Blocking", nullptr);
       }, "concurrency limiter is null"},
      {"unknown method", [](ServerBuilder&, ServiceOptions& o) {
         o.SetConcurrencyLimiter("NoSuchMethod", ConcurrencyLimiter::Fixed(1));
       }, "NoSuchMethod"},
      {"executor", [](ServerBuilder& b, ServiceOptions&) {
         b.SetExecutorConcurrencyLimiter(std::make_shared<ThreadPool>(ThreadPool::Options{}),
                                         ConcurrencyLimiter::Adaptive({.min_limit = 0}));
       }, "min_limit must be positive"},
      {"queue time", [](ServerBuilder& b, ServiceOptions&) {
         b.SetDefaultMaxQueueTime(absl::ZeroDuration());
       }, "SetDefaultMaxQueueTime"},
  };
  for (const Case& c : cases) {
    absl::Status status = BuildWith(c.configure);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.what << ": " << status;
    EXPECT_NE(status.message().find(c.expected), std::string::npos) << c.what << ": " << status;
  }
}

TEST(ExecutorLimiter, IsSharedByEveryMethodOnTheExecutor) {
  auto pool = std::make_shared<ThreadPool>(ThreadPool::Options{.name = "limited", .threads = 4});
  auto limiter = ConcurrencyLimiter::Fixed(1);
  auto server = TestServer::Start([&](ServerBuilder& builder, ServiceOptions& options) {
    builder.SetDefaultBlockingExecutor(pool);
    builder.SetExecutorConcurrencyLimiter(pool, limiter);
    options.Bind("CallbackOnPool", pool);
  });
  ASSERT_NE(server, nullptr);
  HeldCalls held(*server, Method::kBlocking);
  ASSERT_TRUE(held.Hold(1, 1));
  EXPECT_EQ(server->Call(Method::kCallbackOnPool, ClientForm::kBlocking,
                         MakeRequest(TestRequest::ECHO)).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(server->StatsOf("CallbackOnPool").shed, 1u);
}

}  // namespace
}  // namespace tandem::testing
