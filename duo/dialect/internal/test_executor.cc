#include "duo/dialect/internal/test_executor.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/mysql/dialect.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/engine/driver.h"
#include "duo/engine/sqlite/functions.h"
#include "duo/engine/url.h"
#include "libpq-fe.h"
#include "sqlite3.h"

namespace duo::dialect_internal {
namespace {

// "12.50", "12.5" and "12.500000001" alike: six significant digits, so that
// both databases' renderings of a double compare equal.
std::string NormalizeNumber(std::string text) {
  double value;
  if (text.find('.') != std::string::npos && absl::SimpleAtod(text, &value)) {
    return absl::StrCat(value);
  }
  return text;
}

class SqliteExecutor final : public TestExecutor {
 public:
  ~SqliteExecutor() override { sqlite3_close_v2(db_); }

  absl::Status Open(const std::string& filename) {
    if (sqlite3_open_v2(filename.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
      return Error("open");
    }
    // What the SQLite dialect expects of a connection (see its header).
    DUO_RETURN_IF_ERROR(Exec("PRAGMA case_sensitive_like = ON; PRAGMA foreign_keys = ON"));
    // The functions the driver registers (regexp, duo_lower, duo_upper).
    if (engine::sqlite_internal::RegisterFunctions(db_) != SQLITE_OK) {
      return Error("register functions");
    }
    return absl::OkStatus();
  }

  const dialect::Dialect& dialect() const override { return dialect::SqliteDialect(); }

  absl::Status Exec(absl::string_view sql) override {
    char* message = nullptr;
    const int code = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message);
    if (code == SQLITE_OK) return absl::OkStatus();
    absl::Status status = absl::InternalError(absl::StrCat(message ? message : "", " in ", sql));
    sqlite3_free(message);
    return status;
  }

  absl::StatusOr<Rows> Query(const sql::Statement& statement) override {
    DUO_ASSIGN_OR_RETURN(dialect::CompiledStatement compiled, dialect().Compile(statement));
    return Run(compiled.sql, compiled.params);
  }

  absl::StatusOr<Rows> QueryRaw(absl::string_view sql) override {
    return Run(std::string(sql), {});
  }

 private:
  absl::Status Error(absl::string_view what) {
    return absl::InternalError(absl::StrCat(what, ": ", sqlite3_errmsg(db_)));
  }

  absl::StatusOr<Rows> Run(const std::string& sql, const std::vector<sql::Value>& params) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      return absl::InvalidArgumentError(absl::StrCat(sqlite3_errmsg(db_), " in ", sql));
    }
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> owner(statement, sqlite3_finalize);
    for (size_t i = 0; i < params.size(); ++i) {
      const sql::Value& value = params[i];
      const int index = static_cast<int>(i + 1);
      switch (value.kind()) {
        case sql::Value::Kind::kNull:
          sqlite3_bind_null(statement, index);
          break;
        case sql::Value::Kind::kBool:
          sqlite3_bind_int(statement, index, value.as_bool() ? 1 : 0);
          break;
        case sql::Value::Kind::kInt:
          sqlite3_bind_int64(statement, index, value.as_int());
          break;
        case sql::Value::Kind::kDouble:
          sqlite3_bind_double(statement, index, value.as_double());
          break;
        case sql::Value::Kind::kText:
          sqlite3_bind_text(statement, index, value.as_text().data(),
                            static_cast<int>(value.as_text().size()), SQLITE_STATIC);
          break;
        case sql::Value::Kind::kBlob:
          sqlite3_bind_blob(statement, index, value.as_blob().bytes.data(),
                            static_cast<int>(value.as_blob().bytes.size()), SQLITE_STATIC);
          break;
        default:
          return absl::UnimplementedError(
              absl::StrCat("the test executor does not bind ", value.DebugString()));
      }
    }
    Rows rows;
    int code;
    while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
      std::vector<std::string>& row = rows.emplace_back();
      for (int c = 0; c < sqlite3_column_count(statement); ++c) {
        if (sqlite3_column_type(statement, c) == SQLITE_NULL) {
          row.push_back("NULL");
        } else {
          row.push_back(
              NormalizeNumber(reinterpret_cast<const char*>(sqlite3_column_text(statement, c))));
        }
      }
    }
    if (code != SQLITE_DONE) {
      return absl::InternalError(absl::StrCat(sqlite3_errmsg(db_), " in ", sql));
    }
    return rows;
  }

  sqlite3* db_ = nullptr;
};

class PostgresExecutor final : public TestExecutor {
 public:
  ~PostgresExecutor() override { PQfinish(conn_); }

  absl::Status Open(const std::string& conninfo) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      return absl::UnavailableError(PQerrorMessage(conn_));
    }
    return absl::OkStatus();
  }

  const dialect::Dialect& dialect() const override { return dialect::PostgresDialect(); }

  absl::Status Exec(absl::string_view sql) override {
    PGresult* result = PQexec(conn_, std::string(sql).c_str());
    const ExecStatusType status = PQresultStatus(result);
    PQclear(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
    return absl::InternalError(absl::StrCat(PQerrorMessage(conn_), " in ", sql));
  }

  absl::StatusOr<Rows> Query(const sql::Statement& statement) override {
    DUO_ASSIGN_OR_RETURN(dialect::CompiledStatement compiled, dialect().Compile(statement));
    return Run(compiled.sql, compiled.params);
  }

  absl::StatusOr<Rows> QueryRaw(absl::string_view sql) override {
    return Run(std::string(sql), {});
  }

 private:
  absl::StatusOr<Rows> Run(const std::string& sql, const std::vector<sql::Value>& params) {
    // Text format; typed where PostgreSQL could not infer the type from a
    // bare literal, untyped (inferred from context) for text.
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size());
    std::vector<Oid> types(params.size(), 0);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      const sql::Value& value = params[i];
      switch (value.kind()) {
        case sql::Value::Kind::kNull:
          values[i] = nullptr;
          continue;
        case sql::Value::Kind::kBool:
          texts[i] = value.as_bool() ? "t" : "f";
          types[i] = 16;  // bool
          break;
        case sql::Value::Kind::kInt:
          texts[i] = absl::StrCat(value.as_int());
          // int4 where it fits: functions such as lag(x, n) take integer.
          types[i] = value.as_int() == static_cast<int32_t>(value.as_int()) ? 23 : 20;
          break;
        case sql::Value::Kind::kDouble:
          texts[i] = absl::StrCat(value.as_double());
          types[i] = 701;  // float8
          break;
        case sql::Value::Kind::kText:
          texts[i] = value.as_text();
          break;
        case sql::Value::Kind::kBlob:
          texts[i] = value.as_blob().bytes;
          types[i] = 17;  // bytea
          formats[i] = 1;
          break;
        default:
          return absl::UnimplementedError(
              absl::StrCat("the test executor does not bind ", value.DebugString()));
      }
      values[i] = texts[i].data();
      lengths[i] = static_cast<int>(texts[i].size());
    }
    PGresult* result =
        PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), types.data(),
                     values.data(), lengths.data(), formats.data(), /*resultFormat=*/0);
    std::unique_ptr<PGresult, decltype(&PQclear)> owner(result, PQclear);
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      return absl::InvalidArgumentError(absl::StrCat(PQerrorMessage(conn_), " in ", sql));
    }
    Rows rows;
    for (int r = 0; r < PQntuples(result); ++r) {
      std::vector<std::string>& row = rows.emplace_back();
      for (int c = 0; c < PQnfields(result); ++c) {
        if (PQgetisnull(result, r, c)) {
          row.push_back("NULL");
          continue;
        }
        std::string text = PQgetvalue(result, r, c);
        if (PQftype(result, c) == 16) text = text == "t" ? "1" : "0";
        row.push_back(NormalizeNumber(std::move(text)));
      }
    }
    return rows;
  }

  PGconn* conn_ = nullptr;
};

// MariaDB through DuoORM's driver: Connector/C's prepared statements take
// a typed binding per value that the driver already writes, and what is
// tested here is the dialect's SQL, not the driver.
class MysqlExecutor final : public TestExecutor {
 public:
  absl::Status Open(const std::string& url) {
    DUO_ASSIGN_OR_RETURN(engine::DatabaseUrl parsed, engine::DatabaseUrl::Parse(url));
    DUO_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connector> connector,
                         engine::OpenConnector(std::move(parsed), {}));
    DUO_ASSIGN_OR_RETURN(connection_, connector->Connect());
    return absl::OkStatus();
  }

  const dialect::Dialect& dialect() const override { return dialect::MysqlDialect(); }

  absl::Status Exec(absl::string_view sql) override { return connection_->ExecuteScript(sql); }

  absl::StatusOr<Rows> Query(const sql::Statement& statement) override {
    DUO_ASSIGN_OR_RETURN(dialect::CompiledStatement compiled, dialect().Compile(statement));
    return Run(compiled);
  }

  absl::StatusOr<Rows> QueryRaw(absl::string_view sql) override {
    return Run(dialect::CompiledStatement{.sql = std::string(sql)});
  }

 private:
  absl::StatusOr<Rows> Run(const dialect::CompiledStatement& compiled) {
    absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor = connection_->Run(compiled);
    if (!cursor.ok()) {
      return absl::Status(cursor.status().code(),
                          absl::StrCat(cursor.status().message(), " in ", compiled.sql));
    }
    Rows rows;
    while (true) {
      DUO_ASSIGN_OR_RETURN(const bool more, (*cursor)->Next());
      if (!more) return rows;
      std::vector<std::string>& row = rows.emplace_back();
      for (int c = 0; c < (*cursor)->column_count(); ++c) {
        DUO_ASSIGN_OR_RETURN(const sql::Value value, (*cursor)->GetValue(c));
        switch (value.kind()) {
          case sql::Value::Kind::kNull:
            row.push_back("NULL");
            break;
          case sql::Value::Kind::kInt:
            row.push_back(absl::StrCat(value.as_int()));
            break;
          case sql::Value::Kind::kDouble:
            row.push_back(absl::StrCat(value.as_double()));
            break;
          case sql::Value::Kind::kText:
            row.push_back(value.as_text());
            break;
          case sql::Value::Kind::kBlob:
            row.push_back(value.as_blob().bytes);
            break;
          case sql::Value::Kind::kDecimal:
            row.push_back(NormalizeNumber(value.as_decimal().digits()));
            break;
          default:
            row.push_back(value.DebugString());
            break;
        }
      }
    }
  }

  std::unique_ptr<engine::Connection> connection_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TestExecutor>> TestExecutor::Open(
    const duo::testing::TestDatabase& database) {
  if (database.backend() == duo::testing::Backend::kSqlite) {
    auto executor = std::make_unique<SqliteExecutor>();
    DUO_RETURN_IF_ERROR(executor->Open(database.native_target()));
    return executor;
  }
  if (database.backend() == duo::testing::Backend::kMariadb) {
    auto executor = std::make_unique<MysqlExecutor>();
    DUO_RETURN_IF_ERROR(executor->Open(database.url()));
    return executor;
  }
  auto executor = std::make_unique<PostgresExecutor>();
  DUO_RETURN_IF_ERROR(executor->Open(database.native_target()));
  return executor;
}

}  // namespace duo::dialect_internal
