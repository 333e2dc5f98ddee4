// ResumptionExecutor: the Asio executor a CoroutineLoop spawns each coroutine on. It runs
// everything it is given inside the two scopes a resumption of that coroutine belongs in:
//   - a WatchScope, so that the watchdog counts the resumption as the coroutine's (labelled)
//     work holding the loop thread;
//   - the coroutine's CallScope, if it serves a call (executors/call_scope.h), so that the call is
//     current during each of its resumptions and only then: other coroutines on the same loop
//     thread, between them, see theirs.
//
// A coroutine keeps the executor it was spawned with: its first run, every resumption after a
// co_await, and anything posted to `co_await asio::this_coro::executor` go through execute() here.
// Everything else (queries, require, prefer) is the wrapped executor's.
//
// Threads: as the wrapped executor. The label must outlive the coroutine.
#ifndef TANDEM_EXECUTORS_INTERNAL_RESUMPTION_EXECUTOR_H_
#define TANDEM_EXECUTORS_INTERNAL_RESUMPTION_EXECUTOR_H_

#include <memory>
#include <type_traits>
#include <utility>

#include "absl/time/time.h"
#include "asio/execution/execute.hpp"
#include "asio/prefer.hpp"
#include "asio/query.hpp"
#include "asio/require.hpp"
#include "executors/call_scope.h"
#include "executors/internal/watched_thread.h"
#include "executors/work_label.h"

namespace tandem::executors_internal {

// What a resumption runs inside. Copied into every task the executor runs.
struct ResumptionScopes {
  const WorkLabel* label = nullptr;
  absl::Duration watchdog_threshold;
  std::shared_ptr<CallScope> call_scope;  // null: the coroutine serves no call

  friend bool operator==(const ResumptionScopes& a, const ResumptionScopes& b) noexcept {
    return a.label == b.label && a.watchdog_threshold == b.watchdog_threshold &&
           a.call_scope == b.call_scope;
  }
};

template <class Inner>
class ResumptionExecutor {
 public:
  ResumptionExecutor(Inner inner, ResumptionScopes scopes) noexcept
      : inner_(std::move(inner)), scopes_(std::move(scopes)) {}

  template <class Property>
  auto query(const Property& property) const
      noexcept(noexcept(asio::query(std::declval<const Inner&>(), property)))
          -> decltype(asio::query(std::declval<const Inner&>(), property)) {
    return asio::query(inner_, property);
  }

  template <class Property>
  auto require(const Property& property) const -> ResumptionExecutor<
      std::decay_t<decltype(asio::require(std::declval<const Inner&>(), property))>> {
    return {asio::require(inner_, property), scopes_};
  }

  template <class Property>
  auto prefer(const Property& property) const -> ResumptionExecutor<
      std::decay_t<decltype(asio::prefer(std::declval<const Inner&>(), property))>> {
    return {asio::prefer(inner_, property), scopes_};
  }

  template <class Function>
  void execute(Function&& function) const {
    asio::execution::execute(
        inner_, [scopes = scopes_, function = std::forward<Function>(function)]() mutable {
          WatchScope watch(scopes.label, scopes.watchdog_threshold);
          InCallScope enter(std::move(scopes.call_scope));
          std::move(function)();
        });
  }

  friend bool operator==(const ResumptionExecutor& a, const ResumptionExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.scopes_ == b.scopes_;
  }
  friend bool operator!=(const ResumptionExecutor& a, const ResumptionExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  Inner inner_;
  ResumptionScopes scopes_;
};

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_RESUMPTION_EXECUTOR_H_
