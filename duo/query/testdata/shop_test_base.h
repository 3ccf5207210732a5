// The fixture the query tests share: the shop's tables in a fresh database
// of the parameter's backend, bound to the default model group, with every
// statement counted.

#ifndef DUO_QUERY_TESTDATA_SHOP_TEST_BASE_H_
#define DUO_QUERY_TESTDATA_SHOP_TEST_BASE_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "duo/model/models.h"
#include "duo/query/testdata/shop.h"
#include "duo/session/database.h"
#include "gtest/gtest.h"
#include "testing/database.h"

namespace shop {

class ShopTestBase : public duo::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    duo::DatabaseOptions options;
    options.slow_statement_threshold = absl::ZeroDuration();
    options.on_slow_statement = [this](const duo::StatementEvent&) { ++statements_; };
    absl::StatusOr<duo::Database> db = duo::Database::Open(database().url(), options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::make_unique<duo::Database>(*db);
    duo::Models::Default().Bind(*db_);
    const absl::Status created = duo::Models::CreateTables(*db_, ModelsFor(db_->dialect()));
    ASSERT_TRUE(created.ok()) << created;
    HookLog().clear();
  }
  void TearDown() override {
    duo::Models::Default().Unbind();
    db_.reset();
    BackendTest::TearDown();
  }

  int64_t statements() const { return statements_.load(); }

  std::unique_ptr<duo::Database> db_;
  std::atomic<int64_t> statements_{0};
};

}  // namespace shop

#endif  // DUO_QUERY_TESTDATA_SHOP_TEST_BASE_H_
