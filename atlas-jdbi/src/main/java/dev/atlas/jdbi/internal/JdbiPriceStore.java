package dev.atlas.jdbi.internal;

import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.internal.Check;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.PriceStore;
import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** {@link PriceStore} on Jdbi: prices as integer micro-units per million tokens, so cost math is exact. */
public final class JdbiPriceStore implements PriceStore {
    private final Db db;
    private final String tenant;

    public JdbiPriceStore(Db db, String tenant) {
        this.db = db;
        this.tenant = tenant;
    }

    @Override
    public ModelPrice create(ModelPrice given) {
        Check.notNull("price", given);
        // Stored at microsecond precision: the returned price equals what history() reads back.
        ModelPrice price = new ModelPrice(given.provider(), given.model(), given.inputPerMillion(), given.outputPerMillion(),
                given.cachedPerMillion(), given.cacheWritePerMillion(), Check.micros(given.validFrom()));
        return db.write(h -> {
            boolean exists = h.createQuery("SELECT 1 FROM <p>model_prices WHERE tenant_id = :t AND provider = :provider"
                            + " AND model = :model AND valid_from = :from")
                    .bind("t", tenant).bind("provider", price.provider()).bind("model", price.model()).bind("from", price.validFrom())
                    .mapTo(Integer.class).findOne().isPresent();
            if (exists) {
                throw new ConflictException("validFrom", price.provider() + "/" + price.model() + " already has a price valid from "
                        + price.validFrom() + "; add a price with a later validFrom instead of rewriting history");
            }
            h.createUpdate("INSERT INTO <p>model_prices (tenant_id, id, provider, model, input_micros_per_mtok, output_micros_per_mtok,"
                            + " cached_micros_per_mtok, cache_write_micros_per_mtok, valid_from, created_at) VALUES (:t, :id, :provider,"
                            + " :model, :in, :out, :cached, :cacheWrite, :from, :now)")
                    .bind("t", tenant).bind("id", Ids.next(db.clock())).bind("provider", price.provider()).bind("model", price.model())
                    .bind("in", ModelPrice.micros(price.inputPerMillion())).bind("out", ModelPrice.micros(price.outputPerMillion()))
                    .bind("cached", price.cachedPerMillion() == null ? null : ModelPrice.micros(price.cachedPerMillion()))
                    .bind("cacheWrite", price.cacheWritePerMillion() == null ? null : ModelPrice.micros(price.cacheWritePerMillion()))
                    .bind("from", price.validFrom()).bind("now", db.now())
                    .execute();
            return price;
        });
    }

    @Override
    public Optional<ModelPrice> get(String provider, String model, Instant at) {
        Check.key("provider", provider);
        Check.key("model", model);
        Check.instant("at", Check.notNull("at", at));
        return db.read(h -> priceAt(h, tenant, db.dialect(), provider, model, at));
    }

    static Optional<ModelPrice> priceAt(Handle h, String tenant, Dialect dialect, String provider, String model, Instant at) {
        return h.createQuery("SELECT " + ExecutionRows.PRICE_COLUMNS + " FROM <p>model_prices WHERE tenant_id = :t AND provider = :provider"
                        + " AND model = :model AND valid_from <= :at ORDER BY valid_from DESC LIMIT 1")
                .bind("t", tenant).bind("provider", provider).bind("model", model).bind("at", at)
                .map(ExecutionRows.price(dialect)).findOne();
    }

    @Override
    public List<ModelPrice> list(String provider, String model) {
        Check.key("provider", provider);
        Check.key("model", model);
        return List.copyOf(db.read(h -> h.createQuery("SELECT " + ExecutionRows.PRICE_COLUMNS + " FROM <p>model_prices"
                        + " WHERE tenant_id = :t AND provider = :provider AND model = :model ORDER BY valid_from")
                .bind("t", tenant).bind("provider", provider).bind("model", model)
                .map(ExecutionRows.price(db.dialect())).list()));
    }
}
