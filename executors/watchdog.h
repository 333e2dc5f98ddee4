// Watchdog: names the work that holds an executor's thread for too long.
//
// Blocking on the wrong thread is the classic failure of cooperative scheduling: a fiber that
// calls a truly blocking function stalls every fiber of its thread, a coroutine that blocks stalls
// its whole loop, and a callback handler that blocks on gRPC's callback thread stalls gRPC. The
// watchdog is one background thread that looks at every thread Tandem's executors run work on.
// When one piece of work has held a thread for longer than its executor's threshold, it logs the
// thread, the work's label (for a server, the method) and the time held, and counts the report:
// in report_count(), in RecentReports(), and in the work's WorkLabel (which a server shows as
// MethodStats::watchdog_reports). When the reported work lets go of the thread, the whole time it
// held it is logged too.
//
// What one piece of work is, per executor:
//   - FiberPool: one fiber, from when it is scheduled until it yields, waits or ends. Waiting at a
//     Tandem blocking point (tandem::SleepFor, tandem::Mutex, the blocking client...) lets go.
//   - CoroutineLoop: one posted task, or one resumption of a coroutine started with TrySpawn.
//   - ThreadPool: one task. Blocking is allowed there, so a held thread is reported only while
//     other tasks wait for a thread: the sign of a starved (or self-deadlocked) pool.
//   - InlineExecutor: one task, on the thread that posts it (a gRPC callback thread, for a server).
// Thresholds belong to executors (their Options::watchdog_threshold, and
// InlineExecutor::SetWatchdogThreshold); absl::InfiniteDuration() turns watching off.
//
// Threads: every member is thread-safe and never blocks on watched work. The watchdog thread runs
// only while some thread is watched, and looks every quarter of the shortest threshold in use
// (between 1 ms and 250 ms); each piece of work is reported at most once.
#ifndef TANDEM_EXECUTORS_WATCHDOG_H_
#define TANDEM_EXECUTORS_WATCHDOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tandem {

namespace executors_internal {
class WatchedThread;
}  // namespace executors_internal

struct WatchdogReport {
  std::string thread;  // e.g. "fiber pool 'handlers' thread 1"
  std::string label;   // e.g. "/package.Service/Method"; empty for unlabelled work
  absl::Duration held;       // how long the work had held the thread when it was reported
  absl::Duration threshold;  // the executor's threshold
  size_t waiting_tasks = 0;  // thread pools: tasks waiting for a thread at that moment
  std::string message;       // what was logged
};

class Watchdog {
 public:
  // The process-wide watchdog. Never destroyed.
  static Watchdog& Get();

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Reports made since the process started.
  uint64_t report_count() const ABSL_LOCKS_EXCLUDED(mu_);
  // The latest reports (at most kRecentReports), oldest first.
  std::vector<WatchdogReport> RecentReports() const ABSL_LOCKS_EXCLUDED(mu_);

  static constexpr size_t kRecentReports = 64;

 private:
  friend class executors_internal::WatchedThread;
  Watchdog() = default;

  // For WatchedThread, which registers itself for its lifetime.
  void Register(executors_internal::WatchedThread* thread) ABSL_LOCKS_EXCLUDED(mu_);
  void Unregister(executors_internal::WatchedThread* thread) ABSL_LOCKS_EXCLUDED(mu_);

  // The watchdog thread: checks every watched thread, then sleeps a fraction of the shortest
  // threshold. Returns when no thread is watched.
  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  // Counts and keeps `report` in the same critical section that counted it in its label, so that
  // a label's count is never ahead of RecentReports. Returns the message to log.
  std::string RecordLocked(WatchdogReport report) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<executors_internal::WatchedThread*> threads_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t report_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<WatchdogReport> recent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_WATCHDOG_H_
