package dev.atlas;

/** The databases Atlas runs on. */
public enum DatabaseKind {
    SQLITE,
    POSTGRESQL
}
