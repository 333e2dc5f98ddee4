#include "tools/cli/json_call.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/client_callback.h"

namespace tandem::cli {
namespace {

using google::protobuf::Message;

std::multimap<std::string, std::string> CopyMetadata(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  std::multimap<std::string, std::string> copy;
  for (const auto& [key, value] : metadata) {
    copy.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  }
  return copy;
}

// protobuf's messages may span lines (a caret under the bad spot); errors here are one line.
std::string OneLine(absl::string_view text) { return absl::StrReplaceAll(text, {{"\n", " "}}); }

// protobuf's JSON syntax errors read "<reason>\n<part of the input>\n   ^". Turns the caret
// into a position in the whole request (1-based) and quotes what follows it, on one line.
std::string JsonErrorText(absl::string_view input, absl::string_view message) {
  const std::vector<absl::string_view> lines = absl::StrSplit(message, '\n');
  if (lines.size() != 3 || !absl::EndsWith(lines[2], "^")) return OneLine(message);
  const size_t snippet = lines[1].empty() ? input.size() : input.find(lines[1]);
  if (snippet == absl::string_view::npos) return OneLine(message);
  const size_t position = std::min(input.size(), snippet + lines[2].size() - 1);
  return absl::StrCat(absl::StripSuffix(lines[0], "."), " at position ", position + 1,
                      position < input.size()
                          ? absl::StrCat(": \"", input.substr(position, 20), "\"")
                          : std::string(" (the end)"));
}

// The call's reactor. The caller's thread writes (WriteAndWait, FinishWriting); gRPC's threads
// read and convert responses. A hold keeps the call from finishing while the caller may still
// write, so Write* never touches a finished stream.
class JsonReactor final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  JsonReactor(const Message& response_prototype, const ResponseWriter& on_response)
      : response_prototype_(response_prototype), on_response_(on_response) {}

  grpc::ClientContext& context() { return context_; }

  // Starts the call and the first read. Caller's thread, once.
  void Start() {
    AddHold();
    StartRead(&response_buffer_);
    StartCall();
  }

  // Sends one request and waits until gRPC has taken it. False once the call is ending.
  bool WriteAndWait(const std::string& request) ABSL_LOCKS_EXCLUDED(mu_) {
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    {
      absl::MutexLock lock(&mu_);
      write_pending_ = true;
    }
    StartWrite(&buffer);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](bool* pending) { return !*pending; }, &write_pending_));
    return write_ok_;
  }

  // Half-closes (unless `cancel`, which cancels instead) and lets the call finish.
  void FinishWriting(bool cancel) {
    if (cancel) {
      context_.TryCancel();
    } else {
      StartWritesDone();
    }
    RemoveHold();
  }

  // Waits for the call to end. After it returns the reactor may be destroyed.
  CallOutcome WaitForOutcome() {
    done_.WaitForNotification();
    outcome_.trailing_metadata = CopyMetadata(context_.GetServerTrailingMetadata());
    return std::move(outcome_);
  }

  // A response that was not of the method's type, if any. After WaitForOutcome.
  const absl::Status& response_error() const { return response_error_; }

 private:
  void OnReadInitialMetadataDone(bool ok) override {
    if (ok) outcome_.initial_metadata = CopyMetadata(context_.GetServerInitialMetadata());
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // No more responses; OnDone follows.
    std::string json;
    if (absl::Status converted = ToJson(&json); !converted.ok()) {
      response_error_ = std::move(converted);
      context_.TryCancel();
      return;
    }
    ++outcome_.responses;
    on_response_(json);
    StartRead(&response_buffer_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    write_ok_ = ok;
    write_pending_ = false;
  }

  void OnDone(const grpc::Status& status) override {
    outcome_.status = status;
    done_.Notify();  // Last touch: the caller may destroy this object as soon as it wakes.
  }

  absl::Status ToJson(std::string* json) {
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (response_buffer_.Dump(&slices).ok()) {
      for (const grpc::Slice& slice : slices) {
        bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
      }
    }
    std::unique_ptr<Message> response(response_prototype_.New());
    if (!response->ParseFromString(bytes)) {
      return absl::InternalError(
          absl::StrCat("response ", outcome_.responses + 1, " is not a ", response->GetTypeName()));
    }
    const auto printed = google::protobuf::util::MessageToJsonString(*response, json);
    if (!printed.ok()) {
      return absl::InternalError(absl::StrCat("response ", outcome_.responses + 1, ": ",
                                              OneLine(printed.message().ToString())));
    }
    return absl::OkStatus();
  }

  const Message& response_prototype_;
  const ResponseWriter& on_response_;
  grpc::ClientContext context_;
  grpc::ByteBuffer response_buffer_;

  absl::Mutex mu_;
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool write_ok_ ABSL_GUARDED_BY(mu_) = false;

  // Written by the read reactions, which never overlap, and read after done_: no lock needed.
  CallOutcome outcome_;
  absl::Status response_error_;
  absl::Notification done_;
};

}  // namespace

absl::StatusOr<CallOutcome> RunJsonCall(const std::shared_ptr<grpc::Channel>& channel,
                                        const google::protobuf::MethodDescriptor& method,
                                        const CallSettings& settings,
                                        const RequestReader& next_request,
                                        const ResponseWriter& on_response) {
  google::protobuf::DynamicMessageFactory factory;
  const Message& request_prototype = *factory.GetPrototype(method.input_type());
  JsonReactor reactor(*factory.GetPrototype(method.output_type()), on_response);
  settings.Apply(reactor.context());

  grpc::GenericStub stub(channel);
  const std::string path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  stub.PrepareBidiStreamingCall(&reactor.context(), path, grpc::StubOptions(), &reactor);
  reactor.Start();

  absl::Status request_error;
  int sent = 0;
  while (std::optional<std::string> json = next_request()) {
    std::unique_ptr<Message> request(request_prototype.New());
    const auto parsed = google::protobuf::util::JsonStringToMessage(*json, request.get());
    if (!parsed.ok()) {
      request_error = absl::InvalidArgumentError(
          absl::StrCat("request ", sent + 1, " is not a valid ", method.input_type()->full_name(),
                       ": ", JsonErrorText(*json, parsed.message().ToString())));
      break;
    }
    ++sent;
    if (!reactor.WriteAndWait(request->SerializeAsString())) break;  // The call is ending.
    if (!method.client_streaming()) break;
  }
  if (request_error.ok() && sent == 0 && !method.client_streaming()) {
    request_error = absl::InvalidArgumentError(absl::StrCat(
        method.name(), " needs a request (", method.input_type()->full_name(), "), got none"));
  }
  reactor.FinishWriting(/*cancel=*/!request_error.ok());
  CallOutcome outcome = reactor.WaitForOutcome();
  if (!request_error.ok()) return request_error;
  if (!reactor.response_error().ok()) return reactor.response_error();
  return outcome;
}

}  // namespace tandem::cli
