"""SQLAlchemy's side of testing/interop/types_test.cc: UUIDs (and lists of
them), enums, times of day and intervals in tables made by DuoORM ("duo_things") and by
SQLAlchemy's create_all ("sa_things"), declared as docs/types.md ("Sharing a
database with other clients") tells a SQLAlchemy 1.4 user to declare them.

Usage: column_types.py COMMAND BACKEND TARGET [TABLE]
  create  create_all of "sa_things"
  write   inserts the rows below (ids 101-103) into TABLE
  read    prints every row of TABLE as SQLAlchemy reads it, and as the plain
          DB-API driver (sqlite3 / psycopg2) reads the stored values, as JSON
"""

import datetime
import enum
import json
import sys
import uuid

import sqlalchemy
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import CHAR, TypeDecorator

import duo_client


class GUID(TypeDecorator):
    """SQLAlchemy 1.4's documented "Backend-agnostic GUID Type": uuid on
    PostgreSQL, CHAR(32) hexadecimal digits elsewhere."""

    impl = CHAR
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID())
        return dialect.type_descriptor(CHAR(32))

    def process_bind_param(self, value, dialect):
        if value is None:
            return value
        if dialect.name == "postgresql":
            return str(value)
        if not isinstance(value, uuid.UUID):
            value = uuid.UUID(value)
        return "%.32x" % value.int

    def process_result_value(self, value, dialect):
        if value is None:
            return value
        if not isinstance(value, uuid.UUID):
            value = uuid.UUID(value)
        return value


class GUIDArray(TypeDecorator):
    """A list of UUIDs as DuoORM stores a std::vector<duo::sql::Uuid>: uuid[]
    on PostgreSQL; elsewhere a JSON array of GUID's 32 hexadecimal digits,
    written without spaces, as DuoORM writes it."""

    impl = sqlalchemy.Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(postgresql.UUID(as_uuid=True)))
        return dialect.type_descriptor(sqlalchemy.Text())

    def process_bind_param(self, value, dialect):
        if value is None:
            return value
        value = [item if isinstance(item, uuid.UUID) else uuid.UUID(item) for item in value]
        if dialect.name == "postgresql":
            return value
        return json.dumps(["%.32x" % item.int for item in value], separators=(",", ":"))

    def process_result_value(self, value, dialect):
        if value is None:
            return value
        if dialect.name != "postgresql":
            value = json.loads(value)
        return [item if isinstance(item, uuid.UUID) else uuid.UUID(item) for item in value]


# Member names equal to DuoORM's labels: Enum(Mood) stores the names.
class Mood(enum.Enum):
    sad = 1
    ok = 2
    happy = 3


# Python-style member names: values_callable makes Enum store the values,
# which are DuoORM's labels.
class Status(enum.Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


def things(name):
    return sqlalchemy.Table(
        name,
        sqlalchemy.MetaData(),
        sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
        sqlalchemy.Column("ref", GUID(), nullable=False),
        sqlalchemy.Column("opens", sqlalchemy.Time, nullable=False),
        sqlalchemy.Column("wait", sqlalchemy.Interval, nullable=False),
        # A native enum type named as the C++ declaration's kTypeName.
        sqlalchemy.Column("mood", sqlalchemy.Enum(Mood, name="thing_mood"), nullable=False),
        sqlalchemy.Column(
            "status",
            sqlalchemy.Enum(
                Status,
                native_enum=False,
                create_constraint=False,
                length=20,
                values_callable=lambda members: [member.value for member in members],
            ),
            nullable=False,
        ),
        sqlalchemy.Column("refs", GUIDArray(), nullable=False),
    )


ROWS = [
    dict(
        id=101,
        ref=uuid.UUID("00000000-0000-0000-0000-000000000000"),
        opens=datetime.time(0, 0),
        wait=datetime.timedelta(0),
        mood=Mood.sad,
        status=Status.DRAFT,
        refs=[],
    ),
    dict(
        id=102,
        ref=uuid.UUID("ffffffff-ffff-ffff-ffff-ffffffffffff"),
        opens=datetime.time(23, 59, 59, 999999),
        wait=datetime.timedelta(days=400, microseconds=1),
        mood=Mood.happy,
        status=Status.ACTIVE,
        refs=[
            uuid.UUID("ffffffff-ffff-ffff-ffff-ffffffffffff"),
            uuid.UUID("00000000-0000-0000-0000-000000000000"),
        ],
    ),
    dict(
        id=103,
        ref=uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        opens=datetime.time(12, 34, 56, 500000),
        wait=-datetime.timedelta(hours=26, microseconds=500000),
        mood=Mood.ok,
        status=Status.RETIRED,
        refs=[
            uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        ],
    ),
]


def micros(delta):
    return delta // datetime.timedelta(microseconds=1)


def read(backend, target, name):
    engine = duo_client.engine(backend, target)
    table = things(name)
    with engine.connect() as connection:
        rows = connection.execute(sqlalchemy.select(table).order_by(table.c.id)).all()
    out = {"sqlalchemy": [], "dbapi": []}
    for row in rows:
        out["sqlalchemy"].append(
            [
                row.id,
                str(row.ref),
                row.opens.isoformat(),
                micros(row.wait),
                row.mood.name,
                row.status.value,
                [str(item) for item in row.refs],
            ]
        )
    connection = duo_client.dbapi_connection(backend, target)
    cursor = connection.cursor()
    if backend == "sqlite":
        cursor.execute(
            'SELECT id, ref, opens, wait, mood, status, refs FROM "%s" ORDER BY id' % name
        )
    else:
        cursor.execute(
            'SELECT id, ref::text, opens::text, (extract(epoch FROM wait) * 1000000)::bigint, '
            "mood::text, status::text, refs::text, pg_typeof(ref)::text, "
            "pg_typeof(mood)::text, pg_typeof(refs)::text "
            'FROM "%s" ORDER BY id' % name
        )
    out["dbapi"] = [list(row) for row in cursor.fetchall()]
    connection.close()
    print(json.dumps(out))


def main(command, backend, target, name="sa_things"):
    if command == "create":
        things(name).metadata.create_all(duo_client.engine(backend, target))
    elif command == "write":
        engine = duo_client.engine(backend, target)
        with engine.begin() as connection:
            connection.execute(things(name).insert(), ROWS)
    elif command == "read":
        read(backend, target, name)
    else:
        raise ValueError("unknown command " + command)


if __name__ == "__main__":
    main(*sys.argv[1:])
