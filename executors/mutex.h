// Mutex and CondVar: a lock and a condition that suspend only the fiber when they wait on a fiber,
// and block the thread anywhere else.
//
//   tandem::Mutex mu;
//   int pending ABSL_GUARDED_BY(mu) = 0;
//   ...
//   tandem::MutexLock lock(&mu);
//   while (pending == 0) changed.Wait(&mu);
//
// Use these, not absl::Mutex or std::mutex, for anything held or waited on across a Tandem
// blocking point on a fiber: a thread mutex held by a suspended fiber blocks the next fiber of the
// same thread that wants it, and that deadlocks the thread. They are Boost.Fiber's mutex and
// condition variable, in a class marked ABSL_LOCKABLE so that Abseil's thread-safety annotations
// (ABSL_GUARDED_BY, ABSL_EXCLUSIVE_LOCKS_REQUIRED...) work as they do with absl::Mutex.
//
// Threads: any thread or fiber, mixed freely: a fiber and a plain thread may share one Mutex. A
// Mutex belongs to the fiber (or thread) that locked it, and only that one may unlock it; a fiber
// may move to another thread of its pool while it holds the lock. Not recursive. CondVar::Signal
// and SignalAll never block, with or without the mutex held.
// Lifetime: destroy a Mutex unlocked and a CondVar with no waiters.
// Cost: the first wait on a plain thread gives that thread Boost.Fiber's implicit main fiber and
// scheduler (a few KiB, kept until the thread exits), through which the thread then blocks.
#ifndef TANDEM_EXECUTORS_MUTEX_H_
#define TANDEM_EXECUTORS_MUTEX_H_

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "boost/fiber/condition_variable.hpp"
#include "boost/fiber/mutex.hpp"

namespace tandem {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // Takes the lock if it is free; never waits.
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mu_.try_lock(); }

 private:
  friend class CondVar;
  boost::fibers::mutex mu_;
};

// Holds `mu` for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Waits for a change that another fiber or thread announces with Signal or SignalAll. As with any
// condition variable, a wait may also end for no reason: wait in a loop that checks the condition.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases `mu`, waits for a signal, and takes `mu` again before returning.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // As Wait, giving up after `timeout` or at `deadline`. Returns true if it gave up (timed out),
  // as absl::CondVar does.
  bool WaitWithTimeout(Mutex* mu, absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  bool WaitWithDeadline(Mutex* mu, absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // Wakes one waiter / every waiter. Any thread; never blocks.
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  boost::fibers::condition_variable cv_;
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_MUTEX_H_
