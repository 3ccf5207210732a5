// DuoORM quickstart: what the README's demo command runs.
//
// This stage of the quickstart works one layer below the ORM (models and
// the query builder come next): it opens a database from a URL, builds
// statements with the SQL IR that every ORM query can eject to, and runs
// them through sessions and managed transactions, printing what happens.
//
//   bazel run //examples/quickstart                         # ./duo_quickstart.db
//   bazel run //examples/quickstart -- postgresql://user@host/db

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/session/database.h"
#include "duo/sql/dml.h"
#include "duo/sql/functions.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"

namespace {

using duo::Database;
using duo::Result;
using duo::Session;
using duo::sql::Cte;
using duo::sql::Expr;
using duo::sql::Insert;
using duo::sql::Select;
using duo::sql::Table;
using duo::sql::Text;
using duo::sql::Window;
namespace func = duo::func;

void PrintRows(const Result& result) {
  std::printf("    %s\n", absl::StrJoin(result.columns(), " | ").c_str());
  for (size_t r = 0; r < result.size(); ++r) {
    const std::string line = absl::StrJoin(
        result.row(r), " | ", [](std::string* out, const duo::sql::Value& value) {
          out->append(value.kind() == duo::sql::Value::Kind::kText ? value.as_text()
                                                                   : value.DebugString());
        });
    std::printf("    %s\n", line.c_str());
  }
}

absl::Status Run(const std::string& url) {
  DUO_ASSIGN_OR_RETURN(Database db, Database::Open(url));
  DUO_RETURN_IF_ERROR(db.Connect());
  std::printf("1. opened %s (%s dialect)\n", db.url().c_str(),
              std::string(db.dialect().name()).c_str());

  DUO_RETURN_IF_ERROR(db.Execute(Text("DROP TABLE IF EXISTS orders")).status());
  DUO_RETURN_IF_ERROR(db.Execute(Text("DROP TABLE IF EXISTS customers")).status());
  DUO_RETURN_IF_ERROR(
      db.Execute(Text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
                      "UNIQUE, region TEXT)"))
          .status());
  DUO_RETURN_IF_ERROR(
      db.Execute(Text("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT "
                      "NULL REFERENCES customers (id), status TEXT NOT NULL, total_amount "
                      "DOUBLE PRECISION NOT NULL)"))
          .status());
  std::printf("2. created tables customers and orders\n");

  Table customers("customers");
  Table orders("orders");
  const Insert add_customers = Insert(customers)
                                   .Columns({"id", "name", "region"})
                                   .Row(1, "Ada", "north")
                                   .Row(2, "Brian", "south")
                                   .Row(3, "Chloé", "north");
  Insert add_orders = Insert(orders).Columns({"id", "customer_id", "status", "total_amount"});
  const struct {
    int customer;
    const char* status;
    double total;
  } rows[] = {{1, "completed", 9000},  {1, "completed", 4000}, {2, "pending", 250},
              {2, "completed", 750},   {3, "completed", 12000}, {1, "pending", 100}};
  int id = 0;
  for (const auto& row : rows) add_orders = add_orders.Row(++id, row.customer, row.status, row.total);
  DUO_RETURN_IF_ERROR(db.Transaction([&](Session& s) -> absl::Status {
    DUO_RETURN_IF_ERROR(s.Execute(add_customers).status());
    return s.Execute(add_orders).status();
  }));
  std::printf("3. inserted 3 customers and %d orders in one managed transaction\n", id);

  const auto status = orders.Col<std::string>("status");
  const auto total = orders.Col<double>("total_amount");
  DUO_ASSIGN_OR_RETURN(
      Result big, db.Execute(Select({orders.C("id"), customers.C("name"), total})
                                 .From(orders)
                                 .Join(customers, customers.C("id") == orders.C("customer_id"))
                                 .Where(status == "completed" && total > 500)
                                 .OrderBy(total.Desc())
                                 .Limit(2)
                                 .Offset(1)));
  std::printf("4. completed orders over 500, biggest first, page 2 of size 2:\n");
  PrintRows(big);

  // A window function and a CTE, in a managed transaction.
  const Cte revenue("revenue", Select({orders.C("customer_id"),
                                       func::Sum(total).Label("revenue")})
                                   .From(orders)
                                   .Where(status == "completed")
                                   .GroupBy(orders.C("customer_id")));
  const Select ranked =
      Select({customers.C("name"), revenue.C("revenue"),
              func::Rank().Over(Window().OrderBy(revenue.C("revenue").Desc())).Label("rank")})
          .With(revenue)
          .From(revenue)
          .Join(customers, customers.C("id") == revenue.C("customer_id"))
          .OrderBy(Expr(revenue.C("revenue")).Desc())
          .WithHint(orders, "USE INDEX (orders_customer_idx)", "mysql");  // not for us
  DUO_RETURN_IF_ERROR(db.Transaction([&](Session& s) -> absl::Status {
    DUO_ASSIGN_OR_RETURN(Result result, s.Execute(ranked));
    std::printf("5. revenue per customer with rank() over a CTE (in a transaction):\n");
    PrintRows(result);
    return absl::OkStatus();
  }));

  // A failing transaction leaves nothing behind.
  const absl::Status refused = db.Transaction([&](Session& s) -> absl::Status {
    DUO_RETURN_IF_ERROR(
        s.Execute(duo::sql::Update(orders).Set("status", "cancelled")).status());
    return s.Execute(Insert(customers).Values({{"id", 4}, {"name", "Ada"}})).status();
  });
  DUO_ASSIGN_OR_RETURN(
      Result cancelled,
      db.Execute(Select({func::Count()}).From(orders).Where(status == "cancelled")));
  const std::optional<duo::ErrorDetails> why = duo::GetErrorDetails(refused);
  std::printf("6. a transaction that cancelled every order then hit a %s (%s) and rolled back: "
              "%lld orders cancelled\n",
              std::string(duo::ErrorKindName(duo::GetErrorKind(refused))).c_str(),
              why ? why->constraint.c_str() : "?",
              static_cast<long long>(*cancelled.Scalar<int64_t>()));

  // A standalone session: the caller owns BEGIN and COMMIT.
  DUO_ASSIGN_OR_RETURN(Session session, db.StandaloneSession());
  DUO_RETURN_IF_ERROR(session.Begin());
  DUO_ASSIGN_OR_RETURN(
      Result shipped,
      session.Execute(duo::sql::Update(orders)
                          .Set("status", "shipped")
                          .Where(status == "completed" && orders.C("customer_id") == 1)
                          .Returning({orders.C("id")})));
  DUO_RETURN_IF_ERROR(session.Commit());
  std::printf("7. standalone session shipped %zu orders (RETURNING their ids)\n", shipped.size());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = argc > 1 ? argv[1] : "sqlite:///duo_quickstart.db";
  // `bazel run` starts programs in their runfiles; a relative SQLite path
  // belongs to the directory the user ran it from.
  if (const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY"); cwd != nullptr) {
    std::filesystem::current_path(cwd);
  }
  absl::Status status = Run(url);
  if (!status.ok()) {
    std::fprintf(stderr, "quickstart failed: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
