#include "tests/executors/bounded_waits.h"

#include <cstdlib>
#include <utility>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace tandem::executors_testing {

Executor::Task Blocker::Task() {
  return [this] {
    started_.Notify();
    released_.WaitForNotificationWithTimeout(kTimeout);
  };
}

BoundedThread::BoundedThread(std::string what, absl::AnyInvocable<void() &&> body)
    : what_(std::move(what)), thread_([this, body = std::move(body)]() mutable {
        std::move(body)();
        returned_.Notify();
      }) {}

BoundedThread::~BoundedThread() {
  if (thread_.joinable()) JoinOrDie();
}

void BoundedThread::JoinOrDie(absl::Duration timeout) {
  if (!returned_.WaitForNotificationWithTimeout(timeout)) {
    ADD_FAILURE() << what_ << " did not return within " << timeout << "; aborting";
    std::abort();
  }
  thread_.join();
}

void ShutdownAndWaitOrDie(Executor& executor, absl::Duration timeout) {
  BoundedThread shutdown(std::string(executor.name()) + ".ShutdownAndWait()",
                         [&executor] { executor.ShutdownAndWait(); });
  shutdown.JoinOrDie(timeout);
}

bool WaitUntilRefusing(Executor& executor, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (!executor.TryPost([] {})) return true;
    std::this_thread::yield();
  }
  return false;
}

}  // namespace tandem::executors_testing
