// Bounded waits for the executor tests: a hang in the code under test fails the test instead of
// stalling CI, and no test ever sleeps to synchronise.
//
// Threads: Blocker's task runs on any executor thread; its other members, and everything else
// here, are for the test's own thread.
#ifndef TANDEM_TESTS_EXECUTORS_BOUNDED_WAITS_H_
#define TANDEM_TESTS_EXECUTORS_BOUNDED_WAITS_H_

#include <string>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "executors/executor.h"

namespace tandem::executors_testing {

// How long a test waits for anything before calling it a hang.
inline constexpr absl::Duration kTimeout = absl::Seconds(10);

// A task that reports that it started, then holds its thread until Release(). It gives up after
// kTimeout, so that a test that fails before Release() still ends.
// Lifetime: must outlive the executor the task is posted to. One task per Blocker.
class Blocker {
 public:
  Executor::Task Task();

  bool HasStarted() const { return started_.HasBeenNotified(); }
  // True once the task has started; false if it has not within kTimeout.
  bool WaitUntilStarted() { return started_.WaitForNotificationWithTimeout(kTimeout); }
  void Release() { released_.Notify(); }

 private:
  absl::Notification started_;
  absl::Notification released_;
};

// A thread for a call that blocks (ShutdownAndWait, an executor's destructor). If the call never
// returns, JoinOrDie() fails the test and aborts the binary, naming `what`: the stuck thread still
// uses the test's objects, so aborting is the only safe way out.
class BoundedThread {
 public:
  BoundedThread(std::string what, absl::AnyInvocable<void() &&> body);
  // Joins, as JoinOrDie(), unless already joined.
  ~BoundedThread();

  BoundedThread(const BoundedThread&) = delete;
  BoundedThread& operator=(const BoundedThread&) = delete;

  // True once `body` has returned. Never blocks.
  bool HasReturned() const { return returned_.HasBeenNotified(); }
  // Waits up to `timeout` for `body` to return, then joins.
  void JoinOrDie(absl::Duration timeout = kTimeout);

 private:
  const std::string what_;
  absl::Notification returned_;
  // Last: the thread starts after the fields it uses exist.
  std::thread thread_;
};

// executor.ShutdownAndWait(), bounded as BoundedThread::JoinOrDie().
void ShutdownAndWaitOrDie(Executor& executor, absl::Duration timeout = kTimeout);

// Returns once `executor` has begun to shut down, or false after `timeout`. Shutdown has no event
// of its own to wait for: its only sign is that TryPost refuses. So this posts no-op tasks (which
// the executor accepts and runs like any other) until one is refused. The executor must have room
// for the no-ops, so that a full queue cannot pass for a shutdown.
bool WaitUntilRefusing(Executor& executor, absl::Duration timeout = kTimeout);

}  // namespace tandem::executors_testing

#endif  // TANDEM_TESTS_EXECUTORS_BOUNDED_WAITS_H_
