// SQLite's URLs: sqlite:///relative.db, sqlite:////absolute.db and
// sqlite:///:memory: (see duo/engine/url.h).

#include "duo/engine/url_scheme.h"

namespace duo::engine {
namespace {

const UrlSchemeRegistrar kSqliteScheme({
    .names = {"sqlite"},
    .form = UrlScheme::Form::kFile,
    .memory_database = ":memory:",
    .driver_target = "//duo/engine/sqlite:driver",
});

}  // namespace
}  // namespace duo::engine
