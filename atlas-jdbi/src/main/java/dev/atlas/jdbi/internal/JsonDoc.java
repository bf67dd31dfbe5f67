package dev.atlas.jdbi.internal;

/** A JSON text already validated, bound as jsonb on PostgreSQL and as text on SQLite. */
public record JsonDoc(String text) {}
