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
 * IMMEDIATE itself and puts the application's mode back. Not {@code synchronous=NORMAL} either, which Atlas gives the
 * files it opens: in WAL mode it survives a crash of the process, not a power loss, and the application's committed rows
 * are the application's to trade. A pool behind a {@code TransactionAwareDataSourceProxy} bean (a bean of its own, or
 * built inside the proxy's bean method) does get IMMEDIATE:
 * Atlas's writes join its transactions, and a deferred one that has read cannot take the write lock after another
 * connection committed. Pools are left alone when Atlas has its own ({@code atlas.url} or {@code atlas.sqlite-path}).
 */
final class AtlasSqlitePoolSettings implements BeanPostProcessor {
    private static final Logger log = LoggerFactory.getLogger(AtlasSqlitePoolSettings.class);
    private final Environment environment;
    private Boolean ownPool;
    /** Pools given SQLite's deferred transactions, and pools behind a DataSource that joins transactions (by identity). */
    private final java.util.Set<HikariDataSource> deferred = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final java.util.Set<HikariDataSource> joined = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** Pools given the settings, as beans or as the target of a joining DataSource bean. */
    private final java.util.Set<HikariDataSource> settled = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

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
        if (ownPool()) {
            return bean;
        }
        if (bean instanceof HikariDataSource pool && unstartedSqlite(pool)) {
            settle(pool, beanName);
        } else if (bean instanceof javax.sql.DataSource && joinsTransactions(bean)
                && target(bean) instanceof HikariDataSource pool) {
            // SQLITE_BUSY_SNAPSHOT otherwise (see the class comment); read-only transactions begin IMMEDIATE here too, and
            // Atlas's writes inside them join them rather than wait for them.
            joined.add(pool);
            if (!settled.contains(pool) && unstartedSqlite(pool)) {
                // A pool built inside the proxy's bean method is no bean: this is the only time the starter sees it, and
                // without the settings Atlas refuses its rollback-journal database at start-up.
                settle(pool, beanName);
            } else if (deferred.remove(pool) && !pool.isRunning()) {
                String url = immediate(pool, pool.getJdbcUrl());
                if (!url.equals(pool.getJdbcUrl())) {
                    pool.setJdbcUrl(url);
                    log.info("Atlas set transaction_mode=IMMEDIATE on the SQLite pool behind DataSource '{}': Atlas's writes"
                            + " join its transactions", beanName);
                }
            }
        }
        return bean;
    }

    private static boolean unstartedSqlite(HikariDataSource pool) {
        return pool.getJdbcUrl() != null && pool.getJdbcUrl().startsWith("jdbc:sqlite:") && !pool.isRunning();
    }

    /** Puts the application defaults (and IMMEDIATE behind a joining DataSource) on a pool that opened no connection yet. */
    private void settle(HikariDataSource pool, String beanName) {
        settled.add(pool);
        String url = applicationDefaults(pool.getJdbcUrl());
        if (joined.contains(pool)) {
            url = immediate(pool, url);
        } else if (!url.contains("transaction_mode=")) {
            deferred.add(pool);
        }
        if (!url.equals(pool.getJdbcUrl())) {
            pool.setJdbcUrl(url);
            log.info("Atlas set its SQLite settings on DataSource '{}' (journal_mode=WAL, busy_timeout, foreign_keys unless"
                    + " already given; not synchronous=NORMAL{})", beanName, url.contains("transaction_mode=IMMEDIATE")
                    ? "" : " or transaction_mode=IMMEDIATE");
        }
    }

    /** The URL with transaction_mode=IMMEDIATE, in auto-commit mode only (else every idle connection would hold the lock). */
    private static String immediate(HikariDataSource pool, String url) {
        if (!pool.isAutoCommit() || url.contains("transaction_mode=")) {
            return url;
        }
        return url + (url.indexOf('?') < 0 ? "?" : "&") + "transaction_mode=IMMEDIATE";
    }

    /** Spring's TransactionAwareDataSourceProxy, by name: spring-jdbc is the application's choice, not a dependency. */
    private static boolean joinsTransactions(Object dataSource) {
        for (Class<?> c = dataSource.getClass(); c != null; c = c.getSuperclass()) {
            if (c.getName().equals("org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy")) {
                return true;
            }
        }
        return false;
    }

    private static Object target(Object proxy) {
        try {
            return proxy.getClass().getMethod("getTargetDataSource").invoke(proxy);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Atlas's SQLite defaults for the application's URL, less the ones that are the application's choice (see above). */
    static String applicationDefaults(String url) {
        String withDefaults = JdbiAtlasFactory.withSqliteDefaults(url);
        int q = withDefaults.indexOf('?');
        if (q < 0) {
            return withDefaults;
        }
        java.util.Set<String> named = parameterNames(url);
        StringBuilder kept = new StringBuilder(withDefaults.substring(0, q));
        char separator = '?';
        for (String kv : withDefaults.substring(q + 1).split("&")) {
            int eq = kv.indexOf('=');
            String key = eq < 0 ? kv : kv.substring(0, eq);
            // The application's deferred transactions (a read-only one takes no write lock; with auto-commit off, IMMEDIATE
            // also had every idle connection hold it, as sqlite-jdbc begins at once there) and SQLite's FULL synchronous.
            if (!kv.isEmpty() && (named.contains(key) || !(key.equals("transaction_mode") || key.equals("synchronous")))) {
                kept.append(separator).append(kv);
                separator = '&';
            }
        }
        return kept.toString();
    }

    private static java.util.Set<String> parameterNames(String url) {
        java.util.Set<String> names = new java.util.HashSet<>();
        int q = url.indexOf('?');
        if (q >= 0) {
            for (String kv : url.substring(q + 1).split("&")) {
                int eq = kv.indexOf('=');
                names.add(eq < 0 ? kv : kv.substring(0, eq));
            }
        }
        return names;
    }
}
