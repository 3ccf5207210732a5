// A fixture for the shared (SQLite, PostgreSQL, PgBouncer) model suites: a
// fresh database bound to the default model group, with the tables of
// `Models...` created (or of the models Tables() returns, for a suite whose
// testdata lists them).
//
//   class TicketTest : public duo::query_testing::ModelTableTest<Ticket> {};

#ifndef DUO_QUERY_TESTDATA_MODEL_TABLE_TEST_H_
#define DUO_QUERY_TESTDATA_MODEL_TABLE_TEST_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "duo/model/models.h"
#include "duo/session/database.h"
#include "gtest/gtest.h"
#include "testing/database.h"

namespace duo::query_testing {

template <typename... Models>
class ModelTableTest : public duo::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    absl::StatusOr<duo::Database> db = duo::Database::Open(database().url());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::make_unique<duo::Database>(*db);
    duo::Models::Default().Bind(*db_);
    // A model the database cannot hold (an array column on MySQL, which
    // refuses it when the table is declared) makes the suite moot there.
    for (const duo::ModelMeta* meta : Tables()) {
      const duo::sql::TableDef& table = meta->table_def();
      for (const duo::sql::ColumnDef& column : table.columns) {
        const absl::Status declarable = db_->dialect().CheckColumn(table, column);
        if (!declarable.ok()) GTEST_SKIP() << declarable.message();
      }
    }
    const absl::Status created = duo::Models::CreateTables(*db_, Tables());
    ASSERT_TRUE(created.ok()) << created;
  }
  virtual std::vector<const duo::ModelMeta*> Tables() const { return {&duo::MetaOf<Models>()...}; }

  void TearDown() override {
    duo::Models::Default().Unbind();
    db_.reset();
    BackendTest::TearDown();
  }

  bool sqlite() const { return db_->dialect().name() == "sqlite"; }

  std::unique_ptr<duo::Database> db_;
};

}  // namespace duo::query_testing

#endif  // DUO_QUERY_TESTDATA_MODEL_TABLE_TEST_H_
