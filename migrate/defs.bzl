"""duo_migrate_binary: the duo-migrate CLI with an application's models linked in."""

def duo_migrate_binary(name, models, **kwargs):
    """Builds duo-migrate for `models`, so that `bazel run :name -- create "msg"` works.

    Args:
      name: the binary's name.
      models: cc_library targets that declare models with DUO_REGISTER_MODEL.
        Mark them `alwayslink = True`: nothing in the CLI calls them, and the
        linker would otherwise drop their registrations.
      **kwargs: passed to cc_binary (visibility, tags, testonly, ...).
    """
    native.cc_binary(
        name = name,
        deps = [Label("//migrate:main")] + models,
        **kwargs
    )
