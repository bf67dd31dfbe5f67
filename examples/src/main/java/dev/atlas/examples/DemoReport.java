package dev.atlas.examples;

import dev.atlas.Tenant;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.conversation.Message;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import dev.atlas.task.Task;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

/** Prints what the demo stored, read back through the library's read and report calls. */
final class DemoReport {
    private final Tenant tenant;
    private final UUID conversationId;
    private final HashingEmbedder embedder;

    DemoReport(Tenant tenant, UUID conversationId, HashingEmbedder embedder) {
        this.tenant = tenant;
        this.conversationId = conversationId;
        this.embedder = embedder;
    }

    // ---- Transcript --------------------------------------------------------------------

    /** Every stored message, replaced retries included, then the active history a model is sent next. */
    void printTranscript() {
        heading("Transcript: messages(id, 0, 100), every stored message");
        for (Message m : tenant.conversations().messages(conversationId, 0, 100)) {
            System.out.printf("  #%d %-9s %s%n", m.sequence(), m.role(), m.content());
            if (!m.active()) {
                System.out.printf("              (replaced by the retry #%d: an inactive sibling, kept for the record)%n", activeSibling(m));
            }
            for (AttachedAsset a : tenant.assets().forMessage(m.id())) {
                System.out.printf("              attached: %s (%s, %,d bytes, sha256 %s...)%n",
                        a.asset().filename(), a.asset().mimeType(), a.asset().sizeBytes(), a.asset().sha256().substring(0, 12));
            }
        }
        String active = tenant.conversations().history(conversationId).stream()
                .map(m -> "#" + m.sequence()).collect(Collectors.joining(", "));
        System.out.printf("  Active history, what the model is sent next turn: %s%n", active);
    }

    /** The sequence of the sibling that answers the same message and is active now. */
    private long activeSibling(Message replaced) {
        return tenant.conversations().siblings(replaced.id()).stream()
                .filter(Message::active).mapToLong(Message::sequence).findFirst().orElse(0);
    }

    // ---- Executions --------------------------------------------------------------------

    /** Each execution of the conversation with its steps and tool calls, oldest first, and the reply it produced. */
    void printExecutions() {
        heading("Executions: tree(id), one per model call, with its steps and tool calls");
        List<Execution> executions = new ArrayList<>(
                tenant.executions().list(ExecutionQuery.all().conversation(conversationId).limit(20)).items());
        Collections.reverse(executions); // the list is newest first
        Map<UUID, Message> replies = new HashMap<>();
        for (Message m : tenant.conversations().messages(conversationId, 0, 100)) {
            if (m.executionId() != null) {
                replies.put(m.executionId(), m);
            }
        }
        int number = 0;
        for (Execution summary : executions) {
            ExecutionTree tree = tenant.executions().tree(summary.id()).orElseThrow();
            Message reply = replies.get(summary.id());
            printExecution(++number, tree, reply == null ? "no reply message" : "reply #" + reply.sequence(), revisionOf(summary));
        }
    }

    /** Which assistant revision the call ran with, so an answer can be traced to its exact prompt. */
    private String revisionOf(Execution e) {
        if (e.assistantRevisionId() == null) {
            return "";
        }
        AssistantRevision revision = tenant.assistants().getRevision(e.assistantRevisionId()).orElseThrow();
        return ", assistant revision " + revision.number();
    }

    private static void printExecution(int number, ExecutionTree tree, String produced, String revision) {
        Execution e = tree.execution();
        System.out.printf("  %d. %s %s/%s, agent %s%s -> %s%n", number, e.type(), e.provider(), e.model(), e.agent(), revision, produced);
        System.out.printf("     %s in %s, %s, cost %s%n", e.status(), ms(e.durationMs()), tokens(e.usage()), money(e.cost()));
        for (ExecutionStep step : tree.steps()) {
            System.out.printf("     step %d  %-10s %s in %s, %s%n", step.sequence(), step.finishReason(), step.status(),
                    ms(step.durationMs()), tokens(step.usage()));
            for (ToolCall call : step.toolCalls()) {
                System.out.printf("       tool call %d %s %s: %s in %s%n         -> %s%n", call.index(), call.name(), call.arguments(),
                        call.status(), ms(call.durationMs()), call.result());
            }
        }
    }

    // ---- Usage and cost ----------------------------------------------------------------

    /** One SQL aggregate: tokens and exact cost per model. */
    void printCostReport(Instant from, Instant to) {
        heading("Usage and cost by model: usageReport(MODEL, from, to)");
        System.out.printf("  %-28s %5s %6s %8s %8s %12s%n", "model", "calls", "failed", "input", "output", "cost");
        long calls = 0;
        BigDecimal total = BigDecimal.ZERO;
        for (UsageRow row : tenant.executions().usageReport(UsageGroup.MODEL, from, to)) {
            System.out.printf("  %-28s %5d %6d %8d %8d %12s%n", row.group(), row.executions(), row.failures(),
                    row.inputTokens(), row.outputTokens(), money(row.cost()));
            calls += row.executions();
            total = total.add(row.cost());
        }
        System.out.printf("  %-28s %5d %6s %8s %8s %12s%n", "total", calls, "", "", "", money(total));
    }

    // ---- Search ------------------------------------------------------------------------

    /** Full-text needs every word as written; semantic search ranks by similarity of the vectors. */
    void printSearches() {
        heading("Search");
        printTextHits("Full-text, messages, \"order 1234\"", TextQuery.messages("order 1234"));
        printTextHits("Full-text, memories, \"email\"", TextQuery.memories("email"));
        // Full-text needs every word, spelled as stored ("prefers", not "prefer").
        printTextHits("Full-text, memories, \"prefer phone or email\"", TextQuery.memories("prefer phone or email"));

        String question = "Does the customer prefer a phone call or email?";
        System.out.printf("  Semantic, memories, \"%s\" (%s, cosine):%n", question, HashingEmbedder.MODEL);
        for (SearchHit hit : tenant.search().similar(SemanticQuery.of(SearchTarget.MEMORY, HashingEmbedder.MODEL, question, embedder).k(3))) {
            System.out.printf("    %.3f  %s%n", hit.score(), tenant.memories().require(hit.id()).content());
        }
    }

    private void printTextHits(String title, TextQuery query) {
        List<SearchHit> hits = tenant.search().text(query);
        System.out.printf("  %s: %d hit%s%n", title, hits.size(), hits.size() == 1 ? "" : "s");
        for (SearchHit hit : hits) {
            System.out.printf("    %s%n", hit.snippet());
        }
    }

    // ---- Task --------------------------------------------------------------------------

    void printTask(Task task) {
        heading("Task");
        System.out.printf("  %s %s: %s after %d attempt%s, result %s%n", task.kind(), task.id(), task.status(), task.attempts(),
                task.attempts() == 1 ? "" : "s", new TreeMap<>(task.result()));
    }

    // ---- Formatting --------------------------------------------------------------------

    private static void heading(String title) {
        System.out.printf("%n%s%n", title);
    }

    private static String ms(Long durationMs) {
        return durationMs == null ? "-" : durationMs + " ms";
    }

    private static String tokens(Usage usage) {
        return usage.isEmpty() ? "no usage" : usage.inputTokens() + " in / " + usage.outputTokens() + " out tokens";
    }

    private static String money(BigDecimal cost) {
        return cost == null ? "n/a" : "$" + cost.toPlainString();
    }
}
