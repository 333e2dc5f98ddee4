"""tandem_cc_library: C++ messages, gRPC service code and Tandem server/client for .proto files."""

_EXTENSIONS = [".pb.h", ".pb.cc", ".grpc.pb.h", ".grpc.pb.cc", ".tandem.h", ".tandem.cc"]

def tandem_cc_library(name, srcs, deps = [], proto_deps = [], visibility = None, testonly = False):
    """Generates and compiles the code for `srcs`, .proto files of this package.

    Runs protoc with protobuf's C++ generator, gRPC's grpc_cpp_plugin and protoc-gen-tandem, and
    wraps the result in one cc_library named `name`. Include "<package>/<file>.tandem.h".

    Args:
      name: the cc_library.
      srcs: .proto files in this package.
      deps: tandem_cc_library targets of the .proto files that `srcs` import.
      proto_deps: those imported .proto files themselves (protoc reads them).
      visibility: as for cc_library.
      testonly: as for cc_library.
    """
    outs = []
    for src in srcs:
        if not src.endswith(".proto"):
            fail("tandem_cc_library srcs must be .proto files, got " + src)
        outs += [src[:-len(".proto")] + ext for ext in _EXTENSIONS]

    native.genrule(
        name = name + "_codegen",
        srcs = srcs + proto_deps,
        outs = outs,
        tools = [
            "@system//:protoc_bin",
            "@system//:grpc_cpp_plugin",
            "//tools/protoc-gen-tandem",
        ],
        cmd = " ".join([
            "$(location @system//:protoc_bin)",
            "--proto_path=.",
            "--plugin=protoc-gen-grpc=$(location @system//:grpc_cpp_plugin)",
            "--plugin=protoc-gen-tandem=$(location //tools/protoc-gen-tandem)",
            "--cpp_out=$(GENDIR)",
            "--grpc_out=$(GENDIR)",
            "--tandem_out=$(GENDIR)",
        ] + ["$(location %s)" % src for src in srcs]),
        testonly = testonly,
        visibility = ["//visibility:private"],
    )

    native.cc_library(
        name = name,
        srcs = [out for out in outs if out.endswith(".cc")],
        hdrs = [out for out in outs if out.endswith(".h")],
        deps = deps + [
            "//server:service",
            "//client:unary_call",
            "@system//:grpc++",
            "@system//:protobuf",
        ],
        testonly = testonly,
        visibility = visibility,
    )
