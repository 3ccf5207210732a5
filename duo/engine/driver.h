// Drivers: which code opens the database a URL names.
//
// duo::Database links no driver of its own. Each driver's package
// registers itself for its URL schemes, during static initialization, from
// a library with alwayslink = 1, so that a program links exactly the
// drivers its BUILD file names:
//
//   cc_binary(
//       name = "app",
//       deps = [
//           "//duo/session:database_core",  // duo::Database, no driver
//           "//duo/engine/sqlite:driver",    // sqlite:// URLs
//       ],
//   )
//
// (//duo/session:database, //duo:duo and duo-migrate link every driver
// DuoORM ships.) A driver turns a parsed URL and the settings it needs into
// a Connector: the dialect to compile for, and where connections come from.
// It interprets the URL's options itself, so that a new database brings
// its own without anything above the engine knowing them.
//
//   // duo/engine/sqlite/connector.cc
//   const duo::engine::DriverRegistrar kSqliteDriver("sqlite", &OpenSqliteConnector);
//
// Registration happens before main(); lookups are safe from any thread.

#ifndef DUO_ENGINE_DRIVER_H_
#define DUO_ENGINE_DRIVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "duo/dialect/compiler.h"
#include "duo/engine/connection.h"
#include "duo/engine/url.h"

namespace duo::engine {

// The settings of duo::DatabaseOptions a driver may need, passed on
// uninterpreted: each driver reads those that concern its database, and its
// URL options override them.
struct ConnectOptions {
  // The longest opening one connection may take (PoolOptions).
  absl::Duration connect_timeout = absl::Seconds(10);
  // What the server shows of the client (PostgreSQL: pg_stat_activity).
  std::string application_name = "duo";
  // The longest one statement may run; zero keeps the server's setting.
  absl::Duration statement_timeout = absl::ZeroDuration();
  // PostgreSQL: whether a transaction-pooling proxy sits in between.
  TransactionPooling transaction_pooling = TransactionPooling::kAuto;
  // SQLite: how long a writer waits for another one.
  absl::Duration sqlite_busy_timeout = absl::Seconds(5);
};

// One database as its driver reaches it. Made once per duo::Database (and
// per replica); its connection pool calls Connect() from any thread, so
// implementations are thread-safe.
class Connector {
 public:
  virtual ~Connector() = default;

  // The dialect statements for this database are compiled in.
  virtual const dialect::Dialect& dialect() const = 0;

  // Opens a new connection. Errors say which database (its URL, password
  // masked) could not be reached.
  virtual absl::StatusOr<std::unique_ptr<Connection>> Connect() = 0;

  // The most connections the database can have at once, when it sets a
  // limit of its own (a private in-memory SQLite database is one
  // connection: 1): the pool then keeps exactly that many, with no
  // overflow. 0 leaves it to the pool's options.
  virtual int max_connections() const { return 0; }

  // Whether the cursor of a buffered statement still reads from the
  // database while its rows are read (SQLite steps rows on demand), so
  // that a deadline must go on watching it.
  virtual bool buffered_cursors_read_lazily() const { return false; }
};

// Opens a Connector for `url`, whose scheme is one the driver registered.
// Invalid URL options are InvalidArgument naming the option; nothing is
// connected yet (except where the database exists only as a connection,
// sqlite:///:memory:).
using OpenConnectorFn =
    absl::StatusOr<std::unique_ptr<Connector>> (*)(DatabaseUrl url, const ConnectOptions& options);

// Registers `open` for URLs whose scheme is `scheme` (a UrlScheme's first
// name, DatabaseUrl::scheme). A scheme registered twice means two linked
// drivers claim it: the process aborts, naming it, before main() runs.
void RegisterDriver(absl::string_view scheme, OpenConnectorFn open);

// Opens a Connector through the driver registered for url.scheme.
// FailedPrecondition when this program links none, naming the scheme and
// the target that registers its driver.
absl::StatusOr<std::unique_ptr<Connector>> OpenConnector(DatabaseUrl url,
                                                         const ConnectOptions& options);

// Registers a driver when constructed: one namespace-scope object in the
// driver's package.
class DriverRegistrar {
 public:
  DriverRegistrar(absl::string_view scheme, OpenConnectorFn open) { RegisterDriver(scheme, open); }
};

}  // namespace duo::engine

#endif  // DUO_ENGINE_DRIVER_H_
