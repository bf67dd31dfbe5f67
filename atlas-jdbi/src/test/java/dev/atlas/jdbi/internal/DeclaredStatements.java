package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/**
 * A statement exactly as Atlas declares it, for the query plan tests outside this package: they
 * plan what runs, not a copy. Declares only the one aggregate's catalogue (declaring them all costs
 * half a second of parsing on a cold JVM).
 */
public final class DeclaredStatements {
    private DeclaredStatements() {}

    /** {@code AssetSql}'s statement {@code name} ({@code assets.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement asset(Dialect dialect, String name) {
        return named(dialect, AssetSql::new, name, "AssetSql");
    }

    /** {@code PortabilitySql}'s statement {@code name} ({@code portability.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement portability(Dialect dialect, String name) {
        return named(dialect, dev.atlas.jdbi.internal.portability.PortabilitySql::new, name, "PortabilitySql");
    }

    /** {@code ConversationSql}'s statement {@code name} ({@code conversations.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement conversation(Dialect dialect, String name) {
        return named(dialect, ConversationSql::new, name, "ConversationSql");
    }

    /** {@code MessageSql}'s statement {@code name} ({@code messages.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement message(Dialect dialect, String name) {
        return named(dialect, MessageSql::new, name, "MessageSql");
    }

    /** {@code VoiceCallSql}'s statement {@code name} ({@code voice.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement voiceCall(Dialect dialect, String name) {
        return named(dialect, VoiceCallSql::new, name, "VoiceCallSql");
    }

    /** {@code CredentialSql}'s statement {@code name} ({@code credentials.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement credential(Dialect dialect, String name) {
        return named(dialect, CredentialSql::new, name, "CredentialSql");
    }

    /** {@code GraphSql}'s statement {@code name} ({@code graph.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement graph(Dialect dialect, String name) {
        return named(dialect, GraphSql::new, name, "GraphSql");
    }

    /** {@code ScheduleSql}'s statement {@code name} ({@code task_schedules.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement schedule(Dialect dialect, String name) {
        return named(dialect, ScheduleSql::new, name, "ScheduleSql");
    }

    /**
     * A claim's pick of the next due task ({@code TaskStore.claim}): of any kind, or with {@code kinds} (an {@code " AND …"}
     * filter, as the store renders it).
     */
    public static Statement taskPick(Dialect dialect, @org.jspecify.annotations.Nullable String kinds) {
        TaskSql sql = new TaskSql(new Catalogue(dialect, "atlas_"));
        return kinds == null ? sql.pickAny : sql.pickKinds(kinds);
    }

    /**
     * The conversation listing, newest activity first ({@code ConversationStore.list}), with the
     * filters {@code filters} (each {@code " AND …"}) and, after a cursor, its keyset, as the store renders it.
     */
    public static Statement conversationList(Dialect dialect, String filters, boolean afterCursor) {
        return new ConversationSql(new Catalogue(dialect, "atlas_")).list(filters + (afterCursor ? " AND " + ConversationSql.LIST_AFTER : ""));
    }

    /** The task listing ({@code TaskStore.list}) with {@code filters} and, after a cursor, its keyset, as the store renders it. */
    public static Statement taskList(Dialect dialect, String filters, boolean afterCursor) {
        return new TaskSql(new Catalogue(dialect, "atlas_")).list(filters + (afterCursor ? " AND " + TaskSql.LIST_AFTER : ""));
    }

    /** The voice call listing ({@code VoiceCallStore.list}) with {@code filters} and, after a cursor, its keyset, as the store renders it. */
    public static Statement voiceCallList(Dialect dialect, String filters, boolean afterCursor) {
        return new VoiceCallSql(new Catalogue(dialect, "atlas_")).list(filters + (afterCursor ? " AND " + VoiceCallSql.LIST_BEFORE : ""));
    }

    /** The execution listing ({@code ExecutionRecorder.list}) with {@code filters} and, after a cursor, its keyset ({@code id < :after}). */
    public static Statement executionList(Dialect dialect, String filters, boolean afterCursor) {
        return new ExecutionSql(new Catalogue(dialect, "atlas_")).list(filters + (afterCursor ? " AND id < :after" : ""));
    }

    /** The tool call listing ({@code ExecutionRecorder.toolCalls}) with {@code filters} and, after a cursor, its keyset ({@code id < :after}). */
    public static Statement toolCallList(Dialect dialect, String filters, boolean afterCursor) {
        return new ExecutionSql(new Catalogue(dialect, "atlas_")).toolCalls(filters + (afterCursor ? " AND id < :after" : ""));
    }

    /** The usage report's statement by {@code group} ({@code ExecutionRecorder.usageReport}), of one tenant or of every tenant. */
    public static Statement usage(Dialect dialect, dev.atlas.execution.UsageGroup group, boolean allTenants) {
        return new UsageSql(new Catalogue(dialect, "atlas_")).of(group, allTenants);
    }

    /** The statement {@code name} of the one catalogue {@code declare} fills (declaring only it keeps a cold JVM fast). */
    private static Statement named(Dialect dialect, java.util.function.Consumer<Catalogue> declare, String name, String catalogue) {
        Catalogue c = new Catalogue(dialect, "atlas_");
        declare.accept(c);
        return c.statements().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(catalogue + " declares no " + name));
    }
}
