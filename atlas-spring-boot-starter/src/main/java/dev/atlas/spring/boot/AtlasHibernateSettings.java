package dev.atlas.spring.boot;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Lets Hibernate's schema tools ({@code spring.jpa.hibernate.ddl-auto=update} or {@code validate}) run on an SQLite
 * database Atlas shares with the application.
 *
 * <p>By default those tools read the columns of every table of the schema at once, and Hibernate 6 reads each column's
 * type as its first word, failing start-up with a {@code NoSuchElementException} on a column declared without a type.
 * SQLite's FTS5 makes such tables for Atlas's full-text index (its shadow tables {@code atlas_search_fts_idx} and
 * {@code _config}), so an application using JPA with {@code ddl-auto=update} started once, and failed every start after
 * Atlas had created its tables. Hibernate's {@code individually} metadata extraction reads the application's entity
 * tables only, one by one, and so never meets Atlas's; what the tools create, change or check is the same. An application
 * that chose an extraction strategy keeps it. Atlas on a pool of its own ({@code atlas.url}, {@code atlas.sqlite-path})
 * puts its tables in the application's database when it names the application's SQLite file, however spelt: the setting
 * is needed then too, and only then.
 */
final class AtlasHibernateSettings {
    private static final Logger log = LoggerFactory.getLogger(AtlasHibernateSettings.class);
    /** Hibernate's {@code AvailableSettings.HBM2DDL_JDBC_METADATA_EXTRACTOR_STRATEGY}, by name: the starter does not depend on Hibernate. */
    static final String EXTRACTION_STRATEGY = "hibernate.hbm2ddl.jdbc_metadata_extraction_strategy";

    private AtlasHibernateSettings() {
    }

    /**
     * Sets the {@code individually} extraction in {@code hibernateProperties} when {@code dataSource} is SQLite and the
     * application set no strategy.
     *
     * @param hibernateProperties the properties Boot builds Hibernate with, changed in place
     * @param dataSource the application's DataSource, which Atlas and JPA share; {@code null} when there is none or several
     */
    static void customize(Map<String, Object> hibernateProperties, DataSource dataSource) {
        customize(hibernateProperties, dataSource, true, null);
    }

    /**
     * Sets the {@code individually} extraction in {@code hibernateProperties} when {@code dataSource} is SQLite, the
     * application set no strategy, and Atlas's tables are in that database: Atlas shares the DataSource, or its own pool
     * opens the same file.
     *
     * @param hibernateProperties the properties Boot builds Hibernate with, changed in place
     * @param dataSource the application's DataSource; {@code null} when there is none or several
     * @param shared whether Atlas runs on that DataSource
     * @param atlasFile the SQLite file of Atlas's own pool; {@code null} when shared or when that pool is not SQLite's
     */
    static void customize(Map<String, Object> hibernateProperties, DataSource dataSource, boolean shared, Path atlasFile) {
        if (dataSource == null || hibernateProperties.containsKey(EXTRACTION_STRATEGY) || (!shared && atlasFile == null)) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            if (!"SQLite".equalsIgnoreCase(c.getMetaData().getDatabaseProductName())) {
                return;
            }
            if (!shared) {
                String url = c.getMetaData().getURL();
                Optional<Path> own = url == null ? Optional.empty() : dev.atlas.internal.SqliteUrls.file(url);
                if (own.isEmpty() || !sameFile(own.get(), atlasFile)) {
                    return;
                }
            }
        } catch (SQLException e) {
            // Hibernate reports an unreachable database itself, naming it; nothing to decide here.
            log.debug("could not tell the DataSource's database before Hibernate starts; leaving Hibernate's settings unchanged", e);
            return;
        }
        hibernateProperties.put(EXTRACTION_STRATEGY, "individually");
    }

    /** Whether two paths, each as SQLite opens it (relative to the working directory), are one file. */
    static boolean sameFile(Path a, Path b) {
        Path x = a.toAbsolutePath().normalize();
        Path y = b.toAbsolutePath().normalize();
        if (x.equals(y)) {
            return true;
        }
        try {
            // A symbolic link or another spelling of an existing file: the file system knows.
            return Files.exists(x) && Files.exists(y) && Files.isSameFile(x, y);
        } catch (IOException e) {
            return false;
        }
    }
}
