#include "executors/call_scope.h"

#include "boost/fiber/fss.hpp"
#include "executors/blocking.h"

namespace tandem {
namespace {

// Where the current scope is kept. On a FiberPool's threads, per fiber: a fiber may resume on
// another thread after a wait, and other fibers run on this one meanwhile. Elsewhere, per thread
// (fiber-specific storage would give every thread that asks a Boost.Fiber scheduler).
// Both hold a borrowed pointer: the InCallScope that set it keeps the scope alive.
thread_local CallScope* thread_scope = nullptr;

void DoNotDelete(CallScope*) {}

boost::fibers::fiber_specific_ptr<CallScope>& FiberScope() {
  static auto* const scope = new boost::fibers::fiber_specific_ptr<CallScope>(&DoNotDelete);
  return *scope;
}

void SetCurrent(CallScope* scope) {
  if (OnFiber()) {
    FiberScope().reset(scope);
  } else {
    thread_scope = scope;
  }
}

}  // namespace

CallScope* CallScope::Current() { return OnFiber() ? FiberScope().get() : thread_scope; }

bool CallScope::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

void CallScope::Cancel() {
  std::map<uint64_t, absl::AnyInvocable<void() &&>> callbacks;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    callbacks.swap(callbacks_);
  }
  // Outside the lock: a callback cancels a client call, whose completion may run right here and
  // register or unregister.
  for (auto& [id, callback] : callbacks) std::move(callback)();
}

CallScope::Registration CallScope::OnCancel(absl::AnyInvocable<void() &&> callback) {
  {
    absl::MutexLock lock(&mu_);
    if (!cancelled_) {
      const uint64_t id = next_id_++;
      callbacks_.emplace(id, std::move(callback));
      return Registration(shared_from_this(), id);
    }
  }
  std::move(callback)();
  return Registration();
}

CallScope::Registration& CallScope::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    Reset();
    scope_ = std::move(other.scope_);
    id_ = other.id_;
  }
  return *this;
}

void CallScope::Registration::Reset() {
  if (!scope_) return;
  absl::AnyInvocable<void() &&> callback;  // destroyed outside the lock
  {
    absl::MutexLock lock(&scope_->mu_);
    auto it = scope_->callbacks_.find(id_);
    if (it != scope_->callbacks_.end()) {
      callback = std::move(it->second);
      scope_->callbacks_.erase(it);
    }
  }
  scope_.reset();
}

InCallScope::InCallScope(std::shared_ptr<CallScope> scope)
    : scope_(std::move(scope)), previous_(CallScope::Current()) {
  SetCurrent(scope_.get());
}

InCallScope::~InCallScope() { SetCurrent(previous_); }

}  // namespace tandem
