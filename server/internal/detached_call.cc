#include "server/internal/detached_call.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/base/internal/raw_logging.h"
#include "absl/status/status.h"

namespace tandem::server_internal {

void DetachedCallRegistry::Add(DetachedCall* call) {
  absl::MutexLock lock(&mu_);
  call->next_ = first_;
  if (first_ != nullptr) first_->previous_ = call;
  first_ = call;
}

void DetachedCallRegistry::Remove(DetachedCall* call) {
  absl::MutexLock lock(&mu_);
  if (call->previous_ != nullptr) {
    call->previous_->next_ = call->next_;
  } else {
    first_ = call->next_;
  }
  if (call->next_ != nullptr) call->next_->previous_ = call->previous_;
}

bool DetachedCallRegistry::WaitUntilEmpty(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return first_ == nullptr; };
  return mu_.AwaitWithDeadline(absl::Condition(&empty), deadline);
}

void DetachedCallRegistry::CancelAll() {
  // Referenced under the lock (a call being destroyed waits on it to leave the list, and
  // refuses the reference), cancelled outside it: cancellation runs callbacks that may finish
  // the call.
  std::vector<DetachedCall*> alive;
  {
    absl::MutexLock lock(&mu_);
    for (DetachedCall* call = first_; call != nullptr; call = call->next_) {
      if (call->TryRef()) alive.push_back(call);
    }
  }
  for (DetachedCall* call : alive) {
    call->context().MarkCancelled();
    call->Unref();
  }
}

DetachedCall::DetachedCall(MethodBinding& method, std::unique_ptr<const CallSnapshot> snapshot,
                           absl::Time deadline, DetachedCallRegistry& registry,
                           Completion completion)
    : ServerCall(method, std::move(snapshot), deadline, "responder"),
      registry_(registry),
      completion_(std::move(completion)) {
  registry_.Add(this);
}

DetachedCall::~DetachedCall() { registry_.Remove(this); }

bool DetachedCall::PostFinish(grpc::Status status) {
  if (finished_.exchange(true, std::memory_order_acq_rel)) return false;
  MarkFinished();
  std::move(completion_)(*this, status);
  Unref();  // the creator's
  return true;
}

DetachedCall::Completion OneWayCompletion() {
  return [](DetachedCall& call, const grpc::Status& status) {
    if (call.refused()) return;
    MethodBinding& method = call.method();
    const CallTimes times = call.context().times();
    if (call.ran()) {
      method.queued.Record(times.started - times.received);
      method.running.Record(times.finished - times.started);
    }
    if (status.ok()) {
      method.one_way_ok.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const uint64_t failures = method.one_way_failed.fetch_add(1, std::memory_order_relaxed) + 1;
    if (failures <= 10 || failures % 1000 == 0) {
      ABSL_RAW_LOG(WARNING,
                   "%s: one-way call failed after it was acknowledged: %s: %s (%llu failed so far)",
                   method.full_name.c_str(),
                   absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
                   status.error_message().c_str(), static_cast<unsigned long long>(failures));
    }
  };
}

}  // namespace tandem::server_internal
