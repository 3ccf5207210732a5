// The PostgreSQL driver's registration: postgresql:// (and postgres://)
// URLs open through OpenPostgres, with the URL options
// statement_timeout_ms and transaction_pooling; the rest go to libpq.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/engine/driver.h"
#include "duo/engine/postgres/conninfo.h"
#include "duo/engine/postgres/driver.h"
#include "duo/engine/status_text.h"

namespace duo::engine {
namespace {

class PostgresConnector final : public Connector {
 public:
  PostgresConnector(PostgresOptions options, std::string masked_url)
      : options_(std::move(options)), masked_url_(std::move(masked_url)) {}

  const dialect::Dialect& dialect() const override { return dialect::PostgresDialect(); }

  absl::StatusOr<std::unique_ptr<Connection>> Connect() override {
    absl::StatusOr<std::unique_ptr<Connection>> connection = OpenPostgres(options_);
    if (connection.ok()) return connection;
    // libpq's messages name the host, never the password; add which
    // database (masked) the caller asked for.
    return WithMessage(connection.status(),
                       absl::StrCat(connection.status().message(), " (", masked_url_, ")"));
  }

 private:
  const PostgresOptions options_;
  const std::string masked_url_;
};

absl::StatusOr<std::unique_ptr<Connector>> OpenPostgresConnector(DatabaseUrl url,
                                                                 const ConnectOptions& connect) {
  PostgresOptions options{
      .application_name = connect.application_name,
      .statement_timeout = connect.statement_timeout,
      .transaction_pooling = connect.transaction_pooling,
      // A connect_timeout in the URL wins.
      .connect_timeout = connect.connect_timeout,
  };
  std::string masked_url = url.ToString();
  // DuoORM's own options win over DatabaseOptions; the rest are libpq's
  // keywords, which libpq checks.
  std::vector<std::pair<std::string, std::string>> rest;
  for (auto& [key, value] : url.options) {
    const auto invalid = [&](absl::string_view expected) {
      return absl::InvalidArgumentError(absl::StrCat("URL option \"", key, "\": ", expected));
    };
    if (key == "statement_timeout_ms") {
      int64_t millis = 0;
      if (!absl::SimpleAtoi(value, &millis) || millis < 0) {
        return invalid("expected a whole number of milliseconds");
      }
      options.statement_timeout = absl::Milliseconds(millis);
    } else if (key == "transaction_pooling") {
      if (value == "auto") {
        options.transaction_pooling = TransactionPooling::kAuto;
      } else if (value == "on") {
        options.transaction_pooling = TransactionPooling::kOn;
      } else if (value == "off") {
        options.transaction_pooling = TransactionPooling::kOff;
      } else {
        return invalid("expected auto, on or off");
      }
    } else {
      rest.emplace_back(std::move(key), std::move(value));
    }
  }
  url.options = std::move(rest);
  options.conninfo = LibpqConnInfo(url);
  return std::make_unique<PostgresConnector>(std::move(options), std::move(masked_url));
}

const DriverRegistrar kPostgresDriver("postgresql", &OpenPostgresConnector);

}  // namespace
}  // namespace duo::engine
