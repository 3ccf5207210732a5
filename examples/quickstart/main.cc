// DuoORM quickstart: what the README's demo command runs.
//
// The ORM layers are still being built; this stage of the quickstart shows
// the embedded default at work: it opens (or creates) an SQLite file, creates
// a table, inserts rows with bound parameters inside a transaction, and reads
// them back, reporting each step. Later stages replace the raw calls with
// models, the query builder and duo-migrate.
//
//   bazel run //examples/quickstart -- [path/to/file.db]

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "duo/base/status_macros.h"
#include "sqlite3.h"

namespace {

absl::Status Check(sqlite3* db, int code, const char* what) {
  if (code == SQLITE_OK || code == SQLITE_DONE || code == SQLITE_ROW) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", sqlite3_errmsg(db)));
}

absl::Status Exec(sqlite3* db, const char* sql) {
  return Check(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr), sql);
}

absl::Status Run(const std::string& path) {
  sqlite3* db = nullptr;
  const int opened = sqlite3_open_v2(path.c_str(), &db,
                                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  struct Closer {
    sqlite3* db;
    ~Closer() { sqlite3_close_v2(db); }
  } closer{db};
  DUO_RETURN_IF_ERROR(Check(db, opened, "open"));
  std::printf("opened %s (SQLite %s)\n", path.c_str(), sqlite3_libversion());

  DUO_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode = WAL"));
  DUO_RETURN_IF_ERROR(Exec(db, "DROP TABLE IF EXISTS orders"));
  DUO_RETURN_IF_ERROR(Exec(db,
                           "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL, "
                           "total_amount REAL NOT NULL)"));
  std::printf("created table orders\n");

  DUO_RETURN_IF_ERROR(Exec(db, "BEGIN"));
  sqlite3_stmt* insert = nullptr;
  DUO_RETURN_IF_ERROR(Check(
      db,
      sqlite3_prepare_v2(db, "INSERT INTO orders (status, total_amount) VALUES (?, ?)", -1,
                         &insert, nullptr),
      "prepare insert"));
  const struct {
    const char* status;
    double total;
  } orders[] = {{"pending", 12.5}, {"completed", 99.0}, {"completed", 250.0}, {"cancelled", 7.0}};
  for (const auto& order : orders) {
    sqlite3_bind_text(insert, 1, order.status, -1, SQLITE_STATIC);
    sqlite3_bind_double(insert, 2, order.total);
    DUO_RETURN_IF_ERROR(Check(db, sqlite3_step(insert), "insert"));
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  DUO_RETURN_IF_ERROR(Exec(db, "COMMIT"));
  std::printf("inserted %zu orders in one transaction\n", std::size(orders));

  sqlite3_stmt* query = nullptr;
  DUO_RETURN_IF_ERROR(Check(db,
                            sqlite3_prepare_v2(db,
                                               "SELECT status, count(*), sum(total_amount) "
                                               "FROM orders GROUP BY status ORDER BY status",
                                               -1, &query, nullptr),
                            "prepare select"));
  std::printf("orders by status:\n");
  int step;
  while ((step = sqlite3_step(query)) == SQLITE_ROW) {
    std::printf("  %-10s %d orders, %.2f total\n",
                reinterpret_cast<const char*>(sqlite3_column_text(query, 0)),
                sqlite3_column_int(query, 1), sqlite3_column_double(query, 2));
  }
  sqlite3_finalize(query);
  return Check(db, step, "select");
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : "duo_quickstart.db";
  // `bazel run` starts the program in its runfiles; relative paths belong to
  // the directory the user ran it from.
  if (const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY"); cwd && path[0] != '/') {
    path = absl::StrCat(cwd, "/", path);
  }
  absl::Status status = Run(path);
  if (!status.ok()) {
    std::fprintf(stderr, "quickstart failed: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
