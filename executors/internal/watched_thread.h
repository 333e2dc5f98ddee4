// WatchedThread: the watchdog's view of one executor thread: what work holds it, and since when.
// WatchScope: marks a piece of work as holding the calling thread, for its scope.
//
// Executors make one WatchedThread per thread they run work on and tell it when work starts and
// stops holding the thread; the watchdog (executors/watchdog.h) checks it from its own thread.
//
// Threads: a WatchedThread is made and destroyed on the thread it describes, and only that thread
// calls Hold, Idle and Restore. Check is the watchdog's, from any thread. All take a short lock.
// Lifetime: registered with the watchdog from construction to destruction. A WorkLabel passed to
// Hold must stay alive until the thread is held by something else (or destroyed).
#ifndef TANDEM_EXECUTORS_INTERNAL_WATCHED_THREAD_H_
#define TANDEM_EXECUTORS_INTERNAL_WATCHED_THREAD_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "executors/watchdog.h"
#include "executors/work_label.h"

namespace tandem::executors_internal {

class WatchedThread {
 public:
  struct Options {
    std::string description;  // e.g. "fiber pool 'handlers' thread 1"
    std::string hint;         // what to do about a report, appended to it
    // Thread pools: how many tasks wait for a thread. When set, a held thread is reported only
    // while this is above zero. Called by the watchdog while this thread is registered.
    absl::AnyInvocable<size_t() const> waiting_tasks;
  };

  // Who holds the thread: saved and restored by nested scopes.
  struct Holder {
    bool busy = false;
    const WorkLabel* label = nullptr;  // null: unlabelled work
    absl::Time since;
    absl::Duration threshold = absl::InfiniteDuration();
    bool reported = false;
    uint64_t id = 0;
  };

  explicit WatchedThread(Options options);
  ~WatchedThread();

  WatchedThread(const WatchedThread&) = delete;
  WatchedThread& operator=(const WatchedThread&) = delete;

  // The calling thread's WatchedThread, or null if it has none.
  static WatchedThread* Current();
  // Current(), or else a WatchedThread made with `options()` and kept until the thread exits.
  static WatchedThread& CurrentOrAdopt(absl::FunctionRef<Options()> options);

  // Work labelled `label` now holds the thread, displacing whatever held it, which is returned
  // (with its id) for Restore. A threshold of absl::InfiniteDuration() is never reported.
  Holder Hold(const WorkLabel* label, absl::Duration threshold) ABSL_LOCKS_EXCLUDED(mu_);
  // Nothing holds the thread.
  void Idle() ABSL_LOCKS_EXCLUDED(mu_);
  // Puts back `previous`, if the thread is still held by the hold with id `current_id` (a fiber
  // that suspended inside a scope has since been displaced, and must not clobber its successor).
  void Restore(const Holder& previous, uint64_t current_id) ABSL_LOCKS_EXCLUDED(mu_);
  // The id of the current hold.
  uint64_t current_id() const ABSL_LOCKS_EXCLUDED(mu_);

  // For the watchdog: a report if the current work has held the thread past its threshold and
  // was not reported yet (counted in its label). Lowers `*next_check` to when this thread next
  // needs a look.
  std::optional<WatchdogReport> Check(absl::Time now, absl::Duration* next_check)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Replaces the holder; logs how long the outgoing one held the thread if it was reported.
  void ReplaceLocked(const Holder& next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;

  mutable absl::Mutex mu_;
  Holder holder_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  // The shortest finite threshold this thread has been held with: sets how often it is checked.
  absl::Duration shortest_threshold_ ABSL_GUARDED_BY(mu_) = absl::InfiniteDuration();
};

// Marks the calling thread as held by `label`'s work for the scope's lifetime, then puts back
// what held it before. Does nothing on a thread without a WatchedThread.
class WatchScope {
 public:
  WatchScope(const WorkLabel* label, absl::Duration threshold)
      : WatchScope(WatchedThread::Current(), label, threshold) {}
  WatchScope(WatchedThread* thread, const WorkLabel* label, absl::Duration threshold)
      : thread_(thread) {
    if (thread_ == nullptr) return;
    previous_ = thread_->Hold(label, threshold);
    id_ = thread_->current_id();
  }
  ~WatchScope() {
    if (thread_ != nullptr) thread_->Restore(previous_, id_);
  }

  WatchScope(const WatchScope&) = delete;
  WatchScope& operator=(const WatchScope&) = delete;

 private:
  WatchedThread* const thread_;
  WatchedThread::Holder previous_;
  uint64_t id_ = 0;
};

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_WATCHED_THREAD_H_
