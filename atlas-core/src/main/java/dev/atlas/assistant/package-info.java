/**
 * Assistants and their versioned system prompts and settings: publish revisions, diff and roll
 * back. Start at {@link dev.atlas.assistant.AssistantStore}.
 */
@NullMarked
package dev.atlas.assistant;

import org.jspecify.annotations.NullMarked;
