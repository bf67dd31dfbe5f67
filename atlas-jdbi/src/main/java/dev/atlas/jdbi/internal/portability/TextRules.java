package dev.atlas.jdbi.internal.portability;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.internal.Check;

import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * What the API's writes require of each text column beyond storable text of at most
 * {@link Limits#MAX_CONTENT_LENGTH} characters (which {@link Codec} checks of every text): its
 * limit, that it is not blank, its form. An enum column's value is returned in its stored form
 * when the API's readers accept it in another case ({@code IMAGE} for {@code image}), so that
 * nothing is imported that the API would refuse or the database's checks would refuse on insert.
 */
final class TextRules {
    private TextRules() {}

    /**
     * The longest memory tag an import takes, in characters: at most 1,800 bytes in UTF-8, which PostgreSQL's indexes of
     * tags store beside the longest tenant id whatever the text; the API's writes take at most {@link Limits#MAX_TAG_LENGTH}.
     */
    static final int MAX_IMPORTED_TAG_LENGTH = 600;

    /** A rule: the value as stored, or an InvalidInputException naming some field (renamed by {@link #check}). */
    private static final Map<String, UnaryOperator<String>> RULES = new HashMap<>();

    /**
     * Enum columns: a value none of this atlas's constants takes may be a newer Atlas's (a new role or status), so its
     * refusal is a {@link Codec.Unknown}, which an import of a newer schema's file turns into the upgrade hint.
     */
    private static final java.util.Set<String> ENUMS = new java.util.HashSet<>();

    private static void enumRule(UnaryOperator<String> rule, String... columns) {
        rule(rule, columns);
        ENUMS.addAll(java.util.Arrays.asList(columns));
    }

    private static void rule(UnaryOperator<String> rule, String... columns) {
        for (String c : columns) {
            if (RULES.put(c, rule) != null) {
                throw new IllegalStateException(c + " has two rules");
            }
        }
    }

    static {
        // Keys: non-blank, at most MAX_KEY_LENGTH (Check.key, Check.optionalKey when given).
        rule(v -> Check.key("v", v), "model_prices.provider", "model_prices.model", "graph_nodes.node_key", "graph_nodes.type",
                "graph_edges.type", "assistants.default_model", "conversations.agent", "conversations.external_key", "executions.provider",
                "executions.model", "executions.agent", "executions.provider_response_id", "executions.project",
                "execution_tool_calls.provider_call_id", "execution_tool_calls.name", "messages.client_message_id", "messages.agent",
                "assets.mime_type", "assets.filename", "assets.agent", "voice_calls.session_id", "voice_calls.provider", "voice_calls.model",
                "voice_calls.agent", "memories.agent", "credentials.name", "tasks.kind", "task_schedules.name", "task_schedules.kind",
                "settings.slug");
        // Titles, names and labels: non-blank when given, at most MAX_TITLE_LENGTH.
        rule(v -> Check.required("v", v, Limits.MAX_TITLE_LENGTH), "graph_nodes.label", "assistants.name", "assistant_revisions.label",
                "conversations.title", "settings.name", "settings_revisions.label");
        // Reasons, errors and descriptions: at most MAX_REASON_LENGTH (errors the API cuts to it).
        rule(v -> Check.text("v", v, Limits.MAX_REASON_LENGTH), "assistants.description", "executions.error", "execution_steps.error",
                "execution_tool_calls.error", "messages.failure_reason", "assets.description", "tasks.error");
        rule(v -> Check.required("v", v, Limits.MAX_CONTENT_LENGTH), "memories.content", "memory_revisions.content");
        // memory_tags.tag: an import before these rules stored any text as a tag (blank, over MAX_TAG_LENGTH), and the memory store
        // reads such a tag as stored; a backup holding one must restore (PortabilityContract#tagsOlderVersionsStoredRoundTrip). Up to
        // MAX_IMPORTED_TAG_LENGTH only: PostgreSQL's indexes of tags hold no entry over 2,704 bytes, so no version stored a longer
        // tag there, and one would fail the insert mid-import.
        rule(v -> Check.text("v", v, MAX_IMPORTED_TAG_LENGTH), "memory_tags.tag");
        rule(dev.atlas.assistant.AssistantSpec::checkSlug, "assistants.slug");
        rule(v -> {
            dev.atlas.task.Cron.parse(v);
            return v;
        }, "task_schedules.cron");
        rule(v -> dev.atlas.internal.VectorCheck.model("v", v), "vector_models.model", "vectors.model");
        rule(v -> {
            if (!dev.atlas.credential.CredentialKeys.KEY_ID.matcher(v).matches()) {
                throw new InvalidInputException("v", "must be 1 to 64 letters, digits, '.', '_' or '-'");
            }
            return v;
        }, "credentials.key_id");
        // Enums, as the readers parse them (Check.enumValue: the stored form, or the constant's name in any case).
        enumRule(v -> dev.atlas.conversation.ConversationType.of(v).toString(), "conversations.type");
        enumRule(v -> dev.atlas.conversation.ConversationStatus.of(v).toString(), "conversations.status");
        enumRule(v -> dev.atlas.conversation.Role.of(v).toString(), "messages.role");
        enumRule(v -> dev.atlas.conversation.ContentType.of(v).toString(), "messages.content_type");
        enumRule(v -> dev.atlas.conversation.MessageStatus.of(v).toString(), "messages.status");
        enumRule(v -> dev.atlas.execution.ExecutionType.of(v).toString(), "executions.type");
        enumRule(v -> dev.atlas.execution.ExecutionStatus.of(v).toString(), "executions.status", "execution_steps.status",
                "execution_tool_calls.status");
        enumRule(v -> dev.atlas.execution.FinishReason.of(v).toString(), "execution_steps.finish_reason");
        enumRule(v -> dev.atlas.execution.ToolCallType.of(v).toString(), "execution_tool_calls.type");
        enumRule(v -> dev.atlas.asset.AssetType.of(v).toString(), "assets.type");
        enumRule(v -> dev.atlas.voice.VoiceCallStatus.of(v).toString(), "voice_calls.status");
        enumRule(v -> dev.atlas.task.TaskStatus.of(v).toString(), "tasks.status");
        enumRule(v -> dev.atlas.assistant.RevisionKind.of(v).toString(), "assistant_revisions.kind", "settings_revisions.kind");
    }

    /** {@code value} of {@code column} ({@code table.column}) in its stored form; refused naming {@code field}. */
    static String check(String column, String field, String value) {
        UnaryOperator<String> rule = RULES.get(column);
        if (rule == null) {
            return value;
        }
        try {
            return rule.apply(value);
        } catch (InvalidInputException e) {
            String m = e.getMessage();
            String problem = m.startsWith(e.field() + ": ") ? m.substring(e.field().length() + 2) : m;
            throw ENUMS.contains(column) ? new Codec.Unknown(field, problem) : new InvalidInputException(field, problem);
        }
    }
}
