package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasClosedException;
import dev.atlas.AtlasException;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.TaskStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Session 39: a team running two app instances on one database. Atlas.close() of one instance racing
 * its workers' task calls: every call either returns or throws an {@link AtlasException}, never a raw
 * driver or pool exception nor an NPE; once close() returned every call throws {@link AtlasClosedException};
 * the other instance on the same database goes on writing.
 */
public abstract class Newcomer39jContract extends AtlasContract {
    private static final int WORKERS = 4;

    protected Newcomer39jContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("close() with a zero close timeout racing 4 workers' create/claim/heartbeat/complete calls: only AtlasExceptions escape,"
            + " every call after close() returned throws AtlasClosedException, and the other instance goes on")
    void closeRacingTaskCallsLetsOnlyAtlasExceptionsOut() throws Exception {
        Atlas closing = reopen(b -> b.closeTimeout(Duration.ZERO));
        TaskStore tasks = closing.tenant("acme").tasks();
        TaskStore others = atlas.tenant("acme").tasks();
        List<Throwable> foreign = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch warmed = new CountDownLatch(WORKERS);
        CountDownLatch closed = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        List<Future<Throwable>> afterClose = new ArrayList<>();
        try {
            for (int w = 0; w < WORKERS; w++) {
                int worker = w;
                afterClose.add(pool.submit(() -> {
                    int done = 0;
                    while (closed.getCount() > 0) {
                        try {
                            tasks.create(NewTask.of("job", Map.of("w", worker, "n", done)));
                            Optional<ClaimedTask> c = tasks.claim(Duration.ofSeconds(30));
                            if (c.isPresent()) {
                                ClaimedTask held = tasks.heartbeat(c.get());
                                tasks.complete(held, Map.of("ok", true));
                            }
                        } catch (AtlasException expected) {
                            // the race's outcome for this call: typed
                        } catch (Throwable t) {
                            foreign.add(t);
                        }
                        // One whole cycle each: every worker holds the calls' connections and statements, and goes on
                        // calling while close() runs (more cycles before close() only made the test slower).
                        if (++done == 1) {
                            warmed.countDown();
                        }
                    }
                    try {
                        tasks.claim(Duration.ofSeconds(30));
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                }));
            }
            assertThat(warmed.await(60, TimeUnit.SECONDS)).isTrue();
            closing.close();
            closed.countDown();
            for (Future<Throwable> f : afterClose) {
                assertThat(f.get(60, TimeUnit.SECONDS)).as("a call once close() returned").isInstanceOf(AtlasClosedException.class);
            }
        } finally {
            closed.countDown();
            pool.shutdownNow();
            assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(foreign).as("exceptions other than AtlasException").isEmpty();
        var after = others.create(NewTask.of("after", Map.of()));
        assertThat(others.require(after.id()).kind()).as("the other instance, after close()").isEqualTo("after");
    }
}
