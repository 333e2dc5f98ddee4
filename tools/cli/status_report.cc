#include "tools/cli/status_report.h"

#include <map>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace tandem::cli {
namespace {

std::string CodeName(grpc::StatusCode code) {
  // gRPC's and Abseil's canonical codes share their numbers and names.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// `value` as JSON, escaped by protobuf's printer.
std::string ToJson(const google::protobuf::Value& value) {
  std::string json;
  // A Value of strings and numbers always prints: the status has nothing to report.
  (void)google::protobuf::util::MessageToJsonString(value, &json);
  return json;
}

std::string StringJson(absl::string_view text) {
  google::protobuf::Value value;
  value.set_string_value(std::string(text));
  return ToJson(value);
}

// {"key":["value",...],...}, keys in order. A Struct would do, but prints its keys in hash order.
std::string MetadataJson(const std::multimap<std::string, std::string>& metadata) {
  std::vector<std::string> entries;
  for (auto it = metadata.begin(); it != metadata.end();) {
    const std::string& key = it->first;
    google::protobuf::Value values;
    for (; it != metadata.end() && it->first == key; ++it) {
      const std::string text =
          absl::EndsWith(key, "-bin") ? absl::Base64Escape(it->second) : it->second;
      values.mutable_list_value()->add_values()->set_string_value(text);
    }
    entries.push_back(absl::StrCat(StringJson(key), ":", ToJson(values)));
  }
  return absl::StrCat("{", absl::StrJoin(entries, ","), "}");
}

}  // namespace

std::string StatusLine(const grpc::Status& status) {
  return absl::StrCat(CodeName(status.error_code()), ": ", status.error_message());
}

std::string StatusJson(const CallOutcome& outcome) {
  return absl::StrCat("{\"code\":", StringJson(CodeName(outcome.status.error_code())),
                      ",\"codeNumber\":", static_cast<int>(outcome.status.error_code()),
                      ",\"message\":", StringJson(outcome.status.error_message()),
                      ",\"headers\":", MetadataJson(outcome.initial_metadata),
                      ",\"trailers\":", MetadataJson(outcome.trailing_metadata), "}");
}

}  // namespace tandem::cli
