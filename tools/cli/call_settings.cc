#include "tools/cli/call_settings.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/support/time.h"

namespace tandem::cli {

absl::StatusOr<CallSettings> CallSettings::Create(const std::vector<std::string>& headers,
                                                  absl::Time deadline) {
  CallSettings settings;
  settings.deadline_ = deadline;
  for (const std::string& header : headers) {
    const size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("-H wants key:value, got \"", header, "\""));
    }
    std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(header.substr(0, colon)));
    std::string value(absl::StripAsciiWhitespace(absl::string_view(header).substr(colon + 1)));
    if (absl::EndsWith(key, "-bin")) {
      std::string bytes;
      if (!absl::Base64Unescape(value, &bytes) && !absl::WebSafeBase64Unescape(value, &bytes)) {
        return absl::FailedPreconditionError(
            absl::StrCat("-H ", key, ": a -bin header's value must be base64"));
      }
      value = std::move(bytes);
    }
    settings.metadata_.emplace_back(std::move(key), std::move(value));
  }
  return settings;
}

void CallSettings::Apply(grpc::ClientContext& context) const {
  for (const auto& [key, value] : metadata_) context.AddMetadata(key, value);
  if (deadline_ != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline_));
}

}  // namespace tandem::cli
