package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** The price store's statements; {@link #at} also prices a finishing execution. */
final class PriceSql {
    private static final String PRICES = "SELECT " + ExecutionRows.PRICE_COLUMNS + " FROM <p>model_prices"
            + " WHERE tenant_id = :t AND provider = :provider AND model = :model";

    final Statement exists;
    final Statement insert;
    final Statement at;
    final Statement list;

    PriceSql(Catalogue c) {
        exists = c.sql("prices.exists", "SELECT 1 FROM <p>model_prices WHERE tenant_id = :t AND provider = :provider"
                + " AND model = :model AND valid_from = :from");
        insert = c.sql("prices.insert", "INSERT INTO <p>model_prices (tenant_id, id, provider, model, input_micros_per_mtok,"
                + " output_micros_per_mtok, cached_micros_per_mtok, cache_write_micros_per_mtok, valid_from, created_at)"
                + " VALUES (:t, :id, :provider, :model, :in, :out, :cached, :cacheWrite, :from, :now)"
                // A concurrent create of the same price passes the exists check too: it inserts nothing instead of failing.
                + " ON CONFLICT (tenant_id, provider, model, valid_from) DO NOTHING");
        at = c.sql("prices.at", PRICES + " AND valid_from <= :at ORDER BY valid_from DESC LIMIT 1");
        list = c.sql("prices.list", PRICES + " ORDER BY valid_from");
    }
}
