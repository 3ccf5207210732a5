// MySQL's and MariaDB's URLs: mysql://user:password@host:port/database?options
// (mariadb:// too), the form SQLAlchemy's and Connector/J's URLs take. A
// unix socket is the option unix_socket=/path/mysqld.sock (see
// duo/engine/mysql/connector.cc for every option).

#include "duo/engine/url_scheme.h"

namespace duo::engine {
namespace {

const UrlSchemeRegistrar kMysqlScheme({
    .names = {"mysql", "mariadb"},
    .form = UrlScheme::Form::kServer,
    .driver_target = "//duo/engine/mysql:driver",
});

}  // namespace
}  // namespace duo::engine
