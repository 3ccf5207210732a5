#include "testing/python_client.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace duo::testing {
namespace {

class PythonClientTest : public BackendTest {};

TEST_P(PythonClientTest, SqlalchemyReadsAndWritesTheTestDatabase) {
  absl::StatusOr<Database> db = Database::Open(database().direct_url());
  DUO_ASSERT_OK(db.status());
  DUO_ASSERT_OK(
      db->Execute(sql::Text("CREATE TABLE smoke (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"))
          .status());
  DUO_ASSERT_OK(
      db->Execute(sql::Text("INSERT INTO smoke (id, name) VALUES (1, 'from c++')")).status());

  absl::StatusOr<std::string> out =
      RunPythonClient("testing/interop/smoke.py",
                      {std::string(BackendName(backend())), database().native_target()});
  DUO_ASSERT_OK(out.status());
  EXPECT_EQ(*out, "[[1, \"from c++\"], [2, \"from python\"]]\n");

  absl::StatusOr<Result> rows = db->Execute(sql::Text("SELECT name FROM smoke WHERE id = 2"));
  DUO_ASSERT_OK(rows.status());
  DUO_ASSERT_OK_AND_ASSIGN(std::string name, rows->Get<std::string>(0, 0));
  EXPECT_EQ(name, "from python");
}

TEST(PythonClientErrorsTest, AFailingScriptIsAnErrorWithItsStderr) {
  absl::StatusOr<std::string> out =
      RunPythonClient("testing/interop/smoke.py", {"no-such-backend", "x"});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), ::testing::HasSubstr("unknown backend no-such-backend"));
}

// SQLite and PostgreSQL: the Python clients these tests compare with are
// sqlite3 and psycopg; no MySQL client for Python is installed here.
INSTANTIATE_TEST_SUITE_P(
    Backends, PythonClientTest,
    ::testing::ValuesIn(::duo::testing::SelectedBackends({::duo::testing::Backend::kSqlite,
                                                          ::duo::testing::Backend::kPostgres})),
    ::duo::testing::BackendParamName);

}  // namespace
}  // namespace duo::testing
