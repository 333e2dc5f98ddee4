#include "tools/protoc-gen-tandem/generator.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/compiler/cpp/names.h"
#include "google/protobuf/io/printer.h"
#include "google/protobuf/io/zero_copy_stream.h"

namespace tandem::codegen {
namespace {

using google::protobuf::FileDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using google::protobuf::SourceLocation;
using google::protobuf::compiler::GeneratorContext;
using google::protobuf::io::Printer;
using Vars = std::map<std::string, std::string>;

// "foo/bar.proto" -> "foo/bar".
std::string StripProto(const std::string& filename) {
  return std::string(absl::StripSuffix(filename, ".proto"));
}

// "a.b.c" -> "a::b::c".
std::string PackageNamespace(const FileDescriptor& file) {
  return absl::StrReplaceAll(file.package(), {{".", "::"}});
}

std::string HeaderGuard(const FileDescriptor& file) {
  std::string guard = absl::StrCat(StripProto(file.name()), "_TANDEM_H_");
  for (char& c : guard) c = absl::ascii_isalnum(c) ? absl::ascii_toupper(c) : '_';
  return guard;
}

// The .proto's own comment on `descriptor`, as C++ comment lines (empty if none).
template <class Descriptor>
std::string ProtoComment(const Descriptor& descriptor, absl::string_view indent) {
  SourceLocation location;
  if (!descriptor.GetSourceLocation(&location)) return "";
  std::string text(absl::StripTrailingAsciiWhitespace(location.leading_comments));
  if (text.empty()) return "";
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::StrAppend(&out, indent, "//", line, "\n");
  }
  return out;
}

enum class Kind { kUnary, kServerStreaming, kClientStreaming, kBidi };

Kind KindOf(const MethodDescriptor& method) {
  if (method.client_streaming()) {
    return method.server_streaming() ? Kind::kBidi : Kind::kClientStreaming;
  }
  return method.server_streaming() ? Kind::kServerStreaming : Kind::kUnary;
}

// The method's kind as gRPC's RpcMethod::RpcType names it.
const char* RpcTypeOf(const MethodDescriptor& method) {
  switch (KindOf(method)) {
    case Kind::kUnary:
      return "NORMAL_RPC";
    case Kind::kServerStreaming:
      return "SERVER_STREAMING";
    case Kind::kClientStreaming:
      return "CLIENT_STREAMING";
    case Kind::kBidi:
      break;
  }
  return "BIDI_STREAMING";
}

Vars MethodVars(const ServiceDescriptor& service, const MethodDescriptor& method, int index) {
  using google::protobuf::compiler::cpp::QualifiedClassName;
  const std::string request = QualifiedClassName(method.input_type());
  const std::string response = QualifiedClassName(method.output_type());
  Vars vars = {
      {"service", service.name()},
      {"service_full", service.full_name()},
      {"grpc_service", absl::StrCat("::", absl::StrReplaceAll(service.full_name(), {{".", "::"}}))},
      {"method", method.name()},
      {"rpc_type", RpcTypeOf(method)},
      {"index", absl::StrCat(index)},
      {"request", request},
      {"response", response},
  };
  // The handler's parameters, per RPC kind; the three styles differ only in the return type,
  // except for unary callback handlers, which get a responder instead of the response.
  switch (KindOf(method)) {
    case Kind::kUnary:
      vars["args"] = absl::StrCat("::tandem::ServerContext&, const ", request, "&, ", response, "*");
      vars["callback_args"] = absl::StrCat("::tandem::ServerContext&, const ", request,
                                           "&, ::tandem::UnaryResponder<", response, ">");
      break;
    case Kind::kServerStreaming:
      vars["args"] = absl::StrCat("::tandem::ServerContext&, const ", request,
                                  "&, ::tandem::ServerWriter<", response, ">");
      break;
    case Kind::kClientStreaming:
      vars["args"] = absl::StrCat("::tandem::ServerContext&, ::tandem::ServerReader<", request,
                                  ">, ", response, "*");
      break;
    case Kind::kBidi:
      vars["args"] = absl::StrCat("::tandem::ServerContext&, ::tandem::ServerReaderWriter<",
                                  request, ", ", response, ">");
      break;
  }
  if (!vars.count("callback_args")) vars["callback_args"] = vars["args"];
  return vars;
}

void PrintServiceDeclaration(Printer& p, const ServiceDescriptor& service) {
  Vars vars = {{"service", service.name()}, {"service_full", service.full_name()}};
  p.Print(ProtoComment(service, "").c_str());
  p.Print(vars,
          "// Tandem server base and client for the service $service_full$.\n"
          "//\n"
          "// Server: derive `class My$service$ : public $service$Tandem::Service<My$service$>`\n"
          "// and write each method in the handler style that suits it (server/handlers.h).\n"
          "// Client: `$service$Tandem::Client client(channel);` gives each method as a blocking\n"
          "// call, an Async call taking an Asio completion token, and a Co call to co_await;\n"
          "// each unary method also as a cast (CastFoo, AsyncCastFoo, CoCastFoo: the status\n"
          "// only). FanOutClient calls a unary method on every server of a list (client/fan_out.h).\n"
          "struct $service$Tandem {\n"
          "  static constexpr char kServiceName[] = \"$service_full$\";\n"
          "  template <class Impl>\n"
          "  class Service;\n"
          "  class Client;\n"
          "  class FanOutClient;\n"
          "};\n\n");
}

void PrintServerBase(Printer& p, const ServiceDescriptor& service) {
  Vars vars = {{"service", service.name()},
               {"service_full", service.full_name()},
               {"grpc_service",
                absl::StrCat("::", absl::StrReplaceAll(service.full_name(), {{".", "::"}}))}};
  p.Print(vars,
          "// The server base of $service_full$. Impl writes each method in exactly one style,\n"
          "// told apart by the return type: grpc::Status (blocking), tandem::Task<grpc::Status>\n"
          "// (coroutine) or void (callback). The parameters follow the RPC kind:\n"
          "//   unary:            (tandem::ServerContext&, const Req&, Resp*), callback style\n"
          "//                     (tandem::ServerContext&, const Req&, tandem::UnaryResponder<Resp>)\n"
          "//   server streaming: (tandem::ServerContext&, const Req&, tandem::ServerWriter<Resp>)\n"
          "//   client streaming: (tandem::ServerContext&, tandem::ServerReader<Req>, Resp*)\n"
          "//   bidirectional:    (tandem::ServerContext&, tandem::ServerReaderWriter<Req, Resp>)\n"
          "// Or Impl declares `static constexpr tandem::NotImplemented M{};`. Handlers are public,\n"
          "// non-const member functions. Anything else fails to compile, naming the method,\n"
          "// where the service is registered with tandem::ServerBuilder.\n"
          "template <class Impl>\n"
          "class $service$Tandem::Service {\n"
          " private:\n");
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    p.Print(
        MethodVars(service, method, i),
        "  // The handler style of Impl::$method$, read off its signature. constexpr, not\n"
        "  // consteval: Clang 14 rejects consteval calls in a class template's members.\n"
        "  static constexpr ::tandem::HandlerStyle TandemStyleOf$method$() {\n"
        "    constexpr bool kBlocking = requires {\n"
        "      static_cast<::tandem::server_internal::HandlerFn<\n"
        "          ::grpc::Status, Impl, $args$>>(&Impl::$method$);\n"
        "    };\n"
        "    constexpr bool kCoroutine = requires {\n"
        "      static_cast<::tandem::server_internal::HandlerFn<\n"
        "          ::tandem::Task<::grpc::Status>, Impl, $args$>>(&Impl::$method$);\n"
        "    };\n"
        "    constexpr bool kCallback = requires {\n"
        "      static_cast<::tandem::server_internal::HandlerFn<\n"
        "          void, Impl, $callback_args$>>(&Impl::$method$);\n"
        "    };\n"
        "    constexpr bool kNotImplemented = requires {\n"
        "      requires std::is_same_v<std::remove_cv_t<decltype(Impl::$method$)>,\n"
        "                              ::tandem::NotImplemented>;\n"
        "    };\n"
        "    static_assert(kBlocking || kCoroutine || kCallback || kNotImplemented,\n"
        "                  \"$service_full$/$method$ has no handler: write $method$ in one \"\n"
        "                  \"handler style (see server/handlers.h) or declare \"\n"
        "                  \"`static constexpr tandem::NotImplemented $method${};`\");\n"
        "    static_assert(kBlocking + kCoroutine + kCallback + kNotImplemented == 1,\n"
        "                  \"$service_full$/$method$ has handlers in more than one style: \"\n"
        "                  \"keep exactly one\");\n"
        "    return ::tandem::server_internal::StyleOf(kBlocking, kCoroutine, kCallback);\n"
        "  }\n"
        "\n");
  }
  p.Print(vars,
          " public:\n"
          "  // Describes the service to tandem::ServerBuilder::RegisterService.\n"
          "  ::tandem::server_internal::ServiceDefinition TandemDefinition() {\n"
          "    return {\n"
          "        kServiceName,\n"
          "        {\n");
  p.Indent();
  p.Indent();
  p.Indent();
  p.Indent();
  for (int i = 0; i < service.method_count(); ++i) {
    p.Print(MethodVars(service, *service.method(i), i),
            "{\"$method$\", TandemStyleOf$method$(), "
            "::grpc::internal::RpcMethod::$rpc_type$},\n");
  }
  p.Outdent();
  p.Outdent();
  p.Outdent();
  p.Outdent();
  p.Print(vars,
          "        },\n"
          "        [this](std::vector<::tandem::server_internal::MethodBinding*> bindings)\n"
          "            -> std::unique_ptr<::grpc::Service> {\n"
          "          return std::make_unique<TandemGrpcAdapter>(static_cast<Impl*>(this),\n"
          "                                                     std::move(bindings));\n"
          "        },\n"
          "        {\n");
  // How each unary method runs detached (one-way handlers, shadow candidates); none for
  // streaming methods.
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    if (KindOf(method) != Kind::kUnary) {
      p.Print("            nullptr,\n");
      continue;
    }
    p.Print(MethodVars(service, method, i),
            "            ::tandem::server_internal::MakeDetachedUnaryMethod<\n"
            "                TandemStyleOf$method$(), $request$, $response$>(\n"
            "                [impl = static_cast<Impl*>(this)](auto&&... args) -> decltype(auto) {\n"
            "                  return impl->$method$(std::forward<decltype(args)>(args)...);\n"
            "                }),\n");
  }
  p.Print(vars,
          "        }};\n"
          "  }\n"
          "\n"
          " protected:\n"
          "  Service() = default;\n"
          "  ~Service() = default;\n"
          "\n"
          " private:\n");
  p.Print(vars,
          "  // gRPC's callback service for $service_full$, its methods registered raw: requests\n"
          "  // and responses cross as bytes, and Tandem parses and serializes them (see\n"
          "  // server/internal/wire_message.h). gRPC calls its methods on its dispatch threads;\n"
          "  // each one only starts the call in the handler's style and returns: user code\n"
          "  // never runs here (unless bound inline).\n"
          "  class TandemGrpcAdapter final : public ::grpc::Service {\n"
          "   public:\n"
          "    TandemGrpcAdapter(Impl* impl,\n"
          "                      std::vector<::tandem::server_internal::MethodBinding*> "
          "bindings)\n"
          "        : impl_(impl), bindings_(std::move(bindings)) {\n");
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    Vars method_vars = MethodVars(service, method, i);
    switch (KindOf(method)) {
      case Kind::kUnary:
        method_vars["handler"] = "CallbackUnaryHandler";
        method_vars["params"] =
            "::grpc::CallbackServerContext* context, const ::grpc::ByteBuffer* request, "
            "::grpc::ByteBuffer* response";
        method_vars["call_args"] = "context, request, response";
        break;
      case Kind::kServerStreaming:
        method_vars["handler"] = "CallbackServerStreamingHandler";
        method_vars["params"] =
            "::grpc::CallbackServerContext* context, const ::grpc::ByteBuffer* request";
        method_vars["call_args"] = "context, request";
        break;
      case Kind::kClientStreaming:
        method_vars["handler"] = "CallbackClientStreamingHandler";
        method_vars["params"] =
            "::grpc::CallbackServerContext* context, ::grpc::ByteBuffer* response";
        method_vars["call_args"] = "context, response";
        break;
      case Kind::kBidi:
        method_vars["handler"] = "CallbackBidiHandler";
        method_vars["params"] = "::grpc::CallbackServerContext* context";
        method_vars["call_args"] = "context";
        break;
    }
    p.Print(method_vars,
            "      AddMethod(new ::grpc::internal::RpcServiceMethod(\n"
            "          \"/$service_full$/$method$\", ::grpc::internal::RpcMethod::$rpc_type$, "
            "nullptr));\n"
            "      MarkMethodRawCallback($index$,\n"
            "          new ::grpc::internal::$handler$<::grpc::ByteBuffer, ::grpc::ByteBuffer>(\n"
            "              [this]($params$) { return $method$($call_args$); }));\n");
  }
  p.Print("    }\n\n   private:\n");
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    Vars method_vars = MethodVars(service, method, i);
    switch (KindOf(method)) {
      case Kind::kUnary:
        p.Print(method_vars,
                "    ::grpc::ServerUnaryReactor* $method$(::grpc::CallbackServerContext* context,\n"
                "                                         const ::grpc::ByteBuffer* request,\n"
                "                                         ::grpc::ByteBuffer* response) {\n"
                "      return ::tandem::server_internal::StartUnary<\n"
                "          TandemStyleOf$method$(), $request$, $response$>(\n"
                "          *bindings_[$index$], context, request, response,\n");
        break;
      case Kind::kServerStreaming:
        p.Print(method_vars,
                "    ::grpc::ServerWriteReactor<::grpc::ByteBuffer>* $method$(\n"
                "        ::grpc::CallbackServerContext* context, const ::grpc::ByteBuffer* request) "
                "{\n"
                "      return ::tandem::server_internal::StartServerStreaming<\n"
                "          TandemStyleOf$method$(), $request$, $response$>(\n"
                "          *bindings_[$index$], context, request,\n");
        break;
      case Kind::kClientStreaming:
        p.Print(method_vars,
                "    ::grpc::ServerReadReactor<::grpc::ByteBuffer>* $method$(\n"
                "        ::grpc::CallbackServerContext* context, ::grpc::ByteBuffer* response) "
                "{\n"
                "      return ::tandem::server_internal::StartClientStreaming<\n"
                "          TandemStyleOf$method$(), $request$, $response$>(\n"
                "          *bindings_[$index$], context, response,\n");
        break;
      case Kind::kBidi:
        p.Print(method_vars,
                "    ::grpc::ServerBidiReactor<::grpc::ByteBuffer, ::grpc::ByteBuffer>* $method$(\n"
                "        ::grpc::CallbackServerContext* context) {\n"
                "      return ::tandem::server_internal::StartBidiStreaming<\n"
                "          TandemStyleOf$method$(), $request$, $response$>(\n"
                "          *bindings_[$index$], context,\n");
        break;
    }
    p.Print(method_vars,
            "          [impl = impl_](auto&&... args) -> decltype(auto) {\n"
            "            return impl->$method$(std::forward<decltype(args)>(args)...);\n"
            "          });\n"
            "    }\n"
            "\n");
  }
  p.Print(vars,
          "    Impl* const impl_;\n"
          "    // One per method, in .proto order; owned by the tandem::Server.\n"
          "    const std::vector<::tandem::server_internal::MethodBinding*> bindings_;\n"
          "  };\n"
          "};\n\n");
}

void PrintClient(Printer& p, const ServiceDescriptor& service) {
  Vars vars = {{"service", service.name()},
               {"service_full", service.full_name()},
               {"grpc_service",
                absl::StrCat("::", absl::StrReplaceAll(service.full_name(), {{".", "::"}}))}};
  p.Print(vars,
          "// The client of $service_full$. Thread-safe: share one per channel.\n"
          "class $service$Tandem::Client {\n"
          " public:\n"
          "  explicit Client(std::shared_ptr<::grpc::ChannelInterface> channel);\n"
          "\n");
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    p.Print(ProtoComment(method, "  ").c_str());
    const Vars method_vars = MethodVars(service, method, i);
    switch (KindOf(method)) {
      case Kind::kUnary:
        p.Print(method_vars,
                "  // $method$, blocking: waits for the reply on the calling thread. Not for gRPC\n"
                "  // callback threads or coroutine loops.\n"
                "  ::absl::StatusOr<$response$> $method$(\n"
                "      const $request$& request, const ::tandem::CallOptions& options = {});\n"
                "\n"
                "  // $method$, async: returns at once; `token` gets absl::StatusOr<$response$>.\n"
                "  // A plain callback runs on a gRPC thread and must not block; "
                "asio::use_awaitable\n"
                "  // resumes on the coroutine's executor; asio::use_future makes a future.\n"
                "  template <class CompletionToken>\n"
                "  auto Async$method$(const $request$& request, const ::tandem::CallOptions& "
                "options,\n"
                "                   CompletionToken&& token) {\n"
                "    return ::tandem::client_internal::AsyncUnaryCall<$response$>(\n"
                "        kTandemMethod$method$, TandemStart$method${channel_.get(), "
                "&tandem_method_$method$_},\n"
                "        request, options, std::forward<CompletionToken>(token));\n"
                "  }\n"
                "\n"
                "  // $method$, coroutine: `co_await client.Co$method$(request)`.\n"
                "  ::tandem::Task<::absl::StatusOr<$response$>> Co$method$(\n"
                "      const $request$& request, const ::tandem::CallOptions& options = {}) {\n"
                "    return Async$method$(request, options, ::asio::use_awaitable);\n"
                "  }\n"
                "\n"
                "  // Cast$method$: sends the request and returns the call's status, dropping the\n"
                "  // response unread. It returns once the server has acknowledged the call: for a\n"
                "  // method the server runs one-way (ServiceOptions::SetOneWay), as soon as the call\n"
                "  // is admitted, with OK, before the handler runs (its outcome is not sent); for any\n"
                "  // other method, when its handler has finished, with the handler's status. A call\n"
                "  // refused at admission (RESOURCE_EXHAUSTED), or to a server that is down\n"
                "  // (UNAVAILABLE), or past its deadline, gets that error like any call.\n"
                "  // Blocking: waits as $method$ does. Not for gRPC callback threads or coroutine\n"
                "  // loops.\n"
                "  ::absl::Status Cast$method$(\n"
                "      const $request$& request, const ::tandem::CallOptions& options = {});\n"
                "\n"
                "  // Cast$method$, async: returns at once; `token` gets the absl::Status, when\n"
                "  // Cast$method$ would return. Callbacks as for Async$method$.\n"
                "  template <class CompletionToken>\n"
                "  auto AsyncCast$method$(const $request$& request,\n"
                "                       const ::tandem::CallOptions& options, CompletionToken&& token) "
                "{\n"
                "    return ::tandem::client_internal::AsyncUnaryCall<void>(\n"
                "        kTandemMethod$method$, TandemStart$method${channel_.get(), "
                "&tandem_method_$method$_},\n"
                "        request, options, std::forward<CompletionToken>(token));\n"
                "  }\n"
                "\n"
                "  // Cast$method$, coroutine: `co_await client.CoCast$method$(request)`.\n"
                "  ::tandem::Task<::absl::Status> CoCast$method$(\n"
                "      const $request$& request, const ::tandem::CallOptions& options = {}) {\n"
                "    return AsyncCast$method$(request, options, ::asio::use_awaitable);\n"
                "  }\n"
                "\n");
        break;
      case Kind::kServerStreaming:
        p.Print(method_vars,
                "  // $method$, server streaming: starts the call and returns at once; read the\n"
                "  // responses (Read, CoRead or AsyncRead), then Finish (see client/stream.h).\n"
                "  ::tandem::ClientReader<$response$> $method$(\n"
                "      const $request$& request, const ::tandem::CallOptions& options = {});\n"
                "\n");
        break;
      case Kind::kClientStreaming:
        p.Print(method_vars,
                "  // $method$, client streaming: starts the call and returns at once; write the\n"
                "  // requests, then Finish for the response (see client/stream.h).\n"
                "  ::tandem::ClientWriter<$request$, $response$> $method$(\n"
                "      const ::tandem::CallOptions& options = {});\n"
                "\n");
        break;
      case Kind::kBidi:
        p.Print(method_vars,
                "  // $method$, bidirectional: starts the call and returns at once; read and\n"
                "  // write, WritesDone, read to the end, then Finish (see client/stream.h).\n"
                "  ::tandem::ClientReaderWriter<$request$, $response$> $method$(\n"
                "      const ::tandem::CallOptions& options = {});\n"
                "\n");
        break;
    }
  }
  p.Print(vars,
          "  // gRPC's own stub, for what Tandem does not wrap.\n"
          "  $grpc_service$::Stub* grpc_stub() { return stub_.get(); }\n"
          "\n"
          " private:\n");
  for (int i = 0; i < service.method_count(); ++i) {
    p.Print(MethodVars(service, *service.method(i), i),
            "  static constexpr char kTandemMethod$method$[] = \"/$service_full$/$method$\";\n");
  }
  p.Print("\n");
  for (int i = 0; i < service.method_count(); ++i) {
    if (KindOf(*service.method(i)) != Kind::kUnary) continue;
    p.Print(MethodVars(service, *service.method(i), i),
            "  // Begins $method$ on gRPC's callback API as a raw method (the messages cross as\n"
            "  // bytes, see client/unary_call.h); `on_done` runs on a gRPC thread.\n"
            "  struct TandemStart$method$ {\n"
            "    ::grpc::ChannelInterface* channel;\n"
            "    const ::grpc::internal::RpcMethod* method;\n"
            "    void operator()(::grpc::ClientContext* context, const ::grpc::ByteBuffer* request,\n"
            "                    ::grpc::ByteBuffer* response,\n"
            "                    std::function<void(::grpc::Status)> on_done) const {\n"
            "      ::grpc::internal::CallbackUnaryCall<::grpc::ByteBuffer, ::grpc::ByteBuffer>(\n"
            "          channel, *method, context, request, response, std::move(on_done));\n"
            "    }\n"
            "  };\n");
  }
  p.Print(vars,
          "\n"
          "  std::unique_ptr<$grpc_service$::Stub> stub_;\n"
          "  std::shared_ptr<::grpc::ChannelInterface> channel_;\n");
  for (int i = 0; i < service.method_count(); ++i) {
    p.Print(MethodVars(service, *service.method(i), i),
            "  const ::grpc::internal::RpcMethod tandem_method_$method$_;\n");
  }
  p.Print("};\n\n");
}

void PrintFanOutClient(Printer& p, const ServiceDescriptor& service) {
  Vars vars = {{"service", service.name()}, {"service_full", service.full_name()}};
  p.Print(vars,
          "// Calls a unary method of $service_full$ on every server of a list at once, with one\n"
          "// deadline for all, and gathers one result per server, in the order of the targets;\n"
          "// a target that is down gets its own error (see client/fan_out.h). Thread-safe;\n"
          "// copies share the channels.\n"
          "class $service$Tandem::FanOutClient {\n"
          " public:\n"
          "  // A channel per target (tandem::CreateChannel with `options`); targets as\n"
          "  // tandem::ResolveFanOutTargets makes them, or any gRPC target. An empty list or an\n"
          "  // empty target is INVALID_ARGUMENT.\n"
          "  static ::absl::StatusOr<FanOutClient> Create(\n"
          "      std::vector<std::string> targets, const ::tandem::ChannelOptions& options = {}) {\n"
          "    ::absl::StatusOr<std::shared_ptr<const Clients>> clients =\n"
          "        Clients::Create(std::move(targets), options);\n"
          "    if (!clients.ok()) return clients.status();\n"
          "    return FanOutClient(*std::move(clients));\n"
          "  }\n"
          "\n"
          "  const std::vector<std::string>& targets() const { return clients_->targets(); }\n"
          "\n");
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    if (KindOf(method) != Kind::kUnary) continue;
    p.Print(
        MethodVars(service, method, i),
        "  // $method$ on every target, blocking: waits until every call has ended (by the\n"
        "  // deadline, if `options` sets one). Not for gRPC callback threads or coroutine loops.\n"
        "  std::vector<::tandem::FanOutResult<$response$>> $method$(\n"
        "      const $request$& request, const ::tandem::CallOptions& options = {});\n"
        "\n"
        "  // $method$ on every target, async: returns at once; `token` gets\n"
        "  // std::vector<tandem::FanOutResult<$response$>>.\n"
        "  template <class CompletionToken>\n"
        "  auto Async$method$(const $request$& request, const ::tandem::CallOptions& options,\n"
        "                   CompletionToken&& token) {\n"
        "    return ::tandem::client_internal::AsyncFanOut<$response$>(\n"
        "        clients_, request, options, std::forward<CompletionToken>(token),\n"
        "        [](Client& client, const $request$& request, const ::tandem::CallOptions& options,\n"
        "           auto on_done) { client.Async$method$(request, options, std::move(on_done)); });\n"
        "  }\n"
        "\n"
        "  // $method$ on every target, coroutine: `co_await fan_out.Co$method$(request)`.\n"
        "  ::tandem::Task<std::vector<::tandem::FanOutResult<$response$>>> Co$method$(\n"
        "      const $request$& request, const ::tandem::CallOptions& options = {}) {\n"
        "    return Async$method$(request, options, ::asio::use_awaitable);\n"
        "  }\n"
        "\n");
  }
  p.Print(vars,
          " private:\n"
          "  using Clients = ::tandem::client_internal::FanOutClients<Client>;\n"
          "\n"
          "  explicit FanOutClient(std::shared_ptr<const Clients> clients)\n"
          "      : clients_(std::move(clients)) {}\n"
          "\n"
          "  std::shared_ptr<const Clients> clients_;\n"
          "};\n\n");
}

void PrintClientDefinitions(Printer& p, const ServiceDescriptor& service) {
  Vars vars = {{"service", service.name()},
               {"grpc_service",
                absl::StrCat("::", absl::StrReplaceAll(service.full_name(), {{".", "::"}}))}};
  p.Print(vars,
          "$service$Tandem::Client::Client(std::shared_ptr<::grpc::ChannelInterface> channel)\n"
          "    : stub_($grpc_service$::NewStub(channel)),\n"
          "      channel_(std::move(channel))");
  for (int i = 0; i < service.method_count(); ++i) {
    p.Print(MethodVars(service, *service.method(i), i),
            ",\n      tandem_method_$method$_(kTandemMethod$method$,\n"
            "          ::grpc::internal::RpcMethod::$rpc_type$, channel_)");
  }
  // A client may go while its calls are in flight (client/internal/callback_queue_anchor.h).
  p.Print(" {\n  ::tandem::client_internal::AnchorGrpcCallbackQueue();\n}\n\n");
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    const Vars method_vars = MethodVars(service, method, i);
    switch (KindOf(method)) {
      case Kind::kUnary:
        p.Print(method_vars,
                "::absl::StatusOr<$response$> $service$Tandem::Client::$method$(\n"
                "    const $request$& request, const ::tandem::CallOptions& options) {\n"
                "  return ::tandem::client_internal::BlockingUnaryCall<$response$>(\n"
                "      kTandemMethod$method$,\n"
                "      TandemStart$method${channel_.get(), &tandem_method_$method$_}, request,\n"
                "      options);\n"
                "}\n\n"
                "::absl::Status $service$Tandem::Client::Cast$method$(\n"
                "    const $request$& request, const ::tandem::CallOptions& options) {\n"
                "  return ::tandem::client_internal::BlockingUnaryCall<void>(\n"
                "      kTandemMethod$method$,\n"
                "      TandemStart$method${channel_.get(), &tandem_method_$method$_}, request,\n"
                "      options);\n"
                "}\n\n"
                "std::vector<::tandem::FanOutResult<$response$>>\n"
                "$service$Tandem::FanOutClient::$method$(const $request$& request,\n"
                "    const ::tandem::CallOptions& options) {\n"
                "  return ::tandem::client_internal::WaitForFanOut<$response$>(\n"
                "      [&](auto done) { Async$method$(request, options, std::move(done)); });\n"
                "}\n\n");
        break;
      case Kind::kServerStreaming:
        p.Print(method_vars,
                "::tandem::ClientReader<$response$> $service$Tandem::Client::$method$(\n"
                "    const $request$& request, const ::tandem::CallOptions& options) {\n"
                "  using Call = ::tandem::client_internal::ClientStreamCall<\n"
                "      $request$, $response$,\n"
                "      ::tandem::client_internal::ClientStreamKind::kServerStreaming>;\n"
                "  return ::tandem::ClientReader<$response$>(\n"
                "      ::tandem::client_internal::StartClientStream<Call>(\n"
                "          kTandemMethod$method$, options, [&](Call* call) {\n"
                "            ::grpc::internal::ClientCallbackReaderFactory<::grpc::ByteBuffer>::Create(\n"
                "                channel_.get(), tandem_method_$method$_, call->context(),\n"
                "                call->SerializeRequest(request), call);\n"
                "          }));\n"
                "}\n\n");
        break;
      case Kind::kClientStreaming:
        p.Print(method_vars,
                "::tandem::ClientWriter<$request$, $response$> $service$Tandem::Client::$method$(\n"
                "    const ::tandem::CallOptions& options) {\n"
                "  using Call = ::tandem::client_internal::ClientStreamCall<\n"
                "      $request$, $response$,\n"
                "      ::tandem::client_internal::ClientStreamKind::kClientStreaming>;\n"
                "  return ::tandem::ClientWriter<$request$, $response$>(\n"
                "      ::tandem::client_internal::StartClientStream<Call>(\n"
                "          kTandemMethod$method$, options, [&](Call* call) {\n"
                "            ::grpc::internal::ClientCallbackWriterFactory<::grpc::ByteBuffer>::Create(\n"
                "                channel_.get(), tandem_method_$method$_, call->context(),\n"
                "                call->response_bytes(), call);\n"
                "          }));\n"
                "}\n\n");
        break;
      case Kind::kBidi:
        p.Print(method_vars,
                "::tandem::ClientReaderWriter<$request$, $response$>\n"
                "$service$Tandem::Client::$method$(const ::tandem::CallOptions& options) {\n"
                "  using Call = ::tandem::client_internal::ClientStreamCall<\n"
                "      $request$, $response$, ::tandem::client_internal::ClientStreamKind::kBidi>;\n"
                "  return ::tandem::ClientReaderWriter<$request$, $response$>(\n"
                "      ::tandem::client_internal::StartClientStream<Call>(\n"
                "          kTandemMethod$method$, options, [&](Call* call) {\n"
                "            ::grpc::internal::ClientCallbackReaderWriterFactory<\n"
                "                ::grpc::ByteBuffer, ::grpc::ByteBuffer>::Create(\n"
                "                channel_.get(), tandem_method_$method$_, call->context(), call);\n"
                "          }));\n"
                "}\n\n");
        break;
    }
  }
}

void OpenNamespace(Printer& p, const FileDescriptor& file) {
  if (!file.package().empty()) p.Print("namespace $ns$ {\n\n", "ns", PackageNamespace(file));
}

void CloseNamespace(Printer& p, const FileDescriptor& file) {
  if (!file.package().empty()) p.Print("}  // namespace $ns$\n", "ns", PackageNamespace(file));
}

}  // namespace

bool TandemGenerator::Generate(const FileDescriptor* file, const std::string& /*parameter*/,
                               GeneratorContext* context, std::string* /*error*/) const {
  const std::string base = StripProto(file->name());
  const Vars file_vars = {{"proto", file->name()}, {"base", base}, {"guard", HeaderGuard(*file)}};

  {
    std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
        context->Open(base + ".tandem.h"));
    Printer p(out.get(), '$');
    p.Print(file_vars,
            "// Generated by protoc-gen-tandem from $proto$. Do not edit.\n"
            "#ifndef $guard$\n"
            "#define $guard$\n"
            "\n"
            "#include <functional>\n"
            "#include <memory>\n"
            "#include <string>\n"
            "#include <type_traits>\n"
            "#include <utility>\n"
            "#include <vector>\n"
            "\n"
            "#include \"$base$.grpc.pb.h\"\n"
            "#include \"$base$.pb.h\"\n"
            "#include \"absl/status/statusor.h\"\n"
            "#include \"asio/use_awaitable.hpp\"\n"
            "#include \"client/call_options.h\"\n"
            "#include \"client/fan_out.h\"\n"
            "#include \"client/stream.h\"\n"
            "#include \"client/unary_call.h\"\n"
            "#include \"executors/task.h\"\n"
            "#include \"server/handlers.h\"\n"
            "#include \"server/internal/method_binding.h\"\n"
            "#include \"server/internal/start_call.h\"\n"
            "#include \"server/service.h\"\n"
            "#include \"server/stream.h\"\n"
            "\n");
    OpenNamespace(p, *file);
    for (int s = 0; s < file->service_count(); ++s) {
      PrintServiceDeclaration(p, *file->service(s));
      PrintServerBase(p, *file->service(s));
      PrintClient(p, *file->service(s));
      PrintFanOutClient(p, *file->service(s));
    }
    CloseNamespace(p, *file);
    p.Print(file_vars, "\n#endif  // $guard$\n");
  }
  {
    std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
        context->Open(base + ".tandem.cc"));
    Printer p(out.get(), '$');
    p.Print(file_vars,
            "// Generated by protoc-gen-tandem from $proto$. Do not edit.\n"
            "#include \"$base$.tandem.h\"\n"
            "\n"
            "#include \"client/internal/callback_queue_anchor.h\"\n"
            "\n");
    OpenNamespace(p, *file);
    for (int s = 0; s < file->service_count(); ++s) PrintClientDefinitions(p, *file->service(s));
    CloseNamespace(p, *file);
  }
  return true;
}

}  // namespace tandem::codegen
