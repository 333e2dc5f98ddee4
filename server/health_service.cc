#include "server/health_service.h"

#include <optional>
#include <utility>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/server_context.h"

namespace tandem {
namespace {

using ::google::protobuf::internal::WireFormatLite;

// gRPC's own service rejects longer names too: a name is a service's full name, not a payload.
constexpr size_t kMaxServiceName = 200;

// HealthCheckRequest { string service = 1; }: the service name, or nullopt if the bytes are not
// such a message.
std::optional<std::string> ParseRequest(const grpc::ByteBuffer& request) {
  grpc::Slice slice;
  if (!request.DumpToSingleSlice(&slice).ok()) return std::nullopt;
  google::protobuf::io::CodedInputStream in(slice.begin(), static_cast<int>(slice.size()));
  std::string service;
  while (const uint32_t tag = in.ReadTag()) {
    if (tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      if (!WireFormatLite::ReadString(&in, &service)) return std::nullopt;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return std::nullopt;
    }
  }
  if (!in.ConsumedEntireMessage() || service.size() > kMaxServiceName) return std::nullopt;
  return service;
}

// HealthCheckResponse { ServingStatus status = 1; }.
grpc::ByteBuffer SerializeResponse(int status) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    WireFormatLite::WriteEnum(1, status, &out);
  }
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace

// One Watch call: writes the watched service's status now and on every change, one write in
// flight at a time (a newer status replaces one not yet written). Deletes itself in OnDone.
// Threads: Send/End from any thread (under HealthService::mu_); reactions on gRPC's threads.
// StartWrite and Finish are called under the locks: gRPC never runs a reaction inside them (its
// callback completions go through its own threads), as its own health service relies on too.
class HealthService::WatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  WatchReactor(HealthService* health, std::string service)
      : health_(health), service_(std::move(service)) {}

  const std::string& service() const { return service_; }

  // Ends the call of a request that did not parse.
  void FinishBadRequest() {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "grpc.health.v1.Health/Watch: the request is not a "
                              "HealthCheckRequest with a service name of at most 200 bytes"));
  }

  void Send(WireStatus status) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (writing_) {
      next_ = status;
      return;
    }
    WriteLocked(status);
  }

  // Ends the call with OK once the status being written (if any) is out.
  void End() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    ending_ = true;
    if (!writing_ && !next_) FinishLocked(grpc::Status::OK);
  }

  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the health watch went away"));
    } else if (next_) {
      const WireStatus next = *std::exchange(next_, std::nullopt);
      WriteLocked(next);
    } else if (ending_) {
      FinishLocked(grpc::Status::OK);
    }
  }

  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the health watch was cancelled"));
  }

  void OnDone() override {
    health_->EndWatch(this);
    delete this;
  }

 private:
  void WriteLocked(WireStatus status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    response_ = SerializeResponse(status);
    StartWrite(&response_);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  HealthService* const health_;
  const std::string service_;
  absl::Mutex mu_;
  grpc::ByteBuffer response_ ABSL_GUARDED_BY(mu_);  // kept until OnWriteDone
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<WireStatus> next_ ABSL_GUARDED_BY(mu_);
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// grpc.health.v1.Health on gRPC's callback API, over raw bytes.
class HealthService::GrpcService final : public grpc::Service {
 public:
  explicit GrpcService(HealthService* health) {
    AddMethod(new grpc::internal::RpcServiceMethod(
        "/grpc.health.v1.Health/Check", grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodRawCallback(
        0, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
               [health](grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                        grpc::ByteBuffer* response) {
                 grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
                 reactor->Finish(health->Check(*request, response));
                 return reactor;
               }));
    AddMethod(new grpc::internal::RpcServiceMethod(
        "/grpc.health.v1.Health/Watch", grpc::internal::RpcMethod::SERVER_STREAMING, nullptr));
    MarkMethodRawCallback(
        1, new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
               [health](grpc::CallbackServerContext*, const grpc::ByteBuffer* request) {
                 return health->StartWatch(*request);
               }));
  }
};

HealthService::HealthService() : grpc_service_(std::make_unique<GrpcService>(this)) {
  serving_.emplace("", true);
}

// The gRPC server, shut down and destroyed first, has ended every watch.
HealthService::~HealthService() = default;

void HealthService::SetServingStatus(const std::string& service, bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  serving_[service] = serving;
  NotifyWatchersLocked(service);
}

void HealthService::SetServingStatus(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  for (auto& [service, status] : serving_) {
    status = serving;
    NotifyWatchersLocked(service);
  }
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [service, status] : serving_) {
    status = false;
    NotifyWatchersLocked(service);
  }
}

void HealthService::EndWatches() {
  absl::MutexLock lock(&mu_);
  watches_ended_ = true;
  for (auto& [service, watch] : watches_) watch->End();
}

HealthService::WireStatus HealthService::StatusOfLocked(const std::string& service) const {
  auto known = serving_.find(service);
  if (known == serving_.end()) return kServiceUnknown;
  return known->second ? kServing : kNotServing;
}

void HealthService::NotifyWatchersLocked(const std::string& service) {
  const WireStatus status = StatusOfLocked(service);
  auto [first, last] = watches_.equal_range(service);
  for (auto watch = first; watch != last; ++watch) watch->second->Send(status);
}

grpc::Status HealthService::Check(const grpc::ByteBuffer& request, grpc::ByteBuffer* response) {
  std::optional<std::string> service = ParseRequest(request);
  if (!service) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "grpc.health.v1.Health/Check: the request is not a HealthCheckRequest "
                        "with a service name of at most 200 bytes");
  }
  WireStatus status;
  {
    absl::MutexLock lock(&mu_);
    status = StatusOfLocked(*service);
  }
  if (status == kServiceUnknown) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "grpc.health.v1.Health/Check: no service named '" + *service + "'");
  }
  *response = SerializeResponse(status);
  return grpc::Status::OK;
}

HealthService::WatchReactor* HealthService::StartWatch(const grpc::ByteBuffer& request) {
  std::optional<std::string> service = ParseRequest(request);
  auto* watch = new WatchReactor(this, service.value_or(""));
  absl::MutexLock lock(&mu_);
  if (!service) {
    watch->FinishBadRequest();
    return watch;
  }
  watches_.emplace(*service, watch);
  watch->Send(StatusOfLocked(*service));
  if (watches_ended_) watch->End();
  return watch;
}

void HealthService::EndWatch(WatchReactor* watch) {
  absl::MutexLock lock(&mu_);
  auto [first, last] = watches_.equal_range(watch->service());
  for (auto it = first; it != last; ++it) {
    if (it->second == watch) {
      watches_.erase(it);
      return;
    }
  }
}

}  // namespace tandem
