// WorkLabel: names a kind of work (for a server, a method: "/package.Service/Method") for the
// watchdog, and counts the watchdog's reports about it.
//
// Whoever posts work passes a pointer to its label (PostOptions::label); executors hand it to the
// watchdog while the work holds a thread. A server keeps one label per method.
//
// Threads: `name` is set before the label is first used and never changed; the counter is
// thread-safe.
// Lifetime: a label must outlive every task posted with it (the watchdog reads it while the task
// runs, never after).
#ifndef TANDEM_EXECUTORS_WORK_LABEL_H_
#define TANDEM_EXECUTORS_WORK_LABEL_H_

#include <atomic>
#include <cstdint>
#include <string>

namespace tandem {

struct WorkLabel {
  std::string name;
  // Times the watchdog saw work with this label hold a thread for longer than its threshold.
  // Mutable: executors hold labels as const (what they run is not theirs to rename); the count is
  // a statistic about the label, kept by the watchdog.
  mutable std::atomic<uint64_t> watchdog_reports{0};
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_WORK_LABEL_H_
