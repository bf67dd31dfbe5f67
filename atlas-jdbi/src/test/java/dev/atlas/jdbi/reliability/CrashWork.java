package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;

import java.util.UUID;

/** Extra writes the crash child performs after each append; grows as features land. */
final class CrashWork {
    private CrashWork() {}

    static void afterAppend(Atlas atlas, UUID conversation, long i) {
        // Only conversation appends exist so far.
    }
}
