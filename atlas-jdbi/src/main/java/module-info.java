/**
 * Atlas on Jdbi for SQLite and PostgreSQL. Applications never name this module's types: it
 * provides {@link dev.atlas.spi.AtlasFactory}, which {@link dev.atlas.Atlas#builder()} finds.
 * Add the JDBC driver of your database (sqlite-jdbc or postgresql) beside it.
 */
module dev.atlas.jdbi {
    // Its types (Atlas, AtlasConfig, AtlasFactory) appear in JdbiAtlasFactory's signatures.
    requires transitive dev.atlas.core;
    requires dev.atlas.migrations;
    requires org.jdbi.v3.core;
    // Jdbi needs geantyref at run time, but Jdbi is an automatic module: it cannot declare that,
    // and an explicit module such as geantyref joins the module graph only when a named module
    // requires it (without this line: NoClassDefFoundError in Jdbi.create, see ModulePathTest).
    requires io.leangen.geantyref;
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
