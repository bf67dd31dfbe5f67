package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;

import java.util.List;
import java.util.UUID;

/**
 * Writes the search column of rows that have none (rows written before migration V8, or since by
 * an older Atlas), in batches, each its own transaction. The column is made by {@link SearchText}
 * in Java, which SQL cannot reproduce, so no migration can fill it.
 */
public final class SearchBackfill {
    private SearchBackfill() {}

    /** Every tenant's messages and memories: run when Atlas opens after migrating. Returns the rows written. */
    public static int run(Db db) {
        SearchSql q = db.statements(SearchSql.class, SearchSql::new);
        int total = 0;
        for (String table : SearchSql.TEXT_TABLES) {
            for (String tenant : db.read(h -> Sql.crossTenant(db).on(h, q.pendingTenants.get(table)).list(Sql.STRING))) {
                total += run(db, new Sql(db, new TenantId(tenant)), q, table);
            }
        }
        return total;
    }

    /** The rows of {@code table} of the runner's tenant, before a text search reads them. Returns the rows written. */
    static int run(Db db, Sql sql, SearchSql q, String table) {
        boolean any = db.read(h -> sql.on(h, q.anyPending.get(table)).exists());
        int total = 0;
        while (any) {
            int n = db.write(h -> {
                List<String[]> rows = sql.on(h, q.pendingBatch.get(table))
                        .list((rs, ctx) -> new String[] {rs.getString("id"), rs.getString("content")});
                if (!rows.isEmpty()) {
                    Sql.Call batch = sql.on(h, q.writeSearchText.get(table));
                    for (String[] r : rows) {
                        batch.bind("s", SearchText.index(r[1])).bind("id", UUID.fromString(r[0])).add();
                    }
                    batch.batch();
                }
                return rows.size();
            });
            total += n;
            any = n == SearchSql.INDEX_BATCH;
        }
        return total;
    }
}
