package dev.atlas.examples.langchain4j;

import dev.atlas.examples.langchain4j.scripted.OrderTools;
import dev.atlas.examples.langchain4j.scripted.ScriptedChatModel;
import dev.atlas.Atlas;
import dev.atlas.ConflictException;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.langchain4j.AtlasChatMemory;
import dev.atlas.langchain4j.AtlasChatModelListener;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.UserMessage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A LangChain4j app on Atlas: an {@code AiServices} assistant with one tool, a scripted offline
 * model (no network, no key) and Atlas as its chat memory and model-call recorder. It then prints
 * what Atlas stored: the transcript, each model call's execution tree, and the cost report.
 *
 * <pre>
 * ./mvnw -q install -DskipTests &amp;&amp; ./mvnw -q -pl examples/langchain4j-app exec:java
 * </pre>
 *
 * An argument names the SQLite file to use; without one a temporary file is used.
 */
public final class LangChain4jApp {

    /** The AI service: LangChain4j implements it. */
    public interface SupportAgent {
        @SystemMessage("You are a support agent for an online shop. Use the tools to answer about orders.")
        String chat(@MemoryId String chatId, @UserMessage String message);
    }

    private LangChain4jApp() {}

    public static void main(String[] args) throws IOException {
        Path file = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("atlas-langchain4j").resolve("agent.db");
        try (Atlas atlas = Atlas.sqlite(file)) {
            Tenant tenant = atlas.tenant("shop");
            // The application's own business: prices are data it knows (per million tokens).
            try {
                tenant.prices().create(ModelPrice.of("scripted", ScriptedChatModel.MODEL, "2.50", "10.00", Instant.parse("2026-01-01T00:00:00Z")));
            } catch (ConflictException alreadySet) {
                // a previous run on this file set it
            }

            // The glue: Atlas as the chat memory and as a listener of the model.
            ChatMemoryProvider memory = AtlasChatMemory.provider(tenant, 20);
            ChatModelListener listener = AtlasChatModelListener.of(tenant, "scripted", "support");

            SupportAgent agent = AiServices.builder(SupportAgent.class)
                    .chatModel(new ScriptedChatModel(List.of(listener)))
                    .chatMemoryProvider(memory)
                    .tools(new OrderTools())
                    .build();

            for (String question : List.of("Hi, where is my order 1234?", "And order 999?", "Thanks!")) {
                System.out.println("user      > " + question);
                System.out.println("assistant > " + agent.chat("chat-42", question));
            }

            Conversation c = tenant.conversations().requireByKey("chat-42");
            printTranscript(tenant, c);
            printExecutions(tenant, c);
            printCost(tenant);
        }
    }

    private static void printTranscript(Tenant tenant, Conversation c) {
        System.out.println();
        System.out.println("== Transcript of conversation " + c.id() + " (external key " + c.externalKey() + ")");
        for (Message m : tenant.conversations().messages(c.id(), 0, 100)) {
            String tools = m.metadata().containsKey("langchain4j") ? "  " + m.metadata().get("langchain4j") : "";
            System.out.printf("  #%-2d %-9s %s%s%n", m.sequence(), m.role(), m.content(), tools);
        }
    }

    private static void printExecutions(Tenant tenant, Conversation c) {
        System.out.println();
        System.out.println("== Executions (one per model call)");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
        Collections.reverse(executions);
        for (Execution e : executions) {
            ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
            System.out.printf("  %s %s/%s %s in %d ms, %d in + %d out tokens, cost %s%n", e.id(), e.provider(), e.model(),
                    e.status(), e.durationMs(), e.usage().inputTokens(), e.usage().outputTokens(),
                    e.cost() == null ? "-" : e.cost().toPlainString());
            for (ExecutionStep s : tree.steps()) {
                System.out.printf("    step %d: %s (%s)%n", s.sequence(), s.content() == null ? "" : s.content(), s.finishReason());
                for (ToolCall t : s.toolCalls()) {
                    System.out.printf("      tool %s%s -> %s %s%n", t.name(), t.arguments(), t.status(),
                            t.result() != null ? t.result() : t.error());
                }
            }
        }
    }

    private static void printCost(Tenant tenant) {
        System.out.println();
        System.out.println("== Cost report by model");
        for (UsageRow r : tenant.executions().usageReport(UsageGroup.MODEL, Instant.EPOCH, Instant.now().plusSeconds(60))) {
            System.out.printf("  %-22s %d calls, %d failed, %d in + %d out tokens, cost %s%n", r.group(), r.executions(),
                    r.failures(), r.inputTokens(), r.outputTokens(), r.cost() == null ? "-" : r.cost().toPlainString());
        }
    }
}
