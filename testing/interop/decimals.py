"""Decimals shared by DuoORM and SQLAlchemy, on SQLite and PostgreSQL.

Usage: decimals.py write BACKEND TARGET EDGE...
       decimals.py read BACKEND TARGET

prices_duo is DuoORM's table (on SQLite a TEXT-affinity DECIMAL_TEXT(38, 10)
column holding the exact digits; numeric(38, 10) on PostgreSQL);
prices_sa is made by SQLAlchemy's create_all with Numeric(38, 10) (NUMERIC
affinity on SQLite). `write` creates prices_sa and writes the edges into
both tables the way an application would: through ExactDecimal (the
declaration docs/types.md gives for DuoORM's SQLite decimals) into
prices_duo, through Numeric everywhere else. `read` prints JSON: per table,
each row as SQLAlchemy reads it and as the DB-API driver returns it raw,
decimals as plain digits (format(d, "f"), never exponents).
"""

import decimal
import json
import sys

import sqlalchemy
from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, select

import duo_client


class ExactDecimal(sqlalchemy.types.TypeDecorator):
    """DuoORM's SQLite decimal columns: TEXT holding the exact digits.

    SQLAlchemy's Numeric raises on them ("must be real number, not str"),
    because on SQLite it expects the REAL that its own NUMERIC columns hold.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        # Plain digits: DuoORM reads [-]digits[.digits], not 1E+3.
        return None if value is None else format(decimal.Decimal(value), "f")

    def process_result_value(self, value, dialect):
        return None if value is None else decimal.Decimal(str(value))


def declaration(backend, table):
    if backend == "sqlite" and table == "prices_duo":
        return ExactDecimal()
    return Numeric(38, 10, asdecimal=True)


def table(backend, name, metadata):
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("source", String(40), nullable=False),
        Column("amount", declaration(backend, name)),
    )


def digits(value):
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return repr(value)


def write(backend, target, edges):
    engine = duo_client.engine(backend, target)
    metadata = MetaData()
    tables = {name: table(backend, name, metadata) for name in ("prices_duo", "prices_sa")}
    metadata.create_all(engine, tables=[tables["prices_sa"]])
    ids = {}
    with engine.begin() as connection:
        for name, t in tables.items():
            ids[name] = {}
            for edge in edges:
                result = connection.execute(
                    t.insert().values(source="sqlalchemy", amount=decimal.Decimal(edge))
                )
                ids[name][edge] = result.inserted_primary_key[0]
    print(json.dumps(ids))


def read(backend, target):
    engine = duo_client.engine(backend, target)
    metadata = MetaData()
    out = {}
    raw = duo_client.dbapi_connection(backend, target)
    with engine.connect() as connection:
        for name in ("prices_duo", "prices_sa"):
            t = table(backend, name, metadata)
            out[name] = {
                "sqlalchemy": {
                    str(row.id): digits(row.amount)
                    for row in connection.execute(select(t.c.id, t.c.amount))
                },
                "raw": {},
            }
            cursor = raw.cursor()
            cursor.execute(f"SELECT id, amount FROM {name}")
            for row_id, amount in cursor.fetchall():
                out[name]["raw"][str(row_id)] = {"type": type(amount).__name__, "value": digits(amount) if not isinstance(amount, str) else amount}
    raw.close()
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    command, backend, target = sys.argv[1:4]
    if command == "write":
        write(backend, target, sys.argv[4:])
    elif command == "read":
        read(backend, target)
    else:
        raise ValueError("unknown command " + command)
