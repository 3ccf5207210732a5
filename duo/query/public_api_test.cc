// Public APIs nothing else exercised, on SQLite and PostgreSQL (and
// through PgBouncer): Schema::HasOne loaded with Related, Models::DropTables
// in dependency order, and the synchronous Model<T>::Refresh.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/query/testdata/model_table_test.h"
#include "duo/session/result.h"
#include "duo/sql/text.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace public_api {

struct Bio;

struct Member : duo::Model<Member> {
  int64_t id = 0;
  std::string name;
  duo::One<Bio> bio;
  static duo::Schema<Member> Table();
};

struct Bio : duo::Model<Bio> {
  int64_t id = 0;
  int64_t member_id = 0;
  std::string text;
  static duo::Schema<Bio> Table() {
    return duo::Schema<Bio>("api_bios")
        .Column(&Bio::id, "id", duo::PrimaryKey())
        .Column(&Bio::member_id, "member_id",
                duo::ForeignKey("api_members.id", {.on_delete = duo::kCascade}), duo::UniqueIndex())
        .Column(&Bio::text, "text");
  }
};

duo::Schema<Member> Member::Table() {
  return duo::Schema<Member>("api_members")
      .Column(&Member::id, "id", duo::PrimaryKey())
      .Column(&Member::name, "name")
      .HasOne("bio", &Member::bio, &Bio::member_id);
}

class PublicApiTest : public duo::query_testing::ModelTableTest<Member, Bio> {};

TEST_P(PublicApiTest, HasOneLoadsTheRelatedRowOrNothing) {
  DUO_ASSERT_OK_AND_ASSIGN(Member ada, Member::Create(Member{.name = "ada"}));
  DUO_ASSERT_OK_AND_ASSIGN(Member bob, Member::Create(Member{.name = "bob"}));
  DUO_ASSERT_OK(Bio::Create(Bio{.member_id = ada.id, .text = "mathematician"}).status());
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Member> members,
                           Member::Related("bio").OrderBy("name").All());
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].name, "ada");
  ASSERT_TRUE(members[0].bio.has_value());
  EXPECT_EQ(members[0].bio->text, "mathematician");
  EXPECT_EQ(members[0].bio->member_id, ada.id);
  EXPECT_EQ(members[1].name, "bob");
  EXPECT_FALSE(members[1].bio.has_value());
  // Without Related, nothing is loaded.
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Member> plain, Member::Get(ada.id));
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->bio.has_value());
}

TEST_P(PublicApiTest, RefreshReloadsTheRow) {
  DUO_ASSERT_OK_AND_ASSIGN(Member stale, Member::Create(Member{.name = "before"}));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Member> other, Member::Get(stale.id));
  ASSERT_TRUE(other.has_value());
  other->name = "after";
  DUO_ASSERT_OK(Member::Save(*other));
  EXPECT_EQ(stale.name, "before");
  DUO_ASSERT_OK(Member::Refresh(stale));
  EXPECT_EQ(stale.name, "after");
  // The member function form.
  other->name = "again";
  DUO_ASSERT_OK(other->Save());
  DUO_ASSERT_OK(Member::Refresh(stale));
  EXPECT_EQ(stale.name, "again");
}

// Update saves (DuoORM's instance.update()); Assign only sets. Checked
// against the row as another reader sees it.
TEST_P(PublicApiTest, UpdateSavesAndAssignOnlySets) {
  DUO_ASSERT_OK_AND_ASSIGN(Member ada, Member::Create(Member{.name = "ada"}));
  const auto stored_name = [&]() -> std::string {
    absl::StatusOr<duo::Result> row = db_->Execute(
        duo::sql::Text("SELECT name FROM api_members WHERE id = :id").Bind("id", ada.id));
    return row.ok() ? row->Scalar<std::string>().value_or("?") : row.status().ToString();
  };
  DUO_ASSERT_OK(ada.Assign({{"name", "assigned"}}));
  EXPECT_EQ(ada.name, "assigned");
  EXPECT_EQ(stored_name(), "ada");
  DUO_ASSERT_OK(ada.Update({{"name", "updated"}}));
  EXPECT_EQ(ada.name, "updated");
  EXPECT_EQ(stored_name(), "updated");
  DUO_ASSERT_OK(duo::SyncWait(ada.UpdateAsync({{"name", "async"}})));
  EXPECT_EQ(stored_name(), "async");
  // A value that does not fit changes neither the object nor the row.
  const absl::Status refused = ada.Update({{"name", 7}});
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
  EXPECT_EQ(ada.name, "async");
  EXPECT_EQ(stored_name(), "async");
}

TEST_P(PublicApiTest, FirstAndPageOnTheModelGoByKey) {
  std::vector<int64_t> ids;
  for (const char* name : {"c", "a", "e", "b", "d"}) {
    DUO_ASSERT_OK_AND_ASSIGN(Member member, Member::Create(Member{.name = name}));
    ids.push_back(member.id);
  }
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Member> first, Member::First());
  ASSERT_TRUE(first.has_value());
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Member> first_async, duo::SyncWait(Member::FirstAsync()));
  ASSERT_TRUE(first_async.has_value());
  std::vector<int64_t> paged;
  for (int64_t page = 1; page <= 3; ++page) {
    DUO_ASSERT_OK_AND_ASSIGN(duo::Page<Member> members, Member::Page(page, 2));
    EXPECT_EQ(members.total, 5);
    EXPECT_EQ(members.pages, 3);
    for (const Member& member : members.items) paged.push_back(member.id);
  }
  // Every row once, in key order: pages of an unordered query would be free
  // to repeat rows.
  EXPECT_EQ(paged, ids);
  DUO_ASSERT_OK_AND_ASSIGN(duo::Page<Member> async_page, duo::SyncWait(Member::PageAsync(3, 2)));
  ASSERT_EQ(async_page.items.size(), 1u);
  EXPECT_EQ(async_page.items[0].id, ids.back());
}

TEST_P(PublicApiTest, RefreshOfADeletedRowFails) {
  DUO_ASSERT_OK_AND_ASSIGN(Member gone, Member::Create(Member{.name = "gone"}));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Member> copy, Member::Get(gone.id));
  ASSERT_TRUE(copy.has_value());
  DUO_ASSERT_OK(Member::Delete(*copy));
  const absl::Status status = Member::Refresh(gone);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(gone.name, "gone");  // left as it was
}

TEST_P(PublicApiTest, DropTablesDropsReferencingTablesFirst) {
  DUO_ASSERT_OK_AND_ASSIGN(Member ada, Member::Create(Member{.name = "ada"}));
  DUO_ASSERT_OK(Bio::Create(Bio{.member_id = ada.id, .text = "x"}).status());
  // Listed referenced-first: DropTables must still drop api_bios (which
  // references api_members) before api_members.
  DUO_ASSERT_OK(duo::Models::DropTables(*db_, {&duo::MetaOf<Member>(), &duo::MetaOf<Bio>()}));
  EXPECT_FALSE(Member::Get(ada.id).ok());
  EXPECT_FALSE(Bio::Query().All().ok());
  // IF EXISTS: dropping again is fine, and the tables can be made anew.
  DUO_ASSERT_OK(duo::Models::DropTables(*db_, {&duo::MetaOf<Bio>(), &duo::MetaOf<Member>()}));
  DUO_ASSERT_OK(duo::Models::CreateTables(*db_, {&duo::MetaOf<Bio>(), &duo::MetaOf<Member>()}));
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Member> members, Member::Query().All());
  EXPECT_TRUE(members.empty());
}

DUO_INSTANTIATE_BACKEND_TEST(PublicApiTest);

}  // namespace public_api
