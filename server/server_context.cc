#include "server/server_context.h"

#include <utility>

#include "grpc/support/time.h"

namespace tandem {

namespace {

// The call's deadline in real time; absl::InfiniteFuture() for none.
absl::Time RealTimeDeadline(const grpc::CallbackServerContext& context) {
  const gpr_timespec raw = gpr_convert_clock_type(context.raw_deadline(), GPR_CLOCK_REALTIME);
  if (gpr_time_cmp(raw, gpr_inf_future(GPR_CLOCK_REALTIME)) == 0) return absl::InfiniteFuture();
  return absl::FromUnixSeconds(raw.tv_sec) + absl::Nanoseconds(raw.tv_nsec);
}

}  // namespace

ServerContext::ServerContext(grpc::CallbackServerContext* grpc_context, absl::string_view method,
                             Priority priority, absl::Duration deadline_margin)
    : grpc_context_(grpc_context),
      method_(method),
      priority_(priority),
      deadline_(RealTimeDeadline(*grpc_context)),
      call_scope_(std::make_shared<CallScope>(deadline_ - deadline_margin)) {}

ServerContext::ServerContext(std::unique_ptr<const server_internal::CallSnapshot> snapshot,
                             absl::string_view method, Priority priority, absl::Time deadline,
                             absl::Duration deadline_margin)
    : grpc_context_(nullptr),
      snapshot_(std::move(snapshot)),
      method_(method),
      priority_(priority),
      deadline_(deadline),
      call_scope_(std::make_shared<CallScope>(deadline_ - deadline_margin)) {}

std::unique_ptr<const server_internal::CallSnapshot> ServerContext::Snapshot() const {
  auto snapshot = std::make_unique<server_internal::CallSnapshot>();
  snapshot->peer = peer();
  snapshot->peer_identity = peer_identity();
  // One buffer for every string, filled before any view into it is taken.
  const auto& metadata = client_metadata();
  size_t bytes = 0;
  for (const auto& [key, value] : metadata) bytes += key.size() + value.size();
  std::string& storage = snapshot->metadata_storage;
  storage.reserve(bytes);
  for (const auto& [key, value] : metadata) {
    storage.append(key.data(), key.size()).append(value.data(), value.size());
  }
  size_t at = 0;
  for (const auto& [key, value] : metadata) {
    const grpc::string_ref copied_key(storage.data() + at, key.size());
    at += key.size();
    snapshot->metadata.emplace(copied_key, grpc::string_ref(storage.data() + at, value.size()));
    at += value.size();
  }
  return snapshot;
}

CallTimes ServerContext::times() const {
  const auto stamp = [](const std::atomic<int64_t>& nanos) {
    const int64_t at = nanos.load(std::memory_order_acquire);
    return at == 0 ? absl::InfinitePast() : absl::FromUnixNanos(at);
  };
  return {.received = received_, .started = stamp(started_ns_), .finished = stamp(finished_ns_)};
}

std::vector<std::string> ServerContext::peer_identity() const {
  if (snapshot_) return snapshot_->peer_identity;
  std::vector<std::string> identity;
  const std::shared_ptr<const grpc::AuthContext> auth = grpc_context_->auth_context();
  if (auth == nullptr) return identity;
  for (const grpc::string_ref& name : auth->GetPeerIdentity()) {
    identity.emplace_back(name.data(), name.size());
  }
  return identity;
}

std::optional<absl::string_view> ServerContext::FindClientMetadata(absl::string_view key) const {
  const auto& metadata = client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return absl::string_view(it->second.data(), it->second.size());
}

bool ServerContext::IsCancelled() const {
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return true;
  }
  // A detached call has no gRPC timer to cancel it at its deadline.
  if (grpc_context_ == nullptr) return absl::Now() >= deadline_;
  // gRPC knows first: a read that fails because of a cancellation may run before OnCancel.
  return grpc_context_->IsCancelled();
}

bool ServerContext::WaitForCancellation(absl::Duration timeout) {
  if (grpc_context_ == nullptr) {
    // Wakes at the deadline, which no gRPC timer enforces for a detached call.
    const absl::Duration to_deadline = deadline_ - absl::Now();
    if (to_deadline < timeout) return cancelled_event_.WaitFor(to_deadline) || IsCancelled();
  }
  return cancelled_event_.WaitFor(timeout);
}

void ServerContext::MarkCancelled() {
  std::vector<absl::AnyInvocable<void() &&>> callbacks;
  bool first;
  {
    absl::MutexLock lock(&mu_);
    first = !cancelled_;
    cancelled_ = true;
    callbacks.swap(on_cancelled_);
  }
  if (!first) return;
  cancelled_event_.Notify();
  call_scope_->Cancel();
  for (auto& callback : callbacks) std::move(callback)();
}

void ServerContext::OnCancelled(absl::AnyInvocable<void() &&> callback) {
  {
    absl::MutexLock lock(&mu_);
    if (!cancelled_) {
      on_cancelled_.push_back(std::move(callback));
      // No gRPC call stands behind a detached call to report its deadline: a timer does.
      if (grpc_context_ == nullptr && deadline_ != absl::InfiniteFuture() &&
          !deadline_alarm_.has_value()) {
        deadline_alarm_.emplace(deadline_, [this] { MarkCancelled(); });
      }
      return;
    }
  }
  std::move(callback)();
}

}  // namespace tandem
