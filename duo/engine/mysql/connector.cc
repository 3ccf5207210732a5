// The MySQL driver's registration: mysql:// and mariadb:// URLs open through
// OpenMysql. The URL options:
//
//   unix_socket=/run/mysqld/mysqld.sock  the server's socket (else host:port)
//   charset=utf8mb4                      the connection's character set
//   connect_timeout=10                   seconds, as Connector/C counts them
//   read_timeout=30, write_timeout=30    seconds; none by default
//   statement_timeout_ms=5000            MariaDB's max_statement_time
//   sql_mode=...                         the session's (empty: the server's)
//   statement_cache_size=128             prepared statements kept
//
// Any other option is InvalidArgument naming it: a misspelt timeout must
// not be silently ignored.

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "duo/dialect/mysql/dialect.h"
#include "duo/engine/driver.h"
#include "duo/engine/mysql/driver.h"
#include "duo/engine/status_text.h"

namespace duo::engine {
namespace {

class MysqlConnector final : public Connector {
 public:
  MysqlConnector(MysqlOptions options, std::string masked_url)
      : options_(std::move(options)), masked_url_(std::move(masked_url)) {}

  const dialect::Dialect& dialect() const override { return dialect::MysqlDialect(); }

  absl::StatusOr<std::unique_ptr<Connection>> Connect() override {
    absl::StatusOr<std::unique_ptr<Connection>> connection = OpenMysql(options_);
    if (connection.ok()) return connection;
    // Connector/C's messages name the host, never the password; add which
    // database (masked) the caller asked for, keeping the error's payloads
    // (its kind and details).
    return WithMessage(connection.status(),
                       absl::StrCat(connection.status().message(), " (", masked_url_, ")"));
  }

 private:
  const MysqlOptions options_;
  const std::string masked_url_;
};

absl::StatusOr<std::unique_ptr<Connector>> OpenMysqlConnector(DatabaseUrl url,
                                                              const ConnectOptions& connect) {
  MysqlOptions options{
      .host = url.host,
      .port = url.port.value_or(0),
      .user = url.user,
      .password = url.password,
      .database = url.database,
      .connect_timeout = connect.connect_timeout,
      .statement_timeout = connect.statement_timeout,
      .dialect = &dialect::MysqlDialect(),
  };
  // A host that is a path is the socket, as the mysql client reads
  // --host=/path (and libpq reads a directory).
  if (!url.host.empty() && url.host[0] == '/') {
    options.unix_socket = url.host;
    options.host.clear();
  }
  for (const auto& [key, value] : url.options) {
    const auto invalid = [&key = key](absl::string_view expected) {
      return absl::InvalidArgumentError(absl::StrCat("URL option \"", key, "\": ", expected));
    };
    const auto whole = [&](int64_t* out) { return absl::SimpleAtoi(value, out) && *out >= 0; };
    int64_t number = 0;
    if (key == "unix_socket") {
      if (value.empty()) return invalid("expected the path of the server's socket");
      options.unix_socket = value;
    } else if (key == "charset") {
      if (value.empty()) return invalid("expected a character set such as utf8mb4");
      options.charset = value;
    } else if (key == "connect_timeout" || key == "read_timeout" || key == "write_timeout") {
      if (!whole(&number)) return invalid("expected a whole number of seconds");
      absl::Duration& field = key == "connect_timeout" ? options.connect_timeout
                              : key == "read_timeout"  ? options.read_timeout
                                                       : options.write_timeout;
      field = absl::Seconds(number);
    } else if (key == "statement_timeout_ms") {
      if (!whole(&number)) return invalid("expected a whole number of milliseconds");
      options.statement_timeout = absl::Milliseconds(number);
    } else if (key == "sql_mode") {
      options.sql_mode = value;
    } else if (key == "statement_cache_size") {
      if (!whole(&number)) return invalid("expected a whole number of statements");
      options.statement_cache_size = static_cast<size_t>(number);
    } else {
      return invalid(
          "unknown to the MySQL driver (known: unix_socket, charset, connect_timeout, "
          "read_timeout, write_timeout, statement_timeout_ms, sql_mode, statement_cache_size)");
    }
  }
  return std::make_unique<MysqlConnector>(std::move(options), url.ToString());
}

const DriverRegistrar kMysqlDriver("mysql", &OpenMysqlConnector);

}  // namespace
}  // namespace duo::engine
