"""Tests that compile and run the code samples of the docs pages."""

load("//bazel:cc.bzl", "duo_cc_test")

_EXTRACT = "//docs/tools:extract_samples"

# What every page's samples may use (docs/doc_test.h includes it all).
# Samples build like the library: warnings are errors. (.bazelrc's
# per_file_copt matches source paths, not generated ones.)
# The #line directives that point errors at the pages make GCC take the
# page for a header, and -Wsubobject-linkage then warns about a lambda kept
# in a coroutine frame, which is fine in a single source file.
_COPTS = ["-Werror", "-Wno-subobject-linkage"]

_DEPS = [
    "//docs:doc_test",
    "@com_google_googletest//:gtest_main",
]

def doc_samples_test(name, pages, prelude = [], global_scope = False, mariadb = True, deps = [], data = [], **kwargs):
    """Extracts the C++ samples of `pages` into one test run on every test backend.

    Each page becomes a test of its own, DocTest.<page stem>, in a namespace
    of its own; they share one program because compiling a program per page
    parses the same headers again for every page.

    Args:
      name: the test's name.
      pages: the markdown pages, e.g. ["querying.md"].
      prelude: pages whose top-level declarations (```cpp top) come first,
        once, at global scope: the shared models of models.md, for instance.
      global_scope: the (one) page's declarations stay at global scope, for
        declarations that cannot live in a namespace of the page's own
        (specializations of duo's templates).
      mariadb: whether the pages run on MariaDB too (False for a page whose
        samples need what MySQL lacks, such as array columns or duo-migrate).
      deps: extra libraries the samples need.
      data: files the samples read at run time.
      **kwargs: passed to the cc_test.
    """
    src = name + "_gen.cc"
    flags = ["--prelude $(location %s)" % p for p in prelude]
    if global_scope:
        flags.append("--global")
    native.genrule(
        name = name + "_gen",
        srcs = pages + [p for p in prelude if p not in pages],
        outs = [src],
        cmd = "$(location %s) cc %s %s > $@" % (
            _EXTRACT,
            " ".join(flags),
            " ".join(["$(location %s)" % p for p in pages]),
        ),
        tools = [_EXTRACT],
    )
    duo_cc_test(
        name = name,
        srcs = [src],
        postgres = True,
        copts = _COPTS,
        local_defines = [] if mariadb else ["DUO_DOC_WITHOUT_MARIADB"],
        deps = _DEPS + deps,
        data = data,
        **kwargs
    )

def doc_models_library(name, page, **kwargs):
    """The top-level declarations of `page` as a library (for duo_migrate_binary)."""
    src = name + "_gen.cc"
    native.genrule(
        name = name + "_gen",
        srcs = [page],
        outs = [src],
        cmd = "$(location %s) models $(location %s) > $@" % (_EXTRACT, page),
        tools = [_EXTRACT],
    )
    native.cc_library(
        name = name,
        srcs = [src],
        copts = _COPTS,
        deps = ["//docs:doc_models"],
        alwayslink = True,
        **kwargs
    )

def doc_shell_test(name, page, data = [], env = {}, **kwargs):
    """Runs the ```sh samples of `page`, in order, in an empty directory."""
    script = name + "_gen.sh"
    native.genrule(
        name = name + "_gen",
        srcs = [page],
        outs = [script],
        cmd = "$(location %s) sh $(location %s) > $@" % (_EXTRACT, page),
        tools = [_EXTRACT],
    )
    native.sh_test(
        name = name,
        srcs = ["//docs/tools:run_shell_samples.sh"],
        args = ["$(location %s)" % script] + ["$(location %s)" % d for d in data],
        data = [script] + data,
        env = env,
        **kwargs
    )
