package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.conversation.ConversationQuery;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The check behind the {@code atlas} health component, free of Actuator's types, so that Boot 3.5's
 * {@link AtlasHealthIndicator} and the component the starter makes of Boot 4's {@code HealthIndicator} (by name) give
 * the same outcome (see {@link AtlasHealthIndicator} for what it reads and why on a thread of its own).
 */
final class AtlasHealthCheck {
    /** The indicator's logger, as before the check was its own class: an application's log settings name it. */
    private static final Logger log = LoggerFactory.getLogger("dev.atlas.spring.boot.AtlasHealthIndicator");

    /**
     * A check's outcome: UP or DOWN, the exception of a failed read ({@code error} detail "class: message", first, as
     * Actuator's {@code down(exception)} adds it) and the other details in order.
     */
    record Outcome(boolean up, @Nullable Exception exception, Map<String, Object> details) {}

    /** The timeout when {@code atlas.health-timeout} is not set. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

    /** How long start-up waits for the read of {@link #warmUp}. */
    static final Duration WARM_UP_LIMIT = Duration.ofMinutes(1);

    private final Atlas atlas;
    private final Duration timeout;
    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "atlas-health");
        t.setDaemon(true);
        return t;
    });
    private @Nullable CompletableFuture<Void> pending;
    private volatile @Nullable CompletableFuture<Void> warmUp;

    AtlasHealthCheck(Atlas atlas, Duration timeout) {
        this.atlas = atlas;
        this.timeout = timeout;
    }

    Duration timeout() {
        return timeout;
    }

    /** One check: the read, waited for at most the timeout; an {@link Error} of the read is thrown. */
    Outcome check() {
        String database = atlas.databaseKind().name().toLowerCase(Locale.ROOT);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("database", database);
        CompletableFuture<Void> check = read();
        try {
            check.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return new Outcome(true, null, details);
        } catch (TimeoutException e) {
            details.put("error", "the database did not answer within " + text(timeout) + " (atlas.health-timeout)");
            return new Outcome(false, null, details);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error error) {
                throw error;
            }
            return new Outcome(false, cause instanceof Exception ex ? ex : e, details);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            details.put("error", "interrupted while waiting for the database");
            return new Outcome(false, null, details);
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
     * Runs the check's read once and waits for it, at most {@link #WARM_UP_LIMIT}; a read that fails or does not
     * answer in time is logged (see {@link AtlasHealthIndicator}).
     */
    void warmUp() {
        CompletableFuture<Void> read = read();
        warmUp = read;
        try {
            read.get(WARM_UP_LIMIT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            log.warn("Atlas health: the database did not answer the start-up read within {}; the checks report it",
                    text(WARM_UP_LIMIT));
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
    @Nullable CompletableFuture<Void> warmUpRead() {
        return warmUp;
    }

    /** {@code 500ms}, {@code 2s}, {@code 1m}: as the setting is written. */
    static String text(Duration d) {
        if (d.toNanos() % 1_000_000 != 0) {
            return d.toNanos() + "ns";
        }
        long ms = d.toMillis();
        return ms % 60_000 == 0 ? ms / 60_000 + "m" : ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** Stops the reading thread (a check still waiting for the database is abandoned). */
    void close() {
        reader.shutdownNow();
    }
}
