// Payloads against a model (duo/model/payload.h), without a database:
// CheckPayload's unknown, repeated, mistyped and unstorable values;
// ApplyPayload's conversions, all-or-nothing; CheckStorable's ranges.

#include "duo/model/payload.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/sql/expr.h"
#include "duo/sql/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status.h"

namespace payload_test {

using ::testing::HasSubstr;

duo::Models& TestModels() {
  static duo::Models* models = new duo::Models("payload_test");
  return *models;
}

struct Account {
  int64_t id = 0;
  std::string name;
  int16_t small = 0;
  int32_t count = 0;
  double balance = 0;
  float ratio = 0;
  duo::sql::Decimal price;
  std::optional<std::string> note;
  bool active = false;
  absl::Time opened;
  std::vector<int32_t> scores;

  static duo::Schema<Account> Table() {
    return duo::Schema<Account>("accounts", TestModels())
        .Column(&Account::id, "id", duo::PrimaryKey())
        .Column(&Account::name, "name")
        .Column(&Account::small, "small")
        .Column(&Account::count, "count")
        .Column(&Account::balance, "balance")
        .Column(&Account::ratio, "ratio")
        .Column(&Account::price, "price", duo::Precision(6, 2))
        .Column(&Account::note, "note")
        .Column(&Account::active, "active")
        .Column(&Account::opened, "opened")
        .Column(&Account::scores, "scores");
  }
};

const duo::ModelMeta& Meta() { return duo::MetaOf<Account>(); }

duo::sql::Decimal Dec(const char* text) { return *duo::sql::Decimal::Parse(text); }

TEST(CheckPayloadTest, AcceptsFittingValues) {
  DUO_ASSERT_OK(Meta().declaration_status());
  DUO_ASSERT_OK(duo::CheckPayload(
      Meta(),
      {{"name", "x"},
       {"small", int64_t{-32768}},
       {"count", 5},
       {"balance", 1.5},
       {"ratio", 2},  // an integer in a float column
       {"price", Dec("9999.99")},
       {"note", duo::sql::Value()},
       {"active", true},
       {"opened", absl::UnixEpoch()},
       {"scores", duo::sql::Value(duo::sql::Array{{duo::sql::Value(1), duo::sql::Value(2)}})}}));
  // Expressions are the database's to evaluate.
  DUO_ASSERT_OK(duo::CheckPayload(Meta(), {{"count", duo::col(&Account::count) + 1}}));
}

TEST(CheckPayloadTest, UnknownColumnListsTheColumns) {
  const absl::Status status = duo::CheckPayload(Meta(), {{"name", "x"}, {"ghost", 1}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "payload_test::Account has no column \"ghost\"; its columns are: id, name, small, "
            "count, balance, ratio, price, note, active, opened, scores");
}

TEST(CheckPayloadTest, RepeatedColumn) {
  const absl::Status status = duo::CheckPayload(Meta(), {{"name", "x"}, {"name", "y"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "column \"name\" appears twice in the payload");
}

TEST(CheckPayloadTest, WrongTypeNamesModelTableAndColumn) {
  absl::Status status = duo::CheckPayload(Meta(), {{"count", "many"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("does not suit column payload_test::Account.count "
                                          "(accounts.count)"));
  status = duo::CheckPayload(Meta(), {{"name", 5}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("Account.name"));
  status = duo::CheckPayload(Meta(), {{"opened", "2024-01-01"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("Account.opened"));
  status = duo::CheckPayload(Meta(), {{"active", 1.0}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(CheckPayloadTest, NullIntoANotNullColumn) {
  absl::Status status = duo::CheckPayload(Meta(), {{"name", duo::sql::Value()}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "column payload_test::Account.name may not be NULL");
  status = duo::CheckPayload(Meta(), {{"count", duo::sql::Null()}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "column payload_test::Account.count may not be NULL");
}

TEST(CheckPayloadTest, IntegerRanges) {
  absl::Status status = duo::CheckPayload(Meta(), {{"small", 32768}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(status.message(),
            "value 32768 cannot be stored in column payload_test::Account.small (table "
            "\"accounts\"): beyond the range of smallint");
  status = duo::CheckPayload(Meta(), {{"count", int64_t{1} << 31}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr("beyond the range of integer"));
  status = duo::CheckPayload(Meta(), {{"count", 2.5}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr("an integer column holds whole numbers only"));
  DUO_ASSERT_OK(duo::CheckPayload(Meta(), {{"count", 3.0}}));
  status = duo::CheckPayload(Meta(), {{"count", Dec("2147483648")}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  DUO_ASSERT_OK(duo::CheckPayload(Meta(), {{"count", Dec("-2147483648")}}));
  status = duo::CheckPayload(Meta(), {{"id", 1e19}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr("beyond the range of bigint"));
  status = duo::CheckPayload(Meta(), {{"id", std::nan("")}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
}

TEST(CheckPayloadTest, NumericPrecisionAndScale) {
  absl::Status status = duo::CheckPayload(Meta(), {{"price", Dec("1.005")}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr("it has 3 fractional digits and the column is "
                                          "numeric(6, 2), which keeps 2"));
  status = duo::CheckPayload(Meta(), {{"price", 10000}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr("it has 5 integer digits and the column is "
                                          "numeric(6, 2), which keeps 4"));
  // Leading and trailing zeros hold nothing.
  DUO_ASSERT_OK(duo::CheckPayload(Meta(), {{"price", Dec("-0009999.9900")}}));
  DUO_ASSERT_OK(duo::CheckPayload(Meta(), {{"price", 0.25}}));
  status = duo::CheckPayload(Meta(), {{"price", 0.125}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  status = duo::CheckPayload(Meta(), {{"price", std::numeric_limits<double>::infinity()}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("holds decimal digits, not"));
}

TEST(CheckPayloadTest, RealColumnOverflowAndUnderflow) {
  absl::Status status = duo::CheckPayload(Meta(), {{"ratio", 1e39}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr("a real (float) column would hold it as infinity or 0"));
  status = duo::CheckPayload(Meta(), {{"ratio", 1e-50}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  DUO_ASSERT_OK(duo::CheckPayload(Meta(), {{"ratio", 0.1}}));  // rounds, as floats do
  // Without a dialect, infinity in a double column is storable.
  DUO_ASSERT_OK(duo::CheckPayload(Meta(), {{"balance", std::numeric_limits<double>::infinity()}}));
}

TEST(CheckPayloadTest, ArrayElementsAreChecked) {
  const absl::Status status = duo::CheckPayload(
      Meta(), {{"scores", duo::sql::Value(duo::sql::Array{
                              {duo::sql::Value(1), duo::sql::Value(int64_t{1} << 40)}})}});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr("beyond the range of integer"));
  EXPECT_THAT(status.message(), HasSubstr("Account.scores"));
}

TEST(ApplyPayloadTest, ConvertsValuesIntoMembers) {
  Account account;
  DUO_ASSERT_OK(
      duo::ApplyPayload(Meta(), &account,
                        {{"name", "Ada"},
                         {"small", 12},
                         {"count", Dec("7")},
                         {"balance", 3},
                         {"note", "n"},
                         {"price", Dec("12.50")},
                         {"scores", duo::sql::Value(duo::sql::Array{{duo::sql::Value(4)}})}}));
  EXPECT_EQ(account.name, "Ada");
  EXPECT_EQ(account.small, 12);
  EXPECT_EQ(account.count, 7);
  EXPECT_EQ(account.balance, 3.0);
  EXPECT_EQ(account.note, "n");
  EXPECT_EQ(account.price.digits(), "12.50");
  EXPECT_EQ(account.scores, std::vector<int32_t>{4});
  DUO_ASSERT_OK(duo::ApplyPayload(Meta(), &account, {{"note", duo::sql::Null()}}));
  EXPECT_FALSE(account.note.has_value());
}

TEST(ApplyPayloadTest, AFailureLeavesTheObjectAsItWas) {
  Account account;
  account.name = "before";
  account.count = 1;
  const absl::Status status =
      duo::ApplyPayload(Meta(), &account, {{"name", "after"}, {"count", "x"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(account.name, "before");
  EXPECT_EQ(account.count, 1);
}

TEST(ApplyPayloadTest, UnknownColumn) {
  Account account;
  const absl::Status status = duo::ApplyPayload(Meta(), &account, {{"nope", 1}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("payload_test::Account has no column \"nope\""));
}

TEST(ApplyPayloadTest, ExpressionsAreRefused) {
  Account account;
  account.count = 5;
  const absl::Status status =
      duo::ApplyPayload(Meta(), &account, {{"count", duo::col(&Account::count) + 1}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "column payload_test::Account.count is given an expression, which only the database "
            "can evaluate: use UpdateBulk");
  EXPECT_EQ(account.count, 5);
}

TEST(ApplyPayloadTest, ApplyPayloadValuesSkipsExpressions) {
  Account account;
  account.count = 5;
  DUO_ASSERT_OK(duo::ApplyPayloadValues(
      Meta(), &account, {{"count", duo::col(&Account::count) + 1}, {"name", "kept"}}));
  EXPECT_EQ(account.count, 5);
  EXPECT_EQ(account.name, "kept");
}

TEST(ValueFitsColumnTest, Categories) {
  const duo::ColumnMeta& count = *Meta().FindColumn("count");
  const duo::ColumnMeta& active = *Meta().FindColumn("active");
  const duo::ColumnMeta& name = *Meta().FindColumn("name");
  EXPECT_TRUE(duo::ValueFitsColumn(duo::sql::Value(), name));
  EXPECT_TRUE(duo::ValueFitsColumn(duo::sql::Value(1), count));
  EXPECT_TRUE(duo::ValueFitsColumn(duo::sql::Value(1), active));  // 0/1 booleans
  EXPECT_FALSE(duo::ValueFitsColumn(duo::sql::Value(true), count));
  EXPECT_FALSE(duo::ValueFitsColumn(duo::sql::Value("1"), count));
  EXPECT_TRUE(duo::ValueFitsColumn(duo::sql::Value("1"), name));
  EXPECT_FALSE(duo::ValueFitsColumn(duo::sql::Value(duo::sql::Blob{"1"}), name));
}

}  // namespace payload_test
