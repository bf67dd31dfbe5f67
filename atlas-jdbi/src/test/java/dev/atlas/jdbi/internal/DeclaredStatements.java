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
        Catalogue c = new Catalogue(dialect, "atlas_");
        new AssetSql(c);
        return c.statements().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("AssetSql declares no " + name));
    }

    /** {@code ConversationSql}'s statement {@code name} ({@code conversations.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement conversation(Dialect dialect, String name) {
        Catalogue c = new Catalogue(dialect, "atlas_");
        new ConversationSql(c);
        return named(c, name, "ConversationSql");
    }

    /** {@code MessageSql}'s statement {@code name} ({@code messages.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement message(Dialect dialect, String name) {
        Catalogue c = new Catalogue(dialect, "atlas_");
        new MessageSql(c);
        return named(c, name, "MessageSql");
    }

    /** {@code VoiceCallSql}'s statement {@code name} ({@code voice.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement voiceCall(Dialect dialect, String name) {
        Catalogue c = new Catalogue(dialect, "atlas_");
        new VoiceCallSql(c);
        return named(c, name, "VoiceCallSql");
    }

    /** {@code ScheduleSql}'s statement {@code name} ({@code task_schedules.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement schedule(Dialect dialect, String name) {
        Catalogue c = new Catalogue(dialect, "atlas_");
        new ScheduleSql(c);
        return named(c, name, "ScheduleSql");
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

    private static Statement named(Catalogue c, String name, String catalogue) {
        return c.statements().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(catalogue + " declares no " + name));
    }
}
