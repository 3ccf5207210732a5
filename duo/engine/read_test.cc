// FromValue: the conversions every typed read shares. Reads from live
// cursors are tested with each driver.

#include "duo/engine/read.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "duo/engine/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace duo::engine {

enum class Status { kPending, kShipped };
enum class Priority { kLow = 1, kHigh = 10 };

}  // namespace duo::engine

template <>
struct duo::sql::EnumTraits<duo::engine::Status> {
  static constexpr EnumStorage kStorage = EnumStorage::kText;
  static constexpr std::pair<duo::engine::Status, std::string_view> kNames[] = {
      {duo::engine::Status::kPending, "pending"}, {duo::engine::Status::kShipped, "shipped"}};
};

template <>
struct duo::sql::EnumTraits<duo::engine::Priority> {
  static constexpr EnumStorage kStorage = EnumStorage::kInteger;
  static constexpr std::pair<duo::engine::Priority, std::string_view> kNames[] = {
      {duo::engine::Priority::kLow, "low"}, {duo::engine::Priority::kHigh, "high"}};
};

namespace duo::engine {
namespace {

using sql::Value;

TEST(FromValueTest, IntegersAreRangeChecked) {
  EXPECT_EQ(*FromValue<int32_t>(Value(int64_t{2147483647}), "n"), 2147483647);
  absl::StatusOr<int32_t> too_big = FromValue<int32_t>(Value(int64_t{2147483648}), "n");
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(too_big.status().message(),
            "column \"n\" holds 2147483648, which does not fit in int32_t");
  EXPECT_EQ(FromValue<uint8_t>(Value(-1), "n").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*FromValue<int16_t>(Value(-32768), "n"), -32768);
}

TEST(FromValueTest, NullNeedsAnOptional) {
  EXPECT_EQ(*FromValue<std::optional<std::string>>(Value(), "note"), std::nullopt);
  absl::StatusOr<std::string> text = FromValue<std::string>(Value(), "note");
  EXPECT_EQ(GetErrorKind(text.status()), ErrorKind::kDataError);
  EXPECT_NE(text.status().message().find("\"note\" is NULL"), std::string::npos);
}

TEST(FromValueTest, WrongKindsNameTheColumn) {
  absl::StatusOr<int64_t> n = FromValue<int64_t>(Value("12"), "total");
  EXPECT_EQ(n.status().message(), "column \"total\" holds text, not an integer");
  EXPECT_FALSE(FromValue<bool>(Value(2), "flag").ok());
  EXPECT_TRUE(*FromValue<bool>(Value(1), "flag"));
}

TEST(FromValueTest, ArraysJsonAndDecimals) {
  EXPECT_EQ(*FromValue<std::vector<int>>(Value(sql::Array{{1, 2, 3}}), "a"),
            (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(FromValue<std::vector<int>>(Value(sql::Array{{1, "x"}}), "a").ok());
  EXPECT_EQ((*FromValue<nlohmann::json>(Value(sql::JsonText{"{\"k\": [1]}"}), "j"))["k"][0], 1);
  EXPECT_FALSE(FromValue<nlohmann::json>(Value(sql::JsonText{"{"}), "j").ok());
  EXPECT_EQ(FromValue<sql::Decimal>(Value("12.50"), "d")->digits(), "12.50");
  EXPECT_EQ(FromValue<sql::Decimal>(Value(7), "d")->digits(), "7");
}

TEST(FromValueTest, DeclaredEnumsReadByNameOrNumber) {
  EXPECT_EQ(*FromValue<Status>(Value("shipped"), "status"), Status::kShipped);
  EXPECT_EQ(*FromValue<Priority>(Value(10), "priority"), Priority::kHigh);
  absl::StatusOr<Status> unknown = FromValue<Status>(Value("lost"), "status");
  EXPECT_EQ(unknown.status().message(),
            "column \"status\" holds 'lost', which no enumerator is declared with");
  EXPECT_FALSE(FromValue<Priority>(Value(3), "priority").ok());
  EXPECT_EQ(Value(Status::kPending), Value("pending"));
  EXPECT_EQ(Value(Priority::kHigh), Value(10));
}

TEST(FromValueTest, TimestampsAndDatesFromText) {
  EXPECT_EQ(*FromValue<absl::Time>(Value("2026-11-25T02:30:00.123456Z"), "t"),
            absl::FromUnixMicros(1'795'573'800'123'456));
  EXPECT_EQ(*FromValue<absl::Time>(Value("2026-11-25 02:30:00Z"), "t"),
            absl::FromUnixSeconds(1'795'573'800));
  EXPECT_EQ(*FromValue<absl::CivilDay>(Value("1999-12-31"), "d"), absl::CivilDay(1999, 12, 31));
  EXPECT_EQ(GetErrorKind(FromValue<absl::Time>(Value("yesterday"), "t").status()),
            ErrorKind::kDataError);
}

// What sql::Value carries for an unsigned 64-bit number beyond int64_t
// (its digits) reads back exactly, or is OutOfRange naming the column.
TEST(FromValueTest, WideUnsignedRoundTripsOrIsOutOfRange) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  absl::StatusOr<uint64_t> back = FromValue<uint64_t>(sql::Value(max), "counter");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, max);
  const absl::Status narrow = FromValue<int64_t>(sql::Value(max), "counter").status();
  EXPECT_EQ(narrow.code(), absl::StatusCode::kOutOfRange) << narrow;
  EXPECT_NE(narrow.message().find("counter"), absl::string_view::npos);
  EXPECT_EQ(FromValue<uint32_t>(sql::Value(max), "c").status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*FromValue<int64_t>(sql::Value(*sql::Decimal::Parse("-42.000")), "c"), -42);
  EXPECT_FALSE(FromValue<int64_t>(sql::Value(*sql::Decimal::Parse("1.5")), "c").ok());
  EXPECT_FALSE(FromValue<uint64_t>(sql::Value(*sql::Decimal::Parse("-1")), "c").ok());
}

TEST(FromValueTest, FloatOverflowAndUnderflowAreOutOfRange) {
  for (double bad : {1e300, -1e300, 1e-300, -1e-300, 3.5e38}) {
    const absl::Status status = FromValue<float>(sql::Value(bad), "level").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange) << bad << ": " << status;
    EXPECT_NE(status.message().find("level"), absl::string_view::npos);
  }
  // Precision rounds; the specials and the subnormals stay what they are.
  EXPECT_EQ(*FromValue<float>(sql::Value(0.1), "level"), 0.1f);
  EXPECT_EQ(*FromValue<float>(sql::Value(1e-40), "level"), static_cast<float>(1e-40));
  EXPECT_EQ(*FromValue<float>(sql::Value(0.0), "level"), 0.0f);
  EXPECT_TRUE(std::isinf(*FromValue<float>(sql::Value(HUGE_VAL), "level")));
  EXPECT_TRUE(std::isnan(*FromValue<float>(sql::Value(NAN), "level")));
  EXPECT_EQ(*FromValue<double>(sql::Value(1e300), "value"), 1e300);
}

TEST(ParseJsonTest, IntegersBeyond64BitsAreRefusedUnlessTheDoubleWritesBackTheSame) {
  // Used to come back as the double 1.1805916207174113e+21: another number.
  for (const char* text : {"1180591620717411303424", "[1, 18446744073709551616]",
                           "{\"n\": -9223372036854775809}", "1180591620717411303425"}) {
    absl::StatusOr<nlohmann::json> parsed = ParseJson(text, "doc");
    EXPECT_EQ(GetErrorKind(parsed.status()), ErrorKind::kDataError) << text;
    EXPECT_THAT(std::string(parsed.status().message()),
                ::testing::HasSubstr("column \"doc\" holds the integer"))
        << text;
  }
  // What jsonb makes of 1e300: the double 1e300 writes back as that number.
  absl::StatusOr<nlohmann::json> normalized =
      ParseJson(absl::StrCat("1", std::string(300, '0')), "doc");
  ASSERT_TRUE(normalized.ok()) << normalized.status();
  EXPECT_EQ(*normalized, nlohmann::json(1e300));
  EXPECT_EQ(*ParseJson("-1" + std::string(300, '0'), "doc"), nlohmann::json(-1e300));
  // 64-bit integers stay integers; decimals read as the nearest double.
  EXPECT_EQ(ParseJson("18446744073709551615", "doc")->get<uint64_t>(),
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(ParseJson("-9223372036854775808", "doc")->get<int64_t>(),
            std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(std::signbit(ParseJson("-0.0", "doc")->get<double>()));
  EXPECT_EQ(*ParseJson("[0.1, 1e300, \"\u00e9\"]", "doc"),
            nlohmann::json::parse("[0.1, 1e300, \"\u00e9\"]"));
  // Text that is not JSON, or that overflows a double, is still an error.
  EXPECT_EQ(GetErrorKind(ParseJson("[1", "doc").status()), ErrorKind::kDataError);
  EXPECT_EQ(GetErrorKind(ParseJson("1e400", "doc").status()), ErrorKind::kDataError);
  EXPECT_EQ(GetErrorKind(ParseJson("1" + std::string(400, '0'), "doc").status()),
            ErrorKind::kDataError);
}

TEST(FromValueTest, JsonNullIsNoValueForOptionalsAndTheDocumentNullOtherwise) {
  const Value json_null(sql::JsonText{"null"});
  EXPECT_EQ(*FromValue<std::optional<nlohmann::json>>(json_null, "doc"), std::nullopt);
  EXPECT_EQ(*FromValue<std::optional<nlohmann::json>>(Value("  null "), "doc"), std::nullopt);
  EXPECT_EQ(*FromValue<nlohmann::json>(json_null, "doc"), nlohmann::json(nullptr));
  EXPECT_EQ(*FromValue<std::optional<std::vector<int64_t>>>(Value("null"), "tags"), std::nullopt);
  EXPECT_EQ(**FromValue<std::optional<nlohmann::json>>(Value(sql::JsonText{"[null]"}), "doc"),
            nlohmann::json::parse("[null]"));
}

TEST(FromValueTest, NumbersAreJsonNumbers) {
  // SQLite keeps the documents 42 and 3.5 as numbers in a NUMERIC column.
  EXPECT_EQ(*FromValue<nlohmann::json>(Value(42), "doc"), nlohmann::json(42));
  EXPECT_EQ(*FromValue<nlohmann::json>(Value(3.5), "doc"), nlohmann::json(3.5));
  EXPECT_EQ(
      GetErrorKind(FromValue<nlohmann::json>(Value(std::numeric_limits<double>::infinity()), "doc")
                       .status()),
      ErrorKind::kDataError);
}

TEST(CheckJsonTest, RefusesDepthNonFiniteNumbersAndInvalidUtf8) {
  nlohmann::json deep = 1;
  for (int i = 0; i < kMaxJsonDepth; ++i) deep = nlohmann::json::array({std::move(deep)});
  EXPECT_TRUE(CheckJson(deep, "doc").ok());
  deep = nlohmann::json::object({{"k", std::move(deep)}});
  const absl::Status too_deep = CheckJson(deep, "doc");
  EXPECT_EQ(too_deep.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_deep.message().find("doc"), absl::string_view::npos);
  EXPECT_EQ(CheckJson({{"x", {1, NAN}}}, "doc").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckJson(-HUGE_VAL, "doc").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckJson({{"x", "\xff"}}, "doc").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckJson({{"\xed\xa0\x80", 1}}, "doc").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckJson({{"caf\xc3\xa9", {1.5, "\xf0\x9f\x98\x80", nullptr}}}, "doc").ok());
}

TEST(IsValidUtf8Test, AcceptsUtf8Only) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong, three bytes
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xf8\x88\x80\x80\x80"));
}

}  // namespace
}  // namespace duo::engine
