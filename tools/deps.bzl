"""tandem_dependencies(): what a workspace that uses Tandem must declare, for its WORKSPACE.

    local_repository(name = "tandem", path = "/path/to/tandem")  # or http_archive
    load("@tandem//tools:deps.bzl", "tandem_dependencies")
    tandem_dependencies()

Everything comes from Debian packages (Tandem's `tools/dev setup` installs them): Bazel's rule
repositories are the mocks Debian's bazel-bootstrap-source ships, the libraries are in /usr, and
gRPC's .proto files in /usr/share/grpc-proto. A repository the workspace already declared, under
the same name, is left as it is.
"""

# Debian's stand-ins for Bazel's rule repositories (bazel-bootstrap-source).
_MOCK_REPOS = "/usr/src/bazel-bootstrap/mock_repos/"

def _coverage_tools_impl(repository_ctx):
    # `bazel test` resolves these labels even without coverage; empty filegroups satisfy it.
    repository_ctx.file("WORKSPACE", "workspace(name = \"remote_coverage_tools\")\n")
    repository_ctx.file("BUILD", "\n".join([
        "filegroup(name = \"%s\", visibility = [\"//visibility:public\"])" % name
        for name in ["coverage_report_generator", "lcov_merger"]
    ]) + "\n")

_coverage_tools = repository_rule(implementation = _coverage_tools_impl)

def tandem_dependencies():
    """Declares the repositories Tandem's targets use, unless already declared."""
    existing = native.existing_rules()

    for repo in [
        "bazel_skylib",
        "platforms",
        "remote_java_tools_linux",
        "rules_cc",
        "rules_java",
        "rules_pkg",
        "rules_proto",
    ]:
        if repo not in existing:
            native.local_repository(name = repo, path = _MOCK_REPOS + repo)

    if "remote_coverage_tools" not in existing:
        _coverage_tools(name = "remote_coverage_tools")

    # System libraries and tools (protoc, gRPC's plugins), installed from Debian.
    if "system" not in existing:
        native.new_local_repository(
            name = "system",
            build_file = str(Label("//third_party:system.BUILD")),
            path = "/usr",
        )

    # gRPC's own .proto files (health, reflection, the interop test service): Debian's grpc-proto.
    if "grpc_proto" not in existing:
        native.new_local_repository(
            name = "grpc_proto",
            build_file = str(Label("//third_party:grpc_proto.BUILD")),
            path = "/usr/share/grpc-proto",
        )
