-- Atlas V18: on PostgreSQL this adds indexes in code point order (COLLATE "C") for the listings
-- keyed by slug or name. SQLite's indexes already use BINARY, which is code point order, so the
-- existing ones serve those listings; the version exists here only to keep both dialects in step.
SELECT 1;
