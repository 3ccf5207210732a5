// Drives the web example with real HTTP requests on a loopback port, on
// SQLite, PostgreSQL and PostgreSQL through PgBouncer: every route and every
// reply of examples/web/service.h, checked against the rows in the database
// itself; and the :web binary, started as a user would.

#include "examples/web/service.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/model/models.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "examples/quickstart/models.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "testing/database.h"

namespace {

using ::nlohmann::json;
using ::quickstart::Customer;
using ::quickstart::Order;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// What the server answered.
struct Answer {
  int status = 0;
  json body;
  std::string location;
};

// The routes over `db` on a loopback port that the system picks, served by
// a thread of its own until destroyed.
class LoopbackServer {
 public:
  explicit LoopbackServer(const duo::Database& db) {
    web::AddRoutes(db, server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ > 0) listener_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~LoopbackServer() {
    server_.stop();
    if (listener_.joinable()) listener_.join();
  }
  // Not copyable or movable: the thread refers to the server.
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Negative when no port could be bound.
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread listener_;
};

class ServiceTest : public duo::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    absl::StatusOr<duo::Database> db = duo::Database::Open(database().url());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::make_unique<duo::Database>(*db);
    duo::Models::Default().Bind(*db_);
    const absl::Status created =
        duo::Models::CreateTables(*db_, {&duo::MetaOf<Customer>(), &duo::MetaOf<Order>()});
    ASSERT_TRUE(created.ok()) << created;

    server_ = std::make_unique<LoopbackServer>(*db_);
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
    duo::Models::Default().Unbind();
    db_.reset();
    BackendTest::TearDown();
  }

  Answer Send(const std::string& method, const std::string& path, const std::string& body = "") {
    const char* const type = "application/json";
    httplib::Result result = method == "GET"     ? client_->Get(path)
                             : method == "POST"  ? client_->Post(path, body, type)
                             : method == "PATCH" ? client_->Patch(path, body, type)
                                                 : client_->Delete(path);
    if (!result) {
      ADD_FAILURE() << method << " " << path << ": " << httplib::to_string(result.error());
      return {};
    }
    Answer answer{.status = result->status, .location = result->get_header_value("Location")};
    if (!result->body.empty()) answer.body = json::parse(result->body, nullptr, false);
    return answer;
  }
  Answer Get(const std::string& path) { return Send("GET", path); }
  Answer Post(const std::string& path, const std::string& body) { return Send("POST", path, body); }
  Answer Patch(const std::string& path, const std::string& body) {
    return Send("PATCH", path, body);
  }
  Answer Delete(const std::string& path) { return Send("DELETE", path); }

  // The rows of `sql`, read from the database, not through the service:
  // each row's values, as SQL literals, joined by ", ".
  std::vector<std::string> Rows(const std::string& sql) {
    absl::StatusOr<duo::Result> result = db_->Execute(duo::sql::Text(sql));
    EXPECT_TRUE(result.ok()) << result.status();
    std::vector<std::string> rows;
    for (size_t r = 0; result.ok() && r < result->size(); ++r) {
      rows.push_back(
          absl::StrJoin(result->row(r), ", ", [](std::string* out, const duo::sql::Value& value) {
            out->append(value.DebugString());
          }));
    }
    return rows;
  }
  std::vector<std::string> Customers() {
    return Rows("SELECT id, name, city FROM customers ORDER BY id");
  }
  std::vector<std::string> Orders() {
    return Rows("SELECT id, customer_id, status, total FROM orders ORDER BY id");
  }

  // Ada (1) with orders 1 (90, pending) and 2 (12, completed); Brian (2)
  // with order 3 (400, completed); Chloe (3), of London too, with none.
  void Seed() {
    ASSERT_EQ(Post("/customers", R"({"name": "Ada", "city": "London", "orders": [
                                      {"total": 90}, {"total": 12, "status": "completed"}]})")
                  .status,
              201);
    ASSERT_EQ(Post("/customers", R"({"name": "Brian", "city": "Paris"})").status, 201);
    ASSERT_EQ(Post("/orders", R"({"customer_id": 2, "total": 400, "status": "completed"})").status,
              201);
    ASSERT_EQ(Post("/customers", R"({"name": "Chloe", "city": "London"})").status, 201);
  }

  std::unique_ptr<duo::Database> db_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

// The ids of a list reply's items, in order.
std::vector<int64_t> Ids(const Answer& answer) {
  std::vector<int64_t> ids;
  if (!answer.body.is_object()) return ids;
  for (const json& item : answer.body.value("items", json::array())) {
    ids.push_back(item.value("id", int64_t{0}));
  }
  return ids;
}

TEST_P(ServiceTest, CreatesACustomerWithItsOrdersAndGetsThem) {
  const Answer created = Post("/customers", R"({"name": "Ada", "city": "London",
                                               "orders": [{"total": 90}, {"total": 12}]})");
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.location, "/customers/1");
  EXPECT_EQ(created.body["name"], "Ada");
  ASSERT_EQ(created.body["orders"].size(), 2u) << created.body;
  EXPECT_EQ(created.body["orders"][1]["total"], 12.0);
  EXPECT_THAT(Customers(), ElementsAre("1, 'Ada', 'London'"));
  EXPECT_THAT(Orders(), ElementsAre("1, 1, 'pending', 90", "2, 1, 'pending', 12"));

  const Answer order =
      Post("/orders", R"({"customer_id": 1, "total": 5.5, "status": "completed"})");
  EXPECT_EQ(order.status, 201) << order.body;
  EXPECT_EQ(order.location, "/orders/3");
  EXPECT_THAT(Orders(),
              ElementsAre("1, 1, 'pending', 90", "2, 1, 'pending', 12", "3, 1, 'completed', 5.5"));

  const Answer customer = Get("/customers/1");
  EXPECT_EQ(customer.status, 200);
  EXPECT_EQ(customer.body["city"], "London");
  EXPECT_EQ(customer.body["orders"].size(), 3u) << customer.body;
  const Answer alone = Post("/customers", R"({"name": "Brian"})");
  EXPECT_EQ(Get(alone.location).body["orders"], json::array());  // present, and empty
  EXPECT_EQ(Get("/orders/3").body["total"], 5.5);
}

TEST_P(ServiceTest, ListsWithFiltersAndPages) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  const Answer all = Get("/customers");
  EXPECT_EQ(all.status, 200);
  EXPECT_THAT(Ids(all), ElementsAre(1, 2, 3));
  EXPECT_EQ(all.body["total"], 3);
  EXPECT_THAT(Ids(Get("/customers?city=London")), ElementsAre(1, 3));
  EXPECT_THAT(Ids(Get("/customers?city=London&name=Chloe")), ElementsAre(3));

  const Answer second = Get("/customers?per_page=2&page=2");
  EXPECT_THAT(Ids(second), ElementsAre(3));
  EXPECT_EQ(second.body["pages"], 2);
  EXPECT_EQ(second.body["page"], 2);
  EXPECT_EQ(second.body["per_page"], 2);

  EXPECT_THAT(Ids(Get("/orders?status=completed")), ElementsAre(2, 3));
  EXPECT_THAT(Ids(Get("/orders?customer=Ada")), ElementsAre(1, 2));  // a related path
  EXPECT_THAT(Ids(Get("/orders?customer_id=2")), ElementsAre(3));
  EXPECT_THAT(Ids(Get("/orders?min_total=50&order_by=-total")), ElementsAre(3, 1));
  EXPECT_THAT(Ids(Get("/orders?order_by=status&per_page=1&page=3")), ElementsAre(1));
  EXPECT_THAT(Ids(Get("/orders?customer=Nobody")), IsEmpty());

  // A typo or a bad value is refused, never ignored.
  for (const char* path :
       {"/orders?stauts=completed", "/orders?order_by=-totl", "/orders?min_total=lots",
        "/orders?customer_id=x", "/customers?page=0", "/customers?per_page=1000"}) {
    const Answer refused = Get(path);
    EXPECT_EQ(refused.status, 400) << path;
    EXPECT_TRUE(refused.body.contains("error")) << path;
  }
  EXPECT_THAT(Get("/orders?order_by=-totl").body["error"].get<std::string>(), HasSubstr("totl"));
}

TEST_P(ServiceTest, UpdatesOnlyTheFieldsGiven) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  const Answer moved = Patch("/customers/1", R"({"city": "Paris"})");
  EXPECT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.body["name"], "Ada");
  EXPECT_EQ(moved.body["city"], "Paris");
  const Answer cleared = Patch("/customers/3", R"({"city": null})");
  EXPECT_EQ(cleared.status, 200) << cleared.body;
  const Answer shipped = Patch("/orders/1", R"({"status": "shipped", "total": 95})");
  EXPECT_EQ(shipped.status, 200) << shipped.body;
  EXPECT_THAT(Customers(),
              ElementsAre("1, 'Ada', 'Paris'", "2, 'Brian', 'Paris'", "3, 'Chloe', NULL"));
  EXPECT_THAT(Orders(), ElementsAre("1, 1, 'shipped', 95", "2, 1, 'completed', 12",
                                    "3, 2, 'completed', 400"));
  const Answer transferred = Patch("/orders/3", R"({"customer_id": 3})");
  EXPECT_EQ(transferred.status, 200) << transferred.body;
  EXPECT_THAT(Rows("SELECT customer_id FROM orders WHERE id = 3"), ElementsAre("3"));
}

TEST_P(ServiceTest, DeletesAndCascades) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  EXPECT_EQ(Delete("/orders/2").status, 204);
  EXPECT_THAT(Orders(), ElementsAre("1, 1, 'pending', 90", "3, 2, 'completed', 400"));
  EXPECT_EQ(Delete("/customers/1").status, 204);  // and its order 1, by the foreign key
  EXPECT_THAT(Customers(), ElementsAre("2, 'Brian', 'Paris'", "3, 'Chloe', 'London'"));
  EXPECT_THAT(Orders(), ElementsAre("3, 2, 'completed', 400"));
}

TEST_P(ServiceTest, AnUnknownIdIs404) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/customers/9"},
                                                        {"PATCH", "/customers/9"},
                                                        {"DELETE", "/customers/9"},
                                                        {"GET", "/orders/9"},
                                                        {"PATCH", "/orders/9"},
                                                        {"DELETE", "/orders/9"},
                                                        {"GET", "/orders/99999999999999999999"}}) {
    const Answer answer = Send(method, path, R"({"total": 1})");
    EXPECT_EQ(answer.status, 404) << method << " " << path;
    EXPECT_THAT(answer.body.value("error", ""), HasSubstr("no row 9")) << method << " " << path;
  }
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM orders WHERE total = 1"), std::vector<std::string>{"0"});
}

TEST_P(ServiceTest, AValidationFailureIs422WithTheField) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  struct Case {
    std::string method, path, body, field;
  };
  for (const Case& c : std::vector<Case>{
           // The Validate hook's veto.
           {"POST", "/orders", R"({"customer_id": 1, "total": -5})", "total"},
           {"PATCH", "/orders/1", R"({"status": "shipped", "total": -1})", "total"},
           // A value its column cannot take.
           {"POST", "/orders", R"({"customer_id": 1, "total": "lots"})", "total"},
           {"PATCH", "/customers/1", R"({"name": 7})", "name"},
           {"POST", "/orders", R"({"customer_id": 1e30})", "customer_id"},
           // A reference to no customer.
           {"POST", "/orders", R"({"customer_id": 42, "total": 1})", "customer_id"},
           {"PATCH", "/orders/1", R"({"customer_id": 42})", "customer_id"},
       }) {
    const Answer answer = Send(c.method, c.path, c.body);
    EXPECT_EQ(answer.status, 422) << c.method << " " << c.path << " " << c.body;
    EXPECT_EQ(answer.body.value("field", ""), c.field) << answer.body;
    EXPECT_FALSE(answer.body.value("error", "").empty()) << answer.body;
  }
  EXPECT_THAT(Orders(), ElementsAre("1, 1, 'pending', 90", "2, 1, 'completed', 12",
                                    "3, 2, 'completed', 400"));
  EXPECT_THAT(Customers(),
              ElementsAre("1, 'Ada', 'London'", "2, 'Brian', 'Paris'", "3, 'Chloe', 'London'"));
}

TEST_P(ServiceTest, AFailedRequestLeavesNothingWritten) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  // The customer and its first order are inserted before the second order
  // fails Validate: the request's transaction takes them back.
  const Answer refused = Post("/customers", R"({"name": "Dora", "orders": [
                                                 {"total": 10}, {"total": -1}]})");
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(refused.body.value("field", ""), "orders[1].total");
  EXPECT_THAT(refused.body.value("error", ""), HasSubstr("cannot be negative"));
  EXPECT_THAT(Rows("SELECT COUNT(*) FROM customers WHERE name = 'Dora'"), ElementsAre("0"));
  EXPECT_THAT(Rows("SELECT COUNT(*) FROM orders"), ElementsAre("3"));

  // The same with a failure the database reports: the name is taken.
  const Answer taken = Post("/customers", R"({"name": "Ada", "orders": [{"total": 10}]})");
  EXPECT_EQ(taken.status, 409);
  const Answer nested = Post("/customers", R"({"name": "Dora", "orders": [{"totl": 10}]})");
  EXPECT_EQ(nested.status, 400);
  EXPECT_THAT(nested.body.value("error", ""), HasSubstr("totl"));
  EXPECT_THAT(Rows("SELECT COUNT(*) FROM customers"), ElementsAre("3"));
  EXPECT_THAT(Rows("SELECT COUNT(*) FROM orders"), ElementsAre("3"));

  // Afterwards the service works as before: nothing was left half done.
  const Answer dora = Post("/customers", R"({"name": "Dora", "orders": [{"total": 10}]})");
  EXPECT_EQ(dora.status, 201) << dora.body;
  EXPECT_THAT(Rows("SELECT COUNT(*) FROM orders"), ElementsAre("4"));
}

TEST_P(ServiceTest, AUniqueViolationIs409) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  const Answer created = Post("/customers", R"({"name": "Ada"})");
  EXPECT_EQ(created.status, 409);
  EXPECT_THAT(created.body.value("error", ""), HasSubstr("unique violation"));
  EXPECT_THAT(created.body.value("error", ""), ::testing::Not(HasSubstr("INSERT")));  // no SQL
  const Answer renamed = Patch("/customers/2", R"({"name": "Ada"})");
  EXPECT_EQ(renamed.status, 409);
  EXPECT_THAT(Customers(),
              ElementsAre("1, 'Ada', 'London'", "2, 'Brian', 'Paris'", "3, 'Chloe', 'London'"));
}

TEST_P(ServiceTest, AMalformedBodyOrAnUnknownFieldIs400) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  struct Case {
    std::string method, path, body, error;
  };
  for (const Case& c : std::vector<Case>{
           {"POST", "/customers", R"({"name": "Dora")", "not JSON"},
           {"POST", "/orders", "", "not JSON"},
           {"PATCH", "/customers/1", R"(["city", "Rome"])", "JSON object"},
           {"POST", "/customers", R"({"nme": "Dora"})", "its columns are: id, name, city"},
           {"PATCH", "/orders/1", R"({"customer": "Brian"})", "is not a column"},
           {"POST", "/customers", R"({"id": 7, "name": "Dora"})", "assigns ids"},
           {"POST", "/customers", R"({"name": "Dora", "orders": {"total": 1}})", "array"},
           {"POST", "/customers", R"({"name": "Dora", "orders": [3]})", "orders[0]"},
           {"POST", "/customers", R"({"name": "Dora", "orders": [{"customer_id": 1}]})",
            "orders[0].customer_id"},
       }) {
    const Answer answer = Send(c.method, c.path, c.body);
    EXPECT_EQ(answer.status, 400) << c.method << " " << c.path << " " << c.body;
    EXPECT_THAT(answer.body.value("error", ""), HasSubstr(c.error)) << answer.body;
    EXPECT_FALSE(answer.body.contains("field")) << answer.body;
  }
  EXPECT_THAT(Customers(),
              ElementsAre("1, 'Ada', 'London'", "2, 'Brian', 'Paris'", "3, 'Chloe', 'London'"));
  EXPECT_THAT(Orders(), ElementsAre("1, 1, 'pending', 90", "2, 1, 'completed', 12",
                                    "3, 2, 'completed', 400"));
}

TEST_P(ServiceTest, ServesConcurrentRequests) {
  // httplib serves each connection on a thread of its pool: every request
  // runs its own transaction on its own connection.
  constexpr int kClients = 4;
  constexpr int kEach = 5;
  std::vector<std::thread> clients;
  std::vector<int> created(kClients, 0);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([this, c, &created] {
      httplib::Client client("127.0.0.1", server_->port());
      for (int i = 0; i < kEach; ++i) {
        const std::string body =
            absl::StrCat(R"({"name": "client )", c, " #", i, R"(", "orders": [{"total": 1}]})");
        httplib::Result result = client.Post("/customers", body, "application/json");
        if (result && result->status == 201) ++created[c];
      }
    });
  }
  for (std::thread& client : clients) client.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(created[c], kEach) << "client " << c;
  const std::string rows = absl::StrCat(kClients * kEach);
  EXPECT_THAT(Rows("SELECT COUNT(*) FROM customers"), ElementsAre(rows));
  EXPECT_THAT(Rows("SELECT COUNT(*) FROM orders"), ElementsAre(rows));
}

TEST_P(ServiceTest, AnSqlErrorIs500AndItsMessageStaysOnTheServer) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  ASSERT_TRUE(db_->Execute(duo::sql::Text("DROP TABLE orders")).ok());
  const Answer answer = Get("/orders");
  // An SQL error is the server's fault, not the request's (the database
  // calls it InvalidArgument), and what it says about the schema stays in
  // the server's log.
  EXPECT_EQ(answer.status, 500);
  EXPECT_EQ(answer.body, json({{"error", "internal error"}}));
}

// The database cannot be reached: the client may try again.
TEST(ServiceUnavailableTest, AnUnreachableDatabaseIs503) {
  absl::StatusOr<duo::Database> nowhere =
      duo::Database::Open("postgresql://nobody@/nowhere?host=/nonexistent/socket");
  ASSERT_TRUE(nowhere.ok()) << nowhere.status();
  LoopbackServer server(*nowhere);
  ASSERT_GT(server.port(), 0);
  httplib::Result result = httplib::Client("127.0.0.1", server.port()).Get("/customers");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 503);
  EXPECT_THAT(result->body, HasSubstr("try again"));
}

// The :web binary as `bazel run //examples/web -- --port=0 --url=...` starts
// it: on the test's database, whose tables exist already (CreateTables
// leaves them be), on a port it picks and names.
TEST_P(ServiceTest, TheBinaryServesTheDatabaseItIsGiven) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  const std::string binary = absl::StrCat(std::getenv("TEST_SRCDIR"), "/",
                                          std::getenv("TEST_WORKSPACE"), "/examples/web/web");
  const std::string url = absl::StrCat("--url=", database().url());
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  char* const argv[] = {const_cast<char*>(binary.c_str()), const_cast<char*>("--port=0"),
                        const_cast<char*>(url.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  ASSERT_EQ(spawned, 0) << binary;

  // "serving <url> on http://127.0.0.1:<port>"
  FILE* output = fdopen(out[0], "r");
  char line[1024] = {};
  const bool got_line = std::fgets(line, sizeof line, output) != nullptr;
  const std::string first(line);
  int port = 0;
  const size_t colon = first.rfind(':');
  const bool parsed =
      colon != std::string::npos &&
      absl::SimpleAtoi(absl::StripTrailingAsciiWhitespace(first.substr(colon + 1)), &port);
  httplib::Result customers(nullptr, httplib::Error::Unknown);
  if (got_line && parsed)
    customers = httplib::Client("127.0.0.1", port).Get("/customers?city=London");
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::fclose(output);
  ASSERT_TRUE(got_line && parsed) << "the binary's first line: " << first;
  ASSERT_TRUE(customers) << httplib::to_string(customers.error());
  EXPECT_EQ(customers->status, 200);
  EXPECT_THAT(Ids({.body = json::parse(customers->body, nullptr, false)}), ElementsAre(1, 3));
}

INSTANTIATE_TEST_SUITE_P(Backends, ServiceTest,
                         ::testing::ValuesIn(duo::testing::SelectedBackends(
                             {duo::testing::Backend::kSqlite, duo::testing::Backend::kPostgres,
                              duo::testing::Backend::kPgBouncer, duo::testing::Backend::kMariadb})),
                         duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ServiceTest);

}  // namespace
