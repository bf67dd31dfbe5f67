package dev.atlas.spring.boot;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
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
 * that chose an extraction strategy keeps it.
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
        if (dataSource == null || hibernateProperties.containsKey(EXTRACTION_STRATEGY)) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            if (!"SQLite".equalsIgnoreCase(c.getMetaData().getDatabaseProductName())) {
                return;
            }
        } catch (SQLException e) {
            // Hibernate reports an unreachable database itself, naming it; nothing to decide here.
            log.debug("could not tell the DataSource's database before Hibernate starts; leaving Hibernate's settings unchanged", e);
            return;
        }
        hibernateProperties.put(EXTRACTION_STRATEGY, "individually");
    }
}
