package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.conversation.ConversationQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * UP when Atlas answers a one-row read on its database within the timeout ({@code atlas.health-timeout}, 500 ms
 * by default); DOWN with the exception otherwise (Atlas's messages never carry passwords, so the detail is safe to
 * show), or with {@code error} naming the timeout when the database does not answer in time.
 *
 * <p>The read runs on a thread of its own, so a database that does not answer (a server that is down, where the
 * pool waits its connection timeout, HikariCP's 30 s; a lost network; a table locked by a migration) never holds
 * the health endpoint past the timeout, which a probe with a short timeout of its own (Kubernetes: 1 s) needs. A
 * check asked while the previous one still waits for the database waits for that one, within its own timeout,
 * instead of blocking one more thread.
 *
 * <p>The starter's bean runs the read once while the application starts and waits for it (at most 1 minute; a
 * failure or no answer does not stop start-up, the checks report it): the first read of a JVM opens the pool's
 * connection, prepares the statement and loads its classes, which on a busy host can take longer than the timeout,
 * so without it the first probe after start-up could report DOWN for a database that answers. The bean is left out
 * of lazy initialization ({@code spring.main.lazy-initialization=true}), where the first check would have made it and
 * waited for that read; {@code management.health.atlas.enabled=false} leaves it out, and its read.
 */
public class AtlasHealthIndicator extends AbstractHealthIndicator implements DisposableBean {
    /** The timeout when {@code atlas.health-timeout} is not set. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

    /** How long start-up waits for the read of {@link #warmUp}. */
    static final Duration WARM_UP_LIMIT = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(AtlasHealthIndicator.class);

    private final Atlas atlas;
    private final Duration timeout;
    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "atlas-health");
        t.setDaemon(true);
        return t;
    });
    private CompletableFuture<Void> pending;
    private volatile CompletableFuture<Void> warmUp;

    /**
     * A health indicator with the default timeout.
     *
     * @param atlas the Atlas whose database is checked
     */
    public AtlasHealthIndicator(Atlas atlas) {
        this(atlas, DEFAULT_TIMEOUT);
    }

    /**
     * A health indicator answering within {@code timeout}.
     *
     * @param atlas the Atlas whose database is checked
     * @param timeout how long a check waits for the database: greater than 0 and at most 1 minute
     * @throws dev.atlas.ConfigurationException when the timeout is out of that range
     */
    public AtlasHealthIndicator(Atlas atlas, Duration timeout) {
        super("Atlas health check failed");
        this.atlas = atlas;
        this.timeout = AtlasAutoConfiguration.healthTimeout("timeout", timeout);
    }

    /**
     * How long a check waits for the database before it reports DOWN.
     *
     * @return the timeout
     */
    public Duration timeout() {
        return timeout;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        String database = atlas.databaseKind().name().toLowerCase(Locale.ROOT);
        CompletableFuture<Void> check = read();
        try {
            check.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            builder.up().withDetail("database", database);
        } catch (TimeoutException e) {
            builder.down().withDetail("database", database)
                    .withDetail("error", "the database did not answer within " + text(timeout) + " (atlas.health-timeout)");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error error) {
                throw error;
            }
            builder.down(cause instanceof Exception ex ? ex : e).withDetail("database", database);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            builder.down().withDetail("database", database).withDetail("error", "interrupted while waiting for the database");
        }
    }

    /** The read of the check: the one still waiting for the database, else a new one. */
    private synchronized CompletableFuture<Void> read() {
        if (pending == null || pending.isDone()) {
            pending = CompletableFuture.runAsync(() -> atlas.defaultTenant().conversations().list(ConversationQuery.all().limit(1)), reader);
        }
        return pending;
    }

    /**
     * Runs the check's read once and waits for it, at most {@link #WARM_UP_LIMIT}, so the first check asked finds the
     * pool's connection open, the statement prepared and its classes loaded. Its outcome is left to the checks: a
     * read that fails or does not answer in time is logged, and a check asked meanwhile joins it.
     */
    void warmUp() {
        CompletableFuture<Void> read = read();
        warmUp = read;
        try {
            read.get(WARM_UP_LIMIT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            log.warn("Atlas health: the database did not answer the start-up read within {}; the checks report it", text(WARM_UP_LIMIT));
        } catch (ExecutionException e) {
            log.warn("{}", startUpReadFailed(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The warning of a start-up read that failed with {@code cause}, escaped: a driver's message may forge a log line. */
    static String startUpReadFailed(Throwable cause) {
        return "Atlas health: the start-up read failed; the checks report it: "
                + dev.atlas.internal.Check.escaped(String.valueOf(cause));
    }

    /** The read {@link #warmUp} ran, {@code null} before it ran. */
    CompletableFuture<Void> warmUpRead() {
        return warmUp;
    }

    /** {@code 500ms}, {@code 2s}, {@code 1m}: as the setting is written. */
    private static String text(Duration d) {
        if (d.toNanos() % 1_000_000 != 0) {
            return d.toNanos() + "ns";
        }
        long ms = d.toMillis();
        return ms % 60_000 == 0 ? ms / 60_000 + "m" : ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** Stops the reading thread (a check still waiting for the database is abandoned). */
    @Override
    public void destroy() {
        reader.shutdownNow();
    }
}
