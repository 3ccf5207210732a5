// FromValue: the conversions every typed read shares. Reads from live
// cursors are tested with each driver.

#include "duo/engine/read.h"

#include <optional>
#include <string>
#include <vector>

#include "duo/engine/error.h"
#include "gtest/gtest.h"

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

}  // namespace
}  // namespace duo::engine
