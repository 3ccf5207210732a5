#include "duo/engine/postgres/codec.h"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "duo/base/status_macros.h"
#include "duo/sql/time_text.h"

namespace duo::engine::postgres_internal {
namespace {

using Kind = sql::Value::Kind;

struct TypeEntry {
  Oid type;
  const char* name;
  Oid element;  // for arrays the driver reads, else 0
};

constexpr TypeEntry kTypes[] = {
    {oid::kBool, "bool", 0},
    {oid::kBytea, "bytea", 0},
    {oid::kChar, "\"char\"", 0},
    {oid::kName, "name", 0},
    {oid::kInt8, "int8", 0},
    {oid::kInt2, "int2", 0},
    {oid::kInt4, "int4", 0},
    {oid::kText, "text", 0},
    {oid::kOid, "oid", 0},
    {oid::kJson, "json", 0},
    {oid::kFloat4, "float4", 0},
    {oid::kFloat8, "float8", 0},
    {oid::kUnknown, "unknown", 0},
    {oid::kBpchar, "bpchar", 0},
    {oid::kVarchar, "varchar", 0},
    {oid::kDate, "date", 0},
    {oid::kTimestamp, "timestamp", 0},
    {oid::kTimestamptz, "timestamptz", 0},
    {oid::kNumeric, "numeric", 0},
    {oid::kJsonb, "jsonb", 0},
    {oid::kXml, "xml", 0},
    {oid::kCidr, "cidr", 0},
    {oid::kMacaddr8, "macaddr8", 0},
    {oid::kMacaddr, "macaddr", 0},
    {oid::kInet, "inet", 0},
    {oid::kTime, "time", 0},
    {oid::kInterval, "interval", 0},
    {oid::kTimetz, "timetz", 0},
    {oid::kUuid, "uuid", 0},
    {oid::kBoolArray, "bool[]", oid::kBool},
    {oid::kNameArray, "name[]", oid::kName},
    {oid::kInt2Array, "int2[]", oid::kInt2},
    {oid::kInt4Array, "int4[]", oid::kInt4},
    {oid::kTextArray, "text[]", oid::kText},
    {oid::kBpcharArray, "bpchar[]", oid::kBpchar},
    {oid::kVarcharArray, "varchar[]", oid::kVarchar},
    {oid::kInt8Array, "int8[]", oid::kInt8},
    {oid::kFloat4Array, "float4[]", oid::kFloat4},
    {oid::kFloat8Array, "float8[]", oid::kFloat8},
    {oid::kTimestampArray, "timestamp[]", oid::kTimestamp},
    {oid::kDateArray, "date[]", oid::kDate},
    {oid::kTimestamptzArray, "timestamptz[]", oid::kTimestamptz},
    {oid::kNumericArray, "numeric[]", oid::kNumeric},
    {oid::kUuidArray, "uuid[]", oid::kUuid},
};

const TypeEntry* FindType(Oid type) {
  for (const TypeEntry& entry : kTypes) {
    if (entry.type == type) return &entry;
  }
  return nullptr;
}

// The element type of an array type the driver reads, else 0.
Oid ElementType(Oid type) {
  const TypeEntry* entry = FindType(type);
  return entry != nullptr ? entry->element : 0;
}

// ---- Parameters ---------------------------------------------------------------

// Shortest text that reads back as the same double; PostgreSQL's own
// spellings for the special values.
std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// PostgreSQL counts years as people do: astronomical year 0 is 1 BC.
struct Era {
  int64_t year;
  const char* suffix;
};

Era ToEra(absl::civil_year_t year) {
  if (year > 0) return {year, ""};
  return {1 - year, " BC"};
}

// PostgreSQL's text cannot hold NUL, and libpq would cut the value there.
absl::Status CheckNoNul(absl::string_view text, absl::string_view what) {
  if (text.find('\0') == absl::string_view::npos) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, " holds a NUL byte, which PostgreSQL cannot store (use bytes)"));
}

absl::StatusOr<Oid> ArrayTypeFor(Kind kind) {
  switch (kind) {
    case Kind::kBool:
      return oid::kBoolArray;
    case Kind::kInt:
      return oid::kInt8Array;
    case Kind::kDouble:
      return oid::kFloat8Array;
    case Kind::kText:
      return oid::kTextArray;
    case Kind::kTimestamp:
      return oid::kTimestamptzArray;
    case Kind::kDate:
      return oid::kDateArray;
    case Kind::kDecimal:
      return oid::kNumericArray;
    case Kind::kUuid:
      return oid::kUuidArray;
    default:
      return absl::InvalidArgumentError("arrays hold scalars (no bytes, JSON or nested arrays)");
  }
}

// The array's type from its elements, which must agree; untyped when no
// element says (empty or all NULL), for the server to infer.
absl::StatusOr<Oid> ArrayType(const sql::Array& array) {
  const sql::Value* first = nullptr;
  for (const sql::Value& element : array.elements) {
    if (element.is_null()) continue;
    if (first == nullptr) {
      first = &element;
    } else if (element.kind() != first->kind()) {
      return absl::InvalidArgumentError(
          absl::StrCat("array elements must all be of one kind, not both ", first->DebugString(),
                       " and ", element.DebugString()));
    }
  }
  if (first == nullptr) return oid::kUnknownParam;
  return ArrayTypeFor(first->kind());
}

// Every text-like element is quoted, so that the text NULL, the empty
// string and text holding , { } or spaces all stay themselves.
void AppendQuoted(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

absl::Status AppendElement(const sql::Value& element, std::string* out) {
  switch (element.kind()) {
    case Kind::kNull:
      out->append("NULL");
      return absl::OkStatus();
    case Kind::kBool:
      out->push_back(element.as_bool() ? 't' : 'f');
      return absl::OkStatus();
    case Kind::kInt:
      absl::StrAppend(out, element.as_int());
      return absl::OkStatus();
    case Kind::kDouble:
      out->append(FormatDouble(element.as_double()));
      return absl::OkStatus();
    case Kind::kDecimal:
      out->append(element.as_decimal().digits());
      return absl::OkStatus();
    case Kind::kText:
      DUO_RETURN_IF_ERROR(CheckNoNul(element.as_text(), "an array element"));
      AppendQuoted(element.as_text(), out);
      return absl::OkStatus();
    case Kind::kTimestamp:
      AppendQuoted(FormatTimestamp(element.as_timestamp()), out);
      return absl::OkStatus();
    case Kind::kDate:
      AppendQuoted(FormatDate(element.as_date()), out);
      return absl::OkStatus();
    case Kind::kUuid:
      out->append(element.as_uuid().ToString());
      return absl::OkStatus();
    default:
      return ArrayTypeFor(element.kind()).status();
  }
}

// An array literal: {1,NULL,3}, {"a\"b","c,d"}.
absl::StatusOr<std::string> FormatArray(const sql::Array& array) {
  std::string text = "{";
  for (size_t i = 0; i < array.elements.size(); ++i) {
    if (i > 0) text.push_back(',');
    DUO_RETURN_IF_ERROR(AppendElement(array.elements[i], &text));
  }
  text.push_back('}');
  return text;
}

// Parameter `i` is `text`, kept in `params`.
void Store(size_t i, Oid type, std::string text, EncodedParams& params) {
  params.types[i] = type;
  params.storage[i] = std::move(text);
  params.values[i] = params.storage[i].c_str();
  params.lengths[i] = static_cast<int>(params.storage[i].size());
}

// Parameter `i` is `text`, which the caller's value keeps alive.
void Borrow(size_t i, Oid type, const std::string& text, EncodedParams& params) {
  params.types[i] = type;
  params.values[i] = text.c_str();
  params.lengths[i] = static_cast<int>(text.size());
}

// Parameter `i` is `value` in PostgreSQL's binary form (big-endian), which
// the server reads without parsing text: exact for doubles, and cheaper on
// both sides than formatting and parsing digits.
template <typename T>
void StoreBinary(size_t i, Oid type, T value, EncodedParams& params) {
  static_assert(std::is_integral_v<T>);
  char bytes[sizeof(T)];
  auto raw = static_cast<std::make_unsigned_t<T>>(value);
  for (size_t b = sizeof(T); b-- > 0;) {
    bytes[b] = static_cast<char>(raw & 0xff);
    raw >>= 8;
  }
  Store(i, type, std::string(bytes, sizeof(T)), params);
  params.formats[i] = 1;
}

absl::Status EncodeParam(size_t i, const sql::Value& value, EncodedParams& params) {
  switch (value.kind()) {
    case Kind::kNull:
      return absl::OkStatus();  // nullptr, untyped
    case Kind::kBool:
      StoreBinary<uint8_t>(i, oid::kBool, value.as_bool() ? 1 : 0, params);
      return absl::OkStatus();
    case Kind::kInt: {
      const int64_t number = value.as_int();
      if (number == static_cast<int32_t>(number)) {
        StoreBinary<int32_t>(i, oid::kInt4, static_cast<int32_t>(number), params);
      } else {
        StoreBinary<int64_t>(i, oid::kInt8, number, params);
      }
      return absl::OkStatus();
    }
    case Kind::kDouble: {
      uint64_t bits;
      const double number = value.as_double();
      std::memcpy(&bits, &number, sizeof(bits));
      StoreBinary<uint64_t>(i, oid::kFloat8, bits, params);
      return absl::OkStatus();
    }
    case Kind::kText:
      DUO_RETURN_IF_ERROR(CheckNoNul(value.as_text(), "the text"));
      Borrow(i, oid::kUnknownParam, value.as_text(), params);
      return absl::OkStatus();
    case Kind::kUuid: {
      const auto& bytes = value.as_uuid().bytes();
      Store(i, oid::kUuid, std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
            params);
      params.formats[i] = 1;
      return absl::OkStatus();
    }
    case Kind::kTimeOfDay:
      StoreBinary<int64_t>(i, oid::kTime, value.as_time_of_day().micros(), params);
      return absl::OkStatus();
    case Kind::kInterval: {
      // Microseconds, days, months: all of it in the first, as a duration
      // is a number of seconds ("26:00:00", not "1 day 02:00:00").
      const absl::Duration interval = value.as_interval();
      // Beyond int64 microseconds (about 292,000 years) the conversion
      // would saturate: a different value, not the one given.
      if (absl::AbsDuration(interval) >= absl::Microseconds(std::numeric_limits<int64_t>::max())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the duration ", absl::FormatDuration(interval), " is beyond what an interval holds"));
      }
      const int64_t micros = absl::ToInt64Microseconds(interval);
      char bytes[16];
      auto raw = static_cast<uint64_t>(micros);
      for (size_t b = 8; b-- > 0;) {
        bytes[b] = static_cast<char>(raw & 0xff);
        raw >>= 8;
      }
      std::memset(bytes + 8, 0, 8);
      Store(i, oid::kInterval, std::string(bytes, sizeof(bytes)), params);
      params.formats[i] = 1;
      return absl::OkStatus();
    }
    case Kind::kBlob:
      Borrow(i, oid::kBytea, value.as_blob().bytes, params);
      params.formats[i] = 1;  // raw bytes: no escaping, and NUL bytes survive
      return absl::OkStatus();
    case Kind::kTimestamp:
      Store(i, oid::kTimestamptz, FormatTimestamp(value.as_timestamp()), params);
      return absl::OkStatus();
    case Kind::kDate:
      Store(i, oid::kDate, FormatDate(value.as_date()), params);
      return absl::OkStatus();
    case Kind::kDecimal:
      Borrow(i, oid::kNumeric, value.as_decimal().digits(), params);
      return absl::OkStatus();
    case Kind::kJson:
      DUO_RETURN_IF_ERROR(CheckNoNul(value.as_json().text, "the JSON text"));
      // Untyped, like text: the server gives the parameter the type of what
      // it is assigned to or compared with, so a json column (which keeps
      // the text as written: 1e300, -0.0) gets json and a jsonb column
      // jsonb. Bound as jsonb, a json column got jsonb's normalized
      // spelling through the assignment cast (1e300 as 301 digits, -0.0
      // as 0), and a table made by another client declares either.
      Borrow(i, oid::kUnknownParam, value.as_json().text, params);
      return absl::OkStatus();
    case Kind::kArray: {
      DUO_ASSIGN_OR_RETURN(const Oid type, ArrayType(value.as_array()));
      DUO_ASSIGN_OR_RETURN(std::string text, FormatArray(value.as_array()));
      Store(i, type, std::move(text), params);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("unknown value kind");
}

// ---- Binary fields ------------------------------------------------------------

// Reads big-endian fields off the front of a field's bytes.
class Reader {
 public:
  explicit Reader(absl::string_view bytes) : bytes_(bytes) {}

  template <typename T>
  bool Read(T* value) {
    static_assert(std::is_integral_v<T>);
    if (bytes_.size() < sizeof(T)) return false;
    uint64_t raw = 0;
    for (size_t i = 0; i < sizeof(T); ++i) raw = (raw << 8) | static_cast<uint8_t>(bytes_[i]);
    *value = static_cast<T>(static_cast<std::make_unsigned_t<T>>(raw));
    bytes_.remove_prefix(sizeof(T));
    return true;
  }

  bool ReadBytes(size_t count, absl::string_view* out) {
    if (bytes_.size() < count) return false;
    *out = bytes_.substr(0, count);
    bytes_.remove_prefix(count);
    return true;
  }

  size_t remaining() const { return bytes_.size(); }

 private:
  absl::string_view bytes_;
};

absl::Status Malformed(Oid type) {
  return absl::InvalidArgumentError(absl::StrCat("holds a malformed ", TypeName(type), " value"));
}

absl::Status WrongType(Oid type, absl::string_view wanted) {
  return absl::InvalidArgumentError(absl::StrCat("holds ", TypeName(type), ", not ", wanted));
}

// A field that is exactly one big-endian T.
template <typename T>
absl::StatusOr<T> ReadWhole(Oid type, absl::string_view bytes) {
  Reader reader(bytes);
  T value;
  if (!reader.Read(&value) || reader.remaining() != 0) return Malformed(type);
  return value;
}

template <typename Float, typename Bits>
absl::StatusOr<double> ReadFloat(Oid type, absl::string_view bytes) {
  static_assert(sizeof(Float) == sizeof(Bits));
  DUO_ASSIGN_OR_RETURN(const Bits bits, ReadWhole<Bits>(type, bytes));
  Float value;
  std::memcpy(&value, &bits, sizeof(value));
  return static_cast<double>(value);
}

bool IsInteger(Oid type) {
  return type == oid::kInt2 || type == oid::kInt4 || type == oid::kInt8 || type == oid::kOid;
}

bool IsPlainText(Oid type) {
  return type == oid::kText || type == oid::kVarchar || type == oid::kBpchar ||
         type == oid::kName || type == oid::kChar || type == oid::kUnknown;
}

// numeric's binary form: digit count, weight (the power of 10000 of the
// first digit), sign, display scale, then base-10000 digits.
struct Numeric {
  enum class Special : uint8_t { kNone, kNaN, kInfinity, kMinusInfinity };
  Special special = Special::kNone;
  std::string digits;  // [-]digits[.digits], when finite
};

constexpr uint16_t kNumericPositive = 0x0000;
constexpr uint16_t kNumericNegative = 0x4000;
constexpr uint16_t kNumericNaN = 0xC000;
constexpr uint16_t kNumericInfinity = 0xD000;
constexpr uint16_t kNumericMinusInfinity = 0xF000;

std::string NumericDigits(bool negative, int weight, int scale,
                          const std::vector<int16_t>& digits) {
  const auto digit_at = [&digits](int index) {
    return index >= 0 && index < static_cast<int>(digits.size()) ? digits[index] : 0;
  };
  std::string text = negative ? "-" : "";
  if (weight < 0) text.push_back('0');
  for (int i = 0; i <= weight; ++i) {
    if (i == 0) {
      absl::StrAppend(&text, digit_at(i));
    } else {
      absl::StrAppend(&text, absl::Dec(digit_at(i), absl::kZeroPad4));
    }
  }
  if (scale > 0) {
    text.push_back('.');
    const size_t end = text.size() + static_cast<size_t>(scale);
    for (int i = weight + 1; text.size() < end; ++i) {
      absl::StrAppend(&text, absl::Dec(digit_at(i), absl::kZeroPad4));
    }
    text.resize(end);  // the display scale may end inside a base-10000 digit
  }
  return text;
}

absl::StatusOr<Numeric> ReadNumeric(absl::string_view bytes) {
  Reader reader(bytes);
  int16_t count, weight, scale;
  uint16_t sign;
  if (!reader.Read(&count) || !reader.Read(&weight) || !reader.Read(&sign) ||
      !reader.Read(&scale) || count < 0 || scale < 0) {
    return Malformed(oid::kNumeric);
  }
  std::vector<int16_t> digits(static_cast<size_t>(count));
  for (int16_t& digit : digits) {
    if (!reader.Read(&digit) || digit < 0 || digit > 9999) return Malformed(oid::kNumeric);
  }
  if (reader.remaining() != 0) return Malformed(oid::kNumeric);
  switch (sign) {
    case kNumericPositive:
    case kNumericNegative:
      return Numeric{.digits = NumericDigits(sign == kNumericNegative, weight, scale, digits)};
    case kNumericNaN:
      return Numeric{.special = Numeric::Special::kNaN};
    case kNumericInfinity:
      return Numeric{.special = Numeric::Special::kInfinity};
    case kNumericMinusInfinity:
      return Numeric{.special = Numeric::Special::kMinusInfinity};
    default:
      return Malformed(oid::kNumeric);
  }
}

double SpecialToDouble(Numeric::Special special) {
  switch (special) {
    case Numeric::Special::kInfinity:
      return std::numeric_limits<double>::infinity();
    case Numeric::Special::kMinusInfinity:
      return -std::numeric_limits<double>::infinity();
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

absl::Status SpecialError(Numeric::Special special, absl::string_view type) {
  return absl::InvalidArgumentError(
      absl::StrCat("holds the numeric ", special == Numeric::Special::kNaN ? "NaN" : "infinity",
                   ", which ", type, " cannot hold"));
}

absl::StatusOr<int64_t> NumericToInt(absl::string_view bytes) {
  DUO_ASSIGN_OR_RETURN(const Numeric numeric, ReadNumeric(bytes));
  if (numeric.special != Numeric::Special::kNone) return SpecialError(numeric.special, "int64");
  absl::string_view text = numeric.digits;
  const size_t point = text.find('.');
  if (point != absl::string_view::npos) {
    if (text.find_first_not_of('0', point + 1) != absl::string_view::npos) {
      return absl::InvalidArgumentError("holds a numeric with a fraction, not an integer");
    }
    text = text.substr(0, point);
  }
  int64_t value;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError("holds a numeric outside the range of int64");
  }
  return value;
}

absl::StatusOr<double> NumericToDouble(absl::string_view bytes) {
  DUO_ASSIGN_OR_RETURN(const Numeric numeric, ReadNumeric(bytes));
  if (numeric.special != Numeric::Special::kNone) return SpecialToDouble(numeric.special);
  double value;
  if (!absl::SimpleAtod(numeric.digits, &value) || std::isinf(value)) {
    return absl::InvalidArgumentError("holds a numeric outside the range of double");
  }
  return value;
}

// PostgreSQL's binary dates and timestamps count from 2000-01-01 UTC.
constexpr int64_t kUnixSecondsAt2000 = 946684800;

}  // namespace

std::string TypeName(Oid type) {
  const TypeEntry* entry = FindType(type);
  if (entry != nullptr) return entry->name;
  return absl::StrCat("type ", type);
}

absl::StatusOr<EncodedParams> EncodeParams(const std::vector<sql::Value>& values) {
  const size_t count = values.size();
  EncodedParams params;
  params.types.assign(count, oid::kUnknownParam);
  params.values.assign(count, nullptr);
  params.lengths.assign(count, 0);
  params.formats.assign(count, 0);
  params.storage.resize(count);
  for (size_t i = 0; i < count; ++i) {
    absl::Status encoded = EncodeParam(i, values[i], params);
    if (!encoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("$", i + 1, ": ", encoded.message()));
    }
  }
  return params;
}

std::string FormatTimestamp(absl::Time time) { return sql::FormatPostgresTimestamp(time); }

std::string FormatDate(absl::CivilDay day) {
  const Era era = ToEra(day.year());
  return absl::StrFormat("%04d-%02d-%02d%s", era.year, day.month(), day.day(), era.suffix);
}

absl::StatusOr<bool> DecodeBool(Oid type, absl::string_view bytes) {
  if (type != oid::kBool) return WrongType(type, "a boolean");
  DUO_ASSIGN_OR_RETURN(const uint8_t value, ReadWhole<uint8_t>(type, bytes));
  return value != 0;
}

absl::StatusOr<int64_t> DecodeInt(Oid type, absl::string_view bytes) {
  switch (type) {
    case oid::kInt2:
      return ReadWhole<int16_t>(type, bytes);
    case oid::kInt4:
      return ReadWhole<int32_t>(type, bytes);
    case oid::kInt8:
      return ReadWhole<int64_t>(type, bytes);
    case oid::kOid:
      return ReadWhole<uint32_t>(type, bytes);
    case oid::kNumeric:
      return NumericToInt(bytes);
    default:
      return WrongType(type, "an integer");
  }
}

absl::StatusOr<double> DecodeDouble(Oid type, absl::string_view bytes) {
  if (type == oid::kFloat8) return ReadFloat<double, uint64_t>(type, bytes);
  if (type == oid::kFloat4) return ReadFloat<float, uint32_t>(type, bytes);
  if (type == oid::kNumeric) return NumericToDouble(bytes);
  if (!IsInteger(type)) return WrongType(type, "a number");
  // Every integer up to 2^53 is a double; beyond, digits would be lost.
  constexpr int64_t kExactLimit = int64_t{1} << 53;
  DUO_ASSIGN_OR_RETURN(const int64_t value, DecodeInt(type, bytes));
  if (value < -kExactLimit || value > kExactLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("holds an ", TypeName(type), " that a double cannot hold exactly"));
  }
  return static_cast<double>(value);
}

absl::StatusOr<absl::string_view> DecodeText(Oid type, absl::string_view bytes) {
  if (IsPlainText(type) || type == oid::kJson) return bytes;
  if (type != oid::kJsonb) return WrongType(type, "text");
  // jsonb's binary form is a version byte, then the document as text.
  constexpr char kJsonbVersion = 1;
  if (bytes.empty() || bytes.front() != kJsonbVersion) return Malformed(type);
  return bytes.substr(1);
}

absl::StatusOr<absl::string_view> DecodeBytes(Oid type, absl::string_view bytes) {
  if (type != oid::kBytea) return WrongType(type, "bytes");
  return bytes;
}

absl::StatusOr<absl::Time> DecodeTimestamp(Oid type, absl::string_view bytes) {
  if (type != oid::kTimestamptz && type != oid::kTimestamp) return WrongType(type, "a timestamp");
  DUO_ASSIGN_OR_RETURN(const int64_t micros, ReadWhole<int64_t>(type, bytes));
  if (micros == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  if (micros == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  // absl::Time arithmetic, because the largest timestamps overflow int64
  // microseconds once moved to the Unix epoch.
  return absl::FromUnixSeconds(kUnixSecondsAt2000) + absl::Microseconds(micros);
}

absl::StatusOr<absl::CivilDay> DecodeDate(Oid type, absl::string_view bytes) {
  if (type != oid::kDate) return WrongType(type, "a date");
  DUO_ASSIGN_OR_RETURN(const int32_t days, ReadWhole<int32_t>(type, bytes));
  if (days == std::numeric_limits<int32_t>::max() || days == std::numeric_limits<int32_t>::min()) {
    return absl::InvalidArgumentError("holds an infinite date, which absl::CivilDay cannot hold");
  }
  return absl::CivilDay(2000, 1, 1) + days;
}

absl::StatusOr<sql::Decimal> DecodeDecimal(Oid type, absl::string_view bytes) {
  if (IsInteger(type)) {
    DUO_ASSIGN_OR_RETURN(const int64_t value, DecodeInt(type, bytes));
    return sql::Decimal::Parse(absl::StrCat(value));
  }
  if (type != oid::kNumeric) return WrongType(type, "a decimal");
  DUO_ASSIGN_OR_RETURN(const Numeric numeric, ReadNumeric(bytes));
  if (numeric.special != Numeric::Special::kNone) {
    return SpecialError(numeric.special, "sql::Decimal");
  }
  return sql::Decimal::Parse(numeric.digits);
}

// Header: dimensions, a has-NULLs flag, the element type; per dimension its
// length and lower bound; then each element as a length (-1 for NULL) and
// that many bytes.
absl::StatusOr<sql::Array> DecodeArray(Oid type, absl::string_view bytes) {
  if (ElementType(type) == 0) return WrongType(type, "an array");
  Reader reader(bytes);
  int32_t dimensions, has_nulls, length, lower_bound;
  uint32_t element_type;
  if (!reader.Read(&dimensions) || !reader.Read(&has_nulls) || !reader.Read(&element_type) ||
      dimensions < 0) {
    return Malformed(type);
  }
  sql::Array array;
  if (dimensions == 0) return array;  // '{}'
  if (dimensions > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("holds a ", dimensions, "-dimensional array; sql::Array has one dimension"));
  }
  if (!reader.Read(&length) || !reader.Read(&lower_bound) || length < 0 ||
      static_cast<size_t>(length) > reader.remaining() / 4) {
    return Malformed(type);
  }
  array.elements.reserve(static_cast<size_t>(length));
  for (int32_t i = 0; i < length; ++i) {
    int32_t size;
    absl::string_view element;
    if (!reader.Read(&size)) return Malformed(type);
    if (size == -1) {
      array.elements.emplace_back();
      continue;
    }
    if (size < 0 || !reader.ReadBytes(static_cast<size_t>(size), &element)) return Malformed(type);
    DUO_ASSIGN_OR_RETURN(sql::Value value, DecodeValue(element_type, element));
    array.elements.push_back(std::move(value));
  }
  if (reader.remaining() != 0) return Malformed(type);
  return array;
}

absl::StatusOr<sql::Uuid> DecodeUuid(Oid type, absl::string_view bytes) {
  if (type != oid::kUuid) return WrongType(type, "a UUID");
  if (bytes.size() != 16) return Malformed(type);
  return sql::Uuid::FromBytes(bytes);
}

absl::StatusOr<sql::TimeOfDay> DecodeTimeOfDay(Oid type, absl::string_view bytes) {
  if (type != oid::kTime) return WrongType(type, "a time of day");
  DUO_ASSIGN_OR_RETURN(const int64_t micros, ReadWhole<int64_t>(type, bytes));
  absl::StatusOr<sql::TimeOfDay> time = sql::TimeOfDay::FromMicros(micros);
  if (!time.ok()) return Malformed(type);
  return time;
}

namespace {

struct IntervalParts {
  int64_t micros;
  int32_t days;
  int32_t months;
};

absl::StatusOr<IntervalParts> ReadInterval(absl::string_view bytes) {
  Reader reader(bytes);
  IntervalParts parts;
  if (!reader.Read(&parts.micros) || !reader.Read(&parts.days) || !reader.Read(&parts.months) ||
      reader.remaining() != 0) {
    return Malformed(oid::kInterval);
  }
  return parts;
}

// One "N unit(s)" of PostgreSQL's interval output (AddPostgresIntPart).
void AppendIntervalPart(std::string* out, int64_t value, absl::string_view unit, bool* is_zero,
                        bool* is_before) {
  if (value == 0) return;
  absl::StrAppend(out, *is_zero ? "" : " ", *is_before && value > 0 ? "+" : "", value, " ", unit,
                  value != 1 ? "s" : "");
  *is_before = value < 0;
  *is_zero = false;
}

// A fraction of a second as PostgreSQL prints it: up to six digits,
// trailing zeros dropped, nothing for zero.
std::string Fraction(int64_t micros) {
  if (micros == 0) return "";
  std::string digits = absl::StrFormat(".%06d", micros);
  while (digits.back() == '0') digits.pop_back();
  return digits;
}

std::string FormatTimeOfDayText(int64_t micros) {
  const int64_t seconds = micros / 1000000;
  return absl::StrFormat("%02d:%02d:%02d%s", seconds / 3600, seconds / 60 % 60, seconds % 60,
                         Fraction(micros % 1000000));
}

absl::StatusOr<std::string> RenderInet(Oid type, absl::string_view bytes) {
  // family (PGSQL_AF_INET 2, PGSQL_AF_INET6 3), prefix bits, is_cidr,
  // address length, address.
  if (bytes.size() < 4) return Malformed(type);
  const uint8_t family = static_cast<uint8_t>(bytes[0]);
  const int bits = static_cast<uint8_t>(bytes[1]);
  const size_t length = static_cast<uint8_t>(bytes[3]);
  const bool v4 = family == 2;
  if ((!v4 && family != 3) || length != (v4 ? 4u : 16u) || bytes.size() != 4 + length) {
    return Malformed(type);
  }
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data() + 4, text, sizeof(text)) == nullptr) {
    return Malformed(type);
  }
  const int max_bits = v4 ? 32 : 128;
  if (type == oid::kCidr || bits != max_bits) return absl::StrCat(text, "/", bits);
  return std::string(text);
}

std::string RenderMac(absl::string_view bytes) {
  std::string text;
  for (size_t i = 0; i < bytes.size(); ++i) {
    absl::StrAppend(&text, i > 0 ? ":" : "",
                    absl::Hex(static_cast<uint8_t>(bytes[i]), absl::kZeroPad2));
  }
  return text;
}

}  // namespace

std::string FormatInterval(int64_t micros, int32_t days, int32_t months) {
  std::string text;
  bool is_zero = true, is_before = false;
  AppendIntervalPart(&text, months / 12, "year", &is_zero, &is_before);
  AppendIntervalPart(&text, months % 12, "mon", &is_zero, &is_before);
  AppendIntervalPart(&text, days, "day", &is_zero, &is_before);
  if (is_zero || micros != 0) {
    const bool minus = micros < 0;
    // The magnitude; INT64_MIN microseconds has none in int64.
    const uint64_t magnitude =
        minus ? uint64_t{0} - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
    const uint64_t seconds = magnitude / 1000000;
    absl::StrAppend(
        &text, is_zero ? "" : " ", minus ? "-" : (is_before ? "+" : ""),
        absl::StrFormat("%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60),
        Fraction(static_cast<int64_t>(magnitude % 1000000)));
  }
  return text;
}

absl::StatusOr<absl::Duration> DecodeInterval(Oid type, absl::string_view bytes) {
  if (type != oid::kInterval) return WrongType(type, "an interval");
  DUO_ASSIGN_OR_RETURN(const IntervalParts parts, ReadInterval(bytes));
  if (parts.months != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "holds the interval ", FormatInterval(parts.micros, parts.days, parts.months),
        ", whose months have no fixed length: absl::Duration cannot hold it (read it as a "
        "string)"));
  }
  return absl::Microseconds(parts.micros) + absl::Hours(24) * parts.days;
}

absl::StatusOr<std::string> RenderAsText(Oid type, absl::string_view bytes) {
  switch (type) {
    case oid::kUuid: {
      DUO_ASSIGN_OR_RETURN(const sql::Uuid uuid, DecodeUuid(type, bytes));
      return uuid.ToString();
    }
    case oid::kTime: {
      DUO_ASSIGN_OR_RETURN(const int64_t micros, ReadWhole<int64_t>(type, bytes));
      return FormatTimeOfDayText(micros);
    }
    case oid::kTimetz: {
      Reader reader(bytes);
      int64_t micros;
      int32_t zone;  // seconds west of UTC
      if (!reader.Read(&micros) || !reader.Read(&zone) || reader.remaining() != 0) {
        return Malformed(type);
      }
      const int32_t east = -zone;
      const int32_t offset = east < 0 ? -east : east;
      std::string text = absl::StrCat(FormatTimeOfDayText(micros), east < 0 ? "-" : "+",
                                      absl::Dec(offset / 3600, absl::kZeroPad2));
      if (offset % 3600 != 0)
        absl::StrAppend(&text, ":", absl::Dec(offset / 60 % 60, absl::kZeroPad2));
      if (offset % 60 != 0) absl::StrAppend(&text, ":", absl::Dec(offset % 60, absl::kZeroPad2));
      return text;
    }
    case oid::kInterval: {
      DUO_ASSIGN_OR_RETURN(const IntervalParts parts, ReadInterval(bytes));
      return FormatInterval(parts.micros, parts.days, parts.months);
    }
    case oid::kInet:
    case oid::kCidr:
      return RenderInet(type, bytes);
    case oid::kMacaddr:
      if (bytes.size() != 6) return Malformed(type);
      return RenderMac(bytes);
    case oid::kMacaddr8:
      if (bytes.size() != 8) return Malformed(type);
      return RenderMac(bytes);
    case oid::kXml:
      return std::string(bytes);  // xml_send sends the document's text
    default:
      return WrongType(type, "text");
  }
}

absl::StatusOr<sql::Value> DecodeValue(Oid type, absl::string_view bytes) {
  if (IsPlainText(type)) return sql::Value(bytes);
  if (IsInteger(type)) return DecodeInt(type, bytes);
  switch (type) {
    case oid::kBool:
      return DecodeBool(type, bytes);
    case oid::kFloat4:
    case oid::kFloat8:
      return DecodeDouble(type, bytes);
    case oid::kNumeric: {
      DUO_ASSIGN_OR_RETURN(Numeric numeric, ReadNumeric(bytes));
      if (numeric.special != Numeric::Special::kNone) return SpecialToDouble(numeric.special);
      return sql::Decimal::Parse(numeric.digits);
    }
    case oid::kJson:
    case oid::kJsonb: {
      DUO_ASSIGN_OR_RETURN(const absl::string_view text, DecodeText(type, bytes));
      return sql::JsonText{std::string(text)};
    }
    case oid::kBytea:
      return sql::Blob{std::string(bytes)};
    case oid::kTimestamp:
    case oid::kTimestamptz:
      return DecodeTimestamp(type, bytes);
    case oid::kDate:
      return DecodeDate(type, bytes);
    case oid::kUuid:
      return DecodeUuid(type, bytes);
    case oid::kTime:
      return DecodeTimeOfDay(type, bytes);
    case oid::kInterval: {
      // An interval with months has no duration: its text, then.
      absl::StatusOr<absl::Duration> interval = DecodeInterval(type, bytes);
      if (interval.ok()) return *interval;
      return RenderAsText(type, bytes);
    }
    case oid::kTimetz:
    case oid::kInet:
    case oid::kCidr:
    case oid::kMacaddr:
    case oid::kMacaddr8:
    case oid::kXml:
      return RenderAsText(type, bytes);
    default:
      break;
  }
  if (ElementType(type) != 0) return DecodeArray(type, bytes);
  return absl::InvalidArgumentError(absl::StrCat(
      "holds ", TypeName(type), ", which the driver does not read; cast it to text in the SQL"));
}

}  // namespace duo::engine::postgres_internal
