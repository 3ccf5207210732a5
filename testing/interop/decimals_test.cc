// Cross-client test (issue 19, item 2): decimals written by DuoORM read
// exactly by SQLAlchemy and the DB-API driver, and the other way, in a
// table DuoORM made and in one SQLAlchemy's create_all made with Numeric
// (NUMERIC affinity on SQLite, which keeps 15 significant digits). Every
// value either round-trips exactly or, where SQLite cannot keep it, is an
// error naming the column, with nothing stored: never a different number.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/database.h"
#include "testing/python_client.h"
#include "testing/status.h"

namespace interop_decimals {

struct PriceDuo : duo::Model<PriceDuo> {
  int64_t id = 0;
  std::string source;
  duo::sql::Decimal amount;

  static duo::Schema<PriceDuo> Table() {
    return duo::Schema<PriceDuo>("prices_duo")
        .Column(&PriceDuo::id, "id", duo::PrimaryKey())
        .Column(&PriceDuo::source, "source")
        .Column(&PriceDuo::amount, "amount", duo::Precision(38, 10));
  }
};

struct PriceSa : duo::Model<PriceSa> {
  int64_t id = 0;
  std::string source;
  duo::sql::Decimal amount;

  static duo::Schema<PriceSa> Table() {
    return duo::Schema<PriceSa>("prices_sa")
        .Column(&PriceSa::id, "id", duo::PrimaryKey())
        .Column(&PriceSa::source, "source")
        .Column(&PriceSa::amount, "amount", duo::Precision(38, 10));
  }
};

namespace {

using ::testing::HasSubstr;

const char* const kEdges[] = {
    "0",
    "0.1",
    "12.50",
    "-0.0000000001",
    "0.3333333333",
    "123456789012345",
    "1234567890123456",
    "1234567890123456789012345678.0123456789",
    "-9999999999999999999999999999.9999999999",
};

// The test's own canonical digits (no DuoORM code): no plus sign, no
// leading zeros, no trailing fraction zeros, no negative zero.
std::string Canonical(absl::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::string integer(text.substr(0, text.find('.')));
  std::string fraction(text.find('.') == absl::string_view::npos ? ""
                                                                 : text.substr(text.find('.') + 1));
  integer.erase(0, std::min(integer.find_first_not_of('0'), integer.size()));
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (integer.empty() && fraction.empty()) return "0";
  return (negative ? "-" : "") + (integer.empty() ? "0" : integer) +
         (fraction.empty() ? "" : "." + fraction);
}

int SignificantDigits(absl::string_view text) {
  const std::string canonical = Canonical(text);
  std::string digits;
  for (char c : canonical) {
    if (c >= '0' && c <= '9') digits += c;
  }
  const size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return 0;
  const size_t last = digits.find_last_not_of('0');
  return static_cast<int>(last - first + 1);
}

// Whether a column with NUMERIC affinity keeps `text` exactly: SQLite
// stores a whole number that fits 64 bits as an INTEGER, anything else as
// a double, which keeps 15 significant digits.
bool KeptByNumericAffinity(absl::string_view text) {
  const std::string canonical = Canonical(text);
  const bool whole = canonical.find('.') == std::string::npos;
  const size_t digits = canonical.size() - (canonical[0] == '-' ? 1 : 0);
  return (whole && digits <= 18) || SignificantDigits(text) <= 15;
}

duo::sql::Decimal Dec(const char* digits) { return *duo::sql::Decimal::Parse(digits); }

class DecimalsInteropTest : public duo::testing::BackendTest {
 protected:
  void TearDown() override {
    duo::Models::Default().Unbind();
    BackendTest::TearDown();
  }
  bool sqlite() const { return backend() == duo::testing::Backend::kSqlite; }
};

TEST_P(DecimalsInteropTest, EdgeDecimalsRoundTripExactlyOrAreRefusedNamingTheColumn) {
  DUO_ASSERT_OK_AND_ASSIGN(duo::Database db, duo::Database::Open(database().direct_url()));
  duo::Models::Default().Bind(db);
  DUO_ASSERT_OK(duo::Models::CreateTables(db, {&duo::MetaOf<PriceDuo>()}));
  const std::string backend_name(duo::testing::BackendName(backend()));

  // DuoORM writes every edge into its own table.
  std::map<std::string, int64_t> duo_in_duo;
  for (const char* edge : kEdges) {
    DUO_ASSERT_OK_AND_ASSIGN(PriceDuo price,
                             PriceDuo::Create(PriceDuo{.source = "duo", .amount = Dec(edge)}));
    duo_in_duo[edge] = price.id;
  }
  // SQLAlchemy makes prices_sa and writes every edge into both tables.
  std::vector<std::string> args = {"write", backend_name, database().native_target()};
  args.insert(args.end(), std::begin(kEdges), std::end(kEdges));
  DUO_ASSERT_OK_AND_ASSIGN(std::string written,
                           duo::testing::RunPythonClient("testing/interop/decimals.py", args));
  const nlohmann::json sa_ids = nlohmann::json::parse(written);

  // DuoORM writes every edge into SQLAlchemy's Numeric column: on SQLite
  // a value with more than 15 significant digits is refused, naming the
  // column, and not stored.
  std::map<std::string, int64_t> duo_in_sa;
  for (const char* edge : kEdges) {
    const int64_t before = *PriceSa::Count();
    absl::StatusOr<PriceSa> price = PriceSa::Create(PriceSa{.source = "duo", .amount = Dec(edge)});
    if (sqlite() && !KeptByNumericAffinity(edge)) {
      EXPECT_FALSE(price.ok()) << edge;
      EXPECT_THAT(std::string(price.status().message()), HasSubstr("\"amount\"")) << edge;
      EXPECT_EQ(*PriceSa::Count(), before) << edge;
      continue;
    }
    DUO_ASSERT_OK(price.status());
    duo_in_sa[edge] = price->id;
    EXPECT_EQ(Canonical(price->amount.digits()), Canonical(edge));
  }

  DUO_ASSERT_OK_AND_ASSIGN(
      std::string out,
      duo::testing::RunPythonClient("testing/interop/decimals.py",
                                    {"read", backend_name, database().native_target()}));
  const nlohmann::json read = nlohmann::json::parse(out);

  // DuoORM's rows, read by SQLAlchemy (ExactDecimal on SQLite, Numeric on
  // PostgreSQL) and by the driver: the digits written.
  for (const auto& [edge, id] : duo_in_duo) {
    SCOPED_TRACE(edge);
    const std::string key = std::to_string(id);
    EXPECT_EQ(Canonical(read["prices_duo"]["sqlalchemy"][key].get<std::string>()), Canonical(edge));
    const nlohmann::json& raw = read["prices_duo"]["raw"][key];
    if (sqlite()) {
      EXPECT_EQ(raw["type"], "str");  // TEXT affinity kept the text
      EXPECT_EQ(raw["value"], edge);
    } else {
      EXPECT_EQ(raw["type"], "Decimal");
      EXPECT_EQ(Canonical(raw["value"].get<std::string>()), Canonical(edge));
    }
  }
  for (const auto& [edge, id] : duo_in_sa) {
    SCOPED_TRACE(edge);
    EXPECT_EQ(Canonical(read["prices_sa"]["sqlalchemy"][std::to_string(id)].get<std::string>()),
              Canonical(edge));
  }

  // SQLAlchemy's rows, read by DuoORM: exactly the edge, or (SQLAlchemy's
  // Numeric stores a double on SQLite) an error naming the column.
  for (const char* edge : kEdges) {
    SCOPED_TRACE(edge);
    const int64_t in_duo = sa_ids["prices_duo"][edge];
    DUO_ASSERT_OK_AND_ASSIGN(std::optional<PriceDuo> exact, PriceDuo::Get(in_duo));
    EXPECT_EQ(Canonical(exact->amount.digits()), Canonical(edge));
    const int64_t in_sa = sa_ids["prices_sa"][edge];
    absl::StatusOr<std::optional<PriceSa>> loose = PriceSa::Get(in_sa);
    if (!sqlite() || SignificantDigits(edge) <= 15) {
      DUO_ASSERT_OK(loose.status());
      EXPECT_EQ(Canonical((*loose)->amount.digits()), Canonical(edge));
    } else if (loose.ok()) {
      EXPECT_EQ(Canonical((*loose)->amount.digits()), Canonical(edge));
    } else {
      EXPECT_THAT(std::string(loose.status().message()), HasSubstr("\"amount\""));
    }
  }
}

// SQLite and PostgreSQL: the Python clients these tests compare with are
// sqlite3 and psycopg; no MySQL client for Python is installed here.
INSTANTIATE_TEST_SUITE_P(
    Backends, DecimalsInteropTest,
    ::testing::ValuesIn(::duo::testing::SelectedBackends({::duo::testing::Backend::kSqlite,
                                                          ::duo::testing::Backend::kPostgres})),
    ::duo::testing::BackendParamName);

}  // namespace
}  // namespace interop_decimals
