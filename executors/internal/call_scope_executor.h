// CallScopeExecutor: an Asio executor that runs everything it is given inside a call's scope
// (executors/call_scope.h), so that a coroutine spawned on it sees its call as current during
// each of its resumptions, and only then: other coroutines on the same loop thread, between
// them, see theirs.
//
// As WatchedExecutor: the coroutine keeps the executor it was spawned with, and its first run,
// every resumption and anything posted to `co_await asio::this_coro::executor` go through
// execute() here. Everything else (queries, require, prefer) is the wrapped executor's.
//
// Threads: as the wrapped executor.
#ifndef TANDEM_EXECUTORS_INTERNAL_CALL_SCOPE_EXECUTOR_H_
#define TANDEM_EXECUTORS_INTERNAL_CALL_SCOPE_EXECUTOR_H_

#include <memory>
#include <type_traits>
#include <utility>

#include "asio/execution/execute.hpp"
#include "asio/prefer.hpp"
#include "asio/query.hpp"
#include "asio/require.hpp"
#include "executors/call_scope.h"

namespace tandem::executors_internal {

template <class Inner>
class CallScopeExecutor {
 public:
  CallScopeExecutor(Inner inner, std::shared_ptr<CallScope> scope) noexcept
      : inner_(std::move(inner)), scope_(std::move(scope)) {}

  template <class Property>
  auto query(const Property& property) const
      noexcept(noexcept(asio::query(std::declval<const Inner&>(), property)))
          -> decltype(asio::query(std::declval<const Inner&>(), property)) {
    return asio::query(inner_, property);
  }

  template <class Property>
  auto require(const Property& property) const -> CallScopeExecutor<
      std::decay_t<decltype(asio::require(std::declval<const Inner&>(), property))>> {
    return {asio::require(inner_, property), scope_};
  }

  template <class Property>
  auto prefer(const Property& property) const -> CallScopeExecutor<
      std::decay_t<decltype(asio::prefer(std::declval<const Inner&>(), property))>> {
    return {asio::prefer(inner_, property), scope_};
  }

  template <class Function>
  void execute(Function&& function) const {
    asio::execution::execute(
        inner_, [scope = scope_, function = std::forward<Function>(function)]() mutable {
          InCallScope enter(std::move(scope));
          std::move(function)();
        });
  }

  friend bool operator==(const CallScopeExecutor& a, const CallScopeExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.scope_ == b.scope_;
  }
  friend bool operator!=(const CallScopeExecutor& a, const CallScopeExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  Inner inner_;
  std::shared_ptr<CallScope> scope_;
};

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_CALL_SCOPE_EXECUTOR_H_
