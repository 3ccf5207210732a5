// The statements the ORM runs: compiled once per shape in a per-thread
// cache (CompileShape) that stays bounded whatever shapes and CreateBulk
// row counts a program uses, and reported to the statement callbacks
// (DatabaseOptions::on_statement) like any other.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "duo/engine/error.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/internal/core.h"
#include "duo/query/query.h"
#include "duo/query/testdata/shop.h"
#include "duo/query/testdata/shop_test_base.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace shop {
namespace {

using ::duo::query_internal::CompiledShapesOnThisThread;
using ::duo::query_internal::CompileShape;
using ::duo::query_internal::kMultiRowShapesPerThread;
using ::duo::query_internal::kSingleRowShapesPerThread;
using ::duo::query_internal::StatementShape;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Compiles the shape of `columns` and `rows` and says whether it was
// compiled (a miss) rather than found.
bool Compiled(const duo::Database& db, std::vector<int> columns, int rows) {
  const StatementShape shape{&duo::MetaOf<Customer>(), StatementShape::Kind::kInsert,
                             std::move(columns), rows};
  bool built = false;
  const absl::StatusOr<duo::dialect::CompiledStatement> compiled =
      CompileShape(db, shape, {}, [&built](const std::vector<duo::sql::Value>&) {
        built = true;
        return duo::sql::Statement(duo::sql::Text("SELECT 1"));
      });
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return built;
}

// A column set of its own for each `n` < 4096: columns 20 and up, one per
// bit of n.
std::vector<int> ColumnsNumbered(int n) {
  std::vector<int> columns;
  for (int bit = 0; bit < 12; ++bit) {
    if (n & (1 << bit)) columns.push_back(20 + bit);
  }
  return columns;
}

TEST(CompiledShapeCacheTest, KeepsTheMostRecentShapesUpToItsCapacity) {
  DUO_ASSERT_OK_AND_ASSIGN(const duo::Database db, duo::Database::Open("sqlite:///:memory:"));
  const size_t before = CompiledShapesOnThisThread().single_row;
  EXPECT_TRUE(Compiled(db, {0}, 1));
  EXPECT_FALSE(Compiled(db, {0}, 1));  // found
  EXPECT_EQ(CompiledShapesOnThisThread().single_row, before + 1);

  // Many more single-row shapes (column sets) than it keeps.
  for (int i = 1; i <= 4000; ++i) {
    EXPECT_TRUE(Compiled(db, ColumnsNumbered(i), 1));
    ASSERT_LE(CompiledShapesOnThisThread().single_row, kSingleRowShapesPerThread);
  }
  EXPECT_EQ(CompiledShapesOnThisThread().single_row, kSingleRowShapesPerThread);
  EXPECT_TRUE(Compiled(db, {0}, 1));                     // the first one was pushed out
  EXPECT_FALSE(Compiled(db, ColumnsNumbered(4000), 1));  // a recent one stayed
}

TEST(CompiledShapeCacheTest, MultiRowInsertsOfEveryRowCountStayFewAndApart) {
  DUO_ASSERT_OK_AND_ASSIGN(const duo::Database db, duo::Database::Open("sqlite:///:memory:"));
  EXPECT_TRUE(Compiled(db, {1, 2}, 1));
  const size_t single = CompiledShapesOnThisThread().single_row;
  for (int rows = 2; rows < 2000; ++rows) {
    EXPECT_TRUE(Compiled(db, {1, 2}, rows));
    ASSERT_LE(CompiledShapesOnThisThread().multi_row, kMultiRowShapesPerThread);
  }
  EXPECT_EQ(CompiledShapesOnThisThread().multi_row, kMultiRowShapesPerThread);
  EXPECT_FALSE(Compiled(db, {1, 2}, 1999));  // the full chunk of a repeated load is found
  // The single-row shapes were not pushed out by the bulk inserts.
  EXPECT_EQ(CompiledShapesOnThisThread().single_row, single);
  EXPECT_FALSE(Compiled(db, {1, 2}, 1));
}

class CompiledShapeCreateBulkTest : public ShopTestBase {};

TEST_P(CompiledShapeCreateBulkTest, CreateBulkOfVaryingSizesKeepsTheCacheBounded) {
  DUO_ASSERT_OK_AND_ASSIGN(const Customer ada, Customer::Create({.name = "Ada"}));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Customer> found, Customer::Get(ada.id));
  ASSERT_TRUE(found.has_value());
  const size_t single = CompiledShapesOnThisThread().single_row;
  int64_t stored = 1;
  for (int count = 2; count <= 40; ++count) {
    std::vector<Customer> customers;
    for (int i = 0; i < count; ++i) {
      customers.push_back({.name = absl::StrCat("bulk ", count, "/", i)});  // names are unique
    }
    DUO_ASSERT_OK_AND_ASSIGN(customers, Customer::CreateBulk(customers));
    stored += count;
    ASSERT_LE(CompiledShapesOnThisThread().multi_row, kMultiRowShapesPerThread);
  }
  EXPECT_EQ(CompiledShapesOnThisThread().single_row, single);
  EXPECT_EQ(*Customer::Query().Count(), stored);
  // The single-row statements are still found: Get runs without compiling.
  DUO_ASSERT_OK_AND_ASSIGN(found, Customer::Get(ada.id));
  EXPECT_EQ(found->name, "Ada");
  EXPECT_EQ(CompiledShapesOnThisThread().single_row, single);
}

DUO_INSTANTIATE_BACKEND_TEST(CompiledShapeCreateBulkTest);

// ---- The ORM's statements reach the statement callback -----------------------

class OrmStatementEventsTest : public duo::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    duo::DatabaseOptions options;
    options.on_statement = [this](const duo::StatementEvent& event) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(event);
    };
    DUO_ASSERT_OK_AND_ASSIGN(duo::Database db, duo::Database::Open(database().url(), options));
    db_ = std::make_unique<duo::Database>(std::move(db));
    duo::Models::Default().Bind(*db_);
    DUO_ASSERT_OK(duo::Models::CreateTables(*db_, ModelsFor(db_->dialect())));
    Clear();
  }
  void TearDown() override {
    duo::Models::Default().Unbind();
    db_.reset();
    BackendTest::TearDown();
  }

  std::vector<duo::StatementEvent> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    events_.clear();
  }
  std::string Sql() {
    std::vector<std::string> sql;
    for (const duo::StatementEvent& event : Events()) sql.push_back(event.sql);
    return ::testing::PrintToString(sql);
  }
  // What the dialect begins a managed transaction with.
  std::string Begin() const { return db_->dialect().Transaction({.lock_at_begin = true}).begin; }
  // `name` quoted as the dialect quotes identifiers.
  std::string Quoted(const std::string& name) const {
    const std::string quote(1, db_->dialect().IdentifierQuote());
    return quote + name + quote;
  }

  std::unique_ptr<duo::Database> db_;
  std::mutex mu_;
  std::vector<duo::StatementEvent> events_;
};

TEST_P(OrmStatementEventsTest, CreateGetAllAndCreateBulkAreReported) {
  DUO_ASSERT_OK_AND_ASSIGN(const Customer ada, Customer::Create({.name = "private-name"}));
  // Create runs in a transaction of its own (its hooks share it).
  std::vector<duo::StatementEvent> events = Events();
  ASSERT_EQ(events.size(), 3u) << Sql();
  EXPECT_EQ(events[0].sql, Begin());
  EXPECT_THAT(events[1].sql, StartsWith("INSERT INTO " + Quoted("customers")));
  EXPECT_THAT(events[1].sql_with_values, Not(HasSubstr("private-name")));  // masked
  EXPECT_EQ(events[1].param_count, 1u);
  EXPECT_EQ(events[1].rows_returned, 1);  // RETURNING the stored row
  EXPECT_TRUE(events[1].status.ok()) << events[1].status;
  EXPECT_EQ(events[2].sql, "COMMIT");

  DUO_ASSERT_OK(Customer::Create({.name = "bob"}).status());
  Clear();
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Customer> found, Customer::Get(ada.id));
  ASSERT_TRUE(found.has_value());
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Customer> all, Customer::All());
  ASSERT_EQ(all.size(), 2u);
  events = Events();
  ASSERT_EQ(events.size(), 2u) << Sql();
  EXPECT_THAT(events[0].sql, StartsWith("SELECT"));  // Get
  EXPECT_EQ(events[0].param_count, 1u);
  EXPECT_EQ(events[0].rows_returned, 1);
  EXPECT_THAT(events[1].sql, StartsWith("SELECT"));  // All
  EXPECT_EQ(events[1].rows_returned, 2);
  EXPECT_EQ(events[1].rows_affected, 0);

  Clear();
  std::vector<Customer> many;
  for (int i = 0; i < 5; ++i) many.push_back({.name = absl::StrCat("bulk", i)});
  DUO_ASSERT_OK(Customer::CreateBulk(many, {.return_models = false}).status());
  events = Events();
  ASSERT_EQ(events.size(), 3u) << Sql();
  EXPECT_EQ(events[0].sql, Begin());
  EXPECT_THAT(events[1].sql, StartsWith("INSERT INTO " + Quoted("customers")));
  EXPECT_EQ(events[1].param_count, 5u);  // one multi-row INSERT
  EXPECT_EQ(events[1].rows_affected, 5);
  EXPECT_EQ(events[2].sql, "COMMIT");
}

TEST_P(OrmStatementEventsTest, AFailingCreateIsReportedWithItsStatus) {
  DUO_ASSERT_OK(Customer::Create({.name = "ada"}).status());
  Clear();
  const absl::Status duplicate = Customer::Create({.name = "ada"}).status();
  ASSERT_EQ(duo::GetErrorKind(duplicate), duo::ErrorKind::kUniqueViolation) << duplicate;
  const std::vector<duo::StatementEvent> events = Events();
  ASSERT_EQ(events.size(), 3u) << Sql();
  EXPECT_EQ(events[0].sql, Begin());
  EXPECT_THAT(events[1].sql, StartsWith("INSERT INTO"));
  EXPECT_EQ(events[1].status, duplicate);
  EXPECT_EQ(events[2].sql, "ROLLBACK");
}

DUO_INSTANTIATE_BACKEND_TEST(OrmStatementEventsTest);

}  // namespace
}  // namespace shop
