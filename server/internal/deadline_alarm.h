// DeadlineAlarm: runs a function once, at a deadline, on a gRPC callback thread, unless it is
// destroyed first. What cancels a detached call (server/server_context.h) at its deadline for the
// waits that do not look at the clock themselves: ServerContext::AsyncWaitCancelled.
//
// gRPC's own callback alarm (grpc::Alarm) keeps the time; this adds what it lacks for an owner
// that may go at any moment: once the destructor has returned, the function is not running and
// never will. (A cancelled grpc::Alarm still calls its callback, later, with ok = false.)
//
// Threads: construct and destroy on any thread. The function runs on a gRPC callback thread and
// must never block; it may destroy the alarm (its owner may end inside it). Elsewhere, the
// destructor waits for a run under way, so it must not be called while holding a lock the
// function takes.
#ifndef TANDEM_SERVER_INTERNAL_DEADLINE_ALARM_H_
#define TANDEM_SERVER_INTERNAL_DEADLINE_ALARM_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "grpcpp/alarm.h"

namespace tandem::server_internal {

class DeadlineAlarm {
 public:
  // `deadline` must be finite. A deadline already past runs `at_deadline` soon, not at once.
  DeadlineAlarm(absl::Time deadline, absl::AnyInvocable<void() &&> at_deadline);
  ~DeadlineAlarm();

  DeadlineAlarm(const DeadlineAlarm&) = delete;
  DeadlineAlarm& operator=(const DeadlineAlarm&) = delete;

 private:
  struct Pending;  // the function, until it runs or is dropped; shared with the alarm's callback

  const std::shared_ptr<Pending> pending_;
  grpc::Alarm alarm_;
};

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_DEADLINE_ALARM_H_
