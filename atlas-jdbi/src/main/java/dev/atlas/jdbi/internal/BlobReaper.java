package dev.atlas.jdbi.internal;

import dev.atlas.asset.BlobStore;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.Sql;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Deletes the bytes of asset rows that are gone (purged by retention, erased, or never recorded:
 * {@code AssetStore.cleanupOrphanBlobs}), and only once no asset row of any tenant names the key.
 * Each key's intent (table {@code blob_intents}) outlives its bytes, so a failed delete is retried.
 */
public final class BlobReaper {
    private BlobReaper() {}

    /**
     * The condition on {@code blob_key} of a key with a segment ending in {@code .}: only versions before schema 17 (whose
     * register took {@code scans/report.}) and imports of their files stored one. Windows opens it as {@link #openedKey}.
     * Exactly the condition of V33's partial indexes of assets and blob_intents, which hold only those keys, so that a
     * statement with it reads them alone (the planner takes a partial index only for its own condition; SQLite's has no
     * LIKE, whose case rule is a pragma).
     */
    public static String dottedKey(Dialect dialect) {
        return dialect == Dialect.POSTGRESQL ? "(right(blob_key, 1) = '.' OR strpos(blob_key, './') > 0)"
                : "(substr(blob_key, -1) = '.' OR instr(blob_key, './') > 0)";
    }

    /**
     * {@code key} as Windows opens it, in lower case: the segments' trailing dots dropped ({@code Report.} opens {@code report}),
     * so two keys naming one file there open the same. The same as the key lower-cased for every key but {@link #dottedKey} ones.
     */
    public static String openedKey(String key) {
        return key.toLowerCase(Locale.ROOT).replaceAll("\\.+(?=/|$)", "");
    }

    /**
     * The assets' stored keys with a segment ending in {@code .} by {@link #openedKey}: each as {@code {tenant id, lower-cased key}}.
     * One statement, reading only V33's partial indexes (such keys are rare: none on nearly every database).
     */
    private static Map<String, List<String[]>> dottedKeys(Sql sql, Handle h) {
        AssetSql q = sql.db().statements(AssetSql.class, AssetSql::new);
        Map<String, List<String[]>> byOpened = new java.util.HashMap<>();
        for (String[] k : Sql.crossTenant(sql.db()).on(h, q.dottedKeys).list((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2),
                rs.getString(3)})) {
            if (k[2].equals("1")) {
                byOpened.computeIfAbsent(openedKey(k[1]), o -> new ArrayList<>()).add(new String[] {k[0], k[1]});
            }
        }
        return byOpened;
    }

    /**
     * Records {@code keys}, whose asset rows this transaction deletes, as orphans already claimed
     * for removal: bytes the caller cannot delete once it has committed are then removed by the
     * next cleanupOrphanBlobs, whatever its minAge. Pair with {@link #deleteUnnamed}, which forgets the intents.
     * Recorded in the caller's order: a key is unique within a tenant (intents are per tenant), and every caller
     * holds the lock of the asset row naming each key before it records it, so two transactions never wait for
     * each other on keys here.
     */
    public static void recordPurged(Sql sql, Handle h, List<String> keys, Instant now) {
        if (keys.isEmpty()) {
            return;
        }
        Sql.Call batch = sql.on(h, sql.db().statements(AssetSql.class, AssetSql::new).purgedIntent);
        for (String key : keys) {
            batch.bind("key", key).bind("now", now).add();
        }
        batch.batch();
    }

    /**
     * Deletes the bytes of {@code keys}, whose asset rows a committed transaction deleted (each
     * with its claimed intent, {@link #recordPurged}), except those some asset row of any
     * tenant still names in any ASCII case, or with other dots ending its segments (Windows opens
     * {@code report.} as {@code report}: {@link #openedKey}): an imported row keeps the file's key, so one key may
     * be named by several rows, and its bytes belong to the last of them. The stored keys with a segment ending in
     * {@code .} are read once per call (one statement, from V33's indexes of those keys alone), the others looked up by key. The check runs after
     * the delete committed, so the last of two concurrent purges always sees the other's row gone;
     * a register or an import of the key cannot slip in between, as both are refused while the intent exists (on PostgreSQL
     * the check runs under the key's lock, {@link #keyLock}, which both hold from their check of intents to their commit). A
     * key is forgotten once its bytes are gone or still named; one whose delete failed keeps its
     * intent for cleanupOrphanBlobs, and {@code onFailure} hears of it (it may throw), with the key
     * and the blob store's exception text as a message or a log line may show them.
     *
     * @return the keys whose bytes were deleted
     */
    public static List<String> deleteUnnamed(Sql sql, BlobStore blobs, List<String> keys, Failure onFailure) {
        List<String> removed = new ArrayList<>();
        List<String> done = new ArrayList<>();
        try {
            Dotted dotted = new Dotted();
            for (String key : new LinkedHashSet<>(keys)) {
                try {
                    boolean named = sql.db().dialect() == Dialect.POSTGRESQL ? sql.db().write(h -> {
                        // Under the key's lock, which an import's and a register's insert of the key hold to their commit: either
                        // their row is committed and read here, or they wait, and then find this purge's intent and refuse the key.
                        // The assets' dotted keys are read under it too (an import may have stored one since the last key's read).
                        sql.on(h, sql.db().statements(AssetSql.class, AssetSql::new).keyLock).bind("lock", keyLock(openedKey(key))).exists();
                        return stillNamed(sql, h, key, 0, new Dotted());
                    }) : sql.db().read(h -> stillNamed(sql, h, key, 0, dotted));
                    if (!named && blobs.delete(key)) {
                        removed.add(key);
                    }
                    done.add(key);
                } catch (IOException | RuntimeException e) {
                    onFailure.accept(shownKey(key), Check.bounded(e.toString()), e);
                }
            }
        } finally {
            // Only after the bytes: an intent must outlive its blob, or the blob is never found again.
            forgetIntents(sql, done);
        }
        return removed;
    }

    /**
     * The PostgreSQL advisory lock of a key as Windows opens it ({@link #openedKey}), apart from other Atlas locks: register
     * and import hold it from their check of the key's pending purges (intents) to their commit, and {@link #deleteUnnamed}
     * while it reads the key's holders. On SQLite the single writer does the same: an insert of the key committed after the
     * purge's intent sees that intent.
     */
    public static long keyLock(String openedKey) {
        return PgSessions.keyLock("atlas blob key " + openedKey);
    }

    /** Hears of a key whose bytes {@link #deleteUnnamed} could not delete. */
    @FunctionalInterface
    public interface Failure {
        /**
         * @param key the key as {@link #shownKey} shows it
         * @param failure the blob store's exception as {@link Check#bounded} shows its {@code toString()}
         * @param e the exception itself: its text is the blob store's, so a cause is {@link ShownFailures#scrubbed} first
         */
        void accept(String key, String failure, Exception e);
    }

    /**
     * A blob key read from a row, for a message or a log line: whole when it has the form of an
     * asset's key (at most 1,000 characters, none needing an escape), else as {@link Check#bounded}
     * shows it (a row changed by hand).
     */
    public static String shownKey(String key) {
        return JdbiAssetStore.isBlobKey(key) ? key : Check.bounded(key);
    }

    /**
     * What a dry run reports for {@link #deleteUnnamed}: how many distinct keys (in any case, and
     * as Windows opens them: {@link #openedKey}) no row would name once the rows of {@code keys} (one key per row to delete) are gone.
     */
    public static long unnamedAfter(Sql sql, Handle h, List<String> keys) {
        Map<String, Long> going = keys.stream().collect(Collectors.groupingBy(BlobReaper::openedKey, LinkedHashMap::new,
                Collectors.counting()));
        Dotted dotted = new Dotted();
        return going.entrySet().stream().filter(e -> !stillNamed(sql, h, e.getKey(), e.getValue(), dotted)).count();
    }

    /** The {@link #dottedKeys} of assets, read at the first {@link #stillNamed} of a call. */
    private static final class Dotted {
        Map<String, List<String[]>> byOpened;
    }

    /**
     * Whether asset rows other than {@code going} of this tenant's name {@code key}, in any tenant and ASCII case, or as
     * Windows opens it ({@code dotted}: {@link #dottedKeys} of assets, read once): the key and its opened form are looked up by index.
     */
    private static boolean stillNamed(Sql sql, Handle h, String key, long going, Dotted dotted) {
        AssetSql q = sql.db().statements(AssetSql.class, AssetSql::new);
        if (dotted.byOpened == null) {
            dotted.byOpened = dottedKeys(sql, h);
        }
        String lowerKey = key.toLowerCase(Locale.ROOT);
        String openedKey = openedKey(key);
        String tenant = Objects.requireNonNull(sql.tenant(), "a tenant-bound runner").value();
        long own = 0;
        for (String[] d : dotted.byOpened.getOrDefault(openedKey, List.of())) {
            // Those the lookups below find by index are not counted twice.
            if (!d[1].equals(lowerKey) && !d[1].equals(openedKey)) {
                if (!d[0].equals(tenant)) {
                    return true;
                }
                own++;
            }
        }
        return own + sql.on(h, q.keyCount).bind("lowerKey", lowerKey).bind("openedKey", openedKey).one(Sql.LONG) > going
                || Sql.crossTenant(sql.db()).on(h, q.keyElsewhere).bind("lowerKey", lowerKey).bind("openedKey", openedKey)
                        .bind("tenant", tenant).exists();
    }

    /** Removes the intents of {@code keys}, once their bytes are gone. */
    private static void forgetIntents(Sql sql, List<String> keys) {
        AssetSql q = sql.db().statements(AssetSql.class, AssetSql::new);
        for (int i = 0; i < keys.size(); i += 500) {
            List<String> chunk = keys.subList(i, Math.min(keys.size(), i + 500));
            sql.db().write(h -> InList.bind(sql.on(h, q.forgetIntents(chunk)), "key", chunk).update());
        }
    }
}
