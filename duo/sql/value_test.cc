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
      Value(),
      Value(true),
      Value(1),
      Value(2.5),
      Value("a"),
      Value(Blob{"a"}),
      Value(absl::FromUnixSeconds(5)),
      Value(absl::CivilDay(2020, 1, 1)),
      Value(*Decimal::Parse("1.10")),
      Value(JsonText{"[1]"}),
      Value(Array{{1, 2}}),
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

TEST(UuidTest, ParsesEveryFormOtherClientsWriteAndPrintsCanonically) {
  const absl::StatusOr<Uuid> dashed = Uuid::Parse("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11");
  ASSERT_TRUE(dashed.ok()) << dashed.status();
  EXPECT_EQ(dashed->ToString(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(dashed->ToHex(), "a0eebc999c0b4ef8bb6d6bb9bd380a11");
  EXPECT_EQ(*Uuid::Parse("a0eebc999c0b4ef8bb6d6bb9bd380a11"), *dashed);
  EXPECT_EQ(*Uuid::Parse("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"), *dashed);
  EXPECT_EQ(Uuid().ToString(), "00000000-0000-0000-0000-000000000000");
  for (const char* bad :
       {"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b4-ef8-bb6d-6bb9bd380a11",
        "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}"}) {
    EXPECT_FALSE(Uuid::Parse(bad).ok()) << bad;
  }
  EXPECT_LT(*Uuid::Parse("00000000-0000-0000-0000-000000000001"), *dashed);
  EXPECT_TRUE(absl::VerifyTypeImplementsAbslHashCorrectly({Uuid(), *dashed}));
  EXPECT_EQ(Value(*dashed).kind(), Value::Kind::kUuid);
  EXPECT_EQ(Value(*dashed).DebugString(), "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'");
}

TEST(TimeOfDayTest, ParsesAndPrintsSixDigitsUpToTheEndOfTheDay) {
  EXPECT_EQ(TimeOfDay::Parse("09:30")->ToString(), "09:30:00.000000");
  EXPECT_EQ(TimeOfDay::Parse("23:59:59.999999")->ToString(), "23:59:59.999999");
  EXPECT_EQ(TimeOfDay::Parse("12:34:56.5")->micros(),
            ((12 * 60 + 34) * 60 + 56) * 1000000LL + 500000);
  EXPECT_EQ(TimeOfDay::Parse("24:00")->micros(), TimeOfDay::kMicrosPerDay);
  for (const char* bad : {"", "9:30", "24:00:01", "12:60", "12:00:60", "12:00:00.",
                          "12:00:00.1234567", "12:00:00Z"}) {
    EXPECT_FALSE(TimeOfDay::Parse(bad).ok()) << bad;
  }
  EXPECT_FALSE(TimeOfDay::FromMicros(-1).ok());
  EXPECT_LT(*TimeOfDay::Parse("09:30"), *TimeOfDay::Parse("10:00"));
}

TEST(IntervalTest, StoredAsSqlalchemysEpochOffset) {
  EXPECT_EQ(*IntervalToEpochText(absl::ZeroDuration()), "1970-01-01 00:00:00.000000");
  EXPECT_EQ(*IntervalToEpochText(absl::Hours(27)), "1970-01-02 03:00:00.000000");
  EXPECT_EQ(*IntervalToEpochText(-absl::Seconds(1)), "1969-12-31 23:59:59.000000");
  EXPECT_EQ(*IntervalToEpochText(-absl::Microseconds(1)), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(*IntervalFromEpochText("1969-12-31 23:59:59.999999"), -absl::Microseconds(1));
  EXPECT_EQ(*IntervalFromEpochText("1970-01-02T03:00:00"), absl::Hours(27));
  EXPECT_FALSE(IntervalToEpochText(absl::InfiniteDuration()).ok());
  EXPECT_FALSE(IntervalToEpochText(absl::Hours(24 * 365 * 9000)).ok());
  EXPECT_FALSE(IntervalFromEpochText("26:00:00").ok());
}

}  // namespace
}  // namespace duo::sql
