package dev.atlas.voice;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.conversation.Role;
import dev.atlas.internal.Check;

/**
 * One turn of a voice transcript: who spoke ({@code user} or {@code assistant}) and what was said.
 *
 * @param role {@link Role#USER} or {@link Role#ASSISTANT}
 * @param content what was said, at most {@link Limits#MAX_CONTENT_LENGTH} characters
 */
public record VoiceTurn(Role role, String content) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param role who wrote the message
     * @param content the content
     */
    public VoiceTurn {
        Check.notNull("role", role);
        if (role != Role.USER && role != Role.ASSISTANT) {
            throw new InvalidInputException("role", "a voice turn is from user or assistant, was " + role);
        }
        Check.notNull("content", content);
        Check.text("content", content, Limits.MAX_CONTENT_LENGTH);
    }

    /**
     * Creates a {@code VoiceTurn} from {@code content}.
     *
     * @param content the content
     * @return the new value
     */
    public static VoiceTurn user(String content) {
        return new VoiceTurn(Role.USER, content);
    }

    /**
     * Creates a {@code VoiceTurn} from {@code content}.
     *
     * @param content the content
     * @return the new value
     */
    public static VoiceTurn assistant(String content) {
        return new VoiceTurn(Role.ASSISTANT, content);
    }
}
