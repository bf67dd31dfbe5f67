package dev.atlas.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What every benchmark gets: the profile, the databases, and fixtures that are expensive to
 * build (long seeded conversations) shared between benchmarks of one run.
 */
public final class Env implements AutoCloseable {
    private final Profile profile;
    private final List<BenchDatabase> databases;
    private final Map<String, Object> fixtures = new LinkedHashMap<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    Env(Profile profile, List<BenchDatabase> databases) {
        this.profile = profile;
        this.databases = List.copyOf(databases);
    }

    public Profile profile() {
        return profile;
    }

    public List<BenchDatabase> databases() {
        return databases;
    }

    /** The fixture stored under {@code key}, built by {@code factory} on first use and closed with the run. */
    @SuppressWarnings("unchecked")
    public synchronized <T extends AutoCloseable> T fixture(String key, Supplier<T> factory) {
        Object existing = fixtures.get(key);
        if (existing != null) {
            return (T) existing;
        }
        T created = factory.get();
        fixtures.put(key, created);
        closeables.add(created);
        return created;
    }

    /** Progress line on stderr, so the report on stdout stays clean. */
    public static void log(String format, Object... args) {
        System.err.printf(java.util.Locale.ROOT, "[bench] " + format + "%n", args);
    }

    @Override
    public void close() {
        IllegalStateException failure = null;
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing a fixture failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
