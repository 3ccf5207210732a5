// duo-migrate on MariaDB, end to end: the schema the models create diffs
// to nothing, a revision cycle through the CLI changes what the server
// says it should (read back with SHOW CREATE TABLE and information_schema,
// not with duo-migrate's introspection), a revision that fails or is
// killed part way is reported exactly and resumed only when asked, the
// run's lock, the scratch database, the --sql script.
//
// The shared suites (migrate_test, concurrent_test) run on MariaDB too;
// this one covers what is MySQL's own: DDL that commits as it runs, and
// models without the partial index the shared library models declare
// (MySQL has none).

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "duo/base/status_macros.h"
#include "duo/engine/url.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/session/database.h"
#include "duo/sql/functions.h"
#include "duo/sql/text.h"
#include "duo/sql/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrate/autogenerate.h"
#include "migrate/cli.h"
#include "migrate/revision.h"
#include "migrate/runner.h"
#include "testing/database.h"
#include "testing/status.h"

namespace shop {
enum class Tier { kFree, kPro, kIt };
}  // namespace shop

template <>
struct duo::sql::EnumTraits<shop::Tier> {
  static constexpr EnumStorage kStorage = EnumStorage::kNative;
  static constexpr std::string_view kTypeName = "tier";
  static constexpr std::pair<shop::Tier, std::string_view> kNames[] = {
      {shop::Tier::kFree, "free"}, {shop::Tier::kPro, "pro"}, {shop::Tier::kIt, "it's"}};
};

namespace shop {

inline duo::Models v1_models("shop_v1");
inline duo::Models v2_models("shop_v2");

// Version V (1 or 2) of each table; the members both versions declare.
template <int V>
struct Customer {
  int64_t id = 0;
  std::string email;
  std::optional<std::string> name;
  bool active = true;
  absl::Time created_at;
  std::optional<std::string> profile;
  Tier tier{};
  std::optional<std::string> phone;  // v2
  static duo::Schema<Customer> Table();
};

template <int V>
struct Order {
  int64_t id = 0;
  int64_t customer_id = 0;
  std::optional<int64_t> referrer_id;  // v2: a foreign key
  duo::sql::Decimal total;
  std::optional<std::string> note;  // v1 only
  std::string status;
  static duo::Schema<Order> Table();
};

template <int V>
struct Line {
  int64_t order_id = 0;
  int32_t line = 0;
  std::string sku;
  int64_t quantity = 0;  // INT in v1, BIGINT in v2
  static duo::Schema<Line> Table();
};

duo::Models& ModelsOf(int version) { return version == 1 ? v1_models : v2_models; }

template <int V>
duo::Schema<Customer<V>> Customer<V>::Table() {
  using T = Customer<V>;
  duo::Schema<T> schema("customers", ModelsOf(V));
  schema.Column(&T::id, "id", duo::PrimaryKey())
      .Column(&T::email, "email", duo::Length(V == 2 ? 200 : 120), duo::Unique())
      .Column(&T::name, "name")
      .Column(&T::active, "active", duo::ServerDefault(duo::sql::Param(true)))
      .Column(&T::created_at, "created_at", duo::ServerDefault(duo::sql::CurrentTimestamp()))
      .Column(&T::profile, "profile", duo::Type(duo::sql::SqlType::Json()))
      .Column(&T::tier, "tier");
  if (V == 2) schema.Column(&T::phone, "phone", duo::Length(30));
  return schema;
}

template <int V>
duo::Schema<Order<V>> Order<V>::Table() {
  using T = Order<V>;
  duo::Schema<T> schema("orders", ModelsOf(V));
  schema.Column(&T::id, "id", duo::PrimaryKey())
      .Column(&T::customer_id, "customer_id",
              duo::ForeignKey("customers.id", {.on_delete = duo::kCascade}), duo::Index());
  if (V == 2) {
    schema.Column(&T::referrer_id, "referrer_id",
                  duo::ForeignKey("customers.id", {.on_delete = duo::kSetNull}));
  }
  schema.Column(&T::total, "total", duo::Precision(10, 2));
  if (V == 1) schema.Column(&T::note, "note");
  schema.Column(&T::status, "status", duo::Length(20),
                duo::ServerDefault(duo::sql::Param(V == 2 ? "pending" : "new")));
  if (V == 2) schema.Index("orders_customer_status_idx", {"customer_id", "status"});
  schema.Check("orders_total_nonnegative", schema.Ref(&T::total) >= duo::sql::Decimal());
  return schema;
}

template <int V>
duo::Schema<Line<V>> Line<V>::Table() {
  using T = Line<V>;
  duo::Schema<T> schema("order_lines", ModelsOf(V));
  schema
      .Column(&T::order_id, "order_id", duo::ForeignKey("orders.id", {.on_delete = duo::kCascade}))
      .Column(&T::line, "line")
      .Column(&T::sku, "sku", duo::Length(40))
      .Column(&T::quantity, "quantity",
              duo::Type(V == 2 ? duo::sql::SqlType::BigInt() : duo::sql::SqlType::Integer()))
      .PrimaryKey({"order_id", "line"})
      .Index("order_lines_sku_idx", {"sku"});
  return schema;
}

namespace v1 {
using Customer = shop::Customer<1>;
using Order = shop::Order<1>;
using Line = shop::Line<1>;
DUO_REGISTER_MODEL(Customer);
DUO_REGISTER_MODEL(Order);
DUO_REGISTER_MODEL(Line);
}  // namespace v1

namespace v2 {
using Customer = shop::Customer<2>;
using Order = shop::Order<2>;
using Line = shop::Line<2>;
DUO_REGISTER_MODEL(Customer);
DUO_REGISTER_MODEL(Order);
DUO_REGISTER_MODEL(Line);
}  // namespace v2

}  // namespace shop

namespace duo::migrate {
namespace {

// A model whose table the server refuses to create.
struct Broken {
  int64_t id = 0;
  static Schema<Broken> Table() {
    return Schema<Broken>("broken").Column(&Broken::id, "id", duo::PrimaryKey(),
                                           duo::Type(sql::SqlType::Custom("NO_SUCH_TYPE")));
  }
};

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class MysqlMigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::TestDatabase>> database =
        testing::TestDatabase::NewMariadb();
    if (!database.ok()) {
      if (database.status().code() == absl::StatusCode::kUnavailable &&
          std::getenv("DUO_REQUIRE_MARIADB") == nullptr && std::getenv("CI") == nullptr &&
          std::getenv("DUO_REQUIRE_POSTGRES") == nullptr) {
        GTEST_SKIP() << database.status();
      }
      FAIL() << database.status();
    }
    database_ = std::move(*database);
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("mysql_migrations_", reinterpret_cast<uintptr_t>(this));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    DUO_ASSERT_OK_AND_ASSIGN(Database db, Database::Open(database_->url()));
    db_.emplace(std::move(db));
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    db_.reset();
    database_.reset();
  }

  const std::string& url() const { return database_->url(); }

  int Cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--url", url(), "--dir", dir_.string()});
    std::ostringstream out, err;
    const int code = RunCli(args, out, err);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  absl::Status Exec(const std::string& sql) {
    DUO_ASSIGN_OR_RETURN(Session session, db_->StandaloneSession());
    return session.ExecuteScript(sql);
  }

  // The first column of the first row, as text ("" when there is no row
  // or it is NULL).
  std::string Text(const std::string& sql) {
    absl::StatusOr<Result> result = db_->Execute(sql::Text(sql));
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status();
    if (!result.ok() || result->size() == 0) return "";
    return result->Get<std::optional<std::string>>(0, 0).value_or(std::nullopt).value_or("");
  }
  int64_t Count(const std::string& sql) {
    absl::StatusOr<Result> result = db_->Execute(sql::Text(sql));
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status();
    return result.ok() ? result->Scalar<int64_t>().value_or(-1) : -1;
  }
  // What the server says the table is.
  std::string ShowCreate(const std::string& table) {
    absl::StatusOr<Result> result =
        db_->Execute(sql::Text(absl::StrCat("SHOW CREATE TABLE `", table, "`")));
    EXPECT_TRUE(result.ok()) << table << ": " << result.status();
    if (!result.ok() || result->size() != 1) return "";
    // Quoted with backticks whatever the session's sql_mode (the driver's
    // has ANSI_QUOTES).
    return absl::StrReplaceAll(result->Get<std::string>(0, 1).value_or(""), {{"\"", "`"}});
  }
  // A column's definition as information_schema has it:
  // "type|nullable|default".
  std::string Column(const std::string& table, const std::string& column) {
    return Text(absl::StrCat(
        "SELECT CONCAT(COLUMN_TYPE, '|', IS_NULLABLE, '|', COALESCE(COLUMN_DEFAULT, '-')) "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '",
        table, "' AND COLUMN_NAME = '", column, "'"));
  }
  int64_t Tables() {
    return Count(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME NOT LIKE 'duo\\_migrations%'");
  }
  int64_t ScratchDatabases() {
    return Count(
        "SELECT COUNT(*) FROM information_schema.SCHEMATA "
        "WHERE SCHEMA_NAME LIKE 'duo\\_migrate\\_scratch\\_%'");
  }

  Revision NewRevision(const std::string& id, const std::string& parent,
                       std::vector<std::string> up, std::vector<std::string> down) {
    Revision revision{.id = id,
                      .parent = parent,
                      .message = absl::StrCat("revision ", id),
                      .dialect = std::string(db_->dialect().name())};
    revision.up = std::move(up);
    revision.down = std::move(down);
    return revision;
  }

  std::unique_ptr<testing::TestDatabase> database_;
  std::optional<Database> db_;
  std::filesystem::path dir_;
  std::string out_, err_;
};

TEST_F(MysqlMigrateTest, SchemaCreatedFromModelsDiffsToNothing) {
  DUO_ASSERT_OK(Models::CreateTables(*db_, shop::v1_models.models()));
  DUO_ASSERT_OK_AND_ASSIGN(Autogenerated generated, Autogenerate(*db_, shop::v1_models.models()));
  EXPECT_THAT(generated.diff.Describe(db_->dialect()), IsEmpty());
  EXPECT_TRUE(generated.plan.empty());
  EXPECT_EQ(ScratchDatabases(), 0);

  // What introspection read is what the server has.
  const sql::TableDef* customers = generated.live.FindTable("customers");
  ASSERT_NE(customers, nullptr);
  EXPECT_EQ(customers->PrimaryKeyColumns(), std::vector<std::string>{"id"});
  EXPECT_TRUE(customers->FindColumn("id")->autoincrement);
  EXPECT_EQ(customers->FindColumn("email")->type, sql::SqlType::Varchar(120));
  EXPECT_EQ(customers->FindColumn("active")->type, sql::SqlType::Boolean());
  EXPECT_EQ(customers->FindColumn("created_at")->type, sql::SqlType::Timestamp());
  EXPECT_EQ(customers->FindColumn("profile")->type, sql::SqlType::Json());
  EXPECT_EQ(customers->FindColumn("tier")->type.labels,
            (std::vector<std::string>{"free", "pro", "it's"}));
  EXPECT_TRUE(customers->checks.empty());  // JSON's json_valid() is the type's
  ASSERT_EQ(customers->uniques.size(), 1u);
  EXPECT_EQ(customers->uniques[0].columns, std::vector<std::string>{"email"});
  const sql::TableDef* orders = generated.live.FindTable("orders");
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->FindColumn("total")->type, sql::SqlType::Numeric(10, 2));
  ASSERT_EQ(orders->foreign_keys.size(), 1u);
  EXPECT_EQ(orders->foreign_keys[0].on_delete, sql::ReferentialAction::kCascade);
  ASSERT_EQ(orders->checks.size(), 1u);
  EXPECT_EQ(orders->checks[0].name, "orders_total_nonnegative");
  EXPECT_FALSE(orders->FindColumn("status")->server_default.empty());
  const sql::TableDef* lines = generated.live.FindTable("order_lines");
  ASSERT_NE(lines, nullptr);
  EXPECT_EQ(lines->PrimaryKeyColumns(), (std::vector<std::string>{"order_id", "line"}));
  ASSERT_EQ(lines->indexes.size(), 1u);  // not the one InnoDB keeps for order_id
  EXPECT_EQ(lines->indexes[0].name, "order_lines_sku_idx");
  // The server's own word on the same tables.
  EXPECT_THAT(ShowCreate("customers"), HasSubstr("`tier` enum('free','pro','it''s')"));
  EXPECT_THAT(ShowCreate("orders"), HasSubstr("ON DELETE CASCADE"));
  EXPECT_THAT(ShowCreate("orders"), HasSubstr("CONSTRAINT `orders_total_nonnegative` CHECK"));
}

TEST_F(MysqlMigrateTest, FullCycleThroughTheCli) {
  ASSERT_EQ(Cli({"check", "--group", "shop_v1"}), kExitDifferences) << out_ << err_;
  ASSERT_EQ(Cli({"create", "shop", "--group", "shop_v1"}), kExitOk) << err_;
  ASSERT_EQ(Cli({"upgrade"}), kExitOk) << err_;
  ASSERT_EQ(Cli({"check", "--group", "shop_v1"}), kExitOk) << out_ << err_;
  EXPECT_THAT(ShowCreate("order_lines"), HasSubstr("PRIMARY KEY (`order_id`,`line`)"));
  EXPECT_EQ(Column("customers", "email"), "varchar(120)|NO|-");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations_progress"), 0);

  DUO_ASSERT_OK(
      Exec("INSERT INTO customers (email, name, tier) VALUES ('a@x', 'Ann', 'pro'), ('b@x', NULL, "
           "'it''s')"));
  DUO_ASSERT_OK(Exec("INSERT INTO orders (customer_id, total, note) VALUES (1, 12.50, 'gift')"));
  DUO_ASSERT_OK(
      Exec("INSERT INTO order_lines (order_id, line, sku, quantity) VALUES (1, 1, 'A', 3)"));

  // v2 drops orders.note: refused without the flag.
  EXPECT_EQ(Cli({"create", "v2", "--group", "shop_v2"}), kExitRefused);
  EXPECT_THAT(err_, HasSubstr("drop column `orders`.`note`"));
  ASSERT_EQ(Cli({"create", "v2", "--group", "shop_v2", "--allow-destructive"}), kExitOk) << err_;
  EXPECT_THAT(out_, HasSubstr("add foreign key \"orders\" (\"referrer_id\")"));

  // The script: the run's lock around revisions, no transaction that DDL
  // would commit anyway, MySQL's quoting.
  ASSERT_EQ(Cli({"upgrade", "--sql", "--allow-destructive"}), kExitOk) << err_;
  EXPECT_THAT(out_, HasSubstr("SELECT GET_LOCK(CONCAT('duo-migrate:', SHA1(DATABASE()))"));
  EXPECT_THAT(out_, HasSubstr("SELECT RELEASE_LOCK("));
  EXPECT_THAT(out_, HasSubstr("INSERT INTO `duo_migrations`"));
  EXPECT_THAT(out_, HasSubstr("ALTER TABLE `orders` DROP COLUMN `note`"));
  EXPECT_THAT(out_,
              HasSubstr("ALTER TABLE `order_lines` MODIFY COLUMN `quantity` BIGINT NOT NULL"));
  EXPECT_THAT(out_, Not(HasSubstr("START TRANSACTION")));
  ASSERT_EQ(Cli({"check", "--group", "shop_v2"}), kExitDifferences);

  ASSERT_EQ(Cli({"upgrade", "--allow-destructive"}), kExitOk) << err_;
  ASSERT_EQ(Cli({"check", "--group", "shop_v2"}), kExitOk) << out_ << err_;
  // The server's word on each change.
  EXPECT_EQ(Column("customers", "email"), "varchar(200)|NO|-");
  EXPECT_EQ(Column("customers", "phone"), "varchar(30)|YES|NULL");
  EXPECT_EQ(Column("orders", "status"), "varchar(20)|NO|'pending'");
  EXPECT_EQ(Column("order_lines", "quantity"), "bigint(20)|NO|-");
  EXPECT_EQ(Column("orders", "note"), "");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
                  "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' "
                  "AND REFERENCED_TABLE_NAME = 'customers' AND DELETE_RULE = 'SET NULL'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM information_schema.STATISTICS "
                  "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' "
                  "AND INDEX_NAME = 'orders_customer_status_idx'"),
            2);
  // Rows kept, foreign keys enforced.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_lines WHERE quantity = 3"), 1);
  EXPECT_EQ(Text("SELECT status FROM orders WHERE id = 1"), "new");
  EXPECT_FALSE(Exec("INSERT INTO orders (customer_id, referrer_id, total) VALUES (1, 99, 1)").ok());
  DUO_ASSERT_OK(Exec("INSERT INTO orders (customer_id, referrer_id, total) VALUES (1, 2, 1)"));
  DUO_ASSERT_OK(Exec("DELETE FROM customers WHERE id = 2"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders WHERE referrer_id IS NULL"), 2);
  DUO_ASSERT_OK(Exec("DELETE FROM orders WHERE id = 2"));

  // Down one step: exactly v1 again, rows included; the index InnoDB made
  // for referrer_id went with its foreign key.
  ASSERT_EQ(Cli({"downgrade", "--allow-destructive"}), kExitOk) << err_;
  DUO_ASSERT_OK_AND_ASSIGN(Autogenerated back, Autogenerate(*db_, shop::v1_models.models()));
  EXPECT_THAT(back.diff.Describe(db_->dialect()), IsEmpty());
  EXPECT_EQ(Column("customers", "email"), "varchar(120)|NO|-");
  EXPECT_EQ(Column("order_lines", "quantity"), "int(11)|NO|-");
  EXPECT_EQ(Column("orders", "referrer_id"), "");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                  "DATABASE() AND TABLE_NAME = 'orders' AND COLUMN_NAME = 'referrer_id'"),
            0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_lines"), 1);

  ASSERT_EQ(Cli({"downgrade", "base", "--allow-destructive"}), kExitOk) << err_;
  EXPECT_EQ(Tables(), 0);
  ASSERT_EQ(Cli({"current"}), kExitOk);
  EXPECT_EQ(out_, "base\n");
  EXPECT_EQ(ScratchDatabases(), 0);
}

// The --sql script, run by the mariadb client (whose session starts with
// the server's default sql_mode, without ANSI_QUOTES), does what `upgrade`
// does: the schema the models declare (its CHECK a real comparison, not
// of a string), a revision written by hand the standard way ("name"), the
// version rows stamped with the time they ran, in UTC.
TEST_F(MysqlMigrateTest, ScriptRunsInTheMariadbClient) {
  ASSERT_EQ(Cli({"create", "shop", "--group", "shop_v1"}), kExitOk) << err_;
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Revision> created,
                           Migrator(*db_, dir_.string()).Revisions());
  ASSERT_EQ(created.size(), 1u);
  DUO_ASSERT_OK(WriteRevisionFile(
                    dir_.string(),
                    NewRevision("abcdef012345", created[0].id,
                                {"ALTER TABLE \"customers\" ADD COLUMN \"nickname\" VARCHAR(20)",
                                 "INSERT INTO \"customers\" (\"email\", \"tier\", \"nickname\") "
                                 "VALUES ('h@x', 'free', 'a' || 'b')"},
                                {"DELETE FROM \"customers\" WHERE \"email\" = 'h@x'",
                                 "ALTER TABLE \"customers\" DROP COLUMN \"nickname\""}))
                    .status());
  ASSERT_EQ(Cli({"upgrade", "--sql"}), kExitOk) << err_;
  // The revision's SQL reads the same whatever the client's sql_mode: the
  // CHECK the server prints with "total" (the driver's ANSI_QUOTES) is
  // written with `total`, which no sql_mode reads as a string.
  EXPECT_THAT(out_, HasSubstr("CHECK (`total` >= 0)"));
  EXPECT_THAT(out_, Not(HasSubstr("\"total\"")));
  // An action left unsaid stays unsaid (MariaDB reports it as RESTRICT).
  EXPECT_THAT(out_, Not(HasSubstr("ON UPDATE RESTRICT")));
  const std::string script = dir_.string() + "_upgrade.sql";
  std::ofstream(script) << out_;
  DUO_ASSERT_OK_AND_ASSIGN(engine::DatabaseUrl parsed, engine::DatabaseUrl::Parse(url()));
  const std::string command = absl::StrCat(
      "mariadb --no-defaults --socket='", parsed.Option("unix_socket").value_or(""), "' -u ",
      parsed.user, " ", parsed.database, " < '", script, "' > '", script, ".out' 2>&1");
  const int status = std::system(command.c_str());
  std::ifstream in(script + ".out");
  const std::string output((std::istreambuf_iterator<char>(in)), {});
  std::filesystem::remove(script);
  std::filesystem::remove(script + ".out");
  ASSERT_EQ(WEXITSTATUS(status), 0) << output << "\n" << out_;

  // The models' schema, and the hand-written column.
  DUO_ASSERT_OK_AND_ASSIGN(Autogenerated generated, Autogenerate(*db_, shop::v1_models.models()));
  EXPECT_THAT(generated.diff.Describe(db_->dialect()),
              ::testing::ElementsAre("drop column \"customers\".\"nickname\""));
  EXPECT_EQ(Text("SELECT nickname FROM customers WHERE email = 'h@x'"), "ab");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations WHERE "
                  "ABS(TIMESTAMPDIFF(SECOND, applied_at, UTC_TIMESTAMP())) < 600"),
            2);
  DUO_ASSERT_OK(Exec("INSERT INTO customers (email, tier) VALUES ('a@x', 'free')"));
  DUO_ASSERT_OK(Exec("INSERT INTO orders (customer_id, total) VALUES (1, 5)"));
  EXPECT_FALSE(Exec("INSERT INTO orders (customer_id, total) VALUES (1, -5)").ok());
}

// A revision whose second of three statements fails: the first took
// effect (DDL commits), the revision is not recorded, the error names the
// revision and the statement, the next run refuses to go on until asked,
// and resuming runs the statements after the first one only.
TEST_F(MysqlMigrateTest, FailedRevisionIsRecordedPartWayAndResumedOnlyWhenAsked) {
  DUO_ASSERT_OK(
      WriteRevisionFile(dir_.string(),
                        NewRevision("aaaaaaaaaaaa", "", {"CREATE TABLE t (id INT PRIMARY KEY)"},
                                    {"DROP TABLE t"}))
          .status());
  const Revision broken =
      NewRevision("bbbbbbbbbbbb", "aaaaaaaaaaaa",
                  {"ALTER TABLE t ADD COLUMN a INT", "ALTER TABLE no_such_table ADD COLUMN b INT",
                   "CREATE INDEX t_a_idx ON t (a)"},
                  {"DROP INDEX t_a_idx ON t", "ALTER TABLE t DROP COLUMN a"});
  DUO_ASSERT_OK_AND_ASSIGN(std::string path, WriteRevisionFile(dir_.string(), broken));

  Migrator migrator(*db_, dir_.string());
  absl::Status failed = migrator.Upgrade("head").status();
  ASSERT_EQ(failed.code(), absl::StatusCode::kAborted) << failed;
  EXPECT_THAT(std::string(failed.message()), HasSubstr("revision bbbbbbbbbbbb"));
  EXPECT_THAT(std::string(failed.message()), HasSubstr("statement 2 of 3 failed"));
  EXPECT_THAT(std::string(failed.message()), HasSubstr("no_such_table"));
  EXPECT_THAT(std::string(failed.message()), HasSubstr("statements 1 to 1 of 3 took effect"));
  EXPECT_THAT(std::string(failed.message()), HasSubstr("--resume"));
  // The server: statement 1's column is there, statement 3's index is not,
  // the version table stops at the first revision.
  EXPECT_EQ(Column("t", "a"), "int(11)|YES|NULL");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                  "DATABASE() AND INDEX_NAME = 't_a_idx'"),
            0);
  EXPECT_EQ(Text("SELECT GROUP_CONCAT(revision) FROM duo_migrations"), "aaaaaaaaaaaa");
  EXPECT_EQ(Text("SELECT CONCAT(revision, ' ', direction, ' ', started, '/', completed, '/', "
                 "statements) FROM duo_migrations_progress"),
            "bbbbbbbbbbbb upgrade 1/1/3");

  // Without --resume nothing runs, and the report says where it stopped.
  ASSERT_EQ(Cli({"upgrade"}), kExitRefused) << out_ << err_;
  EXPECT_THAT(err_, HasSubstr("bbbbbbbbbbbb"));
  EXPECT_THAT(err_, HasSubstr("statement 2 failed and did not"));
  // Resuming a file whose completed statements changed is refused.
  Revision edited = broken;
  edited.up[0] = "ALTER TABLE t ADD COLUMN a BIGINT";
  std::filesystem::remove(path);
  DUO_ASSERT_OK_AND_ASSIGN(path, WriteRevisionFile(dir_.string(), edited));
  ASSERT_EQ(Cli({"upgrade", "--resume"}), kExitRefused) << out_ << err_;
  EXPECT_THAT(err_, HasSubstr("no longer holds them as they ran"));

  // Fixed (statement 2 only), resumed: statement 1 does not run again (it
  // would fail: the column exists).
  Revision fixed = broken;
  fixed.up[1] = "ALTER TABLE t ADD COLUMN b INT";
  std::filesystem::remove(path);
  DUO_ASSERT_OK(WriteRevisionFile(dir_.string(), fixed).status());
  ASSERT_EQ(Cli({"upgrade", "--resume"}), kExitOk) << out_ << err_;
  EXPECT_EQ(Column("t", "b"), "int(11)|YES|NULL");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                  "DATABASE() AND INDEX_NAME = 't_a_idx'"),
            1);
  EXPECT_EQ(Text("SELECT GROUP_CONCAT(revision ORDER BY revision) FROM duo_migrations"),
            "aaaaaaaaaaaa,bbbbbbbbbbbb");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations_progress"), 0);
}

// A revision that fails at its first statement left nothing: nothing to
// resume, the next run simply runs it.
TEST_F(MysqlMigrateTest, RevisionFailingAtItsFirstStatementLeavesNothingToResume) {
  DUO_ASSERT_OK_AND_ASSIGN(
      std::string path,
      WriteRevisionFile(dir_.string(), NewRevision("cccccccccccc", "",
                                                   {"CREATE TABLE t (id INT PRIMARY KEY",
                                                    "INSERT INTO t VALUES (1)"},
                                                   {"DROP TABLE t"})));
  Migrator migrator(*db_, dir_.string());
  absl::Status failed = migrator.Upgrade("head").status();
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.message()), HasSubstr("statement 1 of 2 failed"));
  EXPECT_THAT(std::string(failed.message()), HasSubstr("nothing of it took effect"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations_progress"), 0);
  std::filesystem::remove(path);
  DUO_ASSERT_OK(WriteRevisionFile(dir_.string(), NewRevision("cccccccccccc", "",
                                                             {"CREATE TABLE t (id INT PRIMARY KEY)",
                                                              "INSERT INTO t VALUES (1)"},
                                                             {"DROP TABLE t"}))
                    .status());
  DUO_ASSERT_OK(migrator.Upgrade("head").status());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM t"), 1);
}

// A duo-migrate killed while a statement runs: its lock goes with its
// connection, and the next run reports that the statement may or may not
// have taken effect; `stamp` forgets the progress once the user has
// settled the schema.
TEST_F(MysqlMigrateTest, KilledRunIsReportedAndItsLockReleased) {
  DUO_ASSERT_OK(
      WriteRevisionFile(dir_.string(), NewRevision("dddddddddddd", "",
                                                   {"CREATE TABLE t (id INT PRIMARY KEY)",
                                                    "DO SLEEP(2)", "INSERT INTO t VALUES (1)"},
                                                   {"DROP TABLE t"}))
          .status());
  const std::string binary = std::filesystem::absolute("migrate/library_migrate").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (std::freopen("/dev/null", "w", stdout) == nullptr) _exit(126);
    execl(binary.c_str(), binary.c_str(), "upgrade", "--url", url().c_str(), "--dir", dir_.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill it once it is in statement 2.
  bool in_statement_2 = false;
  for (int i = 0; i < 200 && !in_statement_2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    absl::StatusOr<Result> started =
        db_->Execute(sql::Text("SELECT started FROM duo_migrations_progress"));
    in_statement_2 =
        started.ok() && started->size() == 1 && started->Get<int64_t>(0, 0).value_or(0) == 2;
  }
  ASSERT_TRUE(in_statement_2);
  kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ASSERT_TRUE(WIFSIGNALED(status));

  // The next run gets the lock (once the server has ended the dead
  // connection's statement) and reports, running nothing.
  ASSERT_EQ(Cli({"upgrade"}), kExitRefused) << out_ << err_;
  EXPECT_THAT(err_, HasSubstr("dddddddddddd"));
  EXPECT_THAT(err_, HasSubstr("statements 1 to 1 of 3 took effect"));
  EXPECT_THAT(err_, HasSubstr("statement 2 was running when the run ended"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM t"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations"), 0);

  // Resumed: statement 2 again, then 3.
  ASSERT_EQ(Cli({"upgrade", "--resume"}), kExitOk) << out_ << err_;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM t"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations_progress"), 0);
}

TEST_F(MysqlMigrateTest, StampForgetsAStoppedRevision) {
  DUO_ASSERT_OK(
      WriteRevisionFile(dir_.string(), NewRevision("eeeeeeeeeeee", "",
                                                   {"CREATE TABLE t (id INT PRIMARY KEY)",
                                                    "INSERT INTO no_such_table VALUES (1)"},
                                                   {"DROP TABLE t"}))
          .status());
  EXPECT_EQ(Cli({"upgrade"}), kExitFailed) << out_ << err_;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations_progress"), 1);
  // The user drops t by hand and says the database is at base.
  DUO_ASSERT_OK(Exec("DROP TABLE t"));
  ASSERT_EQ(Cli({"stamp", "base"}), kExitOk) << err_;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations_progress"), 0);
  EXPECT_EQ(Cli({"upgrade"}), kExitFailed) << out_ << err_;
  EXPECT_THAT(err_, HasSubstr("statement 2 of 2 failed"));
}

// A down step that stops part way is recorded the same way; an upgrade
// cannot resume it, a downgrade can.
TEST_F(MysqlMigrateTest, DowngradeStoppedPartWayResumesOnlyAsADowngrade) {
  const Revision revision =
      NewRevision("abababababab", "",
                  {"CREATE TABLE t (id INT PRIMARY KEY)", "CREATE TABLE u (id INT PRIMARY KEY)"},
                  {"DROP TABLE u", "DROP TABLE no_such_table", "DROP TABLE t"});
  DUO_ASSERT_OK_AND_ASSIGN(std::string path, WriteRevisionFile(dir_.string(), revision));
  ASSERT_EQ(Cli({"upgrade"}), kExitOk) << err_;
  EXPECT_EQ(Cli({"downgrade", "--allow-destructive"}), kExitFailed);
  EXPECT_THAT(err_, HasSubstr("statement 2 of 3 failed"));
  EXPECT_THAT(err_, HasSubstr("downgrade stopped part way"));
  EXPECT_THAT(err_, HasSubstr("not recorded as reverted"));
  EXPECT_EQ(Tables(), 1);  // u dropped, t kept
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations"), 1);

  EXPECT_EQ(Cli({"upgrade", "--resume"}), kExitRefused);
  EXPECT_THAT(err_, HasSubstr("which this run would not run first"));
  EXPECT_EQ(Cli({"downgrade", "--allow-destructive"}), kExitRefused);
  EXPECT_THAT(err_, HasSubstr("downgrade --resume"));

  // The file's down step is edited after the revision was applied: the
  // runner refuses any edited applied file, so the user fixes the database
  // instead (here: the missing table appears) and resumes.
  DUO_ASSERT_OK(Exec("CREATE TABLE no_such_table (id INT)"));
  ASSERT_EQ(Cli({"downgrade", "--allow-destructive", "--resume"}), kExitOk) << out_ << err_;
  EXPECT_EQ(Tables(), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations_progress"), 0);
}

// The run's lock is GET_LOCK's, held for the whole run: a run waits while
// another connection holds it.
TEST_F(MysqlMigrateTest, RunWaitsForTheLock) {
  DUO_ASSERT_OK(WriteRevisionFile(
                    dir_.string(),
                    NewRevision("ffffffffffff", "", {"CREATE TABLE t (id INT)"}, {"DROP TABLE t"}))
                    .status());
  DUO_ASSERT_OK_AND_ASSIGN(Session holder, db_->StandaloneSession());
  DUO_ASSERT_OK_AND_ASSIGN(
      Result got,
      holder.Execute(sql::Text("SELECT GET_LOCK(CONCAT('duo-migrate:', SHA1(DATABASE())), 0)")));
  ASSERT_EQ(got.Get<int64_t>(0, 0).value_or(0), 1);
  absl::Status upgraded = absl::UnknownError("not run");
  std::thread run([&] {
    absl::StatusOr<Database> db = Database::Open(url());
    upgraded = db.ok() ? Migrator(*db, dir_.string()).Upgrade("head").status() : db.status();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(Tables(), 0);  // still waiting
  DUO_ASSERT_OK(
      holder.Execute(sql::Text("SELECT RELEASE_LOCK(CONCAT('duo-migrate:', SHA1(DATABASE())))"))
          .status());
  run.join();
  DUO_EXPECT_OK(upgraded);
  EXPECT_EQ(Tables(), 1);
  // Released at the end of the run.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM DUAL WHERE "
                  "IS_USED_LOCK(CONCAT('duo-migrate:', SHA1(DATABASE()))) IS NULL"),
            1);
}

// An account with a password (the URL's password is masked wherever the
// URL is shown): autogenerate and a run work as for root, and the
// session autogenerate used is back on the live database.
TEST_F(MysqlMigrateTest, AccountWithAPassword) {
  DUO_ASSERT_OK_AND_ASSIGN(engine::DatabaseUrl parsed, engine::DatabaseUrl::Parse(url()));
  DUO_ASSERT_OK(
      Exec("CREATE USER IF NOT EXISTS 'duo_pw'@'localhost' IDENTIFIED BY 's3cret'; "
           "GRANT ALL ON *.* TO 'duo_pw'@'localhost'"));
  // Written out: DatabaseUrl::ToString masks the password.
  DUO_ASSERT_OK_AND_ASSIGN(
      Database db,
      Database::Open(absl::StrCat("mysql://duo_pw:s3cret@localhost/", parsed.database,
                                  "?unix_socket=", parsed.Option("unix_socket").value_or(""))));
  DUO_ASSERT_OK(Models::CreateTables(db, shop::v1_models.models()));
  DUO_ASSERT_OK_AND_ASSIGN(Autogenerated generated, Autogenerate(db, shop::v1_models.models()));
  EXPECT_THAT(generated.diff.Describe(db.dialect()), IsEmpty());
  EXPECT_EQ(ScratchDatabases(), 0);
  DUO_ASSERT_OK(WriteRevisionFile(
                    dir_.string(),
                    NewRevision("a1a1a1a1a1a1", "", {"CREATE TABLE t (id INT)"}, {"DROP TABLE t"}))
                    .status());
  DUO_ASSERT_OK(Migrator(db, dir_.string()).Upgrade("head").status());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM duo_migrations"), 1);
}

// The scratch database autogenerate creates is dropped when creating the
// models' tables fails too.
TEST_F(MysqlMigrateTest, ScratchDatabaseIsDroppedOnError) {
  const std::string live = Text("SELECT DATABASE()");
  absl::StatusOr<Autogenerated> generated = Autogenerate(*db_, {&MetaOf<Broken>()});
  ASSERT_FALSE(generated.ok());
  EXPECT_THAT(std::string(generated.status().message()),
              HasSubstr("creating the models' table `broken`"));
  EXPECT_EQ(ScratchDatabases(), 0);
  // The session went back to the live database.
  EXPECT_EQ(Text("SELECT DATABASE()"), live);
}

}  // namespace
}  // namespace duo::migrate
