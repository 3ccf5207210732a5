// Optimistic locking (duo::Version()) on SQLite, PostgreSQL and PostgreSQL
// through PgBouncer: lost updates and deletes fail with kStaleObject and
// change nothing, as raw SQL reads of the row show.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "duo/async/sync_wait.h"
#include "duo/engine/error.h"
#include "duo/model/models.h"
#include "duo/query/query.h"
#include "duo/query/testdata/model_table_test.h"
#include "duo/session/database.h"
#include "duo/session/result.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace versioned {

std::atomic<int> after_updates{0};
std::atomic<int> before_updates{0};
std::atomic<int> after_deletes{0};

struct Account : duo::Model<Account> {
  int64_t id = 0;
  std::string owner;
  int64_t balance = 0;
  int32_t version = 0;  // any integer member
  absl::Time updated_at;

  static duo::Schema<Account> Table() {
    return duo::Schema<Account>("accounts")
        .Column(&Account::id, "id", duo::PrimaryKey())
        .Column(&Account::owner, "owner")
        .Column(&Account::balance, "balance")
        .Column(&Account::version, "version", duo::Version())
        .Column(&Account::updated_at, "updated_at", duo::UpdatedAt());
  }
  absl::Status BeforeUpdate() {
    ++before_updates;
    return absl::OkStatus();
  }
  absl::Status AfterUpdate() {
    ++after_updates;
    return absl::OkStatus();
  }
  absl::Status AfterDelete() {
    ++after_deletes;
    return absl::OkStatus();
  }
};

namespace {

using ::testing::HasSubstr;

class VersionTest : public duo::query_testing::ModelTableTest<Account> {
 protected:
  void SetUp() override {
    ModelTableTest::SetUp();
    after_updates = 0;
    before_updates = 0;
    after_deletes = 0;
  }
  // The row as raw SQL reads it: "balance|version", or "" when gone.
  std::string Row(int64_t id) {
    absl::StatusOr<duo::Result> result = db_->Execute(
        duo::sql::Text(absl::StrCat("SELECT balance, version FROM accounts WHERE id = ", id)));
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok() || result->empty()) return "";
    return absl::StrCat(result->row(0)[0].DebugString(), "|", result->row(0)[1].DebugString());
  }
};

TEST_P(VersionTest, WritesStartAtOneAndEachSaveBumps) {
  DUO_ASSERT_OK_AND_ASSIGN(Account created, Account::Create({.owner = "ada", .balance = 10}));
  EXPECT_EQ(created.version, 1);
  EXPECT_EQ(Row(created.id), "10|1");
  // A version set by hand on a new object does not survive the insert.
  DUO_ASSERT_OK_AND_ASSIGN(Account odd, Account::Create({.owner = "odd", .version = 7}));
  EXPECT_EQ(odd.version, 1);
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Account> bulk,
                           Account::CreateBulk({{.owner = "b1"}, {.owner = "b2"}}));
  EXPECT_EQ(bulk[1].version, 1);
  EXPECT_EQ(Row(bulk[1].id), "0|1");
  Account saved{.owner = "saved"};
  DUO_ASSERT_OK(saved.Save());
  EXPECT_EQ(saved.version, 1);

  created.balance = 20;
  DUO_ASSERT_OK(created.Save());
  EXPECT_EQ(created.version, 2);
  DUO_ASSERT_OK(created.Save());
  EXPECT_EQ(created.version, 3);
  EXPECT_EQ(Row(created.id), "20|3");
  DUO_ASSERT_OK(Account::Refresh(saved));
  EXPECT_EQ(saved.version, 1);
}

TEST_P(VersionTest, TheSecondOfTwoCopiesIsStaleAndChangesNothing) {
  DUO_ASSERT_OK_AND_ASSIGN(Account created, Account::Create({.owner = "ada", .balance = 10}));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Account> first, Account::Get(created.id));
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Account> second, Account::Get(created.id));
  first->balance = 11;
  DUO_ASSERT_OK(first->Save());
  EXPECT_EQ(first->version, 2);

  second->balance = 99;
  const absl::Time second_stamp = second->updated_at;
  absl::Status lost = second->Save();
  EXPECT_TRUE(duo::IsStale(lost)) << lost;
  EXPECT_EQ(duo::GetErrorKind(lost), duo::ErrorKind::kStaleObject);
  EXPECT_EQ(lost.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(lost.message(), HasSubstr("\"accounts\""));
  EXPECT_THAT(lost.message(), HasSubstr("version 1"));
  EXPECT_THAT(duo::ErrorString(lost), HasSubstr("stale object"));
  // The database keeps the first writer's values; the copy is as it was.
  EXPECT_EQ(Row(created.id), "11|2");
  EXPECT_EQ(second->version, 1);
  EXPECT_EQ(second->balance, 99);
  EXPECT_EQ(second->updated_at, second_stamp);
  // The failed write's after-hooks did not run (its before-hook did).
  EXPECT_EQ(before_updates.load(), 2);
  EXPECT_EQ(after_updates.load(), 1);

  // Reloaded, the change goes through.
  DUO_ASSERT_OK(Account::Refresh(*second));
  second->balance = 99;
  DUO_ASSERT_OK(second->Save());
  EXPECT_EQ(Row(created.id), "99|3");
  // The async twin reports the same.
  absl::Status async_lost = duo::SyncWait(first->SaveAsync());
  EXPECT_TRUE(duo::IsStale(async_lost)) << async_lost;
  EXPECT_EQ(Row(created.id), "99|3");
}

TEST_P(VersionTest, DeletingAStaleCopyFailsAndKeepsTheRow) {
  DUO_ASSERT_OK_AND_ASSIGN(Account created, Account::Create({.owner = "ada", .balance = 10}));
  Account stale = created;
  created.balance = 12;
  DUO_ASSERT_OK(created.Save());
  absl::Status lost = stale.Delete();
  EXPECT_TRUE(duo::IsStale(lost)) << lost;
  EXPECT_THAT(lost.message(), HasSubstr("delete"));
  EXPECT_EQ(Row(created.id), "12|2");
  EXPECT_EQ(after_deletes.load(), 0);
  DUO_ASSERT_OK(created.Delete());
  EXPECT_EQ(Row(created.id), "");
  EXPECT_EQ(after_deletes.load(), 1);

  // A copy of a deleted row is stale too: Save does not bring it back.
  stale.balance = 1;
  absl::Status gone = stale.Save();
  EXPECT_TRUE(duo::IsStale(gone)) << gone;
  EXPECT_EQ(Row(created.id), "");
}

TEST_P(VersionTest, BulkUpdatesBumpTheVersionOfEveryRow) {
  DUO_ASSERT_OK_AND_ASSIGN(Account a, Account::Create({.owner = "a", .balance = 1}));
  DUO_ASSERT_OK_AND_ASSIGN(Account b, Account::Create({.owner = "b", .balance = 2}));
  DUO_ASSERT_OK_AND_ASSIGN(int64_t rows,
                           Account::Where(duo::col(&Account::balance) > 0)
                               .UpdateBulk({{"balance", duo::col(&Account::balance) + 10}}));
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(Row(a.id), "11|2");
  EXPECT_EQ(Row(b.id), "12|2");
  DUO_ASSERT_OK_AND_ASSIGN(
      rows, Account::FilterBy({{"owner", "a"}})
                .UpdateBulk({{"balance", 5}}, {.with_hooks = true, .batch_size = 1}));
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(Row(a.id), "5|3");
  EXPECT_EQ(after_updates.load(), 1);
  // Copies loaded before are stale now.
  a.balance = 100;
  EXPECT_TRUE(duo::IsStale(a.Save()));
  // A payload that sets the version itself is taken as it is.
  DUO_ASSERT_OK(Account::FilterBy({{"owner", "b"}}).UpdateBulk({{"version", 40}}).status());
  EXPECT_EQ(Row(b.id), "12|40");
}

TEST_P(VersionTest, InsideATransactionTheIdentityMapsSaveChecksTheVersion) {
  DUO_ASSERT_OK_AND_ASSIGN(Account created, Account::Create({.owner = "ada", .balance = 10}));
  DUO_ASSERT_OK(db_->Transaction([&](duo::Session&) -> absl::Status {
    DUO_ASSIGN_OR_RETURN(std::optional<Account> loaded, Account::Get(created.id));
    loaded->balance = 15;
    DUO_RETURN_IF_ERROR(loaded->Save());  // UPDATE ... SET balance, updated_at, version
    if (loaded->version != 2) return absl::InternalError("not bumped");
    DUO_ASSIGN_OR_RETURN(std::optional<Account> again, Account::Get(created.id));  // the map's
    if (again->version != 2) return absl::InternalError("the map holds an old version");
    again->balance = 16;
    return again->Save();
  }));
  EXPECT_EQ(Row(created.id), "16|3");

  // A stale save inside a transaction fails the call; the caller decides.
  Account stale = created;  // version 1
  stale.balance = 0;
  absl::Status in_transaction =
      db_->Transaction([&](duo::Session&) -> absl::Status { return stale.Save(); });
  EXPECT_TRUE(duo::IsStale(in_transaction)) << in_transaction;
  EXPECT_EQ(Row(created.id), "16|3");
}

// Writers on threads, each with a copy of the same row at the same
// version: in every round exactly one save wins, the others are stale, and
// the row holds the winner's value.
TEST_P(VersionTest, ConcurrentSavesFromThreadsExactlyOneWinsPerRound) {
  DUO_ASSERT_OK_AND_ASSIGN(Account created, Account::Create({.owner = "shared"}));
  constexpr int kThreads = 4;
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    std::vector<Account> copies;
    for (int t = 0; t < kThreads; ++t) {
      DUO_ASSERT_OK_AND_ASSIGN(std::optional<Account> copy, Account::Get(created.id));
      copy->balance = 1000 * (round + 1) + t;
      copies.push_back(*copy);
    }
    std::vector<absl::Status> results(kThreads);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ++ready;
        while (ready < kThreads) std::this_thread::yield();
        results[t] = copies[t].Save();
      });
    }
    for (std::thread& thread : threads) thread.join();
    int won = -1;
    for (int t = 0; t < kThreads; ++t) {
      if (results[t].ok()) {
        EXPECT_EQ(won, -1) << "two writers won";
        won = t;
        EXPECT_EQ(copies[t].version, round + 2);
      } else {
        EXPECT_TRUE(duo::IsStale(results[t])) << results[t];
        EXPECT_EQ(copies[t].version, round + 1);
      }
    }
    ASSERT_GE(won, 0) << "no writer won";
    EXPECT_EQ(Row(created.id), absl::StrCat(1000 * (round + 1) + won, "|", round + 2));
  }
}

// A version column added to a table that already has rows takes a
// server default for them; the ORM still writes 1 on insert.
struct Ticket : duo::Model<Ticket> {
  int64_t id = 0;
  std::string title;
  int64_t version = 0;

  static duo::Schema<Ticket> Table() {
    return duo::Schema<Ticket>("tickets")
        .Column(&Ticket::id, "id", duo::PrimaryKey())
        .Column(&Ticket::title, "title")
        .Column(&Ticket::version, "version", duo::Version(),
                duo::ServerDefault(duo::sql::Param(int64_t{1})));
  }
};

class VersionDefaultTest : public duo::query_testing::ModelTableTest<Ticket> {};

TEST_P(VersionDefaultTest, AServerDefaultGivesOtherClientsRowsAVersion) {
  DUO_ASSERT_OK(
      db_->Execute(duo::sql::Text("INSERT INTO tickets (title) VALUES ('raw')")).status());
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Ticket> raw, Ticket::FilterBy({{"title", "raw"}}).First());
  EXPECT_EQ(raw->version, 1);
  raw->title = "edited";
  DUO_ASSERT_OK(raw->Save());
  EXPECT_EQ(raw->version, 2);
  DUO_ASSERT_OK_AND_ASSIGN(Ticket created, Ticket::Create({.title = "orm"}));
  EXPECT_EQ(created.version, 1);
}

DUO_INSTANTIATE_BACKEND_TEST(VersionTest);
DUO_INSTANTIATE_BACKEND_TEST(VersionDefaultTest);

TEST(VersionDeclarationTest, TheVersionColumnIsAnOrdinaryColumnForTheSchema) {
  const duo::ModelMeta& meta = duo::MetaOf<Account>();
  DUO_ASSERT_OK(meta.declaration_status());
  ASSERT_EQ(meta.version_column(), 3);
  const duo::sql::ColumnDef* column = meta.table_def().FindColumn("version");
  ASSERT_NE(column, nullptr);
  EXPECT_EQ(column->type.kind, duo::sql::SqlType::Kind::kInteger);
  EXPECT_FALSE(column->nullable);
  EXPECT_TRUE(column->server_default.empty());
}

struct TwoVersions : duo::Model<TwoVersions> {
  int64_t id = 0;
  int64_t a = 0;
  std::optional<int64_t> b;
  static duo::Schema<TwoVersions> Table() {
    return duo::Schema<TwoVersions>("two_versions")
        .Column(&TwoVersions::id, "id", duo::PrimaryKey())
        .Column(&TwoVersions::a, "a", duo::Version())
        .Column(&TwoVersions::b, "b", duo::Version());
  }
};

struct TextVersion : duo::Model<TextVersion> {
  int64_t id = 0;
  std::string v;
  static duo::Schema<TextVersion> Table() {
    return duo::Schema<TextVersion>("text_version")
        .Column(&TextVersion::id, "id", duo::PrimaryKey())
        .Column(&TextVersion::v, "v", duo::Version());
  }
};

TEST(VersionDeclarationTest, MisdeclaredVersionsAreRefused) {
  const absl::Status two = duo::MetaOf<TwoVersions>().declaration_status();
  EXPECT_EQ(two.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(two.message(), HasSubstr("one version column"));
  const absl::Status text = duo::MetaOf<TextVersion>().declaration_status();
  EXPECT_EQ(text.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(text.message(), HasSubstr("integer"));
}

}  // namespace
}  // namespace versioned
