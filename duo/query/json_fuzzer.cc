// Fuzzes models from JSON (duo/model/json.h), the path a request body takes
// into a model, and the checks a write runs on the values that come out:
// FromJson and PayloadFromJson on the shop's Everything model (every member
// type), on Order, and on Edges (below: the members whose values have
// edges). The input is JSON text; what does not parse as JSON is skipped,
// since parsing is nlohmann's. Each input is also run with up to three of
// its fields replaced by values at the edges (numbers at and beyond the
// limits of float, int32, int64, uint64 and numeric(20, 6), NaN and the
// infinities, documents nested around the depth limit, text that is not
// UTF-8), chosen by a hash of the input: deterministic, so seeded runs
// repeat.
//
// Properties:
//   * FromJson and PayloadFromJson succeed or return InvalidArgument or
//     OutOfRange, and never throw (nlohmann's accessors would, on a type
//     mismatch or on text that is not UTF-8);
//   * they agree: a JSON object whose fields are all columns converts either
//     way or neither way;
//   * a model read from JSON writes back (ToJson) to JSON that reads to an
//     equal model, and whose text dumps without error;
//   * the checks a write runs (CheckWritable on SQLite and PostgreSQL,
//     CheckPayload) never throw and return OK, InvalidArgument or
//     OutOfRange; CheckPayload agrees with PostgreSQL's CheckWritable, and
//     every value CheckWritable accepts converts to the sql::Value a driver
//     binds and back (engine::FromValue) to the same value: round-trips
//     exactly or returns a clear error.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "duo/dialect/compiler.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/engine/read.h"
#include "duo/model/json.h"
#include "duo/model/meta.h"
#include "duo/model/payload.h"
#include "duo/query/query.h"
#include "duo/query/testdata/shop.h"
#include "nlohmann/json.hpp"
#include "testing/fuzz/fuzz.h"

namespace fuzz_edges {

struct Edges : duo::Model<Edges> {
  int64_t id = 0;
  uint64_t counter = 0;
  int32_t small = 0;
  float level = 0;
  double value = 0;
  std::optional<double> maybe;
  std::vector<double> samples;
  duo::sql::Decimal amount;
  nlohmann::json doc;
  std::string name;

  static duo::Schema<Edges> Table() {
    return duo::Schema<Edges>("edges")
        .Column(&Edges::id, "id", duo::PrimaryKey())
        .Column(&Edges::counter, "counter")
        .Column(&Edges::small, "small")
        .Column(&Edges::level, "level")
        .Column(&Edges::value, "value")
        .Column(&Edges::maybe, "maybe")
        .Column(&Edges::samples, "samples")
        .Column(&Edges::amount, "amount", duo::Precision(20, 6))
        .Column(&Edges::doc, "doc")
        .Column(&Edges::name, "name");
  }
};

}  // namespace fuzz_edges

namespace {

bool Allowed(const absl::Status& status) {
  return status.ok() || ((absl::IsInvalidArgument(status) || absl::IsOutOfRange(status)) &&
                         !status.message().empty());
}

// Equal as stored values: NaN is the same as NaN.
bool SameValue(const duo::sql::Value& a, const duo::sql::Value& b) {
  using Kind = duo::sql::Value::Kind;
  if (a.kind() == Kind::kDouble && b.kind() == Kind::kDouble && std::isnan(a.as_double())) {
    return std::isnan(b.as_double());
  }
  if (a.kind() == Kind::kArray && b.kind() == Kind::kArray) {
    const auto& x = a.as_array().elements;
    const auto& y = b.as_array().elements;
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!SameValue(x[i], y[i])) return false;
    }
    return true;
  }
  return a == b;
}

nlohmann::json Nested(int levels) {
  nlohmann::json json = nlohmann::json::object();
  for (int i = 0; i < levels - 1; ++i) {
    nlohmann::json array = nlohmann::json::array();
    array.push_back(std::move(json));
    json = std::move(array);
  }
  return json;
}

// Values at the edges of what the members and columns hold.
nlohmann::json EdgeValue(uint64_t pick) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  switch (pick % 34) {
    case 0:
      return 0;
    case 1:
      return -0.0;
    case 2:
      return 1e300;
    case 3:
      return -1e300;
    case 4:
      return 1e-300;
    case 5:
      return std::numeric_limits<double>::denorm_min();
    case 6:
      return std::numeric_limits<float>::max();
    case 7:
      return 3.5e38;
    case 8:
      return 1e-45;  // float's smallest subnormal, rounded
    case 9:
      return 1e-46;  // below it
    case 10:
      return kNaN;
    case 11:
      return kInf;
    case 12:
      return -kInf;
    case 13:
      return std::numeric_limits<int64_t>::max();
    case 14:
      return std::numeric_limits<int64_t>::min();
    case 15:
      return uint64_t{1} << 63;
    case 16:
      return std::numeric_limits<uint64_t>::max();
    case 17:
      return int64_t{std::numeric_limits<int32_t>::max()} + 1;
    case 18:
      return "1.1234567";
    case 19:
      return "123456789012345";
    case 20:
      return "99999999999999.999999";
    case 21:
      return "-0.000001000";
    case 22:
      return "\xff";
    case 23:
      return "caf\xc3";
    case 24:
      return "\xed\xa0\x80";
    case 25:
      return "caf\xc3\xa9";
    case 26:
      return Nested(duo::engine::kMaxJsonDepth - 1);
    case 27:
      return Nested(duo::engine::kMaxJsonDepth);
    case 28:
      return Nested(duo::engine::kMaxJsonDepth + 1);
    case 29:
      return Nested(2 * duo::engine::kMaxJsonDepth);
    case 30:
      return {{"x", kNaN}};
    case 31:
      return {{"\xff", 1}};
    case 32:
      return nlohmann::json::array({1.5, kNaN, -kInf});
    default:
      return nlohmann::json::array({1.5, 1e300, -0.0});
  }
}

uint64_t Fnv1a(absl::string_view input) {
  uint64_t hash = 0xcbf29ce484222325;
  for (unsigned char c : input) hash = (hash ^ c) * 0x100000001b3;
  return hash;
}

template <typename T>
void CheckWrites(const T& object, const nlohmann::json& json, const duo::Payload* payload,
                 absl::string_view input) {
  const duo::ModelMeta& meta = duo::MetaOf<T>();
  for (const duo::dialect::Dialect* dialect :
       {&duo::dialect::SqliteDialect(), &duo::dialect::PostgresDialect()}) {
    absl::Status writable;
    try {
      writable = duo::CheckWritable(meta, &object, nullptr, *dialect);
    } catch (const std::exception& e) {
      DUO_FUZZ_CHECK(false, input, absl::StrCat("exception checking a write: ", e.what()));
    }
    DUO_FUZZ_CHECK(Allowed(writable), input, writable.ToString());
    if (dialect == &duo::dialect::PostgresDialect() && payload != nullptr) {
      const absl::Status checked = duo::CheckPayload(meta, *payload);
      DUO_FUZZ_CHECK(Allowed(checked), input, checked.ToString());
      DUO_FUZZ_CHECK(
          checked.ok() == writable.ok(), input,
          absl::StrCat(json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       ": CheckPayload ", checked.ToString(), " vs CheckWritable ",
                       writable.ToString()));
    }
    if (!writable.ok()) continue;
    // What the driver would bind converts back to the same value.
    T read_back{};
    for (const duo::ColumnMeta& column : meta.columns()) {
      const duo::sql::Value bound = column.accessor->Get(&object);
      const absl::Status set = column.accessor->Set(&read_back, bound, column.name);
      DUO_FUZZ_CHECK(set.ok(), input, absl::StrCat(column.name, ": ", set.ToString()));
      DUO_FUZZ_CHECK(SameValue(column.accessor->Get(&read_back), bound), input,
                     absl::StrCat(column.name, ": ", bound.DebugString()));
    }
  }
}

template <typename T>
void Fuzz(const nlohmann::json& json, absl::string_view input) {
  absl::StatusOr<T> object;
  absl::StatusOr<duo::Payload> payload;
  try {
    object = duo::FromJson<T>(json);
    payload = duo::PayloadFromJson<T>(json);
  } catch (const std::exception& e) {
    DUO_FUZZ_CHECK(false, input, absl::StrCat("exception: ", e.what()));
  }
  DUO_FUZZ_CHECK(Allowed(object.status()), input, object.status().ToString());
  DUO_FUZZ_CHECK(Allowed(payload.status()), input, payload.status().ToString());
  bool only_columns = json.is_object();
  if (only_columns) {
    for (const auto& item : json.items()) {
      if (duo::MetaOf<T>().FindColumn(item.key()) == nullptr) only_columns = false;
    }
  }
  if (only_columns) {
    DUO_FUZZ_CHECK(object.ok() == payload.ok(), input,
                   absl::StrCat(object.status().ToString(), " vs ", payload.status().ToString()));
  }
  if (!object.ok()) return;
  CheckWrites(*object, json, only_columns && payload.ok() ? &*payload : nullptr, input);
  nlohmann::json written;
  std::string text;
  absl::StatusOr<T> again;
  try {
    written = duo::ToJson(*object);
    text = written.dump();
    again = duo::FromJson<T>(written);
  } catch (const std::exception& e) {
    DUO_FUZZ_CHECK(false, input, absl::StrCat("exception writing back: ", e.what()));
  }
  DUO_FUZZ_CHECK(again.ok(), input, absl::StrCat(text, " -> ", again.status().ToString()));
  if constexpr (std::equality_comparable<T>) {
    DUO_FUZZ_CHECK(*again == *object, input, text);
  }
}

// The input as it is, then with up to three fields at the edges.
template <typename T>
void FuzzWithEdges(const nlohmann::json& json, absl::string_view input) {
  Fuzz<T>(json, input);
  const std::vector<duo::ColumnMeta>& columns = duo::MetaOf<T>().columns();
  uint64_t hash = Fnv1a(input);
  nlohmann::json edited = json.is_object() ? json : nlohmann::json::object();
  const int edits = 1 + static_cast<int>(hash % 3);
  for (int i = 0; i < edits; ++i) {
    hash = hash * 6364136223846793005 + 1442695040888963407;  // an LCG step
    const std::string& column = columns[(hash >> 33) % columns.size()].name;
    edited[column] = EdgeValue(hash >> 17);
  }
  Fuzz<T>(edited, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = duo::fuzz::AsText(data, size);
  const nlohmann::json json =
      nlohmann::json::parse(input.begin(), input.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  FuzzWithEdges<shop::Everything>(json, input);
  FuzzWithEdges<shop::Order>(json, input);
  FuzzWithEdges<fuzz_edges::Edges>(json, input);
  return 0;
}
