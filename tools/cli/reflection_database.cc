#include "tools/cli/reflection_database.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tandem::cli {

using google::protobuf::FileDescriptorProto;

namespace {

// Whether `file` defines `symbol` ("pkg.Message", "pkg.Service.Method", "pkg.ENUM_VALUE", ...):
// whether the symbol is one of the file's top-level definitions or inside one.
bool DefinesSymbol(const FileDescriptorProto& file, const std::string& symbol) {
  const std::string prefix = file.package().empty() ? "" : absl::StrCat(file.package(), ".");
  auto is_or_inside = [&](const std::string& name) {
    const std::string full = absl::StrCat(prefix, name);
    return symbol == full || absl::StartsWith(symbol, absl::StrCat(full, "."));
  };
  for (const auto& message : file.message_type()) {
    if (is_or_inside(message.name())) return true;
  }
  for (const auto& enum_type : file.enum_type()) {
    if (is_or_inside(enum_type.name())) return true;
    for (const auto& value : enum_type.value()) {  // scoped like their enum's siblings
      if (is_or_inside(value.name())) return true;
    }
  }
  for (const auto& service : file.service()) {
    if (is_or_inside(service.name())) return true;
  }
  for (const auto& extension : file.extension()) {
    if (is_or_inside(extension.name())) return true;
  }
  return false;
}

}  // namespace

ReflectionDatabase::ReflectionDatabase(std::shared_ptr<grpc::Channel> channel,
                                       CallSettings settings)
    : channel_(std::move(channel)), settings_(std::move(settings)) {}

ReflectionDatabase::~ReflectionDatabase() {
  if (stream_ != nullptr && stream_status_.ok()) {
    context_.TryCancel();
    (void)stream_->Finish();  // CANCELLED, by us.
  }
}

std::optional<ReflectionDatabase::Response> ReflectionDatabase::Ask(const Request& request) {
  if (!stream_status_.ok()) return std::nullopt;
  if (stream_ == nullptr) {
    settings_.Apply(context_);
    stream_ = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_)->ServerReflectionInfo(
        &context_);
  }
  Response response;
  if (stream_->Write(request) && stream_->Read(&response)) return response;
  const grpc::Status status = stream_->Finish();
  stream_status_ = status.ok() ? absl::InternalError("the server ended the reflection stream early")
                               : absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                              status.error_message());
  return std::nullopt;
}

bool ReflectionDatabase::TakeFiles(
    const std::optional<Response>& response,
    const std::function<bool(const FileDescriptorProto&)>& asked_for,
    FileDescriptorProto* output) {
  if (!response.has_value() || !response->has_file_descriptor_response()) return false;
  bool any = false;
  bool found = false;
  for (const std::string& bytes : response->file_descriptor_response().file_descriptor_proto()) {
    FileDescriptorProto file;
    if (!file.ParseFromString(bytes)) continue;
    const bool wanted = !found && asked_for && asked_for(file);
    if (wanted || !any) *output = file;
    found = found || wanted;
    any = true;
    files_.try_emplace(file.name(), std::move(file));
  }
  return any;
}

bool ReflectionDatabase::FindFileByName(const std::string& filename, FileDescriptorProto* output) {
  if (auto it = files_.find(filename); it != files_.end()) {
    *output = it->second;
    return true;
  }
  Request request;
  request.set_file_by_filename(filename);
  return TakeFiles(
      Ask(request), [&](const FileDescriptorProto& file) { return file.name() == filename; },
      output);
}

bool ReflectionDatabase::FindFileContainingSymbol(const std::string& symbol_name,
                                                  FileDescriptorProto* output) {
  Request request;
  request.set_file_containing_symbol(symbol_name);
  return TakeFiles(
      Ask(request),
      [&](const FileDescriptorProto& file) { return DefinesSymbol(file, symbol_name); }, output);
}

bool ReflectionDatabase::FindFileContainingExtension(const std::string& containing_type,
                                                     int field_number,
                                                     FileDescriptorProto* output) {
  Request request;
  request.mutable_file_containing_extension()->set_containing_type(containing_type);
  request.mutable_file_containing_extension()->set_extension_number(field_number);
  return TakeFiles(
      Ask(request),
      [&](const FileDescriptorProto& file) {
        auto defines = [&](const auto& extensions) {
          for (const auto& extension : extensions) {
            // The extendee as protoc writes it: fully qualified, with a leading dot.
            if (extension.number() == field_number &&
                absl::StripPrefix(extension.extendee(), ".") ==
                    absl::StripPrefix(containing_type, ".")) {
              return true;
            }
          }
          return false;
        };
        if (defines(file.extension())) return true;
        for (const auto& message : file.message_type()) {
          if (defines(message.extension())) return true;
        }
        return false;
      },
      output);
}

bool ReflectionDatabase::FindAllExtensionNumbers(const std::string& extendee_type,
                                                 std::vector<int>* output) {
  Request request;
  request.set_all_extension_numbers_of_type(extendee_type);
  const std::optional<Response> response = Ask(request);
  if (!response.has_value() || !response->has_all_extension_numbers_response()) return false;
  for (int number : response->all_extension_numbers_response().extension_number()) {
    output->push_back(number);
  }
  return true;
}

bool ReflectionDatabase::FindAllFileNames(std::vector<std::string>* output) {
  absl::StatusOr<std::vector<std::string>> services = ListServices();
  if (!services.ok()) return false;
  std::set<std::string> seen;
  for (const std::string& service : *services) {
    FileDescriptorProto file;
    if (FindFileContainingSymbol(service, &file) && seen.insert(file.name()).second) {
      output->push_back(file.name());
    }
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> ReflectionDatabase::ListServices() {
  Request request;
  request.set_list_services("");
  const std::optional<Response> response = Ask(request);
  if (!response.has_value()) return stream_status_;
  if (response->has_error_response()) {
    return absl::Status(
        static_cast<absl::StatusCode>(response->error_response().error_code()),
        absl::StrCat("listing services: ", response->error_response().error_message()));
  }
  std::vector<std::string> names;
  for (const auto& service : response->list_services_response().service()) {
    names.push_back(service.name());
  }
  return names;
}

}  // namespace tandem::cli
