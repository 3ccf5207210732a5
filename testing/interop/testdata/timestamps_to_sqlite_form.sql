-- duo-migrate revision
-- id: 5e1f0c0a7d19
-- parent: base
-- message: timestamps in the form SQLite's date functions print
-- dialect: sqlite
-- created: 2026-12-07T14:00:00Z
-- transactional: true

-- duo:up
-- DuoORM's earlier 2026-11-25T09:30:00.123456Z becomes 2026-11-25 09:30:00.123456:
-- the same instant, digit for digit. One UPDATE per timestamp column; other
-- forms (SQLAlchemy's, CURRENT_TIMESTAMP's) are left as they are.
UPDATE "events" SET "at" = replace(substr("at", 1, 26), 'T', ' ')
  WHERE "at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z';

-- duo:down
UPDATE "events" SET "at" = replace("at", ' ', 'T') || 'Z'
  WHERE "at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]';

-- duo:end
