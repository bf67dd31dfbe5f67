package dev.atlas.examples;

import dev.atlas.Atlas;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.NewRevision;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.examples.ScriptedModel.ChatMessage;
import dev.atlas.examples.ScriptedModel.Response;
import dev.atlas.examples.ScriptedModel.Script;
import dev.atlas.examples.ScriptedModel.ToolRequest;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.MessageWithTools;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.StepHandle.ToolCallHandle;
import dev.atlas.execution.StepHandle;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryKind;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchTarget;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskWorker;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A support agent built on the whole library, offline and with no setup:
 *
 * <pre>
 * ./mvnw -q install -DskipTests && ./mvnw -q -pl examples exec:java
 * ./mvnw -q -pl examples exec:java -Dexec.args="jdbc:postgresql://localhost/app user password"
 * </pre>
 *
 * In order, it:
 * <ol>
 *   <li>sets prices for the two scripted models and publishes revision 1 of the {@code support-bot}
 *       assistant (system prompt + settings);</li>
 *   <li>starts a conversation that records that revision;</li>
 *   <li>sends a user message twice with the same client id (a network retry), stored once;</li>
 *   <li>answers it (a poor answer), then regenerates: the retry is a tool loop of two steps whose
 *       first step calls two tools, one of which draws a PNG that is stored as an asset and attached
 *       to the reply; every model call is recorded as an execution with usage and cost;</li>
 *   <li>plays a second turn, extracts memories from it with a second model, indexes them with a
 *       stand-in embedder and finds them by full-text and by semantic search;</li>
 *   <li>enqueues a durable follow-up task and runs it with a {@link TaskWorker};</li>
 *   <li>prints the transcript, the execution trees, a cost report by model, the search hits, the
 *       task's outcome, and where the data is ({@link DemoReport}).</li>
 * </ol>
 *
 * The models, tools and embedder are stand-ins ({@link ScriptedModel}, {@link SupportTools},
 * {@link HashingEmbedder}); every Atlas call is the one a real application makes.
 */
public final class SupportAgentDemo {

    static final String PROVIDER = "scripted";
    static final Owner USER = Owner.user("42");
    static final String AGENT = "support";

    /** The agent: answers the user and calls tools. */
    private final ScriptedModel agentModel = new ScriptedModel("scripted-agent-1",
            Script.text("Sorry, I can't find an order with that number."),       // the answer the user regenerates
            Script.tools(                                                           // the retry, step 1: two tools at once
                    new ToolRequest("call_1", SupportTools.LOOKUP_ORDER, "{\"order\":1234}"),
                    new ToolRequest("call_2", SupportTools.RENDER_TRACKING_MAP, "{\"order\":1234}")),
            Script.text("Order 1234 shipped this morning from our Lyon depot and should arrive on Thursday. "
                    + "I've attached a map of its route."),                       // the retry, step 2
            Script.text("Yes, until it leaves the depot tomorrow. I've noted your new address in Lyon "
                    + "and will confirm by email once the courier has it."));

    /** A cheaper model that turns a conversation into memories, one "kind: content" per line. */
    private final ScriptedModel extractorModel = new ScriptedModel("scripted-mini-1",
            Script.text("""
                    Here is what is worth remembering:
                    - Preference: Prefers email over phone calls for delivery updates
                    - **Fact**: Moved to Lyon and wants deliveries sent to the new address
                    - TASK: Confirm the new delivery address of order 1234 by email
                    """));

    private final HashingEmbedder embedder = new HashingEmbedder();
    private final Tenant tenant;
    private final ConversationStore chats;
    private final Instant startedAt = Instant.now();

    private AssistantRevision revision;
    private UUID conversationId;

    SupportAgentDemo(Tenant tenant) {
        this.tenant = tenant;
        this.chats = tenant.conversations();
    }

    public static void main(String[] args) throws InterruptedException {
        DemoDatabase database = DemoDatabase.from(args);
        try (Atlas atlas = database.open()) {   // creates (or opens) the database and migrates it
            System.out.printf("Atlas on %s, tenant %s%n%n", atlas.databaseKind(), database.tenantId());
            new SupportAgentDemo(atlas.tenant(database.tenantId())).run();
            database.printLocation(atlas);
        }
    }

    void run() throws InterruptedException {
        setPrices();
        publishAssistant();
        startConversation();

        // ---- Turn 1: a poor answer, then a regenerate that uses tools -------------------
        Message question = sendTwice("Where is order 1234?", "web-msg-1");
        Message firstReply = answer(question, Map.of());
        System.out.printf("The user regenerates reply #%d (canRetry: %s)%n%n", firstReply.sequence(), chats.canRetry(firstReply.id()));
        answer(question, Map.of("regenerates", firstReply.id().toString()));

        // ---- Turn 2 ---------------------------------------------------------------------
        Message followUp = chats.append(conversationId, NewMessage.user(
                "Can I still change the delivery address? I moved to Lyon. And please email me rather than call.")
                .clientId("web-msg-2"));
        Message secondReply = answer(followUp, Map.of());

        // ---- After the conversation: memories and a follow-up task ----------------------
        extractMemories(followUp);
        Task task = runFollowUpTask(secondReply);

        DemoReport report = new DemoReport(tenant, conversationId, embedder);
        report.printTranscript();
        report.printExecutions();
        // Reports cover a time range; this one spans the run (the tenant is new, so that is everything).
        report.printCostReport(startedAt.minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofHours(1)));
        report.printSearches();
        report.printTask(task);
    }

    // ---- Set-up ------------------------------------------------------------------------

    /** Prices per million tokens; each execution's cost is computed from them when it completes. */
    private void setPrices() {
        Instant validFrom = Instant.parse("2024-01-01T00:00:00Z");
        tenant.prices().create(ModelPrice.of(PROVIDER, agentModel.name(), "3.00", "15.00", validFrom));
        tenant.prices().create(ModelPrice.of(PROVIDER, extractorModel.name(), "0.15", "0.60", validFrom));
    }

    /**
     * The assistant's prompt and settings live in an immutable, numbered revision, so every reply
     * can be traced to the exact prompt that produced it, and a rollback is one call.
     */
    private void publishAssistant() {
        Assistant bot = tenant.assistants().create(AssistantSpec.of("support-bot", "Acme support")
                .defaultModel(agentModel.name())
                .temperature(new BigDecimal("0.30"))
                .tools(List.of(SupportTools.LOOKUP_ORDER, SupportTools.RENDER_TRACKING_MAP)));
        revision = tenant.assistants().publish(bot.id(), NewRevision.of(
                        "You are Acme's support agent. Be brief and friendly. Look orders up before answering.",
                        Map.of("model", agentModel.name(), "max_tool_rounds", 4))
                .label("launch")
                .author(Owner.user("ada")));
        System.out.printf("Published assistant %s revision %d (%s) by %s, settings %s%n",
                bot.slug(), revision.number(), revision.label(), revision.author(), new TreeMap<>(revision.settings()));
    }

    private void startConversation() {
        conversationId = chats.create(NewConversation.of(USER, AGENT).assistantRevision(revision.id())).id();
        System.out.printf("Created conversation %s for %s with agent %s, running revision %d%n%n",
                conversationId, USER, AGENT, revision.number());
    }

    // ---- Messages ----------------------------------------------------------------------

    /**
     * The client gives each user message its own id. If the request times out and the client
     * sends it again, Atlas returns the stored message instead of storing a duplicate.
     */
    private Message sendTwice(String text, String clientId) {
        Message first = chats.append(conversationId, NewMessage.user(text).clientId(clientId));
        Message again = chats.append(conversationId, NewMessage.user(text).clientId(clientId));
        long copies = chats.messages(conversationId, 0, 100).stream().filter(m -> clientId.equals(m.clientId())).count();
        System.out.printf("Sent \"%s\" twice with clientId %s: same message #%d both times: %s; stored copies: %d%n",
                text, clientId, first.sequence(), first.id().equals(again.id()) ? "yes" : "NO", copies);
        return first;
    }

    // ---- The agent loop ----------------------------------------------------------------

    /**
     * One assistant turn, recorded as one execution: the model is called in steps; while it asks
     * for tools, the tools run and their results go back to it; its final text becomes the reply,
     * linked to the execution and step. The reply's parent is the question, so answering the same
     * question again makes the new reply the active one and keeps the old one as a sibling.
     */
    private Message answer(Message question, Map<String, ?> metadata) {
        ExecutionSpec spec = ExecutionSpec.text(PROVIDER, setting("model"))
                .agent(AGENT)
                .conversation(conversationId)
                .assistantRevision(revision.id())
                .metadata(metadata);
        return tenant.executions().record(spec, exec -> {
            List<ChatMessage> request = requestUpTo(question);
            List<Asset> assets = new ArrayList<>();
            int maxRounds = ((Number) revision.settings().get("max_tool_rounds")).intValue();
            for (int round = 1; round <= maxRounds; round++) {
                StepHandle step = exec.step();
                Response response = agentModel.complete(request);
                if (!response.wantsTools()) {
                    step.finish(response.text(), null, FinishReason.STOP, response.usage());
                    Message reply = exec.reply(step, NewMessage.assistant(response.text()).parent(question.id()));
                    assets.forEach(a -> tenant.assets().attach(reply.id(), a.id(), Map.of("caption", "Route of order 1234")));
                    return reply;
                }
                request.add(ChatMessage.askingFor(response.text(), response.toolRequests()));
                for (ToolRequest tool : response.toolRequests()) {
                    ToolCallHandle call = step.toolCall(tool.callId(), tool.name(), tool.arguments());
                    String result = runTool(exec, call, tool, assets);
                    call.complete(result);
                    request.add(ChatMessage.of("tool", result));
                }
                step.finish(response.text(), null, FinishReason.TOOL_CALLS, response.usage());
            }
            // Thrown inside record(): the execution is stored as failed with this message.
            throw new IllegalStateException("no answer after " + maxRounds + " tool rounds");
        });
    }

    /** Runs one tool. The map renderer's PNG is stored as an asset linked to the execution and tool call. */
    private String runTool(ExecutionHandle exec, ToolCallHandle call, ToolRequest tool, List<Asset> assets) {
        return switch (tool.name()) {
            case SupportTools.LOOKUP_ORDER -> SupportTools.lookupOrder(tool.arguments());
            case SupportTools.RENDER_TRACKING_MAP -> {
                Asset map = tenant.assets().create(NewAsset.of(AssetType.IMAGE, "tracking-map-1234.png", "image/png")
                        .execution(exec.id(), call.id())
                        .owner(USER)
                        .description("Route of order 1234 from the Lyon depot"), SupportTools.renderTrackingMap());
                assets.add(map);
                // The model is told about the image, not sent its bytes.
                yield "{\"asset_id\":\"" + map.id() + "\",\"mime_type\":\"image/png\",\"bytes\":" + map.sizeBytes() + "}";
            }
            default -> throw new IllegalArgumentException("unknown tool " + tool.name());
        };
    }

    /**
     * The provider request: the revision's system prompt, then the active history up to the
     * message being answered (for a regenerate, that leaves out the reply being replaced). An
     * assistant message produced by a tool loop is preceded by each round's tool calls and their
     * results, as providers expect them; {@code historyWithTools} loads them in three queries.
     */
    private List<ChatMessage> requestUpTo(Message question) {
        List<ChatMessage> request = new ArrayList<>();
        request.add(ChatMessage.of("system", revision.systemPrompt()));
        for (MessageWithTools m : tenant.executions().historyWithTools(conversationId, 50)) {
            if (m.message().sequence() > question.sequence()) {
                break;
            }
            for (ExecutionStep round : m.toolSteps()) {
                // A tool round that led to this message: the model's turn asking for tools, then their results.
                request.add(ChatMessage.askingFor(round.content(), round.toolCalls().stream()
                        .map(c -> new ToolRequest(c.providerCallId(), c.name(), c.arguments())).toList()));
                round.toolCalls().forEach(c -> request.add(ChatMessage.of("tool", c.result())));
            }
            request.add(ChatMessage.of(m.message().role().toString(), m.message().content()));
        }
        return request;
    }

    private String setting(String key) {
        return (String) revision.settings().get(key);
    }

    // ---- Memories ----------------------------------------------------------------------

    /**
     * Asks the extractor model for memories about the user (recorded as a structured execution),
     * stores each with its provenance, and stores its vector for semantic search.
     */
    private void extractMemories(Message source) {
        ExecutionSpec spec = ExecutionSpec.of(ExecutionType.STRUCTURED, PROVIDER, extractorModel.name())
                .agent("memory-extractor")
                .conversation(conversationId);
        String lines = tenant.executions().record(spec, exec -> {
            StepHandle step = exec.step();
            Response response = extractorModel.complete(List.of(
                    ChatMessage.of("system", "List what is worth remembering about the user, one 'kind: content' per line."),
                    ChatMessage.of("user", source.content())));
            step.finish(response.text(), null, FinishReason.STOP, response.usage());
            return response.text();
        });

        int extracted = 0;
        for (String line : lines.split("\n")) {
            Optional<NewMemory> parsed = memoryOf(line);
            if (parsed.isEmpty()) {
                continue;
            }
            Memory memory = tenant.memories().create(parsed.get().from(conversationId, source.id()).importance(0.7));
            // Atlas calls the embedder with the stored text, outside any transaction.
            tenant.search().embed(SearchTarget.MEMORY, memory.id(), HashingEmbedder.MODEL, embedder);
            extracted++;
        }
        System.out.printf("Extracted %d memories from message #%d and stored their vectors (%s, %d dimensions)%n",
                extracted, source.sequence(), HashingEmbedder.MODEL, tenant.search().dimension(HashingEmbedder.MODEL));
    }

    /**
     * One line of the extractor's output as a memory of the user, or empty when the line holds
     * none (a preamble, a blank line). A model writes {@code Preference:}, {@code - fact:} or
     * {@code **Task**:} as readily as {@code preference:}, but {@link MemoryKind#of} takes the
     * stored form only (lower-case, from a-z 0-9 _ . -) and throws {@code InvalidInputException}
     * otherwise: strip the markup around the kind and lower-case it first, and keep a line whose
     * kind is still not one (a sentence before a colon) as a fact rather than lose the turn to an
     * exception. Model text may also
     * hold a NUL or half an emoji, which Atlas refuses: {@link Limits#storable} replaces them.
     */
    static Optional<NewMemory> memoryOf(String line) {
        int colon = line.indexOf(':');
        String content = colon < 0 ? "" : Limits.storable(line.substring(colon + 1)).strip();
        if (content.isEmpty()) {
            return Optional.empty();
        }
        String kind = line.substring(0, colon).replaceAll("^[^\\p{L}\\p{N}]+|[^\\p{L}\\p{N}]+$", "").toLowerCase(Locale.ROOT);
        MemoryKind parsed;
        try {
            parsed = MemoryKind.of(kind);
        } catch (InvalidInputException notAKind) {
            parsed = MemoryKind.FACT;
        }
        return Optional.of(NewMemory.of(USER, parsed, content));
    }

    // ---- A durable task ----------------------------------------------------------------

    /**
     * The reply promised an email. The promise becomes a durable task: if the process died now,
     * any worker would claim it after a restart. Here a {@link TaskWorker} runs it at once.
     */
    private Task runFollowUpTask(Message promise) throws InterruptedException {
        Task queued = tenant.tasks().create(NewTask.of("follow-up-email",
                        Map.of("order", 1234, "about", "new delivery address"))
                .forMessage(conversationId, promise.id())
                .owner(USER));
        System.out.printf("Enqueued task %s (%s, status %s)%n", queued.kind(), queued.id(), queued.status());

        CountDownLatch handled = new CountDownLatch(1);
        try (TaskWorker worker = TaskWorker.builder(tenant.tasks())
                .handler("follow-up-email", task -> {
                    Map<String, ?> result = sendEmail(task);
                    handled.countDown();
                    return result;
                })
                .pollInterval(Duration.ofMillis(20))
                .start()) {
            if (!handled.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the worker did not run the task within 30 s");
            }
        } // close() waits until the handler's result is stored
        return tenant.tasks().get(queued.id()).orElseThrow();
    }

    /** Stand-in for the application's mailer: the result map is stored with the completed task. */
    private static Map<String, ?> sendEmail(Task task) {
        return Map.of("channel", "email", "to", task.owner().toString(),
                "subject", "Order " + task.payload().get("order") + ": " + task.payload().get("about") + " confirmed");
    }
}
