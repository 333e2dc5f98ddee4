#include "tests/interop/interop_service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tandem::interop {
namespace {

constexpr char kEchoInitial[] = "x-grpc-test-echo-initial";
constexpr char kEchoTrailing[] = "x-grpc-test-echo-trailing-bin";

// Echoes the interop metadata back: initial as initial, trailing-bin as trailing.
void EchoMetadata(ServerContext& context) {
  if (auto initial = context.FindClientMetadata(kEchoInitial)) {
    context.AddInitialMetadata(kEchoInitial, std::string(*initial));
  }
  if (auto trailing = context.FindClientMetadata(kEchoTrailing)) {
    context.AddTrailingMetadata(kEchoTrailing, std::string(*trailing));
  }
}

// The requested status, when the request asks for one (code != 0).
template <class Request>
std::optional<grpc::Status> RequestedStatus(const Request& request) {
  if (!request.has_response_status() || request.response_status().code() == 0) {
    return std::nullopt;
  }
  return grpc::Status(static_cast<grpc::StatusCode>(request.response_status().code()),
                      request.response_status().message());
}

void FillPayload(grpc::testing::Payload* payload, int size) {
  payload->set_type(grpc::testing::COMPRESSABLE);
  payload->set_body(std::string(size, '\0'));
}

grpc::Status Unary(ServerContext& context, const SimpleRequest& request,
                   SimpleResponse* response) {
  EchoMetadata(context);
  if (auto status = RequestedStatus(request)) return *status;
  if (request.response_size() < 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "response_size must be >= 0");
  }
  FillPayload(response->mutable_payload(), request.response_size());
  return grpc::Status::OK;
}

StreamingOutputCallResponse SizedResponse(int size) {
  StreamingOutputCallResponse response;
  FillPayload(response.mutable_payload(), size);
  return response;
}

}  // namespace

void InteropService::EmptyCall(ServerContext& context, const Empty& request,
                               UnaryResponder<Empty> responder) {
  EchoMetadata(context);
  responder.Finish(grpc::Status::OK);
}

grpc::Status InteropService::UnaryCall(ServerContext& context, const SimpleRequest& request,
                                       SimpleResponse* response) {
  return Unary(context, request, response);
}

Task<grpc::Status> InteropService::CacheableUnaryCall(ServerContext& context,
                                                      const SimpleRequest& request,
                                                      SimpleResponse* response) {
  co_return Unary(context, request, response);
}

Task<grpc::Status> InteropService::StreamingOutputCall(
    ServerContext& context, const StreamingOutputCallRequest& request,
    ServerWriter<StreamingOutputCallResponse> writer) {
  EchoMetadata(context);
  for (const grpc::testing::ResponseParameters& parameters : request.response_parameters()) {
    if (parameters.interval_us() > 0) {
      co_await AsyncSleepFor(absl::Microseconds(parameters.interval_us()));
    }
    if (!co_await writer.CoWrite(SizedResponse(parameters.size()))) {
      co_return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
    }
  }
  co_return RequestedStatus(request).value_or(grpc::Status::OK);
}

// Callback style: each read's completion asks for the next one, adding up the sizes; the last
// one (nullopt) answers. Completions run inline on gRPC threads and never block.
void InteropService::StreamingInputCall(ServerContext& context,
                                        ServerReader<StreamingInputCallRequest> reader,
                                        StreamingInputCallResponse* response) {
  EchoMetadata(context);
  struct Summing : std::enable_shared_from_this<Summing> {
    Summing(ServerReader<StreamingInputCallRequest> reader, StreamingInputCallResponse* response)
        : reader(std::move(reader)), response(response) {}

    void ReadNext() {
      reader.AsyncRead([self = shared_from_this()](
                           std::optional<StreamingInputCallRequest> request) {
        if (!request) {
          self->reader.Finish(grpc::Status::OK);
          return;
        }
        self->response->set_aggregated_payload_size(
            self->response->aggregated_payload_size() +
            static_cast<int>(request->payload().body().size()));
        self->ReadNext();
      });
    }

    ServerReader<StreamingInputCallRequest> reader;
    StreamingInputCallResponse* response;
  };
  std::make_shared<Summing>(std::move(reader), response)->ReadNext();
}

grpc::Status InteropService::FullDuplexCall(
    ServerContext& context,
    ServerReaderWriter<StreamingOutputCallRequest, StreamingOutputCallResponse> stream) {
  EchoMetadata(context);
  StreamingOutputCallRequest request;
  while (stream.Read(&request)) {
    if (auto status = RequestedStatus(request)) return *status;
    for (const grpc::testing::ResponseParameters& parameters : request.response_parameters()) {
      if (parameters.interval_us() > 0) {
        absl::SleepFor(absl::Microseconds(parameters.interval_us()));
      }
      if (!stream.Write(SizedResponse(parameters.size()))) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
      }
    }
  }
  return grpc::Status::OK;
}

Task<grpc::Status> InteropService::HalfDuplexCall(
    ServerContext& context,
    ServerReaderWriter<StreamingOutputCallRequest, StreamingOutputCallResponse> stream) {
  EchoMetadata(context);
  std::vector<StreamingOutputCallRequest> requests;
  while (std::optional<StreamingOutputCallRequest> request = co_await stream.CoRead()) {
    requests.push_back(*std::move(request));
  }
  for (const StreamingOutputCallRequest& request : requests) {
    if (auto status = RequestedStatus(request)) co_return *status;
    for (const grpc::testing::ResponseParameters& parameters : request.response_parameters()) {
      if (!co_await stream.CoWrite(SizedResponse(parameters.size()))) {
        co_return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
      }
    }
  }
  co_return grpc::Status::OK;
}

}  // namespace tandem::interop
