#include "duo/engine/postgres/driver.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/dialect/compiler.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/engine/connection.h"
#include "duo/engine/error.h"
#include "duo/sql/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"

namespace duo::engine {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using sql::Value;

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

sql::Decimal Dec(absl::string_view digits) { return *sql::Decimal::Parse(digits); }

sql::Array Arr(std::vector<Value> elements) { return sql::Array{std::move(elements)}; }

absl::Time Utc(int64_t y, int m, int d, int hh, int mm, int ss, int64_t micros = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone()) +
         absl::Microseconds(micros);
}

// The error's details, or empty ones when it has none.
ErrorDetails Details(const absl::Status& status) {
  return GetErrorDetails(status).value_or(ErrorDetails{});
}

class PostgresDriverTest : public duo::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    connection_ = Open();
    ASSERT_NE(connection_, nullptr);
  }

  void TearDown() override {
    connection_.reset();
    PostgresTest::TearDown();
  }

  std::unique_ptr<Connection> Open(PostgresOptions options = {}) {
    options.conninfo = absl::StrCat(database().native_target(), " ", options.conninfo);
    absl::StatusOr<std::unique_ptr<Connection>> connection = OpenPostgres(options);
    EXPECT_TRUE(connection.ok()) << connection.status();
    return connection.ok() ? *std::move(connection) : nullptr;
  }

  Connection& db() { return *connection_; }

  void Exec(absl::string_view sql) { ASSERT_TRUE(db().ExecuteScript(sql).ok()) << sql; }

  static absl::StatusOr<std::unique_ptr<Cursor>> Run(Connection& connection, std::string sql,
                                                     std::vector<Value> params = {},
                                                     RunMode mode = RunMode::kBuffered) {
    return connection.Run(dialect::CompiledStatement{std::move(sql), std::move(params)}, mode);
  }
  absl::StatusOr<std::unique_ptr<Cursor>> Run(std::string sql, std::vector<Value> params = {},
                                              RunMode mode = RunMode::kBuffered) {
    return Run(db(), std::move(sql), std::move(params), mode);
  }

  // Runs `sql` to completion; the error of Run() or of the first failing
  // Next().
  absl::Status RunAll(std::string sql, std::vector<Value> params = {}) {
    absl::StatusOr<std::unique_ptr<Cursor>> cursor = Run(std::move(sql), std::move(params));
    if (!cursor.ok()) return cursor.status();
    while (true) {
      absl::StatusOr<bool> more = (*cursor)->Next();
      if (!more.ok()) return more.status();
      if (!*more) return absl::OkStatus();
    }
  }

  // The cursor on the first row of `sql`'s result, or null after recording
  // a failure.
  std::unique_ptr<Cursor> Row(Connection& connection, std::string sql,
                              std::vector<Value> params = {}) {
    absl::StatusOr<std::unique_ptr<Cursor>> cursor = Run(connection, sql, std::move(params));
    if (!cursor.ok()) {
      ADD_FAILURE() << cursor.status();
      return nullptr;
    }
    absl::StatusOr<bool> row = (*cursor)->Next();
    if (!row.ok() || !*row) {
      ADD_FAILURE() << "no row from " << sql << ": " << row.status();
      return nullptr;
    }
    return *std::move(cursor);
  }
  std::unique_ptr<Cursor> Row(std::string sql, std::vector<Value> params = {}) {
    return Row(db(), std::move(sql), std::move(params));
  }

  // The first column of the first row, by GetValue.
  Value Scalar(Connection& connection, std::string sql, std::vector<Value> params = {}) {
    std::unique_ptr<Cursor> cursor = Row(connection, std::move(sql), std::move(params));
    if (cursor == nullptr) return Value();
    absl::StatusOr<Value> value = cursor->GetValue(0);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : Value();
  }
  Value Scalar(std::string sql, std::vector<Value> params = {}) {
    return Scalar(db(), std::move(sql), std::move(params));
  }

  // Stores `value` in a new column of SQL type `type` and returns the cursor
  // on the row that reads it back, after checking that GetValue() returns
  // `expected` (by default `value` itself).
  std::unique_ptr<Cursor> RoundTrip(absl::string_view type, const Value& value,
                                    std::optional<Value> expected = std::nullopt) {
    SCOPED_TRACE(absl::StrCat(type, " ", value.DebugString()));
    EXPECT_TRUE(db().ExecuteScript(absl::StrCat("DROP TABLE IF EXISTS round_trip; ",
                                                "CREATE TABLE round_trip (v ", type, ")"))
                    .ok());
    absl::Status inserted = RunAll("INSERT INTO round_trip (v) VALUES ($1)", {value});
    if (!inserted.ok()) {
      ADD_FAILURE() << inserted;
      return nullptr;
    }
    std::unique_ptr<Cursor> cursor = Row("SELECT v FROM round_trip");
    if (cursor == nullptr) return nullptr;
    absl::StatusOr<Value> read = cursor->GetValue(0);
    if (!read.ok()) {
      ADD_FAILURE() << read.status();
      return nullptr;
    }
    EXPECT_EQ(*read, expected.value_or(value))
        << read->DebugString() << " != " << expected.value_or(value).DebugString();
    EXPECT_EQ(cursor->IsNull(0), value.is_null());
    return cursor;
  }

  std::unique_ptr<Connection> connection_;
};

// ---- Values ------------------------------------------------------------------

TEST_F(PostgresDriverTest, IntegersRoundTrip) {
  for (const int64_t value : {kInt64Min, kInt64Max, int64_t{0}, int64_t{-1}, kInt32Max, kInt32Min,
                              kInt32Max + 1, kInt32Min - 1}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("bigint", value);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(*cursor->GetInt(0), value);
    EXPECT_EQ(*cursor->GetDecimal(0), Dec(absl::StrCat(value)));
  }
  for (const int64_t value : {kInt32Min, kInt32Max, int64_t{7}}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("integer", value);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(*cursor->GetInt(0), value);
    EXPECT_EQ(*cursor->GetDouble(0), static_cast<double>(value));
  }
  std::unique_ptr<Cursor> small = RoundTrip("smallint", int64_t{-32768});
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(*small->GetInt(0), -32768);
}

TEST_F(PostgresDriverTest, BooleansAndDoublesRoundTrip) {
  for (const bool value : {true, false}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("boolean", value);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(*cursor->GetBool(0), value);
  }
  for (const double value :
       {0.1, -1e300, 3.141592653589793, 5e-324, -0.0, std::numeric_limits<double>::infinity()}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("double precision", value);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(*cursor->GetDouble(0), value);
  }
  ASSERT_TRUE(RunAll("DELETE FROM round_trip").ok());
  ASSERT_TRUE(RunAll("INSERT INTO round_trip VALUES ($1)", {std::nan("")}).ok());
  std::unique_ptr<Cursor> nan = Row("SELECT v FROM round_trip");
  ASSERT_NE(nan, nullptr);
  EXPECT_TRUE(std::isnan(*nan->GetDouble(0)));
}

TEST_F(PostgresDriverTest, TextRoundTrips) {
  for (const std::string& value :
       {std::string(""), std::string("héllo wörld ✓ 日本語 🐘"),
        std::string("it's \"quoted\", with \\ and {braces}"), std::string(100000, 'x')}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("text", value);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(*cursor->GetText(0), value);
  }
  std::unique_ptr<Cursor> varchar = RoundTrip("varchar(20)", "ünïcode");
  ASSERT_NE(varchar, nullptr);
  EXPECT_EQ(*varchar->GetText(0), "ünïcode");
}

TEST_F(PostgresDriverTest, BytesRoundTripWithNulBytes) {
  const std::string bytes("\0\x01\xff\0abc\0", 8);
  std::unique_ptr<Cursor> cursor = RoundTrip("bytea", sql::Blob{bytes});
  ASSERT_NE(cursor, nullptr);
  EXPECT_EQ(*cursor->GetBytes(0), bytes);
  std::unique_ptr<Cursor> empty = RoundTrip("bytea", sql::Blob{""});
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(*empty->GetBytes(0), "");
  EXPECT_FALSE(empty->IsNull(0));
}

TEST_F(PostgresDriverTest, TimestampsRoundTripWithMicroseconds) {
  for (const absl::Time value :
       {Utc(2026, 11, 25, 2, 30, 0, 123456), Utc(1969, 7, 20, 20, 17, 40, 1),
        Utc(1900, 1, 1, 0, 0, 0, 999999), Utc(1970, 1, 1, 0, 0, 0), Utc(-43, 3, 15, 12, 0, 0),
        Utc(9999, 12, 31, 23, 59, 59, 999999), absl::InfiniteFuture(), absl::InfinitePast()}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("timestamp with time zone", value);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(*cursor->GetTimestamp(0), value);
  }
  // Nanoseconds are truncated to PostgreSQL's microseconds, never rounded
  // up into the next one.
  const absl::Time pre_epoch = Utc(1960, 1, 1, 0, 0, 0) - absl::Nanoseconds(1500);
  RoundTrip("timestamp with time zone", pre_epoch,
            Utc(1960, 1, 1, 0, 0, 0) - absl::Microseconds(2));
}

TEST_F(PostgresDriverTest, TimestampsMeanTheSameInstantInAnyServerTimeZone) {
  Exec("SET TimeZone = 'America/New_York'");
  const absl::Time instant = Utc(2026, 3, 8, 7, 30, 0, 250000);
  RoundTrip("timestamp with time zone", instant);
  EXPECT_EQ(Scalar("SELECT $1::timestamptz = timestamptz '2026-03-08 07:30:00.25+00'", {instant}),
            Value(true));
}

TEST_F(PostgresDriverTest, DatesRoundTrip) {
  for (const absl::CivilDay value :
       {absl::CivilDay(2026, 11, 25), absl::CivilDay(1969, 12, 31), absl::CivilDay(2000, 1, 1),
        absl::CivilDay(1, 1, 1), absl::CivilDay(0, 12, 31), absl::CivilDay(9999, 12, 31)}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("date", value);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(*cursor->GetDate(0), value);
  }
  EXPECT_EQ(Scalar("SELECT $1::date::text", {absl::CivilDay(0, 12, 31)}), Value("0001-12-31 BC"));
}

TEST_F(PostgresDriverTest, DecimalsRoundTripExactly) {
  for (const absl::string_view digits :
       {"1234567890123456789012345678901234567890", "-1234567890123456789012345678.901234567890",
        "0.0000000000000000000000000000000000000001", "12.50", "0", "-7", "10000", "0.0001"}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("numeric", Dec(digits));
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(cursor->GetDecimal(0)->digits(), digits);
  }
  // The column's scale pads the digits, as PostgreSQL displays them.
  RoundTrip("numeric(12, 4)", Dec("3.5"), Dec("3.5000"));
}

TEST_F(PostgresDriverTest, JsonRoundTripsAsJsonb) {
  std::unique_ptr<Cursor> cursor =
      RoundTrip("jsonb", sql::JsonText{R"({"a": 1, "b": [true, null, "é\"x"]})"});
  ASSERT_NE(cursor, nullptr);
  EXPECT_EQ(*cursor->GetText(0), R"({"a": 1, "b": [true, null, "é\"x"]})");
  // jsonb keeps the document, not its spelling.
  RoundTrip("jsonb", sql::JsonText{R"({ "b":2,"a" :1 })"}, sql::JsonText{R"({"a": 1, "b": 2})"});
}

TEST_F(PostgresDriverTest, JsonBindsAsTheTypeOfItsColumn) {
  // A json column keeps the text as written; jsonb stores numbers as
  // numeric, so 1e300 reads back as 301 digits and -0.0 as 0. JSON used to
  // bind as jsonb, which gave a json column jsonb's spelling too.
  for (const absl::string_view text :
       {R"({ "b":2,"a" :1 })", "1e300", "-0.0", "0.1", "18446744073709551615",
        "1180591620717411303424", "[1.0, null]"}) {
    RoundTrip("json", sql::JsonText{std::string(text)});
  }
  RoundTrip("jsonb", sql::JsonText{"1e300"},
            sql::JsonText{absl::StrCat("1", std::string(300, '0'))});
  RoundTrip("jsonb", sql::JsonText{"-0.0"}, sql::JsonText{"0.0"});
  // Compared with a jsonb column, the parameter is jsonb: equal documents
  // match whatever their spelling.
  EXPECT_EQ(Scalar("SELECT v = $1 FROM round_trip", {sql::JsonText{"-0"}}), Value(true));
}

TEST_F(PostgresDriverTest, ArraysRoundTripWithNullsAndQuoting) {
  RoundTrip("bigint[]", Arr({1, Value(), kInt64Max, kInt64Min}));
  RoundTrip("double precision[]", Arr({1.5, Value(), -0.25}));
  RoundTrip("boolean[]", Arr({true, Value(), false}));
  RoundTrip("numeric[]",
            Arr({Dec("1234567890123456789012345678901234567890"), Dec("-1.50"), Value()}));
  RoundTrip("timestamp with time zone[]", Arr({Utc(1969, 7, 20, 20, 17, 40, 5), Value()}));
  RoundTrip("date[]", Arr({absl::CivilDay(2026, 11, 25), Value(), absl::CivilDay(0, 1, 1)}));
  std::unique_ptr<Cursor> text =
      RoundTrip("text[]", Arr({"plain", "", "NULL", Value(), "with \"quotes\"", "comma, here",
                               "back\\slash\\", "{braces}", " spaces ", "é ✓", "'single'"}));
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->GetArray(0)->elements.size(), 11u);
  RoundTrip("bigint[]", Arr({}));
  RoundTrip("text[]", Arr({Value(), Value()}));
}

TEST_F(PostgresDriverTest, NullRoundTripsInEveryType) {
  for (const absl::string_view type :
       {"boolean", "bigint", "integer", "double precision", "text", "bytea",
        "timestamp with time zone", "date", "numeric", "jsonb", "bigint[]", "text[]"}) {
    std::unique_ptr<Cursor> cursor = RoundTrip(type, Value());
    ASSERT_NE(cursor, nullptr);
    EXPECT_TRUE(cursor->IsNull(0));
  }
}

// ---- Getters -----------------------------------------------------------------

TEST_F(PostgresDriverTest, GettersReadCompatibleTypes) {
  std::unique_ptr<Cursor> row =
      Row("SELECT 1::int2 AS i2, 2::int4 AS i4, 12.000::numeric AS whole, 2.25::numeric AS frac, "
          "1.5::float4 AS f4, 'ab'::char(4) AS bp, 'n'::name AS nm, 'x'::\"char\" AS ch, "
          "'[1, 2]'::json AS js, '{\"k\": \"v\"}'::jsonb AS jb, "
          "timestamp '2026-11-25 02:30:00.5' AS ts, ARRAY[1, 2]::int4[] AS ia, "
          "ARRAY['a']::varchar[] AS va, 'abc'::varchar AS vc");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(*row->GetInt(0), 1);
  EXPECT_EQ(*row->GetInt(1), 2);
  EXPECT_EQ(*row->GetInt(2), 12);
  EXPECT_EQ(*row->GetDouble(2), 12.0);
  EXPECT_EQ(*row->GetDouble(3), 2.25);
  EXPECT_EQ(row->GetDecimal(3)->digits(), "2.25");
  EXPECT_EQ(*row->GetDecimal(1), Dec("2"));
  EXPECT_EQ(*row->GetDouble(4), 1.5);
  EXPECT_EQ(*row->GetText(5), "ab  ");
  EXPECT_EQ(*row->GetText(6), "n");
  EXPECT_EQ(*row->GetText(7), "x");
  EXPECT_EQ(*row->GetText(8), "[1, 2]");
  EXPECT_EQ(*row->GetText(9), R"({"k": "v"})");
  EXPECT_EQ(*row->GetValue(9), Value(sql::JsonText{R"({"k": "v"})"}));
  EXPECT_EQ(*row->GetTimestamp(10), Utc(2026, 11, 25, 2, 30, 0, 500000));
  EXPECT_EQ(*row->GetArray(11), Arr({1, 2}));
  EXPECT_EQ(*row->GetArray(12), Arr({"a"}));
  EXPECT_EQ(*row->GetValue(13), Value("abc"));
  EXPECT_EQ(*row->GetValue(4), Value(1.5));
  EXPECT_EQ(*row->GetValue(2), Value(Dec("12.000")));
}

TEST_F(PostgresDriverTest, StrictGettersNameTheColumn) {
  std::unique_ptr<Cursor> row =
      Row("SELECT 1::int8 AS quantity, 'abc' AS label, true AS flag, NULL::int8 AS missing, "
          "12.5::numeric AS price, 1e30::numeric AS huge, 9007199254740993::int8 AS big, "
          "now() AS created, 'NaN'::numeric AS nan, 'infinity'::date AS forever, "
          "ARRAY[[1, 2], [3, 4]] AS grid, point(1, 2) AS id");
  ASSERT_NE(row, nullptr);
  const auto expect_error = [](const absl::Status& status, absl::string_view column) {
    EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange) << status;
    EXPECT_EQ(GetErrorKind(status), ErrorKind::kDataError) << status;
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("column \"", column, "\"")));
  };
  expect_error(row->GetInt(1).status(), "label");
  expect_error(row->GetText(0).status(), "quantity");
  expect_error(row->GetBool(0).status(), "quantity");
  expect_error(row->GetInt(2).status(), "flag");
  expect_error(row->GetDouble(1).status(), "label");
  expect_error(row->GetBytes(1).status(), "label");
  expect_error(row->GetTimestamp(0).status(), "quantity");
  expect_error(row->GetDate(7).status(), "created");
  expect_error(row->GetDecimal(1).status(), "label");
  expect_error(row->GetArray(1).status(), "label");
  expect_error(row->GetInt(3).status(), "missing");
  EXPECT_THAT(row->GetInt(3).status().message(), HasSubstr("NULL"));
  expect_error(row->GetInt(4).status(), "price");
  expect_error(row->GetInt(5).status(), "huge");
  expect_error(row->GetDouble(6).status(), "big");
  expect_error(row->GetDecimal(8).status(), "nan");
  EXPECT_TRUE(std::isnan(*row->GetDouble(8)));
  EXPECT_TRUE(std::isnan(row->GetValue(8)->as_double()));
  expect_error(row->GetDate(9).status(), "forever");
  expect_error(row->GetArray(10).status(), "grid");
  // A type with no C++ type and no text form the driver knows (uuid has
  // both now: see //duo/query:types_test).
  expect_error(row->GetValue(11).status(), "id");
  EXPECT_THAT(row->GetValue(11).status().message(), HasSubstr("cast it to text"));
  expect_error(row->GetText(11).status(), "id");
  EXPECT_TRUE(row->GetValue(3)->is_null());

  EXPECT_EQ(GetErrorKind(row->GetInt(12).status()), ErrorKind::kProgramming);
}

TEST_F(PostgresDriverTest, ColumnNamesAndIndexes) {
  absl::StatusOr<std::unique_ptr<Cursor>> cursor = Run("SELECT 1 AS one, 2 AS \"Two\"");
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  ASSERT_EQ((*cursor)->column_count(), 2);
  EXPECT_EQ((*cursor)->column_name(0), "one");
  EXPECT_EQ((*cursor)->column_name(1), "Two");
  EXPECT_EQ(*(*cursor)->ColumnIndex("Two"), 1);
  EXPECT_EQ(GetErrorKind((*cursor)->GetInt(0).status()), ErrorKind::kProgramming) << "no row yet";
  EXPECT_TRUE(*(*cursor)->Next());
  EXPECT_FALSE(*(*cursor)->Next());
  EXPECT_FALSE(*(*cursor)->Next());
}

// ---- Parameters --------------------------------------------------------------

TEST_F(PostgresDriverTest, IntegerParametersFitFunctionsTakingInteger) {
  absl::StatusOr<std::unique_ptr<Cursor>> cursor =
      Run("SELECT lag(v, $1) OVER (ORDER BY v) FROM generate_series($2, $3) AS v", {1, 1, 3});
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  std::vector<Value> values;
  while (*(*cursor)->Next()) values.push_back(*(*cursor)->GetValue(0));
  EXPECT_THAT(values, ElementsAre(Value(), Value(1), Value(2)));
  EXPECT_EQ(Scalar("SELECT pg_typeof($1)::text || ' ' || pg_typeof($2)::text",
                   {kInt32Max, kInt32Max + 1}),
            Value("integer bigint"));
}

TEST_F(PostgresDriverTest, TextParametersTakeTheTypeTheContextNeeds) {
  Exec("CREATE TABLE typed (name varchar(20), day date, doc jsonb, code char(3))");
  ASSERT_TRUE(RunAll("INSERT INTO typed VALUES ($1, $2, $3, $4)",
                     {"ann", "2026-11-25", R"({"a": 1})", "ab"})
                  .ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM typed WHERE name = $1 AND day = $2 AND doc = $3 AND "
                   "code = $4",
                   {"ann", "2026-11-25", R"({"a":1})", "ab"}),
            Value(1));
  EXPECT_EQ(Scalar("SELECT count(*) FROM typed WHERE name = ANY($1)", {Arr({"ann", "bob"})}),
            Value(1));
  EXPECT_EQ(Scalar("SELECT $1::text", {"untyped"}), Value("untyped"));
}

TEST_F(PostgresDriverTest, ValuesPostgresCannotTakeAreDataErrors) {
  const absl::Status nul = Run("SELECT $1::text", {std::string("a\0b", 3)}).status();
  EXPECT_EQ(GetErrorKind(nul), ErrorKind::kDataError) << nul;
  EXPECT_THAT(nul.message(), HasSubstr("$1"));
  const absl::Status mixed = Run("SELECT $1::int8[]", {Arr({1, "two"})}).status();
  EXPECT_EQ(GetErrorKind(mixed), ErrorKind::kDataError) << mixed;
  const absl::Status nested = Run("SELECT $1", {Arr({Arr({1})})}).status();
  EXPECT_EQ(GetErrorKind(nested), ErrorKind::kDataError) << nested;
}

TEST_F(PostgresDriverTest, TooFewValuesIsAProgrammingError) {
  const absl::Status status = Run("SELECT $1::int4 + $2::int4", {1}).status();
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kProgramming) << status;
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(db().Ping());
}

// ---- Errors ------------------------------------------------------------------

class IntegrityTest : public PostgresDriverTest {
 protected:
  void SetUp() override {
    PostgresDriverTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Exec(R"(
      CREATE TABLE parents (id int8 PRIMARY KEY);
      CREATE TABLE children (
        id int8 PRIMARY KEY,
        parent_id int8 NOT NULL CONSTRAINT children_parent_fk REFERENCES parents (id),
        email text CONSTRAINT children_email_key UNIQUE,
        age int4 CONSTRAINT children_age_check CHECK (age >= 0));
      INSERT INTO parents VALUES (1);
      INSERT INTO children VALUES (1, 1, 'ann@example.com', 30);)");
  }

  absl::Status Insert(Value id, Value parent, Value email, Value age) {
    return RunAll("INSERT INTO children (id, parent_id, email, age) VALUES ($1, $2, $3, $4)",
                  {std::move(id), std::move(parent), std::move(email), std::move(age)});
  }
};

TEST_F(IntegrityTest, UniqueViolation) {
  const absl::Status status = Insert(2, 1, "ann@example.com", 5);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  const ErrorDetails details = Details(status);
  EXPECT_EQ(details.kind, ErrorKind::kUniqueViolation);
  EXPECT_EQ(details.sqlstate, "23505");
  EXPECT_EQ(details.constraint, "children_email_key");
  EXPECT_THAT(details.sql, HasSubstr("$3"));
  // The server's detail line quotes the value; the message leaves it out.
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("children_email_key"), Not(HasSubstr("ann@example.com"))));
}

TEST_F(IntegrityTest, ForeignKeyViolation) {
  const absl::Status status = Insert(2, 999, "bob@example.com", 5);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  const ErrorDetails details = Details(status);
  EXPECT_EQ(details.kind, ErrorKind::kForeignKeyViolation);
  EXPECT_EQ(details.sqlstate, "23503");
  EXPECT_EQ(details.constraint, "children_parent_fk");
}

TEST_F(IntegrityTest, NotNullViolation) {
  const absl::Status status = Insert(2, Value(), "bob@example.com", 5);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  const ErrorDetails details = Details(status);
  EXPECT_EQ(details.kind, ErrorKind::kNotNullViolation);
  EXPECT_EQ(details.sqlstate, "23502");
  // PostgreSQL 15 names the column, not a constraint, for NOT NULL.
  EXPECT_THAT(status.message(), HasSubstr("parent_id"));
}

TEST_F(IntegrityTest, CheckViolation) {
  const absl::Status status = Insert(2, 1, "bob@example.com", -1);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  const ErrorDetails details = Details(status);
  EXPECT_EQ(details.kind, ErrorKind::kCheckViolation);
  EXPECT_EQ(details.sqlstate, "23514");
  EXPECT_EQ(details.constraint, "children_age_check");
  EXPECT_TRUE(IsIntegrityViolation(status));
}

TEST_F(IntegrityTest, FailedStatementAbortsTheTransaction) {
  Exec("BEGIN");
  EXPECT_TRUE(db().InTransaction());
  EXPECT_EQ(GetErrorKind(Insert(2, 1, "ann@example.com", 5)), ErrorKind::kUniqueViolation);
  const absl::Status next = RunAll("SELECT 1");
  EXPECT_EQ(GetErrorKind(next), ErrorKind::kTransactionAborted) << next;
  EXPECT_EQ(next.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Details(next).sqlstate, "25P02");
  EXPECT_TRUE(db().InTransaction());
  Exec("ROLLBACK");
  EXPECT_FALSE(db().InTransaction());
  EXPECT_EQ(Scalar("SELECT count(*) FROM children"), Value(1));
}

TEST_F(PostgresDriverTest, SyntaxAndNameErrorsAreProgrammingErrors) {
  const absl::Status syntax = RunAll("SELEC 1");
  EXPECT_EQ(syntax.code(), absl::StatusCode::kInvalidArgument) << syntax;
  EXPECT_EQ(Details(syntax).kind, ErrorKind::kProgramming);
  EXPECT_EQ(Details(syntax).sqlstate, "42601");
  EXPECT_THAT(syntax.message(), HasSubstr("[SELEC 1]"));
  const absl::Status table = RunAll("SELECT * FROM missing_table");
  EXPECT_EQ(Details(table).kind, ErrorKind::kProgramming);
  EXPECT_EQ(Details(table).sqlstate, "42P01");
  EXPECT_EQ(GetErrorKind(db().ExecuteScript("CREATE TABLE (")), ErrorKind::kProgramming);
  EXPECT_EQ(GetErrorKind(RunAll("SELECT 1; SELECT 2")), ErrorKind::kProgramming);
  EXPECT_EQ(GetErrorKind(RunAll(std::string("SELECT 1\0; DROP TABLE x", 23))),
            ErrorKind::kProgramming);
  EXPECT_EQ(GetErrorKind(RunAll("")), ErrorKind::kProgramming);
}

TEST_F(PostgresDriverTest, BadValuesAreDataErrors) {
  const absl::Status zero = RunAll("SELECT 1 / $1::int4", {0});
  EXPECT_EQ(Details(zero).kind, ErrorKind::kDataError) << zero;
  EXPECT_EQ(Details(zero).sqlstate, "22012");
  const absl::Status number = RunAll("SELECT $1::int4", {"abc"});
  EXPECT_EQ(Details(number).kind, ErrorKind::kDataError) << number;
  EXPECT_EQ(Details(number).sqlstate, "22P02");
  const absl::Status range = RunAll("SELECT $1::int2", {100000});
  EXPECT_EQ(Details(range).kind, ErrorKind::kDataError) << range;
  EXPECT_EQ(Details(range).sqlstate, "22003");
}

TEST_F(PostgresDriverTest, StatementTimeoutCancelsAndTheConnectionStaysUsable) {
  std::unique_ptr<Connection> limited = Open({.statement_timeout = absl::Milliseconds(200)});
  ASSERT_NE(limited, nullptr);
  EXPECT_EQ(Scalar(*limited, "SHOW statement_timeout"), Value("200ms"));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<Cursor>> slow = Run(*limited, "SELECT pg_sleep(5)");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded) << slow.status();
  EXPECT_EQ(Details(slow.status()).kind, ErrorKind::kTimeout);
  EXPECT_EQ(Details(slow.status()).sqlstate, "57014");
  EXPECT_EQ(Scalar(*limited, "SELECT 41 + $1", {1}), Value(42));
  EXPECT_TRUE(limited->Ping());
}

// ---- Statement cache ---------------------------------------------------------

// The connection's prepared statements, "name: statement", ordered by
// name. The query is itself a cached statement.
std::vector<std::string> PreparedStatements(Connection& connection) {
  constexpr char kQuery[] =
      "SELECT name, statement, parameter_types::text FROM pg_prepared_statements ORDER BY name";
  absl::StatusOr<std::unique_ptr<Cursor>> cursor =
      connection.Run(dialect::CompiledStatement{kQuery, {}});
  std::vector<std::string> statements;
  if (!cursor.ok()) {
    ADD_FAILURE() << cursor.status();
    return statements;
  }
  while (*(*cursor)->Next()) {
    const absl::string_view statement = *(*cursor)->GetText(1);
    statements.push_back(absl::StrCat(*(*cursor)->GetText(0), ": ",
                                      statement == kQuery ? "<this query>" : statement, " ",
                                      *(*cursor)->GetText(2)));
  }
  return statements;
}

TEST_F(PostgresDriverTest, StatementCacheReusesAndEvicts) {
  std::unique_ptr<Connection> connection = Open({.statement_cache_size = 2});
  ASSERT_NE(connection, nullptr);
  constexpr char kA[] = "SELECT $1 + 1";
  constexpr char kB[] = "SELECT $1 + 2";
  EXPECT_EQ(Scalar(*connection, kA, {1}), Value(2));
  EXPECT_EQ(Scalar(*connection, kA, {2}), Value(3));
  EXPECT_THAT(PreparedStatements(*connection),
              ElementsAre("duo_1: SELECT $1 + 1 {integer}", "duo_2: <this query> {}"));
  // The same text with a bigint is another statement; it evicts kA, the
  // least recently used.
  EXPECT_EQ(Scalar(*connection, kA, {int64_t{1} << 40}), Value((int64_t{1} << 40) + 1));
  EXPECT_THAT(PreparedStatements(*connection),
              ElementsAre("duo_2: <this query> {}", "duo_3: SELECT $1 + 1 {bigint}"));
  EXPECT_EQ(Scalar(*connection, kB, {1}), Value(3));
  EXPECT_THAT(PreparedStatements(*connection),
              ElementsAre("duo_2: <this query> {}", "duo_4: SELECT $1 + 2 {integer}"));
}

TEST_F(PostgresDriverTest, DisabledStatementCacheKeepsNoStatements) {
  std::unique_ptr<Connection> connection = Open({.statement_cache_size = 0});
  ASSERT_NE(connection, nullptr);
  EXPECT_EQ(Scalar(*connection, "SELECT $1 + 1", {1}), Value(2));
  EXPECT_EQ(Scalar(*connection, "SELECT $1 + 1", {1}), Value(2));
  EXPECT_THAT(PreparedStatements(*connection), ElementsAre());
}

TEST_F(PostgresDriverTest, StatementsDroppedBehindTheCachesBackArePreparedAgain) {
  EXPECT_EQ(Scalar("SELECT $1 * 2", {21}), Value(42));
  Exec("DEALLOCATE ALL");
  EXPECT_EQ(Scalar("SELECT $1 * 2", {21}), Value(42));
  // Inside a transaction the failure has aborted it; the statement is
  // prepared again once the transaction is over.
  Exec("BEGIN; DEALLOCATE ALL");
  EXPECT_FALSE(Run("SELECT $1 * 2", {21}).ok());
  Exec("ROLLBACK");
  EXPECT_EQ(Scalar("SELECT $1 * 2", {21}), Value(42));
}

TEST_F(PostgresDriverTest, SchemaChangesInvalidateCachedStatements) {
  Exec("CREATE TABLE items (v boolean); INSERT INTO items VALUES (true)");
  EXPECT_EQ(Scalar("SELECT v FROM items"), Value(true));
  EXPECT_TRUE(RunAll("UPDATE items SET v = $1", {Value()}).ok());
  // A new result type, and an untyped parameter inferred as boolean that
  // cannot go into a bigint: both statements are prepared again.
  Exec("DROP TABLE items; CREATE TABLE items (v bigint); INSERT INTO items VALUES (7)");
  EXPECT_EQ(Scalar("SELECT v FROM items"), Value(7));
  const absl::Status update = RunAll("UPDATE items SET v = $1", {Value()});
  EXPECT_TRUE(update.ok()) << update;
  // Inside a transaction the error aborts it; afterwards the statement is
  // prepared again.
  Exec("BEGIN; ALTER TABLE items ALTER COLUMN v TYPE text");
  EXPECT_FALSE(Run("SELECT v FROM items").ok());
  Exec("ROLLBACK");
  EXPECT_TRUE(Scalar("SELECT v FROM items").is_null());
  // The stale statements are gone from the server too.
  EXPECT_THAT(PreparedStatements(db()),
              ElementsAre("duo_4: UPDATE items SET v = $1 {bigint}",
                          "duo_5: SELECT v FROM items {}", "duo_6: <this query> {}"));
}

// ---- Streaming ---------------------------------------------------------------

TEST_F(PostgresDriverTest, StreamingReadsEveryRow) {
  absl::StatusOr<std::unique_ptr<Cursor>> cursor =
      Run("SELECT i, i * 2 AS doubled, 'row ' || i AS label FROM generate_series(1, $1) AS i",
          {200000}, RunMode::kStreaming);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  ASSERT_EQ((*cursor)->column_count(), 3);
  int64_t rows = 0;
  int64_t sum = 0;
  bool labels_match = true;
  while (true) {
    absl::StatusOr<bool> more = (*cursor)->Next();
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    ++rows;
    const int64_t i = *(*cursor)->GetInt(0);
    sum += *(*cursor)->GetInt(1);
    if (i != rows || *(*cursor)->GetText(2) != absl::StrCat("row ", i)) labels_match = false;
  }
  EXPECT_EQ(rows, 200000);
  EXPECT_EQ(sum, int64_t{200000} * 200001);
  EXPECT_TRUE(labels_match);
  EXPECT_EQ((*cursor)->rows_affected(), 0);
  EXPECT_EQ((*cursor)->column_name(2), "label");
  cursor->reset();
  EXPECT_EQ(Scalar("SELECT 1"), Value(1));
}

TEST_F(PostgresDriverTest, StreamingCursorOwnsTheConnectionUntilDestroyed) {
  absl::StatusOr<std::unique_ptr<Cursor>> cursor =
      Run("SELECT i FROM generate_series(1, 100000) AS i", {}, RunMode::kStreaming);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  ASSERT_TRUE(*(*cursor)->Next());
  EXPECT_FALSE(db().InTransaction());
  const absl::Status busy = RunAll("SELECT 1");
  EXPECT_EQ(GetErrorKind(busy), ErrorKind::kProgramming) << busy;
  EXPECT_EQ(GetErrorKind(db().ExecuteScript("SELECT 1")), ErrorKind::kProgramming);
  cursor->reset();  // abandons the rest
  EXPECT_EQ(Scalar("SELECT 2"), Value(2));
  EXPECT_TRUE(db().Ping());
}

TEST_F(PostgresDriverTest, StreamingReportsAnErrorAfterTheRowsBeforeIt) {
  absl::StatusOr<std::unique_ptr<Cursor>> cursor =
      Run("SELECT 10 / (1000 - i) FROM generate_series(1, 2000) AS i", {}, RunMode::kStreaming);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  int rows = 0;
  absl::StatusOr<bool> more;
  while ((more = (*cursor)->Next()).ok() && *more) ++rows;
  EXPECT_EQ(rows, 999);
  EXPECT_EQ(GetErrorKind(more.status()), ErrorKind::kDataError) << more.status();
  EXPECT_EQ(GetErrorKind((*cursor)->Next().status()), ErrorKind::kDataError);
  cursor->reset();
  EXPECT_EQ(Scalar("SELECT 3"), Value(3));
}

TEST_F(PostgresDriverTest, StreamingEmptyResultsAndStatementsWithoutRows) {
  absl::StatusOr<std::unique_ptr<Cursor>> empty =
      Run("SELECT 1 AS one WHERE false", {}, RunMode::kStreaming);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)->column_count(), 1);
  EXPECT_FALSE(*(*empty)->Next());
  empty->reset();
  Exec("CREATE TABLE items (id int8)");
  absl::StatusOr<std::unique_ptr<Cursor>> insert =
      Run("INSERT INTO items SELECT generate_series(1, 5)", {}, RunMode::kStreaming);
  ASSERT_TRUE(insert.ok()) << insert.status();
  EXPECT_FALSE(*(*insert)->Next());
  EXPECT_EQ((*insert)->rows_affected(), 5);
  insert->reset();
  const absl::Status failed = Run("SELECT * FROM missing_table", {}, RunMode::kStreaming).status();
  EXPECT_EQ(GetErrorKind(failed), ErrorKind::kProgramming) << failed;
  EXPECT_EQ(Scalar("SELECT count(*) FROM items"), Value(5));
}

// Types the database created (an enum, citext) are looked up once per
// connection, which needs the connection idle: a stream started on a
// connection that has not seen them yet must still read their text, with a
// statement cache, without one, and as the unnamed statement a
// transaction-pooling proxy needs.
TEST_F(PostgresDriverTest, StreamingReadsCreatedTypesAConnectionHasNotSeen) {
  Exec(
      "CREATE EXTENSION IF NOT EXISTS citext; "
      "CREATE TYPE swatch_shade AS ENUM ('light', 'dark'); "
      "CREATE TABLE swatches (id int8 PRIMARY KEY, shade swatch_shade NOT NULL, name citext); "
      "INSERT INTO swatches VALUES (1, 'dark', 'Ink'), (2, 'light', NULL), (3, 'light', '')");
  const PostgresOptions kOptions[] = {
      {}, {.statement_cache_size = 0}, {.transaction_pooling = TransactionPooling::kOn}};
  for (const PostgresOptions& options : kOptions) {
    SCOPED_TRACE(absl::StrCat(
        "statement_cache_size=", options.statement_cache_size,
        options.transaction_pooling == TransactionPooling::kOn ? ", unnamed statements" : ""));
    std::unique_ptr<Connection> fresh = Open(options);
    ASSERT_NE(fresh, nullptr);
    // Twice: the second stream finds the types (and, when cached, the
    // statement) already known.
    for (int pass = 0; pass < 2; ++pass) {
      absl::StatusOr<std::unique_ptr<Cursor>> cursor =
          Run(*fresh, "SELECT shade, name, id FROM swatches WHERE id >= $1 ORDER BY id", {1},
              RunMode::kStreaming);
      ASSERT_TRUE(cursor.ok()) << cursor.status();
      std::vector<std::string> read;
      while (true) {
        absl::StatusOr<bool> more = (*cursor)->Next();
        ASSERT_TRUE(more.ok()) << more.status();
        if (!*more) break;
        absl::StatusOr<absl::string_view> shade = (*cursor)->GetText(0);
        ASSERT_TRUE(shade.ok()) << shade.status();
        absl::StatusOr<Value> name = (*cursor)->GetValue(1);
        ASSERT_TRUE(name.ok()) << name.status();
        read.push_back(absl::StrCat(*(*cursor)->GetInt(2), " ", *shade, " ",
                                    name->is_null() ? "NULL" : "'" + name->as_text() + "'"));
      }
      EXPECT_THAT(read, ElementsAre("1 dark 'Ink'", "2 light NULL", "3 light ''"));
    }
    EXPECT_EQ(Scalar(*fresh, "SELECT 1"), Value(1));
  }
}

// Streamed reads of created types inside a transaction, and of a cached
// statement whose column became a created type: it is described again.
TEST_F(PostgresDriverTest, StreamingCreatedTypesInATransactionAndAfterASchemaChange) {
  Exec("CREATE TABLE paints (id int8, shade text); INSERT INTO paints VALUES (1, 'dark')");
  auto stream = [](Connection& connection) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::unique_ptr<Cursor>> cursor =
        Run(connection, "SELECT shade FROM paints ORDER BY id", {}, RunMode::kStreaming);
    if (!cursor.ok()) return cursor.status();
    std::string read;
    while (true) {
      absl::StatusOr<bool> more = (*cursor)->Next();
      if (!more.ok()) return more.status();
      if (!*more) return read;
      absl::StatusOr<absl::string_view> text = (*cursor)->GetText(0);
      if (!text.ok()) return text.status();
      absl::StrAppend(&read, *text, ";");
    }
  };
  for (const TransactionPooling pooling : {TransactionPooling::kOff, TransactionPooling::kOn}) {
    std::unique_ptr<Connection> fresh = Open({.transaction_pooling = pooling});
    ASSERT_NE(fresh, nullptr);
    ASSERT_TRUE(fresh->ExecuteScript("BEGIN").ok());
    // The second connection finds the column an enum already.
    EXPECT_EQ(stream(*fresh).value_or("error"),
              pooling == TransactionPooling::kOff ? "dark;" : "dark;light;");
    if (pooling == TransactionPooling::kOff) {
      ASSERT_TRUE(
          fresh
              ->ExecuteScript("CREATE TYPE paint_shade AS ENUM ('light', 'dark'); "
                              "ALTER TABLE paints ALTER COLUMN shade TYPE paint_shade "
                              "USING shade::paint_shade; INSERT INTO paints VALUES (2, 'light')")
              .ok());
    }
    EXPECT_TRUE(fresh->InTransaction());
    ASSERT_TRUE(fresh->ExecuteScript("COMMIT").ok());
    // Outside the transaction the stale cached statement is prepared and
    // described again.
    absl::StatusOr<std::string> read = stream(*fresh);
    EXPECT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read.value_or("error"), "dark;light;");
  }
}

// A statement that cannot be prepared fails as it would have without the
// look-ahead, and leaves the connection usable.
TEST_F(PostgresDriverTest, StreamingAStatementThatFailsToPrepare) {
  for (const TransactionPooling pooling : {TransactionPooling::kOff, TransactionPooling::kOn}) {
    std::unique_ptr<Connection> fresh = Open({.transaction_pooling = pooling});
    ASSERT_NE(fresh, nullptr);
    const absl::Status failed =
        Run(*fresh, "SELECT * FROM no_such_table", {}, RunMode::kStreaming).status();
    EXPECT_EQ(GetErrorKind(failed), ErrorKind::kProgramming) << failed;
    EXPECT_THAT(std::string(failed.message()), HasSubstr("no_such_table"));
    EXPECT_EQ(Scalar(*fresh, "SELECT 2"), Value(2));
  }
}

// ---- Connection --------------------------------------------------------------

TEST_F(PostgresDriverTest, RowsAffected) {
  Exec("CREATE TABLE items (id int8, name text)");
  absl::StatusOr<std::unique_ptr<Cursor>> insert =
      Run("INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  ASSERT_TRUE(insert.ok());
  EXPECT_FALSE(*(*insert)->Next());
  EXPECT_EQ((*insert)->rows_affected(), 3);
  absl::StatusOr<std::unique_ptr<Cursor>> update =
      Run("UPDATE items SET name = $1 WHERE id >= $2", {"z", 2});
  ASSERT_TRUE(update.ok());
  EXPECT_FALSE(*(*update)->Next());
  EXPECT_EQ((*update)->rows_affected(), 2);
  absl::StatusOr<std::unique_ptr<Cursor>> returning =
      Run("DELETE FROM items WHERE id = $1 RETURNING name", {3});
  ASSERT_TRUE(returning.ok());
  EXPECT_TRUE(*(*returning)->Next());
  EXPECT_EQ(*(*returning)->GetText(0), "z");
  EXPECT_FALSE(*(*returning)->Next());
  EXPECT_EQ((*returning)->rows_affected(), 1);
  absl::StatusOr<std::unique_ptr<Cursor>> select = Run("SELECT * FROM items");
  ASSERT_TRUE(select.ok());
  while (*(*select)->Next()) {
  }
  EXPECT_EQ((*select)->rows_affected(), 0);
}

TEST_F(PostgresDriverTest, KilledBackendIsDetected) {
  std::unique_ptr<Connection> pinged = Open();
  std::unique_ptr<Connection> run = Open();
  ASSERT_NE(pinged, nullptr);
  ASSERT_NE(run, nullptr);
  for (Connection* victim : {pinged.get(), run.get()}) {
    const Value pid = Scalar(*victim, "SELECT pg_backend_pid()");
    ASSERT_EQ(Scalar("SELECT pg_terminate_backend($1)", {pid}), Value(true));
    // pg_terminate_backend only signals; wait until the backend is gone.
    for (int i = 0; i < 100 && Scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                                      {pid}) != Value(0);
         ++i) {
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  EXPECT_FALSE(pinged->LooksAlive());
  EXPECT_FALSE(pinged->Ping());
  const absl::Status after_ping = Run(*pinged, "SELECT 1").status();
  EXPECT_EQ(GetErrorKind(after_ping), ErrorKind::kConnectionLost) << after_ping;

  const absl::Status status = Run(*run, "SELECT $1::int4", {1}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kConnectionLost);
  EXPECT_FALSE(run->Ping());
  EXPECT_EQ(GetErrorKind(run->ExecuteScript("SELECT 1")), ErrorKind::kConnectionLost);
  EXPECT_TRUE(db().LooksAlive());
  EXPECT_TRUE(db().Ping());
}

TEST_F(PostgresDriverTest, InTransactionFollowsTheServer) {
  EXPECT_FALSE(db().InTransaction());
  ASSERT_TRUE(RunAll("BEGIN").ok());
  EXPECT_TRUE(db().InTransaction());
  EXPECT_FALSE(RunAll("SELECT 1 / 0").ok());
  EXPECT_TRUE(db().InTransaction());
  Exec("ROLLBACK");
  EXPECT_FALSE(db().InTransaction());
  Exec("BEGIN; SAVEPOINT s");
  EXPECT_TRUE(db().InTransaction());
  Exec("COMMIT");
  EXPECT_FALSE(db().InTransaction());
}

TEST_F(PostgresDriverTest, ExecuteScriptRunsSeveralStatements) {
  Exec("CREATE TABLE a (x int); INSERT INTO a VALUES (1), (2); SELECT * FROM a;");
  EXPECT_EQ(Scalar("SELECT sum(x) FROM a"), Value(3));
  Exec("");
  Exec("DROP TABLE IF EXISTS not_there");  // a notice, not an error
  const absl::Status failed = db().ExecuteScript("INSERT INTO a VALUES (3); SELECT 1 / 0");
  EXPECT_EQ(GetErrorKind(failed), ErrorKind::kDataError) << failed;
  EXPECT_EQ(Scalar("SELECT count(*) FROM a"), Value(2)) << "a script is one transaction";
  const absl::Status copy = db().ExecuteScript("COPY a FROM STDIN");
  EXPECT_EQ(GetErrorKind(copy), ErrorKind::kProgramming) << copy;
  EXPECT_TRUE(db().Ping());
}

TEST_F(PostgresDriverTest, SessionSettings) {
  EXPECT_EQ(Scalar("SHOW application_name"), Value("duo"));
  EXPECT_EQ(Scalar("SHOW TimeZone"), Value("UTC"));
  EXPECT_EQ(Scalar("SHOW client_encoding"), Value("UTF8"));
  EXPECT_EQ(Scalar("SELECT (timestamptz '2026-11-25 02:30:00+00')::text"),
            Value("2026-11-25 02:30:00+00"));
  std::unique_ptr<Connection> named = Open({.application_name = "billing"});
  ASSERT_NE(named, nullptr);
  EXPECT_EQ(Scalar(*named, "SHOW application_name"), Value("billing"));
  std::unique_ptr<Connection> from_conninfo = Open({.conninfo = "application_name=reports"});
  ASSERT_NE(from_conninfo, nullptr);
  EXPECT_EQ(Scalar(*from_conninfo, "SHOW application_name"), Value("reports"));
  EXPECT_EQ(&db().dialect(), &dialect::PostgresDialect());
}

TEST_F(PostgresDriverTest, OpensAConnectionUri) {
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      OpenPostgres({.conninfo = database().url()});
  ASSERT_TRUE(connection.ok()) << connection.status();
  EXPECT_EQ(Scalar(**connection, "SELECT current_database()"),
            Value(database().postgres_database()));
}

TEST_F(PostgresDriverTest, ConnectFailureIsConnectionLost) {
  const absl::StatusOr<std::unique_ptr<Connection>> connection =
      OpenPostgres({.conninfo = "host=/nonexistent-duo-directory port=1 connect_timeout=2"});
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetErrorKind(connection.status()), ErrorKind::kConnectionLost);
  EXPECT_THAT(connection.status().message(), HasSubstr("cannot connect to PostgreSQL"));
  const absl::StatusOr<std::unique_ptr<Connection>> negative = OpenPostgres(
      {.conninfo = database().native_target(), .statement_timeout = absl::Seconds(-1)});
  EXPECT_EQ(GetErrorKind(negative.status()), ErrorKind::kProgramming);
}

}  // namespace
}  // namespace duo::engine
