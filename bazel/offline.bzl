"""Bazel 4.2.3's own rule sets, from Debian's packages instead of the network.

Bazel's default WORKSPACE suffix downloads @rules_cc, @rules_java,
@platforms and @remote_coverage_tools. On a machine that reaches only
Debian's archive those downloads fail; `duo_offline_toolchains()` declares
the four from Debian's bazel-rules-java and bazel-platforms packages and
two small local stand-ins. It is separate from `duo_dependencies()` so that
a workspace with its own rule sets and toolchains keeps them: call it only
in a workspace that builds offline with Debian's Bazel, as this repository
and examples/consumer do, first thing after `workspace()`:

    load("@duo//bazel:offline.bzl", "duo_offline_toolchains")
    duo_offline_toolchains()

A repository the workspace declared earlier is left alone.
"""

def _coverage_tools_impl(ctx):
    # Every test rule depends on these labels; coverage itself is not used.
    ctx.file("WORKSPACE", 'workspace(name = "remote_coverage_tools")\n')
    ctx.file("BUILD.bazel", "\n".join([
        'package(default_visibility = ["//visibility:public"])',
        'filegroup(name = "coverage_report_generator", srcs = [])',
        'filegroup(name = "lcov_merger", srcs = [])',
        "",
    ]))

_coverage_tools = repository_rule(implementation = _coverage_tools_impl)

def _rules_cc_impl(ctx):
    ctx.file("WORKSPACE", 'workspace(name = "rules_cc")\n')
    ctx.file("BUILD.bazel", "")
    ctx.file("cc/BUILD.bazel", 'exports_files(["defs.bzl"])\n')
    ctx.symlink(ctx.attr._defs, "cc/defs.bzl")

_rules_cc = repository_rule(
    implementation = _rules_cc_impl,
    attrs = {"_defs": attr.label(default = Label("//bazel/rules_cc_shim:defs.bzl"))},
)

def _maybe(rule, name, **kwargs):
    if not native.existing_rule(name):
        rule(name = name, **kwargs)

def duo_offline_toolchains():
    """Declares the rule sets Bazel 4.2.3 would download, from the host.

    @rules_cc forwards to Bazel's native C++ rules (Debian's bazel-rules-cc
    is too new for Bazel 4.2.3); @rules_java and @platforms are Debian's
    packaged copies; @remote_coverage_tools holds empty stand-ins, enough
    for test rules but not for `bazel coverage`.
    """
    _maybe(_rules_cc, "rules_cc")
    _maybe(native.local_repository, "rules_java", path = "/usr/share/bazel/rules/java")
    _maybe(native.local_repository, "platforms", path = "/usr/share/bazel/tools/platforms")
    _maybe(_coverage_tools, "remote_coverage_tools")
