// Differential test of the query builder: random organisations (a model
// related to itself twice, nullable foreign keys, a self many-to-many with a
// composite key) and random queries over them (FilterBy paths, Related
// filters with every aggregate, ordering, Limit/Offset, Count, Page and
// bulk writes), each answered by DuoORM on the database and by plain C++
// over the same rows. The C++ side never looks at DuoORM's SQL or results.
//
// Bounded and seeded: DUO_DIFFERENTIAL_ROUNDS (default 12 datasets) and
// DUO_DIFFERENTIAL_SEED (default 2026) widen or vary a run, e.g.
//   bazel test //duo/query:differential_test
//     --test_env=DUO_DIFFERENTIAL_ROUNDS=500 --test_env=DUO_DIFFERENTIAL_SEED=7

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "duo/model/models.h"
#include "duo/query/query.h"
#include "duo/query/testdata/model_table_test.h"
#include "duo/query/testdata/org.h"
#include "duo/session/database.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace org {
namespace {

using ::duo::col;

struct Row {
  int64_t id;
  std::string name;
  int32_t level;
  std::optional<int64_t> manager;
  std::optional<int64_t> mentor;
};

// The organisation as plain data, and the answers worked out from it.
struct Oracle {
  std::vector<Row> rows;
  std::set<std::pair<int64_t, int64_t>> friendships;

  const Row* Find(std::optional<int64_t> id) const {
    if (!id) return nullptr;
    for (const Row& row : rows) {
      if (row.id == *id) return &row;
    }
    return nullptr;
  }

  std::vector<const Row*> Related(const Row& row, const std::string& relation) const {
    std::vector<const Row*> out;
    if (relation == "manager" || relation == "mentor") {
      if (const Row* r = Find(relation == "manager" ? row.manager : row.mentor)) out.push_back(r);
      return out;
    }
    for (const Row& other : rows) {
      if ((relation == "reports" && other.manager == row.id) ||
          (relation == "mentees" && other.mentor == row.id) ||
          (relation == "friends" && friendships.count({row.id, other.id}) > 0)) {
        out.push_back(&other);
      }
    }
    return out;
  }
};

// One leaf condition: a column compared with a value.
struct Leaf {
  std::string column;  // name, level or manager_id
  std::string text;
  int64_t number = 0;
  bool null = false;      // manager_id IS NULL
  bool at_least = false;  // level >= number instead of ==

  bool Matches(const Row& row) const {
    if (column == "name") return row.name == text;
    if (column == "level") return at_least ? row.level >= number : row.level == number;
    if (null) return !row.manager.has_value();
    return row.manager == number;
  }
  duo::sql::Value AsValue() const {
    if (column == "name") return duo::sql::Value(text);
    if (null) return duo::sql::Value();
    return duo::sql::Value(number);
  }
  duo::sql::Expr AsExpr() const {
    if (column == "name") return col(&Employee::name) == text;
    if (column == "level") {
      return at_least ? col(&Employee::level) >= static_cast<int32_t>(number)
                      : col(&Employee::level) == static_cast<int32_t>(number);
    }
    return null ? col(&Employee::manager_id).IsNull() : col(&Employee::manager_id) == number;
  }
  std::string Describe() const {
    if (null) return absl::StrCat(column, " IS NULL");
    return absl::StrCat(column, at_least ? " >= " : " = ",
                        column == "name" ? text : absl::StrCat(number));
  }
};

struct PathFilter {
  std::vector<std::string> relations;
  Leaf leaf;
};

struct RelatedFilter {
  std::string relation;
  std::optional<Leaf> where;
  duo::Aggregate aggregate = duo::Aggregate::kExists;
  int64_t count_at_least = 0;
};

struct QuerySpec {
  std::vector<PathFilter> paths;
  std::optional<RelatedFilter> related;
  std::vector<std::string> order;  // always ends with a key
  std::optional<int64_t> limit;
  std::optional<int64_t> offset;

  std::string Describe() const {
    std::vector<std::string> parts;
    for (const PathFilter& p : paths) {
      parts.push_back(absl::StrCat("FilterBy ", absl::StrJoin(p.relations, "."),
                                   p.relations.empty() ? "" : ".", p.leaf.Describe()));
    }
    if (related) {
      parts.push_back(absl::StrCat("Related ", related->relation,
                                   " agg=", static_cast<int>(related->aggregate),
                                   " where=", related->where ? related->where->Describe() : "-",
                                   " count>=", related->count_at_least));
    }
    parts.push_back(absl::StrCat("OrderBy ", absl::StrJoin(order, ",")));
    if (limit) parts.push_back(absl::StrCat("Limit ", *limit));
    if (offset) parts.push_back(absl::StrCat("Offset ", *offset));
    return absl::StrJoin(parts, " | ");
  }
};

bool PathMatches(const Oracle& oracle, const Row& row, const PathFilter& path, size_t at) {
  if (at == path.relations.size()) return path.leaf.Matches(row);
  for (const Row* related : oracle.Related(row, path.relations[at])) {
    if (PathMatches(oracle, *related, path, at + 1)) return true;
  }
  return false;
}

bool RelatedMatches(const Oracle& oracle, const Row& row, const RelatedFilter& filter) {
  const std::vector<const Row*> related = oracle.Related(row, filter.relation);
  int64_t matching = 0;
  for (const Row* r : related) matching += !filter.where || filter.where->Matches(*r);
  switch (filter.aggregate) {
    case duo::Aggregate::kExists:
      return matching > 0;
    case duo::Aggregate::kAll:
      return matching == static_cast<int64_t>(related.size());
    case duo::Aggregate::kCount:
      return matching >= filter.count_at_least;
  }
  return false;
}

// The query's rows, in its order, after Limit/Offset.
std::vector<const Row*> Answer(const Oracle& oracle, const QuerySpec& spec) {
  std::vector<const Row*> rows;
  for (const Row& row : oracle.rows) {
    bool ok = true;
    for (const PathFilter& path : spec.paths) ok = ok && PathMatches(oracle, row, path, 0);
    if (spec.related) ok = ok && RelatedMatches(oracle, row, *spec.related);
    if (ok) rows.push_back(&row);
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const Row* a, const Row* b) {
    for (const std::string& key : spec.order) {
      const bool descending = key[0] == '-';
      const std::string name = descending ? key.substr(1) : key;
      int c = 0;
      if (name == "id") c = (a->id > b->id) - (a->id < b->id);
      if (name == "name") c = a->name.compare(b->name);
      if (name == "level") c = (a->level > b->level) - (a->level < b->level);
      if (c != 0) return descending ? c > 0 : c < 0;
    }
    return false;
  });
  const size_t start = std::min<size_t>(rows.size(), spec.offset.value_or(0));
  size_t end = rows.size();
  if (spec.limit) end = std::min(end, start + static_cast<size_t>(*spec.limit));
  return std::vector<const Row*>(rows.begin() + start, rows.begin() + end);
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : random_(seed) {}

  int64_t Uniform(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(random_); }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Uniform(0, static_cast<int64_t>(items.size()) - 1)];
  }

  Oracle Organisation() {
    Oracle oracle;
    const int64_t size = Uniform(8, 24);
    for (int64_t id = 1; id <= size; ++id) {
      Row row{id, Pick(kNames), static_cast<int32_t>(Uniform(0, 3)), std::nullopt, std::nullopt};
      // Earlier rows only, so that one INSERT satisfies every key.
      if (id > 1 && Chance(0.75)) row.manager = Uniform(1, id - 1);
      if (id > 1 && Chance(0.4)) row.mentor = Uniform(1, id - 1);
      oracle.rows.push_back(row);
    }
    for (int64_t i = Uniform(0, size); i > 0; --i) {
      oracle.friendships.insert({Uniform(1, size), Uniform(1, size)});
    }
    return oracle;
  }

  Leaf RandomLeaf(int64_t size, bool for_filter_by) {
    Leaf leaf;
    const int64_t kind = Uniform(0, for_filter_by ? 2 : 1);
    if (kind == 0) {
      leaf.column = "name";
      leaf.text = Chance(0.1) ? "nobody" : Pick(kNames);
    } else if (kind == 1) {
      leaf.column = "level";
      leaf.number = Uniform(0, 3);
      leaf.at_least = !for_filter_by && Chance(0.5);
    } else {
      leaf.column = "manager_id";
      leaf.null = Chance(0.4);
      leaf.number = Uniform(1, size);
    }
    return leaf;
  }

  QuerySpec Query(int64_t size) {
    QuerySpec spec;
    for (int64_t n = Uniform(0, 2); n > 0; --n) {
      PathFilter path;
      for (int64_t depth = Uniform(0, 3); depth > 0; --depth)
        path.relations.push_back(Pick(kRelations));
      path.leaf = RandomLeaf(size, /*for_filter_by=*/true);
      spec.paths.push_back(std::move(path));
    }
    if (Chance(0.5)) {
      RelatedFilter related;
      related.relation = Pick(kRelations);
      related.aggregate = Pick(std::vector<duo::Aggregate>{
          duo::Aggregate::kExists, duo::Aggregate::kAll, duo::Aggregate::kCount});
      if (related.aggregate != duo::Aggregate::kCount || Chance(0.5)) {
        related.where = RandomLeaf(size, /*for_filter_by=*/false);
      }
      related.count_at_least = Uniform(0, 2);
      spec.related = related;
    }
    spec.order = Pick(std::vector<std::vector<std::string>>{
        {"id"}, {"-id"}, {"name", "id"}, {"-level", "id"}, {"level", "-name", "-id"}});
    if (Chance(0.4)) spec.limit = Uniform(0, 6);
    if (Chance(0.3)) spec.offset = Uniform(0, 5);
    return spec;
  }

 private:
  inline static const std::vector<std::string> kNames = {"ann", "bo", "cy"};
  inline static const std::vector<std::string> kRelations = {"manager", "mentor", "reports",
                                                             "mentees", "friends"};
  std::mt19937 random_;
};

int64_t EnvOr(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : std::strtoll(value, nullptr, 10);
}

class DifferentialTest : public duo::query_testing::ModelTableTest<> {
 protected:
  std::vector<const duo::ModelMeta*> Tables() const override { return AllModels(); }

  void Store(const Oracle& oracle) {
    DUO_ASSERT_OK(Employee::Query().DeleteBulk({.require_filter = false}).status());
    std::vector<Employee> employees;
    for (const Row& row : oracle.rows) {
      employees.push_back({.id = row.id,
                           .name = row.name,
                           .level = row.level,
                           .manager_id = row.manager,
                           .mentor_id = row.mentor});
    }
    DUO_ASSERT_OK(Employee::CreateBulk(std::move(employees), {.return_models = false}).status());
    std::vector<Friendship> links;
    for (auto [a, b] : oracle.friendships) links.push_back({.employee_id = a, .friend_id = b});
    if (!links.empty()) {
      DUO_ASSERT_OK(Friendship::CreateBulk(std::move(links), {.return_models = false}).status());
    }
  }

  static duo::Query<Employee> Build(const QuerySpec& spec) {
    duo::Query<Employee> query = Employee::Query();
    for (const PathFilter& path : spec.paths) {
      std::string name = absl::StrJoin(path.relations, ".");
      absl::StrAppend(&name, name.empty() ? "" : ".", path.leaf.column);
      query = query.FilterBy({{name, path.leaf.AsValue()}});
    }
    if (spec.related) {
      duo::RelatedOptions options{.load = false, .aggregate = spec.related->aggregate};
      if (spec.related->where) options.where = spec.related->where->AsExpr();
      if (spec.related->aggregate == duo::Aggregate::kCount) {
        const int64_t at_least = spec.related->count_at_least;
        options.count = [at_least](const auto& n) { return n >= at_least; };
      }
      query = query.Related(spec.related->relation, std::move(options));
    }
    for (const std::string& key : spec.order) query = query.OrderBy(key);
    if (spec.limit) query = query.Limit(*spec.limit);
    if (spec.offset) query = query.Offset(*spec.offset);
    return query;
  }
};

std::vector<int64_t> IdsOf(const std::vector<const Row*>& rows) {
  std::vector<int64_t> ids;
  for (const Row* row : rows) ids.push_back(row->id);
  return ids;
}

std::vector<int64_t> IdsOf(const std::vector<Employee>& rows) {
  std::vector<int64_t> ids;
  for (const Employee& row : rows) ids.push_back(row.id);
  return ids;
}

TEST_P(DifferentialTest, QueriesAgreeWithRowsFilteredInCpp) {
  const int64_t rounds = EnvOr("DUO_DIFFERENTIAL_ROUNDS", 12);
  const uint32_t seed = static_cast<uint32_t>(EnvOr("DUO_DIFFERENTIAL_SEED", 2026));
  Generator generate(seed);
  int64_t checks = 0;
  for (int64_t round = 0; round < rounds && !HasFailure(); ++round) {
    const Oracle oracle = generate.Organisation();
    ASSERT_NO_FATAL_FAILURE(Store(oracle));
    const int64_t size = static_cast<int64_t>(oracle.rows.size());
    for (int q = 0; q < 25 && !HasFailure(); ++q) {
      const QuerySpec spec = generate.Query(size);
      SCOPED_TRACE(
          absl::StrCat("seed ", seed, " round ", round, " query ", q, ": ", spec.Describe()));
      const std::vector<const Row*> expected = Answer(oracle, spec);
      const duo::Query<Employee> query = Build(spec);
      DUO_ASSERT_OK_AND_ASSIGN(std::vector<Employee> all, query.All());
      EXPECT_EQ(IdsOf(all), IdsOf(expected));
      DUO_ASSERT_OK_AND_ASSIGN(int64_t count, query.Count());
      EXPECT_EQ(count, static_cast<int64_t>(expected.size()));
      DUO_ASSERT_OK_AND_ASSIGN(bool exists, query.Exists());
      EXPECT_EQ(exists, !expected.empty());
      const int64_t per_page = generate.Uniform(1, 4);
      const int64_t page = generate.Uniform(1, 4);
      DUO_ASSERT_OK_AND_ASSIGN(duo::Page<Employee> got_page, query.Page(page, per_page));
      const size_t from = std::min<size_t>(expected.size(), (page - 1) * per_page);
      const size_t to = std::min<size_t>(expected.size(), from + per_page);
      EXPECT_EQ(IdsOf(got_page.items),
                IdsOf(std::vector<const Row*>(expected.begin() + from, expected.begin() + to)));
      EXPECT_EQ(got_page.total, static_cast<int64_t>(expected.size()));
      checks += 4;

      // A bulk write through the same query, rolled back afterwards.
      const bool update = generate.Chance(0.5);
      const bool with_hooks = generate.Chance(0.5);
      std::set<int64_t> touched;
      for (const Row* row : expected) touched.insert(row->id);
      absl::Status rolled_back = db_->Transaction([&](duo::Session&) -> absl::Status {
        const duo::BulkOptions options{.with_hooks = with_hooks, .require_filter = false};
        absl::StatusOr<int64_t> affected =
            update ? query.UpdateBulk({{"level", 9}}, options) : query.DeleteBulk(options);
        EXPECT_TRUE(affected.ok()) << affected.status();
        if (!affected.ok()) return affected.status();
        EXPECT_EQ(*affected, static_cast<int64_t>(touched.size()));
        absl::StatusOr<std::vector<Employee>> after = Employee::OrderBy("id").All();
        EXPECT_TRUE(after.ok()) << after.status();
        if (!after.ok()) return after.status();
        std::vector<std::pair<int64_t, int32_t>> got, want;
        for (const Employee& e : *after) got.emplace_back(e.id, e.level);
        for (const Row& row : oracle.rows) {
          if (touched.count(row.id) == 0) {
            want.emplace_back(row.id, row.level);
          } else if (update) {
            want.emplace_back(row.id, 9);
          }
        }
        EXPECT_EQ(got, want) << (update ? "UpdateBulk" : "DeleteBulk")
                             << (with_hooks ? " with hooks" : "");
        return absl::CancelledError("differential test: roll back the bulk write");
      });
      EXPECT_EQ(rolled_back.code(), absl::StatusCode::kCancelled) << rolled_back;
      ++checks;
    }
  }
  RecordProperty("checks", static_cast<int>(checks));
}

INSTANTIATE_TEST_SUITE_P(Backends, DifferentialTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kPgBouncer,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DifferentialTest);

}  // namespace
}  // namespace org
