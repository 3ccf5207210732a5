// The PostgreSQL binary codec against hand-written byte fixtures: the
// independent oracle for what the server sends (result fields in binary
// format) and what the driver binds (parameters). Every byte string below
// is written from PostgreSQL's send/recv functions, never produced by the
// codec itself:
//   int2/int4/int8/oid   big-endian two's complement (int2send, ...)
//   float4/float8        big-endian IEEE 754 (float4send, float8send)
//   bool                 one byte, 0 or 1 (boolsend)
//   numeric              int16 ndigits, int16 weight (power of 10000 of the
//                        first digit), uint16 sign (0x0000 +, 0x4000 -,
//                        0xC000 NaN, 0xD000 +Inf, 0xF000 -Inf), int16 dscale,
//                        then ndigits base-10000 int16 digits (numeric_send)
//   timestamp(tz)        int64 microseconds since 2000-01-01 00:00 UTC,
//                        INT64_MAX/INT64_MIN for +/-infinity
//   date                 int32 days since 2000-01-01, INT32_MAX/MIN infinity
//   time                 int64 microseconds since midnight
//   timetz               int64 microseconds, int32 zone in seconds west of UTC
//   interval             int64 microseconds, int32 days, int32 months
//   uuid                 16 bytes; bytea/text/json as they are
//   jsonb                a version byte (1), then the document's text
//   arrays               int32 ndim, int32 has-nulls flag, uint32 element oid,
//                        per dimension int32 length and int32 lower bound, then
//                        per element int32 length (-1 NULL) and its bytes
//   inet/cidr            family (2 IPv4, 3 IPv6), bits, is_cidr, length, address

#include "duo/engine/postgres/codec.h"

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "duo/sql/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status.h"

namespace duo::engine::postgres_internal {
namespace {

using ::testing::HasSubstr;

// The bytes given as numbers 0-255.
std::string B(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

absl::Time At2000() {
  return absl::FromCivil(absl::CivilSecond(2000, 1, 1, 0, 0, 0), absl::UTCTimeZone());
}

// ---- Integers -----------------------------------------------------------------

TEST(CodecDecodeTest, Integers) {
  EXPECT_EQ(*DecodeInt(oid::kInt2, B({0xFF, 0xFE})), -2);
  EXPECT_EQ(*DecodeInt(oid::kInt2, B({0x7F, 0xFF})), 32767);
  EXPECT_EQ(*DecodeInt(oid::kInt4, B({0x01, 0x02, 0x03, 0x04})), 0x01020304);
  EXPECT_EQ(*DecodeInt(oid::kInt4, B({0xFF, 0xFF, 0xFF, 0xFF})), -1);
  EXPECT_EQ(*DecodeInt(oid::kInt4, B({0x80, 0, 0, 0})), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(*DecodeInt(oid::kInt8, B({0x80, 0, 0, 0, 0, 0, 0, 0})),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*DecodeInt(oid::kInt8, B({0, 0, 0x01, 0, 0, 0, 0, 0x2A})), (int64_t{1} << 40) + 42);
  // oid is unsigned: 0xFFFFFFFF is 4294967295, not -1.
  EXPECT_EQ(*DecodeInt(oid::kOid, B({0xFF, 0xFF, 0xFF, 0xFF})), 4294967295);
}

TEST(CodecDecodeTest, CommonIntegersInline) {
  int64_t out = 0;
  EXPECT_TRUE(
      DecodeCommonInt(oid::kInt8, B({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFD}), out));
  EXPECT_EQ(out, -3);
  EXPECT_TRUE(DecodeCommonInt(oid::kInt4, B({0xFF, 0xFF, 0xB2, 0xA8}), out));
  EXPECT_EQ(out, -19800);
  EXPECT_FALSE(DecodeCommonInt(oid::kInt2, B({0, 1}), out));  // left to DecodeInt
  EXPECT_FALSE(DecodeCommonInt(oid::kInt4, B({0, 0, 1}), out));
}

TEST(CodecDecodeTest, IntegerErrors) {
  absl::StatusOr<int64_t> value = DecodeInt(oid::kInt4, B({0, 0, 1}));
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(value.status().message(), "holds a malformed int4 value");
  value = DecodeInt(oid::kInt2, B({0, 0, 0, 1}));
  EXPECT_EQ(value.status().message(), "holds a malformed int2 value");
  value = DecodeInt(oid::kText, "12");
  EXPECT_EQ(value.status().message(), "holds text, not an integer");
}

// ---- Floats -------------------------------------------------------------------

TEST(CodecDecodeTest, Float8) {
  EXPECT_EQ(*DecodeDouble(oid::kFloat8, B({0x3F, 0xF8, 0, 0, 0, 0, 0, 0})), 1.5);
  EXPECT_EQ(*DecodeDouble(oid::kFloat8, B({0xC0, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18})),
            -3.141592653589793);
  const double negative_zero = *DecodeDouble(oid::kFloat8, B({0x80, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(negative_zero, 0.0);
  EXPECT_TRUE(std::signbit(negative_zero));
  EXPECT_TRUE(std::isnan(*DecodeDouble(oid::kFloat8, B({0x7F, 0xF8, 0, 0, 0, 0, 0, 0}))));
  EXPECT_EQ(*DecodeDouble(oid::kFloat8, B({0x7F, 0xF0, 0, 0, 0, 0, 0, 0})),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(*DecodeDouble(oid::kFloat8, B({0xFF, 0xF0, 0, 0, 0, 0, 0, 0})),
            -std::numeric_limits<double>::infinity());
  double inline_value = 0;
  EXPECT_TRUE(DecodeCommonDouble(oid::kFloat8, B({0x3F, 0xF8, 0, 0, 0, 0, 0, 0}), inline_value));
  EXPECT_EQ(inline_value, 1.5);
  EXPECT_FALSE(DecodeCommonDouble(oid::kFloat4, B({0x3F, 0xC0, 0, 0}), inline_value));
}

TEST(CodecDecodeTest, Float4) {
  EXPECT_EQ(*DecodeDouble(oid::kFloat4, B({0x3F, 0xC0, 0, 0})), 1.5);
  EXPECT_EQ(*DecodeDouble(oid::kFloat4, B({0x3D, 0xCC, 0xCC, 0xCD})), static_cast<double>(0.1f));
  EXPECT_TRUE(std::isnan(*DecodeDouble(oid::kFloat4, B({0x7F, 0xC0, 0, 0}))));
  EXPECT_EQ(*DecodeDouble(oid::kFloat4, B({0xFF, 0x80, 0, 0})),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(DecodeDouble(oid::kFloat4, B({0x3F, 0xC0, 0})).status().message(),
            "holds a malformed float4 value");
}

TEST(CodecDecodeTest, IntegersAsDoublesOnlyWhenExact) {
  EXPECT_EQ(*DecodeDouble(oid::kInt4, B({0xFF, 0xFF, 0xFF, 0xFE})), -2.0);
  // 2^53 + 1 has no double.
  absl::StatusOr<double> value = DecodeDouble(oid::kInt8, B({0, 0x20, 0, 0, 0, 0, 0, 0x01}));
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(value.status().message(), "holds an int8 that a double cannot hold exactly");
  EXPECT_EQ(*DecodeDouble(oid::kInt8, B({0, 0x20, 0, 0, 0, 0, 0, 0})), 9007199254740992.0);
}

// ---- Booleans -------------------------------------------------------------------

TEST(CodecDecodeTest, Bool) {
  EXPECT_TRUE(*DecodeBool(oid::kBool, B({1})));
  EXPECT_FALSE(*DecodeBool(oid::kBool, B({0})));
  EXPECT_EQ(DecodeBool(oid::kBool, B({0, 1})).status().message(), "holds a malformed bool value");
  EXPECT_EQ(DecodeBool(oid::kBool, "").status().message(), "holds a malformed bool value");
  EXPECT_EQ(DecodeBool(oid::kInt4, B({0, 0, 0, 1})).status().message(),
            "holds int4, not a boolean");
}

// ---- numeric --------------------------------------------------------------------

TEST(CodecDecodeTest, NumericZero) {
  // ndigits 0, weight 0, sign +, dscale 0.
  EXPECT_EQ(DecodeDecimal(oid::kNumeric, B({0, 0, 0, 0, 0, 0, 0, 0}))->digits(), "0");
  // 0.00: no digits, display scale 2.
  EXPECT_EQ(DecodeDecimal(oid::kNumeric, B({0, 0, 0, 0, 0, 0, 0, 2}))->digits(), "0.00");
}

TEST(CodecDecodeTest, NumericWithScale) {
  // 12345.678 = 1 | 2345 . 6780: ndigits 3, weight 1, +, dscale 3.
  const std::string bytes = B({0, 3, 0, 1, 0, 0, 0, 3, 0x00, 0x01, 0x09, 0x29, 0x1A, 0x7C});
  EXPECT_EQ(DecodeDecimal(oid::kNumeric, bytes)->digits(), "12345.678");
  EXPECT_EQ(*DecodeDouble(oid::kNumeric, bytes), 12345.678);
  // 1.50: digits 1 | 5000, weight 0, dscale 2 (the trailing zero kept).
  EXPECT_EQ(DecodeDecimal(oid::kNumeric, B({0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 0x13, 0x88}))->digits(),
            "1.50");
}

TEST(CodecDecodeTest, NumericNegativeFraction) {
  // -0.0042: one digit 42 at weight -1, sign 0x4000, dscale 4.
  EXPECT_EQ(DecodeDecimal(oid::kNumeric, B({0, 1, 0xFF, 0xFF, 0x40, 0, 0, 4, 0, 42}))->digits(),
            "-0.0042");
  // -0.00000001 = -1 * 10000^-2: digit 1 at weight -2, dscale 8.
  EXPECT_EQ(DecodeDecimal(oid::kNumeric, B({0, 1, 0xFF, 0xFE, 0x40, 0, 0, 8, 0, 1}))->digits(),
            "-0.00000001");
}

TEST(CodecDecodeTest, NumericBigValues) {
  // 10^20: one digit 1 at weight 5 (trailing zero digits stripped).
  EXPECT_EQ(DecodeDecimal(oid::kNumeric, B({0, 1, 0, 5, 0, 0, 0, 0, 0, 1}))->digits(),
            "100000000000000000000");
  // 9223372036854775807 = 922 | 3372 | 0368 | 5477 | 5807, weight 4.
  const std::string max_int64 =
      B({0, 5, 0, 4, 0, 0, 0, 0, 0x03, 0x9A, 0x0D, 0x2C, 0x01, 0x70, 0x15, 0x65, 0x16, 0xAF});
  EXPECT_EQ(DecodeDecimal(oid::kNumeric, max_int64)->digits(), "9223372036854775807");
  EXPECT_EQ(*DecodeInt(oid::kNumeric, max_int64), std::numeric_limits<int64_t>::max());
  // One more (…5808) is beyond int64.
  const std::string beyond =
      B({0, 5, 0, 4, 0, 0, 0, 0, 0x03, 0x9A, 0x0D, 0x2C, 0x01, 0x70, 0x15, 0x65, 0x16, 0xB0});
  EXPECT_EQ(DecodeInt(oid::kNumeric, beyond).status().message(),
            "holds a numeric outside the range of int64");
}

TEST(CodecDecodeTest, NumericAsInteger) {
  EXPECT_EQ(*DecodeInt(oid::kNumeric, B({0, 1, 0, 0, 0, 0, 0, 0, 0, 42})), 42);
  // 7.00 is whole.
  EXPECT_EQ(*DecodeInt(oid::kNumeric, B({0, 1, 0, 0, 0, 0, 0, 2, 0, 7})), 7);
  // 1.5 is not.
  EXPECT_EQ(
      DecodeInt(oid::kNumeric, B({0, 2, 0, 0, 0, 0, 0, 1, 0, 1, 0x13, 0x88})).status().message(),
      "holds a numeric with a fraction, not an integer");
}

TEST(CodecDecodeTest, NumericSpecials) {
  const std::string nan = B({0, 0, 0, 0, 0xC0, 0, 0, 0});
  const std::string infinity = B({0, 0, 0, 0, 0xD0, 0, 0, 0});
  const std::string minus_infinity = B({0, 0, 0, 0, 0xF0, 0, 0, 0});
  EXPECT_TRUE(std::isnan(*DecodeDouble(oid::kNumeric, nan)));
  EXPECT_EQ(*DecodeDouble(oid::kNumeric, infinity), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*DecodeDouble(oid::kNumeric, minus_infinity), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(DecodeDecimal(oid::kNumeric, nan).status().message(),
            "holds the numeric NaN, which sql::Decimal cannot hold");
  EXPECT_EQ(DecodeDecimal(oid::kNumeric, infinity).status().message(),
            "holds the numeric infinity, which sql::Decimal cannot hold");
  EXPECT_EQ(DecodeInt(oid::kNumeric, nan).status().message(),
            "holds the numeric NaN, which int64 cannot hold");
  // DecodeValue reads a special as a double.
  absl::StatusOr<sql::Value> value = DecodeValue(oid::kNumeric, nan);
  DUO_ASSERT_OK(value.status());
  ASSERT_EQ(value->kind(), sql::Value::Kind::kDouble);
  EXPECT_TRUE(std::isnan(value->as_double()));
}

TEST(CodecDecodeTest, NumericMalformed) {
  // A digit of 10000 (0x2710), a short header, a digit too few, a sign
  // that is none of the five, trailing bytes.
  for (const std::string& bytes :
       {B({0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10}), B({0, 1, 0, 0, 0, 0}),
        B({0, 2, 0, 0, 0, 0, 0, 0, 0, 1}), B({0, 0, 0, 0, 0x80, 0, 0, 0}),
        B({0, 0, 0, 0, 0, 0, 0, 0, 0})}) {
    EXPECT_EQ(DecodeDecimal(oid::kNumeric, bytes).status().message(),
              "holds a malformed numeric value");
  }
}

// ---- Times ----------------------------------------------------------------------

TEST(CodecDecodeTest, Timestamps) {
  EXPECT_EQ(*DecodeTimestamp(oid::kTimestamptz, B({0, 0, 0, 0, 0, 0, 0, 0})), At2000());
  // One day: 86400000000 µs = 0x141DD76000.
  EXPECT_EQ(*DecodeTimestamp(oid::kTimestamp, B({0, 0, 0, 0x14, 0x1D, 0xD7, 0x60, 0})),
            At2000() + absl::Hours(24));
  // One microsecond before 2000.
  EXPECT_EQ(
      *DecodeTimestamp(oid::kTimestamptz, B({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})),
      At2000() - absl::Microseconds(1));
  EXPECT_EQ(
      *DecodeTimestamp(oid::kTimestamptz, B({0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})),
      absl::InfiniteFuture());
  EXPECT_EQ(*DecodeTimestamp(oid::kTimestamptz, B({0x80, 0, 0, 0, 0, 0, 0, 0})),
            absl::InfinitePast());
  EXPECT_EQ(DecodeTimestamp(oid::kDate, B({0, 0, 0, 0})).status().message(),
            "holds date, not a timestamp");
  EXPECT_EQ(DecodeTimestamp(oid::kTimestamptz, B({0, 0, 0, 0})).status().message(),
            "holds a malformed timestamptz value");
}

TEST(CodecDecodeTest, Dates) {
  EXPECT_EQ(*DecodeDate(oid::kDate, B({0, 0, 0, 0})), absl::CivilDay(2000, 1, 1));
  EXPECT_EQ(*DecodeDate(oid::kDate, B({0xFF, 0xFF, 0xFF, 0xFF})), absl::CivilDay(1999, 12, 31));
  // 366 days: 2000 is a leap year.
  EXPECT_EQ(*DecodeDate(oid::kDate, B({0, 0, 0x01, 0x6E})), absl::CivilDay(2001, 1, 1));
  absl::StatusOr<absl::CivilDay> infinite = DecodeDate(oid::kDate, B({0x7F, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(infinite.status().message(),
            "holds an infinite date, which absl::CivilDay cannot hold");
  infinite = DecodeDate(oid::kDate, B({0x80, 0, 0, 0}));
  EXPECT_EQ(infinite.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CodecDecodeTest, TimeOfDay) {
  // 13:45:30.25 = 49530250000 µs.
  const std::string bytes = B({0, 0, 0, 0x0B, 0x88, 0x3B, 0xA3, 0x10});
  EXPECT_EQ(*DecodeTimeOfDay(oid::kTime, bytes), *sql::TimeOfDay::FromParts(13, 45, 30, 250000));
  EXPECT_EQ(*RenderAsText(oid::kTime, bytes), "13:45:30.25");
  // 24:00:00 (86400000000 µs) is a time PostgreSQL accepts.
  EXPECT_EQ(DecodeTimeOfDay(oid::kTime, B({0, 0, 0, 0x14, 0x1D, 0xD7, 0x60, 0}))->micros(),
            sql::TimeOfDay::kMicrosPerDay);
  // One microsecond beyond is not.
  EXPECT_EQ(DecodeTimeOfDay(oid::kTime, B({0, 0, 0, 0x14, 0x1D, 0xD7, 0x60, 1})).status().message(),
            "holds a malformed time value");
}

TEST(CodecDecodeTest, TimeWithTimeZoneAsText) {
  // 10:00:00, zone -3600 (seconds west: one hour east of UTC).
  EXPECT_EQ(
      *RenderAsText(oid::kTimetz, B({0, 0, 0, 0x08, 0x61, 0xC4, 0x68, 0, 0xFF, 0xFF, 0xF1, 0xF0})),
      "10:00:00+01");
  // Zone -19800: +05:30.
  EXPECT_EQ(
      *RenderAsText(oid::kTimetz, B({0, 0, 0, 0x08, 0x61, 0xC4, 0x68, 0, 0xFF, 0xFF, 0xB2, 0xA8})),
      "10:00:00+05:30");
  // Zone 18000: five hours west.
  EXPECT_EQ(*RenderAsText(oid::kTimetz, B({0, 0, 0, 0x08, 0x61, 0xC4, 0x68, 0, 0, 0, 0x46, 0x50})),
            "10:00:00-05");
}

TEST(CodecDecodeTest, Intervals) {
  // 2 hours and 1 day: 7200000000 µs, days 1, months 0.
  const std::string day_and_two_hours =
      B({0, 0, 0, 0x01, 0xAD, 0x27, 0x48, 0x00, 0, 0, 0, 1, 0, 0, 0, 0});
  EXPECT_EQ(*DecodeInterval(oid::kInterval, day_and_two_hours), absl::Hours(26));
  EXPECT_EQ(*RenderAsText(oid::kInterval, day_and_two_hours), "1 day 02:00:00");
  // 1 year 2 mons -3 days +04:05:06.5: 14706500000 µs, days -3, months 14.
  const std::string with_months =
      B({0, 0, 0, 0x03, 0x6C, 0x93, 0x61, 0xA0, 0xFF, 0xFF, 0xFF, 0xFD, 0, 0, 0, 14});
  EXPECT_EQ(*RenderAsText(oid::kInterval, with_months), "1 year 2 mons -3 days +04:05:06.5");
  absl::StatusOr<absl::Duration> duration = DecodeInterval(oid::kInterval, with_months);
  EXPECT_EQ(duration.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(duration.status().message(),
              HasSubstr("holds the interval 1 year 2 mons -3 days +04:05:06.5, whose months"));
  // DecodeValue falls back to the text.
  EXPECT_EQ(*DecodeValue(oid::kInterval, with_months),
            sql::Value(std::string("1 year 2 mons -3 days +04:05:06.5")));
  EXPECT_EQ(*DecodeValue(oid::kInterval, day_and_two_hours), sql::Value(absl::Hours(26)));
  // Zero prints as PostgreSQL prints it.
  EXPECT_EQ(*RenderAsText(oid::kInterval, std::string(16, '\0')), "00:00:00");
  EXPECT_EQ(DecodeInterval(oid::kInterval, std::string(12, '\0')).status().message(),
            "holds a malformed interval value");
}

// ---- Text, bytes, JSON, UUID -------------------------------------------------------

TEST(CodecDecodeTest, TextAndBytes) {
  EXPECT_EQ(*DecodeText(oid::kText, "h\xC3\xA9llo"), "h\xC3\xA9llo");
  EXPECT_EQ(*DecodeText(oid::kVarchar, ""), "");
  EXPECT_EQ(*DecodeText(oid::kBpchar, "ab  "), "ab  ");
  EXPECT_EQ(*DecodeText(oid::kName, "pg_class"), "pg_class");
  EXPECT_EQ(*DecodeBytes(oid::kBytea, B({0, 0xFF, 'a'})), B({0, 0xFF, 'a'}));
  EXPECT_EQ(DecodeBytes(oid::kText, "a").status().message(), "holds text, not bytes");
  EXPECT_EQ(DecodeText(oid::kBytea, "a").status().message(), "holds bytea, not text");
  EXPECT_EQ(*DecodeValue(oid::kBytea, B({0, 1})), sql::Value(sql::Blob{B({0, 1})}));
  EXPECT_EQ(*DecodeValue(oid::kText, "x"), sql::Value(std::string("x")));
}

TEST(CodecDecodeTest, JsonAndJsonb) {
  // json is its text; jsonb is version 1, then the text.
  EXPECT_EQ(*DecodeText(oid::kJson, R"({"a": 1})"), R"({"a": 1})");
  EXPECT_EQ(*DecodeText(oid::kJsonb, "\x01{\"a\": 1}"), R"({"a": 1})");
  EXPECT_EQ(DecodeText(oid::kJsonb, "\x02{}").status().message(), "holds a malformed jsonb value");
  EXPECT_EQ(DecodeText(oid::kJsonb, "").status().message(), "holds a malformed jsonb value");
  absl::StatusOr<sql::Value> value = DecodeValue(oid::kJsonb, "\x01[1, 2]");
  DUO_ASSERT_OK(value.status());
  ASSERT_EQ(value->kind(), sql::Value::Kind::kJson);
  EXPECT_EQ(value->as_json().text, "[1, 2]");
}

TEST(CodecDecodeTest, Uuid) {
  const std::string bytes = B({0x12, 0x3E, 0x45, 0x67, 0xE8, 0x9B, 0x12, 0xD3, 0xA4, 0x56, 0x42,
                               0x66, 0x14, 0x17, 0x40, 0x00});
  EXPECT_EQ(DecodeUuid(oid::kUuid, bytes)->ToString(), "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(*RenderAsText(oid::kUuid, bytes), "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(DecodeUuid(oid::kUuid, bytes.substr(1)).status().message(),
            "holds a malformed uuid value");
}

TEST(CodecDecodeTest, NetworkAddressesAsText) {
  EXPECT_EQ(*RenderAsText(oid::kInet, B({2, 32, 0, 4, 192, 168, 0, 1})), "192.168.0.1");
  EXPECT_EQ(*RenderAsText(oid::kInet, B({2, 24, 0, 4, 192, 168, 0, 1})), "192.168.0.1/24");
  EXPECT_EQ(*RenderAsText(oid::kCidr, B({2, 32, 1, 4, 10, 0, 0, 0})), "10.0.0.0/32");
  EXPECT_EQ(*RenderAsText(oid::kInet, B({3, 128, 0, 16, 0x20, 0x01, 0x0D, 0xB8, 0, 0,
                                         0, 0,   0, 0,  0,    0,    0,    0,    0, 1})),
            "2001:db8::1");
  EXPECT_EQ(*RenderAsText(oid::kMacaddr, B({0x08, 0x00, 0x2B, 0x01, 0x02, 0x03})),
            "08:00:2b:01:02:03");
  EXPECT_EQ(RenderAsText(oid::kInet, B({2, 32, 0, 16, 1, 2, 3, 4})).status().message(),
            "holds a malformed inet value");
}

// ---- Arrays -----------------------------------------------------------------------

TEST(CodecDecodeTest, Int4ArrayWithNull) {
  // {1,NULL,3}: 1 dimension, has nulls, int4 (23); length 3, lower bound 1.
  const std::string bytes =
      B({0, 0, 0, 1, 0, 0, 0, 1, 0,    0,    0,    23,   0, 0, 0, 3, 0, 0, 0, 1,
         0, 0, 0, 4, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 4, 0, 0, 0, 3});
  DUO_ASSERT_OK_AND_ASSIGN(sql::Array array, DecodeArray(oid::kInt4Array, bytes));
  ASSERT_EQ(array.elements.size(), 3u);
  EXPECT_EQ(array.elements[0], sql::Value(1));
  EXPECT_TRUE(array.elements[1].is_null());
  EXPECT_EQ(array.elements[2], sql::Value(3));
}

TEST(CodecDecodeTest, TextArrayAndEmptyArray) {
  // {"a","bc"} of text (25), no nulls, lower bound 1.
  const std::string bytes = B({0, 0, 0, 1, 0, 0, 0, 0, 0,   0, 0, 25, 0, 0,   0,  2,
                               0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 0, 0,  2, 'b', 'c'});
  DUO_ASSERT_OK_AND_ASSIGN(sql::Array array, DecodeArray(oid::kTextArray, bytes));
  EXPECT_EQ(array, (sql::Array{{sql::Value("a"), sql::Value("bc")}}));
  // '{}': no dimensions.
  DUO_ASSERT_OK_AND_ASSIGN(sql::Array empty,
                           DecodeArray(oid::kInt8Array, B({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20})));
  EXPECT_TRUE(empty.elements.empty());
}

TEST(CodecDecodeTest, NumericArrayUsesTheElementDecoder) {
  // {1.5} of numeric (1700 = 0x06A4).
  const std::string bytes = B({0, 0, 0, 1, 0, 0,  0, 0, 0, 0, 0x06, 0xA4, 0, 0, 0, 1, 0,    0,
                               0, 1, 0, 0, 0, 12, 0, 2, 0, 0, 0,    0,    0, 1, 0, 1, 0x13, 0x88});
  DUO_ASSERT_OK_AND_ASSIGN(sql::Array array, DecodeArray(oid::kNumericArray, bytes));
  ASSERT_EQ(array.elements.size(), 1u);
  EXPECT_EQ(array.elements[0], sql::Value(*sql::Decimal::Parse("1.5")));
}

TEST(CodecDecodeTest, ArrayErrors) {
  // Two dimensions, 1x1.
  const std::string two_d = B({0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 1, 0, 0,
                               0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0,  0, 4, 0, 0, 0, 7});
  EXPECT_EQ(DecodeArray(oid::kInt4Array, two_d).status().message(),
            "holds a 2-dimensional array; sql::Array has one dimension");
  // An element longer than what is left.
  const std::string short_element =
      B({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0});
  EXPECT_EQ(DecodeArray(oid::kInt4Array, short_element).status().message(),
            "holds a malformed int4[] value");
  EXPECT_EQ(DecodeArray(oid::kInt4, B({0, 0, 0, 1})).status().message(),
            "holds int4, not an array");
}

TEST(CodecDecodeTest, UnknownTypeNamesItself) {
  absl::StatusOr<sql::Value> value = DecodeValue(99999, "x");
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(value.status().message(), HasSubstr("type 99999, which the driver does not read"));
}

// ---- Parameters -------------------------------------------------------------------

struct Param {
  Oid type;
  int format;
  std::string bytes;  // empty with is_null
  bool is_null = false;
};

Param ParamAt(const EncodedParams& params, int i) {
  Param param{params.types[i], params.formats[i], ""};
  if (params.values[i] == nullptr) {
    param.is_null = true;
  } else {
    param.bytes.assign(params.values[i], static_cast<size_t>(params.lengths[i]));
  }
  return param;
}

TEST(CodecEncodeTest, BinaryParameters) {
  const std::vector<sql::Value> values = {
      sql::Value(true),
      sql::Value(false),
      sql::Value(5),
      sql::Value(-1),
      sql::Value(int64_t{1} << 40),
      sql::Value(int64_t{-2147483649}),
      sql::Value(1.5),
      sql::Value(-std::numeric_limits<double>::infinity()),
      sql::Value(sql::Blob{B({0, 0xFF})}),
  };
  DUO_ASSERT_OK_AND_ASSIGN(EncodedParams params, EncodeParams(values));
  ASSERT_EQ(params.count(), 9);
  const std::vector<Param> expected = {
      {oid::kBool, 1, B({1})},
      {oid::kBool, 1, B({0})},
      {oid::kInt4, 1, B({0, 0, 0, 5})},
      {oid::kInt4, 1, B({0xFF, 0xFF, 0xFF, 0xFF})},
      {oid::kInt8, 1, B({0, 0, 0x01, 0, 0, 0, 0, 0})},
      {oid::kInt8, 1, B({0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF})},
      {oid::kFloat8, 1, B({0x3F, 0xF8, 0, 0, 0, 0, 0, 0})},
      {oid::kFloat8, 1, B({0xFF, 0xF0, 0, 0, 0, 0, 0, 0})},
      {oid::kBytea, 1, B({0, 0xFF})},
  };
  for (int i = 0; i < 9; ++i) {
    const Param got = ParamAt(params, i);
    EXPECT_EQ(got.type, expected[i].type) << "$" << i + 1;
    EXPECT_EQ(got.format, expected[i].format) << "$" << i + 1;
    EXPECT_EQ(got.bytes, expected[i].bytes) << "$" << i + 1;
  }
}

TEST(CodecEncodeTest, NanBindsAsItsBits) {
  const std::vector<sql::Value> values = {sql::Value(std::numeric_limits<double>::quiet_NaN())};
  DUO_ASSERT_OK_AND_ASSIGN(EncodedParams params, EncodeParams(values));
  const Param got = ParamAt(params, 0);
  EXPECT_EQ(got.type, oid::kFloat8);
  ASSERT_EQ(got.bytes.size(), 8u);
  // Exponent all ones, fraction nonzero: a NaN whatever its payload.
  EXPECT_EQ(static_cast<uint8_t>(got.bytes[0]) & 0x7F, 0x7F);
  EXPECT_EQ(static_cast<uint8_t>(got.bytes[1]) & 0xF0, 0xF0);
}

TEST(CodecEncodeTest, UuidTimeAndIntervalInBinary) {
  const sql::Uuid uuid = *sql::Uuid::Parse("123e4567-e89b-12d3-a456-426614174000");
  const std::vector<sql::Value> values = {
      sql::Value(uuid), sql::Value(*sql::TimeOfDay::FromParts(13, 45, 30, 250000)),
      sql::Value(absl::Hours(26)), sql::Value(-absl::Microseconds(3))};
  DUO_ASSERT_OK_AND_ASSIGN(EncodedParams params, EncodeParams(values));
  Param got = ParamAt(params, 0);
  EXPECT_EQ(got.type, oid::kUuid);
  EXPECT_EQ(got.format, 1);
  EXPECT_EQ(got.bytes, B({0x12, 0x3E, 0x45, 0x67, 0xE8, 0x9B, 0x12, 0xD3, 0xA4, 0x56, 0x42, 0x66,
                          0x14, 0x17, 0x40, 0x00}));
  got = ParamAt(params, 1);
  EXPECT_EQ(got.type, oid::kTime);
  EXPECT_EQ(got.format, 1);
  EXPECT_EQ(got.bytes, B({0, 0, 0, 0x0B, 0x88, 0x3B, 0xA3, 0x10}));
  // 26 hours = 93600000000 µs, all in the microseconds; days and months 0.
  got = ParamAt(params, 2);
  EXPECT_EQ(got.type, oid::kInterval);
  EXPECT_EQ(got.format, 1);
  EXPECT_EQ(got.bytes, B({0, 0, 0, 0x15, 0xCA, 0xFE, 0xA8, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  got = ParamAt(params, 3);
  EXPECT_EQ(got.bytes, B({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(CodecEncodeTest, TextParameters) {
  // EncodedParams points into the values it was encoded from: they outlive it.
  const std::vector<sql::Value> values = {
      sql::Value("abc"),
      sql::Value(),
      sql::Value(*sql::Decimal::Parse("-1.50")),
      sql::Value(sql::JsonText{R"({"a":1})"}),
      sql::Value(absl::CivilDay(2024, 2, 29)),
      sql::Value(absl::FromCivil(absl::CivilSecond(2026, 11, 25, 2, 30, 0), absl::UTCTimeZone()) +
                 absl::Microseconds(123456))};
  DUO_ASSERT_OK_AND_ASSIGN(EncodedParams params, EncodeParams(values));
  Param got = ParamAt(params, 0);
  EXPECT_EQ(got.type, oid::kUnknownParam);  // the server infers text's type
  EXPECT_EQ(got.format, 0);
  EXPECT_EQ(got.bytes, "abc");
  got = ParamAt(params, 1);
  EXPECT_TRUE(got.is_null);
  EXPECT_EQ(got.type, oid::kUnknownParam);
  got = ParamAt(params, 2);
  EXPECT_EQ(got.type, oid::kNumeric);
  EXPECT_EQ(got.format, 0);
  EXPECT_EQ(got.bytes, "-1.50");
  got = ParamAt(params, 3);
  EXPECT_EQ(got.type, oid::kUnknownParam);
  EXPECT_EQ(got.bytes, R"({"a":1})");
  got = ParamAt(params, 4);
  EXPECT_EQ(got.type, oid::kDate);
  EXPECT_EQ(got.bytes, "2024-02-29");
  got = ParamAt(params, 5);
  EXPECT_EQ(got.type, oid::kTimestamptz);
  EXPECT_EQ(got.format, 0);
  EXPECT_EQ(got.bytes, "2026-11-25 02:30:00.123456+00");
}

TEST(CodecEncodeTest, ArraysAsTextLiterals) {
  DUO_ASSERT_OK_AND_ASSIGN(
      EncodedParams params,
      EncodeParams(
          {sql::Value(sql::Array{{sql::Value(1), sql::Value(), sql::Value(3)}}),
           sql::Value(sql::Array{{sql::Value("a\"b"), sql::Value("c,d"), sql::Value("NULL")}}),
           sql::Value(sql::Array{}),
           sql::Value(sql::Array{{sql::Value(true), sql::Value(false)}})}));
  Param got = ParamAt(params, 0);
  EXPECT_EQ(got.type, oid::kInt8Array);
  EXPECT_EQ(got.format, 0);
  EXPECT_EQ(got.bytes, "{1,NULL,3}");
  got = ParamAt(params, 1);
  EXPECT_EQ(got.type, oid::kTextArray);
  EXPECT_EQ(got.bytes, R"({"a\"b","c,d","NULL"})");
  got = ParamAt(params, 2);
  EXPECT_EQ(got.type, oid::kUnknownParam);
  EXPECT_EQ(got.bytes, "{}");
  got = ParamAt(params, 3);
  EXPECT_EQ(got.type, oid::kBoolArray);
  EXPECT_EQ(got.bytes, "{t,f}");
}

TEST(CodecEncodeTest, ErrorsNameTheParameter) {
  absl::StatusOr<EncodedParams> params =
      EncodeParams({sql::Value(1), sql::Value(std::string("a\0b", 3))});
  EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(params.status().message()), ::testing::StartsWith("$2: "));
  params = EncodeParams({sql::Value(sql::Array{{sql::Value(1), sql::Value("x")}})});
  EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(params.status().message(), HasSubstr("$1: array elements must all be of one kind"));
  params = EncodeParams({sql::Value(sql::Array{{sql::Value(sql::Blob{"x"})}})});
  EXPECT_EQ(params.status().message(), "$1: arrays hold scalars (no bytes, JSON or nested arrays)");
}

}  // namespace
}  // namespace duo::engine::postgres_internal
