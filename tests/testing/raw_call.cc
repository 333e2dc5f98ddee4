#include "tests/testing/raw_call.h"

#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace tandem::testing {
namespace {

// Waits for the one operation in flight on `cq`; its success.
bool AwaitOp(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  return cq.Next(&tag, &ok) && ok;
}

}  // namespace

RawCallResult RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::vector<std::string>& requests, absl::Duration timeout) {
  RawCallResult result;
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  void* const tag = &context;  // One operation at a time: any tag will do.
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, method, &cq);
  call->StartCall(tag);
  if (AwaitOp(cq)) {
    for (const std::string& request : requests) {
      grpc::Slice slice(request);
      grpc::ByteBuffer bytes(&slice, 1);
      call->Write(bytes, tag);
      if (!AwaitOp(cq)) break;
    }
    call->WritesDone(tag);
    AwaitOp(cq);
    for (;;) {
      grpc::ByteBuffer response;
      call->Read(&response, tag);
      if (!AwaitOp(cq)) break;
      grpc::Slice all;
      if (response.TrySingleSlice(&all).ok() || response.DumpToSingleSlice(&all).ok()) {
        result.responses.emplace_back(reinterpret_cast<const char*>(all.begin()), all.size());
      }
    }
  }
  call->Finish(&result.status, tag);
  AwaitOp(cq);
  cq.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }
  return result;
}

}  // namespace tandem::testing
