"""The libraries DuoORM builds against, taken from the host system.

Every library comes from a Debian package (see tools/setup.sh).
`duo_dependencies()` declares them, and nothing else: no rule set, no
toolchain. Call it from WORKSPACE, in this repository and in a consumer
workspace that fetched duo with `http_archive`:

    load("@duo//bazel:deps.bzl", "duo_dependencies")
    duo_dependencies()

A repository the workspace already declared is left alone, so a consumer can
substitute its own abseil or googletest by declaring it first. A workspace
that builds offline with Debian's Bazel 4.2.3 first calls
`duo_offline_toolchains()` from //bazel:offline.bzl.
"""

def _system_repository_impl(ctx):
    for link, target in ctx.attr.links.items():
        if not ctx.path(target).exists:
            fail("duo: {} needs {}, which is missing; run tools/setup.sh".format(
                ctx.name,
                target,
            ))
        ctx.symlink(target, link)
    ctx.file("WORKSPACE", 'workspace(name = "{}")\n'.format(ctx.name))
    if ctx.attr.build_file:
        ctx.symlink(ctx.attr.build_file, "BUILD.bazel")
    for package, content in ctx.attr.package_builds.items():
        ctx.file(package + "/BUILD.bazel" if package else "BUILD.bazel", content)

_system_repository = repository_rule(
    implementation = _system_repository_impl,
    doc = "Exposes headers installed under /usr as a Bazel repository.",
    local = True,
    attrs = {
        "links": attr.string_dict(doc = "path in the repository -> absolute host path"),
        "build_file": attr.label(allow_single_file = True),
        "package_builds": attr.string_dict(doc = "package path -> BUILD file content"),
    },
)

# Debian's libabsl-dev (20220623) ships one shared library per component.
# Each target below links the libraries whose symbols its headers reference;
# the shared libraries pull in their own dependencies.
_ABSL_BASE_LIBS = ["base", "raw_logging_internal", "log_severity", "spinlock_wait", "throw_delegate"]
_ABSL_HASH_LIBS = ["hash", "city", "low_level_hash"]
_ABSL_HASH_TABLE_LIBS = _ABSL_HASH_LIBS + ["raw_hash_set", "hashtablez_sampler", "exponential_biased"]
_ABSL_TIME_LIBS = ["time", "time_zone", "civil_time", "int128"]
_ABSL_STRINGS_LIBS = ["strings", "strings_internal", "int128"]
_ABSL_CORD_LIBS = ["cord", "cord_internal", "cordz_functions", "cordz_handle", "cordz_info", "cordz_sample_token"]
_ABSL_DEBUGGING_LIBS = ["stacktrace", "symbolize", "debugging_internal", "demangle_internal", "malloc_internal"]
_ABSL_SYNC_LIBS = ["synchronization", "graphcycles_internal"] + _ABSL_DEBUGGING_LIBS + _ABSL_TIME_LIBS
_ABSL_FLAGS_LIBS = [
    "flags_commandlineflag",
    "flags_commandlineflag_internal",
    "flags_config",
    "flags_internal",
    "flags_marshalling",
    "flags_parse",
    "flags_private_handle_accessor",
    "flags_program_name",
    "flags_reflection",
    "flags_usage",
    "flags_usage_internal",
] + _ABSL_SYNC_LIBS + _ABSL_HASH_TABLE_LIBS + ["str_format_internal"]
_ABSL_RANDOM_LIBS = [
    "random_distributions",
    "random_internal_platform",
    "random_internal_pool_urbg",
    "random_internal_randen",
    "random_internal_randen_hwaes",
    "random_internal_randen_hwaes_impl",
    "random_internal_randen_slow",
    "random_internal_seed_material",
    "random_seed_gen_exception",
    "random_seed_sequences",
]

# package -> {target: [libabsl_* components it links]}; names follow upstream
# abseil, so code written against upstream BUILD labels builds unchanged.
_ABSL_TARGETS = {
    "absl/algorithm": {"algorithm": [], "container": []},
    "absl/base": {"base": _ABSL_BASE_LIBS, "core_headers": [], "log_severity": ["log_severity"]},
    "absl/cleanup": {"cleanup": []},
    "absl/container": {
        "btree": [],
        "fixed_array": [],
        "flat_hash_map": _ABSL_HASH_TABLE_LIBS,
        "flat_hash_set": _ABSL_HASH_TABLE_LIBS,
        "inlined_vector": [],
        "node_hash_map": _ABSL_HASH_TABLE_LIBS,
        "node_hash_set": _ABSL_HASH_TABLE_LIBS,
    },
    "absl/debugging": {
        "failure_signal_handler": ["failure_signal_handler", "examine_stack"] + _ABSL_DEBUGGING_LIBS,
        "stacktrace": _ABSL_DEBUGGING_LIBS,
        "symbolize": _ABSL_DEBUGGING_LIBS,
    },
    "absl/flags": {"flag": _ABSL_FLAGS_LIBS, "parse": _ABSL_FLAGS_LIBS, "usage": _ABSL_FLAGS_LIBS},
    "absl/functional": {"any_invocable": [], "bind_front": [], "function_ref": []},
    "absl/hash": {"hash": _ABSL_HASH_LIBS, "hash_testing": _ABSL_HASH_LIBS + ["bad_variant_access"]},
    "absl/memory": {"memory": []},
    "absl/meta": {"type_traits": []},
    "absl/numeric": {"bits": [], "int128": ["int128"]},
    "absl/random": {"random": _ABSL_RANDOM_LIBS, "distributions": _ABSL_RANDOM_LIBS, "bit_gen_ref": _ABSL_RANDOM_LIBS},
    "absl/status": {
        "status": ["status", "strerror", "str_format_internal"] + _ABSL_STRINGS_LIBS + _ABSL_CORD_LIBS,
        "statusor": ["statusor", "status", "strerror", "str_format_internal"] + _ABSL_STRINGS_LIBS + _ABSL_CORD_LIBS,
    },
    "absl/strings": {
        "cord": _ABSL_CORD_LIBS + _ABSL_STRINGS_LIBS,
        "str_format": ["str_format_internal"] + _ABSL_STRINGS_LIBS,
        "strings": _ABSL_STRINGS_LIBS,
    },
    "absl/synchronization": {"synchronization": _ABSL_SYNC_LIBS},
    "absl/time": {"time": _ABSL_TIME_LIBS},
    "absl/types": {
        "any": ["bad_any_cast_impl"],
        "optional": ["bad_optional_access"],
        "span": [],
        "variant": ["bad_variant_access"],
    },
    "absl/utility": {"utility": []},
}

def _absl_package_builds():
    builds = {}
    for package, targets in _ABSL_TARGETS.items():
        lines = ['package(default_visibility = ["//visibility:public"])', ""]
        for name, libs in targets.items():
            # Every target links the base libraries: nearly every abseil
            # header reaches raw logging or the throw delegates.
            linkopts = ["-labsl_" + lib for lib in _ABSL_BASE_LIBS + libs]
            lines.append("cc_library(")
            lines.append('    name = "{}",'.format(name))
            lines.append('    deps = ["//:headers"],')
            lines.append("    linkopts = {},".format(repr(_dedupe(linkopts) + ["-pthread"])))
            lines.append(")")
            lines.append("")
        builds[package] = "\n".join(lines)
    builds[""] = "\n".join([
        "cc_library(",
        '    name = "headers",',
        '    hdrs = glob(["include/absl/**/*.h", "include/absl/**/*.inc"]),',
        '    includes = ["include"],',
        '    visibility = ["//absl:__subpackages__"],',
        ")",
        "",
    ])
    return builds

def _dedupe(items):
    seen = {}
    result = []
    for item in items:
        if item not in seen:
            seen[item] = True
            result.append(item)
    return result

def _maybe(rule, name, **kwargs):
    if not native.existing_rule(name):
        rule(name = name, **kwargs)

def duo_dependencies():
    """Declares the libraries DuoORM builds against, from the host system.

    Declares no rule set or toolchain: an offline workspace on Debian's
    Bazel also calls duo_offline_toolchains() (//bazel:offline.bzl).
    """
    _maybe(
        _system_repository,
        "com_google_absl",
        links = {"include/absl": "/usr/include/absl"},
        package_builds = _absl_package_builds(),
    )
    _maybe(
        _system_repository,
        "com_googlesource_code_re2",
        links = {"include/re2": "/usr/include/re2"},
        build_file = Label("//bazel/third_party:re2.BUILD"),
    )
    _maybe(
        _system_repository,
        "sqlite3",
        links = {
            "include/sqlite3.h": "/usr/include/sqlite3.h",
            "include/sqlite3ext.h": "/usr/include/sqlite3ext.h",
        },
        build_file = Label("//bazel/third_party:sqlite3.BUILD"),
    )
    _maybe(
        _system_repository,
        "libpq",
        links = {
            "include/libpq-fe.h": "/usr/include/postgresql/libpq-fe.h",
            "include/libpq-events.h": "/usr/include/postgresql/libpq-events.h",
            "include/postgres_ext.h": "/usr/include/postgresql/postgres_ext.h",
            "include/pg_config_ext.h": "/usr/include/postgresql/pg_config_ext.h",
        },
        build_file = Label("//bazel/third_party:libpq.BUILD"),
    )
    _maybe(
        _system_repository,
        "com_google_googletest",
        links = {
            "include/gtest": "/usr/include/gtest",
            "include/gmock": "/usr/include/gmock",
        },
        build_file = Label("//bazel/third_party:googletest.BUILD"),
    )
    _maybe(
        _system_repository,
        "com_github_google_benchmark",
        links = {"include/benchmark": "/usr/include/benchmark"},
        build_file = Label("//bazel/third_party:benchmark.BUILD"),
    )
    _maybe(
        _system_repository,
        "com_github_nlohmann_json",
        links = {"include/nlohmann": "/usr/include/nlohmann"},
        build_file = Label("//bazel/third_party:nlohmann_json.BUILD"),
    )
