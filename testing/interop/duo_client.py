"""Connections for the cross-client tests' Python side.

Every script is called by a C++ test (testing/python_client.h) with the
backend ("sqlite" or "postgres") and the database's native target: the
SQLite file name, or the libpq conninfo string of the throwaway server
(host=<socket directory> user=... dbname=...).
"""

import sqlite3

import sqlalchemy


def engine(backend, target):
    """A SQLAlchemy engine on the test database, as an application makes one."""
    if backend == "sqlite":
        return sqlalchemy.create_engine("sqlite:///" + target, future=True)
    if backend == "postgres":
        import psycopg2

        # The fixture's conninfo names a unix socket directory, which a
        # SQLAlchemy URL can only carry as a query option; connecting through
        # psycopg2 with the conninfo as given keeps it exact.
        return sqlalchemy.create_engine(
            "postgresql+psycopg2://",
            creator=lambda: psycopg2.connect(target),
            future=True,
        )
    raise ValueError("unknown backend " + backend)


def dbapi_connection(backend, target):
    """The plain DB-API connection: Python's sqlite3 module, or psycopg2."""
    if backend == "sqlite":
        return sqlite3.connect(target)
    if backend == "postgres":
        import psycopg2

        return psycopg2.connect(target)
    raise ValueError("unknown backend " + backend)
