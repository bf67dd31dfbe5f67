package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

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
    public static final Duration DEFAULT_TIMEOUT = AtlasHealthCheck.DEFAULT_TIMEOUT;

    /** How long start-up waits for the read of {@link #warmUp}. */
    static final Duration WARM_UP_LIMIT = AtlasHealthCheck.WARM_UP_LIMIT;

    private final AtlasHealthCheck check;

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
        this.check = new AtlasHealthCheck(atlas, AtlasAutoConfiguration.healthTimeout("timeout", timeout));
    }

    /**
     * How long a check waits for the database before it reports DOWN.
     *
     * @return the timeout
     */
    public Duration timeout() {
        return check.timeout();
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        AtlasHealthCheck.Outcome outcome = check.check();
        if (outcome.exception() != null) {
            builder.down(outcome.exception());
        } else if (outcome.up()) {
            builder.up();
        } else {
            builder.down();
        }
        builder.withDetails(outcome.details());
    }

    /**
     * Runs the check's read once and waits for it, at most {@link #WARM_UP_LIMIT}, so the first check asked finds the
     * pool's connection open, the statement prepared and its classes loaded. Its outcome is left to the checks: a
     * read that fails or does not answer in time is logged, and a check asked meanwhile joins it.
     */
    void warmUp() {
        check.warmUp();
    }

    /** The warning of a start-up read that failed with {@code cause}, escaped: a driver's message may forge a log line. */
    static String startUpReadFailed(Throwable cause) {
        return AtlasHealthCheck.startUpReadFailed(cause);
    }

    /** The read {@link #warmUp} ran, {@code null} before it ran. */
    CompletableFuture<Void> warmUpRead() {
        return check.warmUpRead();
    }

    /** Stops the reading thread (a check still waiting for the database is abandoned). */
    @Override
    public void destroy() {
        check.close();
    }
}
