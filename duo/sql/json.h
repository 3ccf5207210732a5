// Operators inside JSON documents and arrays: path extraction, key
// existence, containment; array containment, overlap, membership and
// length.
//
// They are IR nodes (ExprKind::kJson) like any other; each dialect spells
// them (Dialect::WriteJson) or fails naming itself and the operator, as
// SQLite does for JSON containment. Keys, indexes and values are always
// bound parameters, never SQL text.
//
//   using duo::sql::JsonText;
//   Expr doc = documents.C("doc");
//   Expr red = JsonTextAt(doc, {"meta", "color"}) == "red";
//   Expr big = JsonNumberAt(doc, {"sizes", 0}) > 40;
//   Expr tagged = ArrayOverlaps(documents.C("tags"), duo::sql::Array{{Value(1), Value(7)}});
//
// The results are the same on every database that compiles them:
//   * JsonTextAt is the string at the path; NULL when the path is missing
//     or leads to anything but a string (a number, an object, JSON null).
//   * JsonNumberAt is the number at the path as a double; NULL otherwise
//     (a string "42" is not a number).
//   * A key step matches an object's key exactly (any text: dots, quotes,
//     "$", unicode); an index step matches an array's element, counted from
//     0. A key never matches an array element, an index never an object key.

#ifndef DUO_SQL_JSON_H_
#define DUO_SQL_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duo/sql/expr.h"
#include "duo/sql/value.h"

namespace duo::sql {

// One step of a path into a JSON document: an object's key or an array's
// index. A negative index matches nothing on some databases and counts from
// the end on others, so it is refused when the statement compiles.
class JsonStep {
 public:
  JsonStep(std::string key) : key_(std::move(key)) {}
  JsonStep(const char* key) : key_(key) {}
  JsonStep(std::string_view key) : key_(key) {}
  JsonStep(int index) : index_(index), is_index_(true) {}
  JsonStep(int64_t index) : index_(index), is_index_(true) {}

  bool is_index() const { return is_index_; }
  const std::string& key() const { return key_; }
  int64_t index() const { return index_; }

 private:
  std::string key_;
  int64_t index_ = 0;
  bool is_index_ = false;
};

using JsonPath = std::vector<JsonStep>;

// The string at `path` inside `document` (see above); `path` must not be
// empty.
TypedExpr<std::optional<std::string>> JsonTextAt(const Expr& document, const JsonPath& path);
// The number at `path` inside `document`, as a double.
TypedExpr<std::optional<double>> JsonNumberAt(const Expr& document, const JsonPath& path);
// Whether the object at `path` (the document itself when empty) has `key`,
// whatever its value (JSON null included).
TypedExpr<bool> JsonHasKey(const Expr& document, const JsonPath& path, std::string key);
// Whether `document` contains `fragment` (PostgreSQL's jsonb @>): every key
// of an object fragment is present with a contained value, every element of
// an array fragment is contained in some element. No SQLite equivalent.
TypedExpr<bool> JsonContains(const Expr& document, JsonText fragment);

// Whether `array` holds every element of `values` (PostgreSQL's @>). An
// empty `values` holds for every array that is not NULL.
TypedExpr<bool> ArrayContains(const Expr& array, Array values);
// Whether `array` and `values` share an element (PostgreSQL's &&).
TypedExpr<bool> ArrayOverlaps(const Expr& array, Array values);
// Whether `array` holds `value` (PostgreSQL's `value = ANY(array)`).
TypedExpr<bool> ArrayHas(const Expr& array, Value value);
// The number of elements (PostgreSQL's cardinality: 0 for an empty array,
// NULL for NULL).
TypedExpr<std::optional<int64_t>> ArrayLength(const Expr& array);

// How ExprNode::name of a kJson node spells its path: one letter per step,
// 'k' a key, 'i' an index, 'x' a negative index (an error when compiled).
// The letters are part of the shape, so that statements whose steps differ
// in kind never share a compiled form.
inline constexpr char kJsonKeyStep = 'k';
inline constexpr char kJsonIndexStep = 'i';
inline constexpr char kJsonBadIndexStep = 'x';

}  // namespace duo::sql

#endif  // DUO_SQL_JSON_H_
