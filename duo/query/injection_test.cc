// Classic SQL injection payloads through every DuoORM API that takes a
// string, on both databases: values (CRUD, FilterBy, typed conditions,
// LIKE helpers, Text bindings, bulk updates), filter paths, order keys,
// Related paths, payload column names, table and column names in the IR,
// Text parameter names, and URLs. Each payload either binds as an ordinary
// value (and reads back byte for byte) or is refused with an error; never
// is it executed. A canary table, and the shop's rows, are intact after
// every payload.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "duo/base/status_macros.h"
#include "duo/query/query.h"
#include "duo/query/testdata/shop.h"
#include "duo/query/testdata/shop_test_base.h"
#include "duo/session/database.h"
#include "duo/sql/select.h"
#include "duo/sql/table.h"
#include "duo/sql/text.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace shop {
namespace {

using ::duo::col;
using ::duo::sql::Text;

// Payloads aimed at both databases' quoting, comments, statement stacking,
// placeholders, dollar quotes and percent-encoding.
const std::vector<std::string>& Payloads() {
  static const auto* const kPayloads = new std::vector<std::string>{
      "' OR '1'='1",
      "' OR 1=1 --",
      "'; DROP TABLE canary; --",
      "\"; DROP TABLE canary; --",
      "'); DROP TABLE canary; --",
      "1; DROP TABLE canary",
      "admin'--",
      "' UNION SELECT name FROM sqlite_master --",
      "' UNION SELECT tablename FROM pg_tables --",
      "\\'; DROP TABLE canary; --",
      "E'\\''; DROP TABLE canary; --",
      "$$; DROP TABLE canary; $$",
      "$tag$; DROP TABLE canary; $tag$",
      "%' OR '%'='",
      "_%",
      "'||(SELECT 'x')||'",
      "?; DROP TABLE canary",
      "$1; DROP TABLE canary",
      ":name; DROP TABLE canary",
      "/* */ DROP TABLE canary",
      "'; COMMIT; DROP TABLE canary; BEGIN; --",
      "' AND pg_sleep(5) IS NULL --",
      "canary\"; DROP TABLE \"canary",
      "\xe2\x80\x99 OR 1=1 --",  // a typographic apostrophe
      "%27%20OR%201%3D1",
      "' OR ''='",
      "a\nb'; DROP TABLE canary; --",
      std::string("nul\0'; DROP TABLE canary; --", 28),
  };
  return *kPayloads;
}

class InjectionTest : public ShopTestBase {
 protected:
  void SetUp() override {
    ShopTestBase::SetUp();
    if (IsSkipped()) return;
    DUO_ASSERT_OK(
        db_->Execute(Text("CREATE TABLE canary (id INTEGER PRIMARY KEY, word TEXT)")).status());
    DUO_ASSERT_OK(db_->Execute(Text("INSERT INTO canary VALUES (1, 'tweet')")).status());
    DUO_ASSERT_OK_AND_ASSIGN(ada_, Customer::Create({.name = "Ada", .region = "north"}));
  }

  // The canary and the shop's first customer, untouched.
  void ExpectIntact(const std::string& payload) {
    SCOPED_TRACE(payload);
    absl::StatusOr<duo::Result> canary = db_->Execute(Text("SELECT id, word FROM canary"));
    ASSERT_TRUE(canary.ok()) << canary.status();
    ASSERT_EQ(canary->size(), 1u);
    EXPECT_EQ(*canary->Get<std::string>(0, "word"), "tweet");
    absl::StatusOr<std::optional<Customer>> ada = Customer::Get(ada_.id);
    ASSERT_TRUE(ada.ok()) << ada.status();
    ASSERT_TRUE(ada->has_value());
    EXPECT_EQ((*ada)->name, "Ada");
  }

  // PostgreSQL text cannot hold NUL: refusing it is the safe outcome.
  // SQLite and MariaDB keep it as one more byte.
  bool Storable(const std::string& payload) const {
    return (backend() != duo::testing::Backend::kPostgres &&
            backend() != duo::testing::Backend::kPgBouncer) ||
           payload.find('\0') == std::string::npos;
  }

  Customer ada_;
};

TEST_P(InjectionTest, ValuesBindAndReadBackExactly) {
  int64_t stored = 0;
  for (const std::string& payload : Payloads()) {
    SCOPED_TRACE(payload);
    absl::StatusOr<Customer> created = Customer::Create({.name = payload, .region = payload});
    if (!Storable(payload)) {
      EXPECT_FALSE(created.ok());
      ExpectIntact(payload);
      continue;
    }
    ASSERT_TRUE(created.ok()) << created.status();
    ++stored;
    // Every way of matching the value finds exactly that row.
    DUO_ASSERT_OK_AND_ASSIGN(std::vector<Customer> by_filter,
                             Customer::FilterBy({{"name", payload}}).All());
    ASSERT_EQ(by_filter.size(), 1u);
    EXPECT_EQ(by_filter[0].name, payload);
    EXPECT_EQ(by_filter[0].region, payload);
    DUO_ASSERT_OK_AND_ASSIGN(int64_t typed,
                             Customer::Where(col(&Customer::name) == payload).Count());
    EXPECT_EQ(typed, 1);
    DUO_ASSERT_OK_AND_ASSIGN(int64_t contains,
                             Customer::Where(col(&Customer::name).Contains(payload)).Count());
    EXPECT_EQ(contains, 1);
    DUO_ASSERT_OK_AND_ASSIGN(int64_t starts,
                             Customer::Where(col(&Customer::name).StartsWith(payload)).Count());
    EXPECT_EQ(starts, 1);
    DUO_ASSERT_OK_AND_ASSIGN(
        duo::Result bound,
        db_->Execute(Text("SELECT count(*) FROM customers WHERE name = :v AND region = :v")
                         .Bind("v", payload)));
    EXPECT_EQ(*bound.Scalar<int64_t>(), 1);
    // Updates carry the value as a value too.
    const std::string changed = payload + "!";
    DUO_ASSERT_OK_AND_ASSIGN(
        int64_t updated,
        Customer::FilterBy({{"name", payload}}).UpdateBulk(duo::Payload{{"region", changed}}));
    EXPECT_EQ(updated, 1);
    Customer row = *created;
    DUO_ASSERT_OK(Customer::Update(row, duo::Payload{{"region", payload}}));
    DUO_ASSERT_OK_AND_ASSIGN(std::optional<Customer> fetched, Customer::Get(row.id));
    EXPECT_EQ(fetched->region, payload);
    ExpectIntact(payload);
  }
  // Only the payload rows (and Ada) exist: nothing matched more than it should.
  EXPECT_EQ(*Customer::Count(), stored + 1);
}

TEST_P(InjectionTest, StringFormsOfTheBuilderRefuseThem) {
  for (const std::string& payload : Payloads()) {
    SCOPED_TRACE(payload);
    const auto filtered = Customer::FilterBy({{payload, "x"}});
    EXPECT_TRUE(absl::IsInvalidArgument(filtered.status())) << filtered.status();
    EXPECT_FALSE(filtered.All().ok());
    const auto ordered = Customer::OrderBy(payload);
    EXPECT_TRUE(absl::IsInvalidArgument(ordered.status())) << ordered.status();
    EXPECT_FALSE(ordered.All().ok());
    const auto related = Customer::Related(payload);
    EXPECT_TRUE(absl::IsInvalidArgument(related.status())) << related.status();
    EXPECT_FALSE(related.All().ok());
    const auto nested = Order::FilterBy({{"customer." + payload, "x"}});
    EXPECT_TRUE(absl::IsInvalidArgument(nested.status())) << nested.status();
    // Payload column names are checked against the model.
    EXPECT_FALSE(Customer::Create(duo::Payload{{payload, "x"}}).ok());
    Customer row = ada_;
    EXPECT_FALSE(Customer::Update(row, duo::Payload{{payload, "x"}}).ok());
    EXPECT_FALSE(
        Customer::FilterBy({{"name", "Ada"}}).UpdateBulk(duo::Payload{{payload, "x"}}).ok());
    ExpectIntact(payload);
  }
}

TEST_P(InjectionTest, IdentifiersAreQuotedNeverSpliced) {
  for (const std::string& payload : Payloads()) {
    SCOPED_TRACE(payload);
    // A table or column named by the payload is one quoted identifier: the
    // database looks for that name (and finds none) instead of running it.
    duo::sql::Table table(payload);
    const absl::Status from = db_->Execute(duo::sql::Select({table.C("id")}).From(table)).status();
    EXPECT_FALSE(from.ok());
    duo::sql::Table canary("canary");
    const absl::Status column =
        db_->Execute(duo::sql::Select({canary.C(payload)}).From(canary)).status();
    EXPECT_FALSE(column.ok());
    const absl::Status insert = db_->Execute(duo::sql::Insert(table).Values({{"id", 1}})).status();
    EXPECT_FALSE(insert.ok());
    // A Text parameter named by the payload is no parameter of the text.
    const absl::Status bind =
        db_->Execute(
               Text("SELECT word FROM canary WHERE word = :w").Bind("w", "x").Bind(payload, 1))
            .status();
    EXPECT_TRUE(absl::IsInvalidArgument(bind)) << bind;
    ExpectIntact(payload);
  }
}

TEST_P(InjectionTest, UrlsParseStrictlyOrQuoteTheirValues) {
  for (const std::string& payload : Payloads()) {
    SCOPED_TRACE(payload);
    // Raw, as a careless caller would concatenate it.
    absl::StatusOr<duo::Database> raw =
        duo::Database::Open(absl::StrCat(database().url(), payload));
    if (raw.ok()) {
      // Whatever it parsed to, using it never runs the payload. (On SQLite
      // it names another file, which is not worth creating.)
      if (backend() == duo::testing::Backend::kPostgres) (void)raw->Execute(Text("SELECT 1"));
    } else {
      EXPECT_TRUE(absl::IsInvalidArgument(raw.status())) << raw.status();
    }
    ExpectIntact(payload);
  }
  if (backend() != duo::testing::Backend::kPostgres) return;
  // Percent-encoded into a libpq option: one quoted conninfo value, which
  // the server receives as it was written.
  for (const std::string& payload : Payloads()) {
    if (!Storable(payload) || payload.find('\n') != std::string::npos) continue;
    SCOPED_TRACE(payload);
    std::string encoded;
    for (unsigned char c : payload) absl::StrAppend(&encoded, "%", absl::Hex(c, absl::kZeroPad2));
    DUO_ASSERT_OK_AND_ASSIGN(
        duo::Database named,
        duo::Database::Open(absl::StrCat(database().url(), "&application_name=", encoded)));
    absl::StatusOr<duo::Result> shown = named.Execute(Text("SHOW application_name"));
    ASSERT_TRUE(shown.ok()) << shown.status();
    ExpectIntact(payload);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, InjectionTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kPgBouncer,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(InjectionTest);

}  // namespace
}  // namespace shop
