package dev.atlas.spring.boot;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A name's hold counter stays while the name is admitted and goes when a release drops the name. A thread that looked
 * the counter up just before such a release, and counts its hold on it after the name was admitted again (with a new
 * counter), holds a counter no release looks at: the name can be released while that thread registers its meter, which
 * then lands beside the bound (the split {@code Newcomer39MetricsReleaseRaceTest} guards against).
 */
class Newcomer40MetricsHoldRaceTest {

    /** Stops the given thread's first look-up of a counter, after it found it, until {@code go}. */
    private static final class GatedCounters extends ConcurrentHashMap<String, AtomicInteger> {
        volatile Thread gated;
        final CountDownLatch found = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);

        @Override
        public AtomicInteger get(Object key) {
            AtomicInteger counter = super.get(key);
            if (Thread.currentThread() == gated) {
                gated = null;
                found.countDown();
                try {
                    go.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return counter;
        }
    }

    @Test
    void aHoldOnACounterAReleaseDroppedSparesNothingAndIsNotTaken() throws Exception {
        BoundedTagValues values = new BoundedTagValues(1);
        GatedCounters counters = new GatedCounters();
        Field registering = BoundedTagValues.class.getDeclaredField("registering");
        registering.setAccessible(true);
        registering.set(values, counters);
        BoundedTagValues.settle(values.admit("gpt-4o"));

        CompletableFuture<AtomicInteger> hold = new CompletableFuture<>();
        Thread holder = new Thread(() -> hold.complete(values.hold("gpt-4o")));
        counters.gated = holder;
        holder.start();
        assertThat(counters.found.await(30, TimeUnit.SECONDS)).isTrue();
        // While the holder has the counter in hand: the name's meters gone, a release drops it, an admission takes it
        // again (a new counter) and its meters are registered.
        values.retainOnly(List.of());
        assertThat(values.contains("gpt-4o")).isFalse();
        BoundedTagValues.settle(values.admit("gpt-4o"));
        counters.go.countDown();
        holder.join(30_000);

        // The holder is refused (it admits under the lock instead), rather than holding a counter no release sees.
        assertThat(hold.get(30, TimeUnit.SECONDS)).isNull();
        // A release with no meter carrying the name, and no hold on it, drops it.
        values.retainOnly(List.of());
        assertThat(values.contains("gpt-4o")).isFalse();
    }

    @Test
    void aNameHeldIsSparedByARelease() {
        BoundedTagValues values = new BoundedTagValues(1);
        BoundedTagValues.settle(values.admit("gpt-4o"));
        AtomicInteger hold = values.hold("gpt-4o");
        assertThat(hold).isNotNull();
        values.retainOnly(List.of());
        assertThat(values.contains("gpt-4o")).isTrue();
        BoundedTagValues.settle(hold);
        values.retainOnly(List.of());
        assertThat(values.contains("gpt-4o")).isFalse();
    }
}
