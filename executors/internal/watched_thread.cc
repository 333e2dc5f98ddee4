#include "executors/internal/watched_thread.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tandem::executors_internal {
namespace {

thread_local WatchedThread* current_thread = nullptr;

absl::string_view LabelName(const WorkLabel* label) {
  return label == nullptr ? absl::string_view("unlabelled work") : absl::string_view(label->name);
}

}  // namespace

WatchedThread::WatchedThread(Options options) : options_(std::move(options)) {
  current_thread = this;
  Watchdog::Get().Register(this);
}

WatchedThread::~WatchedThread() {
  Watchdog::Get().Unregister(this);
  if (current_thread == this) current_thread = nullptr;
}

WatchedThread* WatchedThread::Current() { return current_thread; }

WatchedThread& WatchedThread::CurrentOrAdopt(absl::FunctionRef<Options()> options) {
  if (current_thread != nullptr) return *current_thread;
  // Destroyed, and so unregistered, when the thread exits.
  thread_local std::unique_ptr<WatchedThread> adopted;
  if (adopted == nullptr) adopted = std::make_unique<WatchedThread>(options());
  current_thread = adopted.get();
  return *adopted;
}

WatchedThread::Holder WatchedThread::Hold(const WorkLabel* label, absl::Duration threshold) {
  absl::MutexLock lock(&mu_);
  Holder previous = holder_;
  if (threshold != absl::InfiniteDuration()) {
    shortest_threshold_ = std::min(shortest_threshold_, threshold);
  }
  ReplaceLocked(Holder{.busy = true,
                       .label = label,
                       .since = absl::Now(),
                       .threshold = threshold,
                       .reported = false,
                       .id = ++next_id_});
  return previous;
}

void WatchedThread::Idle() {
  absl::MutexLock lock(&mu_);
  if (!holder_.busy) return;
  ReplaceLocked(Holder{.id = ++next_id_});
}

void WatchedThread::Restore(const Holder& previous, uint64_t current_id) {
  absl::MutexLock lock(&mu_);
  if (holder_.id != current_id) return;
  ReplaceLocked(previous);
}

uint64_t WatchedThread::current_id() const {
  absl::MutexLock lock(&mu_);
  return holder_.id;
}

void WatchedThread::ReplaceLocked(const Holder& next) {
  if (holder_.busy && holder_.reported) {
    // Raw logging writes straight to stderr: safe here, even inside a fiber scheduler.
    ABSL_RAW_LOG(WARNING, "tandem watchdog: %s: %s let go of the thread after %s",
                 options_.description.c_str(), std::string(LabelName(holder_.label)).c_str(),
                 absl::FormatDuration(absl::Now() - holder_.since).c_str());
  }
  holder_ = next;
}

std::optional<WatchdogReport> WatchedThread::Check(absl::Time now, absl::Duration* next_check) {
  absl::MutexLock lock(&mu_);
  *next_check = std::min(*next_check, shortest_threshold_ / 4);
  if (!holder_.busy || holder_.reported || holder_.threshold == absl::InfiniteDuration()) {
    return std::nullopt;
  }
  const absl::Duration held = now - holder_.since;
  if (held < holder_.threshold) return std::nullopt;
  const size_t waiting = options_.waiting_tasks ? options_.waiting_tasks() : 0;
  if (options_.waiting_tasks && waiting == 0) return std::nullopt;

  holder_.reported = true;
  // Counted here, under the lock: the label is alive for as long as its work holds the thread.
  if (holder_.label != nullptr) {
    holder_.label->watchdog_reports.fetch_add(1, std::memory_order_relaxed);
  }
  WatchdogReport report{
      .thread = options_.description,
      .label = holder_.label == nullptr ? "" : holder_.label->name,
      .held = held,
      .threshold = holder_.threshold,
      .waiting_tasks = waiting,
  };
  report.message = absl::StrCat(
      "tandem watchdog: ", options_.description, " held by ", LabelName(holder_.label), " for ",
      absl::FormatDuration(held), " (threshold ", absl::FormatDuration(holder_.threshold), ")",
      options_.waiting_tasks ? absl::StrCat(" while ", waiting, " tasks wait for a thread") : "",
      ". ", options_.hint);
  return report;
}

}  // namespace tandem::executors_internal
