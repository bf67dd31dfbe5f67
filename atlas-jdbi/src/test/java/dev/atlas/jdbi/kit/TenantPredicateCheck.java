package dev.atlas.jdbi.kit;

import dev.atlas.jdbi.internal.sql.TenantPredicate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every statement on a tenant table carries the tenant: each reference to a tenant table, at every
 * level of the statement, is bound by a tenant predicate of its own level (see {@link TenantPredicate}:
 * a conjunct {@code r.tenant_id = ?} or {@code r.tenant_id = o.tenant_id} with {@code o} bound) or,
 * for an INSERT, inserts a parameter as tenant_id. This is what keeps one tenant's call off another
 * tenant's rows and what lets Citus route a statement to one shard. It reads the driver's text, where
 * any {@code ?} may be the tenant; the catalogues check the declared text, where only {@code :t} is.
 * Schema statements (CREATE/ALTER/DROP: the pgvector column and index made at run time) and the
 * {@link #CROSS_TENANT} calls are exempt.
 */
public final class TenantPredicateCheck {
    private TenantPredicateCheck() {}

    /**
     * The statements that read across tenants on purpose, by the Atlas method that runs them:
     * the operator's usage report over every tenant ({@code Atlas.usageReport}), and the start-up
     * back-fill of pgvector embeddings for vectors stored before the extension was installed, and
     * AssetStore.register's look-up of who holds a blob key (a key belongs to one tenant), and
     * whether another tenant's row still names a purged asset's blob key before its bytes go, and
     * the content of the rows naming a blob key an imported asset names, and the purges (of any tenant) deleting its bytes.
     */
    public static final Map<String, String> CROSS_TENANT = Map.of(
            "JdbiAtlas#usageReport", "the operator's usage report sums every tenant",
            "PgVectorIndex#backfill", "start-up maintenance: fills the embedding column of every tenant's older vectors",
            "JdbiAssetStore#checkKeyFree", "AssetStore.register: a registered blob key belongs to one tenant, so every tenant's holders are looked up",
            "BlobReaper#stillNamed", "deleting purged bytes: whether any other tenant's asset row still names the blob key",
            "JdbiPortability#checkSharedBlobKey", "import: an asset naming a blob key other tenants' rows name must have their content",
            "JdbiPortability#refusePurgedBlobKeys", "import: an asset may not name a blob key whose bytes a purge of any tenant is deleting");

    /** The statements of {@code recorded} that miss a tenant predicate, each with the Atlas method that ran it. */
    public static List<String> misses(List<StatementRecorder.Recorded> recorded, String prefix) {
        List<String> misses = new ArrayList<>();
        for (StatementRecorder.Recorded r : recorded) {
            if (r.callers().isEmpty()) {
                continue; // the test's own SQL on Atlas's handle (row counts, fault injection), not Atlas's
            }
            String miss = miss(r.sql(), prefix);
            if (miss != null && r.callers().stream().noneMatch(CROSS_TENANT::containsKey)) {
                misses.add(r.caller() + ": " + miss + ": " + r.sql().replaceAll("\\s+", " "));
            }
        }
        return misses;
    }

    /**
     * Answers by text (prefix, then the statement): a test runs the same few statements many times and every test
     * checks them again at close; the regular expressions were a tenth of a test JVM's CPU. "" stands for null.
     */
    private static final Map<String, String> ANSWERS = new java.util.concurrent.ConcurrentHashMap<>();

    /** Why {@code sql} misses the tenant, or null when it carries it (or touches no tenant table). */
    static String miss(String sql, String prefix) {
        String key = prefix + '\n' + sql;
        String known = ANSWERS.get(key);
        if (known != null) {
            return known.isEmpty() ? null : known;
        }
        String miss = TenantPredicate.miss(sql, prefix);
        if (ANSWERS.size() < 50_000) {
            ANSWERS.put(key, miss == null ? "" : miss);
        }
        return miss;
    }
}
