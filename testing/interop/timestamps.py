"""SQLite timestamps shared by DuoORM, SQLAlchemy and SQLite itself.

Usage: timestamps.py write FILE   (after DuoORM wrote its rows)
       timestamps.py read FILE X  (X: the filter instant, "YYYY-MM-DD HH:MM:SS.ffffff")
       timestamps.py dump FILE TABLE  (SQLAlchemy's DateTime reading of TABLE.at)

`write` creates events_sa with SQLAlchemy's create_all (a DateTime column
with a CURRENT_TIMESTAMP server default, as SQLAlchemy applications declare
it) and writes, into it and into DuoORM's events_duo: the edge instants
through SQLAlchemy's DateTime, and through the sqlite3 module the forms
SQLite's own functions produce (CURRENT_TIMESTAMP, datetime('now'),
strftime's three digits) and DuoORM's earlier T...Z form.

`read` prints JSON: per table, every row as an independent oracle parses
its raw text, as SQLAlchemy's DateTime reads it, and as sqlite3's own
timestamp converter reads it; and for three range filters the ids the
oracle selects, the ids SQLAlchemy's plain comparison selects among rows in
the six-digit form, and the ids SQLAlchemy selects comparing through the
normalized form docs/types.md gives.
"""

import datetime
import json
import re
import sqlite3
import sys

import sqlalchemy
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select, text

import duo_client

EDGES = [
    "2026-01-01 10:00:00.000000",  # X
    "2026-01-01 09:59:59.999999",
    "2026-01-01 10:00:00.000001",
    "2026-01-01 07:00:00.000000",
    "2026-01-01 13:00:00.000000",
    "2026-01-01 10:59:59.999999",
    "2026-01-01 11:00:00.000000",
    "0001-01-01 00:00:00.000000",
    "9999-12-31 23:59:59.999999",
    "2024-02-29 12:00:00.500000",
]

# What SQLite's functions and DuoORM 0.x stored; every one at or around X.
RAW_FORMS = [
    ("current_timestamp_form", "2026-01-01 10:00:00"),
    ("strftime_form", "2026-01-01 10:00:00.000"),
    ("strftime_form_after", "2026-01-01 10:00:00.001"),
    ("old_duo_form", "2026-01-01T10:00:00.000000Z"),
    ("old_duo_form_before", "2026-01-01T07:00:00.000000Z"),
    ("current_timestamp_form_before", "2026-01-01 09:59:59"),
]

TABLES = ["events_duo", "events_sa"]

# The oracle: a parser of its own, not SQLAlchemy's, sqlite3's or DuoORM's.
ORACLE = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z?$"
)


def oracle(raw):
    m = ORACLE.match(raw)
    if not m:
        raise ValueError("oracle cannot parse " + repr(raw))
    y, mo, d, h, mi, s, frac = m.groups()
    micros = int((frac or "").ljust(6, "0"))
    return datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micros)


def iso(value):
    # strftime's %Y prints year 1 as "1".
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (
        value.year, value.month, value.day, value.hour, value.minute, value.second,
        value.microsecond,
    )


def normalized(column):
    """The six-digit text of a timestamp column, whatever form a row holds
    (docs/types.md, "Sharing a database with other clients"). The functions
    are typed String so that + renders as SQL's ||, not as addition."""
    text = sqlalchemy.String()
    return func.replace(func.substr(column, 1, 19), "T", " ", type_=text) + sqlalchemy.case(
        (
            func.substr(column, 20, 1) == ".",
            func.substr(func.rtrim(func.substr(column, 20), "Z", type_=text) + "00000", 1, 7),
        ),
        else_=".000000",
    )


def tables(metadata):
    duo = Table("events_duo", metadata, autoload_with=ENGINE)
    sa = Table(
        "events_sa",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("source", String(40), nullable=False),
        Column("at", DateTime, server_default=text("CURRENT_TIMESTAMP")),
    )
    return {"events_duo": duo, "events_sa": sa}


def write(target):
    metadata = MetaData()
    t = tables(metadata)
    metadata.create_all(ENGINE, tables=[t["events_sa"]])
    # Through SQLAlchemy's DateTime: its engine must write the edges as it
    # always does, into a table DuoORM made too. events_duo's column is
    # reflected as DuoORM's TIMESTAMP_TEXT, which SQLAlchemy does not know:
    # declare it DateTime as an application would.
    duo_at = Table(
        "events_duo",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("source", String),
        Column("at", DateTime),
    )
    with ENGINE.begin() as connection:
        for table in (t["events_sa"], duo_at):
            connection.execute(
                table.insert(),
                [
                    {"source": "sqlalchemy", "at": datetime.datetime.strptime(e, "%Y-%m-%d %H:%M:%S.%f")}
                    for e in EDGES
                ],
            )
    raw = sqlite3.connect(target)
    with raw:
        for name in TABLES:
            for source, value in RAW_FORMS:
                raw.execute(f"INSERT INTO {name} (source, at) VALUES (?, ?)", (source, value))
            raw.execute(f"INSERT INTO {name} (source, at) VALUES ('datetime_now', datetime('now'))")
        raw.execute("INSERT INTO events_sa (source) VALUES ('current_timestamp_default')")
    raw.close()
    print(json.dumps("ok"))


def read(target, x):
    bound = datetime.datetime.strptime(x, "%Y-%m-%d %H:%M:%S.%f")
    hour_later = bound + datetime.timedelta(hours=1)
    filters = {
        "at_or_after_x": lambda at: at >= bound,
        "first_hour": lambda at: bound <= at < hour_later,
        "before_x": lambda at: at < bound,
    }
    sa_filters = {
        "at_or_after_x": lambda c, b, h: c >= b,
        "first_hour": lambda c, b, h: sqlalchemy.and_(c >= b, c < h),
        "before_x": lambda c, b, h: c < b,
    }
    metadata = MetaData()
    declared = {
        name: Table(
            name,
            metadata,
            Column("id", Integer, primary_key=True),
            Column("source", String),
            Column("at", DateTime),
        )
        for name in TABLES
    }
    raw = sqlite3.connect(target, detect_types=sqlite3.PARSE_COLNAMES)
    out = {}
    with ENGINE.connect() as connection:
        for name, table in declared.items():
            rows = raw.execute(f"SELECT id, source, at FROM {name} ORDER BY id").fetchall()
            # sqlite3's own converter reads the space-separated forms only
            # (it raises on DuoORM's earlier T...Z).
            converted = raw.execute(
                f'SELECT id, at AS "parsed [timestamp]" FROM {name} WHERE at NOT LIKE \'%T%\''
            ).fetchall()
            oracle_rows = {row[0]: oracle(row[2]) for row in rows}
            six_digit = {row[0] for row in rows if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", row[2])}
            # SQLAlchemy cannot parse DuoORM's earlier T...Z form ("Couldn't
            # parse datetime string"): the data migration converts it.
            sa_rows = {
                row.id: iso(row.at)
                for row in connection.execute(
                    select(table.c.id, table.c.at).where(table.c.at.not_like("%T%"))
                )
            }
            result = {
                "rows": {str(i): {"source": s, "raw": r} for i, s, r in rows},
                "oracle": {str(i): iso(v) for i, v in oracle_rows.items()},
                "sqlalchemy": {str(i): v for i, v in sa_rows.items()},
                "sqlite3_converter": {str(i): iso(p) for i, p in converted},
                "filters": {},
            }
            for fname, keep in filters.items():
                expected = sorted(i for i, v in oracle_rows.items() if keep(v))
                plain = connection.execute(
                    select(table.c.id)
                    .where(table.c.id.in_(sorted(six_digit)))
                    .where(sa_filters[fname](table.c.at, bound, hour_later))
                ).scalars().all()
                norm = connection.execute(
                    select(table.c.id).where(
                        sa_filters[fname](normalized(table.c.at), iso(bound), iso(hour_later))
                    )
                ).scalars().all()
                result["filters"][fname] = {
                    "oracle": expected,
                    "oracle_six_digit": sorted(i for i in expected if i in six_digit),
                    "sqlalchemy_plain_six_digit": sorted(plain),
                    "sqlalchemy_normalized": sorted(norm),
                }
            out[name] = result
    raw.close()
    print(json.dumps(out, sort_keys=True))


def dump(table_name):
    table = Table(
        table_name, MetaData(), Column("id", Integer, primary_key=True), Column("at", DateTime)
    )
    with ENGINE.connect() as connection:
        rows = connection.execute(select(table.c.id, table.c.at).order_by(table.c.id)).all()
    print(json.dumps({str(row.id): None if row.at is None else iso(row.at) for row in rows}))


if __name__ == "__main__":
    command, target = sys.argv[1], sys.argv[2]
    ENGINE = duo_client.engine("sqlite", target)
    if command == "write":
        write(target)
    elif command == "read":
        read(target, sys.argv[3])
    elif command == "dump":
        dump(sys.argv[3])
    else:
        raise ValueError("unknown command " + command)
