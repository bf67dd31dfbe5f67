package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.jdbi.internal.sql.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Approximate search with pgvector's HNSW index, used on PostgreSQL when the {@code vector}
 * extension is installed or {@code CREATE EXTENSION} installs it (or another instance's, run at the
 * same moment, does). Beside the portable bytes Atlas keeps
 * an untyped {@code embedding vector} column holding the vector scaled to unit length; each
 * (model, dimension) gets a partial HNSW index on {@code embedding::vector(d)} with cosine
 * distance, named by 64 bits of the SHA-256 of model and dimension.
 *
 * <ul>
 *   <li>The index is built with {@code CREATE INDEX CONCURRENTLY} on its own connection, after the
 *       transaction that stored the model's first vector in this process committed: no user
 *       transaction holds it and writers are not blocked. A build that failed (an invalid index no
 *       session is building) is dropped and built again the next time; one another instance is
 *       running is left to it.</li>
 *   <li>A search asks the index for the k nearest rows that have an embedding and, in the same
 *       statement (one snapshot), takes every candidate row that has none (stored in exact mode,
 *       bulk-inserted, or not yet back-filled); all are scored exactly from the stored bytes in
 *       double precision and merged. No vector is invisible.</li>
 *   <li>The index is asked for k + max(k, 16) rows: fewer (a tenant's rows hidden behind other
 *       tenants' nearer ones past {@code hnsw.max_scan_tuples}, or a filter rejecting them), or a
 *       k-th exact score not above what a row past the farthest returned could score (its float32
 *       distance is the exact one only within {@link #distanceError}: ties, vectors of one direction
 *       at other lengths, cosines differing below float32 precision), and the search runs exactly
 *       instead: when fewer came back, within the same statement (a branch that runs only then hands
 *       every candidate over for exact scoring); past the bound, as a second statement.</li>
 *   <li>Vectors stored before pgvector was installed get their embedding on a background thread
 *       started when Atlas first uses the index (after an import, and at each look at the catalogue a minute or more on, for rows
 *       other processes stored without one), tenant by tenant, 500 rows per transaction,
 *       skipping rows another transaction holds; searches meanwhile score them exactly.</li>
 *   <li>Models over {@value #MAX_INDEXED_DIMENSION} dimensions have no embedding and are searched exactly.</li>
 * </ul>
 */
public final class PgVectorIndex implements VectorIndex {
    private static final Logger LOG = LoggerFactory.getLogger(PgVectorIndex.class);
    private static final Map<Db, Choice> CHOSEN = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * pgvector's HNSW index covers at most 2,000 dimensions of type vector. Larger vectors get no
     * embedding column and no index; their searches run exactly over the stored bytes, so no
     * vector is missed, at the cost of a scan.
     */
    static final int MAX_INDEXED_DIMENSION = 2000;
    private static final int BACKFILL_BATCH = 500;
    private static final ExactVectorIndex EXACT = new ExactVectorIndex(null);

    private final Db db;
    private final PgVectorSql q;
    private final Settings settings;
    /** The vector extension's schema, quoted: its type, operator and operator class are named by it, whatever the search path. */
    private final String ext;
    /**
     * (model, dimension) keys whose index this process has seen valid, is building, or saw another session build; emptied at
     * each look at the catalogue ({@link #forDb}), so a dropped index is built again.
     */
    private final Set<String> indexed = ConcurrentHashMap.newKeySet();
    /** (index name, reason) of the failed builds warned about: each is warned once. */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /**
     * HNSW parameters from {@link dev.atlas.AtlasConfig}: {@code hnsw.ef_search} per query,
     * {@code m} and {@code ef_construction} of each index built (an existing index keeps its own).
     */
    public record Settings(int efSearch, int m, int efConstruction) {}

    private PgVectorIndex(Db db, Settings settings, String ext) {
        this.db = db;
        this.q = db.statements(PgVectorSql.class, PgVectorSql::new);
        this.settings = settings;
        this.ext = ext;
    }

    /**
     * The index for {@code db}: pgvector when the extension can be created, exact otherwise. Decided at the first vector call
     * of a Db (one Db belongs to one Atlas, so one configuration), and decided again when what it rests on changed: on
     * PostgreSQL the catalogue (the extension's schema, the embedding column) is asked again at the first vector call at least
     * {@link #RECHECK} after it was last asked, by the instance's clock (one statement a minute, not one per call), and when a
     * statement fails as if they vanished ({@link #reconsider}). Before, an extension installed later was never used and
     * a {@code DROP EXTENSION vector CASCADE} failed every vector call until a restart. No lock is held while deciding: two
     * threads may both run the idempotent DDL, and the first answer stays.
     */
    static VectorIndex forDb(Db db, Settings settings) {
        Choice c = CHOSEN.get(db);
        if (c == null) {
            Choice fresh = choose(db, settings);
            return fresh == null ? setUpElsewhere(db, settings) : install(db, null, fresh);
        }
        if (c.seen() == null) {
            return c.index();
        }
        java.time.Instant now = db.now();
        if (now.isBefore(c.asked().plus(RECHECK)) && !now.isBefore(c.asked())) { // a clock set back asks at once
            return c.index();
        }
        Choice marked = new Choice(c.index(), c.seen(), now);
        if (!CHOSEN.replace(db, c, marked)) { // another call is asking
            Choice other = CHOSEN.get(db);
            return other != null ? other.index() : c.index();
        }
        CatalogState state = state(db, false);
        if (state == null) {
            return c.index();
        }
        if (state.equals(c.seen())) {
            if (c.index() instanceof PgVectorIndex p) {
                // Each model's next store asks the catalogue for its index again (one query): one an operator dropped is
                // built again within a minute, not at the next restart. One building in another session is left to it.
                p.indexed.clear();
                // Vectors stored meanwhile without an embedding (by an instance searching exactly, an `atlas import` that
                // ended before its back-fill, a write in an application's transaction before the set-up): embedded now, on
                // the back-fill thread, which finds none with one statement on the index of such rows. Before, they waited
                // for a restart, each search of their model scoring them exactly
                // (PgvectorSetupTest#vectorsStoredByAnExactInstanceAreEmbeddedByARunningPgvectorInstance).
                p.backfillUnlessRunning();
            }
            return c.index();
        }
        Choice fresh = choose(db, settings);
        if (fresh == null) { // an application's transaction after all: the choice stands until a call outside one
            return c.index();
        }
        VectorIndex used = install(db, marked, fresh);
        if (used == fresh.index()) {
            LOG.info("the vector extension or its embedding column changed (was {}, now {}); asked the catalogue again: semantic search is {}",
                    c.seen(), state, used.name());
        }
        return used;
    }

    /** SQL states of a statement naming what is gone: a column, a type, an operator or function, a schema. */
    private static final Set<String> VANISHED = Set.of("42703", "42704", "42883", "3F000");

    /**
     * After {@code failed}'s statement failed with {@code e}: when it failed as if the extension or the embedding column had
     * vanished and the catalogue now says otherwise than when {@code failed} was chosen (an operator's {@code DROP EXTENSION
     * vector CASCADE}, say), chooses again, as a restarted instance would (creating the extension again where the server
     * offers it, back-filling the embeddings), warned once, and returns true: the caller may run its call again with
     * {@link #forDb}'s new answer. Also true when the catalogue is again as it was at the choice (another instance put it
     * back meanwhile): the choice stands, the call may run once more. False when the failure names nothing that vanished,
     * or the catalogue cannot be read here: the failure is the caller's to report.
     */
    static boolean reconsider(Db db, Settings settings, VectorIndex failed, RuntimeException e) {
        if (!(e instanceof dev.atlas.StorageException s) || !VANISHED.contains(String.valueOf(s.sqlState()))) {
            return false;
        }
        Choice c = CHOSEN.get(db);
        if (c == null || c.index() != failed) {
            return true; // chosen again meanwhile by another call
        }
        if (c.seen() == null) {
            return false;
        }
        CatalogState state = state(db, false);
        if (state == null) {
            // Not readable here (the application's transaction, which the failed statement aborted): the next vector call
            // asks before its first statement, so a retry outside the application's transaction gets the new choice.
            CHOSEN.replace(db, c, new Choice(c.index(), c.seen(), java.time.Instant.MIN));
            return false;
        }
        if (state.equals(c.seen())) {
            // Gone when the statement ran, back now: another instance that met the same drop first created the extension
            // and the column again (or the statement waited for its ALTER). The choice stands and the call runs once more;
            // each model's next store asks for its index (the column's went with it). Before, this instance's call failed
            // (PgvectorLifetimeTest#droppedExtensionMetByTwoInstancesAtOnce).
            if (c.index() instanceof PgVectorIndex p) {
                p.indexed.clear();
            }
            return true;
        }
        Choice fresh = choose(db, settings);
        if (fresh == null) {
            return false;
        }
        VectorIndex used = install(db, c, fresh);
        if (used == fresh.index()) {
            LOG.warn("the vector extension or its embedding column changed under this instance ({}); asked the catalogue again:"
                    + " semantic search is {}", reason(e), used.name());
        }
        return true;
    }

    /** Whether {@code h} is outside any transaction; false when that cannot be told (no DDL is then run on it). */
    private static boolean autoCommit(Handle h) {
        try {
            return h.getConnection().getAutoCommit();
        } catch (java.sql.SQLException e) {
            return false;
        }
    }

    /** Minimum time between two questions to the catalogue about the extension and the embedding column, by the instance's clock. */
    static final java.time.Duration RECHECK = java.time.Duration.ofMinutes(1);

    /**
     * What the catalogue said when an index was chosen: the vector extension's schema (quoted; null without the extension)
     * and whether the vectors table has the embedding column.
     */
    record CatalogState(@org.jspecify.annotations.Nullable String ext, boolean column) {}

    /** The index chosen for a Db, what the catalogue said then (null: nothing to ask again, SQLite), and when it was last asked. */
    private record Choice(VectorIndex index, @org.jspecify.annotations.Nullable CatalogState seen, java.time.Instant asked) {}

    /**
     * The catalogue's state now, or null when it cannot be read (the choice stands). Unless {@code evenInApplicationTransaction},
     * also null when the connection is the application's open transaction (a data source bound to it): choosing again there
     * would run the choice's DDL in that transaction, where {@code CREATE INDEX CONCURRENTLY} fails and aborts it.
     */
    private static @org.jspecify.annotations.Nullable CatalogState state(Db db, boolean evenInApplicationTransaction) {
        PgVectorSql q = db.statements(PgVectorSql.class, PgVectorSql::new);
        try {
            return db.read(h -> {
                try {
                    if (!evenInApplicationTransaction && !h.getConnection().getAutoCommit()) {
                        return null;
                    }
                } catch (java.sql.SQLException e) {
                    return null;
                }
                return Sql.crossTenant(db).on(h, q.catalogState).one((rs, ctx) -> new CatalogState(rs.getString(1), rs.getLong(2) > 0));
            });
        } catch (RuntimeException e) {
            LOG.debug("could not read the vector extension's state ({})", reason(e));
            return null;
        }
    }

    /**
     * Makes {@code fresh} the choice of {@code db} unless another call's stands: the first choice when {@code expected} is null,
     * else in place of {@code expected}. Starts the back-fill of a pgvector choice it installs. Returns the index in use.
     */
    private static VectorIndex install(Db db, @org.jspecify.annotations.Nullable Choice expected, Choice fresh) {
        if (expected == null) {
            Choice kept = CHOSEN.putIfAbsent(db, fresh);
            if (kept != null) {
                return kept.index();
            }
        } else if (!CHOSEN.replace(db, expected, fresh)) {
            Choice other = CHOSEN.get(db);
            return other != null ? other.index() : fresh.index();
        }
        if (fresh.index() instanceof PgVectorIndex p) {
            p.startBackfill(null);
        }
        return fresh.index();
    }

    /**
     * After an import stored vectors in {@code tenant} (their bytes only): embeds them and builds their models' indexes on a
     * background thread, when this instance already searches with pgvector (an instance that has not chosen yet back-fills
     * every tenant when it does). Before, they stayed without an embedding until a restart, every search of their model
     * scored each of them exactly, and a model only the import brought had no index
     * (PgvectorSearchTest#importedVectorsAreEmbeddedWithoutARestart).
     */
    public static void imported(Db db, String tenant) {
        Choice c = CHOSEN.get(db);
        if (c != null && c.index() instanceof PgVectorIndex p) {
            p.startBackfill(tenant);
        }
    }

    /** Whether a back-fill of every tenant ({@link #backfillUnlessRunning}) runs now. */
    private final java.util.concurrent.atomic.AtomicBoolean backfilling = new java.util.concurrent.atomic.AtomicBoolean();

    /** {@link #backfill} of every tenant on a daemon thread, unless one this call started still runs. */
    private void backfillUnlessRunning() {
        if (backfilling.compareAndSet(false, true)) {
            Thread t = new Thread(() -> {
                try {
                    backfill(null);
                } finally {
                    backfilling.set(false);
                }
            }, "atlas-pgvector-backfill");
            t.setDaemon(true);
            t.start();
        }
    }

    /** {@link #backfill} of {@code tenant}, or of every tenant with such rows when null, on a daemon thread. */
    private void startBackfill(@org.jspecify.annotations.Nullable String tenant) {
        Thread t = new Thread(() -> backfill(tenant), "atlas-pgvector-backfill");
        t.setDaemon(true);
        t.start();
    }

    /** When each Db last started a set-up on a thread of its own ({@link #setUpElsewhere}), so calls start at most one a minute. */
    private static final Map<Db, java.time.Instant> SET_UP_STARTED = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * The index for a first vector call made inside an application's transaction that Atlas joins, where the set-up cannot
     * run: its DDL ({@code ALTER TABLE}, {@code CREATE EXTENSION}) would take locks until the application commits and roll
     * back with it, and {@code CREATE INDEX CONCURRENTLY} fails there and aborts that transaction. Before, it ran there: the
     * transaction's next statement failed with 25P02 (PgvectorSetupTest#firstVectorCallInAnApplicationsTransactionRunsNoSetupThere).
     * The set-up runs on a thread of its own, which no application transaction is bound to, and is not waited for (its index
     * build waits for this very transaction to end); this call searches exactly, clearing the embedding of what it stores when
     * the column exists (as {@link #exactBeside}), and is not remembered as the choice.
     */
    private static VectorIndex setUpElsewhere(Db db, Settings settings) {
        java.time.Instant now = db.now();
        boolean start;
        synchronized (SET_UP_STARTED) {
            java.time.Instant last = SET_UP_STARTED.get(db);
            start = last == null || !now.isBefore(last.plus(RECHECK)) || now.isBefore(last);
            if (start) {
                SET_UP_STARTED.put(db, now);
            }
        }
        if (start) {
            Thread t = new Thread(() -> {
                try {
                    Choice fresh = choose(db, settings);
                    if (fresh != null) {
                        install(db, null, fresh);
                    }
                } catch (RuntimeException e) { // a closed Atlas: the next vector call chooses
                    LOG.debug("pgvector set-up stopped: {}", e.getMessage());
                }
            }, "atlas-pgvector-setup");
            t.setDaemon(true);
            t.start();
        }
        CatalogState state = state(db, true);
        return state != null && state.column()
                ? new ExactVectorIndex(null, db.statements(PgVectorSql.class, PgVectorSql::new).clearEmbeddingOf) : EXACT;
    }

    /** The choice for {@code db}, or null when the connection is an application's open transaction (nothing is run there). */
    private static @org.jspecify.annotations.Nullable Choice choose(Db db, Settings settings) {
        if (db.dialect() == Dialect.SQLITE) {
            return new Choice(new ExactVectorIndex(VectorCache.configured()), null, db.now());
        }
        PgVectorSql q = db.statements(PgVectorSql.class, PgVectorSql::new);
        if (Boolean.getBoolean("atlas.vectors.exact")) {
            return exactBeside(db, q);
        }
        try {
            return db.outsideTransaction(h -> {
                if (!autoCommit(h)) {
                    return null;
                }
                synchronized (choosing(db)) {
                    return chooseOn(db, settings, q, h);
                }
            });
        } catch (RuntimeException e) {
            // WARN, with the server's reason: the server offers the extension, so exact search until the catalogue changes is
            // most likely a configuration to fix (a user who does not own the table, a role that may not create the extension).
            String why = reason(e);
            if (warnedOnce(db, "enable\u0000" + why)) {
                LOG.warn("pgvector could not be enabled ({}); semantic search is exact", why);
            } else {
                LOG.debug("pgvector still cannot be enabled ({}); semantic search stays exact", why);
            }
            return exactBeside(db, q);
        }
    }

    /**
     * One lock per Db around its choices: two threads of one instance making their first vector calls at once both built the
     * index of vectors without an embedding, and PostgreSQL failed one of the two CREATE INDEX CONCURRENTLY as a deadlock
     * (each waits for the other's snapshot): a WARN, and when the failed one was the builder, an invalid index kept until a
     * restart (seen in PgvectorSearchTest#concurrentFirstVectorsOfOneModel's log). The second now finds the first's work done.
     */
    private static Object choosing(Db db) {
        synchronized (CHOOSING) {
            return CHOOSING.computeIfAbsent(db, d -> new Object());
        }
    }

    private static final Map<Db, Object> CHOOSING = new WeakHashMap<>();

    /** The causes each Db was warned about while choosing: a choice made again (the catalogue changed) failing alike warns no more. */
    private static final Map<Db, Set<String>> WARNED = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * True the first time {@code cause} (what failed and the server's reason) is met by {@code db}'s choices. Before, every
     * choice made again after a change of the catalogue (another instance adding the embedding column, say) warned the same
     * failure again (PgvectorSetupTest#unusablePgvectorIsWarnedOncePerReasonAcrossCatalogueChanges).
     */
    private static boolean warnedOnce(Db db, String cause) {
        return WARNED.computeIfAbsent(db, d -> ConcurrentHashMap.newKeySet()).add(cause);
    }

    private static Choice chooseOn(Db db, Settings settings, PgVectorSql q, Handle h) {
        Sql any = Sql.crossTenant(db);
        CatalogState none = new CatalogState(null, false);
        // The database's extension first: one a DBA installed serves whatever pg_available_extensions says (it lists
        // the server's control files, which a package change may remove, and a role may see another view of it);
        // asked second, it turned such an installation to exact search (PgvectorSchemasTest).
        java.util.Optional<String> ext = any.on(h, q.installed).optional(Sql.STRING);
        if (ext.isEmpty()) {
            // Ask before creating: a failing CREATE EXTENSION would log an error on the server and make the
            // pool discard the connection, on every start of every deployment without pgvector.
            if (any.on(h, q.available).one(Sql.LONG) == 0) {
                LOG.info("pgvector is not installed on this server; semantic search is exact");
                return new Choice(EXACT, none, db.now());
            }
            try {
                any.on(h, q.createExtension).update();
            } catch (RuntimeException e) {
                // Another instance's CREATE EXTENSION committed while ours waited for it: its extension serves us.
                if (any.on(h, q.installed).optional(Sql.STRING).isEmpty()) {
                    throw e;
                }
                LOG.debug("another session created the vector extension meanwhile ({})", reason(e));
            }
            ext = any.on(h, q.installed).optional(Sql.STRING);
            if (ext.isEmpty()) { // dropped again meanwhile: nothing to use
                LOG.warn("the vector extension was dropped while Atlas enabled it; semantic search is exact");
                return new Choice(EXACT, none, db.now());
            }
        }
        // Fails here, at start-up (WARN, exact search), rather than in every user's vector write and search.
        any.on(h, q.usable(ext.get())).one(Sql.STRING);
        addColumn(any, h, q, ext.get());
        String unembedded = db.prefix() + "vectors_unembedded";
        try { // autocommit handle: CONCURRENTLY refuses to run in a transaction block
            // Built only when missing or invalid: CREATE INDEX CONCURRENTLY IF NOT EXISTS queues behind any other
            // build on the table (another instance's HNSW build, minutes on a large model) before it sees the
            // index exists, and a build that failed left an invalid index IF NOT EXISTS kept for good.
            buildUnlessThere(any, h, q, unembedded, q.unembeddedIndex);
        } catch (RuntimeException e) { // searches stay correct without it, they only read every row of the model
            String why = reason(e);
            if (warnedOnce(db, "unembedded\u0000" + why)) {
                LOG.warn("could not build the index of vectors without an embedding ({}); pgvector searches scan the table", why);
            } else {
                LOG.debug("the index of vectors without an embedding still cannot be built ({})", why);
            }
        }
        LOG.info("pgvector is available: semantic search uses HNSW indexes");
        return new Choice(new PgVectorIndex(db, settings, ext.get()), new CatalogState(ext.get(), true), db.now());
    }

    /**
     * Exact search for an instance on a database where other instances may use pgvector: when the embedding column exists,
     * each vector this instance stores has its embedding cleared (their searches score such rows exactly). A column added
     * after this choice is seen at the next look at the catalogue ({@link #RECHECK}): until then a vector rewritten here keeps
     * the old embedding.
     */
    private static Choice exactBeside(Db db, PgVectorSql q) {
        CatalogState state = state(db, true);
        if (state == null) {
            LOG.warn("could not tell whether the vectors table has pgvector embeddings; vectors rewritten here may keep an old one"
                    + " until the catalogue can be read");
            return new Choice(EXACT, new CatalogState(null, false), db.now());
        }
        return new Choice(state.column() ? new ExactVectorIndex(null, q.clearEmbeddingOf) : EXACT, state, db.now());
    }

    /** The database's own message when there is one (a wrapper's says only which statement failed). */
    private static String reason(Throwable e) {
        java.sql.SQLException sql = sqlCause(e);
        return sql != null ? sql.getMessage() : e.getMessage();
    }

    private static java.sql.@org.jspecify.annotations.Nullable SQLException sqlCause(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.sql.SQLException s) {
                return s;
            }
        }
        return null;
    }

    /**
     * Adds the embedding column unless it exists. Only the very first start on a database runs the ALTER; two instances
     * starting at once there can still meet another's index build (a deadlock PostgreSQL resolves by failing one), so a
     * failure is retried, at most {@value #ADD_COLUMN_ATTEMPTS} times, each asking the catalogue again: the other
     * instance's ALTER has usually committed meanwhile. Any other failure is not retried. Never seen by a user call: a
     * last failure leaves this instance on exact search, warned with the server's reason.
     */
    private static void addColumn(Sql any, Handle h, PgVectorSql q, String ext) {
        for (int attempt = 1; ; attempt++) {
            if (any.on(h, q.hasColumn).one(Sql.LONG) > 0) {
                return;
            }
            try {
                any.on(h, q.addColumn(ext)).update();
                return;
            } catch (RuntimeException e) {
                // Only a lost lock race is worth asking again; any other error (a user who does not own the table) would fail alike, each time an ERROR in the server's log.
                java.sql.SQLException sql = sqlCause(e);
                String state = sql == null ? "" : String.valueOf(sql.getSQLState());
                boolean lockRace = state.equals("40P01") || state.equals("40001") || state.equals("55P03");
                if (!lockRace || attempt == ADD_COLUMN_ATTEMPTS) {
                    throw e;
                }
                LOG.debug("adding the embedding column failed ({}), attempt {}; asking again", e.getMessage(), attempt);
            }
        }
    }

    private static final int ADD_COLUMN_ATTEMPTS = 3;

    /** An index of this installation's vectors table: whether it is valid, whether another session builds it, its schema-qualified name. */
    private record Existing(boolean valid, boolean building, String qualifiedName) {}

    /**
     * Whether this instance should build index {@code name}: it is missing, or a build failed (invalid, and no session
     * builds it), whose leftover is dropped here first. A valid index needs nothing; one another instance is building
     * (invalid until its build ends) is left to it: a drop would wait for that build and then throw it away.
     */
    private static boolean clearedToBuild(Sql any, Handle h, PgVectorSql q, String name) {
        java.util.Optional<Existing> found = any.on(h, q.indexValid).bind("name", name)
                .optional((rs, ctx) -> new Existing(rs.getBoolean(1), rs.getBoolean(3), rs.getString(2)));
        if (found.isEmpty()) {
            return true;
        }
        Existing e = found.get();
        if (e.valid() || e.building()) {
            return false;
        }
        any.on(h, q.dropInvalidIndex(e.qualifiedName())).update();
        return true;
    }

    /**
     * Builds index {@code name} with {@code create} unless {@link #clearedToBuild} says it is there or being built. Two
     * instances that both found it missing both run their build: each waits for the other's snapshot, and PostgreSQL fails one
     * as a deadlock. When the failed one was the first to start, its index is left invalid, and the other's {@code IF NOT
     * EXISTS} kept it: so a build that lost such a race asks again once, dropping its own leftover, or leaving a build the
     * other session now runs to it. Before, the loser logged a WARN and an invalid index stayed until a restart (or, for a
     * model's HNSW index, the model's next store).
     */
    private static void buildUnlessThere(Sql any, Handle h, PgVectorSql q, String name, dev.atlas.jdbi.internal.sql.Statement create) {
        for (int attempt = 1; ; attempt++) {
            try {
                if (clearedToBuild(any, h, q, name)) {
                    any.on(h, create).update();
                }
                return;
            } catch (RuntimeException e) {
                java.sql.SQLException sql = sqlCause(e);
                String state = sql == null ? "" : String.valueOf(sql.getSQLState());
                if (!state.equals("40P01") || attempt == 2) {
                    throw e;
                }
                LOG.debug("building {} met another session's build ({}); asking again", name, reason(e));
            }
        }
    }

    /**
     * Fills the embedding column of vectors stored before pgvector was installed (or by bulk
     * inserts, or an import): the tenants are found across tenants (unless {@code only} names the one), then each is filled by
     * tenant-bound statements, one transaction per batch; then the indexes of the models seen are ensured.
     */
    private void backfill(@org.jspecify.annotations.Nullable String only) {
        try {
            List<String> tenants = only != null ? List.of(only) : db.read(h -> Sql.crossTenant(db).on(h, q.backfillTenants).list(Sql.STRING));
            Set<String> models = new java.util.TreeSet<>();
            for (String tenant : tenants) {
                Sql sql = new Sql(db, new TenantId(tenant));
                int n;
                do {
                    n = db.write(h -> {
                        List<Object[]> rows = sql.on(h, q.backfillBatch).bind("limit", BACKFILL_BATCH)
                                .list((rs, ctx) -> new Object[] {db.dialect().uuid(rs, "id"), rs.getBytes("vector"), rs.getString("model")});
                        for (Object[] row : rows) {
                            float[] v = Vectors.decode((byte[]) row[1]);
                            sql.on(h, q.writeEmbedding(ext)).bind("v", embedding(v)).bind("id", row[0]).update();
                            models.add(v.length + "\u0000" + row[2]);
                        }
                        return rows.size();
                    });
                } while (n == BACKFILL_BATCH);
            }
            for (String key : models) {
                int at = key.indexOf('\u0000');
                committed(key.substring(at + 1), Integer.parseInt(key.substring(0, at)));
            }
        } catch (RuntimeException e) {
            // Closed or dropped database, or a concurrent schema change: searches stay correct
            // (rows without an embedding are scored exactly); the next start tries again.
            LOG.debug("pgvector back-fill stopped: {}", e.getMessage());
        }
    }

    @Override
    public String name() {
        return "pgvector-hnsw";
    }

    @Override
    public void stored(Sql sql, Handle h, SearchTarget target, UUID targetId, String model, float[] vector) {
        if (vector.length <= MAX_INDEXED_DIMENSION) { // larger ones are searched exactly from the bytes column
            sql.on(h, q.writeEmbeddingOf(ext)).bind("v", embedding(vector)).bind("model", model).bind("type", target.toString())
                    .bind("id", targetId).update();
        }
    }

    /** Ensures the model's index, outside any transaction, once per process and key. */
    @Override
    public void committed(String model, int dimension) {
        if (dimension > MAX_INDEXED_DIMENSION || !indexed.add(dimension + "\u0000" + model)) {
            return;
        }
        String name = db.prefix() + "vectors_hnsw_" + indexKey(model, dimension);
        Sql any = Sql.crossTenant(db);
        try {
            boolean built = db.outsideTransaction(h -> { // autocommit: CONCURRENTLY refuses to run in a transaction block
                if (!autoCommit(h)) {
                    // The application's transaction, which Atlas joined (a data source bound to it): CREATE INDEX CONCURRENTLY
                    // fails there and its error aborts that transaction, whose later statements then all failed (25P02)
                    // while this store returned normally. The model's next store outside one builds it.
                    return false;
                }
                // One another session builds stays in `indexed`: its builder finishes it, and asking on every store while
                // it runs (minutes) would cost each a catalogue query; should it fail, the next look at the catalogue (a minute
                // on) or the next start builds it.
                buildUnlessThere(any, h, q, name, q.createIndex(ext, name, model, dimension, settings.m(), settings.efConstruction()));
                return true;
            });
            if (!built) {
                indexed.remove(dimension + "\u0000" + model);
            }
        } catch (RuntimeException e) {
            // The key stays taken until the next look at the catalogue (RECHECK), which empties `indexed`: a build this role
            // may not run (it does not own the table) failed at every store of the model before, each an ERROR in the server's
            // log and a WARN here (PgvectorSetupTest#indexTheRoleMayNotBuildIsWarnedOnceNotTriedAtEveryStore). Searches stay
            // correct meanwhile. Warned once per index and reason; a repeat is logged at DEBUG.
            String why = reason(e);
            if (warned.add(name + "\u0000" + why)) {
                LOG.warn("could not build the pgvector index {} ({}); searches of model '{}' scan until it exists", name, why, model);
            } else {
                LOG.debug("could not build the pgvector index {} ({}), again", name, why);
            }
        }
    }

    @Override
    public List<SearchHit> nearest(Sql sql, Handle h, SearchTarget target, Candidates c, String model, float[] query, int k) {
        int d = query.length;
        if (d > MAX_INDEXED_DIMENSION) {
            return EXACT.nearest(sql, h, target, c, model, query, k);
        }
        // The configured candidate list, at least 2k for large k, and iterative scans (pgvector 0.8+) so filters that
        // reject many index hits still return k rows in distance order. set_config accepts the
        // names on older versions too, where they are inert.
        // hnsw.max_scan_tuples stays the server's (pgvector's default 20,000; an operator may tune it): how far an iterative
        // scan walks the shared index for this tenant's rows before the last branch of PgVectorSql#nearest reads every
        // candidate. 1,000 was measured against it (PgvectorSearchTest, 50,000 vectors, rows of atlas_vectors read per k = 10
        // search): a tenant of 50 rows whose statistics still said 30,000 read 12,621 at 20,000 and 731 at 1,000; a tenant of
        // 50,000 filtered to 1 row in 55 read 900 to 1,800 (5,300 to 6,500 at k = 50) at 20,000 and 51,000 at 1,000, every
        // search, as giving up leaves exact search all of its vectors. Stale statistics pass with the next ANALYZE; a filter's
        // selectivity stays. Hits were exact either way.
        sql.on(h, q.settings).bind("ef", String.valueOf(Math.min(1000, Math.max(settings.efSearch(), 2 * k)))).one(Sql.STRING);
        int asked = k + Math.max(k, MIN_EXTRA_ROWS);
        // When the index hands back fewer than `asked` rows (a tenant with fewer vectors of the model, or a filter rejecting
        // most), the answer is exact search's, streamed by the statement's last branch (PgVectorSql#nearest): a tenant of 20
        // vectors beside one of 50,000 ran 4 statements, now 3 (PgvectorSearchTest#smallTenantIsSearchedInOneStatement).
        // The index only ranks; scores are computed in double from the stored bytes, as exact
        // search does, so both indexes report the same score for the same pair of vectors.
        ExactVectorIndex.TopK top = new ExactVectorIndex.TopK(k);
        List<Ranked> ranked = new java.util.ArrayList<>(asked); // the index's rows
        double qq = Vectors.squaredNorm(query);
        c.call(sql, h, q.nearest(ext, c.fromWhere(), c.conversationExpr(), model, d, asked)).bind("qv", embedding(query))
                .fetchSize(1000).forEach((rs, ctx) -> {
            double score = ExactVectorIndex.cosine(query, qq, rs.getBytes(3));
            if (rs.getInt(5) == 0) {
                ranked.add(new Ranked(score, rs.getString(1), rs.getString(2), rs.getDouble(4)));
            } else if (top.accepts(score)) {
                top.add(score, rs.getString(1), rs.getString(2));
            }
            return null;
        }, x -> { });
        ranked.sort(java.util.Comparator.comparingDouble(Ranked::score).reversed().thenComparing(Ranked::id));
        // Exact instead unless the index's rows settle the answer. Fewer than asked came back: the tenant
        // and filter have no more, or the scan gave up after hnsw.max_scan_tuples nearer rows of other
        // tenants or rejected by the filter, which would hide this tenant's rows. Or a row the index did
        // not return could score at least the k-th: the rows it did not return are at least as far as
        // the farthest it returned by its float32 distance, which is the exact one only within
        // distanceError, so the k-th must score above 1 - farthest + distanceError. Rows tied in score
        // beyond the LIMIT (met in whatever order the index met them; among equal scores the smaller ids
        // must win), and vectors of one direction at other lengths (one unit embedding, tied in the
        // index while their exact scores differ in the last bits: SearchContract#semanticDifferential)
        // fail it too, and so do cosines that differ below float32 precision, which the index met in
        // another order than their scores (SearchContract#semanticNearTiesBelowFloat32).
        if (ranked.size() < asked) { // the last branch ran: top holds every candidate, scored exactly
            return top.hits(target);
        }
        double farthest = ranked.stream().mapToDouble(Ranked::distance).max().orElseThrow();
        if (!(ranked.get(k - 1).score() > 1 - farthest + distanceError(d))) {
            return EXACT.nearest(sql, h, target, c, model, query, k);
        }
        for (Ranked r : ranked.subList(0, k)) {
            top.add(r.score(), r.id(), r.conversation());
        }
        return top.hits(target);
    }

    /** Rows asked of the index beyond k, at least: k more, so the farthest it returns is usually far enough to settle the k best. */
    static final int MIN_EXTRA_ROWS = 16;

    /**
     * A bound on how far pgvector's cosine distance of two vectors of {@code d} dimensions can be from 1 minus their
     * exact score: each vector is scaled to unit length in float32 (an angle of about 2^-24 each), and pgvector sums the
     * products and both squared norms in float32, each sum off by at most gamma(d) = d u / (1 - d u), u = 2^-24,
     * relative to the sum of the terms' magnitudes (at most about 1 for unit vectors), the norms' errors halved by the
     * square root. So 2 gamma(d) for the sums, and 2^-20 for the scaling and the double arithmetic on both sides.
     */
    static double distanceError(int d) {
        double du = d * 0x1p-24;
        return 2 * du / (1 - du) + 0x1p-20;
    }

    /** A row the index returned: its exact score and the index's own (float32) cosine distance. */
    private record Ranked(double score, String id, String conversation, double distance) {}

    /** 64 bits of SHA-256 over model and dimension, in hex: distinct models get distinct index names. */
    static String indexKey(String model, int dimension) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((dimension + "\u0000" + model).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The text of the embedding column: the vector scaled to unit length. Cosine distance ignores
     * length, and pgvector computes norms in float32, where the square of a component above
     * ~1.8e19 overflows to infinity and the distance becomes NaN; unit components cannot overflow.
     */
    static String embedding(float[] v) {
        return literal(Vectors.normalise(v));
    }

    static String literal(float[] v) {
        StringBuilder b = new StringBuilder(v.length * 10).append('[');
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ",").append(v[i]);
        }
        return b.append(']').toString();
    }
}
