package dev.atlas.jdbi.reliability;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.ConversationStore;
import dev.atlas.NewConversation;
import dev.atlas.NewMessage;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PostgreSQL server goes away while writers run: calls fail with a retryable
 * {@link StorageException}, the pool recovers by itself once the server is back, and nothing
 * acknowledged is lost.
 */
class PostgresOutageTest {
    @TempDir
    Path dir;

    private static EmbeddedPostgres start(Path data, int port) throws Exception {
        return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port)
                .setRegisterShutdownHook(true).start();
    }

    private static void await(BooleanSupplier condition, Duration max, String what) throws InterruptedException {
        Instant deadline = Instant.now().plus(max);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    @Test
    @DisplayName("a server restart under load gives retryable errors, then the same Atlas recovers with nothing lost")
    void restartUnderLoad() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path data = dir.resolve("pgdata");
        EmbeddedPostgres pg = start(data, port);
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:postgresql://localhost:" + port + "/postgres");
        hc.setUsername("postgres");
        hc.setConnectionTimeout(1000);
        hc.setValidationTimeout(500);
        hc.setMaximumPoolSize(4);
        hc.setInitializationFailTimeout(-1);
        AtomicBoolean stop = new AtomicBoolean();
        Set<UUID> acked = ConcurrentHashMap.newKeySet();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        AtomicInteger retryable = new AtomicInteger();
        ExecutorService writers = Executors.newFixedThreadPool(2);
        try (HikariDataSource pool = new HikariDataSource(hc); Atlas atlas = Atlas.builder().dataSource(pool).build()) {
            ConversationStore store = atlas.tenant("outage").conversations();
            UUID conversation = store.create(NewConversation.of(Owner.user("1"))).id();
            AtomicInteger counter = new AtomicInteger();
            for (int w = 0; w < 2; w++) {
                writers.submit(() -> {
                    while (!stop.get()) {
                        try {
                            acked.add(store.append(conversation, NewMessage.user("m").clientId("c" + counter.incrementAndGet())).id());
                        } catch (StorageException e) {
                            if (e.isRetryable()) {
                                retryable.incrementAndGet();
                            } else {
                                unexpected.add(e);
                            }
                        } catch (Throwable t) {
                            unexpected.add(t);
                        }
                    }
                });
            }
            await(() -> acked.size() >= 100, Duration.ofSeconds(30), "writes before the outage");
            pg.close();
            await(() -> retryable.get() >= 5, Duration.ofSeconds(30), "retryable errors during the outage");
            int ackedDuringOutage = acked.size();
            pg = start(data, port);
            await(() -> acked.size() >= ackedDuringOutage + 100, Duration.ofSeconds(60), "writes after the restart");
            stop.set(true);
            writers.shutdown();
            assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

            assertThat(unexpected).as("only retryable StorageExceptions are allowed").isEmpty();
            assertThat(retryable.get()).isGreaterThanOrEqualTo(5);
            for (UUID id : acked) {
                assertThat(store.message(id)).as("acknowledged " + id).isPresent();
            }
            long last = store.require(conversation).lastSequence();
            assertThat(store.messages(conversation, 0, 1000).size() + (last > 1000 ? store.messages(conversation, 1000, 1000).size() : 0))
                    .isEqualTo((int) Math.min(last, 2000));
        } finally {
            stop.set(true);
            writers.shutdownNow();
            pg.close();
        }
    }
}
