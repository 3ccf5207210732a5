"""The cc_test flavour DuoORM's own tests use."""

def duo_cc_test(name, postgres = False, tags = [], **kwargs):
    """A cc_test; with postgres = True it may start the PostgreSQL fixture.

    The fixture starts a real server as an unprivileged user when the test
    runs as root, which Bazel's linux-sandbox does not permit (setgroups
    fails inside its user namespace); such tests run unsandboxed. The
    "postgres" tag lets a developer select or exclude them with
    --test_tag_filters.
    """
    if postgres:
        tags = tags + ["no-sandbox", "postgres"]
    native.cc_test(name = name, tags = tags, **kwargs)
