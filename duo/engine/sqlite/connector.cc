// The SQLite driver's registration: sqlite:// URLs open through OpenSqlite,
// with the URL options busy_timeout_ms and mode.

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/engine/driver.h"
#include "duo/engine/sqlite/driver.h"

namespace duo::engine {
namespace {

// A connection owned elsewhere, lent to the pool: closing it (Disconnect,
// discarding a broken one) leaves the real connection and its data alone.
class BorrowedConnection final : public Connection {
 public:
  explicit BorrowedConnection(Connection* owner) : owner_(owner) {}
  // What closing a real connection would do to its transaction.
  ~BorrowedConnection() override {
    if (owner_->InTransaction()) owner_->ExecuteScript("ROLLBACK").IgnoreError();
  }

  const dialect::Dialect& dialect() const override { return owner_->dialect(); }
  absl::StatusOr<std::unique_ptr<Cursor>> Run(const dialect::CompiledStatement& statement,
                                              RunMode mode) override {
    return owner_->Run(statement, mode);
  }
  absl::StatusOr<int64_t> RunMany(const dialect::CompiledStatement& statement, int64_t rows,
                                  FillParams fill) override {
    return owner_->RunMany(statement, rows, fill);
  }
  absl::Status ExecuteScript(absl::string_view sql) override { return owner_->ExecuteScript(sql); }
  bool Ping() override { return owner_->Ping(); }
  bool LooksAlive() override { return owner_->LooksAlive(); }
  bool Broken() const override { return owner_->Broken(); }
  bool InTransaction() const override { return owner_->InTransaction(); }
  AsyncConnection* async() override { return owner_->async(); }
  void Interrupt() override { owner_->Interrupt(); }
  void Sever() override { owner_->Sever(); }

 private:
  Connection* const owner_;
};

class SqliteConnector final : public Connector {
 public:
  explicit SqliteConnector(SqliteOptions options) : options_(std::move(options)) {}

  // A private in-memory database exists only as its one connection, the
  // anchor, which the connector owns: the pool hands out stand-ins for it,
  // one at a time, so the data outlives Disconnect() and no sharing mode
  // (shared cache, memdb) puts a mutex on every page read.
  absl::Status OpenAnchor() {
    DUO_ASSIGN_OR_RETURN(anchor_, OpenSqlite(options_));
    return absl::OkStatus();
  }

  const dialect::Dialect& dialect() const override { return dialect::SqliteDialect(); }

  absl::StatusOr<std::unique_ptr<Connection>> Connect() override {
    if (anchor_ != nullptr) return std::make_unique<BorrowedConnection>(anchor_.get());
    return OpenSqlite(options_);
  }

  int max_connections() const override { return anchor_ != nullptr ? 1 : 0; }

  // SQLite steps rows on demand, buffered or not.
  bool buffered_cursors_read_lazily() const override { return true; }

 private:
  const SqliteOptions options_;
  std::unique_ptr<Connection> anchor_;
};

absl::StatusOr<std::unique_ptr<Connector>> OpenSqliteConnector(DatabaseUrl url,
                                                               const ConnectOptions& connect) {
  SqliteOptions options{.busy_timeout = connect.sqlite_busy_timeout};
  // The URL's options win over DatabaseOptions. Any other is refused: an
  // option nobody reads is a mistake, not a setting.
  for (const auto& [key, value] : url.options) {
    const auto invalid = [&](absl::string_view expected) {
      return absl::InvalidArgumentError(absl::StrCat("URL option \"", key, "\": ", expected));
    };
    if (key == "busy_timeout_ms") {
      int64_t millis = 0;
      if (!absl::SimpleAtoi(value, &millis) || millis < 0) {
        return invalid("expected a whole number of milliseconds");
      }
      options.busy_timeout = absl::Milliseconds(millis);
    } else if (key == "mode") {
      if (value != "ro" && value != "rwc") {
        return invalid("expected ro (read-only) or rwc (read, write, create: the default)");
      }
      options.read_only = value == "ro";
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown SQLite URL option \"", key, "\"; SQLite URLs take busy_timeout_ms and mode"));
    }
  }
  const bool in_memory = url.in_memory();
  options.filename = in_memory ? url.database : std::filesystem::absolute(url.database).string();
  auto connector = std::make_unique<SqliteConnector>(std::move(options));
  if (in_memory) DUO_RETURN_IF_ERROR(connector->OpenAnchor());
  return connector;
}

const DriverRegistrar kSqliteDriver("sqlite", &OpenSqliteConnector);

}  // namespace
}  // namespace duo::engine
