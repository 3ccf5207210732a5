// The query builder's type-erased core: everything that does not need the
// model's C++ type, compiled once. duo/query/query.h wraps it in Query<T>.

#ifndef DUO_QUERY_INTERNAL_CORE_H_
#define DUO_QUERY_INTERNAL_CORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/async/task.h"
#include "duo/engine/connection.h"
#include "duo/model/meta.h"
#include "duo/model/models.h"
#include "duo/model/payload.h"
#include "duo/query/options.h"
#include "duo/session/database.h"
#include "duo/sql/dml.h"
#include "duo/sql/select.h"

namespace duo::query_internal {

// How an operation runs. Each terminal operation is written once, as a
// coroutine: kSync calls the blocking database API, so nothing suspends and
// SyncWait returns at once (the plain API); kAsync awaits the ...Async API
// (the ...Async twins).
enum class Exec : uint8_t { kSync, kAsync };

// The database calls every operation is made of, in either mode. The
// callables must outlive the task (they do when it is awaited at once).
Task<absl::Status> Read(Exec exec, const Database& database, const sql::Statement& statement,
                        absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                        engine::RunMode mode = engine::RunMode::kBuffered);
Task<absl::Status> Read(Exec exec, const Database& database,
                        const dialect::CompiledStatement& compiled,
                        absl::FunctionRef<absl::Status(engine::Cursor&)> read);
Task<absl::StatusOr<Result>> Execute(Exec exec, const Database& database,
                                     const sql::Statement& statement);
// Runs `body` in the current transaction's savepoint or a new transaction.
Task<absl::Status> InTransaction(Exec exec, const Database& database,
                                 absl::FunctionRef<Task<absl::Status>()> body);

struct RelatedSpec {
  std::string path;  // "orders.items"
  RelatedOptions options;
};

struct QueryState {
  const ModelMeta* meta = nullptr;
  std::optional<Database> database;
  std::vector<sql::Expr> where;
  std::vector<sql::OrderTerm> order;
  // To-one relationship paths joined for filters and ordering ("customer",
  // "customer.region"), in the order they were first needed.
  std::vector<std::string> joins;
  std::optional<int64_t> limit;
  std::optional<int64_t> offset;
  bool distinct = false;
  std::vector<RelatedSpec> related;
  // The first error of a builder call (an unknown column in a string
  // filter, ...); terminal operations return it and run nothing.
  absl::Status error;

  // Whether anything restricts the rows (what the bulk guard checks).
  bool filtered() const;
};

// A column of a model's table under `ref` (the table's name or an alias).
sql::Expr ColumnOf(absl::string_view ref, const ColumnMeta& column);

void Fail(QueryState& state, absl::Status status);
void AddFilterBy(QueryState& state, absl::string_view path, const sql::Value& value);
void AddOrderBy(QueryState& state, absl::string_view key);
void AddRelated(QueryState& state, absl::string_view path, RelatedOptions options);

// The statement All() runs (Alchemize).
absl::StatusOr<sql::Select> BuildSelect(const QueryState& state);
// The same without ORDER BY, LIMIT, OFFSET or joined loading; the base for
// counting and for bulk statements.
absl::StatusOr<sql::Select> BuildFilteredSelect(const QueryState& state,
                                                std::vector<sql::Expr> columns);
absl::StatusOr<sql::Select> BuildCount(const QueryState& state);
// The rows a bulk operation with Limit/Offset touches: the query's first
// rows in its OrderBy, ties broken by the primary key, so that every
// database picks the same ones. InvalidArgument without an OrderBy (a bulk
// write to "any N rows" is refused) or with a composite primary key.
absl::StatusOr<sql::Select> BuildBulkChoice(const QueryState& state);
absl::StatusOr<sql::Select> BuildExists(const QueryState& state);

absl::StatusOr<Database> DatabaseOf(const QueryState& state);
absl::StatusOr<Database> DatabaseOf(const ModelMeta& meta);

// Reads the model's columns (the first columns().size() result columns)
// into `object`, then any joined relationships of `state`.
absl::Status HydrateRow(const QueryState* state, const ModelMeta& meta,
                        const engine::Cursor& cursor, void* object);

// The decimal members of `object` as written, by column index, for
// CheckDecimalsStored; empty (and cheap) for models without decimals.
std::vector<std::pair<int, sql::Value>> DecimalsWritten(const ModelMeta& meta, const void* object);
// DataError naming the first column of `written` whose value read back into
// `stored` is a different number: SQLite converts decimal text in a column
// with NUMERIC or REAL affinity (SQLAlchemy's Numeric, DECIMAL(10,2)) to a
// double, keeping 15 significant digits. Called inside the write's
// transaction, so that the changed row is rolled back, never kept.
absl::Status CheckDecimalsStored(const ModelMeta& meta,
                                 const std::vector<std::pair<int, sql::Value>>& written,
                                 const void* stored);

// Reads row `row` of `result`, whose columns are the model's in order
// (INSERT ... RETURNING), into `object`.
absl::Status HydrateResultRow(const ModelMeta& meta, const Result& result, size_t row,
                              void* object);

// Inside a managed transaction: objects already in the identity map take
// the mapped state; new ones are put in it.
void MapIdentities(const Database& database, const ModelMeta& meta,
                   const std::vector<void*>& objects);
// The mapped state of `key`, or nullptr.
std::shared_ptr<void> FindIdentity(const Database& database, const ModelMeta& meta,
                                   const std::vector<sql::Value>& key);
void PutIdentity(const Database& database, const ModelMeta& meta, const void* object);
void ForgetIdentity(const Database& database, const ModelMeta& meta,
                    const std::vector<sql::Value>& key);

// Loads the select-in relationships of `state` into `objects`.
Task<absl::Status> LoadRelated(Exec exec, const QueryState& state, const Database& database,
                               const std::vector<void*>& objects);

// WHERE pk = key (columns qualified with the model's table).
sql::Expr KeyCondition(const ModelMeta& meta, const std::vector<sql::Value>& key);
absl::Status CheckKey(const ModelMeta& meta, const std::vector<sql::Value>& key);
// What decides the SQL text of the ORM's hot single-row statements: the
// model, which statement, and the columns it writes.
struct StatementShape {
  enum class Kind : uint8_t { kKeyLookup, kInsert, kInsertReturning };
  const ModelMeta* meta;
  Kind kind;
  std::vector<int> columns;  // written by an INSERT, in order
  int rows = 1;              // VALUES rows of an INSERT
};
// `build(params)` compiled for `database`, with `params` as its
// parameters. The IR is built and compiled once per shape and dialect (per
// thread); later calls only swap the values in, when the first compilation
// showed that `params` are exactly the statement's parameters in order.
// Each thread keeps the SQL of its kSingleRowShapesPerThread most recently
// used single-row shapes and, apart, of its kMultiRowShapesPerThread most
// recently used multi-row INSERTs (CreateBulk, whose row counts vary); a
// shape pushed out is compiled again when next used.
inline constexpr size_t kSingleRowShapesPerThread = 256;
inline constexpr size_t kMultiRowShapesPerThread = 8;
absl::StatusOr<dialect::CompiledStatement> CompileShape(
    const Database& database, const StatementShape& shape, std::vector<sql::Value> params,
    absl::FunctionRef<sql::Statement(const std::vector<sql::Value>&)> build);
// How many shapes CompileShape keeps on the calling thread; for tests.
struct CompiledShapeCacheSizes {
  size_t single_row = 0;
  size_t multi_row = 0;
};
CompiledShapeCacheSizes CompiledShapesOnThisThread();
// SELECT <columns> FROM <table> WHERE pk = key (Get by primary key, the
// hottest path of most programs), through CompileShape.
absl::StatusOr<dialect::CompiledStatement> KeyLookup(const Database& database,
                                                     const ModelMeta& meta,
                                                     std::vector<sql::Value> key);
// INSERT of `objects` (which share their InsertColumns, `columns`), one
// VALUES row each, RETURNING every column when `returning`; through
// CompileShape.
absl::StatusOr<dialect::CompiledStatement> CompileInsert(const Database& database,
                                                         const ModelMeta& meta,
                                                         const std::vector<int>& columns,
                                                         const std::vector<const void*>& objects,
                                                         bool returning);
// Whether `state` selects no more than Get's plain key lookup would.
bool IsPlainLookup(const QueryState& state);

// The statements CRUD runs.
// Columns an insert of `object` writes: all but server-generated ones still
// at their zero value.
std::vector<int> InsertColumns(const ModelMeta& meta, const void* object);
sql::Insert BuildInsert(const ModelMeta& meta, const std::vector<int>& columns,
                        const std::vector<const void*>& objects, bool returning);
// UPDATE ... SET columns WHERE pk, with RETURNING * when `returning` (a
// database without UPDATE ... RETURNING reads the row back by its key).
sql::Update BuildUpdateByKey(const ModelMeta& meta, const std::vector<int>& columns,
                             const void* object, bool returning);
// How many rows one multi-row INSERT may carry.
int64_t RowsPerInsert(const Database& database, size_t columns, int64_t requested);

// Sets CreatedAt (when unset) and UpdatedAt columns.
void StampTimes(const ModelMeta& meta, void* object, bool inserting);
// CreateBulk writes the rows' own columns only. Refuses, with
// InvalidArgument naming the relationship, an object whose related members
// hold what that would silently drop: when `inserting`, any object in a
// has-one, has-many or many-to-many member (nothing can link it to a row
// not yet stored); always, a related object that is not stored itself (its
// generated key still zero), and a belongs-to object whose key differs from
// the foreign key column. Stored related objects are left as they are.
absl::Status CheckRelatedObjects(const ModelMeta& meta, const void* object, bool inserting);
// Adds the current time for each UpdatedAt column `payload` does not set,
// so that set-based updates stamp rows as Save does.
void StampPayload(const ModelMeta& meta, Payload& payload);

// Runs `statement` and reads every row into new objects from `make`.
Task<absl::Status> ReadObjects(Exec exec, const Database& database, const QueryState* state,
                               const ModelMeta& meta, const sql::Statement& statement,
                               absl::FunctionRef<void*()> make,
                               engine::RunMode mode = engine::RunMode::kBuffered);

// The guard on bulk operations.
absl::Status CheckBulkFilter(const QueryState& state, absl::string_view operation,
                             const BulkOptions& options);
// UPDATE/DELETE of the rows the query selects (set-based).
absl::StatusOr<sql::Update> BuildBulkUpdate(const QueryState& state, const Payload& payload);
absl::StatusOr<sql::Delete> BuildBulkDelete(const QueryState& state);
// The same restricted to rows whose key is in `keys`.
sql::Expr KeysIn(const ModelMeta& meta, const std::vector<std::vector<sql::Value>>& keys);
// A batch of the query's rows after `last_key`, by primary key (keyset).
absl::StatusOr<sql::Select> BuildKeysetBatch(const QueryState& state,
                                             const std::vector<sql::Value>* last_key,
                                             int64_t batch_size);

// ObjectNotFound / MultipleObjectsFound.
absl::Status ObjectNotFound(const ModelMeta& meta, absl::string_view what);
absl::Status MultipleObjectsFound(const ModelMeta& meta, int64_t found);

}  // namespace duo::query_internal

#endif  // DUO_QUERY_INTERNAL_CORE_H_
