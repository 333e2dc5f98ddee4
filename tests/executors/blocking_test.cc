// Tandem's blocking points behave the same on plain threads and on fibers, and on a fiber they
// suspend only the fiber: each case runs its bodies either on threads of their own or as fibers
// that all share ONE thread, where a wait that blocked the thread would keep the other bodies
// from ever running (and the case would fail by timeout instead of passing).
#include <atomic>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "asio/co_spawn.hpp"
#include "asio/executor_work_guard.hpp"
#include "asio/io_context.hpp"
#include "asio/steady_timer.hpp"
#include "executors/blocking.h"
#include "executors/coroutine_loop.h"
#include "executors/event.h"
#include "executors/fiber_pool.h"
#include "executors/future.h"
#include "executors/mutex.h"
#include "executors/task.h"
#include "gtest/gtest.h"
#include "tests/executors/bounded_waits.h"

namespace tandem {
namespace {

using executors_testing::BoundedThread;
using executors_testing::kTimeout;

enum class Where { kThreads, kFibersOnOneThread };

std::string WhereName(const ::testing::TestParamInfo<Where>& info) {
  return info.param == Where::kThreads ? "Threads" : "FibersOnOneThread";
}

// Runs bodies concurrently, in start order: each on a thread of its own, or each as a fiber of
// one single-thread FiberPool. WaitAll fails the test, and aborts, if they do not all return.
class Runner {
 public:
  explicit Runner(Where where) : where_(where) {
    if (where_ == Where::kFibersOnOneThread) {
      pool_ = std::make_unique<FiberPool>(FiberPool::Options{.name = "one-thread", .threads = 1});
    }
  }
  ~Runner() { WaitAll(); }

  void Start(absl::AnyInvocable<void() &&> body) {
    auto counted = [this, body = std::move(body)]() mutable {
      std::move(body)();
      absl::MutexLock lock(&mu_);
      ++returned_;
    };
    ++started_;
    if (pool_ != nullptr) {
      ASSERT_TRUE(pool_->TryPost(std::move(counted)));
    } else {
      threads_.push_back(std::make_unique<BoundedThread>("body", std::move(counted)));
    }
  }

  void WaitAll() {
    {
      absl::MutexLock lock(&mu_);
      auto all_returned = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return returned_ == started_;
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&all_returned), 3 * kTimeout)) {
        ADD_FAILURE() << (started_ - returned_) << " bodies never returned; aborting";
        std::abort();
      }
    }
    for (auto& thread : threads_) thread->JoinOrDie();
    threads_.clear();
  }

 private:
  const Where where_;
  std::unique_ptr<FiberPool> pool_;
  std::vector<std::unique_ptr<BoundedThread>> threads_;
  int started_ = 0;
  absl::Mutex mu_;
  int returned_ ABSL_GUARDED_BY(mu_) = 0;
};

class Blocking : public ::testing::TestWithParam<Where> {};

TEST_P(Blocking, OnFiberIsTrueOnlyOnAFiber) {
  std::atomic<bool> on_fiber{false};
  Runner runner(GetParam());
  runner.Start([&] { on_fiber = OnFiber(); });
  runner.WaitAll();
  EXPECT_EQ(on_fiber, GetParam() == Where::kFibersOnOneThread);
  EXPECT_FALSE(OnFiber());
}

TEST_P(Blocking, SleepForWaitsAtLeastTheDuration) {
  constexpr absl::Duration kSleep = absl::Milliseconds(20);
  absl::Duration slept;
  Runner runner(GetParam());
  runner.Start([&] {
    const absl::Time start = absl::Now();
    tandem::SleepFor(kSleep);
    slept = absl::Now() - start;
  });
  runner.WaitAll();
  EXPECT_GE(slept, kSleep);
}

// The sleeper keeps sleeping until the other body has run: on one thread, only a sleep that
// yields the thread lets it.
TEST_P(Blocking, SleepForLetsOtherWorkRun) {
  std::atomic<bool> other_ran{false};
  std::atomic<bool> sleeper_saw_it{false};
  Runner runner(GetParam());
  runner.Start([&] {
    const absl::Time give_up = absl::Now() + kTimeout;
    while (!other_ran && absl::Now() < give_up) tandem::SleepFor(absl::Milliseconds(1));
    sleeper_saw_it = other_ran.load();
  });
  runner.Start([&] { other_ran = true; });
  runner.WaitAll();
  EXPECT_TRUE(sleeper_saw_it);
}

TEST_P(Blocking, YieldLetsOtherWorkRun) {
  std::atomic<bool> other_ran{false};
  std::atomic<bool> yielder_saw_it{false};
  Runner runner(GetParam());
  runner.Start([&] {
    const absl::Time give_up = absl::Now() + kTimeout;
    while (!other_ran && absl::Now() < give_up) Yield();
    yielder_saw_it = other_ran.load();
  });
  runner.Start([&] { other_ran = true; });
  runner.WaitAll();
  EXPECT_TRUE(yielder_saw_it);
}

TEST_P(Blocking, EventWaitReturnsOnceAnotherBodyNotifies) {
  Event event;
  std::atomic<bool> notified{false};
  Runner runner(GetParam());
  runner.Start([&] { notified = event.WaitFor(kTimeout); });
  runner.Start([&] { event.Notify(); });
  runner.WaitAll();
  EXPECT_TRUE(notified);
  EXPECT_TRUE(event.HasBeenNotified());
}

TEST_P(Blocking, EventNotifiedFromAPlainThreadWakesTheWaiter) {
  Event event;
  std::atomic<bool> notified{false};
  Runner runner(GetParam());
  runner.Start([&] { notified = event.WaitFor(kTimeout); });
  BoundedThread notifier("Event::Notify", [&] { event.Notify(); });
  runner.WaitAll();
  EXPECT_TRUE(notified);
}

TEST_P(Blocking, EventWaitForGivesUpAfterTheTimeout) {
  constexpr absl::Duration kTimeoutUnderTest = absl::Milliseconds(20);
  Event never;
  bool notified = true;
  absl::Duration waited;
  Runner runner(GetParam());
  runner.Start([&] {
    const absl::Time start = absl::Now();
    notified = never.WaitFor(kTimeoutUnderTest);
    waited = absl::Now() - start;
  });
  runner.WaitAll();
  EXPECT_FALSE(notified);
  EXPECT_GE(waited, kTimeoutUnderTest);
}

TEST_P(Blocking, EventNotifiedBeforeTheWaitReturnsAtOnce) {
  Event event;
  event.Notify();
  std::atomic<bool> notified{false};
  Runner runner(GetParam());
  runner.Start([&] {
    event.Wait();
    notified = true;
  });
  runner.WaitAll();
  EXPECT_TRUE(notified);
}

// The waiter destroys the event as soon as its wait returns, while the notifying thread may
// still be inside Notify: the event must be done with itself by then.
TEST_P(Blocking, EventCanBeDestroyedAsSoonAsTheWaitReturns) {
  constexpr int kRounds = 300;
  std::atomic<int> woken{0};
  Runner runner(GetParam());
  runner.Start([&] {
    for (int i = 0; i < kRounds; ++i) {
      auto event = std::make_unique<Event>();
      std::thread notifier([event = event.get()] { event->Notify(); });
      if (event->WaitFor(kTimeout)) ++woken;
      event.reset();
      notifier.join();
    }
  });
  runner.WaitAll();
  EXPECT_EQ(woken, kRounds);
}

// The holder waits, lock held, for a third body that can only run if the second body, which
// wants the lock meanwhile, gave up its thread while waiting for it.
TEST_P(Blocking, MutexLockWaitsWithoutHoldingTheThread) {
  Mutex mu;
  Event held;
  Event go;
  std::atomic<bool> got_lock{false};
  Runner runner(GetParam());
  runner.Start([&] {
    MutexLock lock(&mu);
    held.Notify();
    go.WaitFor(kTimeout);
  });
  runner.Start([&] {
    held.WaitFor(kTimeout);
    MutexLock lock(&mu);
    got_lock = true;
  });
  runner.Start([&] { go.Notify(); });
  runner.WaitAll();
  EXPECT_TRUE(got_lock);
  EXPECT_TRUE(go.HasBeenNotified());
}

TEST_P(Blocking, MutexExcludesBodiesThatWaitWhileHoldingIt) {
  constexpr int kBodies = 4;
  constexpr int kIncrements = 100;
  Mutex mu;
  int counter = 0;  // Guarded by mu, and read back after the bodies are done.
  Runner runner(GetParam());
  for (int b = 0; b < kBodies; ++b) {
    runner.Start([&] {
      for (int i = 0; i < kIncrements; ++i) {
        MutexLock lock(&mu);
        const int seen = counter;
        Yield();  // Another body runs now, and must not get in.
        counter = seen + 1;
      }
    });
  }
  runner.WaitAll();
  EXPECT_EQ(counter, kBodies * kIncrements);
}

TEST_P(Blocking, MutexTryLockNeverWaits) {
  Mutex mu;
  std::atomic<bool> second_got_it{true};
  Runner runner(GetParam());
  mu.Lock();
  runner.Start([&] {
    if (mu.TryLock()) {
      mu.Unlock();
    } else {
      second_got_it = false;
    }
  });
  runner.WaitAll();
  mu.Unlock();
  EXPECT_FALSE(second_got_it);
}

TEST_P(Blocking, CondVarWaitEndsWhenAnotherBodySignals) {
  Mutex mu;
  CondVar changed;
  bool ready = false;
  std::atomic<bool> saw_ready{false};
  Runner runner(GetParam());
  runner.Start([&] {
    MutexLock lock(&mu);
    const absl::Time deadline = absl::Now() + kTimeout;
    while (!ready && !changed.WaitWithDeadline(&mu, deadline)) {
    }
    saw_ready = ready;
  });
  runner.Start([&] {
    MutexLock lock(&mu);
    ready = true;
    changed.Signal();
  });
  runner.WaitAll();
  EXPECT_TRUE(saw_ready);
}

TEST_P(Blocking, CondVarWaitWithTimeoutReportsTheTimeout) {
  Mutex mu;
  CondVar never;
  std::atomic<bool> timed_out{false};
  Runner runner(GetParam());
  runner.Start([&] {
    MutexLock lock(&mu);
    timed_out = never.WaitWithTimeout(&mu, absl::Milliseconds(20));
  });
  runner.WaitAll();
  EXPECT_TRUE(timed_out);
}

TEST_P(Blocking, FutureGetReturnsTheValueAnotherBodySets) {
  Promise<int> promise;
  Future<int> future = promise.get_future();
  std::atomic<int> got{0};
  Runner runner(GetParam());
  runner.Start([&] { got = future.get(); });
  runner.Start([&] { promise.set_value(42); });
  runner.WaitAll();
  EXPECT_EQ(got, 42);
}

// An Asio operation completing on its own thread, waited for with tandem::use_future.
TEST_P(Blocking, UseFutureWaitsForAnAsioOperation) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  BoundedThread io_thread("io_context::run", [&] { io.run(); });
  std::error_code result = std::make_error_code(std::errc::io_error);
  Runner runner(GetParam());
  runner.Start([&] {
    asio::steady_timer timer(io, std::chrono::milliseconds(5));
    Future<std::error_code> done = timer.async_wait(use_future);
    result = done.get();
  });
  runner.WaitAll();
  work.reset();
  io_thread.JoinOrDie();
  EXPECT_FALSE(result);
}

Task<int> Answer() {
  co_await AsyncSleepFor(absl::Milliseconds(1));
  co_return 42;
}

Task<int> Fail() {
  co_await AsyncSleepFor(absl::Milliseconds(1));
  throw std::runtime_error("coroutine failed");
}

TEST_P(Blocking, UseFutureWaitsForACoroutineAndRethrowsItsException) {
  CoroutineLoop loop({.name = "coroutines"});
  std::atomic<int> answer{0};
  std::string error;
  Runner runner(GetParam());
  runner.Start([&] {
    answer = asio::co_spawn(loop.executor(), Answer(), use_future).get();
    try {
      asio::co_spawn(loop.executor(), Fail(), use_future).get();
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
  });
  runner.WaitAll();
  EXPECT_EQ(answer, 42);
  EXPECT_EQ(error, "coroutine failed");
}

INSTANTIATE_TEST_SUITE_P(ThreadsAndFibers, Blocking,
                         ::testing::Values(Where::kThreads, Where::kFibersOnOneThread), WhereName);

}  // namespace
}  // namespace tandem
