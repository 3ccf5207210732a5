// How sql::Value travels to and from PostgreSQL: parameters in text format
// (booleans, integers, doubles and bytea in binary), result fields in binary
// format. Internal to the
// PostgreSQL driver; no I/O.
//
// Decoders read one non-NULL field. Their errors are InvalidArgument with a
// message that completes "column \"x\" ..." (for example "holds text, not an
// integer"), which the cursor turns into a DatabaseError naming the column.

#ifndef DUO_ENGINE_POSTGRES_CODEC_H_
#define DUO_ENGINE_POSTGRES_CODEC_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "duo/sql/value.h"
#include "libpq-fe.h"

namespace duo::engine::postgres_internal {

// Type OIDs from PostgreSQL's pg_type.dat: libpq ships no constants for
// them, and built-in OIDs never change.
namespace oid {
inline constexpr Oid kUnknownParam = 0;  // a parameter whose type the server infers
inline constexpr Oid kBool = 16;
inline constexpr Oid kBytea = 17;
inline constexpr Oid kChar = 18;  // "char", one byte
inline constexpr Oid kName = 19;
inline constexpr Oid kInt8 = 20;
inline constexpr Oid kInt2 = 21;
inline constexpr Oid kInt4 = 23;
inline constexpr Oid kText = 25;
inline constexpr Oid kOid = 26;
inline constexpr Oid kJson = 114;
inline constexpr Oid kFloat4 = 700;
inline constexpr Oid kFloat8 = 701;
inline constexpr Oid kUnknown = 705;  // an untyped literal in a select list
inline constexpr Oid kBpchar = 1042;
inline constexpr Oid kVarchar = 1043;
inline constexpr Oid kDate = 1082;
inline constexpr Oid kTimestamp = 1114;
inline constexpr Oid kTimestamptz = 1184;
inline constexpr Oid kNumeric = 1700;
inline constexpr Oid kJsonb = 3802;
inline constexpr Oid kXml = 142;
inline constexpr Oid kCidr = 650;
inline constexpr Oid kMacaddr8 = 774;
inline constexpr Oid kMacaddr = 829;
inline constexpr Oid kInet = 869;
inline constexpr Oid kTime = 1083;
inline constexpr Oid kInterval = 1186;
inline constexpr Oid kTimetz = 1266;
inline constexpr Oid kUuid = 2950;
// OIDs from here on are assigned when a database creates a type (an enum,
// an extension's citext): the driver asks the server what they are.
inline constexpr Oid kFirstNormalObjectId = 16384;

inline constexpr Oid kBoolArray = 1000;
inline constexpr Oid kNameArray = 1003;
inline constexpr Oid kInt2Array = 1005;
inline constexpr Oid kInt4Array = 1007;
inline constexpr Oid kTextArray = 1009;
inline constexpr Oid kBpcharArray = 1014;
inline constexpr Oid kVarcharArray = 1015;
inline constexpr Oid kInt8Array = 1016;
inline constexpr Oid kFloat4Array = 1021;
inline constexpr Oid kFloat8Array = 1022;
inline constexpr Oid kTimestampArray = 1115;
inline constexpr Oid kDateArray = 1182;
inline constexpr Oid kTimestamptzArray = 1185;
inline constexpr Oid kNumericArray = 1231;
inline constexpr Oid kUuidArray = 2951;
}  // namespace oid

// "int8", "timestamptz", ... or "type <oid>" for types the driver does not
// know, for error messages.
std::string TypeName(Oid type);

// ---- Parameters -------------------------------------------------------------

// The arguments of PQprepare / PQexecPrepared for a statement's values.
// Points into the values it was encoded from (text and bytes are not
// copied): they must outlive it. Move-only, so that `values` keeps pointing
// into `storage`.
struct EncodedParams {
  EncodedParams() = default;
  EncodedParams(EncodedParams&&) = default;
  EncodedParams& operator=(EncodedParams&&) = default;

  int count() const { return static_cast<int>(types.size()); }

  std::vector<Oid> types;
  std::vector<const char*> values;  // nullptr for NULL
  std::vector<int> lengths;
  std::vector<int> formats;          // 0 text, 1 binary
  std::vector<std::string> storage;  // text forms `values` point into
};

// InvalidArgument naming the parameter ("$2: ...") for a value PostgreSQL
// cannot take: text with a NUL byte, an array of mixed kinds or of
// non-scalars.
absl::StatusOr<EncodedParams> EncodeParams(const std::vector<sql::Value>& values);

// Text forms PostgreSQL reads whatever its DateStyle and TimeZone:
// "2026-11-25 02:30:00.123456+00", "0044-03-15 BC", "infinity".
std::string FormatTimestamp(absl::Time time);
std::string FormatDate(absl::CivilDay day);

// ---- Result fields (binary format) ------------------------------------------

absl::StatusOr<bool> DecodeBool(Oid type, absl::string_view bytes);
absl::StatusOr<int64_t> DecodeInt(Oid type, absl::string_view bytes);
absl::StatusOr<double> DecodeDouble(Oid type, absl::string_view bytes);
// A view into `bytes`.
absl::StatusOr<absl::string_view> DecodeText(Oid type, absl::string_view bytes);
absl::StatusOr<absl::string_view> DecodeBytes(Oid type, absl::string_view bytes);
absl::StatusOr<absl::Time> DecodeTimestamp(Oid type, absl::string_view bytes);
absl::StatusOr<absl::CivilDay> DecodeDate(Oid type, absl::string_view bytes);
absl::StatusOr<sql::Decimal> DecodeDecimal(Oid type, absl::string_view bytes);
absl::StatusOr<sql::Array> DecodeArray(Oid type, absl::string_view bytes);
absl::StatusOr<sql::Uuid> DecodeUuid(Oid type, absl::string_view bytes);
absl::StatusOr<sql::TimeOfDay> DecodeTimeOfDay(Oid type, absl::string_view bytes);
// An interval of months is not a fixed duration: InvalidArgument. Days
// count as 24 hours, as PostgreSQL's own EXTRACT(EPOCH ...) counts them.
absl::StatusOr<absl::Duration> DecodeInterval(Oid type, absl::string_view bytes);

// The text PostgreSQL prints for a field of a built-in type whose binary
// form the driver knows but does not read as text (uuid, time, interval,
// inet, macaddr, ...), so that a string reads any of them as psql shows
// it; InvalidArgument (as DecodeText's) for other types.
absl::StatusOr<std::string> RenderAsText(Oid type, absl::string_view bytes);
// PostgreSQL's interval output (IntervalStyle postgres): "1 year 2 mons
// -3 days +04:05:06.5".
std::string FormatInterval(int64_t micros, int32_t days, int32_t months);
absl::StatusOr<sql::Value> DecodeValue(Oid type, absl::string_view bytes);

// The shapes nearly every field has (bigint, integer, double precision,
// text, varchar), decoded inline: a cursor reads them without a call or a
// status per field. False means "use the Decode function above", which
// handles every other type and says what is wrong.
template <typename T>
T LoadBigEndian(const char* bytes) {
  static_assert(std::is_integral_v<T>);
  std::make_unsigned_t<T> raw;
  std::memcpy(&raw, bytes, sizeof(raw));
  if constexpr (sizeof(T) == 8) raw = __builtin_bswap64(raw);
  if constexpr (sizeof(T) == 4) raw = __builtin_bswap32(raw);
  if constexpr (sizeof(T) == 2) raw = __builtin_bswap16(raw);
  return static_cast<T>(raw);
}

inline bool DecodeCommonInt(Oid type, absl::string_view bytes, int64_t& out) {
  if (type == oid::kInt8 && bytes.size() == 8) {
    out = LoadBigEndian<int64_t>(bytes.data());
    return true;
  }
  if (type == oid::kInt4 && bytes.size() == 4) {
    out = LoadBigEndian<int32_t>(bytes.data());
    return true;
  }
  return false;
}

inline bool DecodeCommonDouble(Oid type, absl::string_view bytes, double& out) {
  if (type != oid::kFloat8 || bytes.size() != 8) return false;
  const uint64_t bits = LoadBigEndian<uint64_t>(bytes.data());
  std::memcpy(&out, &bits, sizeof(out));
  return true;
}

inline bool IsCommonText(Oid type) { return type == oid::kText || type == oid::kVarchar; }

}  // namespace duo::engine::postgres_internal

#endif  // DUO_ENGINE_POSTGRES_CODEC_H_
