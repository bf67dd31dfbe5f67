package dev.atlas.jdbi.internal.portability;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tables an export holds, in the order it writes them (a row's parents before it), with every
 * stored column, its portable kind and its constraints. Import validates against this, export reads
 * through it, and the round-trip test compares exactly these tables. A new table or column is
 * portable once it is declared here.
 */
public final class PortableSchema {
    private PortableSchema() {}

    /** How a column is read, written to JSON and bound. */
    public enum Kind { ID, TEXT, LONG, DOUBLE, DEC2, BOOL, TIME, JSONB, JSONTEXT, BYTES }

    /**
     * One column. {@code min}/{@code max} bound numbers, {@code values} lists an enum's values,
     * {@code ref} names the table a reference points into (checked on import), {@code deferred}
     * marks the one reference that may point forward (an assistant's current revision).
     */
    public record Column(String name, Kind kind, boolean required, Double min, Double max, Set<String> values, String ref,
                         boolean deferred) {
        Column ref(String table) {
            return new Column(name, kind, required, min, max, values, table, deferred);
        }

        Column deferredRef(String table) {
            return new Column(name, kind, required, min, max, values, table, true);
        }

        Column min(double v) {
            return new Column(name, kind, required, v, max, values, ref, deferred);
        }

        Column range(double lo, double hi) {
            return new Column(name, kind, required, lo, hi, values, ref, deferred);
        }
    }

    /**
     * One table: {@code type} is the record type in the file, {@code key} the columns identifying a
     * row (the id for all but two), {@code orderBy} the export order, {@code derived} a column Atlas
     * computes from {@code content} on import ({@code search_text}).
     */
    public record Table(String type, String table, List<Column> columns, List<String> key, String orderBy, String derived) {
        /** Bounds the {@link #INT32} columns: PostgreSQL refuses a larger value on insert, SQLite would store it. */
        public Table {
            columns = columns.stream().map(c -> INT32.contains(table + "." + c.name())
                    ? new Column(c.name(), c.kind(), c.required(), c.min(),
                            c.max() == null ? (double) Integer.MAX_VALUE : Math.min(c.max(), Integer.MAX_VALUE), c.values(), c.ref(),
                            c.deferred()) : c)
                    .toList();
        }

        public Column column(String name) {
            for (Column c : columns) {
                if (c.name().equals(name)) {
                    return c;
                }
            }
            return null;
        }

        public int index(String name) {
            for (int i = 0; i < columns.size(); i++) {
                if (columns.get(i).name().equals(name)) {
                    return i;
                }
            }
            return -1;
        }

        public boolean byId() {
            return key.equals(List.of("id"));
        }
    }

    private static Column c(String name, Kind kind, boolean required) {
        return new Column(name, kind, required, null, null, null, null, false);
    }

    private static Column id() {
        return c("id", Kind.ID, true);
    }

    private static Column id(String name) {
        return c(name, Kind.ID, false);
    }

    private static Column reqId(String name) {
        return c(name, Kind.ID, true);
    }

    private static Column text(String name) {
        return c(name, Kind.TEXT, false);
    }

    private static Column req(String name) {
        return c(name, Kind.TEXT, true);
    }

    /** In an enum's values: also admits application event types, {@code app.<name>} as MessageEventType.app validates it (V15). */
    public static final String APP_EVENT_TYPES = "app.<name>";

    private static Column en(String name, String... values) {
        return new Column(name, Kind.TEXT, true, null, null, Set.copyOf(Arrays.asList(values)), null, false);
    }

    private static Column count(String name) {
        return c(name, Kind.LONG, false).min(0);
    }

    private static Column tokens(String name) {
        return c(name, Kind.LONG, false).range(0, dev.atlas.Limits.MAX_TOKEN_COUNT);
    }

    /**
     * A price in micro-units per million tokens, as {@code ModelPrice} bounds it: a larger one was
     * imported, then every read of the price and every finish of an execution of its model failed.
     */
    private static Column price(String name, boolean required) {
        return c(name, Kind.LONG, required).range(0, dev.atlas.execution.ModelPrice.micros(dev.atlas.Limits.MAX_PRICE_PER_MILLION));
    }

    private static Column reqLong(String name, double min) {
        return c(name, Kind.LONG, true).min(min);
    }

    private static Column time(String name) {
        return c(name, Kind.TIME, false);
    }

    private static Column reqTime(String name) {
        return c(name, Kind.TIME, true);
    }

    private static Column json(String name) {
        return c(name, Kind.JSONB, true);
    }

    private static final String[] RUN = {"pending", "queued", "processing", "completed", "failed", "cancelled"};

    private static List<Column> usage() {
        // Usage.of refuses counts beyond MAX_TOKEN_COUNT.
        return List.of(tokens("input_tokens"), tokens("output_tokens"), tokens("reasoning_tokens"), tokens("cached_tokens"),
                tokens("cache_write_tokens"));
    }

    private static List<Column> cols(Object... parts) {
        List<Column> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof Column col) {
                out.add(col);
            } else {
                @SuppressWarnings("unchecked")
                List<Column> many = (List<Column>) p;
                out.addAll(many);
            }
        }
        return List.copyOf(out);
    }

    private static Table t(String type, String table, String orderBy, List<Column> columns) {
        return new Table(type, table, columns, List.of("id"), orderBy, null);
    }

    /** The columns PostgreSQL declares {@code integer} (the rest are bigint): PortabilityContract checks this list against the schema. */
    /**
     * SQL a column takes when an import's row lacks it: a column added after exports were written
     * (an export of an older version carries no {@code assistants.version}).
     */
    public static final Map<String, String> ABSENT = Map.of("assistants.version", "1");

    private static final Set<String> INT32 = Set.of("settings.last_revision", "settings_revisions.number", "task_schedules.max_attempts",
            "execution_steps.sequence", "execution_tool_calls.call_index", "memories.revision", "memory_revisions.revision", "vector_models.dimension",
            "vectors.dimension", "assistants.max_output_tokens", "assistants.last_revision", "assistants.version", "assistant_revisions.number", "tasks.attempts",
            "tasks.max_attempts");

    /** Every portable table, parents first. */
    public static final List<Table> TABLES = List.of(
            t("model_price", "model_prices", "id", cols(id(), req("provider"), req("model"),
                    price("input_micros_per_mtok", true), price("output_micros_per_mtok", true), price("cached_micros_per_mtok", false),
                    price("cache_write_micros_per_mtok", false), reqTime("valid_from"), reqTime("created_at"))),
            new Table("vector_model", "vector_models", cols(req("model"), reqLong("dimension", 1), reqTime("created_at")),
                    List.of("model"), "model", null),
            t("graph_node", "graph_nodes", "id", cols(id(), req("node_key"), text("label"), text("type"), json("metadata"),
                    reqTime("created_at"), reqTime("updated_at"))),
            t("graph_edge", "graph_edges", "id", cols(id(), reqId("source_id").ref("graph_nodes"), reqId("target_id").ref("graph_nodes"),
                    req("type"), c("weight", Kind.DOUBLE, true), json("metadata"), reqTime("created_at"), reqTime("updated_at"))),
            t("assistant", "assistants", "id", cols(id(), req("slug"), req("name"), text("description"), c("is_active", Kind.BOOL, true),
                    c("is_public", Kind.BOOL, true), text("owner_type"), text("owner_id"), text("default_model"),
                    c("temperature", Kind.DEC2, false).range(0, 2), c("top_p", Kind.DEC2, false).range(0, 1),
                    c("max_output_tokens", Kind.LONG, false).range(1, dev.atlas.assistant.AssistantSpec.MAX_OUTPUT_TOKENS), json("tools"), json("metadata"), reqLong("last_revision", 0),
                    id("current_revision_id").deferredRef("assistant_revisions"), reqTime("created_at"), reqTime("updated_at"),
                    time("deleted_at"), c("version", Kind.LONG, false).range(1, Integer.MAX_VALUE))),
            t("assistant_revision", "assistant_revisions", "assistant_id, number", cols(id(), reqId("assistant_id").ref("assistants"),
                    reqLong("number", 1), en("kind", "published", "rollback"), id("rolled_back_to").ref("assistant_revisions"),
                    req("system_prompt"), json("settings"), text("label"), text("author_type"), text("author_id"), reqTime("created_at"))),
            t("conversation", "conversations", "id", cols(id(), req("owner_type"), req("owner_id"), text("agent"), id("assistant_id").ref("assistants"),
                    en("type", "user", "tool"), id("parent_conversation_id").ref("conversations"), id("parent_tool_call_id"),
                    text("title"), text("summary"), en("status", "open", "archived", "closed"), json("metadata"),
                    reqLong("last_sequence", 0), time("last_message_at"), reqTime("activity_at"), time("archived_at"), time("closed_at"),
                    reqTime("created_at"), reqTime("updated_at"), time("deleted_at"), id("assistant_revision_id").ref("assistant_revisions"), text("external_key"))),
            t("execution", "executions", "id", cols(id(), id("conversation_id").ref("conversations"), id("assistant_revision_id").ref("assistant_revisions"),
                    req("provider"), req("model"), text("agent"), req("type"), en("status", RUN), usage(), count("cost_pico"),
                    text("error"), json("metadata"), text("provider_response_id"), time("started_at"), time("completed_at"),
                    count("duration_ms"), count("first_token_ms"), reqTime("created_at"), reqTime("updated_at"), text("owner_type"),
                    text("owner_id"), text("project"))),
            t("execution_step", "execution_steps", "execution_id, sequence", cols(id(), reqId("execution_id").ref("executions"),
                    reqLong("sequence", 1), en("status", RUN), text("content"), text("reasoning"), text("finish_reason"), text("error"),
                    usage(), reqTime("started_at"), time("completed_at"), count("duration_ms"), reqTime("created_at"),
                    reqTime("updated_at"), json("metadata"))),
            t("tool_call", "execution_tool_calls", "id", cols(id(), reqId("execution_id").ref("executions"),
                    id("step_id").ref("execution_steps"), text("provider_call_id"), reqLong("call_index", 0), req("name"),
                    en("type", "local", "mcp", "provider"), c("arguments", Kind.JSONTEXT, true), text("result"), en("status", RUN),
                    text("error"), reqTime("started_at"), time("completed_at"), count("duration_ms"), reqTime("created_at"),
                    reqTime("updated_at"), json("metadata"))),
            new Table("message", "messages", cols(id(), reqId("conversation_id").ref("conversations"), reqLong("sequence", 1),
                    en("role", "system", "user", "assistant", "tool"), en("content_type", "text", "json"), req("content"),
                    en("status", "queued", "processing", "delivered", "failed"), text("failure_reason"), c("is_active", Kind.BOOL, true),
                    text("client_message_id"), text("author_type"), text("author_id"), text("agent"), id("parent_id").ref("messages"),
                    id("execution_id").ref("executions"), id("step_id").ref("execution_steps"), json("metadata"), time("read_at"), time("edited_at"), reqTime("created_at"),
                    reqTime("updated_at"), time("deleted_at")), List.of("id"), "conversation_id, sequence", "search_text"),
            t("message_event", "message_events", "id", cols(id(), reqId("conversation_id").ref("conversations"),
                    reqId("message_id").ref("messages"), en("type", "created", "edited", "deleted", "status_changed", "activated",
                            "metadata_updated", "restored", APP_EVENT_TYPES),
                    json("details"), reqTime("created_at"))),
            t("asset", "assets", "id", cols(id(), req("type"), text("mime_type"), req("filename"), req("blob_key"),
                    reqLong("size_bytes", 0), req("sha256"), text("owner_type"), text("owner_id"), text("agent"),
                    id("execution_id").ref("executions"), id("tool_call_id").ref("execution_tool_calls"), text("description"),
                    json("metadata"), reqTime("created_at"), reqTime("updated_at"), time("deleted_at"), text("client_key"))),
            t("message_asset", "message_assets", "id", cols(id(), reqId("message_id").ref("messages"), reqId("asset_id").ref("assets"),
                    json("metadata"), reqTime("created_at"))),
            t("voice_call", "voice_calls", "id", cols(id(), req("session_id"), id("conversation_id").ref("conversations"),
                    id("execution_id").ref("executions"), text("owner_type"), text("owner_id"), text("agent"), req("provider"),
                    req("model"), en("status", "active", "completed", "failed"), json("transcript"), text("summary"),
                    count("duration_ms"), json("metadata"), reqTime("started_at"), time("completed_at"), reqTime("created_at"),
                    reqTime("updated_at"))),
            new Table("memory", "memories", cols(id(), req("owner_type"), req("owner_id"), text("agent"), req("kind"), req("content"),
                    json("metadata"), c("importance", Kind.DOUBLE, true).range(0, 1), id("conversation_id"), id("message_id"),
                    id("tool_call_id"), time("expires_at"), reqLong("revision", 1), reqTime("created_at"), reqTime("updated_at"),
                    time("deleted_at"), text("client_key")), List.of("id"), "id", "search_text"),
            new Table("memory_tag", "memory_tags", cols(reqId("memory_id").ref("memories"), req("tag")), List.of("memory_id", "tag"),
                    "memory_id, tag", null),
            t("memory_revision", "memory_revisions", "memory_id, revision", cols(id(), reqId("memory_id").ref("memories"),
                    reqLong("revision", 1), req("content"), reqTime("replaced_at"))),
            t("vector", "vectors", "id", cols(id(), en("target_type", "message", "memory", "asset"), reqId("target_id"), req("model"),
                    reqLong("dimension", 1), c("vector", Kind.BYTES, true), id("conversation_id"), reqTime("created_at"),
                    reqTime("updated_at"))),
            t("credential", "credentials", "id", cols(id(), req("owner_type"), req("owner_id"), req("name"), req("key_id"),
                    c("nonce", Kind.BYTES, true), c("ciphertext", Kind.BYTES, true), reqTime("created_at"), reqTime("updated_at"))),
            t("task", "tasks", "id", cols(id(), req("kind"), json("payload"), id("conversation_id"), id("message_id"), text("owner_type"),
                    text("owner_id"), en("status", "pending", "running", "completed", "failed", "cancelled"), reqLong("attempts", 0),
                    reqLong("max_attempts", 1), c("result", Kind.JSONB, false), text("error"), reqTime("run_after"), id("claim_id"),
                    time("lease_expires_at"), reqTime("created_at"), reqTime("updated_at"), time("started_at"), time("finished_at"),
                    text("client_key"))),
            t("task_schedule", "task_schedules", "id", cols(id(), req("name"), req("kind"), json("payload"), text("owner_type"),
                    text("owner_id"), reqLong("max_attempts", 1), c("interval_micros", Kind.LONG, false)
                    .range(dev.atlas.task.NewSchedule.MIN_INTERVAL.toNanos() / 1_000, dev.atlas.task.NewSchedule.MAX_INTERVAL.toNanos() / 1_000),
                    text("cron"),
                    c("paused", Kind.BOOL, true), reqTime("next_run_at"), time("last_run_at"), reqTime("created_at"),
                    reqTime("updated_at"))),
            t("settings", "settings", "id", cols(id(), req("slug"), req("name"), text("owner_type"), text("owner_id"),
                    reqLong("last_revision", 0), id("current_revision_id").deferredRef("settings_revisions"), reqTime("created_at"),
                    reqTime("updated_at"), time("deleted_at"))),
            t("settings_revision", "settings_revisions", "settings_id, number", cols(id(), reqId("settings_id").ref("settings"),
                    reqLong("number", 1), en("kind", "published", "rollback"), id("rolled_back_to").ref("settings_revisions"),
                    json("value"), text("label"), text("author_type"), text("author_id"), reqTime("created_at"))));

    /**
     * A unique key of a table besides its id: its {@code columns}, the column an import names when
     * two rows share it ({@code field}), and for a partial index the columns that must be null and
     * the one that must be true for a row to hold the key, and a text column whose value {@code exceptValue} keeps a row out
     * of it. A row with a null key column holds none.
     */
    public record Unique(List<String> columns, String field, List<String> nullColumns, String trueColumn,
            String exceptColumn, String exceptValue) {

        public Unique(List<String> columns, String field, List<String> nullColumns, String trueColumn) {
            this(columns, field, nullColumns, trueColumn, null, null);
        }
    }

    private static Unique unique(String... columns) {
        return new Unique(List.of(columns), columns[columns.length - 1], List.of(), null);
    }

    private static Unique live(String... columns) {
        return new Unique(List.of(columns), columns[columns.length - 1], List.of("deleted_at"), null);
    }

    /**
     * Every unique index of the migrations other than a table's key, per table: an import checks
     * them before its first write, since on insert they would fail after earlier batches committed.
     */
    public static final Map<String, List<Unique>> UNIQUE = Map.ofEntries(
            Map.entry("model_prices", List.of(unique("provider", "model", "valid_from"))),
            Map.entry("graph_nodes", List.of(unique("node_key"))),
            Map.entry("graph_edges", List.of(unique("source_id", "target_id", "type"))),
            Map.entry("assistants", List.of(live("slug"))),
            Map.entry("assistant_revisions", List.of(unique("assistant_id", "number"))),
            Map.entry("conversations", List.of(live("external_key"))),
            Map.entry("execution_steps", List.of(unique("execution_id", "sequence"))),
            Map.entry("execution_tool_calls", List.of(unique("step_id", "call_index"),
                    new Unique(List.of("execution_id", "call_index"), "call_index", List.of("step_id"), null))),
            Map.entry("messages", List.of(unique("conversation_id", "sequence"), unique("conversation_id", "client_message_id"),
                    // V35 messages_one_active_sibling: one active reply per parent and role, but those of an execution and
                    // tool results (the answers to parallel tool calls all show).
                    new Unique(List.of("conversation_id", "parent_id", "role"), "is_active", List.of("deleted_at", "execution_id"),
                            "is_active", "role", "tool"))),
            Map.entry("assets", List.of(unique("blob_key"), live("client_key"))),
            Map.entry("message_assets", List.of(unique("message_id", "asset_id"))),
            Map.entry("memories", List.of(live("client_key"))),
            Map.entry("memory_revisions", List.of(unique("memory_id", "revision"))),
            Map.entry("vectors", List.of(unique("model", "target_type", "target_id"))),
            Map.entry("credentials", List.of(unique("owner_type", "owner_id", "name"))),
            Map.entry("tasks", List.of(unique("client_key"))),
            Map.entry("task_schedules", List.of(unique("name"))),
            Map.entry("settings", List.of(live("slug"))),
            Map.entry("settings_revisions", List.of(unique("settings_id", "number"))));

    private static final Map<String, Table> BY_TYPE = new LinkedHashMap<>();
    private static final Map<String, Table> BY_TABLE = new LinkedHashMap<>();

    static {
        for (Table t : TABLES) {
            BY_TYPE.put(t.type(), t);
            BY_TABLE.put(t.table(), t);
        }
    }

    public static Table byType(String type) {
        return BY_TYPE.get(type);
    }

    public static Table byTable(String table) {
        return BY_TABLE.get(table);
    }
}
