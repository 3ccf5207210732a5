#include "examples/web/service.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/model/json.h"
#include "duo/query/hooks.h"
#include "duo/query/query.h"
#include "examples/quickstart/models.h"
#include "nlohmann/json.hpp"

namespace web {
namespace {

using ::nlohmann::json;
using ::quickstart::Customer;
using ::quickstart::Order;

// What a handler answers.
struct Reply {
  int status = 200;
  json body;             // none (null) for 204
  std::string location;  // where a created row lives
};

using Handler = absl::StatusOr<Reply> (*)(const httplib::Request&);

// ---------------------------------------------------------------------------
// Errors. Handlers fail with an absl::Status like any DuoORM call; ErrorReply
// turns it into HTTP. abseil has no code for 422, so the errors this file
// raises for a value the client sent carry the field at fault as a payload,
// whose presence makes the reply a 422.

constexpr char kFieldPayload[] = "type.duo.dev/web.Field";

absl::Status BadRequest(absl::string_view message) { return absl::InvalidArgumentError(message); }

// `field` may be empty: a Validate veto no single field explains.
absl::Status Unprocessable(absl::string_view field, absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kFieldPayload, absl::Cord(field));
  return status;
}

// "total", or "orders[1].total" for a field of a nested object.
std::string FieldPath(absl::string_view where, absl::string_view field) {
  return where.empty() ? std::string(field) : absl::StrCat(where, ".", field);
}

int HttpStatusOf(const absl::Status& status) {
  if (status.GetPayload(kFieldPayload).has_value()) return 422;
  const duo::ErrorKind kind = duo::GetErrorKind(status);
  if (kind == duo::ErrorKind::kUniqueViolation) return 409;
  if (duo::IsIntegrityViolation(status)) return 422;
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      // The request's fault (a bad order_by, a value out of range), unless
      // the database says it is the SQL's: then it is ours.
      return kind == duo::ErrorKind::kOther ? 400 : 500;
    case absl::StatusCode::kAborted:      // a serialization failure: run it again
    case absl::StatusCode::kUnavailable:  // the database is unreachable
      return 503;
    default:
      return 500;
  }
}

Reply ErrorReply(const absl::Status& status, const httplib::Request& request) {
  const int code = HttpStatusOf(status);
  if (code >= 500) {
    // The message may quote SQL and name tables: it is for the operator.
    std::fprintf(stderr, "web: %s %s: %s\n", request.method.c_str(), request.path.c_str(),
                 duo::ErrorString(status).c_str());
    return {code,
            {{"error",
              code == 503 ? "the database is busy or unreachable; try again" : "internal error"}}};
  }
  if (std::optional<duo::ErrorDetails> details = duo::GetErrorDetails(status)) {
    // A constraint the database enforced: name it, without the SQL.
    std::string message(duo::ErrorKindName(details->kind));
    if (!details->constraint.empty()) absl::StrAppend(&message, ": ", details->constraint);
    return {code, {{"error", message}}};
  }
  json body = {{"error", std::string(status.message())}};
  if (const auto field = status.GetPayload(kFieldPayload); field && !field->empty()) {
    body["field"] = std::string(*field);
  }
  return {code, std::move(body)};
}

// ---------------------------------------------------------------------------
// Requests.

absl::StatusOr<json> ParseBody(const httplib::Request& request) {
  json body = json::parse(request.body, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return BadRequest("the body is not JSON");
  if (!body.is_object()) return BadRequest("the body must be a JSON object");
  return body;
}

// Refuses query parameters the route does not know: a typo ("stauts=")
// would otherwise widen the answer silently.
absl::Status CheckParams(const httplib::Request& request,
                         std::initializer_list<absl::string_view> known) {
  for (const auto& [name, value] : request.params) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return BadRequest(absl::StrCat("unknown query parameter \"", name, "\"; this route takes ",
                                     absl::StrJoin(known, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> IntParam(const httplib::Request& request, const char* name, int64_t absent,
                                 int64_t min, int64_t max) {
  if (!request.has_param(name)) return absent;
  int64_t value = 0;
  if (!absl::SimpleAtoi(request.get_param_value(name), &value) || value < min || value > max) {
    return BadRequest(
        absl::StrCat("query parameter ", name, " must be an integer from ", min, " to ", max));
  }
  return value;
}

// The row whose id the route's pattern captured, or NotFound.
template <typename T>
absl::StatusOr<T> Find(const duo::Query<T>& query, const httplib::Request& request) {
  const std::string id = request.matches[1].str();
  int64_t key = 0;
  std::optional<T> row;
  if (absl::SimpleAtoi(id, &key)) {
    DUO_ASSIGN_OR_RETURN(row, query.Get(key));
  }
  if (!row.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no row ", id, " in ", duo::MetaOf<T>().table().name()));
  }
  return *std::move(row);
}

// Sets the fields of the JSON object `fields` on `object` (`where` locates
// it in the body, for messages) and runs the model's Validate hook. 400 for
// a field that is no column or is the key (the database assigns it); 422
// for a value its column cannot take, or that Validate vetoes. The ORM
// validates again when it writes; validating here tells a veto apart from
// the other InvalidArgument errors of a write, and names the field.
template <typename T>
absl::Status Apply(const json& fields, absl::string_view where, T& object) {
  if (!fields.is_object()) {
    return BadRequest(absl::StrCat(where.empty() ? "the body" : where, " must be a JSON object"));
  }
  duo::Payload changes;
  for (const auto& [field, value] : fields.items()) {
    if (field == "id") {
      return BadRequest(absl::StrCat(FieldPath(where, field), ": the database assigns ids"));
    }
    // One field at a time, so that an error is known to be this field's.
    absl::StatusOr<duo::Payload> change = duo::PayloadFromJson<T>(json::object({{field, value}}));
    if (!change.ok() && duo::MetaOf<T>().FindColumn(field) == nullptr) {
      // The message lists the columns.
      return BadRequest(absl::StrCat(where, where.empty() ? "" : ": ", change.status().message()));
    }
    if (!change.ok()) return Unprocessable(FieldPath(where, field), change.status().message());
    changes.push_back(std::move(change->front()));
  }
  DUO_RETURN_IF_ERROR(duo::Model<T>::Assign(object, changes));
  if constexpr (duo::hooks::HasValidate<T>) {
    if (absl::Status veto = object.Validate(); !veto.ok()) {
      // The fields the veto names (duo::ValidationError); a rule without
      // fields points at the object.
      const std::vector<std::string> named = duo::ValidationFields(veto);
      return Unprocessable(named.empty() ? "" : FieldPath(where, named.front()), veto.message());
    }
  }
  return absl::OkStatus();
}

// An order must belong to a customer that exists. The foreign key refuses
// it too, but as a bare constraint violation; this names the field.
absl::Status CheckReferences(const Customer&, absl::string_view) { return absl::OkStatus(); }
absl::Status CheckReferences(const Order& order, absl::string_view where) {
  DUO_ASSIGN_OR_RETURN(bool exists,
                       Customer::Where(duo::col(&Customer::id) == order.customer_id).Exists());
  if (exists) return absl::OkStatus();
  return Unprocessable(FieldPath(where, "customer_id"),
                       absl::StrCat("no customer has id ", order.customer_id));
}

// ---------------------------------------------------------------------------
// Handlers. Each runs inside the request's transaction (see Serve).

template <typename T>
absl::StatusOr<Reply> ListPage(const duo::Query<T>& query, const httplib::Request& request) {
  DUO_ASSIGN_OR_RETURN(int64_t page, IntParam(request, "page", 1, 1, 1'000'000));
  DUO_ASSIGN_OR_RETURN(int64_t per_page, IntParam(request, "per_page", 20, 1, 100));
  DUO_ASSIGN_OR_RETURN(duo::Page<T> rows, query.Page(page, per_page));
  json items = json::array();
  for (const T& row : rows.items) items.push_back(duo::ToJson(row));
  return Reply{.body = {{"items", std::move(items)},
                        {"page", rows.page},
                        {"per_page", rows.per_page},
                        {"pages", rows.pages},
                        {"total", rows.total}}};
}

absl::StatusOr<Reply> ListCustomers(const httplib::Request& request) {
  DUO_RETURN_IF_ERROR(CheckParams(request, {"name", "city", "page", "per_page"}));
  std::vector<duo::Filter> filters;
  for (const char* column : {"name", "city"}) {
    if (request.has_param(column)) filters.push_back({column, request.get_param_value(column)});
  }
  return ListPage(Customer::Query().FilterBy(filters).OrderBy("id"), request);
}

absl::StatusOr<Reply> ListOrders(const httplib::Request& request) {
  DUO_RETURN_IF_ERROR(CheckParams(
      request, {"status", "customer", "customer_id", "min_total", "order_by", "page", "per_page"}));
  duo::Query<Order> query = Order::Query();
  if (request.has_param("status")) {
    query = query.FilterBy({{"status", request.get_param_value("status")}});
  }
  if (request.has_param("customer")) {  // a related path: the ORM joins customers
    query = query.FilterBy({{"customer.name", request.get_param_value("customer")}});
  }
  if (request.has_param("customer_id")) {
    DUO_ASSIGN_OR_RETURN(int64_t id, IntParam(request, "customer_id", 0, 1, INT64_MAX));
    query = query.Where(duo::col(&Order::customer_id) == id);
  }
  if (request.has_param("min_total")) {
    double min_total = 0;
    if (!absl::SimpleAtod(request.get_param_value("min_total"), &min_total)) {
      return BadRequest("query parameter min_total must be a number");
    }
    query = query.Where(duo::col(&Order::total) >= min_total);
  }
  // A string key such as "-total", checked against the model when the query
  // runs: an unknown column is InvalidArgument naming the valid ones (400).
  // The id last, so that pages of equal keys do not overlap.
  const std::string order_by =
      request.has_param("order_by") ? request.get_param_value("order_by") : "id";
  return ListPage(query.OrderBy(order_by, "id"), request);
}

absl::StatusOr<Reply> GetCustomer(const httplib::Request& request) {
  DUO_ASSIGN_OR_RETURN(Customer customer, Find(Customer::Related("orders"), request));
  json body = duo::ToJson(customer);
  body.emplace("orders", json::array());  // ToJson leaves out a relationship with no rows
  return Reply{.body = std::move(body)};
}

absl::StatusOr<Reply> GetOrder(const httplib::Request& request) {
  DUO_ASSIGN_OR_RETURN(Order order, Find(Order::Query(), request));
  return Reply{.body = duo::ToJson(order)};
}

// A customer, and with "orders": [...] its first orders: several inserts,
// which the request's transaction makes all or nothing.
absl::StatusOr<Reply> CreateCustomer(const httplib::Request& request) {
  DUO_ASSIGN_OR_RETURN(json body, ParseBody(request));
  json orders = json::array();
  if (auto it = body.find("orders"); it != body.end()) {
    orders = std::move(*it);
    body.erase(it);
  }
  if (!orders.is_array()) return BadRequest("orders must be an array");
  Customer customer;
  DUO_RETURN_IF_ERROR(Apply(body, "", customer));
  DUO_ASSIGN_OR_RETURN(customer, Customer::Create(std::move(customer)));
  for (size_t i = 0; i < orders.size(); ++i) {
    const std::string where = absl::StrCat("orders[", i, "]");
    if (orders[i].is_object() && orders[i].contains("customer_id")) {
      return BadRequest(
          absl::StrCat(where, ".customer_id: nested orders belong to the customer they come with"));
    }
    Order order;
    order.customer_id = customer.id;
    DUO_RETURN_IF_ERROR(Apply(orders[i], where, order));
    DUO_ASSIGN_OR_RETURN(Order created, Order::Create(std::move(order)));
    customer.orders.push_back(std::move(created));
  }
  json reply = duo::ToJson(customer);
  reply.emplace("orders", json::array());
  return Reply{.status = 201,
               .body = std::move(reply),
               .location = absl::StrCat("/customers/", customer.id)};
}

absl::StatusOr<Reply> CreateOrder(const httplib::Request& request) {
  DUO_ASSIGN_OR_RETURN(json body, ParseBody(request));
  Order order;
  DUO_RETURN_IF_ERROR(Apply(body, "", order));
  DUO_RETURN_IF_ERROR(CheckReferences(order, ""));
  DUO_ASSIGN_OR_RETURN(order, Order::Create(std::move(order)));
  return Reply{
      .status = 201, .body = duo::ToJson(order), .location = absl::StrCat("/orders/", order.id)};
}

// Changes the fields the body names; the others keep their values.
template <typename T>
absl::StatusOr<Reply> Patch(const httplib::Request& request) {
  DUO_ASSIGN_OR_RETURN(json body, ParseBody(request));
  DUO_ASSIGN_OR_RETURN(T row, Find(T::Query(), request));
  DUO_RETURN_IF_ERROR(Apply(body, "", row));
  DUO_RETURN_IF_ERROR(CheckReferences(row, ""));
  DUO_RETURN_IF_ERROR(row.Save());
  return Reply{.body = duo::ToJson(row)};
}

// Deleting a customer deletes its orders: the foreign key cascades.
template <typename T>
absl::StatusOr<Reply> Delete(const httplib::Request& request) {
  DUO_ASSIGN_OR_RETURN(T row, Find(T::Query(), request));
  DUO_RETURN_IF_ERROR(row.Delete());
  return Reply{.status = 204};
}

// Runs `handler` in one transaction of `db` and sends its reply: commit
// when it succeeds, roll back when it fails, so that a failed request
// leaves nothing written. Reads run read-only.
void Serve(const duo::Database& db, Handler handler, bool read_only,
           const httplib::Request& request, httplib::Response& response) {
  absl::StatusOr<Reply> reply;
  const absl::Status status = db.Transaction(
      [&](duo::Session&) -> absl::Status {
        reply = handler(request);
        return reply.status();
      },
      {.read_only = read_only});
  // The handler may succeed and the commit still fail: the transaction's
  // status decides.
  const Reply sent = status.ok() ? *std::move(reply) : ErrorReply(status, request);
  response.status = sent.status;
  if (!sent.location.empty()) response.set_header("Location", sent.location);
  if (!sent.body.is_null()) {
    // Text another client stored may not be UTF-8: replaced, where the
    // default would throw.
    response.set_content(sent.body.dump(-1, ' ', false, json::error_handler_t::replace),
                         "application/json");
  }
}

}  // namespace

void AddRoutes(const duo::Database& db, httplib::Server& server) {
  const auto route = [db](Handler handler, bool read_only) {
    return [db, handler, read_only](const httplib::Request& request, httplib::Response& response) {
      Serve(db, handler, read_only, request, response);
    };
  };
  constexpr bool kRead = true;
  constexpr bool kWrite = false;
  const char* const customer = R"(/customers/(\d+))";
  const char* const order = R"(/orders/(\d+))";
  server.Get("/customers", route(ListCustomers, kRead));
  server.Get(customer, route(GetCustomer, kRead));
  server.Post("/customers", route(CreateCustomer, kWrite));
  server.Patch(customer, route(Patch<Customer>, kWrite));
  server.Delete(customer, route(Delete<Customer>, kWrite));
  server.Get("/orders", route(ListOrders, kRead));
  server.Get(order, route(GetOrder, kRead));
  server.Post("/orders", route(CreateOrder, kWrite));
  server.Patch(order, route(Patch<Order>, kWrite));
  server.Delete(order, route(Delete<Order>, kWrite));
}

}  // namespace web
