package dev.atlas.jdbi.internal;

import dev.atlas.asset.BlobStore;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.Sql;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

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
     * The stored keys with a segment ending in {@code .} by {@link #openedKey}: the assets' as {@code {tenant id, lower-cased key}}, and
     * the lower-cased keys of {@code tenant}'s intents (their claimed ones looked up by {@link #stillNamed}). One statement, reading
     * only V33's partial indexes (such keys are rare: none on nearly every database).
     */
    private static Dotted dottedKeys(Sql sql, Handle h, String tenant) {
        AssetSql q = sql.db().statements(AssetSql.class, AssetSql::new);
        Dotted dotted = new Dotted();
        for (String[] k : Sql.crossTenant(sql.db()).on(h, q.dottedKeys).list((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2),
                rs.getString(3)})) {
            if (k[2].equals("1")) {
                dotted.assets.computeIfAbsent(openedKey(k[1]), o -> new ArrayList<>()).add(new String[] {k[0], k[1]});
            } else if (k[0].equals(tenant)) {
                dotted.purges.computeIfAbsent(openedKey(k[1]), o -> new ArrayList<>()).add(k[1]);
            }
        }
        return dotted;
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

    /** Keys whose holders {@link #deleteUnnamed} reads in one transaction (on PostgreSQL, holding their locks). */
    private static final int HOLDERS_BATCH = 100;

    /**
     * Deletes the bytes of {@code keys}, whose asset rows a committed transaction deleted (each
     * with its claimed intent, {@link #recordPurged}), except those some asset row of any
     * tenant still names in any ASCII case, or with other dots ending its segments (Windows opens
     * {@code report.} as {@code report}: {@link #openedKey}): an imported row keeps the file's key, so one key may
     * be named by several rows, and its bytes belong to the last of them. A key named only by rows of other spellings keeps its
     * claimed intent (where the spellings are two files, as on Linux, its file is its own; on Windows it is theirs): its file is
     * deleted with the last of them, which deletes the files of this tenant's pending purges of every spelling, so no file is
     * left behind and none a row names is deleted, on either. The holders of up to {@value #HOLDERS_BATCH} keys are read in one
     * transaction, the stored keys with a segment ending in {@code .} once in it (one statement, from V33's indexes of those
     * keys alone), the others looked up by key. The check runs after
     * the delete committed, so the last of two concurrent purges always sees the other's row gone;
     * a register or an import of the key cannot slip in between, as both are refused while the intent exists and no row names
     * the key in any spelling (an import of a key some row names is a copy sharing the bytes that row keeps: the check, finding
     * that row, deletes nothing) (on PostgreSQL the check runs under the keys' locks, {@link #keyLock}, which both hold from
     * their check of intents to their commit). A
     * key is forgotten once its bytes are gone or still named by a row of its own spelling; one whose delete failed keeps its
     * intent for cleanupOrphanBlobs, and {@code onFailure} hears of it (it may throw), with the key
     * and the blob store's exception text as a message or a log line may show them.
     *
     * @return the keys whose bytes were deleted: of {@code keys}, and of this tenant's pending purges of their other spellings
     */
    public static List<String> deleteUnnamed(Sql sql, BlobStore blobs, List<String> keys, Failure onFailure) {
        List<String> removed = new ArrayList<>();
        Set<String> done = new LinkedHashSet<>();
        Set<String> tried = new HashSet<>();
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(keys));
        try {
            for (int i = 0; i < distinct.size(); i += HOLDERS_BATCH) {
                List<String> batch = distinct.subList(i, Math.min(distinct.size(), i + HOLDERS_BATCH));
                Map<String, Holders> found;
                try {
                    found = holders(sql, batch);
                } catch (RuntimeException e) {
                    for (String key : batch) {
                        onFailure.accept(shownKey(key), Check.bounded(e.toString()), e);
                    }
                    continue;
                }
                for (String key : batch) {
                    Holders k = found.get(key);
                    if (k.named()) {
                        if (k.spelt()) {
                            done.add(key);
                        }
                        continue;
                    }
                    List<String> files = new ArrayList<>();
                    files.add(key);
                    files.addAll(k.pending());
                    for (String file : files) {
                        if (!tried.add(file)) {
                            continue;
                        }
                        try {
                            if (blobs.delete(file)) {
                                removed.add(file);
                            }
                            done.add(file);
                        } catch (IOException | RuntimeException e) {
                            onFailure.accept(shownKey(file), Check.bounded(e.toString()), e);
                        }
                    }
                }
            }
        } finally {
            // Only after the bytes: an intent must outlive its blob, or the blob is never found again.
            forgetIntents(sql, new ArrayList<>(done));
        }
        return removed;
    }

    /**
     * The holders of each of {@code keys} ({@link #stillNamed}), read in one transaction. On PostgreSQL it holds the keys' locks,
     * which an import's and a register's insert of a key hold to their commit: either their row is committed and read here, or
     * they wait, and then find this purge's intent and refuse the key. The assets' dotted keys are read under them too (an import
     * may have stored one since the last batch's read).
     */
    private static Map<String, Holders> holders(Sql sql, List<String> keys) {
        AssetSql q = sql.db().statements(AssetSql.class, AssetSql::new);
        Function<Handle, Map<String, Holders>> read = h -> {
            Dotted dotted = new Dotted();
            Map<String, Holders> found = new HashMap<>();
            for (String key : keys) {
                found.put(key, stillNamed(sql, h, key, 0, dotted, true));
            }
            return found;
        };
        if (q.keyLocks == null) {
            return sql.db().read(read::apply);
        }
        return sql.db().write(h -> {
            sql.on(h, q.keyLocks).bind("locks", PgSessions.lockArray(keys.stream().mapToLong(k -> keyLock(openedKey(k))))).one(Sql.LONG);
            return read.apply(h);
        });
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
     * What a dry run reports for {@link #deleteUnnamed}: how many files no row would name once the rows of {@code keys} (one key per
     * row to delete) are gone, each spelling of a key (in case, or dots ending its segments: {@link #openedKey}) a file of its own, as
     * on Linux, with those of this tenant's pending purges of them.
     */
    public static long unnamedAfter(Sql sql, Handle h, List<String> keys) {
        return unnamedAfter(sql, h, keys, new Going());
    }

    /** {@link #unnamedAfter}, with the rows of earlier calls of one dry run ({@code going}) gone too, and their files not counted again. */
    public static long unnamedAfter(Sql sql, Handle h, List<String> keys, Going going) {
        Set<String> touched = new LinkedHashSet<>();
        for (String key : keys) {
            String opened = openedKey(key);
            touched.add(opened);
            going.rows.merge(opened, 1L, Long::sum);
            going.spellings.computeIfAbsent(opened, o -> new LinkedHashSet<>()).add(key);
        }
        Dotted dotted = new Dotted();
        long files = 0;
        for (String opened : touched) {
            Holders found = stillNamed(sql, h, opened, going.rows.get(opened), dotted, false);
            Set<String> spellings = new LinkedHashSet<>(going.spellings.get(opened));
            spellings.addAll(found.pending());
            if (!found.named()) {
                for (String spelling : spellings) {
                    if (going.counted.add(spelling)) {
                        files++;
                    }
                }
            }
            if (going.eachRowOnce && found.rows() <= going.rows.get(opened)) {
                // Every row of the tenant naming the key is counted: no later page meets it again, so the dry run forgets it and
                // holds only keys some of whose rows are still ahead (a key several rows name), not one per asset.
                going.rows.remove(opened);
                going.spellings.remove(opened);
                going.counted.removeAll(spellings);
            }
        }
        return files;
    }

    /**
     * What a dry run of a tenant's erase reports for {@code keys}, the tenant's pending purges (claimed intents: a purge or erase
     * that committed and stopped before its file deletes): how many of them no asset row of any tenant names in any spelling, whose
     * files the erase's last step deletes ({@link #deleteUnnamed}). A key a row of the tenant names is counted with that row
     * ({@link #unnamedAfter} counts its pending spellings), one another tenant's row names keeps its bytes. Each pending key is a
     * file, as on Linux; whether the blob store still holds it (an erase stopped between a file delete and forgetting its
     * intent) is not asked.
     */
    public static long pendingUnnamed(Sql sql, Handle h, List<String> keys) {
        Dotted dotted = new Dotted();
        long files = 0;
        for (String key : keys) {
            if (!stillNamed(sql, h, key, 0, dotted, false).named()) {
                files++;
            }
        }
        return files;
    }

    /** The rows one dry run has counted as gone, by {@link #openedKey}, and the files it counted. */
    public static final class Going {
        private final Map<String, Long> rows = new HashMap<>();
        private final Map<String, Set<String>> spellings = new HashMap<>();
        private final Set<String> counted = new HashSet<>();
        private final boolean eachRowOnce;

        /** For a dry run that may pass one row's key in several calls (retention's rules): it remembers every key to its end. */
        public Going() {
            this(false);
        }

        private Going(boolean eachRowOnce) {
            this.eachRowOnce = eachRowOnce;
        }

        /**
         * For a dry run that passes each row's key once (a tenant's erase reading its assets a page at a time by id): a key is
         * forgotten once every row of the tenant naming it has been passed, so its memory does not grow with the tenant's assets.
         *
         * @return a new, empty record of one dry run
         */
        public static Going eachRowOnce() {
            return new Going(true);
        }

        /** How many keys it remembers (rows, spellings and files): what a dry run holds in memory between its pages. */
        public int remembered() {
            return rows.size() + spellings.values().stream().mapToInt(Set::size).sum() + counted.size();
        }
    }

    /** The {@link #dottedKeys} of a call, read at its first {@link #stillNamed}. */
    private static final class Dotted {
        boolean read;
        final Map<String, List<String[]>> assets = new HashMap<>();
        final Map<String, List<String>> purges = new HashMap<>();
    }

    /**
     * Who names a key: whether a row does, in any tenant, case, or as Windows opens it; whether one is spelt as the key; when
     * none does, this tenant's pending purges (claimed intents) of every spelling of it, whose files then go too; and how many
     * rows of this tenant name it (in any spelling).
     */
    private record Holders(boolean named, boolean spelt, List<String> pending, long rows) {
    }

    /**
     * The {@link Holders} of {@code key} once {@code going} rows of this tenant naming it (as Windows opens it) are gone, in any
     * tenant and ASCII case, or as Windows opens it ({@code dotted}: {@link #dottedKeys}, read once): the key and its opened form
     * are looked up by index. {@code spelling}: whether {@link Holders#spelt} is needed (a deletion's, not its dry run's).
     */
    private static Holders stillNamed(Sql sql, Handle h, String key, long going, Dotted dotted, boolean spelling) {
        AssetSql q = sql.db().statements(AssetSql.class, AssetSql::new);
        String tenant = Objects.requireNonNull(sql.tenant(), "a tenant-bound runner").value();
        if (!dotted.read) {
            Dotted read = dottedKeys(sql, h, tenant);
            dotted.assets.putAll(read.assets);
            dotted.purges.putAll(read.purges);
            dotted.read = true;
        }
        String lowerKey = key.toLowerCase(Locale.ROOT);
        String openedKey = openedKey(key);
        long own = 0;
        boolean elsewhere = false;
        for (String[] d : dotted.assets.getOrDefault(openedKey, List.of())) {
            // Those the lookups below find by index are not counted twice.
            if (!d[1].equals(lowerKey) && !d[1].equals(openedKey)) {
                if (!d[0].equals(tenant)) {
                    elsewhere = true;
                    break;
                }
                own++;
            }
        }
        long mine = 0;
        boolean spelt = false;
        Set<String> pending = new LinkedHashSet<>();
        for (String[] r : sql.on(h, q.keyRows).bind("lowerKey", lowerKey).bind("openedKey", openedKey)
                .list((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)})) {
            if (r[0].equals("1")) {
                mine++;
                spelt |= r[1].equals(key);
            } else {
                pending.add(r[1]);
            }
        }
        boolean named = elsewhere || own + mine > going;
        // Only a deletion (not its dry run) needs to know whether a row spells the key as it is, when it is named.
        int others = !named || (spelling && !spelt) ? othersSpelling(sql, h, key, lowerKey, openedKey, tenant) : -1;
        if (named || others >= 0) {
            return new Holders(true, spelt || others == 1, List.of(), own + mine);
        }
        // This tenant's pending purges of a spelling with a segment ending in . that the lookups above did not find (rare).
        for (String dottedPurge : dotted.purges.getOrDefault(openedKey, List.of())) {
            if (!dottedPurge.equals(lowerKey) && !dottedPurge.equals(openedKey)) {
                pending.addAll(sql.on(h, q.claimedSpellings).bind("lowerKey", dottedPurge).list(Sql.STRING));
            }
        }
        return new Holders(false, false, List.copyOf(pending), own + mine);
    }

    /** Whether other tenants' rows name {@code key} in any case or as Windows opens it: -1 none, 1 one spelt as it, 0 only others. */
    private static int othersSpelling(Sql sql, Handle h, String key, String lowerKey, String openedKey, String tenant) {
        return Sql.crossTenant(sql.db()).on(h, sql.db().statements(AssetSql.class, AssetSql::new).keyElsewhere).bind("lowerKey", lowerKey)
                .bind("openedKey", openedKey).bind("tenant", tenant).bind("key", key).one((rs, ctx) -> {
                    int v = rs.getInt(1);
                    return rs.wasNull() ? -1 : v;
                });
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
