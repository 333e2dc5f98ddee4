"""tandem_cc_library: C++ messages, gRPC service code and Tandem server/client for .proto files."""

_EXTENSIONS = [".pb.h", ".pb.cc", ".grpc.pb.h", ".grpc.pb.cc", ".tandem.h", ".tandem.cc"]

# Labels, not strings: from a workspace that loads this file as @tandem, "//server:service" would
# name the user's own package. Label() resolves against the repository this file is in.
_PROTOC = str(Label("@system//:protoc_bin"))
_GRPC_PLUGIN = str(Label("@system//:grpc_cpp_plugin"))
_TANDEM_PLUGIN = str(Label("//tools/protoc-gen-tandem"))
_RUNTIME_DEPS = [str(Label(dep)) for dep in [
    "//server:service",
    "//client:callback_queue_anchor",
    "//client:fan_out",
    "//client:stream",
    "//client:unary_call",
    "@system//:grpc++",
    "@system//:protobuf",
]]

def tandem_cc_library(
        name,
        srcs,
        deps = [],
        proto_deps = [],
        external_repo = None,
        visibility = None,
        testonly = False):
    """Generates and compiles the code for `srcs`, .proto files of this package.

    Runs protoc with protobuf's C++ generator, gRPC's grpc_cpp_plugin and protoc-gen-tandem, and
    wraps the result in one cc_library named `name`. Include "<package>/<file>.tandem.h".

    Args:
      name: the cc_library.
      srcs: .proto files in this package; with `external_repo`, paths inside that repository.
      deps: tandem_cc_library targets of the .proto files that `srcs` import.
      proto_deps: those imported .proto files themselves (protoc reads them).
      external_repo: a repository whose .proto files `srcs` names, e.g. "grpc_proto" for
        "grpc/testing/test.proto". Their code is generated into this package and included by
        the path inside the repository: "grpc/testing/test.tandem.h".
      visibility: as for cc_library.
      testonly: as for cc_library.
    """
    outs = []
    for src in srcs:
        if not src.endswith(".proto"):
            fail("tandem_cc_library srcs must be .proto files, got " + src)
        outs += [src[:-len(".proto")] + ext for ext in _EXTENSIONS]

    if external_repo:
        proto_files = ["@%s//:%s" % (external_repo, src) for src in srcs]
        proto_path = "external/" + external_repo
        out_dir = "$(GENDIR)/" + native.package_name()
        protoc_srcs = srcs
        includes = ["."]
    else:
        proto_files = srcs
        proto_path = "."
        out_dir = "$(GENDIR)"
        protoc_srcs = ["$(location %s)" % src for src in srcs]
        includes = []

    native.genrule(
        name = name + "_codegen",
        srcs = proto_files + proto_deps,
        outs = outs,
        tools = [_PROTOC, _GRPC_PLUGIN, _TANDEM_PLUGIN],
        cmd = " ".join([
            "$(location %s)" % _PROTOC,
            "--proto_path=" + proto_path,
            "--plugin=protoc-gen-grpc=$(location %s)" % _GRPC_PLUGIN,
            "--plugin=protoc-gen-tandem=$(location %s)" % _TANDEM_PLUGIN,
            "--cpp_out=" + out_dir,
            "--grpc_out=" + out_dir,
            "--tandem_out=" + out_dir,
        ] + protoc_srcs),
        testonly = testonly,
        visibility = ["//visibility:private"],
    )

    native.cc_library(
        name = name,
        srcs = [out for out in outs if out.endswith(".cc")],
        hdrs = [out for out in outs if out.endswith(".h")],
        includes = includes,
        # Linked whole: a .proto file that defines only services is referenced by no symbol, and
        # would otherwise be dropped with its descriptor, which server reflection serves.
        alwayslink = True,
        deps = deps + _RUNTIME_DEPS,
        testonly = testonly,
        visibility = visibility,
    )
