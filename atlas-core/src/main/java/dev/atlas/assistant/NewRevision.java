package dev.atlas.assistant;

import dev.atlas.internal.Check;

import java.util.Map;

import dev.atlas.Limits;
import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

/**
 * Content for {@link AssistantStore#publish}: a system prompt and a settings document.
 *
 * <pre>{@code
 * NewRevision.of("You are a helpful support agent.", Map.of("tone", "friendly")).label("v2").author(Owner.user("42"))
 * }</pre>
 *
 * @param systemPrompt the prompt (required, may be empty, at most {@link Limits#MAX_CONTENT_LENGTH} characters)
 * @param settings     JSON-compatible settings (never null)
 * @param label        a short label, or {@code null}
 * @param author       who publishes it, or {@code null}
 */
public record NewRevision(String systemPrompt, Map<String, Object> settings, @Nullable String label, @Nullable Owner author) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param systemPrompt the prompt (required, may be empty, at most {@link Limits#MAX_CONTENT_LENGTH} characters)
     * @param settings JSON-compatible settings (never null)
     * @param label a short label, or {@code null}
     * @param author who publishes it, or {@code null}
     */
    public NewRevision {
        Check.notNull("systemPrompt", systemPrompt);
        Check.text("systemPrompt", systemPrompt, Limits.MAX_CONTENT_LENGTH);
        settings = Check.metadata("settings", settings);
        Check.optionalNonBlank("label", label, Limits.MAX_TITLE_LENGTH);
    }

    /**
     * Creates a {@code NewRevision} from {@code systemPrompt}, {@code settings}.
     *
     * @param systemPrompt the prompt (required, may be empty, at most {@link Limits#MAX_CONTENT_LENGTH} characters)
     * @param settings JSON-compatible settings (never null)
     * @return the new value
     */
    public static NewRevision of(String systemPrompt, Map<String, ?> settings) {
        return new NewRevision(systemPrompt, Check.metadata("settings", settings), null, null);
    }

    /**
     * Returns a copy with {@code label} replaced.
     *
     * @param label a short label, or {@code null}
     * @return a copy with this change
     */
    public NewRevision label(@Nullable String label) {
        return new NewRevision(systemPrompt, settings, label, author);
    }

    /**
     * Returns a copy with {@code author} replaced.
     *
     * @param author who publishes it, or {@code null}
     * @return a copy with this change
     */
    public NewRevision author(@Nullable Owner author) {
        return new NewRevision(systemPrompt, settings, label, author);
    }
}
