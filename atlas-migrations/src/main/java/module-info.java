/**
 * Atlas's versioned schema for SQLite and PostgreSQL, run by Flyway through
 * {@link dev.atlas.migrations.AtlasMigrations}.
 */
module dev.atlas.migrations {
    requires transitive dev.atlas.core;
    // flyway() returns Flyway's own type. Flyway 11 declares no module name (no module-info, no
    // Automatic-Module-Name), so this is the name the JDK derives from its jar file name,
    // flyway-core-<version>.jar, as Maven and Gradle name it. Switch to Flyway's own name when it
    // declares one.
    requires transitive flyway.core;

    exports dev.atlas.migrations;

    // The SQL files are resources in these packages: a named module hides them from
    // ClassLoader.getResource, which Flyway's classpath: scanner uses, unless they are open.
    opens dev.atlas.migrations.sqlite;
    opens dev.atlas.migrations.postgresql;
}
