-- Atlas V19: on SQLite this adds the vector set versions its in-memory vector cache checks.
-- PostgreSQL searches vectors in SQL (exact or pgvector) and keeps no such cache, so the version
-- exists here only to keep both dialects in step.
SELECT 1;
