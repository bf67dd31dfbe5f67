package dev.atlas.voice;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.conversation.Role;
import dev.atlas.internal.Check;

/** One turn of a voice transcript: who spoke ({@code user} or {@code assistant}) and what was said. */
public record VoiceTurn(Role role, String content) {
    public VoiceTurn {
        Check.notNull("role", role);
        if (role != Role.USER && role != Role.ASSISTANT) {
            throw new InvalidInputException("role", "a voice turn is from user or assistant, was " + role);
        }
        Check.notNull("content", content);
        Check.text("content", content, Limits.MAX_CONTENT_LENGTH);
    }

    public static VoiceTurn user(String content) {
        return new VoiceTurn(Role.USER, content);
    }

    public static VoiceTurn assistant(String content) {
        return new VoiceTurn(Role.ASSISTANT, content);
    }
}
