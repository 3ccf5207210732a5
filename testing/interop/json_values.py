"""SQLAlchemy's side of testing/interop/json_test.cc: JSON values shared
with DuoORM. (Not json.py: on the scripts' module path that would shadow
the standard library's json, for SQLAlchemy too.)

Usage: json_values.py BACKEND TARGET setup|check

setup: creates the table sa_docs with SQLAlchemy's create_all and writes
       the edge values (rows 101-109) into it and into DuoORM's duo_docs.
check: reads DuoORM's rows (1-8) in both tables with SQLAlchemy and
       prints, as a JSON list, every way they differ from what SQLAlchemy
       reads of its own rows holding the same values (and, where the
       column keeps JSON text as written, from the values themselves).
       An empty list is a pass.

Columns (the declarations docs/types.md gives):
  doc   NOT NULL  PostgreSQL JSONB, SQLite JSON (DuoORM: jsonb / JSON_TEXT)
  maybe           PostgreSQL JSONB, SQLite JSON (DuoORM: jsonb / JSON_TEXT)
  loose           JSON on both (DuoORM: Type(Custom("JSON")))
  tags            PostgreSQL ARRAY(BigInteger), SQLite JSON (DuoORM: bigint[] /
                  ARRAY_TEXT, a JSON array)
"""

import json
import sys

import sqlalchemy
from sqlalchemy.dialects import postgresql

import duo_client


def nested(levels):
    value = {"k": [1, None]}
    for _ in range(levels):
        value = [value]
    return value


# The edge values, by case; json_test.cc writes the same ones (but 9, which
# nlohmann::json cannot hold) as rows 1-8, and SQLAlchemy as rows 101-109.
CASES = {
    1: None,  # SQLAlchemy writes JSON null; DuoORM's nullopt is SQL NULL
    2: 2**64 - 1,
    3: 1e300,
    4: -0.0,
    5: 0.1,
    6: nested(40),
    7: {"\u00e9": "\u00fc \u2713 \U0001F600 \"q\" \\ \n"},
    8: [1, None, "x", {"a": None}, []],
    9: 2**70,
}
TAGS = {1: None, 8: [1, None, 2**63 - 1]}  # [] otherwise


def table(metadata, name, backend):
    if backend == "postgres":
        binary, tags = postgresql.JSONB, postgresql.ARRAY(sqlalchemy.BigInteger)
    else:
        binary, tags = sqlalchemy.JSON, sqlalchemy.JSON
    return sqlalchemy.Table(
        name,
        metadata,
        sqlalchemy.Column("id", sqlalchemy.BigInteger, primary_key=True),
        sqlalchemy.Column("doc", binary, nullable=False),
        sqlalchemy.Column("maybe", binary),
        sqlalchemy.Column("loose", sqlalchemy.JSON),
        sqlalchemy.Column("tags", tags),
    )


def canonical(value):
    """A form that tells -0.0 from 0, 1.0 from 1 and 10**300 from 1e300."""
    return json.dumps(value, sort_keys=True)


def setup(engine, tables):
    tables["sa_docs"].metadata.create_all(engine, tables=[tables["sa_docs"]])
    with engine.begin() as connection:
        for t in tables.values():
            for case, value in CASES.items():
                connection.execute(
                    t.insert(),
                    {
                        "id": 100 + case,
                        "doc": value,
                        "maybe": value,
                        "loose": value,
                        "tags": TAGS.get(case, []),
                    },
                )
    return []


def check(engine, tables, backend):
    problems = []
    with engine.connect() as connection:
        for name, t in tables.items():
            rows = {row.id: row for row in connection.execute(sqlalchemy.select(t))}
            for case in range(1, 9):
                duo, own = rows.get(case), rows.get(100 + case)
                if duo is None or own is None:
                    problems.append(f"{name}: case {case} missing")
                    continue
                for column in ("doc", "maybe", "loose", "tags"):
                    got, want = canonical(duo[column]), canonical(own[column])
                    if got != want:
                        problems.append(
                            f"{name}.{column} case {case}: DuoORM's row reads {got}, "
                            f"SQLAlchemy's own {want}"
                        )
                # Where the column keeps the text as written, the values
                # themselves (SQLite's JSON columns are NUMERIC: a scalar
                # document becomes a number there).
                exact = ["loose"] if backend == "postgres" else []
                if name == "duo_docs" and backend == "sqlite":
                    exact = ["doc", "maybe"]
                for column in exact:
                    if canonical(duo[column]) != canonical(CASES[case]):
                        problems.append(
                            f"{name}.{column} case {case}: reads {canonical(duo[column])}, "
                            f"DuoORM wrote {canonical(CASES[case])}"
                        )
            # nullopt is SQL NULL, which SQLAlchemy reads as None like the
            # JSON null it writes itself.
            null = connection.execute(
                sqlalchemy.select(t.c.maybe.is_(None), t.c.tags.is_(None)).where(t.c.id == 1)
            ).one()
            if list(null) != [True, True]:
                problems.append(f"{name}: DuoORM's nullopt is not SQL NULL: {list(null)}")
    return problems


def main(backend, target, mode):
    engine = duo_client.engine(backend, target)
    metadata = sqlalchemy.MetaData()
    tables = {name: table(metadata, name, backend) for name in ("duo_docs", "sa_docs")}
    if mode == "setup":
        problems = setup(engine, tables)
    elif mode == "check":
        problems = check(engine, tables, backend)
    else:
        raise ValueError("unknown mode " + mode)
    print(json.dumps(problems))


if __name__ == "__main__":
    main(*sys.argv[1:])
