"""tandem_fuzz_test: a libFuzzer target that is also a regression test over its seed corpus."""

def tandem_fuzz_test(name, srcs, corpus, deps = [], **kwargs):
    """A fuzz target, built two ways.

    Under --config=fuzz (Clang, libFuzzer, ASan/UBSan) it links libFuzzer's main: `tools/dev fuzz`
    runs it on its corpus directory. In every other build it links //tests/fuzz:corpus_main, and
    `bazel test` runs every file of the seed corpus through it once: the corpus is a regression
    suite, and the target keeps compiling.

    Args:
      name: the target; `LLVMFuzzerTestOneInput` is in `srcs`.
      srcs: sources.
      corpus: the seed corpus directory, a path in this package: corpus/FOO for FOO_fuzzer, where
        `tools/dev fuzz` looks for it.
      deps: dependencies.
      **kwargs: passed to cc_test.
    """
    native.cc_test(
        name = name,
        srcs = srcs,
        args = ["%s/%s" % (native.package_name(), corpus)],
        data = native.glob([corpus + "/*"]),
        deps = deps + select({
            str(Label("//tools:fuzzing")): [],
            "//conditions:default": [Label("//tests/fuzz:corpus_main")],
        }),
        linkopts = select({
            str(Label("//tools:fuzzing")): ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        tags = kwargs.pop("tags", []) + ["fuzz"],
        **kwargs
    )
