package dev.atlas.jdbi.internal;

import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.internal.Check;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.PriceStore;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Handle;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** {@link PriceStore} on the statement layer: prices as integer micro-units per million tokens, so cost math is exact. */
public final class JdbiPriceStore implements PriceStore {
    private final Db db;
    private final Sql sql;
    private final PriceSql q;

    public JdbiPriceStore(Db db, String tenant) {
        this.db = db;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(PriceSql.class, PriceSql::new);
    }

    @Override
    public ModelPrice create(ModelPrice given) {
        Check.notNull("price", given);
        // Stored at microsecond precision: the returned price equals what history() reads back.
        ModelPrice price = new ModelPrice(given.provider(), given.model(), given.inputPerMillion(), given.outputPerMillion(),
                given.cachedPerMillion(), given.cacheWritePerMillion(), Check.micros(given.validFrom()));
        return db.write(h -> {
            if (sql.on(h, q.exists).bind("provider", price.provider()).bind("model", price.model()).bind("from", price.validFrom()).exists()) {
                throw duplicate(price);
            }
            int inserted = sql.on(h, q.insert).bind("id", Ids.next(db.clock())).bind("provider", price.provider()).bind("model", price.model())
                    .bind("in", ModelPrice.micros(price.inputPerMillion())).bind("out", ModelPrice.micros(price.outputPerMillion()))
                    .bind("cached", price.cachedPerMillion() == null ? null : ModelPrice.micros(price.cachedPerMillion()))
                    .bind("cacheWrite", price.cacheWritePerMillion() == null ? null : ModelPrice.micros(price.cacheWritePerMillion()))
                    .bind("from", price.validFrom()).bind("now", db.now())
                    .update();
            if (inserted == 0) {
                throw duplicate(price);
            }
            return price;
        });
    }

    private static ConflictException duplicate(ModelPrice price) {
        return new ConflictException("validFrom", price.provider() + "/" + price.model() + " already has a price valid from "
                + price.validFrom() + "; add a price with a later validFrom instead of rewriting history");
    }

    @Override
    public Optional<ModelPrice> get(String provider, String model, Instant at) {
        Check.key("provider", provider);
        Check.key("model", model);
        Check.instant("at", Check.notNull("at", at));
        return db.read(h -> priceAt(sql, h, q, provider, model, at));
    }

    /** The price of {@code provider}/{@code model} valid at {@code at}, on the transaction of {@code h}. */
    static Optional<ModelPrice> priceAt(Sql sql, Handle h, PriceSql q, String provider, String model, Instant at) {
        return sql.on(h, q.at).bind("provider", provider).bind("model", model).bind("at", at)
                .optional(ExecutionRows.price(sql.dialect()));
    }

    @Override
    public List<ModelPrice> list(String provider, String model) {
        Check.key("provider", provider);
        Check.key("model", model);
        return List.copyOf(db.read(h -> sql.on(h, q.list).bind("provider", provider).bind("model", model)
                .list(ExecutionRows.price(db.dialect()))));
    }
}
