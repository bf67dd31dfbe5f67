package dev.atlas.bench;

import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.JsonDoc;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.argument.AbstractArgumentFactory;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.config.ConfigRegistry;

import java.sql.Types;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.UUID;
import java.util.WeakHashMap;

/**
 * A Jdbi on an Atlas database's own pool, configured the way Atlas configured Jdbi before it ran
 * plain JDBC (prefix as {@code <p>}, ids, instants and JSON bound through the dialect): the Jdbi
 * idioms the diagnostics measure. One per database, so plugins installed on it stay installed.
 */
final class BenchJdbi {
    private static final Map<Db, Jdbi> ALL = Collections.synchronizedMap(new WeakHashMap<>());

    private BenchJdbi() {}

    static Jdbi of(Db db) {
        return ALL.computeIfAbsent(db, BenchJdbi::create);
    }

    private static Jdbi create(Db db) {
        Dialect dialect = db.dialect();
        Jdbi jdbi = Jdbi.create(db.dataSource());
        jdbi.define("p", db.prefix());
        jdbi.registerArgument(new AbstractArgumentFactory<UUID>(Types.OTHER) {
            @Override
            protected Argument build(UUID value, ConfigRegistry config) {
                return (pos, stmt, ctx) -> dialect.bindUuid(stmt, pos, value);
            }
        });
        jdbi.registerArgument(new AbstractArgumentFactory<Instant>(Types.TIMESTAMP_WITH_TIMEZONE) {
            @Override
            protected Argument build(Instant value, ConfigRegistry config) {
                return (pos, stmt, ctx) -> dialect.bindInstant(stmt, pos, value);
            }
        });
        jdbi.registerArgument(new AbstractArgumentFactory<JsonDoc>(Types.OTHER) {
            @Override
            protected Argument build(JsonDoc value, ConfigRegistry config) {
                return (pos, stmt, ctx) -> dialect.bindJson(stmt, pos, value.text());
            }
        });
        return jdbi;
    }
}
