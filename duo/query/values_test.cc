// Values at the edges of what a column holds, written through the ORM on
// SQLite and PostgreSQL: every value round-trips exactly or is refused
// before anything is written, with an error naming the column; never a
// wrapped, rounded or NULLed number, never an exception or a crash.

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "duo/engine/read.h"
#include "duo/model/json.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/query/testdata/model_table_test.h"
#include "duo/session/database.h"
#include "duo/sql/dml.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/database.h"
#include "testing/status.h"

namespace values {

enum class Sign { kMinus = -1, kPlus = 1 };

}  // namespace values

template <>
struct duo::sql::EnumTraits<values::Sign> {
  static constexpr EnumStorage kStorage = EnumStorage::kInteger;
  static constexpr std::pair<values::Sign, std::string_view> kNames[] = {
      {values::Sign::kMinus, "minus"}, {values::Sign::kPlus, "plus"}};
};

namespace values {

struct Reading : duo::Model<Reading> {
  int64_t id = 0;
  uint64_t counter = 0;  // bigint: up to INT64_MAX fits
  float level = 0;       // real
  double value = 0;      // double precision
  std::optional<double> maybe;
  std::vector<double> samples;
  duo::sql::Decimal amount;  // numeric(20, 6)
  nlohmann::json doc;

  static duo::Schema<Reading> Table() {
    return duo::Schema<Reading>("readings")
        .Column(&Reading::id, "id", duo::PrimaryKey())
        .Column(&Reading::counter, "counter")
        .Column(&Reading::level, "level")
        .Column(&Reading::value, "value")
        .Column(&Reading::maybe, "maybe")
        .Column(&Reading::samples, "samples")
        .Column(&Reading::amount, "amount", duo::Precision(20, 6))
        .Column(&Reading::doc, "doc");
  }
};

// A decimal in a column another tool made: SQLAlchemy's Numeric creates
// NUMERIC, whose affinity turns decimal text into a double on SQLite.
struct Price : duo::Model<Price> {
  int64_t id = 0;
  duo::sql::Decimal amount;

  static duo::Schema<Price> Table() {
    return duo::Schema<Price>("prices")
        .Column(&Price::id, "id", duo::PrimaryKey())
        .Column(&Price::amount, "amount");
  }
};

namespace {

using ::duo::col;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

duo::sql::Decimal Dec(const char* digits) { return *duo::sql::Decimal::Parse(digits); }

// `levels` arrays nested in each other around 1, built without recursion
// (and destroyed without it: nlohmann 3.10+ frees iteratively).
nlohmann::json Nested(int levels) {
  nlohmann::json json = 1;
  for (int i = 0; i < levels; ++i) {
    nlohmann::json array = nlohmann::json::array();
    array.push_back(std::move(json));
    json = std::move(array);
  }
  return json;
}

class ValuesTest : public duo::query_testing::ModelTableTest<Reading> {
 protected:
  int64_t Rows() const { return *Reading::Count(); }

  // Expects `status` to be `code` naming `column`, and no row written.
  void ExpectRefused(const absl::Status& status, absl::StatusCode code, const char* column) {
    EXPECT_EQ(status.code(), code) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(column));
    EXPECT_EQ(Rows(), 0);
  }
};

TEST_P(ValuesTest, UnsignedBeyondBigintIsOutOfRangeNeverWrapped) {
  // The payload: 2^63 used to be stored as INT64_MIN.
  ExpectRefused(Reading::Create(duo::Payload{{"id", uint64_t{1} << 63}}).status(),
                absl::StatusCode::kOutOfRange, "id");
  ExpectRefused(Reading::Create(Reading{.counter = std::numeric_limits<uint64_t>::max()}).status(),
                absl::StatusCode::kOutOfRange, "counter");

  // The largest that fits round-trips.
  const uint64_t largest = std::numeric_limits<int64_t>::max();
  DUO_ASSERT_OK_AND_ASSIGN(Reading stored, Reading::Create(Reading{.counter = largest}));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Reading> loaded, Reading::Get(stored.id));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->counter, largest);

  // Neither an update of the object nor a bulk update wraps it.
  stored.counter = largest + 1;
  const absl::Status saved = stored.Save();
  EXPECT_EQ(saved.code(), absl::StatusCode::kOutOfRange) << saved;
  EXPECT_THAT(std::string(saved.message()), HasSubstr("counter"));
  const absl::StatusOr<int64_t> bulk =
      Reading::Where(col(&Reading::id) == stored.id).UpdateBulk({{"counter", largest + 1}});
  EXPECT_EQ(bulk.status().code(), absl::StatusCode::kOutOfRange) << bulk.status();
  DUO_ASSERT_OK_AND_ASSIGN(loaded, Reading::Get(stored.id));
  EXPECT_EQ(loaded->counter, largest);
}

TEST_P(ValuesTest, FloatOverflowAndUnderflowAreOutOfRange) {
  ExpectRefused(Reading::Create(duo::Payload{{"level", 1e300}}).status(),
                absl::StatusCode::kOutOfRange, "level");
  ExpectRefused(Reading::Create(duo::Payload{{"level", 1e-300}}).status(),
                absl::StatusCode::kOutOfRange, "level");
  for (double bad : {1e300, -1e300, 1e-300}) {
    nlohmann::json body = nlohmann::json::object();
    body["level"] = bad;
    const absl::Status from_json = duo::FromJson<Reading>(body).status();
    EXPECT_EQ(from_json.code(), absl::StatusCode::kOutOfRange) << bad << ": " << from_json;
    EXPECT_THAT(std::string(from_json.message()), HasSubstr("level"));
    EXPECT_EQ(duo::PayloadFromJson<Reading>(body).status().code(), absl::StatusCode::kOutOfRange);
  }

  // Precision rounds as floats do: 0.1 is stored as the float nearest it.
  DUO_ASSERT_OK_AND_ASSIGN(Reading stored, Reading::Create(duo::Payload{{"level", 0.1}}));
  EXPECT_EQ(stored.level, 0.1f);
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Reading> loaded, Reading::Get(stored.id));
  EXPECT_EQ(loaded->level, 0.1f);
  // A bulk update checks the payload the same way.
  const absl::StatusOr<int64_t> bulk =
      Reading::Where(col(&Reading::id) == stored.id).UpdateBulk({{"level", 1e300}});
  EXPECT_EQ(bulk.status().code(), absl::StatusCode::kOutOfRange) << bulk.status();
}

// The rule: a double stores and round-trips where the database can
// (PostgreSQL: NaN and ±Inf; SQLite: ±Inf as REAL), else InvalidArgument
// naming the column before anything is written (SQLite's NaN, which it
// would store as NULL; NaN or an infinity inside JSON, which has neither).
TEST_P(ValuesTest, InfinitiesRoundTripOnBothDatabases) {
  DUO_ASSERT_OK_AND_ASSIGN(
      Reading stored,
      Reading::Create(Reading{
          .level = -std::numeric_limits<float>::infinity(), .value = kInf, .maybe = -kInf}));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Reading> loaded, Reading::Get(stored.id));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->level, -std::numeric_limits<float>::infinity());
  EXPECT_EQ(loaded->value, kInf);
  ASSERT_TRUE(loaded->maybe.has_value());
  EXPECT_EQ(*loaded->maybe, -kInf);
}

TEST_P(ValuesTest, NaNRoundTripsOnPostgresAndIsRefusedOnSqlite) {
  const absl::StatusOr<Reading> plain = Reading::Create(Reading{.value = kNaN});
  const absl::StatusOr<Reading> optional = Reading::Create(Reading{.maybe = kNaN});
  if (sqlite()) {
    ExpectRefused(plain.status(), absl::StatusCode::kInvalidArgument, "value");
    ExpectRefused(optional.status(), absl::StatusCode::kInvalidArgument, "maybe");
    // A statement built by hand is refused by the driver (no column to name).
    const absl::Status raw =
        db_->Execute(duo::sql::Insert(duo::TableOf<Reading>())
                         .Values({{"counter", 0},
                                  {"level", 0},
                                  {"value", kNaN},
                                  {"samples", duo::sql::Value(duo::sql::Array{})},
                                  {"amount", Dec("0")},
                                  {"doc", duo::sql::JsonText{"null"}}}))
            .status();
    EXPECT_EQ(raw.code(), absl::StatusCode::kOutOfRange) << raw;
    EXPECT_THAT(std::string(raw.message()), HasSubstr("NaN"));
    EXPECT_EQ(Rows(), 0);
    return;
  }
  DUO_ASSERT_OK(plain.status());
  DUO_ASSERT_OK(optional.status());
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Reading> loaded, Reading::Get(plain->id));
  EXPECT_TRUE(std::isnan(loaded->value));
  DUO_ASSERT_OK_AND_ASSIGN(loaded, Reading::Get(optional->id));
  ASSERT_TRUE(loaded->maybe.has_value());  // not NULL
  EXPECT_TRUE(std::isnan(*loaded->maybe));
}

TEST_P(ValuesTest, NaNAndInfinityInArraysFollowTheDatabase) {
  for (double special : {kNaN, kInf}) {
    const absl::StatusOr<Reading> stored = Reading::Create(Reading{.samples = {1.5, special}});
    if (sqlite()) {
      // SQLite keeps arrays as JSON text.
      ExpectRefused(stored.status(), absl::StatusCode::kInvalidArgument, "samples");
      continue;
    }
    DUO_ASSERT_OK(stored.status());
    DUO_ASSERT_OK_AND_ASSIGN(std::optional<Reading> loaded, Reading::Get(stored->id));
    ASSERT_EQ(loaded->samples.size(), 2u);
    EXPECT_EQ(loaded->samples[0], 1.5);
    EXPECT_EQ(std::isnan(loaded->samples[1]), std::isnan(special));
    if (!std::isnan(special)) {
      EXPECT_EQ(loaded->samples[1], special);
    }
  }
}

// A std::vector is an array value: FilterBy compares an array column with
// it, element by element and in order.
TEST_P(ValuesTest, FilterByTakesAVectorForAnArrayColumn) {
  const std::vector<std::vector<double>> stored = {{1.5, 2.5}, {1.5}, {}, {2.5, 1.5}, {1.5, 2.5}};
  for (const std::vector<double>& samples : stored) {
    DUO_ASSERT_OK(Reading::Create(Reading{.samples = samples}).status());
  }
  for (const std::vector<double>& wanted : stored) {
    DUO_ASSERT_OK_AND_ASSIGN(std::vector<Reading> found,
                             Reading::FilterBy({{"samples", wanted}}).OrderBy("id").All());
    std::vector<int64_t> expected;  // filtered in C++
    for (size_t i = 0; i < stored.size(); ++i) {
      if (stored[i] == wanted) expected.push_back(static_cast<int64_t>(i) + 1);
    }
    std::vector<int64_t> ids;
    for (const Reading& reading : found) ids.push_back(reading.id);
    EXPECT_EQ(ids, expected) << wanted.size();
  }
  // A list for a column that is not an array is a mistake (In() says "one
  // of"), never a comparison that matches nothing.
  const absl::StatusOr<std::vector<Reading>> scalar =
      Reading::FilterBy({{"value", std::vector<double>{1.5}}}).All();
  EXPECT_EQ(scalar.status().code(), absl::StatusCode::kInvalidArgument) << scalar.status();
  EXPECT_THAT(std::string(scalar.status().message()), HasSubstr("value"));
}

TEST_P(ValuesTest, NaNAndInfinityInsideJsonAreInvalidArgument) {
  // Stored as null before: JSON text has no such numbers.
  for (double special : {kNaN, kInf, -kInf}) {
    Reading reading;
    reading.doc = {{"reading", special}};
    ExpectRefused(Reading::Create(std::move(reading)).status(), absl::StatusCode::kInvalidArgument,
                  "doc");
  }
  nlohmann::json body = nlohmann::json::object();
  body["doc"] = {{"reading", kNaN}};
  EXPECT_EQ(duo::FromJson<Reading>(body).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(duo::PayloadFromJson<Reading>(body).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(ValuesTest, JsonBeyondTheDepthLimitIsRefusedNotACrash) {
  // A hundred thousand levels overflowed the serializer's stack on Create.
  Reading deep;
  deep.doc = Nested(100'000);
  ExpectRefused(Reading::Create(std::move(deep)).status(), absl::StatusCode::kInvalidArgument,
                "doc");
  Reading one_over;
  one_over.doc = Nested(duo::engine::kMaxJsonDepth + 1);
  const absl::Status over = Reading::Create(std::move(one_over)).status();
  ExpectRefused(over, absl::StatusCode::kInvalidArgument, "doc");
  EXPECT_THAT(std::string(over.message()), HasSubstr("512"));

  nlohmann::json body = nlohmann::json::object();
  body["doc"] = Nested(100'000);
  const absl::Status from_json = duo::FromJson<Reading>(body).status();
  EXPECT_EQ(from_json.code(), absl::StatusCode::kInvalidArgument) << from_json;
  EXPECT_THAT(std::string(from_json.message()), HasSubstr("doc"));
  EXPECT_EQ(duo::PayloadFromJson<Reading>(body).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Text that deep (a row written by other means) parses, but is refused
  // when read, naming the column.
  const std::string text = std::string(100'000, '[') + std::string(100'000, ']');
  const absl::StatusOr<nlohmann::json> parsed =
      duo::engine::FromValue<nlohmann::json>(duo::sql::Value(duo::sql::JsonText{text}), "doc");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kOutOfRange) << parsed.status();
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("doc"));

  // At the limit, a document is stored and read back as it was.
  Reading at_limit;
  at_limit.doc = Nested(duo::engine::kMaxJsonDepth);
  DUO_ASSERT_OK_AND_ASSIGN(Reading stored, Reading::Create(at_limit));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Reading> loaded, Reading::Get(stored.id));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->doc, at_limit.doc);
}

TEST_P(ValuesTest, InvalidUtf8InJsonIsInvalidArgumentNotAnException) {
  const std::string invalid = "caf\xC3";  // a truncated two-byte sequence
  Reading in_value;
  in_value.doc = {{"name", invalid}};
  ExpectRefused(Reading::Create(std::move(in_value)).status(), absl::StatusCode::kInvalidArgument,
                "doc");
  Reading in_key;
  in_key.doc = {{invalid, 1}};
  ExpectRefused(Reading::Create(std::move(in_key)).status(), absl::StatusCode::kInvalidArgument,
                "doc");

  // Save of a stored row, and the JSON conversions, return the same error.
  DUO_ASSERT_OK_AND_ASSIGN(Reading stored, Reading::Create(Reading{}));
  stored.doc = {{"name", invalid}};
  const absl::Status saved = stored.Save();
  EXPECT_EQ(saved.code(), absl::StatusCode::kInvalidArgument) << saved;
  EXPECT_THAT(std::string(saved.message()), HasSubstr("doc"));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Reading> loaded, Reading::Get(stored.id));
  EXPECT_TRUE(loaded->doc.is_null());

  nlohmann::json body = nlohmann::json::object();
  body["doc"] = {{"name", invalid}};
  absl::StatusOr<Reading> from_json;
  absl::StatusOr<duo::Payload> payload;
  EXPECT_NO_THROW(from_json = duo::FromJson<Reading>(body));
  EXPECT_NO_THROW(payload = duo::PayloadFromJson<Reading>(body));
  EXPECT_EQ(from_json.status().code(), absl::StatusCode::kInvalidArgument) << from_json.status();
  EXPECT_THAT(std::string(from_json.status().message()), HasSubstr("doc"));
  EXPECT_EQ(payload.status().code(), absl::StatusCode::kInvalidArgument) << payload.status();
  // A field of another type whose wrong value is invalid text: the message
  // quotes it without throwing.
  nlohmann::json wrong = nlohmann::json::object();
  wrong["level"] = invalid;
  absl::Status wrong_type;
  EXPECT_NO_THROW(wrong_type = duo::FromJson<Reading>(wrong).status());
  EXPECT_EQ(wrong_type.code(), absl::StatusCode::kInvalidArgument) << wrong_type;
  EXPECT_THAT(std::string(wrong_type.message()), HasSubstr("level"));
}

TEST_P(ValuesTest, DecimalDigitsBeyondTheColumnAreRefusedOnBothDatabases) {
  // numeric(20, 6): PostgreSQL rounded 1.1234567 to 1.123457 and said OK.
  const absl::Status too_fine = Reading::Create(Reading{.amount = Dec("1.1234567")}).status();
  ExpectRefused(too_fine, absl::StatusCode::kOutOfRange, "amount");
  EXPECT_THAT(std::string(too_fine.message()), HasSubstr("numeric(20, 6)"));
  // 15 integer digits where 14 fit.
  ExpectRefused(Reading::Create(Reading{.amount = Dec("123456789012345")}).status(),
                absl::StatusCode::kOutOfRange, "amount");
  ExpectRefused(Reading::Create(duo::Payload{{"amount", Dec("-0.0000001")}}).status(),
                absl::StatusCode::kOutOfRange, "amount");

  // What fits is stored exactly; trailing zeros hold no digits.
  DUO_ASSERT_OK_AND_ASSIGN(Reading stored,
                           Reading::Create(Reading{.amount = Dec("-12345678901234.123456")}));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Reading> loaded, Reading::Get(stored.id));
  EXPECT_EQ(loaded->amount.digits(), "-12345678901234.123456");
  DUO_ASSERT_OK(Reading::Create(Reading{.amount = Dec("1.50000000")}).status());

  // Updates: Save and UpdateBulk refuse the same digits; the row keeps its value.
  stored.amount = Dec("0.0000005");
  const absl::Status saved = stored.Save();
  EXPECT_EQ(saved.code(), absl::StatusCode::kOutOfRange) << saved;
  EXPECT_THAT(std::string(saved.message()), HasSubstr("amount"));
  const absl::StatusOr<int64_t> bulk =
      Reading::Where(col(&Reading::id) == stored.id).UpdateBulk({{"amount", Dec("2.0000001")}});
  EXPECT_EQ(bulk.status().code(), absl::StatusCode::kOutOfRange) << bulk.status();
  DUO_ASSERT_OK_AND_ASSIGN(loaded, Reading::Get(stored.id));
  EXPECT_EQ(loaded->amount.digits(), "-12345678901234.123456");
}

// Issue 19: in a NUMERIC column (SQLAlchemy's Numeric) SQLite stored
// 1234567890123456789012345678.0123456789 as a double, Create said OK and
// every read returned 1234567890123456850245451776. A decimal the column
// cannot keep is now an error naming the column, and nothing is stored.
TEST_P(ValuesTest, DecimalsANumericAffinityColumnWouldRoundAreRefusedOnSqlite) {
  if (!sqlite()) GTEST_SKIP() << "SQLite's column affinity";
  DUO_ASSERT_OK(
      db_->Execute(duo::sql::Text("CREATE TABLE prices (id INTEGER PRIMARY KEY, amount NUMERIC)"))
          .status());
  const auto rows = [] { return *Price::Count(); };
  for (const char* digits : {"1234567890123456789012345678.0123456789",
                             // Stored as the double 123456789012345, which
                             // reads as exactly that: caught by comparing
                             // what was read back with what was written.
                             "123456789012345.0000000001"}) {
    const absl::Status created = Price::Create(Price{.amount = Dec(digits)}).status();
    EXPECT_FALSE(created.ok()) << digits;
    EXPECT_THAT(std::string(created.message()), HasSubstr("\"amount\"")) << created;
    EXPECT_EQ(rows(), 0) << digits;
  }
  // Up to 15 significant digits survive the double, and read back exactly.
  DUO_ASSERT_OK_AND_ASSIGN(Price price, Price::Create(Price{.amount = Dec("12.50")}));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Price> loaded, Price::Get(price.id));
  EXPECT_EQ(loaded->amount.digits(), "12.5");
  DUO_ASSERT_OK(Price::Create(Price{.amount = Dec("123456789012.345")}).status());
  price.amount = Dec("1234567890123456789012345678.0123456789");
  const absl::Status saved = price.Save();
  EXPECT_FALSE(saved.ok());
  EXPECT_THAT(std::string(saved.message()), HasSubstr("\"amount\""));
  DUO_ASSERT_OK_AND_ASSIGN(loaded, Price::Get(price.id));
  EXPECT_EQ(loaded->amount.digits(), "12.5");
}

// UINT64_MAX used to wrap to -1 and read as kMinus.
TEST(MemberFromJsonTest, AnUnsignedNumberNeverWrapsIntoAnEnumerator) {
  const absl::StatusOr<Sign> wrapped = duo::model_internal::MemberFromJson<Sign>(
      nlohmann::json(std::numeric_limits<uint64_t>::max()), "sign");
  EXPECT_EQ(wrapped.status().code(), absl::StatusCode::kInvalidArgument) << wrapped.status();
  EXPECT_EQ(*duo::model_internal::MemberFromJson<Sign>(nlohmann::json(-1), "sign"), Sign::kMinus);
}

DUO_INSTANTIATE_BACKEND_TEST(ValuesTest);

}  // namespace
}  // namespace values
