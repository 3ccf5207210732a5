// PostgreSQL's URLs, libpq's connection URIs: postgresql://user:password@
// host:port/dbname?keyword=value (postgres:// too; see duo/engine/url.h).

#include "duo/engine/url_scheme.h"

namespace duo::engine {
namespace {

const UrlSchemeRegistrar kPostgresScheme({
    .names = {"postgresql", "postgres"},
    .form = UrlScheme::Form::kServer,
    // As libpq reads its URIs: ?host=/run/postgresql is the host.
    .options_override_parts = true,
    // The options become conninfo keywords (LibpqConnInfo).
    .keyword_options = "libpq keywords",
    .driver_target = "//duo/engine/postgres:driver",
});

}  // namespace
}  // namespace duo::engine
