-- duo-migrate revision
-- id: 47af6604fc5b
-- parent: base
-- message: customers and orders
-- dialect: mysql
-- created: 2026-12-08T03:50:56Z
-- transactional: true
-- destructive-down: drop table `orders`
-- destructive-down: drop table `customers`

-- duo:up
CREATE TABLE `customers` (
  `id` BIGINT AUTO_INCREMENT NOT NULL,
  `name` VARCHAR(80) NOT NULL,
  `city` VARCHAR(80),
  CONSTRAINT `customers_pkey` PRIMARY KEY (`id`),
  CONSTRAINT `customers_name_idx` UNIQUE (`name`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

CREATE TABLE `orders` (
  `id` BIGINT AUTO_INCREMENT NOT NULL,
  `customer_id` BIGINT NOT NULL,
  `status` VARCHAR(20) NOT NULL DEFAULT ('pending'),
  `total` DOUBLE NOT NULL,
  `created_at` DATETIME(6) NOT NULL,
  CONSTRAINT `orders_pkey` PRIMARY KEY (`id`),
  CONSTRAINT `orders_customer_id_fkey` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE,
  CONSTRAINT `orders_total_nonnegative` CHECK (`total` >= 0)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX `orders_customer_id_idx` ON `orders` (`customer_id`);

-- duo:down
DROP TABLE `orders`;

DROP TABLE `customers`;

-- duo:end
