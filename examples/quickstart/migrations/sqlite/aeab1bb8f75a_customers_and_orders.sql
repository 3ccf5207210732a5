-- duo-migrate revision
-- id: aeab1bb8f75a
-- parent: base
-- message: customers and orders
-- dialect: sqlite
-- created: 2026-11-25T10:57:12Z
-- transactional: true
-- destructive-down: drop table "orders"
-- destructive-down: drop table "customers"

-- duo:up
CREATE TABLE "customers" (
  "id" INTEGER PRIMARY KEY,
  "name" VARCHAR(80) NOT NULL,
  "city" VARCHAR(80)
);

CREATE UNIQUE INDEX "customers_name_idx" ON "customers" ("name");

CREATE TABLE "orders" (
  "id" INTEGER PRIMARY KEY,
  "customer_id" BIGINT NOT NULL,
  "status" VARCHAR(20) NOT NULL DEFAULT ('pending'),
  "total" DOUBLE NOT NULL,
  "created_at" TIMESTAMP_TEXT NOT NULL,
  CONSTRAINT "orders_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON DELETE CASCADE,
  CONSTRAINT "orders_total_nonnegative" CHECK ("total" >= 0)
);

CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id");

-- duo:down
DROP TABLE "orders";

DROP TABLE "customers";
-- duo:end
