-- A host application's own first migration, at Flyway's default location (classpath:db/migration),
-- so MigrationContract runs the host's Flyway with nothing but its defaults.
CREATE TABLE host_orders (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
INSERT INTO host_orders (id, note) VALUES (1, 'the host''s first order');
