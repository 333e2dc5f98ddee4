#include "server/internal/shadow.h"

#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/message_differencer.h"

namespace tandem::server_internal {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

std::string Describe(const grpc::Status& status) {
  std::string text(absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())));
  if (!status.error_message().empty()) absl::StrAppend(&text, " '", status.error_message(), "'");
  return text;
}

// Collects the paths of the fields that differ ("items[2].price"), not their values: a log of
// live traffic should not carry its data.
class FieldPathReporter final : public MessageDifferencer::Reporter {
 public:
  void ReportAdded(const Message&, const Message&,
                   const std::vector<MessageDifferencer::SpecificField>& path) override {
    Add("added", path);
  }
  void ReportDeleted(const Message&, const Message&,
                     const std::vector<MessageDifferencer::SpecificField>& path) override {
    Add("missing", path);
  }
  void ReportModified(const Message&, const Message&,
                      const std::vector<MessageDifferencer::SpecificField>& path) override {
    Add("differs", path);
  }

  std::string Paths() const { return absl::StrJoin(paths_, ", "); }

 private:
  void Add(absl::string_view how, const std::vector<MessageDifferencer::SpecificField>& path) {
    std::string text;
    for (const MessageDifferencer::SpecificField& step : path) {
      if (!text.empty()) text += '.';
      if (step.field != nullptr) {
        text += step.field->name();
      } else {
        absl::StrAppend(&text, "(unknown field ", step.unknown_field_number, ")");
      }
      if (step.index >= 0) absl::StrAppend(&text, "[", step.index, "]");
    }
    paths_.push_back(absl::StrCat(text, " ", how));
  }

  std::vector<std::string> paths_;
};

}  // namespace

Shadow::Shadow(std::unique_ptr<MethodBinding> candidate,
               std::shared_ptr<const DetachedUnaryMethod> method, ShadowOptions options,
               std::vector<const FieldDescriptor*> ignored_fields, DetachedCallRegistry& registry)
    : candidate_(std::move(candidate)),
      method_(std::move(method)),
      options_(std::move(options)),
      ignored_fields_(std::move(ignored_fields)),
      registry_(registry) {}

absl::StatusOr<std::vector<const FieldDescriptor*>> Shadow::ResolveIgnoredFields(
    const Descriptor* response_type, const std::vector<std::string>& paths) {
  std::vector<const FieldDescriptor*> fields;
  for (const std::string& path : paths) {
    const Descriptor* message = response_type;
    const FieldDescriptor* field = nullptr;
    for (absl::string_view name : absl::StrSplit(path, '.')) {
      field = message == nullptr ? nullptr : message->FindFieldByName(std::string(name));
      if (field == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("ShadowOptions::ignored_fields: '", path, "' is not a field of ",
                         response_type->full_name(), " (name fields by their path from it, ",
                         "e.g. \"meta.request_id\")"));
      }
      message = field->message_type();
    }
    fields.push_back(field);
  }
  return fields;
}

DetachedCall* Shadow::Prepare(const ServerContext& primary, const grpc::Status& status) {
  const uint64_t nth = seen_.fetch_add(1, std::memory_order_relaxed) + 1;
  // Every call when the share is 1; else spread evenly: the nth call is shadowed when it takes
  // share * n past a whole number.
  if (static_cast<uint64_t>(static_cast<double>(nth) * options_.share) ==
      static_cast<uint64_t>(static_cast<double>(nth - 1) * options_.share)) {
    return nullptr;
  }
  if (in_flight_.fetch_add(1, std::memory_order_relaxed) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    skipped_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  // The completion captures only `this`: it fits in the AnyInvocable, unallocated.
  DetachedCall* call =
      method_->NewCall(*candidate_, primary.Snapshot(), primary.deadline(), registry_,
                       [this](DetachedCall& call, const grpc::Status& status) {
                         Compare(call, status);
                       });
  call->expected_status() = status;
  return call;
}

void Shadow::Start(DetachedCall* call, Message& request, Message& response) {
  Message& copy = call->request_message();
  copy.GetReflection()->Swap(&copy, &request);
  Message& expected = call->expected_response();
  expected.GetReflection()->Swap(&expected, &response);
  // Refused by its executor, the call has finished already, as a candidate error.
  method_->Start(call);
}

void Shadow::Compare(DetachedCall& call, const grpc::Status& status) {
  // In flight until its result is counted and any sample kept: stats that show no shadow in
  // flight show every result (FillStats reads in_flight_ first).
  absl::Cleanup compared = [this] { in_flight_.fetch_sub(1, std::memory_order_release); };
  const CallTimes times = call.context().times();
  const absl::Time deadline = call.context().deadline();
  std::string failure;
  if (!call.ran()) {  // refused by its executor, or expired in its queue
    failure = absl::StrCat("did not run: ", Describe(status));
  } else if (call.handler_failed()) {
    failure = absl::StrCat("failed: ", Describe(status));
  } else if (times.finished > deadline) {
    failure = absl::StrCat("answered ", absl::FormatDuration(times.finished - deadline),
                           " after the call's deadline");
  }
  if (!failure.empty()) {
    const uint64_t nth = candidate_errors_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (nth <= static_cast<uint64_t>(options_.mismatches_logged)) {
      ABSL_RAW_LOG(WARNING, "%s: shadow candidate error %llu: %s", call.method().full_name.c_str(),
                   static_cast<unsigned long long>(nth), failure.c_str());
    }
    return;
  }
  if (Matches(status, call.response_message(), call.expected_status(),
              call.expected_response())) {
    matches_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t nth = mismatches_.fetch_add(1, std::memory_order_relaxed) + 1;
  // Only the first few are described: a candidate that differs on every call costs one
  // comparison per call, not two and a report.
  if (nth > static_cast<uint64_t>(options_.mismatches_logged)) return;
  const std::string difference = Difference(status, call.response_message(),
                                            call.expected_status(), call.expected_response());
  ABSL_RAW_LOG(WARNING, "%s: shadow mismatch %llu: %s", candidate_->full_name.c_str(),
               static_cast<unsigned long long>(nth), difference.c_str());
  absl::MutexLock lock(&samples_mu_);
  samples_.push_back(difference);
}

bool Shadow::Matches(const grpc::Status& status, const Message& response,
                     const grpc::Status& expected_status, const Message& expected) const {
  if (status.error_code() != expected_status.error_code() ||
      status.error_message() != expected_status.error_message()) {
    return false;
  }
  if (!status.ok()) return true;
  MessageDifferencer differencer;
  IgnoreFields(differencer);
  return differencer.Compare(expected, response);
}

std::string Shadow::Difference(const grpc::Status& status, const Message& response,
                               const grpc::Status& expected_status,
                               const Message& expected) const {
  if (status.error_code() != expected_status.error_code() ||
      status.error_message() != expected_status.error_message()) {
    return absl::StrCat("status: primary ", Describe(expected_status), ", candidate ",
                        Describe(status));
  }
  FieldPathReporter reporter;
  MessageDifferencer differencer;
  IgnoreFields(differencer);
  differencer.ReportDifferencesTo(&reporter);
  differencer.Compare(expected, response);
  return absl::StrCat("response: ", reporter.Paths());
}

void Shadow::IgnoreFields(MessageDifferencer& differencer) const {
  for (const FieldDescriptor* field : ignored_fields_) differencer.IgnoreField(field);
}

void Shadow::FillStats(MethodStats& stats) const {
  stats.shadowed = true;
  stats.shadow_style = candidate_->style;
  stats.shadow_executor = std::string(candidate_->executor->name());
  stats.shadow_in_flight = in_flight_.load(std::memory_order_acquire);
  stats.shadow_matches = matches_.load(std::memory_order_relaxed);
  stats.shadow_mismatches = mismatches_.load(std::memory_order_relaxed);
  stats.shadow_candidate_errors = candidate_errors_.load(std::memory_order_relaxed);
  stats.shadow_skipped = skipped_.load(std::memory_order_relaxed);
  absl::MutexLock lock(&samples_mu_);
  stats.shadow_mismatch_samples = samples_;
}

}  // namespace tandem::server_internal
