#include "duo/query/internal/core.h"

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "duo/async/sync_wait.h"
#include "duo/base/lru_cache.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/sql/functions.h"
#include "duo/sql/json.h"
#include "duo/sql/rewrite.h"

namespace duo::query_internal {
namespace {

using sql::Expr;
using sql::Select;

std::string JoinAlias(absl::string_view path) {
  return absl::StrCat("duo_", absl::StrReplaceAll(path, {{".", "__"}}));
}

}  // namespace

// A column of a model's table under `ref` (the table's name or an alias).
Expr ColumnOf(absl::string_view ref, const ColumnMeta& column) {
  return sql::ColumnRef(std::string(ref), column.name, column.type);
}

namespace {

Expr Column(absl::string_view ref, absl::string_view name) {
  return sql::ColumnRef(std::string(ref), std::string(name));
}

absl::Status UnknownRelation(const ModelMeta& meta, absl::string_view name,
                             absl::string_view path) {
  return absl::InvalidArgumentError(
      absl::StrCat(meta.model_name(), " has no relationship \"", name, "\" (in \"", path,
                   "\"); its relationships are: ", meta.RelationNames()));
}

// The alias of the related table in the subquery for the relationship path
// `path`. Relationship subqueries always alias their tables: the related
// table may be the parent's own (a self-reference) or appear twice along a
// path, and an unaliased name would bind to the wrong row. Aliases follow
// the path, so the subqueries nested along one path never share one.
std::string SubqueryAlias(absl::string_view path) {
  return absl::StrCat("duo_rel_", absl::StrReplaceAll(path, {{".", "__"}}));
}

// The related rows of `relation` for the parent row `parent_ref`:
// SELECT columns (1 when none) FROM the related table AS `alias` WHERE tied
// to the parent. Many-to-many joins the association table in, under
// `alias`_link.
Select RelatedSelect(const RelationMeta& relation, absl::string_view parent_ref,
                     absl::string_view alias, std::vector<Expr> columns) {
  const ModelMeta& target = relation.target();
  const sql::Table related = target.table().Alias(std::string(alias));
  Select select = columns.empty() ? Select({sql::Param(1)}) : Select(std::move(columns));
  switch (relation.kind) {
    case RelationKind::kBelongsTo:
    case RelationKind::kHasMany:
    case RelationKind::kHasOne:
      return std::move(select).From(related).Where(Column(alias, relation.remote_column) ==
                                                   Column(parent_ref, relation.local_column));
    case RelationKind::kManyToMany: {
      const std::string link = absl::StrCat(alias, "_link");
      const sql::Table through = sql::Table(relation.through_table).Alias(link);
      return std::move(select)
          .From(through)
          .Join(related,
                Column(alias, relation.remote_column) == Column(link, relation.through_remote))
          .Where(Column(link, relation.through_local) == Column(parent_ref, relation.local_column));
    }
  }
  return select;
}

// `column = value` for a path's final column, or IS NULL.
absl::StatusOr<Expr> ColumnEquals(const ModelMeta& meta, absl::string_view ref,
                                  absl::string_view name, const sql::Value& value) {
  const ColumnMeta* column = meta.FindColumn(name);
  if (column == nullptr) return meta.UnknownColumn(name);
  if (!ValueFitsColumn(value, *column)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FilterBy: value ", value.DebugString(), " does not suit column ", meta.model_name(), ".",
        column->name, " (", meta.table().name(), ".", column->name, ")"));
  }
  if (value.is_null()) return ColumnOf(ref, *column).IsNull();
  return Expr(ColumnOf(ref, *column) == sql::Param(value));
}

// `segments[at + 1..]` read as object keys inside the JSON column `column`
// (segments[at]): the string or number there equals `value`; NULL: the
// last key is missing. A segment is always a key, never an array index
// ("items.0" is the key "0"), so a path means one thing whatever the
// document holds; indexes are for duo::sql::JsonTextAt.
absl::StatusOr<Expr> JsonPathEquals(const ModelMeta& meta, absl::string_view ref,
                                    const ColumnMeta& column,
                                    const std::vector<std::string>& segments, size_t at,
                                    const sql::Value& value, absl::string_view path) {
  // Column names may hold dots: where the path could also name such a
  // column (with or without keys after it), it is ambiguous.
  for (size_t end = at + 2; end <= segments.size(); ++end) {
    const std::string name = absl::StrJoin(segments.begin() + at, segments.begin() + end, ".");
    if (meta.FindColumn(name) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("FilterBy: \"", path, "\" is ambiguous: keys inside the JSON column ",
                       meta.model_name(), ".", column.name, " or the column \"", name, "\" of ",
                       meta.model_name(), "; use Where(duo::col(...)) or duo::sql::JsonTextAt"));
    }
  }
  const sql::JsonPath keys(segments.begin() + at + 1, segments.end());
  const Expr document = ColumnOf(ref, column);
  switch (value.kind()) {
    case sql::Value::Kind::kNull:
      return Expr(sql::Not(sql::JsonHasKey(document, sql::JsonPath(keys.begin(), keys.end() - 1),
                                           keys.back().key())));
    case sql::Value::Kind::kText:
      return Expr(sql::JsonTextAt(document, keys) == sql::Param(value));
    case sql::Value::Kind::kInt:
    case sql::Value::Kind::kDouble:
      return Expr(sql::JsonNumberAt(document, keys) == sql::Param(value));
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("FilterBy: \"", path, "\" reads inside the JSON column ", meta.model_name(),
                       ".", column.name, " (", meta.table().name(), ".", column.name,
                       "), where values are strings, numbers or NULL, not ", value.DebugString(),
                       "; use Where(duo::sql::JsonContains(...)) for other JSON values"));
  }
}

// The condition for `segments` (relations..., column) = value, starting
// from rows of `meta` named `ref`; relationship hops become EXISTS, and a
// JSON column followed by more segments reads keys inside it.
absl::StatusOr<Expr> PathCondition(const ModelMeta& meta, absl::string_view ref,
                                   const std::vector<std::string>& segments, size_t at,
                                   const sql::Value& value, absl::string_view path) {
  if (at + 1 == segments.size()) return ColumnEquals(meta, ref, segments[at], value);
  const RelationMeta* relation = meta.FindRelation(segments[at]);
  if (relation == nullptr) {
    const ColumnMeta* column = meta.FindColumn(segments[at]);
    if (column != nullptr && column->type.kind == sql::SqlType::Kind::kJson) {
      return JsonPathEquals(meta, ref, *column, segments, at, value, path);
    }
    return UnknownRelation(meta, segments[at], path);
  }
  const std::string alias =
      SubqueryAlias(absl::StrJoin(segments.begin(), segments.begin() + at + 1, "."));
  DUO_ASSIGN_OR_RETURN(Expr inner,
                       PathCondition(relation->target(), alias, segments, at + 1, value, path));
  return Expr(sql::Exists(RelatedSelect(*relation, ref, alias, {}).Where(inner)));
}

}  // namespace

bool QueryState::filtered() const {
  // A limit is not a filter: Limit(1) alone still picks "any row".
  return !where.empty();
}

void Fail(QueryState& state, absl::Status status) {
  if (state.error.ok()) state.error = std::move(status);
}

void AddFilterBy(QueryState& state, absl::string_view path, const sql::Value& value) {
  if (absl::Status status = state.meta->relations_status(); !status.ok())
    return Fail(state, status);
  if (path.empty()) return Fail(state, absl::InvalidArgumentError("FilterBy: empty column name"));
  std::vector<std::string> segments = absl::StrSplit(path, '.');
  for (const std::string& segment : segments) {
    if (segment.empty()) {
      return Fail(state, absl::InvalidArgumentError(
                             absl::StrCat("FilterBy: malformed path \"", path, "\"")));
    }
  }
  absl::StatusOr<Expr> condition =
      PathCondition(*state.meta, state.meta->table().name(), segments, 0, value, path);
  if (!condition.ok()) return Fail(state, condition.status());
  state.where.push_back(*std::move(condition));
}

namespace {

// Joins the to-one relationships along `relations` (a prefix of a path);
// returns the model and alias the path ends at.
absl::StatusOr<std::pair<const ModelMeta*, std::string>> JoinPath(
    QueryState& state, const std::vector<std::string>& relations, absl::string_view path,
    absl::string_view purpose) {
  const ModelMeta* meta = state.meta;
  std::string ref = meta->table().name();
  std::string prefix;
  for (const std::string& name : relations) {
    const RelationMeta* relation = meta->FindRelation(name);
    if (relation == nullptr) return UnknownRelation(*meta, name, path);
    if (relation->to_many()) {
      return absl::InvalidArgumentError(
          absl::StrCat(purpose, " \"", path, "\": \"", name, "\" is a to-many relationship of ",
                       meta->model_name(), ", which has no single value per row; use Related(\"",
                       name, "\", {.aggregate = duo::Aggregate::kCount, ...}) to order by it"));
    }
    prefix = prefix.empty() ? name : absl::StrCat(prefix, ".", name);
    if (std::find(state.joins.begin(), state.joins.end(), prefix) == state.joins.end()) {
      state.joins.push_back(prefix);
    }
    meta = &relation->target();
    ref = JoinAlias(prefix);
  }
  return std::make_pair(meta, ref);
}

}  // namespace

void AddOrderBy(QueryState& state, absl::string_view key) {
  if (absl::Status status = state.meta->relations_status(); !status.ok())
    return Fail(state, status);
  bool descending = false;
  if (!key.empty() && (key[0] == '-' || key[0] == '+')) {
    descending = key[0] == '-';
    key.remove_prefix(1);
  }
  std::vector<std::string> segments = absl::StrSplit(key, '.');
  for (const std::string& segment : segments) {
    if (segment.empty()) {
      return Fail(state,
                  absl::InvalidArgumentError(absl::StrCat("OrderBy: malformed key \"", key, "\"")));
    }
  }
  const std::string column_name = segments.back();
  segments.pop_back();
  absl::StatusOr<std::pair<const ModelMeta*, std::string>> end =
      JoinPath(state, segments, key, "OrderBy");
  if (!end.ok()) return Fail(state, end.status());
  const ColumnMeta* column = end->first->FindColumn(column_name);
  if (column == nullptr) return Fail(state, end->first->UnknownColumn(column_name));
  state.order.push_back(sql::OrderTerm(ColumnOf(end->second, *column), descending));
}

void AddRelated(QueryState& state, absl::string_view path, RelatedOptions options) {
  if (absl::Status status = state.meta->relations_status(); !status.ok())
    return Fail(state, status);
  std::vector<std::string> segments = absl::StrSplit(path, '.');
  const ModelMeta* meta = state.meta;
  const RelationMeta* first = nullptr;
  for (const std::string& segment : segments) {
    const RelationMeta* relation = meta->FindRelation(segment);
    if (relation == nullptr) return Fail(state, UnknownRelation(*meta, segment, path));
    if (first == nullptr) first = relation;
    meta = &relation->target();
  }
  const bool filters = !options.where.empty() || options.aggregate != Aggregate::kExists ||
                       options.count || options.order_by_count != SortOrder::kNone;
  if (filters && segments.size() > 1) {
    return Fail(state, absl::InvalidArgumentError(absl::StrCat(
                           "Related(\"", path,
                           "\"): where/aggregate apply to a direct "
                           "relationship; filter nested rows with the IR (Alchemize)")));
  }
  if (options.loader == Loader::kJoined) {
    if (segments.size() > 1 || first->to_many()) {
      return Fail(state, absl::InvalidArgumentError(absl::StrCat(
                             "Related(\"", path,
                             "\"): the joined loader is for a direct "
                             "belongs-to or has-one relationship; collections load with "
                             "select-in, which never multiplies the parent rows")));
    }
    if (std::find(state.joins.begin(), state.joins.end(), segments[0]) == state.joins.end()) {
      state.joins.push_back(segments[0]);
    }
  }
  const std::string parent_ref = state.meta->table().name();
  const std::string alias = SubqueryAlias(path);
  // The condition is written against the related model's table; inside the
  // subquery that table is `alias`.
  Expr where;
  if (!options.where.empty()) {
    absl::StatusOr<Expr> requalified =
        sql::Requalify(options.where, first->target().table().name(), alias);
    if (!requalified.ok()) {
      return Fail(state, absl::Status(requalified.status().code(),
                                      absl::StrCat("Related(\"", path,
                                                   "\"): ", requalified.status().message())));
    }
    where = *std::move(requalified);
  }
  switch (options.aggregate) {
    case Aggregate::kExists:
      if (!where.empty()) {
        state.where.push_back(
            sql::Exists(RelatedSelect(*first, parent_ref, alias, {}).Where(where)));
      }
      break;
    case Aggregate::kAll:
      if (!where.empty()) {
        // Rows where the condition is NULL (a NULL column) do not match it:
        // "every related row matches" must not count them as matching.
        state.where.push_back(sql::NotExists(RelatedSelect(*first, parent_ref, alias, {})
                                                 .Where(sql::Not(sql::Coalesce(where, false)))));
      }
      break;
    case Aggregate::kCount: {
      Select counting = RelatedSelect(*first, parent_ref, alias, {func::Count()});
      if (!where.empty()) counting = std::move(counting).Where(where);
      sql::TypedExpr<int64_t> count = counting.AsScalar<int64_t>();
      if (options.count) state.where.push_back(options.count(count));
      if (options.order_by_count != SortOrder::kNone) {
        state.order.push_back(
            sql::OrderTerm(count, options.order_by_count == SortOrder::kDescending));
      }
      break;
    }
  }
  if (options.load) state.related.push_back({std::string(path), std::move(options)});
}

namespace {

std::vector<Expr> ModelColumns(const ModelMeta& meta, absl::string_view ref) {
  std::vector<Expr> columns;
  columns.reserve(meta.columns().size());
  for (const ColumnMeta& column : meta.columns()) columns.push_back(ColumnOf(ref, column));
  return columns;
}

// FROM the model's table, with the to-one joins of `state`.
Select WithJoins(const QueryState& state, Select select) {
  select = std::move(select).From(state.meta->table());
  for (const std::string& path : state.joins) {
    std::vector<std::string> segments = absl::StrSplit(path, '.');
    const ModelMeta* meta = state.meta;
    std::string parent_ref = meta->table().name();
    std::string prefix;
    for (size_t i = 0; i < segments.size(); ++i) {
      const RelationMeta* relation = meta->FindRelation(segments[i]);
      prefix = prefix.empty() ? segments[i] : absl::StrCat(prefix, ".", segments[i]);
      const std::string alias = JoinAlias(prefix);
      if (i + 1 == segments.size()) {
        const ModelMeta& target = relation->target();
        select = std::move(select).LeftJoin(
            target.table().Alias(alias),
            Column(alias, relation->remote_column) == Column(parent_ref, relation->local_column));
      }
      meta = &relation->target();
      parent_ref = alias;
    }
  }
  return select;
}

// Related specs loaded by the joined loader, in column order.
std::vector<const RelatedSpec*> JoinedLoads(const QueryState& state) {
  std::vector<const RelatedSpec*> joined;
  for (const RelatedSpec& spec : state.related) {
    if (spec.options.loader == Loader::kJoined) joined.push_back(&spec);
  }
  return joined;
}

}  // namespace

absl::StatusOr<sql::Select> BuildSelect(const QueryState& state) {
  DUO_RETURN_IF_ERROR(state.meta->declaration_status());
  DUO_RETURN_IF_ERROR(state.error);
  const ModelMeta& meta = *state.meta;
  std::vector<Expr> columns = ModelColumns(meta, meta.table().name());
  for (const RelatedSpec* spec : JoinedLoads(state)) {
    const ModelMeta& target = meta.FindRelation(spec->path)->target();
    const std::string alias = JoinAlias(spec->path);
    for (const ColumnMeta& column : target.columns()) {
      columns.push_back(ColumnOf(alias, column).Label(absl::StrCat(alias, "__", column.name)));
    }
  }
  Select select = WithJoins(state, Select(std::move(columns)));
  for (const Expr& condition : state.where) select = std::move(select).Where(condition);
  if (state.distinct) select = std::move(select).Distinct();
  if (!state.order.empty()) select = std::move(select).OrderBy(state.order);
  if (state.limit) select = std::move(select).Limit(*state.limit);
  if (state.offset) select = std::move(select).Offset(*state.offset);
  return select;
}

absl::StatusOr<sql::Select> BuildFilteredSelect(const QueryState& state,
                                                std::vector<sql::Expr> columns) {
  DUO_RETURN_IF_ERROR(state.meta->declaration_status());
  DUO_RETURN_IF_ERROR(state.error);
  Select select = Select(std::move(columns)).From(state.meta->table());
  for (const Expr& condition : state.where) select = std::move(select).Where(condition);
  return select;
}

absl::StatusOr<sql::Select> BuildCount(const QueryState& state) {
  if (!state.distinct && !state.limit && !state.offset) {
    DUO_ASSIGN_OR_RETURN(Select select, BuildFilteredSelect(state, {func::Count()}));
    return select;
  }
  // DISTINCT, LIMIT and OFFSET change what is counted: count the query's
  // own rows.
  QueryState counted = state;
  counted.order.clear();
  counted.related.clear();
  DUO_ASSIGN_OR_RETURN(Select inner, BuildSelect(counted));
  return Select({func::Count()}).From(inner.Subquery("counted"));
}

absl::StatusOr<sql::Select> BuildExists(const QueryState& state) {
  QueryState probe = state;
  probe.related.clear();
  probe.order.clear();
  DUO_ASSIGN_OR_RETURN(Select inner, BuildSelect(probe));
  return Select({sql::Exists(inner)});
}

absl::StatusOr<Database> DatabaseOf(const QueryState& state) {
  if (state.database) return *state.database;
  return DatabaseOf(*state.meta);
}

absl::StatusOr<Database> DatabaseOf(const ModelMeta& meta) {
  DUO_RETURN_IF_ERROR(meta.declaration_status());
  return meta.models().database();
}

namespace {

// The digits of a decimal without what holds no value: a plus sign,
// leading zeros of the integer part, trailing zeros of the fraction, the
// sign of zero. "12.50" and "12.5" are the same number.
std::string CanonicalDigits(absl::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  const size_t point = text.find('.');
  absl::string_view integer = text.substr(0, point);
  absl::string_view fraction =
      point == absl::string_view::npos ? absl::string_view() : text.substr(point + 1);
  while (!integer.empty() && integer.front() == '0') integer.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (integer.empty() && fraction.empty()) return "0";
  return absl::StrCat(negative ? "-" : "", integer.empty() ? "0" : integer,
                      fraction.empty() ? "" : ".", fraction);
}

}  // namespace

std::vector<std::pair<int, sql::Value>> DecimalsWritten(const ModelMeta& meta, const void* object) {
  std::vector<std::pair<int, sql::Value>> written;
  for (size_t i = 0; i < meta.columns().size(); ++i) {
    const ColumnMeta& column = meta.columns()[i];
    if (column.type.kind != sql::SqlType::Kind::kNumeric) continue;
    sql::Value value = column.accessor->Get(object);
    if (value.kind() == sql::Value::Kind::kDecimal) {
      written.emplace_back(static_cast<int>(i), std::move(value));
    }
  }
  return written;
}

absl::Status CheckDecimalsStored(const ModelMeta& meta,
                                 const std::vector<std::pair<int, sql::Value>>& written,
                                 const void* stored) {
  for (const auto& [index, value] : written) {
    const ColumnMeta& column = meta.columns()[index];
    const sql::Value read = column.accessor->Get(stored);
    const std::string expected = CanonicalDigits(value.as_decimal().digits());
    if (read.kind() == sql::Value::Kind::kDecimal &&
        CanonicalDigits(read.as_decimal().digits()) == expected) {
      continue;
    }
    return DatabaseError(
        absl::StrCat("column \"", column.name, "\" of ", meta.table().name(),
                     " was written the decimal ", value.as_decimal().digits(),
                     " but the database stored ", read.DebugString(),
                     " (SQLite keeps 15 significant digits of a decimal in a column with "
                     "NUMERIC or REAL affinity; declare exact decimals' columns TEXT); the write "
                     "was rolled back"),
        {.kind = ErrorKind::kDataError});
  }
  return absl::OkStatus();
}

absl::Status HydrateRow(const QueryState* state, const ModelMeta& meta,
                        const engine::Cursor& cursor, void* object) {
  DUO_RETURN_IF_ERROR(cursor.ReadRow(meta.row_slots(), 0, object));
  if (state == nullptr || state->related.empty()) return absl::OkStatus();
  int at = static_cast<int>(meta.columns().size());
  for (const RelatedSpec* spec : JoinedLoads(*state)) {
    const RelationMeta& relation = *meta.FindRelation(spec->path);
    const ModelMeta& target = relation.target();
    relation.accessor->Clear(object);
    const int key_column = at + target.primary_key()[0];
    if (!cursor.IsNull(key_column)) {
      std::shared_ptr<void> related = target.NewObject();
      DUO_RETURN_IF_ERROR(cursor.ReadRow(target.row_slots(), at, related.get()));
      relation.accessor->Add(object, related.get());
    }
    if (meta.keeps_loaded_keys() && relation.kind != RelationKind::kBelongsTo) {
      // What Save later compares the member with.
      std::vector<sql::Value> held;
      if (relation.accessor->Count(object) == 1) {
        held = target.KeyOf(relation.accessor->At(object, 0));
      }
      meta.set_loaded_keys(object, static_cast<size_t>(&relation - meta.relations().data()),
                           std::move(held));
    }
    at += static_cast<int>(target.columns().size());
  }
  return absl::OkStatus();
}

void MapIdentities(const Database& database, const ModelMeta& meta,
                   const std::vector<void*>& objects) {
  Session* session = database.CurrentSession();
  if (session == nullptr) return;
  IdentityMap& map = session->identity_map();
  for (void* object : objects) {
    IdentityMap::Key key{&meta, meta.KeyOf(object)};
    if (std::shared_ptr<void> mapped = map.Find(key)) {
      // The row was loaded before in this transaction: that state wins, as
      // in any identity map (reload explicitly to see changes made by raw
      // SQL). Relationships just loaded stay.
      for (const ColumnMeta& column : meta.columns()) {
        column.accessor->Set(object, column.accessor->Get(mapped.get()), column.name).IgnoreError();
      }
    } else {
      std::shared_ptr<void> copy = meta.NewObject();
      meta.CopyObject(copy.get(), object);
      map.Put(std::move(key), std::move(copy));
    }
  }
}

std::shared_ptr<void> FindIdentity(const Database& database, const ModelMeta& meta,
                                   const std::vector<sql::Value>& key) {
  Session* session = database.CurrentSession();
  if (session == nullptr) return nullptr;
  return session->identity_map().Find({&meta, key});
}

void PutIdentity(const Database& database, const ModelMeta& meta, const void* object) {
  Session* session = database.CurrentSession();
  if (session == nullptr) return;
  std::shared_ptr<void> copy = meta.NewObject();
  meta.CopyObject(copy.get(), object);
  // The map keeps the row, not the related objects the object held when
  // it was written (new ones, without their keys yet, in a related write).
  if (meta.relations_status().ok()) {
    for (const RelationMeta& relation : meta.relations()) relation.accessor->Clear(copy.get());
  }
  meta.clear_loaded_keys(copy.get());
  session->identity_map().Put({&meta, meta.KeyOf(object)}, std::move(copy));
}

void ForgetIdentity(const Database& database, const ModelMeta& meta,
                    const std::vector<sql::Value>& key) {
  Session* session = database.CurrentSession();
  if (session != nullptr) session->identity_map().Erase({&meta, key});
}

sql::Expr KeyCondition(const ModelMeta& meta, const std::vector<sql::Value>& key) {
  std::vector<Expr> terms;
  for (size_t i = 0; i < meta.primary_key().size(); ++i) {
    const ColumnMeta& column = meta.columns()[meta.primary_key()[i]];
    terms.push_back(ColumnOf(meta.table().name(), column) == sql::Param(key[i]));
  }
  return terms.size() == 1 ? terms[0] : sql::And(std::move(terms));
}

absl::Status CheckKey(const ModelMeta& meta, const std::vector<sql::Value>& key) {
  DUO_RETURN_IF_ERROR(meta.declaration_status());
  if (key.size() != meta.primary_key().size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(meta.model_name(), "'s primary key has ", meta.primary_key().size(),
                     " column(s); Get was given ", key.size(), " value(s)"));
  }
  for (size_t i = 0; i < key.size(); ++i) {
    const ColumnMeta& column = meta.columns()[meta.primary_key()[i]];
    if (key[i].is_null() || !ValueFitsColumn(key[i], column)) {
      return absl::InvalidArgumentError(absl::StrCat("key value ", key[i].DebugString(),
                                                     " does not suit ", meta.model_name(), ".",
                                                     column.name));
    }
  }
  return absl::OkStatus();
}

bool IsPlainLookup(const QueryState& state) {
  return state.error.ok() && state.where.empty() && state.related.empty() && state.joins.empty() &&
         state.order.empty() && !state.limit && !state.offset && !state.distinct;
}

namespace {

// CompileShape's cache: per thread, so that the hot path takes no lock.
// Models and dialects live as long as the program, so their addresses are
// stable keys.
using ShapeKey =
    std::tuple<const ModelMeta*, const dialect::Dialect*, StatementShape::Kind, uint64_t, int>;
// The SQL, and whether Database::Compile found it reads only (read
// replicas may serve it).
using ShapeSql = std::pair<std::string, bool>;

struct ShapeCaches {
  // Key lookups and single-row INSERTs: what a program runs over and over.
  LruCache<ShapeKey, ShapeSql> single_row{kSingleRowShapesPerThread};
  // CreateBulk's multi-row INSERTs, whose row counts vary (a bulk load's
  // last statement carries what is left): kept apart, so that they never
  // push the single-row shapes out, and few, as each holds a long SQL text.
  LruCache<ShapeKey, ShapeSql> multi_row{kMultiRowShapesPerThread};
};

ShapeCaches& ThreadShapeCaches() {
  thread_local ShapeCaches caches;
  return caches;
}

}  // namespace

CompiledShapeCacheSizes CompiledShapesOnThisThread() {
  const ShapeCaches& caches = ThreadShapeCaches();
  return {caches.single_row.size(), caches.multi_row.size()};
}

absl::StatusOr<dialect::CompiledStatement> CompileShape(
    const Database& database, const StatementShape& shape, std::vector<sql::Value> params,
    absl::FunctionRef<sql::Statement(const std::vector<sql::Value>&)> build) {
  // The columns as a bit set keeps the key small and the lookup free of
  // allocation; wider models compile their statements every time.
  uint64_t column_set = 0;
  bool cacheable = true;
  for (int column : shape.columns) {
    if (column >= 64) cacheable = false;
    column_set |= uint64_t{1} << (column & 63);
  }
  ShapeCaches& caches = ThreadShapeCaches();
  LruCache<ShapeKey, ShapeSql>& cache = shape.rows > 1 ? caches.multi_row : caches.single_row;
  const ShapeKey key{shape.meta, &database.dialect(), shape.kind, column_set, shape.rows};
  if (cacheable) {
    if (const ShapeSql* found = cache.Find(key)) {
      return dialect::CompiledStatement{found->first, std::move(params), found->second};
    }
  }
  DUO_RETURN_IF_ERROR(shape.meta->declaration_status());
  DUO_ASSIGN_OR_RETURN(dialect::CompiledStatement compiled, database.Compile(build(params)));
  // A dialect that adds parameters of its own (or inlines one) keeps going
  // through the IR: correct, only slower.
  if (cacheable && compiled.params == params) {
    cache.Insert(key, ShapeSql(compiled.sql, compiled.reads_only));
  }
  return compiled;
}

absl::StatusOr<dialect::CompiledStatement> KeyLookup(const Database& database,
                                                     const ModelMeta& meta,
                                                     std::vector<sql::Value> key) {
  const StatementShape shape{&meta, StatementShape::Kind::kKeyLookup, {}};
  return CompileShape(database, shape, std::move(key),
                      [&](const std::vector<sql::Value>& values) -> sql::Statement {
                        return Select(ModelColumns(meta, meta.table().name()))
                            .From(meta.table())
                            .Where(KeyCondition(meta, values));
                      });
}

absl::StatusOr<dialect::CompiledStatement> CompileInsert(const Database& database,
                                                         const ModelMeta& meta,
                                                         const std::vector<int>& columns,
                                                         const std::vector<const void*>& objects,
                                                         bool returning) {
  const StatementShape shape{
      &meta, returning ? StatementShape::Kind::kInsertReturning : StatementShape::Kind::kInsert,
      columns, static_cast<int>(objects.size())};
  std::vector<sql::Value> values;
  values.reserve(columns.size() * objects.size());
  for (const void* object : objects) {
    for (int index : columns) values.push_back(meta.columns()[index].accessor->Get(object));
  }
  return CompileShape(database, shape, std::move(values),
                      [&](const std::vector<sql::Value>&) -> sql::Statement {
                        return BuildInsert(meta, columns, objects, returning);
                      });
}

std::vector<int> InsertColumns(const ModelMeta& meta, const void* object) {
  std::vector<int> columns;
  for (size_t i = 0; i < meta.columns().size(); ++i) {
    const ColumnMeta& column = meta.columns()[i];
    if (column.server_generated && column.accessor->IsZero(object)) continue;
    columns.push_back(static_cast<int>(i));
  }
  return columns;
}

namespace {

std::vector<Expr> Returning(const ModelMeta& meta) {
  std::vector<Expr> columns;
  for (const ColumnMeta& column : meta.columns())
    columns.push_back(sql::ColumnRef("", column.name));
  return columns;
}

}  // namespace

sql::Insert BuildInsert(const ModelMeta& meta, const std::vector<int>& columns,
                        const std::vector<const void*>& objects, bool returning) {
  std::vector<std::string> names;
  names.reserve(columns.size());
  for (int index : columns) names.push_back(meta.columns()[index].name);
  std::vector<std::vector<Expr>> rows;
  rows.reserve(objects.size());
  for (const void* object : objects) {
    std::vector<Expr>& row = rows.emplace_back();
    row.reserve(columns.size());
    for (int index : columns)
      row.push_back(sql::Param(meta.columns()[index].accessor->Get(object)));
  }
  sql::Insert insert = sql::Insert(meta.table()).Columns(std::move(names)).AddRows(std::move(rows));
  if (returning) insert = insert.Returning(Returning(meta));
  return insert;
}

sql::Update BuildUpdateByKey(const ModelMeta& meta, const std::vector<int>& columns,
                             const void* object, bool returning) {
  std::vector<sql::Assignment> sets;
  for (int index : columns) {
    const ColumnMeta& column = meta.columns()[index];
    sets.emplace_back(column.name, column.accessor->Get(object));
  }
  sql::Update update =
      sql::Update(meta.table()).Set(std::move(sets)).Where(KeyCondition(meta, meta.KeyOf(object)));
  if (returning) update = std::move(update).Returning(Returning(meta));
  return update;
}

int64_t RowsPerInsert(const Database& database, size_t columns, int64_t requested) {
  const int64_t limit = database.dialect().MaxBindParameters();
  const int64_t fits = std::max<int64_t>(1, limit / std::max<size_t>(columns, 1));
  if (requested > 0) return std::min(requested, fits);
  return std::min<int64_t>(fits, 1000);
}

void StampTimes(const ModelMeta& meta, void* object, bool inserting) {
  const bool stamped = std::any_of(
      meta.columns().begin(), meta.columns().end(),
      [](const ColumnMeta& column) { return column.timestamp != TimestampRole::kNone; });
  if (!stamped) return;
  absl::Time now = absl::Now();
  // Microseconds: what both databases store, so the object equals its row.
  now = absl::FromUnixMicros(absl::ToUnixMicros(now));
  for (const ColumnMeta& column : meta.columns()) {
    if (column.timestamp == TimestampRole::kUpdatedAt) {
      column.accessor->SetTime(object, now);
    } else if (column.timestamp == TimestampRole::kCreatedAt && inserting &&
               column.accessor->IsZero(object)) {
      column.accessor->SetTime(object, now);
    }
  }
}

namespace {

// Whether `object` of `meta` is not stored yet: a generated key still zero.
bool Unstored(const ModelMeta& meta, const void* object) {
  for (int index : meta.primary_key()) {
    const ColumnMeta& key = meta.columns()[index];
    if (key.server_generated && key.accessor->IsZero(object)) return true;
  }
  return false;
}

}  // namespace

absl::Status CheckRelatedObjects(const ModelMeta& meta, const void* object, bool inserting) {
  DUO_RETURN_IF_ERROR(meta.relations_status());
  for (const RelationMeta& relation : meta.relations()) {
    // The accessor's read side takes a mutable parent; nothing is changed.
    void* parent = const_cast<void*>(object);
    const size_t count = relation.accessor->Count(parent);
    if (count == 0) continue;
    const ModelMeta& target = relation.target();
    const std::string where = absl::StrCat(meta.model_name(), ".", relation.name);
    if (relation.kind != RelationKind::kBelongsTo && inserting) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " holds ", count, " ", target.model_name(),
                       " object(s); CreateBulk writes ", meta.model_name(),
                       " rows only, so they would be dropped: use Create or Save, which "
                       "write related objects"));
    }
    for (size_t i = 0; i < count; ++i) {
      const void* related = relation.accessor->At(parent, i);
      if (Unstored(target, related)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " holds a ", target.model_name(),
                         " that is not stored (its generated key is 0); CreateBulk writes the ",
                         meta.model_name(), "'s own row only: store the ", target.model_name(),
                         " first, or use Create"));
      }
    }
    if (relation.kind == RelationKind::kBelongsTo) {
      const ColumnMeta* local = meta.FindColumn(relation.local_column);
      const ColumnMeta* remote = target.FindColumn(relation.remote_column);
      if (local == nullptr || remote == nullptr) continue;
      const sql::Value held = remote->accessor->Get(relation.accessor->At(parent, 0));
      const sql::Value column = local->accessor->Get(object);
      if (!(held == column)) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, " holds the ", target.model_name(), " with ", relation.remote_column, " ",
            held.DebugString(), " but ", meta.model_name(), ".", relation.local_column, " is ",
            column.DebugString(), "; set ", relation.local_column,
            " (the related object's key is not copied)"));
      }
    }
  }
  return absl::OkStatus();
}

void StampPayload(const ModelMeta& meta, Payload& payload) {
  std::optional<absl::Time> now;
  for (const ColumnMeta& column : meta.columns()) {
    if (column.timestamp != TimestampRole::kUpdatedAt) continue;
    const bool set = std::any_of(payload.begin(), payload.end(),
                                 [&](const sql::Assignment& a) { return a.column == column.name; });
    if (set) continue;
    if (!now) now = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
    payload.emplace_back(column.name, *now);
  }
}

absl::Status HydrateResultRow(const ModelMeta& meta, const Result& result, size_t row,
                              void* object) {
  for (size_t i = 0; i < meta.columns().size(); ++i) {
    const ColumnMeta& column = meta.columns()[i];
    DUO_RETURN_IF_ERROR(column.accessor->Set(object, result.row(row)[i], column.name));
  }
  return absl::OkStatus();
}

Task<absl::Status> Read(Exec exec, const Database& database, const sql::Statement& statement,
                        absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                        engine::RunMode mode) {
  if (exec == Exec::kSync) co_return database.Read(statement, read, mode);
  co_return co_await database.ReadAsync(statement, read, mode);
}

Task<absl::Status> Read(Exec exec, const Database& database,
                        const dialect::CompiledStatement& compiled,
                        absl::FunctionRef<absl::Status(engine::Cursor&)> read) {
  if (exec == Exec::kSync) co_return database.Read(compiled, read);
  co_return co_await database.ReadAsync(compiled, read);
}

Task<absl::StatusOr<Result>> Execute(Exec exec, const Database& database,
                                     const sql::Statement& statement) {
  if (exec == Exec::kSync) co_return database.Execute(statement);
  co_return co_await database.ExecuteAsync(statement);
}

Task<absl::Status> InTransaction(Exec exec, const Database& database,
                                 absl::FunctionRef<Task<absl::Status>()> body) {
  if (exec == Exec::kSync) {
    co_return database.Transaction([&](Session&) { return SyncWait(body()); });
  }
  co_return co_await database.TransactionAsync([&](Session&) { return body(); });
}

Task<absl::Status> ReadObjects(Exec exec, const Database& database, const QueryState* state,
                               const ModelMeta& meta, const sql::Statement& statement,
                               absl::FunctionRef<void*()> make, engine::RunMode mode) {
  co_return co_await Read(
      exec, database, statement,
      [&](engine::Cursor& cursor) -> absl::Status {
        while (true) {
          DUO_ASSIGN_OR_RETURN(bool more, cursor.Next());
          if (!more) return absl::OkStatus();
          DUO_RETURN_IF_ERROR(HydrateRow(state, meta, cursor, make()));
        }
      },
      mode);
}

absl::Status CheckBulkFilter(const QueryState& state, absl::string_view operation,
                             const BulkOptions& options) {
  DUO_RETURN_IF_ERROR(state.meta->declaration_status());
  DUO_RETURN_IF_ERROR(state.error);
  if (options.require_filter && !state.filtered()) {
    return absl::FailedPreconditionError(
        absl::StrCat(operation, " on ", state.meta->model_name(),
                     " without a filter would touch every row of \"", state.meta->table().name(),
                     "\"; add Where/FilterBy, or pass {.require_filter = false}"));
  }
  if (options.batch_size <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(operation, ": batch_size must be positive"));
  }
  return absl::OkStatus();
}

namespace {

// The rows a bulk statement touches: the filter itself, or the keys
// BuildBulkChoice selects when Limit/Offset decide.
absl::StatusOr<std::vector<Expr>> BulkConditions(const QueryState& state) {
  if (!state.limit && !state.offset) return state.where;
  const ModelMeta& meta = *state.meta;
  const ColumnMeta& key = meta.columns()[meta.primary_key()[0]];
  DUO_ASSIGN_OR_RETURN(Select chosen, BuildBulkChoice(state));
  Select key_select = std::move(chosen).WithColumns({ColumnOf(meta.table().name(), key)});
  return std::vector<Expr>{sql::In(ColumnOf(meta.table().name(), key), key_select)};
}

}  // namespace

absl::StatusOr<sql::Select> BuildBulkChoice(const QueryState& state) {
  const ModelMeta& meta = *state.meta;
  if (state.order.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a bulk operation on ", meta.model_name(),
        " with Limit/Offset needs an OrderBy: without one the database picks arbitrary rows"));
  }
  if (meta.primary_key().size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("a bulk operation with Limit/Offset needs a single-column primary key; ",
                     meta.model_name(), "'s is composite"));
  }
  QueryState chosen = state;
  chosen.related.clear();
  chosen.order.push_back(
      sql::OrderTerm(ColumnOf(meta.table().name(), meta.columns()[meta.primary_key()[0]])));
  return BuildSelect(chosen);
}

absl::StatusOr<sql::Update> BuildBulkUpdate(const QueryState& state, const Payload& payload) {
  DUO_RETURN_IF_ERROR(CheckPayload(*state.meta, payload));
  DUO_ASSIGN_OR_RETURN(std::vector<Expr> conditions, BulkConditions(state));
  sql::Update update = sql::Update(state.meta->table()).Set(payload);
  for (const Expr& condition : conditions) update = update.Where(condition);
  return update;
}

absl::StatusOr<sql::Delete> BuildBulkDelete(const QueryState& state) {
  DUO_ASSIGN_OR_RETURN(std::vector<Expr> conditions, BulkConditions(state));
  sql::Delete del(state.meta->table());
  for (const Expr& condition : conditions) del = del.Where(condition);
  return del;
}

sql::Expr KeysIn(const ModelMeta& meta, const std::vector<std::vector<sql::Value>>& keys) {
  if (meta.primary_key().size() == 1) {
    const ColumnMeta& column = meta.columns()[meta.primary_key()[0]];
    std::vector<sql::Value> values;
    values.reserve(keys.size());
    for (const std::vector<sql::Value>& key : keys) values.push_back(key[0]);
    return sql::In(ColumnOf(meta.table().name(), column), values);
  }
  std::vector<Expr> alternatives;
  for (const std::vector<sql::Value>& key : keys) alternatives.push_back(KeyCondition(meta, key));
  return sql::Or(std::move(alternatives));
}

absl::StatusOr<sql::Select> BuildKeysetBatch(const QueryState& state,
                                             const std::vector<sql::Value>* last_key,
                                             int64_t batch_size) {
  const ModelMeta& meta = *state.meta;
  QueryState batch = state;
  batch.order.clear();
  batch.limit.reset();
  batch.offset.reset();
  if (last_key != nullptr) {
    // (k1, k2, ...) > (v1, v2, ...), spelled out for both databases.
    std::vector<Expr> alternatives;
    for (size_t i = 0; i < meta.primary_key().size(); ++i) {
      std::vector<Expr> terms;
      for (size_t j = 0; j < i; ++j) {
        const ColumnMeta& equal = meta.columns()[meta.primary_key()[j]];
        terms.push_back(ColumnOf(meta.table().name(), equal) == sql::Param((*last_key)[j]));
      }
      const ColumnMeta& greater = meta.columns()[meta.primary_key()[i]];
      terms.push_back(ColumnOf(meta.table().name(), greater) > sql::Param((*last_key)[i]));
      alternatives.push_back(terms.size() == 1 ? terms[0] : sql::And(std::move(terms)));
    }
    batch.where.push_back(alternatives.size() == 1 ? alternatives[0]
                                                   : sql::Or(std::move(alternatives)));
  }
  for (int index : meta.primary_key()) {
    batch.order.push_back(sql::OrderTerm(ColumnOf(meta.table().name(), meta.columns()[index])));
  }
  batch.limit = batch_size;
  return BuildSelect(batch);
}

absl::Status ObjectNotFound(const ModelMeta& meta, absl::string_view what) {
  absl::Status status =
      absl::NotFoundError(absl::StrCat("ObjectNotFound: no ", meta.model_name(), " ", what));
  status.SetPayload("duo.ObjectNotFound", absl::Cord(meta.model_name()));
  return status;
}

absl::Status MultipleObjectsFound(const ModelMeta& meta, int64_t found) {
  absl::Status status = absl::FailedPreconditionError(
      absl::StrCat("MultipleObjectsFound: One() expected exactly one ", meta.model_name(),
                   ", found ", found >= 2 ? "more than one" : absl::StrCat(found)));
  status.SetPayload("duo.MultipleObjectsFound", absl::Cord(meta.model_name()));
  return status;
}

}  // namespace duo::query_internal
