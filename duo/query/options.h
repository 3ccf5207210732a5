// Options of the query builder's relationship, bulk and paging operations.

#ifndef DUO_QUERY_OPTIONS_H_
#define DUO_QUERY_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "duo/sql/expr.h"

namespace duo {

// How Related() loads a relationship.
enum class Loader : uint8_t {
  // One more statement per relationship level: WHERE key IN (...) over the
  // parents just loaded. The default; never multiplies parent rows.
  kSelectIn,
  // LEFT JOIN into the parents' statement; for belongs-to and has-one.
  kJoined,
};

// How Related(name, {.where = ...}) filters the parents.
enum class Aggregate : uint8_t {
  kExists,  // parents with at least one related row matching `where`
  kCount,   // parents filtered and/or ordered by their number of matching rows
  kAll,     // parents whose every related row matches (vacuously, none)
};

enum class SortOrder : uint8_t { kNone, kAscending, kDescending };

struct RelatedOptions {
  Loader loader = Loader::kSelectIn;
  // false: filter or order by the relationship without loading it.
  bool load = true;
  // A condition on the related rows (typed, on the related model's
  // columns). Filters the parents per `aggregate`, and the loaded rows.
  sql::Expr where;
  Aggregate aggregate = Aggregate::kExists;
  // kCount: a condition on the count, e.g. [](auto n) { return n > 10; }.
  std::function<sql::Expr(const sql::TypedExpr<int64_t>& count)> count;
  // kCount: order the parents by the count (before any other ordering).
  SortOrder order_by_count = SortOrder::kNone;
};

// UpdateBulk and DeleteBulk.
struct BulkOptions {
  // Load the rows in batches and run each row's before/after hooks around
  // the batch's write; otherwise one set-based statement.
  bool with_hooks = false;
  int64_t batch_size = 1000;
  // Refuse to touch the whole table when the query has no filter.
  bool require_filter = true;
};

struct CreateBulkOptions {
  // Read the rows back (generated keys, server defaults) into the result.
  bool return_models = true;
  // Run Validate, timestamps and the create hooks for every row.
  bool with_hooks = true;
  // Rows per INSERT; 0: as many as the database's parameter limit allows
  // (SQLite 32766, PostgreSQL 65535), at most 1000.
  int64_t batch_size = 0;
};

// What Create, Save and Delete do with an object's relationships.
enum class Relations : uint8_t {
  // The object graph (the default). Create and Save write, in one
  // transaction: belongs-to objects first (inserted if new, their key
  // copied into the foreign key), the row, has-one and has-many objects
  // (their foreign key set to the row's key), then the association rows of
  // many-to-many objects; the rows removed from members that held them,
  // per the relationship's `orphans`. Delete applies the relationships'
  // `on_delete`.
  kWrite,
  // The row's own columns only: related members are neither written nor
  // checked, and Delete cascades nothing.
  kIgnore,
};

// Options of Create, Save and Delete.
struct WriteOptions {
  Relations relations = Relations::kWrite;
};

// One page of a query, with what a paginated API needs.
template <typename T>
struct Page {
  std::vector<T> items;
  int64_t total = 0;  // rows matching the query
  int64_t page = 1;   // 1-based
  int64_t per_page = 0;
  int64_t pages = 0;  // ceil(total / per_page)
  bool has_next = false;
  bool has_prev = false;
};

}  // namespace duo

#endif  // DUO_QUERY_OPTIONS_H_
