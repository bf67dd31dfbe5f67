package dev.atlas;

/** The databases Atlas runs on. */
public enum DatabaseKind {
    /** A SQLite database file. */
    SQLITE,
    /** A PostgreSQL server. */
    POSTGRESQL
}
