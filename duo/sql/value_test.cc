#include "duo/sql/value.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/hash/hash_testing.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace duo::sql {
namespace {

TEST(ValueTest, KindsFollowTheCppType) {
  EXPECT_EQ(Value().kind(), Value::Kind::kNull);
  EXPECT_EQ(Value(std::nullopt).kind(), Value::Kind::kNull);
  EXPECT_EQ(Value(std::optional<int>()).kind(), Value::Kind::kNull);
  EXPECT_EQ(Value(std::optional<int>(3)).kind(), Value::Kind::kInt);
  EXPECT_EQ(Value(true).kind(), Value::Kind::kBool);
  EXPECT_EQ(Value(uint16_t{7}).kind(), Value::Kind::kInt);
  EXPECT_EQ(Value(1.5f).kind(), Value::Kind::kDouble);
  EXPECT_EQ(Value("text").kind(), Value::Kind::kText);
  EXPECT_EQ(Value(Blob{"\x01"}).kind(), Value::Kind::kBlob);
  EXPECT_EQ(Value(absl::UnixEpoch()).kind(), Value::Kind::kTimestamp);
  EXPECT_EQ(Value(absl::CivilDay(2026, 11, 25)).kind(), Value::Kind::kDate);
  EXPECT_EQ(Value(JsonText{"{}"}).kind(), Value::Kind::kJson);
  EXPECT_EQ(Value(Array{{1, 2}}).kind(), Value::Kind::kArray);
}

TEST(ValueTest, EqualityComparesKindAndContent) {
  EXPECT_EQ(Value(1), Value(int64_t{1}));
  EXPECT_NE(Value(1), Value(1.0));
  EXPECT_NE(Value("1"), Value(1));
  EXPECT_EQ(Value(Array{{1, "a"}}), Value(Array{{1, "a"}}));
  EXPECT_NE(Value(Array{{1, "a"}}), Value(Array{{1, "b"}}));
  EXPECT_NE(Value("x"), Value(JsonText{"x"}));
}

TEST(ValueTest, HashIsConsistentWithEquality) {
  EXPECT_TRUE(absl::VerifyTypeImplementsAbslHashCorrectly({
      Value(), Value(true), Value(1), Value(2.5), Value("a"), Value(Blob{"a"}),
      Value(absl::FromUnixSeconds(5)), Value(absl::CivilDay(2020, 1, 1)),
      Value(*Decimal::Parse("1.10")), Value(JsonText{"[1]"}), Value(Array{{1, 2}}),
  }));
}

TEST(ValueTest, DebugStringLooksLikeALiteral) {
  EXPECT_EQ(Value().DebugString(), "NULL");
  EXPECT_EQ(Value("it's").DebugString(), "'it''s'");
  EXPECT_EQ(Value(Blob{std::string("\x00\xff", 2)}).DebugString(), "X'00ff'");
  EXPECT_EQ(Value(absl::FromUnixMicros(1'764'037'800'123'456)).DebugString(),
            "'2025-11-25T02:30:00.123456Z'");
  EXPECT_EQ(Value(absl::CivilDay(2026, 11, 25)).DebugString(), "'2026-11-25'");
  EXPECT_EQ(Value(*Decimal::Parse("-12.50")).DebugString(), "-12.50");
  EXPECT_EQ(Value(Array{{1, "a"}}).DebugString(), "ARRAY[1, 'a']");
}

TEST(DecimalTest, ParseKeepsDigitsExactly) {
  EXPECT_EQ(Decimal::Parse("123456789012345678901234.5678")->digits(),
            "123456789012345678901234.5678");
  EXPECT_EQ(Decimal::Parse("+0.10")->digits(), "0.10");
  EXPECT_EQ(Decimal::Parse("-7")->digits(), "-7");
  for (const char* bad : {"", "-", "1.", ".5", "1e5", "1,5", "12a", " 1"}) {
    EXPECT_EQ(Decimal::Parse(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}


TEST(ValueTest, AssigningNumbersAndTextReplacesTheKind) {
  Value value = Value(Array{{Value(1)}});
  value = 7;
  EXPECT_EQ(value.kind(), Value::Kind::kInt);
  EXPECT_EQ(value.as_int(), 7);
  value = 2.5f;
  EXPECT_EQ(value.kind(), Value::Kind::kDouble);
  EXPECT_EQ(value.as_double(), 2.5);
  value = std::string(32, 'x');
  EXPECT_EQ(value.as_text(), std::string(32, 'x'));
  value = "short";
  EXPECT_EQ(value.as_text(), "short");
  value = absl::string_view("view");
  EXPECT_EQ(value.as_text(), "view");
  value = uint16_t{65535};
  EXPECT_EQ(value.as_int(), 65535);
  value = true;  // not a number: through Value(bool)
  EXPECT_EQ(value.kind(), Value::Kind::kBool);
  value = std::nullopt;
  EXPECT_TRUE(value.is_null());
}

// An unsigned 64-bit number beyond int64_t is carried exactly, as a
// decimal, never wrapped to a negative integer; what does not fit a column
// is then an error where the column is known.
TEST(ValueTest, UnsignedBeyondInt64IsExactNotWrapped) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  const Value from_max(max);
  ASSERT_EQ(from_max.kind(), Value::Kind::kDecimal);
  EXPECT_EQ(from_max.as_decimal().digits(), "18446744073709551615");
  const Value first_beyond(uint64_t{1} << 63);
  ASSERT_EQ(first_beyond.kind(), Value::Kind::kDecimal);
  EXPECT_EQ(first_beyond.as_decimal().digits(), "9223372036854775808");
  // What fits int64_t stays an integer.
  const Value fits(uint64_t{std::numeric_limits<int64_t>::max()});
  ASSERT_EQ(fits.kind(), Value::Kind::kInt);
  EXPECT_EQ(fits.as_int(), std::numeric_limits<int64_t>::max());
  Value assigned;
  assigned = max;
  EXPECT_EQ(assigned, from_max);
  assigned = uint64_t{5};
  EXPECT_EQ(assigned, Value(5));
  EXPECT_EQ(Value(std::optional<uint64_t>(max)), from_max);
  EXPECT_EQ(Decimal::FromUnsigned(max).digits(), "18446744073709551615");
}

}  // namespace
}  // namespace duo::sql
