package dev.atlas;

/** The databases Atlas runs on. */
public enum DatabaseKind {
    /** A SQLite database file. */
    SQLITE,
    /** A PostgreSQL server. */
    POSTGRESQL;

    /**
     * Parses a constant's name in any case ({@code "postgresql"} or {@code "POSTGRESQL"}), as the other enums' {@code of} do: an unknown name or
     * {@code null} is refused naming the allowed values, where {@code valueOf} throws Java's own
     * {@code IllegalArgumentException} or {@code NullPointerException}. For a value from a request or a property.
     *
     * @param value the name
     * @return the constant
     * @throws dev.atlas.InvalidInputException naming {@code databaseKind} when {@code value} is no constant's name
     */
    public static DatabaseKind of(String value) {
        return dev.atlas.internal.Check.enumValue("databaseKind", DatabaseKind.class, value);
    }
}
