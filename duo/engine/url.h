// Database URLs: how a DuoORM application names the database it opens.
//
// One string says which backend to use and where the database is, so that it
// can live in configuration or in the environment ($DUO_DATABASE_URL)
// instead of in code:
//
//   sqlite:///relative/path.db         relative to the working directory
//   sqlite:////absolute/path.db
//   sqlite:///:memory:                 a private in-memory database
//   sqlite:///app.db?busy_timeout_ms=5000&mode=ro
//   postgresql://user:password@host:5432/dbname?sslmode=require
//   postgres://host                    every PostgreSQL part is optional
//   postgresql:///dbname?host=/run/postgresql    a Unix-socket directory
//   postgresql://[::1]:5433/dbname
//
// Which schemes exist is up to the program: each database's package
// registers its own (url_scheme.h), and this target links the schemes of
// every database DuoORM ships, so that a URL parses the same in every
// program. Opening one needs its driver linked as well (driver.h).
//
// The options are the driver's to interpret, when the database is opened:
// on SQLite busy_timeout_ms and mode (ro, or rwc: the default), and nothing
// else (any other is InvalidArgument); on PostgreSQL statement_timeout_ms
// and transaction_pooling (auto, on, off), the rest going to libpq.
//
// PostgreSQL URLs follow libpq's connection URIs: missing parts keep libpq's
// defaults (environment variables, then built-ins), and the query may carry
// any libpq keyword. A query parameter naming a part of the URL (host, port,
// user, password, dbname) overrides that part, as in libpq, and lands in the
// corresponding field rather than in `options`.
//
// Percent-escapes (%40 for '@', %2F for '/') are decoded in every part; '+'
// is a plus sign, not a space. A password containing '/' or '?' must be
// percent-encoded, or the URL splits in the wrong place.
//
// Parsing is strict where leniency would hide a mistake: scheme names are
// lowercase, a SQLite URL needs its third slash (no "sqlite://" for memory),
// options are unique name=value pairs, and control characters (a stray
// newline from a file) and %00 are refused. libpq's lists of several hosts
// are not supported.
//
//   absl::StatusOr<duo::engine::DatabaseUrl> url =
//       duo::engine::DatabaseUrl::Parse("postgresql://app@db.internal/orders");
//   if (!url.ok()) return url.status();  // InvalidArgument naming the part at fault
//   std::cerr << "opening " << url->ToString();  // the password reads "***"
//
// Errors never contain the password nor any option value, so a status can be
// logged as it is. ToString() masks the password as well.
//
// DatabaseUrl is a plain value that owns its strings (Parse keeps no view of
// its argument) and has no hidden state: copies are independent, and const
// methods are safe to call from several threads at once.

#ifndef DUO_ENGINE_URL_H_
#define DUO_ENGINE_URL_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace duo::engine {

struct DatabaseUrl {
  // The scheme's name as its database registered it first
  // (UrlScheme::names): "sqlite", "postgresql" (for postgres:// too).
  std::string scheme;
  // Server URLs only, decoded; empty when the URL leaves them to the
  // driver's defaults. `host` may be a Unix-socket directory (it starts
  // with '/').
  std::string user;
  std::string password;
  std::string host;
  std::optional<int> port;
  // A file URL's path as written, relative paths unresolved (the caller
  // decides what they are relative to), or ":memory:". A server URL's
  // database name, empty for the driver's default.
  std::string database;
  // The query parameters, decoded, in URL order. Names are unique; for
  // PostgreSQL they are libpq keywords other than the five that have fields
  // (UrlScheme::options_override_parts).
  std::vector<std::pair<std::string, std::string>> options;

  // The value of option `key`, if the URL gave it.
  std::optional<std::string> Option(absl::string_view key) const;

  // Parses `url`. A malformed URL is InvalidArgument; the message names the
  // part at fault and never contains the password or an option value.
  static absl::StatusOr<DatabaseUrl> Parse(absl::string_view url);

  // Parse($DUO_DATABASE_URL); NotFound when the variable is unset or empty.
  // Reads the environment, so it must not race with setenv().
  static absl::StatusOr<DatabaseUrl> FromEnvironment();

  // The URL, safe for logs: the password, and options named "password" or
  // "sslpassword", read "***". Characters that would change the URL's structure are
  // percent-encoded, so Parse(ToString()) yields this URL again, except for
  // the password.
  std::string ToString() const;

  // Whether this names a private in-memory database (sqlite:///:memory:,
  // see UrlScheme::memory_database).
  bool in_memory() const;
};

}  // namespace duo::engine

#endif  // DUO_ENGINE_URL_H_
