package dev.atlas.jdbi.kit;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** A clock the tests move by hand, so timestamps, expiry and leases are exact and instant. */
public final class MutableClock extends Clock {
    private volatile Instant now;

    public MutableClock(Instant start) {
        this.now = start;
    }

    public void set(Instant instant) {
        now = instant;
    }

    public void advanceMicros(long micros) {
        now = now.plusNanos(micros * 1000);
    }

    @Override
    public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }
}
