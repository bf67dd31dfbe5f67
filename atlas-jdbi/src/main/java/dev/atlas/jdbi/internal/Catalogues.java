package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Every aggregate's statement catalogue. A store gets its catalogue from
 * {@link Db#statements}; this list lets the catalogue test declare them all for each dialect and
 * check each statement without a database.
 */
public final class Catalogues {
    private Catalogues() {}

    private static final List<Function<Catalogue, ?>> ALL = List.of(
            CredentialSql::new,
            AssistantSql::new,
            SettingsSql::new,
            TaskSql::new,
            ConversationSql::new,
            MessageSql::new,
            ExecutionSql::new,
            PriceSql::new,
            UsageSql::new,
            MemorySql::new,
            GraphSql::new,
            SearchSql::new,
            PgVectorSql::new,
            AssetSql::new,
            VoiceCallSql::new,
            RetentionSql::new,
            dev.atlas.jdbi.internal.portability.PortabilitySql::new,
            ScheduleSql::new,
            InstallationSql::new,
            SessionSql::new);

    /** Declares every catalogue for {@code dialect} and {@code prefix}; throws where a statement lacks its tenant predicate. */
    public static List<Catalogue> declareAll(Dialect dialect, String prefix) {
        List<Catalogue> all = new ArrayList<>();
        for (Function<Catalogue, ?> declare : ALL) {
            Catalogue c = new Catalogue(dialect, prefix);
            declare.apply(c);
            all.add(c);
        }
        return all;
    }
}
