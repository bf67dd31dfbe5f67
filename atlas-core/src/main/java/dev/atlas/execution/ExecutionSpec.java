package dev.atlas.execution;

import dev.atlas.Owner;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.UUID;

/**
 * What is about to be called: provider, model and kind of call, plus optional links. Start from
 * {@link #text(String, String)} or {@link #of(ExecutionType, String, String)} and refine:
 *
 * <pre>{@code
 * ExecutionSpec.text("openai", "gpt-4o").agent("support").conversation(convo.id())
 * }</pre>
 *
 * @param type the kind of call (text, embedding, image, ...)
 * @param provider the provider key, such as {@code "openai"}; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param model the model key as the provider names it; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param agent the agent key that made the call, not blank; {@code null} when none
 * @param conversationId the conversation the call answers in, or {@code null} for a standalone call
 * @param assistantRevisionId the assistant revision whose settings the call used, or {@code null}
 * @param metadata            JSON-compatible application data (never null)
 * @param owner               who the call was made for when it has no conversation (usage by owner), or {@code null}
 * @param project             the project the call is billed to (usage by project), or {@code null}
 */
public record ExecutionSpec(
        ExecutionType type,
        String provider,
        String model,
        @Nullable String agent,
        @Nullable UUID conversationId,
        @Nullable UUID assistantRevisionId,
        Map<String, Object> metadata,
        @Nullable Owner owner,
        @Nullable String project) {

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param type the type
     * @param provider the provider key
     * @param model the model key
     * @param agent the agent key
     * @param conversationId the conversation the call answers in, or {@code null} for a standalone call
     * @param assistantRevisionId the assistant revision whose settings the call used, or {@code null}
     * @param metadata JSON-compatible application data (never null)
     * @param owner who the call was made for, or {@code null}
     * @param project the project the call is billed to, or {@code null}
     */
    public ExecutionSpec {
        Check.notNull("type", type);
        Check.key("provider", provider);
        Check.key("model", model);
        Check.optionalKey("agent", agent);
        metadata = Check.metadata("metadata", metadata);
        Check.optionalKey("project", project);
    }

    /**
     * A spec without owner or project, as before they existed.
     *
     * @param type the type
     * @param provider the provider key
     * @param model the model key
     * @param agent the agent key
     * @param conversationId the conversation the call answers in, or {@code null}
     * @param assistantRevisionId the assistant revision whose settings the call used, or {@code null}
     * @param metadata JSON-compatible application data (never null)
     */
    public ExecutionSpec(ExecutionType type, String provider, String model, @Nullable String agent, @Nullable UUID conversationId,
                         @Nullable UUID assistantRevisionId, Map<String, Object> metadata) {
        this(type, provider, model, agent, conversationId, assistantRevisionId, metadata, null, null);
    }

    /**
     * Creates an {@code ExecutionSpec} from {@code type}, {@code provider}, {@code model}.
     *
     * @param type the type
     * @param provider the provider key
     * @param model the model key
     * @return the new value
     */
    public static ExecutionSpec of(ExecutionType type, String provider, String model) {
        return new ExecutionSpec(type, provider, model, null, null, null, Map.of(), null, null);
    }

    /**
     * A text generation call (the usual chat completion).
     *
     * @param provider the provider key
     * @param model the model key
     * @return the new value
     */
    public static ExecutionSpec text(String provider, String model) {
        return of(ExecutionType.TEXT, provider, model);
    }

    /**
     * Returns a copy with {@code agent} replaced.
     *
     * @param agent the agent key, or {@code null}
     * @return a copy with this change
     */
    public ExecutionSpec agent(@Nullable String agent) {
        return new ExecutionSpec(type, provider, model, agent, conversationId, assistantRevisionId, metadata, owner, project);
    }

    /**
     * Returns a copy with {@code conversationId} replaced.
     *
     * @param conversationId the conversation the call answers in
     * @return a copy with this change
     */
    public ExecutionSpec conversation(UUID conversationId) {
        return new ExecutionSpec(type, provider, model, agent, Check.notNull("conversationId", conversationId), assistantRevisionId,
                metadata, owner, project);
    }

    /**
     * Records which assistant revision's prompt and settings the call used.
     *
     * @param assistantRevisionId the assistant revision whose settings the call used
     * @return a copy with this change
     */
    public ExecutionSpec assistantRevision(UUID assistantRevisionId) {
        return new ExecutionSpec(type, provider, model, agent, conversationId, Check.notNull("assistantRevisionId", assistantRevisionId),
                metadata, owner, project);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data (never null)
     * @return a copy with this change
     */
    public ExecutionSpec metadata(Map<String, ?> metadata) {
        return new ExecutionSpec(type, provider, model, agent, conversationId, assistantRevisionId, Check.given(metadata),
                owner, project);
    }

    /**
     * Attributes the call to {@code owner}, for a call without a conversation (seed 003
     * {@code token_usage.user_id}): usage reports by {@link UsageGroup#OWNER} count it there.
     *
     * @param owner who the call was made for
     * @return a copy with this change
     */
    public ExecutionSpec owner(Owner owner) {
        return new ExecutionSpec(type, provider, model, agent, conversationId, assistantRevisionId, metadata,
                Check.notNull("owner", owner), project);
    }

    /**
     * Bills the call to {@code project} (seed 003 {@code token_usage.project_id}), reported by
     * {@link UsageGroup#PROJECT}.
     *
     * @param project the project key
     * @return a copy with this change
     */
    public ExecutionSpec project(String project) {
        return new ExecutionSpec(type, provider, model, agent, conversationId, assistantRevisionId, metadata, owner,
                Check.key("project", project));
    }
}
