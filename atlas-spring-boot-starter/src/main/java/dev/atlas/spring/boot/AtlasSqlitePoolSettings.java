package dev.atlas.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.jdbi.JdbiAtlasFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Gives the application's own SQLite pool Atlas's settings (WAL, busy timeout, foreign keys) before it opens its first
 * connection, so Atlas can share it: a plain {@code spring.datasource.url=jdbc:sqlite:app.db} otherwise runs in
 * rollback-journal mode, where readers block the writer, and Atlas refuses it. Settings the URL already names are kept
 * as given. Not {@code transaction_mode=IMMEDIATE}: sqlite-jdbc begins every transaction of such a pool with the write
 * lock, a {@code @Transactional(readOnly = true)} read included, so an Atlas write during any transaction of the
 * application (a chat turn inside it) waited the busy timeout and failed; Atlas makes the connections it borrows
 * IMMEDIATE itself and puts the application's mode back. Pools are left alone when Atlas has its own ({@code atlas.url}
 * or {@code atlas.sqlite-path}).
 */
final class AtlasSqlitePoolSettings implements BeanPostProcessor {
    private static final Logger log = LoggerFactory.getLogger(AtlasSqlitePoolSettings.class);
    private final Environment environment;
    private Boolean ownPool;

    AtlasSqlitePoolSettings(Environment environment) {
        this.environment = environment;
    }

    /**
     * With {@code atlas.url} or {@code atlas.sqlite-path} Atlas opens its own pool and never uses the
     * application's: WAL is a lasting property of the file, not Atlas's to switch on there.
     */
    private boolean ownPool() {
        if (ownPool == null) {
            Binder binder = Binder.get(environment);
            ownPool = binder.bind("atlas.url", String.class).isBound() || binder.bind("atlas.sqlite-path", String.class).isBound();
        }
        return ownPool;
    }

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (bean instanceof HikariDataSource pool && !ownPool() && pool.getJdbcUrl() != null && pool.getJdbcUrl().startsWith("jdbc:sqlite:")
                && !pool.isRunning()) {
            String url = JdbiAtlasFactory.withSqliteDefaults(pool.getJdbcUrl());
            if (!pool.getJdbcUrl().contains("transaction_mode=")) {
                // The application's transactions keep SQLite's deferred BEGIN (see the class comment); with auto-commit off,
                // IMMEDIATE also had every idle connection hold the write lock, as sqlite-jdbc begins at once there.
                url = url.replace("&transaction_mode=IMMEDIATE", "").replace("?transaction_mode=IMMEDIATE&", "?")
                        .replace("?transaction_mode=IMMEDIATE", "");
            }
            if (!url.equals(pool.getJdbcUrl())) {
                pool.setJdbcUrl(url);
                log.info("Atlas set its SQLite settings on DataSource '{}' (journal_mode=WAL, busy_timeout, foreign_keys unless"
                        + " already given)", beanName);
            }
        }
        return bean;
    }
}
