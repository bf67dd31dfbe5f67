/**
 * Atlas on plain JDBC for SQLite and PostgreSQL (the module keeps its name, atlas-jdbi). Applications never name this module's types: it
 * provides {@link dev.atlas.spi.AtlasFactory}, which {@link dev.atlas.Atlas#builder()} finds.
 * Add the JDBC driver of your database (sqlite-jdbc or postgresql) beside it.
 */
module dev.atlas.jdbi {
    // Its types (Atlas, AtlasConfig, AtlasFactory) appear in JdbiAtlasFactory's signatures.
    requires transitive dev.atlas.core;
    requires dev.atlas.migrations;
    requires com.zaxxer.hikari;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires org.slf4j;
    requires static org.jspecify;
    // Both drivers are optional dependencies: an application adds the one it uses, and the
    // driver's java.sql.Driver service brings its module into the graph.
    requires static org.xerial.sqlitejdbc;
    requires static org.postgresql.jdbc;

    exports dev.atlas.jdbi;

    provides dev.atlas.spi.AtlasFactory with dev.atlas.jdbi.JdbiAtlasFactory;
}
