package dev.atlas.langchain4j;

import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.UserMessage;

/** The AI service the tests drive. */
public interface Assistant {
    @SystemMessage("You help with orders.")
    String chat(@MemoryId Object memoryId, @UserMessage String message);
}
