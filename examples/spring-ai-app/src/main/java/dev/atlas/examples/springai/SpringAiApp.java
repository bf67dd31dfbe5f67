package dev.atlas.examples.springai;

import dev.atlas.ConflictException;
import dev.atlas.Tenant;
import dev.atlas.examples.springai.scripted.OrderTools;
import dev.atlas.examples.springai.scripted.ScriptedChatModel;
import dev.atlas.conversation.Conversation;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

import java.io.PrintStream;
import java.time.Instant;
import java.util.List;

/**
 * A Spring Boot app on Spring AI's {@link ChatClient}, written as if Atlas were not there: the
 * Atlas starter and {@code atlas-spring-ai} on the classpath make its chat memory an Atlas
 * conversation and record every model call, tool calls, usage and cost (zero lines of glue).
 * The model is {@link ScriptedChatModel}, offline; with a real provider starter the app is the same.
 *
 * <p>After the chat it prints, from Atlas, the stored transcript, the execution tree and the cost report.
 */
@SpringBootApplication
public class SpringAiApp {
    /** The chat id the application uses; Atlas keeps it as the conversation's external key. */
    static final String CHAT_ID = "order-chat";

    public static void main(String[] args) {
        SpringApplication.run(SpringAiApp.class, args).close();
    }

    @Bean
    ChatModel chatModel() {
        return new ScriptedChatModel();
    }

    @Bean
    ApplicationRunner chat(ChatClient.Builder builder, Tenant tenant) {
        return args -> {
            // The application's own business: prices are data it knows (per million tokens).
            try {
                tenant.prices().create(ModelPrice.of("scripted", "scripted-1", "2.50", "10.00", Instant.parse("2026-01-01T00:00:00Z")));
            } catch (ConflictException alreadySet) {
                // a previous run on this database set it
            }
            ChatClient chat = builder.defaultTools(new OrderTools()).build();
            for (String question : List.of("Hello!", "Where is order 1234?", "Thanks, and order 77?")) {
                String answer = chat.prompt().user(question)
                        .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, CHAT_ID))
                        .call().content();
                System.out.println("user> " + question);
                System.out.println("assistant> " + answer);
            }
            report(tenant, System.out);
        };
    }

    /** The transcript, execution trees and cost, read back from Atlas. */
    static void report(Tenant tenant, PrintStream out) {
        Conversation c = tenant.conversations().requireByKey(CHAT_ID);
        out.println();
        out.println("== Transcript of conversation " + c.id() + " (key " + c.externalKey() + ")");
        for (dev.atlas.conversation.Message m : tenant.conversations().messages(c.id(), 0, 1000)) {
            Object calls = m.metadata().get("spring_ai") instanceof java.util.Map<?, ?> s ? s.get("toolCalls") : null;
            out.printf("%3d %-9s %s%s%n", m.sequence(), m.role(), m.content(),
                    calls == null ? "" : " tool calls: " + calls);
        }
        out.println();
        out.println("== Executions");
        List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(c.id()).limit(100)).items();
        List<Execution> oldestFirst = new java.util.ArrayList<>(executions);
        java.util.Collections.reverse(oldestFirst);
        for (Execution e : oldestFirst) {
            ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
            out.printf("%s %s/%s %s, %d in + %d out tokens, cost %s%n", e.id(), e.provider(), e.model(), e.status(),
                    e.usage().inputTokens(), e.usage().outputTokens(), e.cost() == null ? "-" : e.cost().toPlainString());
            tree.steps().forEach(s -> {
                out.printf("  step %d %s: %s%n", s.sequence(), s.finishReason(), s.content());
                s.toolCalls().forEach(t -> out.printf("    tool %s %s(%s) -> %s%n", t.providerCallId(), t.name(), t.arguments(), t.result()));
            });
        }
        out.println();
        out.println("== Cost by model");
        for (UsageRow row : tenant.executions().usageReport(UsageGroup.MODEL, Instant.EPOCH, Instant.now().plusSeconds(60))) {
            out.printf("%s: %d executions, %d in + %d out tokens, cost %s%n", row.group(), row.executions(),
                    row.inputTokens(), row.outputTokens(), row.cost() == null ? "-" : row.cost().toPlainString());
        }
    }
}
