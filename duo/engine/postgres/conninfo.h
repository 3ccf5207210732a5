// A PostgreSQL DatabaseUrl as libpq's conninfo string, what PQconnectdb
// takes.

#ifndef DUO_ENGINE_POSTGRES_CONNINFO_H_
#define DUO_ENGINE_POSTGRES_CONNINFO_H_

#include <string>

#include "duo/engine/url.h"

namespace duo::engine {

// The libpq conninfo string of `url` ("host='db' port='5432'
// dbname='orders' user='app' password='...'"), then its options as
// keywords. Parts left empty are omitted so that libpq's defaults apply.
// It contains the password in clear: never log it.
std::string LibpqConnInfo(const DatabaseUrl& url);

}  // namespace duo::engine

#endif  // DUO_ENGINE_POSTGRES_CONNINFO_H_
