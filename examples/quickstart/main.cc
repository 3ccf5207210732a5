// DuoORM quickstart: what the README's demo command runs.
//
// From nothing to the end, printing each step: duo-migrate creates the
// schema from the committed migrations, then the ORM's daily 80% (CRUD,
// hooks, filters, string ordering, pagination, eager loading, a guarded bulk
// delete), the escape hatch to the SQL IR (a builder query Alchemize()d and
// finished with a CTE and a window function, run in a managed transaction
// and in a standalone session), and the same ORM calls async. At the end,
// duo-migrate reverts the schema: the database is left as it was found.
//
//   bazel run //examples/quickstart                         # ./duo_quickstart.db
//   bazel run //examples/quickstart -- postgresql://user@host/db

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "duo/async/async.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "duo/sql/dml.h"
#include "duo/sql/functions.h"
#include "duo/sql/select.h"
#include "examples/quickstart/models.h"

namespace quickstart {
namespace {

using duo::Database;
using duo::Result;
using duo::Session;
using duo::Task;
using duo::sql::Cte;
using duo::sql::Select;
using duo::sql::Window;
namespace func = duo::func;

// Where Bazel put the :migrate binary and the migrations next to this one.
std::filesystem::path runfiles;

void PrintRows(const Result& result) {
  std::printf("    %s\n", absl::StrJoin(result.columns(), " | ").c_str());
  for (size_t r = 0; r < result.size(); ++r) {
    const std::string line =
        absl::StrJoin(result.row(r), " | ", [](std::string* out, const duo::sql::Value& value) {
          out->append(value.kind() == duo::sql::Value::Kind::kText ? value.as_text()
                                                                   : value.DebugString());
        });
    std::printf("    %s\n", line.c_str());
  }
}

std::string Describe(const std::vector<Order>& orders) {
  return absl::StrJoin(orders, ", ", [](std::string* out, const Order& o) {
    absl::StrAppend(out, "#", o.id, " ", o.status, " ", o.total);
  });
}

// Runs the duo-migrate binary built by duo_migrate_binary, as a user would
// from a shell, and prints what it says.
absl::Status Migrate(const Database& db, const std::string& url, const std::string& command) {
  const std::filesystem::path dir =
      runfiles / "examples/quickstart/migrations" / std::string(db.dialect().name());
  // The URL goes through the environment, not the command line, where any
  // user of the machine could read its password.
  setenv("DUO_DATABASE_URL", url.c_str(), 1);
  const std::string line = absl::StrCat((runfiles / "examples/quickstart/migrate").string(), " ",
                                        command, " --dir '", dir.string(), "' 2>&1");
  FILE* pipe = popen(line.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("cannot run duo-migrate");
  std::string output;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  for (absl::string_view out : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    std::printf("    | %s\n", std::string(out).c_str());
  }
  if (status != 0) return absl::InternalError(absl::StrCat("duo-migrate ", command, " failed"));
  return absl::OkStatus();
}

// The async section: the same ORM calls, concurrently, as coroutines.
// (Queries with braced filter lists are built in statements of their own:
// GCC 12 mishandles initializer lists inside coroutines' co_await
// expressions.)
Task<absl::Status> AsyncTour(Database db) {
  std::vector<Task<absl::StatusOr<int64_t>>> counts;
  for (const char* status : {"pending", "completed", "shipped"}) {
    counts.push_back(Order::FilterBy({{"status", status}}).CountAsync());
  }
  DUO_CO_ASSIGN_OR_RETURN(std::vector<int64_t> n, co_await duo::WhenAll(std::move(counts)));
  std::printf("    three counts at once: %lld pending, %lld completed, %lld shipped\n",
              static_cast<long long>(n[0]), static_cast<long long>(n[1]),
              static_cast<long long>(n[2]));
  DUO_CO_RETURN_IF_ERROR(co_await db.TransactionAsync([](Session&) -> Task<absl::Status> {
    const duo::Query<Customer> named_brian = Customer::FilterBy({{"name", "Brian"}});
    DUO_CO_ASSIGN_OR_RETURN(std::optional<Customer> brian, co_await named_brian.FirstAsync());
    const Order draft{.customer_id = brian->id, .total = 60};
    DUO_CO_ASSIGN_OR_RETURN(Order order, co_await Order::CreateAsync(draft));
    order.status = "completed";
    co_return co_await order.SaveAsync();  // the same transaction, found implicitly
  }));
  const duo::Query<Order> of_brian = Order::FilterBy({{"customer.name", "Brian"}}).OrderBy("id");
  DUO_CO_ASSIGN_OR_RETURN(std::vector<Order> brians, co_await of_brian.AllAsync());
  std::printf("    TransactionAsync added one for Brian: %s\n", Describe(brians).c_str());
  co_return absl::OkStatus();
}

absl::Status Run(const std::string& url) {
  int64_t statements = 0;
  duo::DatabaseOptions options;
  options.slow_statement_threshold = absl::ZeroDuration();  // counts every statement
  options.on_slow_statement = [&statements](const duo::StatementEvent&) { ++statements; };
  DUO_ASSIGN_OR_RETURN(Database db, Database::Open(url, options));
  DUO_RETURN_IF_ERROR(db.Connect());
  duo::Models::Default().Bind(db);
  std::printf("1. opened %s (%s)\n", db.url().c_str(), std::string(db.dialect().name()).c_str());

  std::printf("2. duo-migrate upgrade, from examples/quickstart/migrations/%s:\n",
              std::string(db.dialect().name()).c_str());
  DUO_RETURN_IF_ERROR(Migrate(db, url, "upgrade"));

  std::printf("3. Create (hooks fire):\n");
  DUO_ASSIGN_OR_RETURN(Customer ada, Customer::Create({.name = "Ada", .city = "London"}));
  DUO_ASSIGN_OR_RETURN(Customer brian, Customer::Create({.name = "Brian", .city = "Paris"}));
  DUO_ASSIGN_OR_RETURN(Customer chloe, Customer::Create({.name = "Chloé"}));
  for (const auto& [customer, total, status] :
       std::vector<std::tuple<int64_t, double, const char*>>{{ada.id, 9000, "completed"},
                                                             {ada.id, 4000, "completed"},
                                                             {ada.id, 100, "pending"},
                                                             {brian.id, 250, "cancelled"},
                                                             {brian.id, 750, "completed"},
                                                             {chloe.id, 12000, "completed"}}) {
    DUO_RETURN_IF_ERROR(
        Order::Create({.customer_id = customer, .status = status, .total = total}).status());
  }
  const absl::Status refused = Order::Create({.customer_id = ada.id, .total = -5}).status();
  std::printf("    Validate refused a negative total: %s\n",
              std::string(refused.message()).c_str());

  std::printf("4. Get, Save, Delete:\n");
  DUO_ASSIGN_OR_RETURN(std::optional<Customer> found, Customer::Get(chloe.id));
  found->city = "Lyon";
  DUO_RETURN_IF_ERROR(found->Save());
  DUO_ASSIGN_OR_RETURN(std::optional<Customer> reread, Customer::Get(chloe.id));
  std::printf("    %s now lives in %s\n", reread->name.c_str(), reread->city.value_or("?").c_str());
  DUO_ASSIGN_OR_RETURN(Customer temp, Customer::Create({.name = "Temporary"}));
  DUO_RETURN_IF_ERROR(temp.Delete());
  DUO_ASSIGN_OR_RETURN(int64_t customers, Customer::Count());
  std::printf("    created and deleted Temporary: %lld customers\n",
              static_cast<long long>(customers));

  std::printf("5. Filters and string ordering:\n");
  DUO_ASSIGN_OR_RETURN(std::vector<Order> adas, Order::FilterBy({{"customer.name", "Ada"}})
                                                    .Where(duo::col(&Order::total) > 500)
                                                    .OrderBy("-total")
                                                    .All());
  std::printf("    Ada's orders over 500, biggest first: %s\n", Describe(adas).c_str());

  std::printf("6. Pagination:\n");
  DUO_ASSIGN_OR_RETURN(duo::Page<Order> page,
                       Order::FilterBy({{"status", "completed"}}).OrderBy("-total").Page(2, 2));
  std::printf("    completed orders, page %lld of %lld (%lld in all, has_next %s): %s\n",
              static_cast<long long>(page.page), static_cast<long long>(page.pages),
              static_cast<long long>(page.total), page.has_next ? "yes" : "no",
              Describe(page.items).c_str());

  std::printf("7. Eager loading:\n");
  const int64_t before = statements;
  DUO_ASSIGN_OR_RETURN(std::vector<Customer> with_orders,
                       Customer::Related("orders").OrderBy("name").All());
  for (const Customer& c : with_orders) {
    std::printf("    %s: %zu order(s)\n", c.name.c_str(), c.orders.size());
  }
  std::printf("    %zu customers and their orders in %lld statements\n", with_orders.size(),
              static_cast<long long>(statements - before));

  std::printf("8. A guarded bulk delete:\n");
  const absl::Status guarded = Order::Query().DeleteBulk().status();
  std::printf("    refused: %s\n", std::string(guarded.message()).c_str());
  DUO_ASSIGN_OR_RETURN(int64_t deleted, Order::FilterBy({{"status", "cancelled"}}).DeleteBulk());
  std::printf("    with a filter: deleted %lld cancelled order(s)\n",
              static_cast<long long>(deleted));

  std::printf("9. The escape hatch: a builder query, Alchemize()d, finished in the IR:\n");
  const Select completed = Order::FilterBy({{"status", "completed"}}).Alchemize();
  const Cte done("done", completed);
  const duo::sql::Table& customers_table = duo::TableOf<Customer>();
  const duo::sql::Expr spent = func::Sum(done.C("total"));
  const Select ranking =
      Select({customers_table.C("name"), spent.Label("spent"),
              func::Rank().Over(Window().OrderBy(spent.Desc())).Label("rank")})
          .With(done)
          .From(done)
          .Join(customers_table, customers_table.C("id") == done.C("customer_id"))
          .GroupBy(customers_table.C("name"))
          .OrderBy(spent.Desc());
  DUO_RETURN_IF_ERROR(db.Transaction([&](Session& session) -> absl::Status {
    DUO_ASSIGN_OR_RETURN(Result result, session.Execute(ranking));
    std::printf("    in a managed transaction: rank() over a CTE of completed orders\n");
    PrintRows(result);
    return absl::OkStatus();
  }));
  DUO_ASSIGN_OR_RETURN(Session session, db.StandaloneSession());
  DUO_RETURN_IF_ERROR(session.Begin());
  DUO_ASSIGN_OR_RETURN(Result shipped,
                       session.Execute(duo::sql::Update(duo::TableOf<Order>())
                                           .Set("status", "shipped")
                                           .Where(duo::col(&Order::customer_id) == ada.id &&
                                                  duo::col(&Order::status) == "completed")));
  DUO_RETURN_IF_ERROR(session.Commit());
  std::printf("    in a standalone session (its own BEGIN/COMMIT): shipped %lld of Ada's orders\n",
              static_cast<long long>(shipped.rows_affected()));

  std::printf("10. Async:\n");
  DUO_RETURN_IF_ERROR(duo::SyncWait(AsyncTour(db)));

  std::printf("11. duo-migrate downgrade base: the database is left as it was found\n");
  DUO_RETURN_IF_ERROR(Migrate(db, url, "downgrade base --allow-destructive"));
  duo::Models::Default().Unbind();
  return absl::OkStatus();
}

}  // namespace
}  // namespace quickstart

int main(int argc, char** argv) {
  // Runfiles: the test's tree when run by a test, else the one beside the
  // binary (found before the working directory changes below).
  if (const char* srcdir = std::getenv("TEST_SRCDIR"); srcdir != nullptr) {
    quickstart::runfiles = std::filesystem::path(srcdir) / std::getenv("TEST_WORKSPACE");
  } else {
    quickstart::runfiles = std::filesystem::absolute(std::string(argv[0]) + ".runfiles") / "duo";
  }
  std::string url = argc > 1 ? argv[1] : "";
  // `bazel run` starts programs in their runfiles; a relative SQLite path
  // belongs to the directory the user ran it from.
  if (const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY"); cwd != nullptr) {
    std::filesystem::current_path(cwd);
  }
  if (url.empty()) {
    // The demo's own file starts from nothing every time.
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(std::string("duo_quickstart.db") + suffix);
    }
    url = "sqlite:///duo_quickstart.db";
  }
  const absl::Status status = quickstart::Run(url);
  if (!status.ok()) {
    std::fprintf(stderr, "quickstart failed: %s\n", duo::ErrorString(status).c_str());
    return 1;
  }
  return 0;
}
