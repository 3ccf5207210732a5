// A minimal executor for the compilers' end-to-end tests: compiles IR
// statements and runs them on a test database through the raw sqlite3 and
// libpq APIs (MariaDB through DuoORM's driver), returning every value as
// text. The engine (//duo/engine) is
// the real executor; this one exists so that the IR can be tested on real
// databases without depending on it.

#ifndef DUO_DIALECT_INTERNAL_TEST_EXECUTOR_H_
#define DUO_DIALECT_INTERNAL_TEST_EXECUTOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/dialect/compiler.h"
#include "duo/sql/statement.h"
#include "testing/database.h"

namespace duo::dialect_internal {

// Rows of text values; NULL reads as "NULL". Doubles are normalised to the
// shortest form ("12.5"), booleans to "1"/"0", so that rows compare equal
// across databases.
using Rows = std::vector<std::vector<std::string>>;

class TestExecutor {
 public:
  virtual ~TestExecutor() = default;

  static absl::StatusOr<std::unique_ptr<TestExecutor>> Open(
      const duo::testing::TestDatabase& database);

  virtual const dialect::Dialect& dialect() const = 0;
  // Runs raw SQL (schema set-up), possibly several statements.
  virtual absl::Status Exec(absl::string_view sql) = 0;
  // Compiles and runs `statement`; returns its rows (RETURNING included).
  virtual absl::StatusOr<Rows> Query(const sql::Statement& statement) = 0;
  // Runs raw SQL with no parameters and returns its rows.
  virtual absl::StatusOr<Rows> QueryRaw(absl::string_view sql) = 0;
};

}  // namespace duo::dialect_internal

#endif  // DUO_DIALECT_INTERNAL_TEST_EXECUTOR_H_
