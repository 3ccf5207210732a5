// Relationship paths, filters and bulk operations over models that relate
// to their own table (and bulk guards, timestamps and pages), on SQLite and
// PostgreSQL. Each expectation is a set of rows worked out by hand from the
// seeded organisation below, never from DuoORM's own answer.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/async/sync_wait.h"
#include "duo/model/models.h"
#include "duo/query/query.h"
#include "duo/query/testdata/model_table_test.h"
#include "duo/query/testdata/org.h"
#include "duo/session/database.h"
#include "duo/session/result.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace org {

// A model whose member cannot hold what its column's default produces.
struct Narrow : duo::Model<Narrow> {
  int64_t id = 0;
  int32_t small = 0;

  static duo::Schema<Narrow> Table() {
    return duo::Schema<Narrow>("narrow")
        .Column(&Narrow::id, "id", duo::PrimaryKey())
        .Column(&Narrow::small, "small", duo::ServerDefault(duo::sql::Param(int64_t{1} << 40)));
  }
};

namespace {

using ::duo::col;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class RelationshipTest : public duo::query_testing::ModelTableTest<> {
 protected:
  std::vector<const duo::ModelMeta*> Tables() const override { return AllModels(); }

  void SetUp() override {
    ModelTableTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // boss ── mid(2) ── w(4)          friendships: 4→5, 5→4, 6→1
    //     └── mid(3) ─┬ w(5)          mentor of 6: 2
    //                 └ w(6)          solo(7): no manager, no mentor
    boss_ = Add("boss", 3, std::nullopt, std::nullopt);
    mid2_ = Add("mid", 1, boss_, std::nullopt);
    mid3_ = Add("mid", 2, boss_, std::nullopt);
    w4_ = Add("w", 0, mid2_, std::nullopt);
    w5_ = Add("w", 0, mid3_, std::nullopt);
    w6_ = Add("w", 1, mid3_, mid2_);
    solo_ = Add("solo", 0, std::nullopt, std::nullopt);
    for (auto [a, b] :
         std::vector<std::pair<int64_t, int64_t>>{{w4_, w5_}, {w5_, w4_}, {w6_, boss_}}) {
      DUO_ASSERT_OK(Friendship::Create({.employee_id = a, .friend_id = b}).status());
    }
  }
  int64_t Add(std::string name, int32_t level, std::optional<int64_t> manager,
              std::optional<int64_t> mentor) {
    absl::StatusOr<Employee> created = Employee::Create(
        {.name = std::move(name), .level = level, .manager_id = manager, .mentor_id = mentor});
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->id : 0;
  }

  static std::set<int64_t> Ids(const absl::StatusOr<std::vector<Employee>>& rows) {
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::set<int64_t> ids;
    if (rows.ok()) {
      for (const Employee& e : *rows) ids.insert(e.id);
    }
    return ids;
  }

  std::set<int64_t> Levels(int32_t level) {
    return Ids(Employee::Where(col(&Employee::level) == level).All());
  }

  int64_t boss_ = 0, mid2_ = 0, mid3_ = 0, w4_ = 0, w5_ = 0, w6_ = 0, solo_ = 0;
};

TEST_P(RelationshipTest, FilterByPathsIntoTheSameTableMatchTheRelatedRow) {
  EXPECT_EQ(Ids(Employee::FilterBy({{"manager.name", "mid"}}).All()),
            (std::set<int64_t>{w4_, w5_, w6_}));
  EXPECT_EQ(Ids(Employee::FilterBy({{"manager.name", "boss"}}).All()),
            (std::set<int64_t>{mid2_, mid3_}));
  EXPECT_EQ(Ids(Employee::FilterBy({{"manager.manager.name", "boss"}}).All()),
            (std::set<int64_t>{w4_, w5_, w6_}));
  EXPECT_EQ(Ids(Employee::FilterBy({{"manager.level", 2}}).All()), (std::set<int64_t>{w5_, w6_}));
  EXPECT_EQ(Ids(Employee::FilterBy({{"reports.name", "w"}}).All()),
            (std::set<int64_t>{mid2_, mid3_}));
  EXPECT_EQ(Ids(Employee::FilterBy({{"reports.reports.level", 1}}).All()),
            (std::set<int64_t>{boss_}));
  // Two relationships into one table, alone and together.
  EXPECT_EQ(Ids(Employee::FilterBy({{"mentor.name", "mid"}}).All()), (std::set<int64_t>{w6_}));
  EXPECT_EQ(Ids(Employee::FilterBy({{"mentor.level", 1}, {"manager.level", 2}}).All()),
            (std::set<int64_t>{w6_}));
  EXPECT_EQ(Ids(Employee::FilterBy({{"mentees.name", "w"}}).All()), (std::set<int64_t>{mid2_}));
  DUO_ASSERT_OK_AND_ASSIGN(int64_t counted, Employee::FilterBy({{"manager.name", "mid"}}).Count());
  EXPECT_EQ(counted, 3);
}

TEST_P(RelationshipTest, ManyToManyBetweenOneModelMatchesTheOtherSide) {
  EXPECT_EQ(Ids(Employee::FilterBy({{"friends.name", "w"}}).All()), (std::set<int64_t>{w4_, w5_}));
  EXPECT_EQ(Ids(Employee::FilterBy({{"friends.name", "boss"}}).All()), (std::set<int64_t>{w6_}));
  EXPECT_THAT(Ids(Employee::FilterBy({{"friends.manager.name", "boss"}}).All()), IsEmpty());
  EXPECT_EQ(
      Ids(Employee::Related("friends", {.load = false, .where = col(&Employee::level) == 3}).All()),
      (std::set<int64_t>{w6_}));
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Employee> loaded,
                           Employee::Related("friends").FilterBy({{"id", w6_}}).All());
  ASSERT_EQ(loaded.size(), 1u);
  ASSERT_EQ(loaded[0].friends.size(), 1u);
  EXPECT_EQ(loaded[0].friends[0].id, boss_);
  // The association model's two relationships into employees.
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Friendship> to_boss,
                           Friendship::FilterBy({{"pal.name", "boss"}}).All());
  ASSERT_EQ(to_boss.size(), 1u);
  EXPECT_EQ(to_boss[0].employee_id, w6_);
  DUO_ASSERT_OK_AND_ASSIGN(int64_t from_w, Friendship::FilterBy({{"employee.name", "w"}}).Count());
  EXPECT_EQ(from_w, 3);
}

TEST_P(RelationshipTest, RelatedFiltersWithEveryAggregateUseTheRelatedRows) {
  const auto name = col(&Employee::name);
  const auto level = col(&Employee::level);
  EXPECT_EQ(Ids(Employee::Related("reports", {.load = false, .where = name == "w"}).All()),
            (std::set<int64_t>{mid2_, mid3_}));
  // kAll: every report at level 0 (vacuously true without reports).
  EXPECT_EQ(
      Ids(Employee::Related("reports",
                            {.load = false, .where = level == 0, .aggregate = duo::Aggregate::kAll})
              .All()),
      (std::set<int64_t>{mid2_, w4_, w5_, w6_, solo_}));
  EXPECT_EQ(Ids(Employee::Related("reports", {.load = false,
                                              .aggregate = duo::Aggregate::kCount,
                                              .count = [](const auto& n) { return n >= 2; }})
                    .All()),
            (std::set<int64_t>{boss_, mid3_}));
  EXPECT_EQ(Ids(Employee::Related("reports", {.load = false,
                                              .where = level >= 1,
                                              .aggregate = duo::Aggregate::kCount,
                                              .count = [](const auto& n) { return n == 1; }})
                    .All()),
            (std::set<int64_t>{mid3_}));
  DUO_ASSERT_OK_AND_ASSIGN(
      std::vector<Employee> by_reports,
      Employee::Related("reports", {.load = false,
                                    .aggregate = duo::Aggregate::kCount,
                                    .order_by_count = duo::SortOrder::kDescending})
          .OrderBy("id")
          .Limit(3)
          .All());
  ASSERT_EQ(by_reports.size(), 3u);
  EXPECT_EQ(by_reports[0].id, boss_);
  EXPECT_EQ(by_reports[1].id, mid3_);
  EXPECT_EQ(by_reports[2].id, mid2_);
  // `where` filters the parents (kExists) and the loaded collections: mid3
  // has a report at level 1 (w6), and only that one is loaded.
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Employee> mids,
                           Employee::Related("reports", {.where = level == 1})
                               .FilterBy({{"name", "mid"}})
                               .OrderBy("id")
                               .All());
  ASSERT_EQ(mids.size(), 1u);
  EXPECT_EQ(mids[0].id, mid3_);
  ASSERT_EQ(mids[0].reports.size(), 1u);
  EXPECT_EQ(mids[0].reports[0].id, w6_);
}

TEST_P(RelationshipTest, RawTextNamingTheRelatedTableIsRefused) {
  absl::StatusOr<std::vector<Employee>> refused =
      Employee::Related("reports", {.load = false, .where = duo::sql::Text("employees.level > 0")})
          .All();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("\"employees\""));
  // Text that does not name the table keeps working.
  EXPECT_EQ(
      Ids(Employee::Related("reports", {.load = false, .where = duo::sql::Text("1 = 1")}).All()),
      (std::set<int64_t>{boss_, mid2_, mid3_}));
}

TEST_P(RelationshipTest, BulkWritesThroughSelfReferentialFiltersTouchOnlyMatchingRows) {
  for (bool with_hooks : {false, true}) {
    SCOPED_TRACE(with_hooks ? "with hooks" : "set-based");
    DUO_ASSERT_OK_AND_ASSIGN(int64_t updated,
                             Employee::FilterBy({{"manager.name", "mid"}})
                                 .UpdateBulk({{"level", 7}}, {.with_hooks = with_hooks}));
    EXPECT_EQ(updated, 3);
    EXPECT_EQ(Levels(7), (std::set<int64_t>{w4_, w5_, w6_}));
    DUO_ASSERT_OK(Employee::Where(col(&Employee::level) == 7).UpdateBulk({{"level", 0}}).status());
    DUO_ASSERT_OK(Employee::FilterBy({{"id", w6_}}).UpdateBulk({{"level", 1}}).status());
  }
  // kAll through a bulk update: only managers all of whose reports are at
  // level 0 (and employees without reports).
  DUO_ASSERT_OK_AND_ASSIGN(int64_t all_zero,
                           Employee::Related("reports", {.load = false,
                                                         .where = col(&Employee::level) == 0,
                                                         .aggregate = duo::Aggregate::kAll})
                               .UpdateBulk({{"level", 9}}));
  EXPECT_EQ(all_zero, 5);
  EXPECT_EQ(Levels(9), (std::set<int64_t>{mid2_, w4_, w5_, w6_, solo_}));
  DUO_ASSERT_OK_AND_ASSIGN(int64_t deleted,
                           Employee::FilterBy({{"manager.manager.name", "boss"}}).DeleteBulk());
  EXPECT_EQ(deleted, 3);
  EXPECT_EQ(Ids(Employee::All()), (std::set<int64_t>{boss_, mid2_, mid3_, solo_}));
}

TEST_P(RelationshipTest, ALimitIsNotAFilterAndChoosesRowsOnlyInAGivenOrder) {
  const std::set<int64_t> everyone{boss_, mid2_, mid3_, w4_, w5_, w6_, solo_};
  EXPECT_EQ(Employee::Query().Limit(1).DeleteBulk().status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<int64_t> unordered =
      Employee::Query().Limit(1).DeleteBulk({.require_filter = false});
  EXPECT_EQ(unordered.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unordered.status().message(), HasSubstr("OrderBy"));
  EXPECT_EQ(Employee::Query()
                .Offset(2)
                .UpdateBulk({{"level", 5}}, {.require_filter = false})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ids(Employee::All()), everyone);
  EXPECT_THAT(Levels(5), IsEmpty());

  // The first two by level, descending, ties broken by key: boss (3), mid3 (2).
  DUO_ASSERT_OK_AND_ASSIGN(int64_t updated, Employee::OrderBy("-level").Limit(2).UpdateBulk(
                                                {{"name", "top"}}, {.require_filter = false}));
  EXPECT_EQ(updated, 2);
  EXPECT_EQ(Ids(Employee::FilterBy({{"name", "top"}}).All()), (std::set<int64_t>{boss_, mid3_}));
  // Level 1 ties between mid2 and w6: the key decides. A per-row update
  // that moves rows out of the order must not move the window.
  DUO_ASSERT_OK_AND_ASSIGN(int64_t hooked,
                           Employee::Where(col(&Employee::level) <= 1)
                               .OrderBy("-level")
                               .Limit(3)
                               .UpdateBulk({{"level", 8}}, {.with_hooks = true, .batch_size = 1}));
  EXPECT_EQ(hooked, 3);
  EXPECT_EQ(Levels(8), (std::set<int64_t>{mid2_, w6_, w4_}));
  DUO_ASSERT_OK_AND_ASSIGN(int64_t deleted, Employee::FilterBy({{"level", 0}})
                                                .OrderBy("id")
                                                .Offset(1)
                                                .Limit(5)
                                                .DeleteBulk({.with_hooks = true, .batch_size = 1}));
  EXPECT_EQ(deleted, 1);  // w5 and solo are at level 0; the offset skips w5
  EXPECT_EQ(Ids(Employee::All()), (std::set<int64_t>{boss_, mid2_, mid3_, w4_, w5_, w6_}));
}

TEST_P(RelationshipTest, EveryWriteThatUpdatesRowsStampsUpdatedAt) {
  const absl::Time long_ago = absl::FromUnixSeconds(1'000'000'000);
  struct Case {
    const char* name;
    std::function<absl::Status()> write;
  };
  const std::vector<Case> cases = {
      {"UpdateBulk",
       [] {
         return Employee::FilterBy({{"name", "w"}}).UpdateBulk({{"level", 4}}).status();
       }},
      {"UpdateBulk with hooks",
       [] {
         return Employee::FilterBy({{"name", "w"}})
             .UpdateBulk({{"level", 5}}, {.with_hooks = true})
             .status();
       }},
      {"UpdateBulkAsync",
       [] {
         return duo::SyncWait(Employee::FilterBy({{"name", "w"}}).UpdateBulkAsync({{"level", 6}}))
             .status();
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    DUO_ASSERT_OK(Employee::Query()
                      .UpdateBulk({{"updated_at", long_ago}}, {.require_filter = false})
                      .status());
    const absl::Time before = absl::Now() - absl::Seconds(1);
    DUO_ASSERT_OK(c.write());
    DUO_ASSERT_OK_AND_ASSIGN(std::vector<Employee> rows, Employee::OrderBy("id").All());
    for (const Employee& e : rows) {
      if (e.name == "w") {
        EXPECT_GE(e.updated_at, before) << e.id;
      } else {
        EXPECT_EQ(e.updated_at, long_ago) << e.id;
      }
    }
  }
  // A payload that sets the column itself wins.
  DUO_ASSERT_OK(
      Employee::FilterBy({{"name", "w"}}).UpdateBulk({{"updated_at", long_ago}}).status());
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Employee> w4, Employee::Get(w4_));
  EXPECT_EQ(w4->updated_at, long_ago);
}

TEST_P(RelationshipTest, PagesStayInsideTheQuerysLimitAndOffset) {
  auto window = Employee::OrderBy("id").Limit(2);
  DUO_ASSERT_OK_AND_ASSIGN(int64_t count, window.Count());
  DUO_ASSERT_OK_AND_ASSIGN(duo::Page<Employee> page, window.Page(1, 10));
  EXPECT_EQ(count, 2);
  EXPECT_EQ(page.total, 2);
  EXPECT_EQ(page.pages, 1);
  EXPECT_EQ(Ids(page.items), (std::set<int64_t>{boss_, mid2_}));
  // Rows 2..5 (offset 1, limit 4) in pages of 3: the second page holds one.
  auto middle = Employee::OrderBy("id").Offset(1).Limit(4);
  DUO_ASSERT_OK_AND_ASSIGN(duo::Page<Employee> second, middle.Page(2, 3));
  EXPECT_EQ(second.total, 4);
  EXPECT_EQ(second.pages, 2);
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].id, w5_);
  EXPECT_FALSE(second.has_next);
  DUO_ASSERT_OK_AND_ASSIGN(duo::Page<Employee> beyond, middle.Page(3, 3));
  EXPECT_THAT(beyond.items, IsEmpty());
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Employee> all, middle.All());
  DUO_ASSERT_OK_AND_ASSIGN(duo::Page<Employee> first, middle.Page(1, 3));
  ASSERT_EQ(first.items.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(first.items[i].id, all[i].id);
}

// Related writes themselves are tested in related_writes_test.cc; here,
// what writes the row alone.
TEST_P(RelationshipTest, CreateBulkAndRelationsIgnoreWriteTheRowOnly) {
  DUO_ASSERT_OK_AND_ASSIGN(int64_t before, Employee::Count());
  Employee lead{.name = "lead"};
  lead.reports.push_back({.name = "new hire"});
  // CreateBulk writes rows only, and refuses what it would drop.
  absl::Status bulk = Employee::CreateBulk({lead}).status();
  EXPECT_EQ(bulk.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bulk.message(), HasSubstr("Employee.reports"));
  // Relations::kIgnore: the row alone; its members are neither written
  // nor checked.
  const duo::WriteOptions row_only{.relations = duo::Relations::kIgnore};
  DUO_ASSERT_OK_AND_ASSIGN(Employee alone, Employee::Create(lead, row_only));
  ASSERT_EQ(alone.reports.size(), 1u);
  EXPECT_EQ(alone.reports[0].id, 0);
  DUO_ASSERT_OK_AND_ASSIGN(int64_t after_one, Employee::Count());
  EXPECT_EQ(after_one, before + 1);

  // A stored manager whose key the foreign key column does not hold is
  // ambiguous: refused, naming the column, unless relations are ignored.
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Employee> boss, Employee::Get(boss_));
  Employee hire{.name = "hire", .manager_id = mid2_};
  hire.manager = *boss;
  absl::StatusOr<Employee> unlinked = Employee::Create(hire);
  EXPECT_EQ(unlinked.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unlinked.status().message(), HasSubstr("manager_id"));
  DUO_ASSERT_OK_AND_ASSIGN(int64_t after_refusal, Employee::Count());
  EXPECT_EQ(after_refusal, after_one);
  DUO_ASSERT_OK_AND_ASSIGN(Employee created, Employee::Create(hire, row_only));
  EXPECT_EQ(created.manager_id, mid2_);

  // Saving a loaded object leaves what its stored related objects hold in
  // memory alone: those are saved by saving them.
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Employee> loaded,
                           Employee::Related("reports").FilterBy({{"id", mid3_}}).All());
  ASSERT_EQ(loaded.size(), 1u);
  Employee mid = loaded[0];
  ASSERT_EQ(mid.reports.size(), 2u);
  mid.level = 4;
  mid.reports[0].name = "renamed in memory";
  DUO_ASSERT_OK(Employee::Save(mid));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Employee> stored, Employee::Get(mid3_));
  EXPECT_EQ(stored->level, 4);
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Employee> report, Employee::Get(mid.reports[0].id));
  EXPECT_EQ(report->name, "w");
}

// A write whose row cannot be read back reports an error; outside a
// transaction it must then not have committed, or a retry writes it twice.
TEST_P(RelationshipTest, AWriteThatCannotReadItsRowBackLeavesNothing) {
  const char* key = "id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
  if (backend() == duo::testing::Backend::kSqlite) key = "id INTEGER PRIMARY KEY";
  if (backend() == duo::testing::Backend::kMariadb) key = "id BIGINT AUTO_INCREMENT PRIMARY KEY";
  DUO_ASSERT_OK(
      db_->Execute(duo::sql::Text(absl::StrCat("CREATE TABLE narrow (", key,
                                               ", small BIGINT NOT NULL DEFAULT 1099511627776)")))
          .status());
  absl::StatusOr<Narrow> created = Narrow::Create(Narrow{});
  EXPECT_EQ(created.status().code(), absl::StatusCode::kOutOfRange) << created.status();
  EXPECT_THAT(created.status().message(), HasSubstr("small"));
  absl::StatusOr<duo::Result> rows = db_->Execute(duo::sql::Text("SELECT count(*) FROM narrow"));
  DUO_ASSERT_OK(rows.status());
  EXPECT_EQ(rows->Scalar<int64_t>().value(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, RelationshipTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kPgBouncer,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RelationshipTest);

}  // namespace
}  // namespace org
