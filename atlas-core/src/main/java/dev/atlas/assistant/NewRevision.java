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
 * @param expectedRevision publish only while the assistant's latest revision has this number
 *        ({@code 0}: none yet), else {@link dev.atlas.ConflictException}; {@code null} publishes whatever came before
 */
public record NewRevision(String systemPrompt, Map<String, Object> settings, @Nullable String label, @Nullable Owner author,
                          @Nullable Integer expectedRevision) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param systemPrompt the prompt (required, may be empty, at most {@link Limits#MAX_CONTENT_LENGTH} characters)
     * @param settings JSON-compatible settings (never null)
     * @param label a short label, or {@code null}
     * @param author who publishes it, or {@code null}
     * @param expectedRevision the latest revision number the publish expects (0 or more), or {@code null}
     */
    public NewRevision {
        Check.notNull("systemPrompt", systemPrompt);
        Check.text("systemPrompt", systemPrompt, Limits.MAX_CONTENT_LENGTH);
        settings = Check.metadata("settings", settings);
        Check.optionalNonBlank("label", label, Limits.MAX_TITLE_LENGTH);
        if (expectedRevision != null && expectedRevision < 0) {
            throw new dev.atlas.InvalidInputException("expectedRevision", "must be 0 (no revision yet) or more, was " + expectedRevision);
        }
    }

    /**
     * A revision published whatever came before (no {@link #expectedRevision()}).
     *
     * @param systemPrompt the prompt (required, may be empty, at most {@link Limits#MAX_CONTENT_LENGTH} characters)
     * @param settings JSON-compatible settings (never null)
     * @param label a short label, or {@code null}
     * @param author who publishes it, or {@code null}
     */
    public NewRevision(String systemPrompt, Map<String, Object> settings, @Nullable String label, @Nullable Owner author) {
        this(systemPrompt, settings, label, author, null);
    }

    /**
     * Creates a {@code NewRevision} from {@code systemPrompt}, {@code settings}.
     *
     * @param systemPrompt the prompt (required, may be empty, at most {@link Limits#MAX_CONTENT_LENGTH} characters)
     * @param settings JSON-compatible settings (never null)
     * @return the new value
     */
    public static NewRevision of(String systemPrompt, Map<String, ?> settings) {
        return new NewRevision(systemPrompt, Check.given(settings), null, null);
    }

    /**
     * Returns a copy with {@code label} replaced.
     *
     * @param label a short label, or {@code null}
     * @return a copy with this change
     */
    public NewRevision label(@Nullable String label) {
        return new NewRevision(systemPrompt, settings, label, author, expectedRevision);
    }

    /**
     * Returns a copy with {@code author} replaced.
     *
     * @param author who publishes it, or {@code null}
     * @return a copy with this change
     */
    public NewRevision author(@Nullable Owner author) {
        return new NewRevision(systemPrompt, settings, label, author, expectedRevision);
    }

    /**
     * Returns a copy that publishes only while the assistant's latest revision (its
     * {@link Assistant#lastRevisionNumber()}, which is also the current one) is {@code number}, 0
     * for none yet: optimistic concurrency for an editor that shows revision {@code number} and
     * must not silently replace a revision someone else published meanwhile.
     * {@link AssistantStore#publish} then fails with {@link dev.atlas.ConflictException} (field
     * {@code expectedRevision}) and writes nothing.
     *
     * @param number the latest revision number the editor saw, 0 or more
     * @return a copy with this change
     */
    public NewRevision expectedRevision(int number) {
        return new NewRevision(systemPrompt, settings, label, author, number);
    }
}
