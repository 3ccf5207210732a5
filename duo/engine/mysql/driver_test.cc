#include "duo/engine/mysql/driver.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/async/event_loop.h"
#include "duo/async/sync_wait.h"
#include "duo/async/task.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/compiler.h"
#include "duo/engine/connection.h"
#include "duo/engine/driver.h"
#include "duo/engine/error.h"
#include "duo/engine/mysql/codec.h"
#include "duo/engine/url.h"
#include "duo/sql/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/mariadb.h"

namespace duo::sql {
// Values print as SQL-like literals in failure messages.
void PrintTo(const Value& value, std::ostream* out) { *out << value.DebugString(); }
}  // namespace duo::sql

namespace duo::engine {
namespace {

using sql::Value;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr uint64_t kUint64Max = std::numeric_limits<uint64_t>::max();

sql::Decimal Dec(absl::string_view digits) { return *sql::Decimal::Parse(digits); }

absl::Time Utc(int64_t y, int m, int d, int hh, int mm, int ss, int64_t micros = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone()) +
         absl::Microseconds(micros);
}

// The error's details, or empty ones when it has none.
ErrorDetails Details(const absl::Status& status) {
  return GetErrorDetails(status).value_or(ErrorDetails{});
}

// ---- What the driver computes without a server -------------------------------

TEST(MysqlCodecTest, ErrorNumbersMapToKinds) {
  using mysql_internal::KindForError;
  EXPECT_EQ(KindForError(1062, "23000"), ErrorKind::kUniqueViolation);
  EXPECT_EQ(KindForError(1452, "23000"), ErrorKind::kForeignKeyViolation);
  EXPECT_EQ(KindForError(1451, "23000"), ErrorKind::kForeignKeyViolation);
  EXPECT_EQ(KindForError(1048, "23000"), ErrorKind::kNotNullViolation);
  EXPECT_EQ(KindForError(4025, "23000"), ErrorKind::kCheckViolation);
  EXPECT_EQ(KindForError(3819, "HY000"), ErrorKind::kCheckViolation);
  EXPECT_EQ(KindForError(1213, "40001"), ErrorKind::kSerializationFailure);
  EXPECT_EQ(KindForError(1205, "HY000"), ErrorKind::kTimeout);
  EXPECT_EQ(KindForError(1969, "70100"), ErrorKind::kTimeout);
  EXPECT_EQ(KindForError(3024, "HY000"), ErrorKind::kTimeout);
  EXPECT_EQ(KindForError(1317, "70100"), ErrorKind::kTimeout);
  EXPECT_EQ(KindForError(2006, "HY000"), ErrorKind::kConnectionLost);
  EXPECT_EQ(KindForError(2013, "HY000"), ErrorKind::kConnectionLost);
  EXPECT_EQ(KindForError(1927, "70100"), ErrorKind::kConnectionLost);
  EXPECT_EQ(KindForError(1040, "08004"), ErrorKind::kResourceExhausted);
  EXPECT_EQ(KindForError(1153, "08S01"), ErrorKind::kResourceExhausted);
  EXPECT_EQ(KindForError(2020, "HY000"), ErrorKind::kResourceExhausted);
  EXPECT_EQ(KindForError(1461, "42000"), ErrorKind::kResourceExhausted);
  EXPECT_EQ(KindForError(1064, "42000"), ErrorKind::kProgramming);
  EXPECT_EQ(KindForError(1146, "42S02"), ErrorKind::kProgramming);
  EXPECT_EQ(KindForError(2014, "HY000"), ErrorKind::kProgramming);
  EXPECT_EQ(KindForError(1264, "22003"), ErrorKind::kDataError);
  EXPECT_EQ(KindForError(1366, "22007"), ErrorKind::kDataError);
  // Unlisted numbers fall back to their SQLSTATE's class.
  EXPECT_EQ(KindForError(9999, "22999"), ErrorKind::kDataError);
  EXPECT_EQ(KindForError(9999, "08999"), ErrorKind::kConnectionLost);
  EXPECT_EQ(KindForError(9999, "HY000"), ErrorKind::kOther);
}

TEST(MysqlCodecTest, NamesFromServerMessages) {
  using mysql_internal::ConstraintName;
  EXPECT_EQ(ConstraintName(1062, "Duplicate entry 'a@b.c' for key 'users_email'"), "users_email");
  EXPECT_EQ(ConstraintName(1062, "Duplicate entry 'x' for key 'users.email'"), "users.email");
  // The value may hold anything; the key's name comes last.
  EXPECT_EQ(ConstraintName(1062, "Duplicate entry '' for key 'k'' for key 'PRIMARY'"), "PRIMARY");
  EXPECT_EQ(ConstraintName(1452,
                           "Cannot add or update a child row: a foreign key constraint fails "
                           "(`db`.`child`, CONSTRAINT `child_parent` FOREIGN KEY (`p`) REFERENCES "
                           "`parent` (`id`))"),
            "child_parent");
  // Under ANSI_QUOTES (the driver's sql_mode) the server quotes with ".
  EXPECT_EQ(ConstraintName(1451,
                           "Cannot delete or update a parent row: a foreign key constraint fails "
                           "(\"db\".\"child\", CONSTRAINT \"child_parent\" FOREIGN KEY (\"p\")"
                           " REFERENCES \"parent\" (\"id\"))"),
            "child_parent");
  EXPECT_EQ(ConstraintName(4025, "CONSTRAINT `qty``s check` failed for `db`.`t`"), "qty`s check");
  EXPECT_EQ(ConstraintName(3819, "Check constraint 'qty_positive' is violated."), "qty_positive");
  EXPECT_EQ(ConstraintName(1048, "Column 'x' cannot be null"), "");
  EXPECT_EQ(mysql_internal::ReportedMessage(1062, "Duplicate entry 'secret' for key 'email'"),
            "Duplicate entry for key 'email' (MySQL error 1062)");
  EXPECT_EQ(mysql_internal::ReportedMessage(1146, "Table 'db.t' doesn't exist"),
            "Table 'db.t' doesn't exist (MySQL error 1146)");
}

TEST(MysqlCodecTest, TimesConvertBothWays) {
  using namespace mysql_internal;  // NOLINT: the conversions under test
  const absl::Time time = Utc(2026, 11, 25, 2, 30, 0, 123456);
  absl::StatusOr<MYSQL_TIME> converted = TimestampToMysql(time);
  ASSERT_TRUE(converted.ok()) << converted.status();
  EXPECT_EQ(converted->year, 2026u);
  EXPECT_EQ(converted->second_part, 123456u);
  EXPECT_EQ(MysqlToTimestamp(*converted).value(), time);
  // Below a microsecond: toward the past, also before 1970.
  EXPECT_EQ(TimestampToMysql(time + absl::Nanoseconds(999))->second_part, 123456u);
  const absl::Time old = Utc(1969, 12, 31, 23, 59, 59, 999999) + absl::Nanoseconds(1);
  EXPECT_EQ(MysqlToTimestamp(*TimestampToMysql(old)).value(),
            Utc(1969, 12, 31, 23, 59, 59, 999999));
  EXPECT_EQ(MysqlToTimestamp(*TimestampToMysql(Utc(9999, 12, 31, 23, 59, 59, 999999))).value(),
            Utc(9999, 12, 31, 23, 59, 59, 999999));
  EXPECT_FALSE(TimestampToMysql(Utc(10000, 1, 1, 0, 0, 0)).ok());
  EXPECT_FALSE(TimestampToMysql(Utc(-1, 12, 31, 0, 0, 0)).ok());
  EXPECT_FALSE(TimestampToMysql(absl::InfiniteFuture()).ok());
  MYSQL_TIME zero{};
  zero.time_type = MYSQL_TIMESTAMP_DATETIME;
  EXPECT_THAT(std::string(MysqlToTimestamp(zero).status().message()), HasSubstr("zero date"));
  MYSQL_TIME no_month = *TimestampToMysql(time);
  no_month.month = 0;
  EXPECT_FALSE(MysqlToTimestamp(no_month).ok());
  MYSQL_TIME february_30 = *TimestampToMysql(time);
  february_30.month = 2;
  february_30.day = 30;
  EXPECT_FALSE(MysqlToTimestamp(february_30).ok());
  EXPECT_EQ(MysqlToDate(*DateToMysql(absl::CivilDay(2024, 2, 29))).value(),
            absl::CivilDay(2024, 2, 29));
  MYSQL_TIME negative{};
  negative.neg = 1;
  negative.hour = 838;
  negative.minute = 59;
  negative.second = 59;
  EXPECT_EQ(MysqlTimeToDuration(negative),
            -(absl::Hours(838) + absl::Minutes(59) + absl::Seconds(59)));
  EXPECT_EQ(MysqlToTimestamp(*IntervalToMysql(absl::Hours(27))).value(), Utc(1970, 1, 2, 3, 0, 0));
}

TEST(MysqlCodecTest, Utf8Validation) {
  using mysql_internal::IsValidUtf8;
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii \x7f"));
  EXPECT_TRUE(IsValidUtf8("chlo\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xf0\x9f\x98"));      // cut short
  EXPECT_FALSE(IsValidUtf8("a\x80"));
  EXPECT_EQ(mysql_internal::BitsToUint64(std::string("\x01\x00", 2)), 256u);
}

// ---- Against a server ----------------------------------------------------------

class MysqlDriverTest : public duo::testing::MariadbTest {
 protected:
  void SetUp() override {
    MariadbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    connection_ = Open();
    ASSERT_NE(connection_, nullptr);
  }

  void TearDown() override {
    connection_.reset();
    MariadbTest::TearDown();
  }

  MysqlOptions Options(MysqlOptions options = {}) const {
    options.unix_socket = database().socket_path();
    if (options.user.empty()) options.user = database().user();
    if (options.database.empty()) options.database = database().name();
    return options;
  }

  std::unique_ptr<Connection> Open(MysqlOptions options = {}) {
    absl::StatusOr<std::unique_ptr<Connection>> connection = OpenMysql(Options(options));
    EXPECT_TRUE(connection.ok()) << connection.status();
    return connection.ok() ? *std::move(connection) : nullptr;
  }

  Connection& db() { return *connection_; }

  void Exec(absl::string_view sql) {
    const absl::Status status = db().ExecuteScript(sql);
    ASSERT_TRUE(status.ok()) << status;
  }

  // What the mariadb command-line client prints for `sql`: a second
  // opinion that shares no code with the driver.
  std::string Cli(absl::string_view sql) {
    absl::StatusOr<std::string> output = duo::testing::RunMariadbCli(database(), sql);
    EXPECT_TRUE(output.ok()) << output.status();
    return output.value_or("<error>");
  }

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
  static absl::Status RunAll(Connection& connection, std::string sql,
                             std::vector<Value> params = {}) {
    absl::StatusOr<std::unique_ptr<Cursor>> cursor =
        Run(connection, std::move(sql), std::move(params));
    if (!cursor.ok()) return cursor.status();
    while (true) {
      absl::StatusOr<bool> more = (*cursor)->Next();
      if (!more.ok()) return more.status();
      if (!*more) return absl::OkStatus();
    }
  }
  absl::Status RunAll(std::string sql, std::vector<Value> params = {}) {
    return RunAll(db(), std::move(sql), std::move(params));
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

  // Stores `value` in a new column of SQL type `type` and returns the
  // cursor on the row that reads it back, after checking that GetValue()
  // returns `expected` (by default `value` itself).
  std::unique_ptr<Cursor> RoundTrip(absl::string_view type, const Value& value,
                                    std::optional<Value> expected = std::nullopt) {
    SCOPED_TRACE(absl::StrCat(type, " ", value.DebugString()));
    EXPECT_TRUE(db().ExecuteScript(absl::StrCat("DROP TABLE IF EXISTS round_trip; ",
                                                "CREATE TABLE round_trip (v ", type, ")"))
                    .ok());
    absl::Status inserted = RunAll("INSERT INTO round_trip (v) VALUES (?)", {value});
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
    EXPECT_EQ(*read, expected.value_or(value));
    EXPECT_EQ(cursor->IsNull(0), value.is_null());
    return cursor;
  }

  std::unique_ptr<Connection> connection_;
};

// ---- Values ----------------------------------------------------------------------

TEST_F(MysqlDriverTest, SignedIntegersRoundTripAtTheirLimits) {
  for (const int64_t value :
       {kInt64Min, kInt64Max, int64_t{0}, int64_t{-1}, int64_t{1} << 53, -(int64_t{1} << 53) - 1}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("BIGINT", value);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(cursor->GetInt(0).value(), value);
    EXPECT_EQ(cursor->GetDecimal(0).value(), Dec(absl::StrCat(value)));
    EXPECT_EQ(Cli("SELECT v FROM round_trip"), absl::StrCat(value));
  }
  for (const auto& [type, low, high] :
       std::vector<std::tuple<std::string, int64_t, int64_t>>{{"TINYINT", -128, 127},
                                                              {"SMALLINT", -32768, 32767},
                                                              {"MEDIUMINT", -8388608, 8388607},
                                                              {"INT", -2147483648, 2147483647}}) {
    for (const int64_t value : {low, high}) {
      std::unique_ptr<Cursor> cursor = RoundTrip(type, value);
      ASSERT_NE(cursor, nullptr);
      EXPECT_EQ(cursor->GetInt(0).value(), value);
    }
    // One beyond: strict mode refuses it, naming the column.
    const absl::Status over = RunAll("INSERT INTO round_trip (v) VALUES (?)", {high + 1});
    EXPECT_EQ(GetErrorKind(over), ErrorKind::kDataError) << over;
    EXPECT_THAT(std::string(over.message()), HasSubstr("(MySQL error 1264)"));
  }
  // Integers above 2^53 are no doubles.
  std::unique_ptr<Cursor> big = Row("SELECT ? AS big", {kInt64Max});
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(GetErrorKind(big->GetDouble(0).status()), ErrorKind::kDataError);
}

TEST_F(MysqlDriverTest, UnsignedBigintHoldsUint64MaxAndNeverWraps) {
  Exec("CREATE TABLE u (name VARCHAR(10), big BIGINT UNSIGNED, small INT UNSIGNED)");
  // sql::Value carries 2^64 - 1 as its digits; BIGINT UNSIGNED takes them.
  ASSERT_TRUE(
      RunAll("INSERT INTO u VALUES (?, ?, ?)", {"max", kUint64Max, uint64_t{4294967295}}).ok());
  ASSERT_TRUE(
      RunAll("INSERT INTO u VALUES (?, ?, ?)", {"above", uint64_t{1} << 63, uint32_t{0}}).ok());
  EXPECT_EQ(Cli("SELECT big, small, HEX(big) FROM u WHERE name = 'max'"),
            "18446744073709551615\t4294967295\tFFFFFFFFFFFFFFFF");
  EXPECT_EQ(Cli("SELECT big FROM u WHERE name = 'above'"), "9223372036854775808");
  std::unique_ptr<Cursor> cursor = Row("SELECT big, small FROM u WHERE name = 'max'");
  ASSERT_NE(cursor, nullptr);
  EXPECT_EQ(cursor->GetValue(0).value(), Value(kUint64Max));
  EXPECT_EQ(cursor->GetValue(0)->kind(), Value::Kind::kDecimal);
  EXPECT_EQ(cursor->GetDecimal(0).value(), Dec("18446744073709551615"));
  const absl::Status wrapped = cursor->GetInt(0).status();
  EXPECT_EQ(wrapped.code(), absl::StatusCode::kOutOfRange) << wrapped;
  EXPECT_THAT(
      std::string(wrapped.message()),
      AllOf(HasSubstr("column \"big\""), HasSubstr("18446744073709551615"), HasSubstr("int64_t")));
  EXPECT_EQ(GetErrorKind(cursor->GetDouble(0).status()), ErrorKind::kDataError);
  EXPECT_EQ(cursor->GetInt(1).value(), 4294967295);
  std::unique_ptr<Cursor> above = Row("SELECT big FROM u WHERE name = 'above'");
  ASSERT_NE(above, nullptr);
  EXPECT_EQ(GetErrorKind(above->GetInt(0).status()), ErrorKind::kDataError);
  EXPECT_EQ(above->GetValue(0).value(), Value(Dec("9223372036854775808")));
  // Negative into unsigned, and 2^64: refused by the server.
  EXPECT_EQ(GetErrorKind(RunAll("INSERT INTO u (big) VALUES (?)", {-1})), ErrorKind::kDataError);
  EXPECT_EQ(GetErrorKind(RunAll("INSERT INTO u (big) VALUES (?)", {Dec("18446744073709551616")})),
            ErrorKind::kDataError);
  EXPECT_EQ(Cli("SELECT COUNT(*) FROM u"), "2");
}

TEST_F(MysqlDriverTest, DoublesRoundTripBitForBit) {
  for (const double value :
       {0.0, -0.0, 0.1, -1.5, std::numeric_limits<double>::max(),
        std::numeric_limits<double>::lowest(), std::numeric_limits<double>::min(),
        std::numeric_limits<double>::denorm_min(), 1.0 / 3}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("DOUBLE", value);
    ASSERT_NE(cursor, nullptr);
    const double read = cursor->GetDouble(0).value();
    EXPECT_EQ(std::memcmp(&read, &value, sizeof value) == 0 || (read == 0 && value == 0), true)
        << read << " != " << value;
  }
  EXPECT_EQ(Cli("SELECT v = 1e0 / 3 FROM round_trip"), "1");
  // FLOAT keeps a float; it reads as that float, widened.
  std::unique_ptr<Cursor> single = RoundTrip("FLOAT", 0.1, Value(static_cast<double>(0.1f)));
  ASSERT_NE(single, nullptr);
}

TEST_F(MysqlDriverTest, NanAndInfinitiesAreRefused) {
  Exec("CREATE TABLE d (v DOUBLE)");
  for (const double value : {std::nan(""), std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity()}) {
    const absl::Status status = RunAll("INSERT INTO d VALUES (?)", {value});
    EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange) << status;
    EXPECT_EQ(GetErrorKind(status), ErrorKind::kDataError);
    EXPECT_THAT(std::string(status.message()), HasSubstr("parameter 1"));
  }
  EXPECT_EQ(Cli("SELECT COUNT(*) FROM d"), "0");
  // The server itself has no such numbers: an overflow is an error, not
  // infinity, and the square root of -1 is NULL, not NaN.
  const absl::Status overflow = RunAll("SELECT ? * 10", {1e308});
  EXPECT_EQ(GetErrorKind(overflow), ErrorKind::kDataError) << overflow;
  EXPECT_THAT(std::string(overflow.message()), HasSubstr("(MySQL error 1690)"));
  EXPECT_TRUE(Scalar("SELECT SQRT(?)", {-1.0}).is_null());
}

TEST_F(MysqlDriverTest, TextKeepsFourByteCharactersAndHostileBytes) {
  const std::string emoji = "\xf0\x9f\x98\x80";  // U+1F600, 4 bytes in UTF-8
  const std::string hostile = "it's \"quoted\" \\ back`tick`; DROP TABLE t; -- \xc3\xa9";
  for (const std::string& text :
       {emoji, std::string("a\0b", 3), hostile, std::string(), std::string(70000, 'x')}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("LONGTEXT", text);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(cursor->GetText(0).value(), text);
    EXPECT_EQ(Cli("SELECT LENGTH(v) FROM round_trip"), absl::StrCat(text.size()));
  }
  RoundTrip("VARCHAR(10)", emoji);
  EXPECT_EQ(Cli("SELECT HEX(v), CHAR_LENGTH(v), LENGTH(v) FROM round_trip"), "F09F9880\t1\t4");
  // What another client writes reads the same.
  Exec("DELETE FROM round_trip");
  Cli("INSERT INTO round_trip VALUES (CONCAT('caf', CHAR(0xC3A9 USING utf8mb4), X'F09F8E89'))");
  EXPECT_EQ(Scalar("SELECT v FROM round_trip"), Value("caf\xc3\xa9\xf0\x9f\x8e\x89"));
}

TEST_F(MysqlDriverTest, InvalidUtf8IsRefused) {
  Exec("CREATE TABLE s (v VARCHAR(10))");
  // The driver refuses it for any parameter: the server would let it pass
  // where it converts nothing (SELECT ?, comparisons).
  for (const std::string& bad : {std::string("a\xff"), std::string("\xc0\xaf"),
                                 std::string("\xed\xa0\x80"), std::string("\xf0\x9f\x98")}) {
    const absl::Status status = RunAll("INSERT INTO s VALUES (?)", {bad});
    EXPECT_EQ(GetErrorKind(status), ErrorKind::kDataError) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("not valid UTF-8"));
    EXPECT_EQ(GetErrorKind(RunAll("SELECT ?", {bad})), ErrorKind::kDataError);
    EXPECT_EQ(GetErrorKind(RunAll("SELECT ?", {sql::JsonText{bad}})), ErrorKind::kDataError);
  }
  // The same bytes as bytes reach the server, which refuses them for a
  // utf8mb4 column in strict mode (1366).
  const absl::Status server = RunAll("INSERT INTO s VALUES (?)", {sql::Blob{"a\xff"}});
  EXPECT_EQ(GetErrorKind(server), ErrorKind::kDataError) << server;
  EXPECT_THAT(std::string(server.message()), HasSubstr("(MySQL error 1366)"));
  EXPECT_EQ(Cli("SELECT COUNT(*) FROM s"), "0");
}

TEST_F(MysqlDriverTest, BlobsRoundTripByteForByte) {
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  std::unique_ptr<Cursor> cursor = RoundTrip("BLOB", sql::Blob{every_byte});
  ASSERT_NE(cursor, nullptr);
  EXPECT_EQ(cursor->GetBytes(0).value(), every_byte);
  EXPECT_EQ(GetErrorKind(cursor->GetText(0).status()), ErrorKind::kDataError);
  EXPECT_EQ(Cli("SELECT LENGTH(v), HEX(SUBSTRING(v, 1, 4)), HEX(SUBSTRING(v, 253)) FROM "
                "round_trip"),
            "256\t00010203\tFCFDFEFF");
  RoundTrip("BLOB", sql::Blob{""});
  EXPECT_EQ(Cli("SELECT LENGTH(v), v IS NULL FROM round_trip"), "0\t0");
  RoundTrip("VARBINARY(4)", sql::Blob{std::string("\0\0\0", 3)});

  // 24 MiB, a pattern the server can check on its own.
  std::string big(24 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7 + i / 4099) & 0xff);
  Exec("DROP TABLE IF EXISTS round_trip; CREATE TABLE round_trip (v LONGBLOB)");
  ASSERT_TRUE(RunAll("INSERT INTO round_trip (v) VALUES (?)", {sql::Blob{big}}).ok());
  EXPECT_EQ(
      Cli("SELECT LENGTH(v), HEX(SUBSTRING(v, 4099 * 1000, 8)) FROM round_trip"),
      absl::StrCat(big.size(), "\t",
                   absl::AsciiStrToUpper(absl::BytesToHexString(big.substr(4099 * 1000 - 1, 8)))));
  for (const RunMode mode : {RunMode::kBuffered, RunMode::kStreaming}) {
    absl::StatusOr<std::unique_ptr<Cursor>> read = Run("SELECT v FROM round_trip", {}, mode);
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_TRUE((*read)->Next().value());
    EXPECT_TRUE((*read)->GetBytes(0).value() == big);
    EXPECT_FALSE((*read)->Next().value());
  }
}

TEST_F(MysqlDriverTest, DecimalsRoundTripExactly) {
  // Every value at the column's scale, 30 digits, as the server keeps it.
  const std::string widest = std::string(35, '9') + "." + std::string(30, '9');
  for (const std::string& digits :
       {widest, "-" + widest, "0." + std::string(29, '0') + "1", "0." + std::string(30, '0'),
        "-12345.6789" + std::string(26, '0')}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("DECIMAL(65, 30)", Dec(digits), std::nullopt);
    if (cursor == nullptr) continue;
    // The server writes every digit of the scale.
    const std::string stored = Cli("SELECT v FROM round_trip");
    EXPECT_EQ(cursor->GetDecimal(0)->digits(), stored);
  }
  std::unique_ptr<Cursor> cursor = Row("SELECT v FROM round_trip");
  ASSERT_NE(cursor, nullptr);
  EXPECT_EQ(cursor->GetDecimal(0).value(), Dec("-12345.6789" + std::string(26, '0')));
  EXPECT_DOUBLE_EQ(cursor->GetDouble(0).value(), -12345.6789);
  EXPECT_EQ(GetErrorKind(cursor->GetInt(0).status()), ErrorKind::kDataError);
  EXPECT_EQ(Scalar("SELECT CAST(? AS DECIMAL(20, 2))", {Dec("42")}), Value(Dec("42.00")));
  std::unique_ptr<Cursor> whole = Row("SELECT CAST(? AS DECIMAL(20, 2)) AS d", {Dec("42")});
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(whole->GetInt(0).value(), 42);
  // A 36th digit before the point does not fit: refused, not rounded.
  const absl::Status too_wide =
      RunAll("INSERT INTO round_trip (v) VALUES (?)", {Dec("1" + std::string(35, '0'))});
  EXPECT_EQ(GetErrorKind(too_wide), ErrorKind::kDataError) << too_wide;
}

TEST_F(MysqlDriverTest, TimestampsRoundTripAsUtcWithMicroseconds) {
  for (const absl::Time time : {Utc(2026, 11, 25, 2, 30, 0, 123456), Utc(1000, 1, 1, 0, 0, 0),
                                Utc(9999, 12, 31, 23, 59, 59, 999999),
                                Utc(1969, 12, 31, 23, 59, 59, 1), Utc(2024, 2, 29, 12, 0, 0)}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("DATETIME(6)", time);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(cursor->GetTimestamp(0).value(), time);
  }
  EXPECT_EQ(Cli("SELECT v FROM round_trip"), "2024-02-29 12:00:00.000000");
  // A finer part is truncated toward the past.
  RoundTrip("DATETIME(6)", Utc(2026, 1, 1, 0, 0, 0, 5) + absl::Nanoseconds(999),
            Value(Utc(2026, 1, 1, 0, 0, 0, 5)));
  // TIMESTAMP keeps an instant: another session in another zone sees it in
  // its own zone.
  RoundTrip("TIMESTAMP(6) NULL", Utc(2026, 11, 25, 2, 30, 0, 500000));
  EXPECT_EQ(Cli("SET time_zone = '+05:30'; SELECT v FROM round_trip"),
            "2026-11-25 08:00:00.500000");
  EXPECT_EQ(Cli("SET time_zone = '+00:00'; SELECT UNIX_TIMESTAMP(v) FROM round_trip"),
            absl::StrCat(absl::ToUnixSeconds(Utc(2026, 11, 25, 2, 30, 0)), ".500000"));
  // Beyond TIMESTAMP's range (2038-01-19 03:14:07 UTC), and beyond the
  // driver's (years 0 to 9999).
  const absl::Status late =
      RunAll("INSERT INTO round_trip VALUES (?)", {Utc(2038, 1, 19, 3, 14, 8)});
  EXPECT_EQ(GetErrorKind(late), ErrorKind::kDataError) << late;
  const absl::Status far = RunAll("INSERT INTO round_trip VALUES (?)", {Utc(10000, 1, 1, 0, 0, 0)});
  EXPECT_EQ(GetErrorKind(far), ErrorKind::kDataError) << far;
  EXPECT_THAT(std::string(far.message()), HasSubstr("parameter 1"));
  // The server's own clock reads in UTC too.
  const absl::Time now = Scalar("SELECT UTC_TIMESTAMP(6)").as_timestamp();
  EXPECT_LT(absl::AbsDuration(Scalar("SELECT NOW(6)").as_timestamp() - now), absl::Seconds(5));
}

TEST_F(MysqlDriverTest, DatesAndTimesRoundTrip) {
  for (const absl::CivilDay day : {absl::CivilDay(2026, 11, 25), absl::CivilDay(1000, 1, 1),
                                   absl::CivilDay(9999, 12, 31), absl::CivilDay(2024, 2, 29)}) {
    std::unique_ptr<Cursor> cursor = RoundTrip("DATE", day);
    ASSERT_NE(cursor, nullptr);
    EXPECT_EQ(cursor->GetDate(0).value(), day);
  }
  EXPECT_EQ(Cli("SELECT v, DAYNAME(v) FROM round_trip"), "2024-02-29\tThursday");
  const sql::TimeOfDay nine_thirty = *sql::TimeOfDay::FromParts(9, 30, 0, 250);
  RoundTrip("TIME(6)", nine_thirty);
  EXPECT_EQ(Cli("SELECT v FROM round_trip"), "09:30:00.000250");
  RoundTrip("TIME(6)", *sql::TimeOfDay::FromMicros(sql::TimeOfDay::kMicrosPerDay));
  // TIME also holds elapsed times: negative, or beyond a day.
  Exec("DELETE FROM round_trip");
  Cli("INSERT INTO round_trip VALUES ('-00:00:01'), ('838:59:59.999999')");
  absl::StatusOr<std::unique_ptr<Cursor>> times = Run("SELECT v FROM round_trip ORDER BY v");
  ASSERT_TRUE(times.ok()) << times.status();
  ASSERT_TRUE((*times)->Next().value());
  EXPECT_EQ((*times)->GetValue(0).value(), Value(absl::Seconds(-1)));
  ASSERT_TRUE((*times)->Next().value());
  EXPECT_EQ((*times)->GetValue(0).value(), Value(absl::Hours(838) + absl::Minutes(59) +
                                                 absl::Seconds(59) + absl::Microseconds(999999)));
  // An interval is bound as 1970-01-01 plus it (SQLAlchemy's Interval).
  RoundTrip("DATETIME(6)", absl::Hours(27), Value(Utc(1970, 1, 2, 3, 0, 0)));
}

TEST_F(MysqlDriverTest, ZeroDatesAreRefusedAndNeverReadAsInstants) {
  Exec("CREATE TABLE z (ts DATETIME, d DATE)");
  // Strict mode (the driver's sql_mode) refuses them.
  const absl::Status refused = RunAll("INSERT INTO z VALUES ('0000-00-00 00:00:00', NULL)");
  EXPECT_EQ(GetErrorKind(refused), ErrorKind::kDataError) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("(MySQL error 1292)"));
  // Another client without it writes them anyway.
  Cli("SET SESSION sql_mode = ''; INSERT INTO z VALUES ('0000-00-00 00:00:00', '0000-00-00'), "
      "('2026-00-15 10:00:00', '2026-11-00')");
  absl::StatusOr<std::unique_ptr<Cursor>> cursor = Run("SELECT ts, d FROM z");
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  ASSERT_TRUE((*cursor)->Next().value());
  const absl::Status zero = (*cursor)->GetTimestamp(0).status();
  EXPECT_EQ(GetErrorKind(zero), ErrorKind::kDataError) << zero;
  EXPECT_THAT(std::string(zero.message()),
              AllOf(HasSubstr("column \"ts\""), HasSubstr("zero date")));
  EXPECT_EQ(GetErrorKind((*cursor)->GetValue(0).status()), ErrorKind::kDataError);
  EXPECT_THAT(std::string((*cursor)->GetDate(1).status().message()),
              AllOf(HasSubstr("column \"d\""), HasSubstr("0000-00-00")));
  ASSERT_TRUE((*cursor)->Next().value());
  EXPECT_EQ(GetErrorKind((*cursor)->GetTimestamp(0).status()), ErrorKind::kDataError);
  EXPECT_EQ(GetErrorKind((*cursor)->GetDate(1).status()), ErrorKind::kDataError);
}

TEST_F(MysqlDriverTest, JsonRoundTripsAndTheServerChecksIt) {
  const std::string document =
      "{\"name\": \"chlo\xc3\xa9 \xf0\x9f\x98\x80\", \"n\": [1, 2.5, null]}";
  std::unique_ptr<Cursor> cursor = RoundTrip("JSON", sql::JsonText{document});
  ASSERT_NE(cursor, nullptr);
  EXPECT_EQ(cursor->GetText(0).value(), document);
  EXPECT_EQ(Cli("SELECT JSON_VALID(v), JSON_VALUE(v, '$.n[1]'), JSON_LENGTH(v, '$.n') FROM "
                "round_trip"),
            "1\t2.5\t3");
  // MariaDB's JSON is LONGTEXT with a CHECK (JSON_VALID(v)).
  const absl::Status invalid =
      RunAll("INSERT INTO round_trip VALUES (?)", {sql::JsonText{"{nope"}});
  EXPECT_EQ(GetErrorKind(invalid), ErrorKind::kCheckViolation) << invalid;
  EXPECT_EQ(Details(invalid).constraint, "round_trip.v");
  std::unique_ptr<Cursor> built = Row("SELECT JSON_OBJECT('a', ?)", {1});
  ASSERT_NE(built, nullptr);
  EXPECT_EQ(built->GetText(0).value(), "{\"a\": 1}");
}

TEST_F(MysqlDriverTest, BooleansBitsEnumsAndUuids) {
  Exec(
      "CREATE TABLE misc (flag BOOLEAN, bits BIT(3), wide BIT(64), mood ENUM('sad', 'happy'), "
      "id CHAR(32), raw BINARY(16))");
  const sql::Uuid uuid = *sql::Uuid::Parse("123e4567-e89b-12d3-a456-426614174000");
  ASSERT_TRUE(RunAll("INSERT INTO misc VALUES (?, b'101', b'" + std::string(64, '1') +
                         "', ?, ?, UNHEX(REPLACE(?, '-', '')))",
                     {true, "happy", uuid, uuid.ToString()})
                  .ok());
  EXPECT_EQ(Cli("SELECT flag, bits + 0, mood, id, HEX(raw) FROM misc"),
            "1\t5\thappy\t123e4567e89b12d3a456426614174000\t123E4567E89B12D3A456426614174000");
  std::unique_ptr<Cursor> cursor = Row("SELECT flag, bits, wide, mood, id, raw FROM misc");
  ASSERT_NE(cursor, nullptr);
  EXPECT_TRUE(cursor->GetBool(0).value());
  EXPECT_EQ(cursor->GetValue(0).value(), Value(1));
  EXPECT_EQ(cursor->GetInt(1).value(), 5);
  EXPECT_EQ(cursor->GetBytes(1).value(), "\x05");
  EXPECT_EQ(GetErrorKind(cursor->GetBool(1).status()), ErrorKind::kDataError);
  EXPECT_EQ(cursor->GetValue(2).value(), Value(kUint64Max));
  EXPECT_EQ(GetErrorKind(cursor->GetInt(2).status()), ErrorKind::kDataError);
  EXPECT_EQ(cursor->GetText(3).value(), "happy");
  EXPECT_EQ(sql::Uuid::Parse(cursor->GetText(4).value()).value(), uuid);
  EXPECT_EQ(sql::Uuid::FromBytes(cursor->GetBytes(5).value()).value(), uuid);
  EXPECT_EQ(GetErrorKind(RunAll("INSERT INTO misc (mood) VALUES (?)", {"angry"})),
            ErrorKind::kDataError);
}

TEST_F(MysqlDriverTest, NullRoundTripsInEveryType) {
  for (const char* type : {"BIGINT", "BIGINT UNSIGNED", "DOUBLE", "FLOAT", "DECIMAL(10, 2)",
                           "VARCHAR(10)", "LONGTEXT", "BLOB", "DATETIME(6)", "TIMESTAMP(6) NULL",
                           "DATE", "TIME", "JSON", "BIT(8)", "BOOLEAN", "YEAR"}) {
    std::unique_ptr<Cursor> cursor = RoundTrip(type, Value());
    ASSERT_NE(cursor, nullptr);
    const absl::Status status = cursor->GetInt(0).status();
    EXPECT_THAT(std::string(status.message()), HasSubstr(kNullAdvice)) << type;
    EXPECT_THAT(std::string(status.message()), HasSubstr("column \"v\"")) << type;
  }
  EXPECT_TRUE(Scalar("SELECT NULL").is_null());
}

TEST_F(MysqlDriverTest, StrictGettersNameTheColumn) {
  std::unique_ptr<Cursor> cursor =
      Row("SELECT 'x' AS name, 42 AS answer, NOW() AS at, CAST(1.5 AS DECIMAL(3, 1)) AS price, "
          "CURDATE() AS today, X'00' AS raw");
  ASSERT_NE(cursor, nullptr);
  const absl::Status not_int = cursor->GetInt(0).status();
  EXPECT_EQ(not_int.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(not_int.message()), HasSubstr("column \"name\" holds VARCHAR"));
  EXPECT_THAT(std::string(cursor->GetText(1).status().message()),
              HasSubstr("column \"answer\" holds INT"));
  EXPECT_EQ(GetErrorKind(cursor->GetDate(2).status()), ErrorKind::kDataError);
  EXPECT_EQ(GetErrorKind(cursor->GetTimestamp(4).status()), ErrorKind::kDataError);
  EXPECT_EQ(GetErrorKind(cursor->GetText(5).status()), ErrorKind::kDataError);
  EXPECT_EQ(GetErrorKind(cursor->GetArray(1).status()), ErrorKind::kDataError);
  EXPECT_EQ(cursor->GetDouble(3).value(), 1.5);
  EXPECT_EQ(cursor->GetDouble(1).value(), 42.0);
  EXPECT_EQ(GetErrorKind(cursor->GetInt(7).status()), ErrorKind::kProgramming);
  EXPECT_EQ(cursor->column_count(), 6);
  EXPECT_EQ(cursor->column_name(3), "price");
  EXPECT_EQ(cursor->ColumnIndex("today").value(), 4);
  EXPECT_FALSE(cursor->Next().value());
  EXPECT_EQ(GetErrorKind(cursor->GetInt(1).status()), ErrorKind::kProgramming);
}

TEST_F(MysqlDriverTest, ArraysAndWrongValueCountsAreRefused) {
  const absl::Status array = RunAll("SELECT ?", {sql::Array{{Value(1), Value(2)}}});
  EXPECT_EQ(GetErrorKind(array), ErrorKind::kDataError) << array;
  EXPECT_THAT(std::string(array.message()), HasSubstr("no arrays"));
  const absl::Status few = RunAll("SELECT ? + ?", {1});
  EXPECT_EQ(GetErrorKind(few), ErrorKind::kProgramming) << few;
  EXPECT_THAT(std::string(few.message()), HasSubstr("2 placeholders but 1 values"));
  EXPECT_EQ(Scalar("SELECT ? + ?", {1, 2}), Value(3));
}

// ---- Errors ----------------------------------------------------------------------

class MysqlIntegrityTest : public MysqlDriverTest {
 protected:
  void SetUp() override {
    MysqlDriverTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Exec(
        "CREATE TABLE parent (id INT PRIMARY KEY, email VARCHAR(100), qty INT NOT NULL DEFAULT 1, "
        "UNIQUE KEY parent_email (email), CONSTRAINT qty_positive CHECK (qty > 0)); "
        "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, "
        "CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id)); "
        "INSERT INTO parent (id, email) VALUES (1, 'ada@example.com'); "
        "INSERT INTO child VALUES (1, 1)");
  }
};

TEST_F(MysqlIntegrityTest, UniqueViolationNamesTheKeyButNotTheValue) {
  const absl::Status status =
      RunAll("INSERT INTO parent (id, email) VALUES (?, ?)", {2, "ada@example.com"});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  const ErrorDetails details = Details(status);
  EXPECT_EQ(details.kind, ErrorKind::kUniqueViolation);
  EXPECT_EQ(details.constraint, "parent_email");
  EXPECT_EQ(details.sqlstate, "23000");
  EXPECT_EQ(details.sql, "INSERT INTO parent (id, email) VALUES (?, ?)");
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr("(MySQL error 1062)"), Not(HasSubstr("ada@example.com"))));
  EXPECT_TRUE(IsIntegrityViolation(status));
  const absl::Status primary = RunAll("INSERT INTO parent (id) VALUES (?)", {1});
  EXPECT_EQ(Details(primary).constraint, "PRIMARY") << primary;
}

TEST_F(MysqlIntegrityTest, ForeignKeyViolationsNameTheConstraint) {
  const absl::Status orphan = RunAll("INSERT INTO child VALUES (?, ?)", {2, 99});
  EXPECT_EQ(orphan.code(), absl::StatusCode::kFailedPrecondition) << orphan;
  EXPECT_EQ(Details(orphan).kind, ErrorKind::kForeignKeyViolation);
  EXPECT_EQ(Details(orphan).constraint, "child_parent");
  EXPECT_THAT(std::string(orphan.message()), HasSubstr("(MySQL error 1452)"));
  const absl::Status referenced = RunAll("DELETE FROM parent WHERE id = ?", {1});
  EXPECT_EQ(Details(referenced).kind, ErrorKind::kForeignKeyViolation) << referenced;
  EXPECT_EQ(Details(referenced).constraint, "child_parent");
  EXPECT_THAT(std::string(referenced.message()), HasSubstr("(MySQL error 1451)"));
}

TEST_F(MysqlIntegrityTest, NotNullAndCheckViolations) {
  const absl::Status null = RunAll("INSERT INTO parent (id, qty) VALUES (?, ?)", {3, Value()});
  EXPECT_EQ(Details(null).kind, ErrorKind::kNotNullViolation) << null;
  EXPECT_THAT(std::string(null.message()), HasSubstr("(MySQL error 1048)"));
  const absl::Status check = RunAll("INSERT INTO parent (id, qty) VALUES (?, ?)", {3, 0});
  EXPECT_EQ(Details(check).kind, ErrorKind::kCheckViolation) << check;
  EXPECT_EQ(Details(check).constraint, "qty_positive");
  EXPECT_EQ(Cli("SELECT COUNT(*) FROM parent"), "1");
}

TEST_F(MysqlIntegrityTest, DeadlocksAreRetryable) {
  Exec("INSERT INTO parent (id) VALUES (2)");
  std::unique_ptr<Connection> other = Open();
  ASSERT_NE(other, nullptr);
  Exec("BEGIN");
  ASSERT_TRUE(other->ExecuteScript("BEGIN").ok());
  ASSERT_TRUE(RunAll("UPDATE parent SET qty = 10 WHERE id = ?", {1}).ok());
  ASSERT_TRUE(RunAll(*other, "UPDATE parent SET qty = 20 WHERE id = ?", {2}).ok());
  // Each now waits for the other's row: InnoDB picks a victim at once.
  absl::Status waiting;
  std::thread first([&] { waiting = RunAll("UPDATE parent SET qty = 11 WHERE id = ?", {2}); });
  absl::SleepFor(absl::Milliseconds(200));
  const absl::Status second = RunAll(*other, "UPDATE parent SET qty = 21 WHERE id = ?", {1});
  first.join();
  const absl::Status& victim = waiting.ok() ? second : waiting;
  EXPECT_NE(waiting.ok(), second.ok()) << waiting << " / " << second;
  EXPECT_EQ(victim.code(), absl::StatusCode::kAborted) << victim;
  EXPECT_EQ(Details(victim).kind, ErrorKind::kSerializationFailure);
  EXPECT_EQ(Details(victim).sqlstate, "40001");
  EXPECT_THAT(std::string(victim.message()), HasSubstr("(MySQL error 1213)"));
  // The server rolled the victim's transaction back. An error packet says
  // nothing of the transaction: the next statement's answer does.
  Connection& loser = waiting.ok() ? *other : db();
  EXPECT_TRUE(RunAll(loser, "SELECT 1").ok());
  EXPECT_FALSE(loser.InTransaction());
  Exec("ROLLBACK");
  ASSERT_TRUE(other->ExecuteScript("ROLLBACK").ok());
}

TEST_F(MysqlIntegrityTest, LockWaitTimeoutKeepsTheTransaction) {
  std::unique_ptr<Connection> other = Open();
  ASSERT_NE(other, nullptr);
  Exec("BEGIN");
  ASSERT_TRUE(RunAll("UPDATE parent SET qty = 10 WHERE id = ?", {1}).ok());
  ASSERT_TRUE(other->ExecuteScript("SET SESSION innodb_lock_wait_timeout = 1; BEGIN").ok());
  const absl::Time start = absl::Now();
  const absl::Status status = RunAll(*other, "UPDATE parent SET qty = 20 WHERE id = ?", {1});
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(Details(status).kind, ErrorKind::kTimeout);
  EXPECT_THAT(std::string(status.message()), HasSubstr("(MySQL error 1205)"));
  // Only the statement was rolled back.
  EXPECT_TRUE(other->InTransaction());
  Exec("ROLLBACK");
}

TEST_F(MysqlDriverTest, SyntaxAndNameErrorsAreProgrammingErrors) {
  const absl::Status syntax = RunAll("SELEC 1");
  EXPECT_EQ(syntax.code(), absl::StatusCode::kInvalidArgument) << syntax;
  EXPECT_EQ(Details(syntax).kind, ErrorKind::kProgramming);
  EXPECT_EQ(Details(syntax).sqlstate, "42000");
  const absl::Status table = RunAll("SELECT * FROM no_such_table");
  EXPECT_EQ(Details(table).kind, ErrorKind::kProgramming) << table;
  EXPECT_EQ(Details(table).sqlstate, "42S02");
  const absl::Status column = RunAll("SELECT no_such_column");
  EXPECT_EQ(Details(column).kind, ErrorKind::kProgramming) << column;
  EXPECT_EQ(Details(column).sqlstate, "42S22");
  EXPECT_TRUE(db().Ping());
}

TEST_F(MysqlDriverTest, BadValuesAreDataErrors) {
  Exec("CREATE TABLE t (short VARCHAR(3), tiny TINYINT, n INT)");
  const absl::Status long_text = RunAll("INSERT INTO t (short) VALUES (?)", {"abcd"});
  EXPECT_EQ(Details(long_text).kind, ErrorKind::kDataError) << long_text;
  EXPECT_THAT(std::string(long_text.message()), HasSubstr("(MySQL error 1406)"));
  const absl::Status zero = RunAll("INSERT INTO t (n) VALUES (1 / ?)", {0});
  EXPECT_EQ(Details(zero).kind, ErrorKind::kDataError) << zero;
  EXPECT_THAT(std::string(zero.message()), HasSubstr("(MySQL error 1365)"));
  const absl::Status number = RunAll("INSERT INTO t (n) VALUES (?)", {"abc"});
  EXPECT_EQ(Details(number).kind, ErrorKind::kDataError) << number;
  EXPECT_EQ(Cli("SELECT COUNT(*) FROM t"), "0");
}

TEST_F(MysqlDriverTest, ConnectionAndPacketLimitsAreResourceExhaustion) {
  // A user limited to one connection; a second is refused (1226).
  Exec(
      absl::StrCat("CREATE USER 'limited'@'localhost' WITH MAX_USER_CONNECTIONS 1; "
                   "CREATE USER 'plain'@'localhost'; GRANT ALL ON `",
                   database().name(), "`.* TO 'limited'@'localhost', 'plain'@'localhost'"));
  std::unique_ptr<Connection> first = Open({.user = "limited"});
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<Connection>> second = OpenMysql(Options({.user = "limited"}));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted) << second.status();
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("(MySQL error 1226)"));
  first.reset();
  // The server full (1040): connections beyond max_connections (10 at
  // least) are refused to all but SUPER.
  Exec("SET GLOBAL max_connections = 10");
  std::vector<std::unique_ptr<Connection>> crowd;
  absl::Status full;
  for (int i = 0; i < 12 && full.ok(); ++i) {
    absl::StatusOr<std::unique_ptr<Connection>> one = OpenMysql(Options({.user = "plain"}));
    if (one.ok()) {
      crowd.push_back(*std::move(one));
    } else {
      full = one.status();
    }
  }
  crowd.clear();
  Exec("SET GLOBAL max_connections = 200");
  EXPECT_EQ(GetErrorKind(full), ErrorKind::kResourceExhausted) << full;
  EXPECT_THAT(std::string(full.message()), HasSubstr("(MySQL error 1040)"));
  // Values beyond the server's max_allowed_packet, which would make it
  // answer 1153 and hang up: refused before they are sent, and the
  // connection goes on.
  Exec("SET GLOBAL max_allowed_packet = 1048576");
  std::unique_ptr<Connection> small = Open();
  Exec(
      "SET GLOBAL max_allowed_packet = 67108864; "
      "DROP USER 'limited'@'localhost', 'plain'@'localhost'");
  ASSERT_NE(small, nullptr);
  const absl::Status packet =
      RunAll(*small, "SELECT LENGTH(?)", {sql::Blob{std::string(2 << 20, 'x')}});
  EXPECT_EQ(GetErrorKind(packet), ErrorKind::kResourceExhausted) << packet;
  EXPECT_THAT(std::string(packet.message()), HasSubstr("max_allowed_packet (1048576 bytes)"));
  EXPECT_EQ(Scalar(*small, "SELECT LENGTH(?)", {sql::Blob{std::string(1000, 'x')}}), Value(1000));
  EXPECT_FALSE(small->Broken());
}

TEST_F(MysqlDriverTest, StatementTimeoutStopsTheStatementAndTheConnectionGoesOn) {
  std::unique_ptr<Connection> limited = Open({.statement_timeout = absl::Milliseconds(200)});
  ASSERT_NE(limited, nullptr);
  EXPECT_EQ(Scalar(*limited, "SELECT @@max_statement_time"), Value(0.2));
  const absl::Time start = absl::Now();
  const absl::Status slow = RunAll(*limited, "SELECT SLEEP(?)", {5});
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(slow.code(), absl::StatusCode::kDeadlineExceeded) << slow;
  EXPECT_EQ(Details(slow).kind, ErrorKind::kTimeout);
  EXPECT_THAT(std::string(slow.message()), HasSubstr("(MySQL error 1969)"));
  EXPECT_EQ(Scalar(*limited, "SELECT 41 + ?", {1}), Value(42));
  EXPECT_TRUE(limited->Ping());
  EXPECT_FALSE(limited->Broken());
  const absl::StatusOr<std::unique_ptr<Connection>> negative =
      OpenMysql(Options({.statement_timeout = absl::Seconds(-1)}));
  EXPECT_EQ(GetErrorKind(negative.status()), ErrorKind::kProgramming);
}

// ---- Statement cache -------------------------------------------------------------

// The connection's own count of a status variable (Com_stmt_prepare, ...),
// as the server keeps it. The query itself is a cached statement.
int64_t SessionStatus(Connection& connection, absl::string_view name) {
  absl::StatusOr<std::unique_ptr<Cursor>> cursor = connection.Run(dialect::CompiledStatement{
      "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = ?",
      {Value(absl::AsciiStrToUpper(name))}});
  if (!cursor.ok() || !(*cursor)->Next().value_or(false)) {
    ADD_FAILURE() << "no status " << name;
    return -1;
  }
  int64_t value = -1;
  EXPECT_TRUE(absl::SimpleAtoi((*cursor)->GetText(0).value_or(""), &value));
  return value;
}

TEST_F(MysqlDriverTest, StatementCacheHitsMissesAndEvicts) {
  std::unique_ptr<Connection> connection = Open({.statement_cache_size = 3});
  ASSERT_NE(connection, nullptr);
  const int64_t prepared = SessionStatus(*connection, "Com_stmt_prepare");
  // Hits: one prepare, three executions.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Scalar(*connection, "SELECT ? + 1", {i}), Value(i + 1));
  EXPECT_EQ(SessionStatus(*connection, "Com_stmt_prepare") - prepared, 1);
  EXPECT_EQ(SessionStatus(*connection, "Com_stmt_execute"), 3 + 3);  // with the status queries
  // A third and fourth text evict the least recently used ("SELECT ? + 1").
  const int64_t closed = SessionStatus(*connection, "Com_stmt_close");
  EXPECT_EQ(Scalar(*connection, "SELECT ? + 2", {1}), Value(3));
  EXPECT_EQ(Scalar(*connection, "SELECT ? + 3", {1}), Value(4));
  EXPECT_EQ(SessionStatus(*connection, "Com_stmt_close") - closed, 1);
  const int64_t before_miss = SessionStatus(*connection, "Com_stmt_prepare");
  EXPECT_EQ(Scalar(*connection, "SELECT ? + 1", {1}), Value(2));
  EXPECT_EQ(SessionStatus(*connection, "Com_stmt_prepare") - before_miss, 1);

  // Without a cache every statement is prepared and closed again.
  std::unique_ptr<Connection> uncached = Open({.statement_cache_size = 0});
  ASSERT_NE(uncached, nullptr);
  const int64_t uncached_prepared = SessionStatus(*uncached, "Com_stmt_prepare");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Scalar(*uncached, "SELECT ? * 2", {i}), Value(2 * i));
  EXPECT_EQ(SessionStatus(*uncached, "Com_stmt_prepare") - uncached_prepared, 4);
  EXPECT_EQ(Cli("SELECT VARIABLE_VALUE <= 10 FROM information_schema.GLOBAL_STATUS WHERE "
                "VARIABLE_NAME = 'PREPARED_STMT_COUNT'"),
            "1");
}

TEST_F(MysqlDriverTest, TwoLiveCursorsOfOneStatementDoNotShareIt) {
  absl::StatusOr<std::unique_ptr<Cursor>> first = Run("SELECT ? AS v", {1});
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<Cursor>> second = Run("SELECT ? AS v", {2});
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE((*first)->Next().value());
  ASSERT_TRUE((*second)->Next().value());
  EXPECT_EQ((*first)->GetInt(0).value(), 1);
  EXPECT_EQ((*second)->GetInt(0).value(), 2);
}

TEST_F(MysqlDriverTest, SchemaChangesReachCachedStatements) {
  Exec("CREATE TABLE items (v INT); INSERT INTO items VALUES (7)");
  EXPECT_EQ(Scalar("SELECT * FROM items"), Value(7));
  ASSERT_TRUE(RunAll("INSERT INTO items (v) VALUES (?)", {8}).ok());
  const int64_t prepared = SessionStatus(db(), "Com_stmt_prepare");
  const int64_t reprepared = SessionStatus(db(), "Com_stmt_reprepare");
  // A new column: the cached SELECT * returns it.
  Exec("ALTER TABLE items ADD COLUMN w VARCHAR(10) NOT NULL DEFAULT 'new'");
  std::unique_ptr<Cursor> cursor = Row("SELECT * FROM items");
  ASSERT_NE(cursor, nullptr);
  ASSERT_EQ(cursor->column_count(), 2);
  EXPECT_EQ(cursor->column_name(1), "w");
  EXPECT_EQ(cursor->GetValue(1).value(), Value("new"));
  cursor.reset();
  // A column of another type reads as that type.
  Exec("ALTER TABLE items MODIFY v VARCHAR(20)");
  EXPECT_EQ(Scalar("SELECT * FROM items"), Value("7"));
  ASSERT_TRUE(RunAll("INSERT INTO items (v) VALUES (?)", {"nine"}).ok());
  // A table dropped and made anew with other columns.
  Exec(
      "DROP TABLE items; CREATE TABLE items (a DATE, b DOUBLE); "
      "INSERT INTO items VALUES ('2026-11-25', 2.5)");
  std::unique_ptr<Cursor> renewed = Row("SELECT * FROM items");
  ASSERT_NE(renewed, nullptr);
  EXPECT_EQ(renewed->GetValue(0).value(), Value(absl::CivilDay(2026, 11, 25)));
  EXPECT_EQ(renewed->GetValue(1).value(), Value(2.5));
  renewed.reset();
  // The server re-prepared the statements itself (its count of prepares
  // includes those); the driver prepared one anew: SELECT * when its
  // number of columns changed, which Connector/C refuses (2057).
  const int64_t by_server = SessionStatus(db(), "Com_stmt_reprepare") - reprepared;
  EXPECT_GE(by_server, 3);
  EXPECT_EQ(SessionStatus(db(), "Com_stmt_prepare") - prepared - by_server, 1);
  const absl::Status gone = RunAll("INSERT INTO items (v) VALUES (?)", {1});
  EXPECT_EQ(GetErrorKind(gone), ErrorKind::kProgramming) << gone;

  // A statement that writes and returns rows has run when Connector/C
  // refuses its new columns: it is reported, not run again.
  Exec("CREATE TABLE ret (id INT PRIMARY KEY AUTO_INCREMENT, v INT)");
  ASSERT_TRUE(RunAll("INSERT INTO ret (v) VALUES (?) RETURNING *", {1}).ok());
  Exec("ALTER TABLE ret ADD COLUMN w INT NOT NULL DEFAULT 5");
  const absl::Status changed = RunAll("INSERT INTO ret (v) VALUES (?) RETURNING *", {2});
  EXPECT_THAT(std::string(changed.message()), HasSubstr("the statement ran")) << changed;
  EXPECT_EQ(Cli("SELECT COUNT(*) FROM ret"), "2");
  std::unique_ptr<Cursor> returned = Row("INSERT INTO ret (v) VALUES (?) RETURNING *", {3});
  ASSERT_NE(returned, nullptr);
  EXPECT_EQ(returned->column_count(), 3);
  EXPECT_EQ(returned->GetInt(2).value(), 5);
  returned.reset();
  EXPECT_EQ(Cli("SELECT COUNT(*) FROM ret"), "3");
}

TEST_F(MysqlDriverTest, ServerLimitOnPreparedStatementsIsMetByClosingIdleOnes) {
  std::unique_ptr<Connection> connection = Open({.statement_cache_size = 1000});
  ASSERT_NE(connection, nullptr);
  Exec("SET GLOBAL max_prepared_stmt_count = 20");
  bool all_ok = true;
  for (int i = 0; i < 50 && all_ok; ++i) {
    const Value value = Scalar(*connection, absl::StrCat("SELECT ? + ", i), {1});
    all_ok = value == Value(1 + i);
  }
  Exec("SET GLOBAL max_prepared_stmt_count = 16382");
  EXPECT_TRUE(all_ok);
}

// ---- Streaming -------------------------------------------------------------------

TEST_F(MysqlDriverTest, StreamingReadsEveryRowAndGrowsItsBuffers) {
  Exec("SET SESSION max_recursive_iterations = 1000000");
  absl::StatusOr<std::unique_ptr<Cursor>> cursor =
      Run("WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
          "SELECT n, REPEAT('x', n % 1000) AS label FROM seq",
          {100000}, RunMode::kStreaming);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  int64_t rows = 0;
  int64_t sum = 0;
  bool labels_match = true;
  while (true) {
    absl::StatusOr<bool> more = (*cursor)->Next();
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    ++rows;
    const int64_t n = (*cursor)->GetInt(0).value();
    sum += n;
    labels_match =
        labels_match && (*cursor)->GetText(1).value().size() == static_cast<size_t>(n % 1000);
  }
  EXPECT_EQ(rows, 100000);
  EXPECT_EQ(sum, int64_t{100000} * 100001 / 2);
  EXPECT_TRUE(labels_match);
}

TEST_F(MysqlDriverTest, StreamingCursorOwnsTheConnectionUntilDestroyed) {
  Exec("SET SESSION max_recursive_iterations = 1000000");
  absl::StatusOr<std::unique_ptr<Cursor>> cursor =
      Run("WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 50000) "
          "SELECT n FROM seq",
          {}, RunMode::kStreaming);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  ASSERT_TRUE((*cursor)->Next().value());
  const absl::Status busy = RunAll("SELECT 1");
  EXPECT_EQ(GetErrorKind(busy), ErrorKind::kProgramming) << busy;
  EXPECT_FALSE(db().Ping());
  // Destroyed early: the rest is read and dropped.
  cursor->reset();
  EXPECT_EQ(Scalar("SELECT ? * 2", {21}), Value(42));
  EXPECT_TRUE(db().Ping());
}

TEST_F(MysqlDriverTest, StreamingReportsAnErrorAfterTheRowsBeforeIt) {
  absl::StatusOr<std::unique_ptr<Cursor>> cursor =
      Run("WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 5) "
          "SELECT n, IF(n < 4, n, (SELECT 1 UNION SELECT 2)) FROM seq",
          {}, RunMode::kStreaming);
  absl::Status error = cursor.status();
  int rows = 0;
  while (error.ok()) {
    absl::StatusOr<bool> more = (*cursor)->Next();
    if (!more.ok()) error = more.status();
    if (!more.ok() || !*more) break;
    ++rows;
  }
  EXPECT_FALSE(error.ok());
  EXPECT_THAT(std::string(error.message()), HasSubstr("(MySQL error 1242)"));
  EXPECT_LE(rows, 3);
  cursor = absl::StatusOr<std::unique_ptr<Cursor>>(nullptr);
  EXPECT_EQ(Scalar("SELECT 1"), Value(1));
}

// ---- Writes ----------------------------------------------------------------------

TEST_F(MysqlDriverTest, RowsAffectedCountsMatchedRows) {
  Exec("CREATE TABLE r (id INT PRIMARY KEY, v INT)");
  absl::StatusOr<std::unique_ptr<Cursor>> insert =
      Run("INSERT INTO r VALUES (1, 0), (2, 0), (3, ?)", {5});
  ASSERT_TRUE(insert.ok()) << insert.status();
  EXPECT_FALSE((*insert)->Next().value());
  EXPECT_EQ((*insert)->rows_affected(), 3);
  // Matched, not changed: the third row already holds 5.
  absl::StatusOr<std::unique_ptr<Cursor>> update = Run("UPDATE r SET v = ?", {5});
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ((*update)->rows_affected(), 3);
  absl::StatusOr<std::unique_ptr<Cursor>> remove = Run("DELETE FROM r WHERE id > ?", {1});
  ASSERT_TRUE(remove.ok()) << remove.status();
  EXPECT_EQ((*remove)->rows_affected(), 2);
  absl::StatusOr<std::unique_ptr<Cursor>> select = Run("SELECT * FROM r");
  ASSERT_TRUE(select.ok()) << select.status();
  while ((*select)->Next().value()) {
  }
  EXPECT_EQ((*select)->rows_affected(), 0);
}

// A statement with RETURNING that the server refuses after describing its
// rows (a CHECK, a duplicate key) left its cached handle waiting for rows
// that never come: the next execution of it waited forever.
TEST_F(MysqlDriverTest, AReturningStatementRefusedByTheServerRunsAgain) {
  Exec(
      "CREATE TABLE checked (id INT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(20) UNIQUE, "
      "CONSTRAINT body_not_empty CHECK (body <> ''))");
  Exec("INSERT INTO checked (body) VALUES ('taken')");
  const std::string insert = "INSERT INTO checked (body) VALUES (?) RETURNING body";
  struct Refusal {
    const char* body;
    ErrorKind kind;
  };
  int inserted = 0;
  for (const Refusal& refusal :
       {Refusal{"", ErrorKind::kCheckViolation}, Refusal{"taken", ErrorKind::kUniqueViolation}}) {
    for (const char* how : {"buffered", "streaming", "async"}) {
      SCOPED_TRACE(absl::StrCat(how, " '", refusal.body, "'"));
      auto run = [&](const std::string& body) -> absl::StatusOr<std::string> {
        absl::StatusOr<std::unique_ptr<Cursor>> cursor =
            std::string(how) == "async"
                ? SyncWait(db().async()->RunAsync(dialect::CompiledStatement{insert, {Value(body)}},
                                                  absl::InfiniteFuture()))
                : Run(insert, {body},
                      std::string(how) == "streaming" ? RunMode::kStreaming : RunMode::kBuffered);
        DUO_RETURN_IF_ERROR(cursor.status());
        DUO_ASSIGN_OR_RETURN(bool row, (*cursor)->Next());
        if (!row) return absl::InternalError("no row returned");
        DUO_ASSIGN_OR_RETURN(absl::string_view text, (*cursor)->GetText(0));
        return std::string(text);
      };
      absl::StatusOr<std::string> failed = run(refusal.body);
      EXPECT_EQ(GetErrorKind(failed.status()), refusal.kind) << failed.status();
      const std::string after = absl::StrCat(how, ++inserted);
      EXPECT_EQ(run(after).value_or("(failed)"), after);
    }
  }
  EXPECT_EQ(Cli("SELECT COUNT(*) FROM checked"), "7");
}

TEST_F(MysqlDriverTest, RunManyRebindsOneStatement) {
  Exec("CREATE TABLE many (id INT PRIMARY KEY, label VARCHAR(20))");
  const int64_t prepared = SessionStatus(db(), "Com_stmt_prepare");
  absl::StatusOr<int64_t> affected =
      db().RunMany(dialect::CompiledStatement{"INSERT INTO many VALUES (?, ?)", {Value(), Value()}},
                   1000, [](int64_t row, std::vector<Value>& params) {
                     params[0] = row;
                     params[1] = absl::StrCat("row ", row);
                     return absl::OkStatus();
                   });
  ASSERT_TRUE(affected.ok()) << affected.status();
  EXPECT_EQ(*affected, 1000);
  EXPECT_EQ(SessionStatus(db(), "Com_stmt_prepare") - prepared, 1);
  EXPECT_EQ(Cli("SELECT COUNT(*), SUM(id), MAX(label) FROM many"), "1000\t499500\trow 999");
  // The first failure stops it, with its row's number.
  absl::StatusOr<int64_t> failed =
      db().RunMany(dialect::CompiledStatement{"INSERT INTO many VALUES (?, 'again')", {Value()}},
                   10, [](int64_t row, std::vector<Value>& params) {
                     params[0] = 2000 + row - (row == 5 ? 2000 : 0);
                     return absl::OkStatus();
                   });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(GetErrorKind(failed.status()), ErrorKind::kUniqueViolation) << failed.status();
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("row 5: "));
  EXPECT_EQ(Cli("SELECT COUNT(*) FROM many WHERE label = 'again'"), "5");
}

// ---- The connection --------------------------------------------------------------

TEST_F(MysqlDriverTest, InterruptStopsASleepAndTheConnectionIsNotTrusted) {
  absl::Status status;
  const absl::Time start = absl::Now();
  std::thread interrupter([this] {
    absl::SleepFor(absl::Milliseconds(300));
    db().Interrupt();
  });
  status = RunAll("SELECT SLEEP(10)");
  interrupter.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kTimeout);
  EXPECT_THAT(std::string(status.message()), HasSubstr("(MySQL error 1317)"));
  EXPECT_TRUE(db().Broken());
}

TEST_F(MysqlDriverTest, SeverEndsABlockedCall) {
  const absl::Time start = absl::Now();
  std::thread severer([this] {
    absl::SleepFor(absl::Milliseconds(300));
    db().Sever();
  });
  const absl::Status status = RunAll("SELECT SLEEP(10)");
  severer.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kConnectionLost) << status;
  EXPECT_TRUE(db().Broken());
  EXPECT_FALSE(db().LooksAlive());
}

TEST_F(MysqlDriverTest, KilledConnectionsAreReportedLost) {
  std::unique_ptr<Connection> idle = Open();
  std::unique_ptr<Connection> busy = Open();
  ASSERT_NE(idle, nullptr);
  ASSERT_NE(busy, nullptr);
  const Value idle_id = Scalar(*idle, "SELECT CONNECTION_ID()");
  EXPECT_TRUE(idle->LooksAlive());
  Exec(absl::StrCat("KILL ", idle_id.as_int()));
  // KILL returns before the victim is gone.
  for (int i = 0; i < 100 && Cli(absl::StrCat("SELECT COUNT(*) FROM "
                                              "information_schema.PROCESSLIST WHERE ID = ",
                                              idle_id.as_int())) != "0";
       ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_FALSE(idle->LooksAlive());
  EXPECT_TRUE(idle->Broken());
  EXPECT_FALSE(idle->Ping());
  const absl::Status after = RunAll(*idle, "SELECT 1");
  EXPECT_EQ(after.code(), absl::StatusCode::kUnavailable) << after;
  EXPECT_EQ(GetErrorKind(after), ErrorKind::kConnectionLost);

  // Killed in the middle of a statement.
  const Value busy_id = Scalar(*busy, "SELECT CONNECTION_ID()");
  std::thread killer([&] {
    absl::SleepFor(absl::Milliseconds(300));
    EXPECT_EQ(Cli(absl::StrCat("KILL ", busy_id.as_int())), "");
  });
  const absl::Status killed = RunAll(*busy, "SELECT SLEEP(10)");
  killer.join();
  EXPECT_EQ(GetErrorKind(killed), ErrorKind::kConnectionLost) << killed;
  EXPECT_TRUE(busy->Broken());
  EXPECT_FALSE(busy->Ping());
  EXPECT_EQ(GetErrorKind(busy->ExecuteScript("SELECT 1")), ErrorKind::kConnectionLost);
  EXPECT_TRUE(db().LooksAlive());
  EXPECT_TRUE(db().Ping());
}

TEST_F(MysqlDriverTest, ServerRestartLosesConnections) {
  std::unique_ptr<Connection> connection = Open();
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(duo::testing::RestartMariadbServer().ok());
  EXPECT_FALSE(connection->LooksAlive());
  EXPECT_EQ(GetErrorKind(RunAll(*connection, "SELECT 1")), ErrorKind::kConnectionLost);
  std::unique_ptr<Connection> again = Open();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Scalar(*again, "SELECT 1"), Value(1));
  connection_ = std::move(again);
}

TEST_F(MysqlDriverTest, InTransactionFollowsTheServer) {
  Exec("CREATE TABLE tx (v INT PRIMARY KEY)");
  EXPECT_FALSE(db().InTransaction());
  ASSERT_TRUE(RunAll("BEGIN").ok());
  EXPECT_TRUE(db().InTransaction());
  ASSERT_TRUE(RunAll("INSERT INTO tx VALUES (?)", {1}).ok());
  EXPECT_FALSE(RunAll("INSERT INTO tx VALUES (?)", {1}).ok());
  EXPECT_TRUE(db().InTransaction()) << "a failed statement keeps the transaction";
  Exec("SAVEPOINT s; INSERT INTO tx VALUES (2); ROLLBACK TO SAVEPOINT s");
  EXPECT_TRUE(db().InTransaction());
  Exec("COMMIT");
  EXPECT_FALSE(db().InTransaction());
  EXPECT_EQ(Cli("SELECT GROUP_CONCAT(v) FROM tx"), "1");
  // DDL commits implicitly on this database.
  Exec("START TRANSACTION; INSERT INTO tx VALUES (3)");
  EXPECT_TRUE(db().InTransaction());
  Exec("CREATE TABLE tx2 (v INT)");
  EXPECT_FALSE(db().InTransaction());
  Exec("ROLLBACK");
  EXPECT_EQ(Cli("SELECT GROUP_CONCAT(v ORDER BY v) FROM tx"), "1,3");
  Exec("START TRANSACTION READ ONLY");
  EXPECT_TRUE(db().InTransaction());
  EXPECT_EQ(GetErrorKind(RunAll("INSERT INTO tx VALUES (4)")), ErrorKind::kOther);
  Exec("ROLLBACK");
}

TEST_F(MysqlDriverTest, ExecuteScriptRunsSeveralStatements) {
  Exec("CREATE TABLE a (x INT); INSERT INTO a VALUES (1), (2); SELECT * FROM a;");
  EXPECT_EQ(Cli("SELECT SUM(x) FROM a"), "3");
  Exec("");
  Exec("  -- nothing but a comment\n");
  Exec("DROP TABLE IF EXISTS not_there");  // a note, not an error
  const absl::Status failed = db().ExecuteScript(
      "INSERT INTO a VALUES (3); SELECT 1 FROM no_such; INSERT INTO a VALUES (4)");
  EXPECT_EQ(GetErrorKind(failed), ErrorKind::kProgramming) << failed;
  // Statements before the failing one stay done; those after it never ran.
  EXPECT_EQ(Cli("SELECT GROUP_CONCAT(x ORDER BY x) FROM a"), "1,2,3");
  EXPECT_TRUE(db().Ping());
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM a"), Value(3));
}

TEST_F(MysqlDriverTest, SessionSettings) {
  std::unique_ptr<Cursor> settings =
      Row("SELECT @@time_zone, @@sql_mode, @@character_set_client, @@character_set_results, "
          "@@character_set_connection, @@autocommit");
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->GetText(0).value(), "+00:00");
  EXPECT_EQ(settings->GetText(1).value(),
            "PIPES_AS_CONCAT,ANSI_QUOTES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION");
  EXPECT_EQ(settings->GetText(2).value(), "utf8mb4");
  EXPECT_EQ(settings->GetText(3).value(), "utf8mb4");
  EXPECT_EQ(settings->GetText(4).value(), "utf8mb4");
  EXPECT_EQ(settings->GetInt(5).value(), 1);
  settings.reset();
  EXPECT_EQ(db().dialect().name(), "mysql");
  std::unique_ptr<Connection> lenient = Open({.sql_mode = ""});
  ASSERT_NE(lenient, nullptr);
  EXPECT_EQ(Scalar(*lenient, "SELECT @@sql_mode = @@GLOBAL.sql_mode"), Value(1));
  const dialect::Dialect& other = db().dialect();
  std::unique_ptr<Connection> named = Open({.dialect = &other});
  ASSERT_NE(named, nullptr);
  EXPECT_EQ(&named->dialect(), &other);
}

TEST_F(MysqlDriverTest, ConnectFailures) {
  const absl::StatusOr<std::unique_ptr<Connection>> missing =
      OpenMysql({.unix_socket = "/nonexistent-duo-directory/mysqld.sock", .user = "root"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetErrorKind(missing.status()), ErrorKind::kConnectionLost);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("cannot connect to MySQL"));
  const absl::StatusOr<std::unique_ptr<Connection>> refused =
      OpenMysql(Options({.user = "nobody_here", .password = "wrong"}));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("(MySQL error 1045)"));
  const absl::StatusOr<std::unique_ptr<Connection>> no_database =
      OpenMysql(Options({.database = "no_such_database"}));
  ASSERT_FALSE(no_database.ok());
  EXPECT_THAT(std::string(no_database.status().message()), HasSubstr("(MySQL error 1049)"));
}

// ---- Non-blocking execution ------------------------------------------------------

TEST_F(MysqlDriverTest, OverlappingAsyncQueriesRunConcurrently) {
  std::unique_ptr<Connection> a = Open();
  std::unique_ptr<Connection> b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  // NOW(6) is the statement's start; SYSDATE(6), evaluated after the
  // SLEEP, its end.
  const dialect::CompiledStatement sleep{
      "SELECT UNIX_TIMESTAMP(NOW(6)) AS started, SLEEP(?) AS slept, "
      "UNIX_TIMESTAMP(SYSDATE(6)) AS ended",
      {Value(0.5)}};
  std::vector<Task<absl::StatusOr<std::unique_ptr<Cursor>>>> tasks;
  tasks.push_back(a->async()->RunAsync(sleep, absl::InfiniteFuture()));
  tasks.push_back(b->async()->RunAsync(sleep, absl::InfiniteFuture()));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<std::unique_ptr<Cursor>>> results =
      SyncWait(WhenAll(std::move(tasks)));
  const absl::Duration elapsed = absl::Now() - start;
  ASSERT_TRUE(results.ok()) << results.status();
  double last_start = 0;
  double first_end = 1e18;
  for (std::unique_ptr<Cursor>& cursor : *results) {
    ASSERT_TRUE(cursor->Next().value());
    last_start = std::max(last_start, cursor->GetDouble(0).value());
    first_end = std::min(first_end, cursor->GetDouble(2).value());
    EXPECT_EQ(cursor->GetInt(1).value(), 0);
  }
  // Both had started on the server before either finished.
  EXPECT_LT(last_start, first_end);
  // One after the other would take a second.
  EXPECT_LT(elapsed, absl::Milliseconds(900)) << elapsed;
}

TEST_F(MysqlDriverTest, AsyncRunsReadValuesAndReportErrors) {
  Exec("CREATE TABLE t (id INT PRIMARY KEY, label VARCHAR(20), at DATETIME(6))");
  AsyncConnection& async = *db().async();
  const absl::Time at = Utc(2026, 11, 25, 2, 30, 0, 42);
  const dialect::CompiledStatement insert{"INSERT INTO t VALUES (?, ?, ?)",
                                          {Value(1), Value("caf\xc3\xa9"), Value(at)}};
  absl::StatusOr<std::unique_ptr<Cursor>> inserted =
      SyncWait(async.RunAsync(insert, absl::InfiniteFuture()));
  ASSERT_TRUE(inserted.ok()) << inserted.status();
  EXPECT_EQ((*inserted)->rows_affected(), 1);
  const dialect::CompiledStatement select{"SELECT label, at FROM t WHERE id = ?", {Value(1)}};
  absl::StatusOr<std::unique_ptr<Cursor>> selected =
      SyncWait(async.RunAsync(select, absl::InfiniteFuture()));
  ASSERT_TRUE(selected.ok()) << selected.status();
  ASSERT_TRUE((*selected)->Next().value());
  EXPECT_EQ((*selected)->GetText(0).value(), "caf\xc3\xa9");
  EXPECT_EQ((*selected)->GetTimestamp(1).value(), at);
  selected->reset();
  absl::StatusOr<std::unique_ptr<Cursor>> duplicate =
      SyncWait(async.RunAsync(insert, absl::InfiniteFuture()));
  EXPECT_EQ(GetErrorKind(duplicate.status()), ErrorKind::kUniqueViolation) << duplicate.status();
  EXPECT_EQ(Details(duplicate.status()).constraint, "PRIMARY");

  // A batch runs in order; the first failure stops it.
  const std::vector<dialect::CompiledStatement> batch = {
      {"INSERT INTO t (id, label) VALUES (?, ?)", {Value(2), Value("two")}},
      {"SELECT COUNT(*) FROM t", {}},
      {"INSERT INTO t (id, label) VALUES (?, ?)", {Value(2), Value("again")}},
      {"INSERT INTO t (id, label) VALUES (?, ?)", {Value(3), Value("never")}}};
  absl::StatusOr<std::vector<std::unique_ptr<Cursor>>> failed =
      SyncWait(async.RunBatchAsync(batch, absl::InfiniteFuture()));
  EXPECT_EQ(GetErrorKind(failed.status()), ErrorKind::kUniqueViolation) << failed.status();
  EXPECT_EQ(Cli("SELECT GROUP_CONCAT(id ORDER BY id) FROM t"), "1,2");
  const std::vector<dialect::CompiledStatement> reads(batch.begin() + 1, batch.begin() + 2);
  absl::StatusOr<std::vector<std::unique_ptr<Cursor>>> cursors =
      SyncWait(async.RunBatchAsync({reads[0], reads[0], select}, absl::InfiniteFuture()));
  ASSERT_TRUE(cursors.ok()) << cursors.status();
  ASSERT_EQ(cursors->size(), 3u);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE((*cursors)[i]->Next().value());
    EXPECT_EQ((*cursors)[i]->GetInt(0).value(), 2);
  }
  ASSERT_TRUE((*cursors)[2]->Next().value());
  EXPECT_EQ((*cursors)[2]->GetText(0).value(), "caf\xc3\xa9");

  const absl::Status script = SyncWait(async.ExecuteScriptAsync(
      "INSERT INTO t (id) VALUES (10); INSERT INTO t (id) VALUES (11); SELECT 1",
      absl::InfiniteFuture()));
  EXPECT_TRUE(script.ok()) << script;
  const absl::Status bad_script = SyncWait(async.ExecuteScriptAsync(
      "INSERT INTO t (id) VALUES (12); INSERT INTO t (id) VALUES (12)", absl::InfiniteFuture()));
  EXPECT_EQ(GetErrorKind(bad_script), ErrorKind::kUniqueViolation) << bad_script;
  EXPECT_EQ(Cli("SELECT COUNT(*) FROM t"), "5");
  EXPECT_TRUE(db().Ping());
}

// BENCHMARK() killed returns 0 and its statement succeeds (SLEEP() may
// return 1 likewise): a success after the kill is the timeout too, never a
// made-up result.
TEST_F(MysqlDriverTest, AsyncDeadlineKillsTheStatementOnTheServer) {
  AsyncConnection& async = *db().async();
  for (const dialect::CompiledStatement& slow :
       {dialect::CompiledStatement{"SELECT SLEEP(?)", {Value(5)}},
        dialect::CompiledStatement{"SELECT BENCHMARK(?, SHA2('duo', 256))",
                                   {Value(int64_t{100000000000})}}}) {
    SCOPED_TRACE(slow.sql);
    const absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<Cursor>> cursor =
        SyncWait(async.RunAsync(slow, absl::Now() + absl::Milliseconds(200)));
    EXPECT_LT(absl::Now() - start, absl::Seconds(3));
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kDeadlineExceeded) << cursor.status();
    EXPECT_EQ(GetErrorKind(cursor.status()), ErrorKind::kTimeout);
    // Killed on the server, not merely abandoned; the connection goes on.
    EXPECT_FALSE(db().Broken());
    EXPECT_EQ(Cli("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT "
                  "SLEEP%' OR INFO LIKE 'SELECT BENCHMARK%'"),
              "0");
  }
  absl::StatusOr<std::unique_ptr<Cursor>> after = SyncWait(async.RunAsync(
      dialect::CompiledStatement{"SELECT ? + 1", {Value(41)}}, absl::Now() + absl::Seconds(10)));
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_TRUE((*after)->Next().value());
  EXPECT_EQ((*after)->GetInt(0).value(), 42);
}

// Whether the statement's task resumed on `loop`'s thread.
Task<absl::StatusOr<bool>> ResumesOn(AsyncConnection& async,
                                     const dialect::CompiledStatement& statement,
                                     async::EventLoop* loop) {
  DUO_CO_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> cursor,
                          co_await async.RunAsync(statement, absl::InfiniteFuture()));
  co_return async::EventLoop::OfCurrentThread() == loop;
}

TEST_F(MysqlDriverTest, WaitsOnTheConnectionsOwnEventLoop) {
  async::EventLoop loop;  // outlives the connections below
  const dialect::CompiledStatement statement{"SELECT SLEEP(?)", {Value(0.05)}};
  std::unique_ptr<Connection> connection = Open();
  ASSERT_NE(connection, nullptr);
  connection->set_event_loop(loop);
  EXPECT_EQ(SyncWait(ResumesOn(*connection->async(), statement, &loop)).value_or(false), true);
  const MysqlOptions options = Options();
  absl::StatusOr<std::unique_ptr<Connection>> opened =
      SyncWait(OpenMysqlAsync(options, absl::InfiniteFuture(), &loop));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(&(*opened)->event_loop(), &loop);
  EXPECT_EQ(SyncWait(ResumesOn(*(*opened)->async(), statement, &loop)).value_or(false), true);
  EXPECT_EQ(
      SyncWait(ResumesOn(*db().async(), statement, &async::EventLoop::Default())).value_or(false),
      true);
}

TEST_F(MysqlDriverTest, OpensWithoutBlocking) {
  const MysqlOptions options = Options();
  absl::StatusOr<std::unique_ptr<Connection>> opened =
      SyncWait(OpenMysqlAsync(options, absl::Now() + absl::Seconds(10)));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(Scalar(**opened, "SELECT DATABASE()"), Value(database().name()));
  EXPECT_EQ(Scalar(**opened, "SELECT @@time_zone"), Value("+00:00"));
  const MysqlOptions missing{.unix_socket = "/nonexistent-duo-directory/mysqld.sock",
                             .user = "root"};
  absl::StatusOr<std::unique_ptr<Connection>> failed = SyncWait(OpenMysqlAsync(missing));
  EXPECT_EQ(GetErrorKind(failed.status()), ErrorKind::kConnectionLost) << failed.status();
}

// ---- mysql:// and mariadb:// URLs (connector.cc) ----------------------------

// The fixture's URL, opened the way duo::Database opens it: the registered
// driver, the MySQL dialect, the URL's socket, user and database.
TEST_F(MysqlDriverTest, UrlsOpenThroughTheRegisteredDriver) {
  for (const std::string& url :
       {database().url(), absl::StrCat("mariadb", database().url().substr(5))}) {
    SCOPED_TRACE(url);
    absl::StatusOr<DatabaseUrl> parsed = DatabaseUrl::Parse(url);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->scheme, "mysql");
    absl::StatusOr<std::unique_ptr<Connector>> connector =
        OpenConnector(*parsed, {.statement_timeout = absl::Seconds(3)});
    ASSERT_TRUE(connector.ok()) << connector.status();
    EXPECT_EQ((*connector)->dialect().name(), "mysql");
    absl::StatusOr<std::unique_ptr<Connection>> connection = (*connector)->Connect();
    ASSERT_TRUE(connection.ok()) << connection.status();
    EXPECT_EQ(Scalar(**connection, "SELECT DATABASE()"), Value(database().name()));
    // ConnectOptions::statement_timeout is MariaDB's max_statement_time.
    EXPECT_EQ(Scalar(**connection, "SELECT @@max_statement_time"), Value(3.0));
  }
  // URL options win over ConnectOptions.
  absl::StatusOr<std::unique_ptr<Connector>> tuned = OpenConnector(
      *DatabaseUrl::Parse(database().url() + "&statement_timeout_ms=1500&charset=utf8mb4"),
      {.statement_timeout = absl::Seconds(3)});
  ASSERT_TRUE(tuned.ok()) << tuned.status();
  absl::StatusOr<std::unique_ptr<Connection>> connection = (*tuned)->Connect();
  ASSERT_TRUE(connection.ok()) << connection.status();
  EXPECT_EQ(Scalar(**connection, "SELECT @@max_statement_time"), Value(1.5));
}

TEST_F(MysqlDriverTest, UrlOptionsAreCheckedAndErrorsMaskThePassword) {
  const auto open = [](const std::string& url) {
    absl::StatusOr<DatabaseUrl> parsed = DatabaseUrl::Parse(url);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return OpenConnector(*parsed, {}).status();
  };
  const absl::Status unknown = open("mysql://app@db/shop?colour=red");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("\"colour\""));
  const absl::Status timeout = open("mysql://app@db/shop?connect_timeout=soon");
  EXPECT_EQ(timeout.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(timeout.message()),
              AllOf(HasSubstr("\"connect_timeout\""), HasSubstr("seconds")));

  // A server that is not there: Unavailable, naming the URL without its
  // password.
  absl::StatusOr<std::unique_ptr<Connector>> nowhere = OpenConnector(
      *DatabaseUrl::Parse("mysql://app:s3cr3t@localhost/shop?unix_socket=/nonexistent/"
                          "mysqld.sock&connect_timeout=2"),
      {});
  ASSERT_TRUE(nowhere.ok()) << nowhere.status();
  const absl::Status refused = (*nowhere)->Connect().status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_THAT(std::string(refused.message()),
              AllOf(HasSubstr("mysql://app:***@localhost/shop"), Not(HasSubstr("s3cr3t"))));
  EXPECT_EQ(GetErrorKind(refused), ErrorKind::kConnectionLost);
}

}  // namespace
}  // namespace duo::engine
