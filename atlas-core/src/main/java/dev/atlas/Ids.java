package dev.atlas;

import dev.atlas.internal.Check;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Generates time-ordered UUIDv7 ids (RFC 9562) in the JVM, so no database round trip is needed
 * and ids created later sort later. Within one millisecond ids stay monotonic through a
 * 12-bit counter, then the remaining 62 bits are random.
 *
 * <p>The order holds within one JVM. Each JVM stamps ids with its own clock, so ids of two JVMs
 * (two instances of an application on one database) sort by what each one's clock said: an id
 * created by a JVM whose clock runs an hour behind sorts before every id the other created in that
 * hour.
 */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static long lastMillis = -1;
    private static int counter;

    private Ids() {}

    /**
     * A new UUIDv7 stamped with the system clock (see {@link #next(Clock)} for a clock behind the last id).
     *
     * @return the id
     */
    public static UUID next() {
        return next(Clock.systemUTC());
    }

    /**
     * A new UUIDv7 stamped with {@code clock}'s current millisecond, or, when that is earlier than
     * the last id this JVM made (a clock that went back, or another clock ahead of it: every
     * {@link Atlas} in the JVM shares this order), with the last id's millisecond, so the id still
     * sorts after it. An id's time is therefore not always its row's {@code createdAt}: a
     * {@link java.time.Clock} set in the past (a test's {@code Clock.fixed}) gets ids stamped with the
     * latest time any clock of the JVM gave, and a clock set ahead moves every later id of the JVM
     * to its time.
     *
     * @param clock the clock to use
     * @return the id
     */
    public static UUID next(Clock clock) {
        long millis = Check.notNull("clock", clock).millis();
        int seq;
        LOCK.lock();
        try {
            if (millis <= lastMillis) {
                // Clock went back or same millisecond: keep ordering by stepping the counter,
                // borrowing the next millisecond when it overflows.
                millis = lastMillis;
                counter++;
                if (counter > 0xFFF) {
                    millis++;
                    counter = 0;
                }
            } else {
                counter = RANDOM.nextInt(0x400);
            }
            lastMillis = millis;
            seq = counter;
        } finally {
            LOCK.unlock();
        }
        long msb = (millis << 16) | 0x7000L | seq;
        long lsb = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }
}
