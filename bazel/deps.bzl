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

# The file that marks a repository's root. It names no workspace: under
# Bzlmod ctx.name is a canonical repository name, whose separators ("~" or
# "+") a workspace name may not contain.
_REPOSITORY_MARKER = "# Declared by @duo//bazel:deps.bzl.\n"

def _system_repository_impl(ctx):
    for link, target in ctx.attr.links.items():
        if not ctx.path(target).exists:
            fail("duo: {} needs {}, which is missing; run tools/setup.sh".format(
                ctx.name,
                target,
            ))
        ctx.symlink(target, link)
    ctx.file("WORKSPACE", _REPOSITORY_MARKER)
    if ctx.attr.build_file:
        ctx.symlink(ctx.attr.build_file, "BUILD.bazel")

_system_repository = repository_rule(
    implementation = _system_repository_impl,
    doc = "Exposes headers installed under /usr as a Bazel repository.",
    local = True,
    attrs = {
        "links": attr.string_dict(doc = "path in the repository -> absolute host path"),
        "build_file": attr.label(allow_single_file = True),
    },
)

# package -> {target: [pkg-config modules whose link lines it carries]}.
# Target names follow upstream abseil's BUILD files, so code written against
# upstream labels builds unchanged; each module is an absl_<name>.pc file,
# which names its own libraries (Libs) and the modules it needs (Requires).
_ABSL_TARGETS = {
    "absl/algorithm": {
        "algorithm": ["absl_algorithm"],
        "container": ["absl_algorithm_container"],
    },
    "absl/base": {
        "base": ["absl_base"],
        "core_headers": ["absl_core_headers"],
        "log_severity": ["absl_log_severity"],
    },
    "absl/cleanup": {"cleanup": ["absl_cleanup"]},
    "absl/container": {
        "btree": ["absl_btree"],
        "fixed_array": ["absl_fixed_array"],
        "flat_hash_map": ["absl_flat_hash_map"],
        "flat_hash_set": ["absl_flat_hash_set"],
        "inlined_vector": ["absl_inlined_vector"],
        "node_hash_map": ["absl_node_hash_map"],
        "node_hash_set": ["absl_node_hash_set"],
    },
    "absl/debugging": {
        "failure_signal_handler": ["absl_failure_signal_handler"],
        "stacktrace": ["absl_stacktrace"],
        "symbolize": ["absl_symbolize"],
    },
    "absl/flags": {
        "flag": ["absl_flags"],
        "parse": ["absl_flags_parse"],
        "usage": ["absl_flags_usage"],
    },
    "absl/functional": {
        "any_invocable": ["absl_any_invocable"],
        "bind_front": ["absl_bind_front"],
        "function_ref": ["absl_function_ref"],
    },
    "absl/hash": {
        "hash": ["absl_hash"],
        # Upstream's testonly target has no .pc file; these are the
        # installed modules its headers use.
        "hash_testing": ["absl_hash", "absl_variant", "absl_str_format", "absl_strings"],
    },
    "absl/memory": {"memory": ["absl_memory"]},
    "absl/meta": {"type_traits": ["absl_type_traits"]},
    "absl/numeric": {"bits": ["absl_bits"], "int128": ["absl_int128"]},
    "absl/random": {
        "bit_gen_ref": ["absl_random_bit_gen_ref"],
        "distributions": ["absl_random_distributions"],
        "random": ["absl_random_random"],
    },
    "absl/status": {
        "status": ["absl_status"],
        "statusor": ["absl_statusor"],
    },
    "absl/strings": {
        "cord": ["absl_cord"],
        "str_format": ["absl_str_format"],
        "strings": ["absl_strings"],
    },
    "absl/synchronization": {"synchronization": ["absl_synchronization"]},
    "absl/time": {"time": ["absl_time"]},
    "absl/types": {
        "any": ["absl_any"],
        "optional": ["absl_optional"],
        "span": ["absl_span"],
        "variant": ["absl_variant"],
    },
    "absl/utility": {"utility": ["absl_utility"]},
}

# Every target also carries these link lines: nearly every abseil header
# reaches raw logging or the throw delegates.
_ABSL_ALWAYS = ["absl_base", "absl_throw_delegate"]

# target -> more modules it links, beyond what its own .pc files require.
# Before the link lines came from the .pc files they were written by hand,
# grouped more coarsely than abseil's dependency graph; these keep every
# target linking at least what it did then. Unlike the modules above, a
# module here that an abseil does not install is skipped.
_ABSL_ALSO = {
    "absl/debugging:stacktrace": ["absl_symbolize"],
    "absl/debugging:symbolize": ["absl_stacktrace"],
    "absl/flags:flag": ["absl_flags_parse"],
    "absl/flags:usage": ["absl_flags_parse"],
    "absl/random:bit_gen_ref": ["absl_random_random"],
    "absl/random:distributions": ["absl_random_random"],
    "absl/status:status": ["absl_cordz_sample_token"],
    "absl/status:statusor": ["absl_cordz_sample_token"],
    "absl/strings:cord": ["absl_cordz_sample_token"],
}

# The characters of a Requires field's version comparisons (=, <=, !=, ...).
_PC_OPERATOR_CHARS = ["<", ">", "=", "!"]

def _pc_search_path(ctx):
    """Returns the directories searched for .pc files, in pkg-config's order.

    First the rule's pkg_config_path, then $PKG_CONFIG_PATH, then
    pkg-config's defaults under /usr/local and /usr, multiarch first.
    """
    dirs = list(ctx.attr.pkg_config_path)
    dirs += [d for d in ctx.os.environ.get("PKG_CONFIG_PATH", "").split(":") if d]
    machine = ctx.execute(["uname", "-m"]).stdout.strip()
    for prefix in ["/usr/local", "/usr"]:
        if machine:
            dirs.append("{}/lib/{}-linux-gnu/pkgconfig".format(prefix, machine))
        dirs += [prefix + "/lib64/pkgconfig", prefix + "/lib/pkgconfig", prefix + "/share/pkgconfig"]
    return dirs

def _pc_expand(value, variables):
    """Replaces each ${name} in value with the .pc file's variable."""
    result = ""
    rest = value
    for _ in range(len(value)):
        start = rest.find("${")
        end = rest.find("}", start + 2)
        if start < 0 or end < 0:
            break
        result += rest[:start] + variables.get(rest[start + 2:end], "")
        rest = rest[end + 1:]
    return result + rest

def _pc_parse(text):
    """Returns the fields ("Libs", "Requires", ...) of a .pc file's text."""
    variables = {}
    fields = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        colon = line.find(":")
        equals = line.find("=")
        if equals >= 0 and (colon < 0 or equals < colon):
            variables[line[:equals].strip()] = _pc_expand(line[equals + 1:].strip(), variables)
        elif colon >= 0:
            fields[line[:colon].strip()] = _pc_expand(line[colon + 1:].strip(), variables)
    return fields

def _pc_requires(value):
    """Returns the module names of a Requires field, versions dropped."""
    names = []
    skip_version = False
    for word in value.replace(",", " ").replace("\t", " ").split(" "):
        if not word:
            continue
        if skip_version:
            skip_version = False
            continue

        # "name", "name >= 1", "name>=1", "name >=1": cut at the operator;
        # the version is the next word when the operator ends this one.
        cut = len(word)
        for operator in _PC_OPERATOR_CHARS:
            at = word.find(operator)
            if at >= 0 and at < cut:
                cut = at
        if cut > 0:
            names.append(word[:cut])
        if cut < len(word):
            skip_version = not word[cut:].lstrip("<>=!")
    return names

def _is_system_lib_dir(path):
    # The linker's own search path; pkg-config leaves these -L flags out too.
    if path in ["/lib", "/lib64", "/usr/lib", "/usr/lib64"]:
        return True
    for parent in ["/lib/", "/usr/lib/"]:
        if path.startswith(parent) and "/" not in path[len(parent):] and "-linux-" in path:
            return True
    return False

def _pc_link_units(libs):
    """Splits a Libs field into units that must stay together and in order.

    A unit is one flag, or a -Wl,--push-state ... -Wl,--pop-state group.
    -L flags for the linker's default directories are dropped; any other
    library directory also becomes the binaries' run-time search path.
    """
    units = []
    group = None
    for word in libs.replace("\t", " ").split(" "):
        if not word:
            continue
        if group != None:
            group.append(word)
            if word.startswith("-Wl,--pop-state"):
                units.append(group)
                group = None
        elif word.startswith("-Wl,--push-state"):
            group = [word]
        elif word.startswith("-L"):
            if not _is_system_lib_dir(word[2:]):
                units.append([word, "-Wl,-rpath," + word[2:]])
        else:
            units.append([word])
    if group != None:
        units.append(group)
    return units

def _absl_modules(ctx):
    """Reads every absl_*.pc module the targets need, with their Requires.

    Returns (directory of absl_base.pc, {module: parsed fields}). A module
    of _ABSL_ALSO that is not installed is left out; any other is an error.
    """
    search = _pc_search_path(ctx)
    home = None
    for directory in search:
        if ctx.path(directory + "/absl_base.pc").exists:
            home = directory
            break
    if home == None:
        fail(("duo: no absl_base.pc in {}; install abseil's development files " +
              "(run tools/setup.sh) or name their pkgconfig directory in " +
              "PKG_CONFIG_PATH").format(":".join(search)))

    # Modules resolve in abseil's own directory first, then the search path.
    search = [home] + [d for d in search if d != home]
    pending = list(_ABSL_ALWAYS)
    for targets in _ABSL_TARGETS.values():
        for needed in targets.values():
            pending += needed
    optional = {}
    for extra in _ABSL_ALSO.values():
        for name in extra:
            if name not in pending:
                optional[name] = True
                pending.append(name)

    # A worklist instead of recursion, which Starlark does not allow; each
    # round reads at most one module, and abseil has a few hundred.
    modules = {}
    for _ in range(10000):
        if not pending:
            break
        name = pending.pop()
        if name in modules:
            continue
        path = None
        for directory in search:
            if ctx.path(directory + "/" + name + ".pc").exists:
                path = directory + "/" + name + ".pc"
                break
        if path == None:
            if name in optional:
                continue
            fail("duo: {}.pc is missing (abseil's pkg-config files are in {})".format(name, home))
        fields = _pc_parse(ctx.read(path))
        modules[name] = fields
        pending += _pc_requires(fields.get("Requires", ""))
    return home, modules

def _absl_link_line(names, modules):
    """Returns the linkopts of names and everything they require.

    Modules come before the modules they require (a topological order, as
    pkg-config prints them), which static libraries need and shared ones
    do not mind; a repeated unit is kept once, at its first place.
    """

    # Depth-first post-order by an explicit stack, reversed.
    order = []
    done = {}
    stack = [(name, False) for name in reversed(names)]
    for _ in range(100000):
        if not stack:
            break
        name, expanded = stack.pop()
        if expanded:
            order.append(name)
            continue
        if name in done:
            continue
        done[name] = True
        stack.append((name, True))
        for required in reversed(_pc_requires(modules[name].get("Requires", ""))):
            if required not in done:
                stack.append((required, False))
    linkopts = []
    seen = {}
    for name in reversed(order):
        for unit in _pc_link_units(modules[name].get("Libs", "")):
            key = " ".join(unit)
            if key not in seen:
                seen[key] = True
                linkopts += unit
    return linkopts

def _absl_include_dir(fields):
    for word in fields.get("Cflags", "").replace("\t", " ").split(" "):
        if word.startswith("-I") and len(word) > 2:
            return word[2:]
    return "/usr/include"

def _absl_repository_impl(ctx):
    home, modules = _absl_modules(ctx)
    base = modules["absl_base"]
    include = _absl_include_dir(base)
    if not ctx.path(include + "/absl/base/config.h").exists:
        fail("duo: abseil's headers are not in {} (from {}/absl_base.pc)".format(include, home))
    ctx.symlink(include + "/absl", "include/absl")
    ctx.file("WORKSPACE", _REPOSITORY_MARKER)
    header = "# Generated by @duo//bazel:deps.bzl from the absl_*.pc files in {} (abseil {}).".format(
        home,
        base.get("Version", "of unknown version"),
    )
    for package, targets in _ABSL_TARGETS.items():
        lines = [header, 'package(default_visibility = ["//visibility:public"])', ""]
        for name, needed in targets.items():
            also = [m for m in _ABSL_ALSO.get(package + ":" + name, []) if m in modules]
            linkopts = _absl_link_line(needed + also + _ABSL_ALWAYS, modules) + ["-pthread"]
            lines.append("cc_library(")
            lines.append('    name = "{}",'.format(name))
            lines.append('    deps = ["//:headers"],')
            lines.append("    linkopts = {},".format(repr(linkopts)))
            lines.append(")")
            lines.append("")
        ctx.file(package + "/BUILD.bazel", "\n".join(lines))
    ctx.file("BUILD.bazel", "\n".join([
        header,
        "cc_library(",
        '    name = "headers",',
        '    hdrs = glob(["include/absl/**/*.h", "include/absl/**/*.inc"]),',
        '    includes = ["include"],',
        '    visibility = ["//absl:__subpackages__"],',
        ")",
        "",
    ]))

_absl_repository = repository_rule(
    implementation = _absl_repository_impl,
    doc = """abseil's headers and shared libraries, as upstream's Bazel targets.

Link lines come from the installed absl_*.pc pkg-config files, so any
abseil with pkg-config files works, not only Debian's 20220623.""",
    local = True,
    environ = ["PKG_CONFIG_PATH"],
    attrs = {
        "pkg_config_path": attr.string_list(
            doc = "Directories searched for absl_*.pc before $PKG_CONFIG_PATH and the defaults.",
        ),
    },
)

# The header-only or plain-.so libraries: repository -> the host paths it
# links and its BUILD file. abseil has a rule of its own (_absl_repository),
# which reads its pkg-config files.
_SYSTEM_LIBRARIES = {
    "com_googlesource_code_re2": struct(
        links = {"include/re2": "/usr/include/re2"},
        build_file = "//bazel/third_party:re2.BUILD",
    ),
    "sqlite3": struct(
        links = {
            "include/sqlite3.h": "/usr/include/sqlite3.h",
            "include/sqlite3ext.h": "/usr/include/sqlite3ext.h",
        },
        build_file = "//bazel/third_party:sqlite3.BUILD",
    ),
    "libpq": struct(
        links = {
            "include/libpq-fe.h": "/usr/include/postgresql/libpq-fe.h",
            "include/libpq-events.h": "/usr/include/postgresql/libpq-events.h",
            "include/postgres_ext.h": "/usr/include/postgresql/postgres_ext.h",
            "include/pg_config_ext.h": "/usr/include/postgresql/pg_config_ext.h",
        },
        build_file = "//bazel/third_party:libpq.BUILD",
    ),
    "libmariadb": struct(
        links = {"include/mariadb": "/usr/include/mariadb"},
        build_file = "//bazel/third_party:libmariadb.BUILD",
    ),
    "com_google_googletest": struct(
        links = {
            "include/gtest": "/usr/include/gtest",
            "include/gmock": "/usr/include/gmock",
        },
        build_file = "//bazel/third_party:googletest.BUILD",
    ),
    "com_github_google_benchmark": struct(
        links = {"include/benchmark": "/usr/include/benchmark"},
        build_file = "//bazel/third_party:benchmark.BUILD",
    ),
    "com_github_nlohmann_json": struct(
        links = {"include/nlohmann": "/usr/include/nlohmann"},
        build_file = "//bazel/third_party:nlohmann_json.BUILD",
    ),
    "com_github_yhirose_cpp_httplib": struct(
        links = {"include/httplib.h": "/usr/include/httplib.h"},
        build_file = "//bazel/third_party:cpp_httplib.BUILD",
    ),
}

# The repositories duo_library_repositories() declares.
DUO_LIBRARY_REPOSITORIES = ["com_google_absl"] + _SYSTEM_LIBRARIES.keys()

def duo_dependencies(absl_pkg_config_path = []):
    """Declares the libraries DuoORM builds against, from the host system.

    Declares no rule set or toolchain: an offline workspace on Debian's
    Bazel also calls duo_offline_toolchains() (//bazel:offline.bzl). A
    repository the workspace already declared is left alone.

    Args:
      absl_pkg_config_path: directories searched for abseil's absl_*.pc
        files before $PKG_CONFIG_PATH and pkg-config's default directories.
    """
    duo_library_repositories(
        skip = [name for name in DUO_LIBRARY_REPOSITORIES if native.existing_rule(name)],
        absl_pkg_config_path = absl_pkg_config_path,
    )

def duo_library_repositories(skip = [], absl_pkg_config_path = []):
    """Declares each repository of DUO_LIBRARY_REPOSITORIES not in skip.

    duo_dependencies() calls it from WORKSPACE; a module extension, which
    cannot ask which repositories exist, calls it directly.

    Args:
      skip: names of DUO_LIBRARY_REPOSITORIES not to declare.
      absl_pkg_config_path: as for duo_dependencies().
    """
    if "com_google_absl" not in skip:
        _absl_repository(name = "com_google_absl", pkg_config_path = absl_pkg_config_path)
    for name, library in _SYSTEM_LIBRARIES.items():
        if name not in skip:
            _system_repository(
                name = name,
                links = library.links,
                build_file = Label(library.build_file),
            )
