// Event: a one-shot notification, as absl::Notification, whose waits suspend only the fiber when
// they run on a fiber and block the thread anywhere else.
//
//   tandem::Event done;
//   StartSomething([&] { done.Notify(); });  // the callback may run on a gRPC callback thread
//   done.Wait();                             // on a fiber, other fibers run meanwhile
//
// Guarantees:
//   - Notify may be called from any thread, gRPC callback threads included. It never waits for a
//     waiter; it takes an internal lock for a moment.
//   - Every wait that starts before or after Notify returns once Notify has been called; what
//     was written before Notify is visible after the wait returns (or HasBeenNotified is true).
//   - The Event may be destroyed as soon as a wait has returned true, even if Notify is still
//     returning on another thread: the destructor waits that out.
// Requires: Notify at most once.
//
// A thread waits as on absl::Notification (an absl::Mutex), a fiber on Boost.Fiber's condition
// variable. So the event costs plain threads, the blocking client's usual callers, no more than
// absl::Notification did, and a notifier touches Boost.Fiber only when a fiber is waiting.
#ifndef TANDEM_EXECUTORS_EVENT_H_
#define TANDEM_EXECUTORS_EVENT_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/fiber/condition_variable.hpp"

namespace tandem {

class Event {
 public:
  Event() = default;
  ~Event();

  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void Notify() ABSL_LOCKS_EXCLUDED(mu_);
  bool HasBeenNotified() const ABSL_LOCKS_EXCLUDED(mu_);

  void Wait() ABSL_LOCKS_EXCLUDED(mu_);
  // True if notified, false if `timeout` passed (or `deadline` came) first.
  bool WaitFor(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  bool WaitUntil(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
  int fiber_waiters_ ABSL_GUARDED_BY(mu_) = 0;
  // Waited on by fibers, with mu_ as its lock.
  boost::fibers::condition_variable_any fibers_cv_;
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_EVENT_H_
