#include "executors/watchdog.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/time/clock.h"
#include "executors/internal/watched_thread.h"

namespace tandem {
namespace {

// How often the watchdog looks, at most and at least: a quarter of the shortest threshold,
// within these bounds.
constexpr absl::Duration kShortestCheckPeriod = absl::Milliseconds(1);
constexpr absl::Duration kLongestCheckPeriod = absl::Milliseconds(250);

}  // namespace

Watchdog& Watchdog::Get() {
  // Leaked on purpose: watched threads may still unregister during static destruction.
  static auto* const watchdog = new Watchdog();
  return *watchdog;
}

uint64_t Watchdog::report_count() const {
  absl::MutexLock lock(&mu_);
  return report_count_;
}

std::vector<WatchdogReport> Watchdog::RecentReports() const {
  absl::MutexLock lock(&mu_);
  return std::vector<WatchdogReport>(recent_.begin(), recent_.end());
}

void Watchdog::Register(executors_internal::WatchedThread* thread) {
  absl::MutexLock lock(&mu_);
  threads_.push_back(thread);
  if (running_) return;
  running_ = true;
  // Detached: the watchdog is never destroyed, and the thread ends once nothing is watched.
  std::thread([this] { Run(); }).detach();
}

void Watchdog::Unregister(executors_internal::WatchedThread* thread) {
  // Waits out a check of `thread` in progress, which holds mu_.
  absl::MutexLock lock(&mu_);
  threads_.erase(std::remove(threads_.begin(), threads_.end(), thread), threads_.end());
}

void Watchdog::Run() {
  while (true) {
    std::vector<std::string> messages;
    absl::Duration next_check = kLongestCheckPeriod;
    {
      absl::MutexLock lock(&mu_);
      if (threads_.empty()) {
        running_ = false;
        return;
      }
      const absl::Time now = absl::Now();
      for (executors_internal::WatchedThread* thread : threads_) {
        std::optional<WatchdogReport> report = thread->Check(now, &next_check);
        if (report) messages.push_back(RecordLocked(*std::move(report)));
      }
    }
    // Logged outside the lock, so that a slow stderr never delays a thread that unregisters.
    for (const std::string& message : messages) ABSL_RAW_LOG(WARNING, "%s", message.c_str());
    absl::SleepFor(std::max(next_check, kShortestCheckPeriod));
  }
}

std::string Watchdog::RecordLocked(WatchdogReport report) {
  ++report_count_;
  std::string message = report.message;
  recent_.push_back(std::move(report));
  if (recent_.size() > kRecentReports) recent_.pop_front();
  return message;
}

}  // namespace tandem
