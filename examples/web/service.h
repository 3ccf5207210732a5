// A REST service over the quickstart's models (customers and their orders)
// on cpp-httplib: DuoORM inside a web framework.
//
//   GET    /customers?name=&city=&page=&per_page=          a page of customers
//   GET    /customers/{id}                                 one, with its orders
//   POST   /customers                                      create; "orders": [...] too
//   PATCH  /customers/{id}                                 change the fields given
//   DELETE /customers/{id}                                 delete, with its orders
//   GET    /orders?status=&customer=&customer_id=&min_total=&order_by=&page=&per_page=
//   GET    /orders/{id}, POST /orders, PATCH /orders/{id}, DELETE /orders/{id}
//
// Bodies are JSON objects, read and written by the models' JSON conversion
// (duo/model/json.h). Each request runs in one transaction (read-only for
// GET): a request that fails leaves nothing written. Replies:
//
//   200, 201, 204  done (201 with a Location header)
//   400  the body is not a JSON object, or names a field that is no column
//        or is "id" (the database assigns it); a bad query parameter
//   404  no row with that id
//   409  a unique constraint refused the row (another customer has the name)
//   422  a value its field cannot hold, a Validate veto, an order of a
//        customer that does not exist: {"error": ..., "field": ...}
//   503  the database is unreachable or asked for the transaction again
//   500  anything else (the status goes to stderr, not to the client)
//
// Every error body is {"error": "<message>"}, with "field" on a 422 when the
// field is known (nested ones as "orders[1].total").

#ifndef EXAMPLES_WEB_SERVICE_H_
#define EXAMPLES_WEB_SERVICE_H_

#include "duo/session/database.h"
#include "httplib.h"

namespace web {

// Adds the routes above to `server`; requests run against `db`, which must
// be the database duo::Models::Default() is bound to: model calls join a
// request's transaction only when they run on its database. `server` may
// serve requests on many threads (a Database is safe to share).
void AddRoutes(const duo::Database& db, httplib::Server& server);

}  // namespace web

#endif  // EXAMPLES_WEB_SERVICE_H_
