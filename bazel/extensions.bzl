"""DuoORM's system libraries for Bzlmod (Bazel 7 and 8).

Under Bzlmod no WORKSPACE macro runs, so `duo_dependencies()` cannot declare
the libraries. This module extension declares the same repositories with the
same repository rules (//bazel:deps.bzl). duo's own MODULE.bazel uses it; a
module that depends on duo uses it too when its BUILD files name one of the
libraries:

    system = use_extension("@duo//bazel:extensions.bzl", "system_libraries")
    use_repo(system, "com_google_absl")

Tags:
  abseil(pkg_config_path = [...]): directories searched first for abseil's
    absl_*.pc files. The root module's directories come first, then those of
    other modules, in the order Bazel lists the modules.

Written against Bazel's documented module API; the machines this repository
is developed on run Bazel 4.2.3, which has no Bzlmod, so no Bazel has
evaluated this file (docs/bazel.md says what was run).
"""

load(":deps.bzl", "duo_library_repositories")

_abseil = tag_class(
    doc = "Where abseil's pkg-config files are, when not in the default places.",
    attrs = {
        "pkg_config_path": attr.string_list(
            doc = "Directories searched for absl_*.pc before $PKG_CONFIG_PATH and pkg-config's defaults.",
        ),
    },
)

def _system_libraries_impl(module_ctx):
    pkg_config_path = []
    for root_pass in [True, False]:
        for module in module_ctx.modules:
            if module.is_root != root_pass:
                continue
            for tag in module.tags.abseil:
                pkg_config_path += [d for d in tag.pkg_config_path if d not in pkg_config_path]
    duo_library_repositories(absl_pkg_config_path = pkg_config_path)

system_libraries = module_extension(
    implementation = _system_libraries_impl,
    doc = """Declares abseil, RE2, sqlite3, libpq, MariaDB Connector/C, googletest, benchmark and
nlohmann-json (and cpp-httplib, for examples/web) from the host's installed packages, as duo_dependencies() does
in WORKSPACE mode: com_google_absl, com_googlesource_code_re2, sqlite3,
libpq, libmariadb, com_google_googletest, com_github_google_benchmark,
com_github_nlohmann_json and com_github_yhirose_cpp_httplib.""",
    tag_classes = {"abseil": _abseil},
)
