#include "tools/cli/descriptor_source.h"

#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace tandem::cli {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using google::protobuf::compiler::DiskSourceTree;

// Collects protoc's parse and validation errors as "file:line:col: message".
class ErrorList final : public google::protobuf::compiler::MultiFileErrorCollector {
 public:
  void AddError(const std::string& filename, int line, int column,
                const std::string& message) override {
    if (line < 0) {  // About the whole file, e.g. "File not found."
      errors_.push_back(absl::StrCat(filename, ": ", message));
      return;
    }
    // protoc counts from 0; editors and protoc's own output count from 1.
    errors_.push_back(absl::StrCat(filename, ":", line + 1, ":", column + 1, ": ", message));
  }

  // All errors so far, on one line; then forgets them.
  std::string Take() {
    std::string joined = absl::StrJoin(errors_, "; ");
    errors_.clear();
    return joined;
  }

 private:
  std::vector<std::string> errors_;
};

// "pkg.Service/Method", "/pkg.Service/Method" or "pkg.Service.Method" as {service, method}.
std::pair<std::string, std::string> SplitMethodName(absl::string_view name) {
  absl::ConsumePrefix(&name, "/");
  size_t split = name.find('/');
  if (split == absl::string_view::npos) split = name.rfind('.');
  if (split == absl::string_view::npos) return {};
  return {std::string(name.substr(0, split)), std::string(name.substr(split + 1))};
}

}  // namespace

std::unique_ptr<DescriptorSource> DescriptorSource::FromReflection(
    std::shared_ptr<grpc::Channel> channel, CallSettings settings) {
  std::unique_ptr<DescriptorSource> source(new DescriptorSource());
  source->reflection_ =
      std::make_unique<ReflectionDatabase>(std::move(channel), std::move(settings));
  source->pool_ = std::make_unique<DescriptorPool>(source->reflection_.get());
  return source;
}

absl::StatusOr<std::unique_ptr<DescriptorSource>> DescriptorSource::FromProtoFiles(
    const std::vector<std::string>& files, std::vector<std::string> import_paths) {
  std::unique_ptr<DescriptorSource> source(new DescriptorSource());
  if (import_paths.empty()) import_paths.push_back(".");
  source->source_tree_ = std::make_unique<DiskSourceTree>();
  for (const std::string& path : import_paths) source->source_tree_->MapPath("", path);

  auto errors = std::make_unique<ErrorList>();
  source->disk_database_ =
      std::make_unique<google::protobuf::compiler::SourceTreeDescriptorDatabase>(
          source->source_tree_.get());
  source->disk_database_->RecordErrorsTo(errors.get());
  // Imports of well-known types (google/protobuf/*.proto) need no import path.
  source->builtin_database_ =
      std::make_unique<google::protobuf::DescriptorPoolDatabase>(*DescriptorPool::generated_pool());
  source->proto_database_ = std::make_unique<google::protobuf::MergedDescriptorDatabase>(
      source->disk_database_.get(), source->builtin_database_.get());
  source->pool_ = std::make_unique<DescriptorPool>(
      source->proto_database_.get(), source->disk_database_->GetValidationErrorCollector());

  for (const std::string& file : files) {
    // A disk path inside an import path names the file below it; anything else is taken as a
    // path below an import path already.
    std::string virtual_file;
    std::string shadowing_disk_file;
    switch (
        source->source_tree_->DiskFileToVirtualFile(file, &virtual_file, &shadowing_disk_file)) {
      case DiskSourceTree::SUCCESS:
        break;
      case DiskSourceTree::SHADOWED:
        return absl::FailedPreconditionError(absl::StrCat(
            "--proto ", file, ": shadowed by ", shadowing_disk_file, " in an earlier -I"));
      default:
        virtual_file = file;
    }
    const FileDescriptor* descriptor = source->pool_->FindFileByName(virtual_file);
    if (descriptor == nullptr) {
      std::string why = errors->Take();
      // On disk, but not below any import path: protoc's "File not found" would puzzle.
      if (absl::StrContains(why, "File not found") && std::ifstream(file).good()) {
        why = absl::StrCat("not under any import path (", absl::StrJoin(import_paths, ", "),
                           "); add -I with the directory its imports are relative to");
      }
      return absl::FailedPreconditionError(absl::StrCat("--proto ", file, ": ", why));
    }
    source->proto_files_.push_back(descriptor);
  }
  source->proto_errors_ = std::move(errors);
  return source;
}

absl::Status DescriptorSource::LookupFailed(absl::string_view message) const {
  if (reflection_ == nullptr || reflection_->stream_status().ok()) {
    return absl::NotFoundError(message);
  }
  const absl::Status& broken = reflection_->stream_status();
  switch (broken.code()) {
    case absl::StatusCode::kUnimplemented:
      return absl::UnimplementedError("server has no reflection service; pass --proto");
    case absl::StatusCode::kUnavailable:
      return absl::UnavailableError(absl::StrCat("server unreachable: ", broken.message()));
    case absl::StatusCode::kDeadlineExceeded:
      return absl::DeadlineExceededError(absl::StrCat(
          "deadline exceeded while asking the server's reflection service: ", broken.message()));
    default:
      // Any other code is the server's own failure, not a kind exit_code.h tells apart.
      return absl::UnknownError(absl::StrCat(
          "reflection failed: ", absl::StatusCodeToString(broken.code()), ": ", broken.message()));
  }
}

absl::StatusOr<std::vector<DescriptorSource::ListedService>> DescriptorSource::ListServices() {
  std::vector<ListedService> services;
  if (reflection_ == nullptr) {
    for (const FileDescriptor* file : proto_files_) {
      for (int i = 0; i < file->service_count(); ++i) {
        services.push_back({file->service(i)->full_name(), file->service(i)});
      }
    }
    return services;
  }
  absl::StatusOr<std::vector<std::string>> names = reflection_->ListServices();
  if (!names.ok()) return LookupFailed(names.status().message());
  for (const std::string& name : *names) {
    const ServiceDescriptor* service = pool_->FindServiceByName(name);
    if (service == nullptr && !reflection_->stream_status().ok()) return LookupFailed(name);
    services.push_back({name, service});
  }
  return services;
}

absl::StatusOr<const MethodDescriptor*> DescriptorSource::FindMethod(absl::string_view name) {
  const auto [service_name, method_name] = SplitMethodName(name);
  if (service_name.empty() || method_name.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("method must be package.Service/Method, got \"", name, "\""));
  }
  const ServiceDescriptor* service = pool_->FindServiceByName(service_name);
  if (service == nullptr) return LookupFailed(absl::StrCat("unknown service: ", service_name));
  const MethodDescriptor* method = service->FindMethodByName(method_name);
  if (method == nullptr) {
    std::vector<std::string> known;
    for (int i = 0; i < service->method_count(); ++i) known.push_back(service->method(i)->name());
    return absl::NotFoundError(absl::StrCat("unknown method: ", method_name, " (", service_name,
                                            " has ", absl::StrJoin(known, ", "), ")"));
  }
  return method;
}

absl::StatusOr<std::string> DescriptorSource::Describe(absl::string_view symbol) {
  std::string name(symbol);
  if (absl::StrContains(name, '/')) {
    const auto [service, method] = SplitMethodName(name);
    name = absl::StrCat(service, ".", method);
  }
  // One lookup by the server (or the files) for the file; the kind is then found locally.
  if (pool_->FindFileContainingSymbol(name) == nullptr) {
    return LookupFailed(absl::StrCat("unknown symbol: ", symbol));
  }
  if (const auto* service = pool_->FindServiceByName(name)) return service->DebugString();
  if (const auto* method = pool_->FindMethodByName(name)) return method->DebugString();
  if (const auto* message = pool_->FindMessageTypeByName(name)) return message->DebugString();
  if (const auto* enum_type = pool_->FindEnumTypeByName(name)) return enum_type->DebugString();
  return absl::NotFoundError(absl::StrCat(symbol, " is not a service, method, message or enum"));
}

}  // namespace tandem::cli
