// Read replicas against a real streaming replica of the throwaway server
// (testing/database.h): which statements reach the replica, which the
// primary, and what happens when a replica is down.
//
// A read proves where it ran with pg_is_in_recovery(), true only on a
// standby; the ORM reads a view that returns it.

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "duo/async/sync_wait.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "duo/sql/statement.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace duo {
namespace {

using ::duo::sql::Select;
using ::duo::sql::Table;
using ::duo::sql::Text;

inline Models replica_models("replica_test");

// One row per table: where the read ran.
struct Probe : Model<Probe> {
  int64_t id = 0;
  bool in_recovery = false;

  static Schema<Probe> Table() {
    return Schema<Probe>("probes", replica_models)
        .Column(&Probe::id, "id", PrimaryKey())
        .Column(&Probe::in_recovery, "in_recovery");
  }
};

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::TestDatabase>> database =
        testing::TestDatabase::NewPostgres();
    if (absl::IsUnavailable(database.status()) && !testing::PostgresMustRun()) {
      GTEST_SKIP() << database.status();
    }
    DUO_ASSERT_OK(database.status());
    database_ = *std::move(database);
    absl::StatusOr<std::string> replica_url = database_->ReplicaUrl();
    if (absl::IsUnavailable(replica_url.status()) && !testing::PostgresMustRun()) {
      GTEST_SKIP() << replica_url.status();
    }
    DUO_ASSERT_OK(replica_url.status());
    replica_url_ = *replica_url;
    DUO_ASSERT_OK_AND_ASSIGN(Database primary, Database::Open(database_->url()));
    DUO_ASSERT_OK_AND_ASSIGN(Session setup, primary.StandaloneSession());
    DUO_ASSERT_OK(setup.ExecuteScript(
        "CREATE TABLE accounts (id BIGINT PRIMARY KEY, owner TEXT NOT NULL);"
        "CREATE VIEW probes AS SELECT 1::bigint AS id, pg_is_in_recovery() AS in_recovery"));
    DUO_ASSERT_OK(database_->WaitForReplica());
  }

  absl::StatusOr<Database> OpenRouted(std::vector<std::string> replicas) {
    DatabaseOptions options;
    options.replica_urls = std::move(replicas);
    return Database::Open(database_->url(), options);
  }

  // Where `db` runs `statement`: true on the replica.
  static absl::StatusOr<bool> InRecovery(const Database& db, const sql::Statement& statement) {
    absl::StatusOr<Result> result = db.Execute(statement);
    if (!result.ok()) return result.status();
    return result->Get<bool>(0, 0);
  }

  std::unique_ptr<testing::TestDatabase> database_;
  std::string replica_url_;
  const Select in_recovery_ = Select({Text("pg_is_in_recovery()")});
};

TEST_F(ReplicaTest, ReadsOutsideTransactionsGoToTheReplica) {
  DUO_ASSERT_OK_AND_ASSIGN(Database db, OpenRouted({replica_url_}));
  EXPECT_TRUE(db.has_replicas());
  DUO_ASSERT_OK_AND_ASSIGN(bool on_replica, InRecovery(db, in_recovery_));
  EXPECT_TRUE(on_replica);
  DUO_ASSERT_OK_AND_ASSIGN(bool on_primary, InRecovery(db.OnPrimary(), in_recovery_));
  EXPECT_FALSE(on_primary);
  // Raw text is not vouched for by the IR: primary, unless asked.
  DUO_ASSERT_OK_AND_ASSIGN(bool text, InRecovery(db, Text("SELECT pg_is_in_recovery()")));
  EXPECT_FALSE(text);
  DUO_ASSERT_OK_AND_ASSIGN(bool text_on_replica,
                           InRecovery(db.OnReplica(), Text("SELECT pg_is_in_recovery()")));
  EXPECT_TRUE(text_on_replica);
  // A locking read needs the primary.
  const Table accounts("accounts");
  DUO_ASSERT_OK(db.Execute(Select({accounts.C("id")}).From(accounts).ForUpdate()).status());

  DUO_ASSERT_OK(db.Transaction([&](Session& session) -> absl::Status {
    absl::StatusOr<bool> in_transaction = InRecovery(db, in_recovery_);
    EXPECT_TRUE(in_transaction.ok()) << in_transaction.status();
    EXPECT_FALSE(in_transaction.value_or(true));
    absl::StatusOr<Result> direct = session.Execute(in_recovery_);
    EXPECT_TRUE(direct.ok() && !*direct->Get<bool>(0, 0));
    return absl::OkStatus();
  }));
  DUO_ASSERT_OK_AND_ASSIGN(Session standalone, db.StandaloneSession());
  DUO_ASSERT_OK_AND_ASSIGN(Result result, standalone.Execute(in_recovery_));
  EXPECT_FALSE(*result.Get<bool>(0, 0));
}

TEST_F(ReplicaTest, WritesGoToThePrimaryAndReplicate) {
  DUO_ASSERT_OK_AND_ASSIGN(Database db, OpenRouted({replica_url_}));
  const Table accounts("accounts");
  DUO_ASSERT_OK(db.Execute(sql::Insert(accounts).Columns({"id", "owner"}).Row(1, "ada")).status());
  DUO_ASSERT_OK(
      db.Execute(sql::Update(accounts).Set("owner", "bob").Where(accounts.C("id") == 1)).status());
  // Read-your-writes: on the primary at once.
  DUO_ASSERT_OK_AND_ASSIGN(Result mine,
                           db.OnPrimary().Execute(Select({accounts.C("owner")}).From(accounts)));
  EXPECT_EQ(*mine.Get<std::string>(0, 0), "bob");
  // On the replica once it has replayed the write.
  DUO_ASSERT_OK(database_->WaitForReplica());
  DUO_ASSERT_OK_AND_ASSIGN(
      Result replicated,
      db.Execute(Select({accounts.C("owner"), Text("pg_is_in_recovery()")}).From(accounts)));
  ASSERT_EQ(replicated.size(), 1u);
  EXPECT_EQ(*replicated.Get<std::string>(0, 0), "bob");
  EXPECT_TRUE(*replicated.Get<bool>(0, 1));

  // The replica itself refuses writes: the routing is what makes them work.
  DUO_ASSERT_OK_AND_ASSIGN(Database replica, Database::Open(replica_url_));
  absl::Status refused =
      replica.Execute(sql::Insert(accounts).Columns({"id", "owner"}).Row(2, "cy")).status();
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("read-only"), std::string::npos) << refused;
  // Sent to a replica on purpose, a write is refused there and runs on the
  // primary.
  DUO_ASSERT_OK(db.OnReplica().Execute(Text("INSERT INTO accounts VALUES (3, 'dee')")).status());
  DUO_ASSERT_OK_AND_ASSIGN(Result count,
                           db.OnPrimary().Execute(Text("SELECT count(*) FROM accounts")));
  EXPECT_EQ(*count.Get<int64_t>(0, 0), 2);
}

TEST_F(ReplicaTest, DeadReplicaIsSkipped) {
  // A socket directory no server listens in.
  const std::string dead_directory = absl::StrCat(
      ::testing::TempDir(), "/dead-replica-", ::testing::UnitTest::GetInstance()->random_seed());
  std::filesystem::create_directories(dead_directory);
  const std::string dead_url =
      absl::StrCat("postgresql://duo@/", database_->postgres_database(), "?host=", dead_directory);
  {
    DUO_ASSERT_OK_AND_ASSIGN(Database db, OpenRouted({dead_url, replica_url_}));
    for (int i = 0; i < 6; ++i) {
      DUO_ASSERT_OK_AND_ASSIGN(bool on_replica, InRecovery(db, in_recovery_));
      EXPECT_TRUE(on_replica) << "read " << i;
    }
  }
  {
    // No replica left: the primary serves.
    DUO_ASSERT_OK_AND_ASSIGN(Database db, OpenRouted({dead_url}));
    for (int i = 0; i < 3; ++i) {
      DUO_ASSERT_OK_AND_ASSIGN(bool on_replica, InRecovery(db, in_recovery_));
      EXPECT_FALSE(on_replica) << "read " << i;
    }
  }
}

TEST_F(ReplicaTest, ModelReadsGoToTheReplicaOutsideTransactions) {
  DUO_ASSERT_OK_AND_ASSIGN(Database db, OpenRouted({replica_url_}));
  replica_models.Bind(db);
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Probe> all, Probe::All());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].in_recovery);
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Probe> got, Probe::Get(int64_t{1}));
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->in_recovery);
  // Twice: the second Get takes the ORM's cached SQL.
  DUO_ASSERT_OK_AND_ASSIGN(got, Probe::Get(int64_t{1}));
  EXPECT_TRUE(got.has_value() && got->in_recovery);

  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Probe> primary, Query<Probe>(db.OnPrimary()).All());
  ASSERT_EQ(primary.size(), 1u);
  EXPECT_FALSE(primary[0].in_recovery);
  DUO_ASSERT_OK_AND_ASSIGN(got, Query<Probe>().Using(db.OnPrimary()).Get(int64_t{1}));
  EXPECT_TRUE(got.has_value() && !got->in_recovery);

  DUO_ASSERT_OK(db.Transaction([&](Session&) -> absl::Status {
    absl::StatusOr<std::vector<Probe>> inside = Probe::All();
    EXPECT_TRUE(inside.ok() && inside->size() == 1 && !(*inside)[0].in_recovery);
    absl::StatusOr<std::optional<Probe>> one = Probe::Get(int64_t{1});
    EXPECT_TRUE(one.ok() && one->has_value() && !(**one).in_recovery);
    return absl::OkStatus();
  }));
}

TEST_F(ReplicaTest, AsyncReadsAreRoutedLikeSyncOnes) {
  DUO_ASSERT_OK_AND_ASSIGN(Database db, OpenRouted({replica_url_}));
  DUO_ASSERT_OK_AND_ASSIGN(Result on_replica, SyncWait(db.ExecuteAsync(in_recovery_)));
  EXPECT_TRUE(*on_replica.Get<bool>(0, 0));
  DUO_ASSERT_OK_AND_ASSIGN(Result on_primary, SyncWait(db.OnPrimary().ExecuteAsync(in_recovery_)));
  EXPECT_FALSE(*on_primary.Get<bool>(0, 0));
  bool seen = false;
  DUO_ASSERT_OK(SyncWait(
      db.ReadAsync(sql::Statement(in_recovery_), [&seen](engine::Cursor& cursor) -> absl::Status {
        absl::StatusOr<bool> row = cursor.Next();
        if (!row.ok()) return row.status();
        absl::StatusOr<bool> value = cursor.GetBool(0);
        if (!value.ok()) return value.status();
        seen = *row && *value;
        return absl::OkStatus();
      })));
  EXPECT_TRUE(seen);
  // A write sent to the replica on purpose runs again on the primary.
  const Table accounts("accounts");
  DUO_ASSERT_OK(
      SyncWait(db.OnReplica().ExecuteAsync(Text("INSERT INTO accounts VALUES (5, 'eve')")))
          .status());
  replica_models.Bind(db);
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Probe> all, SyncWait(Probe::AllAsync()));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].in_recovery);
  DUO_ASSERT_OK(SyncWait(db.TransactionAsync([](Session&) -> Task<absl::Status> {
    absl::StatusOr<std::vector<Probe>> inside = co_await Probe::AllAsync();
    EXPECT_TRUE(inside.ok() && inside->size() == 1 && !(*inside)[0].in_recovery);
    co_return absl::OkStatus();
  })));
}

TEST_F(ReplicaTest, SingleDatabaseHasNoReplicas) {
  DUO_ASSERT_OK_AND_ASSIGN(Database db, Database::Open(database_->url()));
  EXPECT_FALSE(db.has_replicas());
  DUO_ASSERT_OK_AND_ASSIGN(bool on_replica, InRecovery(db, in_recovery_));
  EXPECT_FALSE(on_replica);
  DUO_ASSERT_OK_AND_ASSIGN(on_replica, InRecovery(db.OnReplica(), in_recovery_));
  EXPECT_FALSE(on_replica);
}

TEST_F(ReplicaTest, ReplicaOfAnotherKindIsRefused) {
  DatabaseOptions options;
  options.replica_urls = {"sqlite:///:memory:"};
  EXPECT_EQ(Database::Open(database_->url(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.replica_urls = {"mysql://nowhere/db"};
  EXPECT_EQ(Database::Open(database_->url(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace duo
