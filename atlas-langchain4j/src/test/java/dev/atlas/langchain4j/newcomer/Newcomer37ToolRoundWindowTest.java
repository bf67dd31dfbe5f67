package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.conversation.Message;
import dev.atlas.langchain4j.AtlasChatMemoryStore;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A window a provider refuses on every later turn: a response asking for tools followed by anything but all its results
 * (a race between two instances that split the round, a tool run that crashed before its result, then the user's next
 * question), or a tool result not following the request it answers. OpenAI: "An assistant message with 'tool_calls'
 * must be followed by tool messages responding to each 'tool_call_id'", and "messages with role 'tool' must be a
 * response to a preceding message with 'tool_calls'". {@code getMessages} leaves such a round, or such a result, out
 * of the window it gives (the history keeps it), as LangChain4j's {@code MessageWindowChatMemory} drops the results
 * of a request it evicts. A round at the window's end is the one being run (its results are added one by one), and
 * is kept.
 */
class Newcomer37ToolRoundWindowTest {
    @TempDir
    Path dir;

    private Atlas atlas;
    private Tenant tenant;
    private AtlasChatMemoryStore store;

    private static final SystemMessage SYSTEM = SystemMessage.from("You are a support agent.");
    private static final UserMessage ASK = UserMessage.from("where is order 5?");
    private static final AiMessage LOOKUP = AiMessage.from(
            ToolExecutionRequest.builder().id("call_1").name("lookup").arguments("{\"order\":\"5\"}").build(),
            ToolExecutionRequest.builder().id("call_2").name("track").arguments("{\"order\":\"5\"}").build());
    private static final ToolExecutionResultMessage RESULT_1 = ToolExecutionResultMessage.from("call_1", "lookup", "shipped");
    private static final ToolExecutionResultMessage RESULT_2 = ToolExecutionResultMessage.from("call_2", "track", "in Berlin");
    private static final UserMessage NEXT = UserMessage.from("hello?");

    @BeforeEach
    void open() {
        atlas = Atlas.builder().sqlite(dir.resolve("agent.db")).build();
        tenant = atlas.tenant("shop");
        store = AtlasChatMemoryStore.of(tenant);
    }

    @AfterEach
    void close() {
        atlas.close();
    }

    private List<String> history() {
        return tenant.conversations().messages(store.conversation("chat-1").orElseThrow().id(), 0, 100).stream()
                .map(Message::content).toList();
    }

    @Test
    void aRequestFollowedByTheNextQuestionIsLeftOutAndTheMemoryGoesOn() {
        store.updateMessages("chat-1", List.of(SYSTEM, ASK, LOOKUP, NEXT));
        assertThat(store.getMessages("chat-1")).containsExactly(SYSTEM, ASK, NEXT);
        // The next turn, through LangChain4j's own memory, stores a window a provider accepts.
        MessageWindowChatMemory memory = MessageWindowChatMemory.builder().id("chat-1").maxMessages(10).chatMemoryStore(store).build();
        memory.add(AiMessage.from("Sorry, which order?"));
        assertThat(memory.messages()).containsExactly(SYSTEM, ASK, NEXT, AiMessage.from("Sorry, which order?"));
        assertThat(store.getMessages("chat-1")).containsExactly(SYSTEM, ASK, NEXT, AiMessage.from("Sorry, which order?"));
        // The history keeps every message as stored, the request included.
        assertThat(history()).hasSize(5);
    }

    @Test
    void aPartlyAnsweredRoundFollowedByAnotherMessageIsLeftOutWhole() {
        store.updateMessages("chat-1", List.of(SYSTEM, ASK, LOOKUP, RESULT_1, NEXT));
        assertThat(store.getMessages("chat-1")).containsExactly(SYSTEM, ASK, NEXT);
    }

    @Test
    void theRoundAtTheWindowsEndIsTheOneBeingRunAndIsKept() {
        MessageWindowChatMemory memory = MessageWindowChatMemory.builder().id("chat-1").maxMessages(10).chatMemoryStore(store).build();
        memory.add(SYSTEM);
        memory.add(ASK);
        memory.add(LOOKUP);
        assertThat(store.getMessages("chat-1")).containsExactly(SYSTEM, ASK, LOOKUP);
        memory.add(RESULT_2);
        assertThat(store.getMessages("chat-1")).containsExactly(SYSTEM, ASK, LOOKUP, RESULT_2);
        memory.add(RESULT_1);
        memory.add(AiMessage.from("Order 5 shipped and is in Berlin."));
        assertThat(store.getMessages("chat-1")).containsExactly(SYSTEM, ASK, LOOKUP, RESULT_2, RESULT_1,
                AiMessage.from("Order 5 shipped and is in Berlin."));
    }

    @Test
    void aResultNotFollowingItsRequestIsLeftOut() {
        store.updateMessages("chat-1", List.of(RESULT_1, ASK, RESULT_2, AiMessage.from("ok")));
        assertThat(store.getMessages("chat-1")).containsExactly(ASK, AiMessage.from("ok"));
    }

    @Test
    void aResultAnsweringNoCallOfTheRoundIsLeftOut() {
        ToolExecutionResultMessage stranger = ToolExecutionResultMessage.from("call_9", "lookup", "other");
        store.updateMessages("chat-1", List.of(ASK, LOOKUP, RESULT_1, stranger, RESULT_2, NEXT));
        assertThat(store.getMessages("chat-1")).containsExactly(ASK, LOOKUP, RESULT_1, RESULT_2, NEXT);
    }

    @Test
    void callsWithoutIdsAreAnsweredInOrder() {
        AiMessage noIds = AiMessage.from(ToolExecutionRequest.builder().name("lookup").arguments("{}").build());
        ToolExecutionResultMessage result = ToolExecutionResultMessage.from((String) null, "lookup", "shipped");
        store.updateMessages("chat-1", List.of(ASK, noIds, result, NEXT));
        assertThat(store.getMessages("chat-1")).containsExactly(ASK, noIds, result, NEXT);
    }

    @Test
    void twoInstancesSplittingARoundLeaveAWindowAProviderAccepts() {
        try (Atlas two = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            AtlasChatMemoryStore other = AtlasChatMemoryStore.of(two.tenant("shop"));
            AiMessage one = AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("lookup").arguments("{}").build());
            store.updateMessages("chat-1", List.of(SYSTEM, ASK, one));
            // Both read the window ending on the request; one stores the result, the other the user's next question, later.
            List<ChatMessage> readOne = new java.util.ArrayList<>(store.getMessages("chat-1"));
            List<ChatMessage> readTwo = new java.util.ArrayList<>(other.getMessages("chat-1"));
            readOne.add(RESULT_1);
            store.updateMessages("chat-1", readOne);
            readTwo.add(NEXT);
            other.updateMessages("chat-1", readTwo);
            assertThat(store.getMessages("chat-1")).containsExactly(SYSTEM, ASK, NEXT);
            assertThat(other.getMessages("chat-1")).containsExactly(SYSTEM, ASK, NEXT);
            assertThat(history()).hasSize(5);
        }
    }
}
