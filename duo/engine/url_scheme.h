// URL schemes: how the URLs of each database are written.
//
// DatabaseUrl::Parse (url.h) knows no database by name. Each database's
// package registers the schemes of its URLs here, during static
// initialization, from a library with alwayslink = 1 so that the linker
// keeps the registration:
//
//   // duo/engine/postgres/url_scheme.cc
//   const duo::engine::UrlSchemeRegistrar kPostgres({
//       .names = {"postgresql", "postgres"},
//       .form = duo::engine::UrlScheme::Form::kServer,
//       ...
//   });
//
// A scheme says which of two forms its URLs take, and the few rules in
// which databases differ; parsing, percent-decoding, password masking and
// printing stay in one place (url.cc), the same for every database.
//
// Registration happens before main(); lookups are safe from any thread.

#ifndef DUO_ENGINE_URL_SCHEME_H_
#define DUO_ENGINE_URL_SCHEME_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace duo::engine {

struct UrlScheme {
  enum class Form : uint8_t {
    // scheme:///relative/path or scheme:////absolute/path, then ?options:
    // a database file. DatabaseUrl::database is the path; the URL has no
    // user, password, host nor port.
    kFile,
    // scheme://[user[:password]@][host][:port][/database][?options]: a
    // database server. Every part is optional.
    kServer,
  };

  // The name ToString() writes, then the other names Parse accepts for
  // the same database: {"postgresql", "postgres"}. DatabaseUrl::scheme is
  // always the first. Lowercase, as Parse only accepts lowercase schemes.
  std::vector<std::string> names;
  Form form = Form::kServer;
  // kFile: the path that names a private in-memory database (":memory:"),
  // for DatabaseUrl::in_memory(); empty when the database has none.
  std::string memory_database;
  // kServer: query parameters named host, port, user, password or dbname
  // replace that part of the URL instead of staying options (libpq's rule).
  bool options_override_parts = false;
  // kServer: when the driver passes option names on as bare keywords, so
  // that they must be letters, digits and '_', what errors call them
  // ("libpq keywords"); empty: any name.
  std::string keyword_options;
  // The Bazel target that registers the database's driver, which the
  // error of a program linking no driver for the scheme names:
  // "//duo/engine/postgres:driver".
  std::string driver_target;
};

// Registers `scheme` under each of its names. A name registered twice
// means two linked packages claim one scheme: the process aborts, naming
// it, before main() runs.
void RegisterUrlScheme(UrlScheme scheme);

// The scheme registered under `name`, or nullptr. The pointer stays valid
// for the life of the process.
const UrlScheme* FindUrlScheme(absl::string_view name);

// Every registered scheme's first name, sorted: for error messages.
std::vector<std::string> RegisteredUrlSchemes();

// Registers a scheme when constructed: one namespace-scope object in the
// package that owns the scheme.
class UrlSchemeRegistrar {
 public:
  explicit UrlSchemeRegistrar(UrlScheme scheme) { RegisterUrlScheme(std::move(scheme)); }
};

}  // namespace duo::engine

#endif  // DUO_ENGINE_URL_SCHEME_H_
