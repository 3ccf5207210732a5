"""duo_fuzz_test: one libFuzzer target, run two ways.

    duo_fuzz_test(
        name = "url_fuzzer",
        srcs = ["url_fuzzer.cc"],          # defines LLVMFuzzerTestOneInput
        corpus = glob(["testdata/url_corpus/*"]),
        dict = "testdata/url.dict",        # optional, libFuzzer's format
        deps = [":url"],
    )

declares
  * `<name>`: a cc_test linking the deterministic driver
    (//testing/fuzz:driver): the seed corpus, then `iterations` seeded
    mutations. It runs with every `bazel test //...`, in the normal GCC
    build and under --config=asan.
  * `<name>_libfuzzer`: a cc_binary (tagged manual) linked with
    -fsanitize=fuzzer, for `tools/fuzz.sh`, which builds it with clang
    (--config=fuzz) and runs real, coverage-guided libFuzzer.
"""

def duo_fuzz_test(name, srcs, deps, corpus, dict = None, iterations = 100000, tags = [], **kwargs):
    library = name + "_target"
    native.cc_library(
        name = library,
        testonly = True,
        srcs = srcs,
        deps = deps + ["//testing/fuzz"],
        alwayslink = True,
    )
    if not corpus:
        fail("duo_fuzz_test {} needs a seed corpus".format(name))

    # The corpus directory, relative to the workspace root, which is where
    # a test runs.
    corpus_dir = native.package_name() + "/" + corpus[0].rpartition("/")[0]
    args = ["--iterations={}".format(iterations)]
    data = list(corpus)
    if dict:
        args.append("--dict=" + native.package_name() + "/" + dict)
        data.append(dict)
    native.cc_test(
        name = name,
        deps = [library, "//testing/fuzz:driver"],
        args = args + [corpus_dir],
        data = data,
        tags = tags + ["fuzz"],
        **kwargs
    )
    native.cc_binary(
        name = name + "_libfuzzer",
        testonly = True,
        deps = [library],
        linkopts = ["-fsanitize=fuzzer"],
        data = data,
        tags = ["manual"],
    )
