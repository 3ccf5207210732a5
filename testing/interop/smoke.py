"""Checks the harness: SQLAlchemy writes rows a C++ test reads, and reads
the rows that test wrote. Usage: smoke.py BACKEND TARGET"""

import json
import sys

import sqlalchemy

import duo_client


def main(backend, target):
    engine = duo_client.engine(backend, target)
    table = sqlalchemy.Table(
        "smoke", sqlalchemy.MetaData(), autoload_with=engine
    )
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"id": 2, "name": "from python"}])
        rows = connection.execute(
            sqlalchemy.select(table.c.id, table.c.name).order_by(table.c.id)
        ).all()
    print(json.dumps([[row.id, row.name] for row in rows]))


if __name__ == "__main__":
    main(*sys.argv[1:])
