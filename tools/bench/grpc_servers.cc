#include "tools/bench/grpc_servers.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "grpcpp/alarm.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/sync_stream.h"
#include "tools/bench/bench.grpc.pb.h"

namespace tandem::bench {
namespace {

// One Sleep call of the callback server: replies when its alarm fires, or CANCELLED when the
// call is cancelled first. Deleted when both the alarm callback and OnDone have run, whichever
// is last, so neither touches a deleted reactor.
class SleepReactor final : public grpc::ServerUnaryReactor {
 public:
  SleepReactor(const BenchRequest& request, BenchReply* reply) {
    reply->set_payload(request.payload());
    // The alarm's callback runs on a gRPC executor thread; ok is false if it was cancelled.
    alarm_.Set(std::chrono::system_clock::now() + std::chrono::microseconds(request.sleep_us()),
               [this](bool ok) {
                 Finish(ok ? grpc::Status::OK
                           : grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while asleep"));
                 Unref();
               });
  }

  void OnCancel() override { alarm_.Cancel(); }
  void OnDone() override { Unref(); }

 private:
  ~SleepReactor() override = default;
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  grpc::Alarm alarm_;
  std::atomic<int> refs_{2};  // the alarm callback's and OnDone's
};

// One Stream call of the callback server: one write in flight at a time, the next started from
// OnWriteDone, all from the same reply message (StartWrite only needs it to live until then).
class StreamReactor final : public grpc::ServerWriteReactor<BenchReply> {
 public:
  explicit StreamReactor(const BenchRequest& request) : left_(request.stream_messages()) {
    reply_.set_payload(std::string(request.message_bytes(), 'x'));
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke"));
      return;
    }
    WriteNext();
  }
  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    if (left_-- > 0) {
      StartWrite(&reply_);
    } else {
      Finish(grpc::Status::OK);
    }
  }

  BenchReply reply_;
  int left_;
};

class CallbackService final : public Bench::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const BenchRequest* request, BenchReply* reply) override {
    BurnCpu(request->spin_us());
    reply->set_payload(request->payload());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* Sleep(grpc::CallbackServerContext* context,
                                  const BenchRequest* request, BenchReply* reply) override {
    return new SleepReactor(*request, reply);
  }

  grpc::ServerWriteReactor<BenchReply>* Stream(grpc::CallbackServerContext* context,
                                               const BenchRequest* request) override {
    return new StreamReactor(*request);
  }
};

class SyncService final : public Bench::Service {
  grpc::Status Echo(grpc::ServerContext* context, const BenchRequest* request,
                    BenchReply* reply) override {
    BurnCpu(request->spin_us());
    reply->set_payload(request->payload());
    return grpc::Status::OK;
  }

  grpc::Status Sleep(grpc::ServerContext* context, const BenchRequest* request,
                     BenchReply* reply) override {
    std::this_thread::sleep_for(std::chrono::microseconds(request->sleep_us()));
    reply->set_payload(request->payload());
    return grpc::Status::OK;
  }

  grpc::Status Stream(grpc::ServerContext* context, const BenchRequest* request,
                      grpc::ServerWriter<BenchReply>* writer) override {
    BenchReply reply;
    reply.set_payload(std::string(request->message_bytes(), 'x'));
    for (int i = 0; i < request->stream_messages(); ++i) {
      if (!writer->Write(reply)) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke");
      }
    }
    return grpc::Status::OK;
  }
};

// A plain gRPC server around one service of the type above.
template <class Service>
class GrpcServer final : public BenchServer {
 public:
  static absl::StatusOr<std::unique_ptr<BenchServer>> Start() {
    auto server = std::unique_ptr<GrpcServer>(new GrpcServer());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &server->port_);
    builder.RegisterService(&server->service_);
    server->server_ = builder.BuildAndStart();
    if (server->server_ == nullptr || server->port_ == 0) {
      return absl::UnavailableError("gRPC could not start a server on 127.0.0.1:0");
    }
    return std::unique_ptr<BenchServer>(std::move(server));
  }

  ~GrpcServer() override { Shutdown(absl::ZeroDuration()); }

  int port() const override { return port_; }

  void Shutdown(absl::Duration grace) override {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
    server_->Wait();
    server_.reset();
  }

 private:
  GrpcServer() = default;

  // The service outlives the server that calls it.
  Service service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BenchServer>> StartGrpcCallbackServer() {
  return GrpcServer<CallbackService>::Start();
}

absl::StatusOr<std::unique_ptr<BenchServer>> StartGrpcSyncServer() {
  return GrpcServer<SyncService>::Start();
}

}  // namespace tandem::bench
