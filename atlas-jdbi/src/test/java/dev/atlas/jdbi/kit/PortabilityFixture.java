package dev.atlas.jdbi.kit;

import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.NewRevision;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageStatus;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchTarget;
import dev.atlas.task.NewTask;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceTurn;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A row in every portable table, written through the public API: a conversation with a retry
 * sibling, an edit, a deletion and a tool thread; a completed execution with usage, cost, a step,
 * a tool call and an asset; an uploaded attachment; vectors on a message, an asset and a memory; a
 * revised, tagged memory; an assistant with revisions and a rollback; settings with revisions and a
 * rollback; a credential; a finished and a pending task; a completed voice call. {@code tenantLevel}
 * adds what belongs to no owner: a price, graph nodes and an edge, an execution without a
 * conversation, and settings without an owner.
 */
public final class PortabilityFixture {
    private static final Owner ALICE = Owner.user("alice");
    private static final Owner BOB = Owner.user("bob");

    private PortabilityFixture() {}

    /** Ids of what was made, by name. */
    public static Map<String, UUID> populate(Tenant t, Owner owner, String tag, boolean tenantLevel, MutableClock clock) {
        Map<String, UUID> ids = new LinkedHashMap<>();
        if (tenantLevel) {
            t.prices().set(ModelPrice.of("openai", "gpt-4o", "2.5", "10", Instant.parse("2026-01-01T00:00:00Z")));
            t.graph().upsertNode(NewGraphNode.of("node-a-" + tag).label("A"));
            t.graph().upsertNode(NewGraphNode.of("node-b-" + tag).label("B"));
            t.graph().upsertEdge(NewGraphEdge.of("node-a-" + tag, "knows", "node-b-" + tag).weight(0.25));
            ExecutionHandle detached = t.executions().start(ExecutionSpec.text("openai", "gpt-4o").agent("batch").owner(owner)
                    .project("project-" + tag));
            detached.toolCall(dev.atlas.execution.NewToolCall.of("voice-" + tag, "hang_up", "{\"why\": \"done\"}")).complete("ok");
            detached.usage(Usage.of(7, 3));
            ids.put("detachedExecution", detached.complete().id());
            var shared = t.settings().create("defaults-" + tag, "Defaults " + tag, null);
            t.settings().publish(shared.id(), Map.of("model", "gpt-4o-mini"), null, null);
        }
        var assistant = t.assistants().create(AssistantSpec.of("bot-" + tag, "Bot " + tag).owner(owner)
                .temperature(new BigDecimal("0.7")).topP(BigDecimal.ONE).maxOutputTokens(512).tools(List.of("search", "lookup"))
                .metadata(Map.of("z", 1, "a", Map.of("y", 2.5, "b", List.of(1, 2)))));
        t.assistants().publish(assistant.id(), NewRevision.of("You are helpful.", Map.of("model", "gpt-4o", "t", 0.5)).label("v1"));
        t.assistants().publish(assistant.id(), NewRevision.of("You are terse.", Map.of("model", "gpt-4o")).author(owner));
        t.assistants().rollback(assistant.id(), 1, owner);
        ids.put("assistant", assistant.id());
        var settings = t.settings().create("chat-" + tag, "Chat " + tag, owner);
        t.settings().publish(settings.id(), Map.of("model", "gpt-4o", "temperature", 0.3, "stop", List.of("b", "a")), "v1", owner);
        t.settings().publish(settings.id(), Map.of("model", "gpt-4o", "temperature", 1), null, null);
        t.settings().rollback(settings.id(), 1, owner);
        ids.put("settings", settings.id());

        Conversation c = t.conversations().create(NewConversation.of(owner, "support").title("Order " + tag)
                .metadata(Map.of("b", 1, "a", Map.of("z", 1.5, "y", List.of(1, 2)), "big", 12345678901234L)));
        ids.put("conversation", c.id());
        clock.set(clock.instant().plus(Duration.ofSeconds(1)));
        Message user = t.conversations().append(c.id(), NewMessage.user("Where is order " + tag + "?").clientId("c-1-" + tag));
        Message first = t.conversations().append(c.id(), NewMessage.assistant("Looking.").parent(user.id()));
        t.conversations().append(c.id(), NewMessage.assistant("It shipped.").parent(user.id()).metadata(Map.of("retry", true)));
        t.conversations().edit(first.id(), "Looking it up.");
        Message gone = t.conversations().append(c.id(), NewMessage.user("never mind").status(MessageStatus.QUEUED));
        t.conversations().deleteMessage(gone.id());
        // Issue 15's events travel too: an app-defined type, a metadata edit.
        t.conversations().recordEvent(gone.id(), dev.atlas.conversation.MessageEventType.app("review.flagged"), Map.of("by", tag));
        t.conversations().updateMessageMetadata(first.id(), Map.of("rated", 5));
        t.conversations().markRead(user.id());
        ids.put("userMessage", user.id());

        ExecutionHandle e = t.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()).agent("support"));
        clock.set(clock.instant().plus(Duration.ofMillis(1234)));
        StepHandle step = e.step();
        StepHandle.ToolCallHandle call = step.toolCall("call-" + tag, "lookup", "{\"order\": \"" + tag + "\",  \"n\":1}");
        Conversation thread = t.conversations().create(NewConversation.toolThread(owner, "lookup-agent", c.id(), call.id()));
        t.conversations().append(thread.id(), NewMessage.user("lookup " + tag));
        call.complete("{\"status\":\"shipped\"}");
        step.finish("It shipped.", null, FinishReason.STOP, Usage.of(100, 20));
        e.usage(Usage.of(100, 20));
        Message reply = e.reply(step, "Your order shipped.");
        Asset chart = t.assets().store(NewAsset.of(AssetType.IMAGE, "chart.png", "image/png").execution(e.id(), call.id())
                .metadata(Map.of("w", 10)), ("chart " + tag).getBytes(StandardCharsets.UTF_8));
        clock.set(clock.instant().plus(Duration.ofMillis(2500)));
        e.complete();
        ids.put("execution", e.id());
        ids.put("toolThread", thread.id());
        ids.put("reply", reply.id());
        ids.put("chart", chart.id());

        Asset upload = t.assets().store(NewAsset.of(AssetType.DOCUMENT, "receipt.pdf", "application/pdf").owner(owner),
                ("receipt " + tag).getBytes(StandardCharsets.UTF_8));
        t.assets().attach(user.id(), upload.id(), Map.of("pos", 1));
        ids.put("upload", upload.id());

        t.search().putVector(SearchTarget.MESSAGE, user.id(), "emb", new float[] {0.5f, -0.25f, 1f});
        t.search().putAssetVector(chart.id(), c.id(), "emb", new float[] {0.1f, 0.2f, 0.3f});
        Memory memory = t.memories().add(NewMemory.preference(owner, "Prefers email " + tag).tags("contact", "email").from(c.id(), user.id()));
        t.memories().update(memory.id(), MemoryPatch.content("Prefers email over phone " + tag));
        t.search().putVector(SearchTarget.MEMORY, memory.id(), "emb", new float[] {1f, 0f, 0f});
        ids.put("memory", memory.id());

        t.credentials().put(owner, "github", "secret of " + tag);
        UUID done = t.tasks().enqueue(NewTask.of("summarise", Map.of("conversation", c.id().toString())).forConversation(c.id())).id();
        var claim = t.tasks().claim(Duration.ofMinutes(5), java.util.Set.of("summarise")).orElseThrow();
        t.tasks().complete(claim, Map.of("summary", "shipped", "score", 0.75));
        t.tasks().enqueue(NewTask.of("remind", Map.of("in", "1d")).owner(owner));
        t.tasks().schedule(dev.atlas.task.NewSchedule.every("digest-" + tag, Duration.ofHours(6), NewTask.of("digest", Map.of("tag", tag))
                .owner(owner)));
        if (tenantLevel) {
            t.tasks().schedule(dev.atlas.task.NewSchedule.cron("nightly-" + tag, "30 2 * * *", NewTask.of("cleanup", Map.of())));
            t.tasks().pauseSchedule("nightly-" + tag);
        }
        ids.put("finishedTask", done);

        var voice = t.voiceCalls().start(NewVoiceCall.of("session-" + tag, "openai", "gpt-realtime").owner(owner).conversation(c.id()));
        t.voiceCalls().complete(voice.id(), List.of(VoiceTurn.user("hello " + tag)));
        ids.put("voiceCall", voice.id());
        clock.set(clock.instant().plus(Duration.ofSeconds(1)));
        return ids;
    }

    /**
     * Bob's conversation with a message and a call of his (a step, a tool call), and Alice's
     * conversation with a message: what each cross-owner test adds its one reference to.
     */
    public static Map<String, UUID> twoOwners(Tenant t) {
        Map<String, UUID> ids = new LinkedHashMap<>();
        var bobs = t.conversations().create(NewConversation.of(BOB, "support"));
        ids.put("bobConversation", bobs.id());
        ids.put("bobMessage", t.conversations().append(bobs.id(), NewMessage.user("bob asks")).id());
        var e = t.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(bobs.id()));
        var step = e.step();
        var call = step.toolCall("call-bob", "lookup", "{}");
        call.complete("ok");
        step.finish("done", null, FinishReason.STOP, Usage.of(1, 1));
        ids.put("bobExecution", e.complete().id());
        ids.put("bobStep", step.id());
        ids.put("bobToolCall", call.id());
        var alices = t.conversations().create(NewConversation.of(ALICE, "support"));
        ids.put("aliceConversation", alices.id());
        ids.put("aliceMessage", t.conversations().append(alices.id(), NewMessage.user("alice asks")).id());
        return ids;
    }

    /** Bob's assistant (by assistant and revision) and an ownerless one (by revision only) used in Alice's conversation and call. */
    public static Map<String, UUID> assistantsOfOthers(Tenant t, Map<String, UUID> ids) {
        Map<String, UUID> out = new LinkedHashMap<>(ids);
        var bobBot = t.assistants().create(AssistantSpec.of("bob-bot", "Bob's bot").owner(BOB));
        var bobV1 = t.assistants().publish(bobBot.id(), NewRevision.of("Be brief.", Map.of("model", "gpt-4o")));
        t.assistants().publish(bobBot.id(), NewRevision.of("Be briefer.", Map.of("model", "gpt-4o")).author(BOB));
        var shared = t.assistants().create(AssistantSpec.of("shared", "Shared"));
        var sharedV1 = t.assistants().publish(shared.id(), NewRevision.of("Shared prompt.", Map.of()));
        var conversation = t.conversations().create(NewConversation.of(ALICE, "support").assistant(bobBot.id())
                .assistantRevision(bobV1.id()));
        var call = t.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(ids.get("aliceConversation"))
                .assistantRevision(sharedV1.id()));
        out.put("bobBot", bobBot.id());
        out.put("shared", shared.id());
        out.put("aliceBotConversation", conversation.id());
        out.put("aliceCall", call.complete().id());
        return out;
    }

    /**
     * Every kind of reference from Alice's rows to Bob's (or nobody's) that an export of Alice meets:
     * {@link #twoOwners}, {@link #assistantsOfOthers}, a reply linked to Bob's call, Alice's tool thread
     * below Bob's conversation, her asset made by Bob's call, voice calls across the two, Bob writing
     * and calling in Alice's conversation, and her memory and task naming Bob's conversation.
     */
    public static Map<String, UUID> crossOwnerReferences(Tenant t) {
        Map<String, UUID> ids = assistantsOfOthers(t, twoOwners(t));
        UUID alices = ids.get("aliceConversation");
        UUID bobs = ids.get("bobConversation");
        t.conversations().append(alices, NewMessage.assistant("bob's call says").execution(ids.get("bobExecution"), ids.get("bobStep")));
        t.conversations().create(NewConversation.toolThread(ALICE, "helper", bobs, ids.get("bobToolCall")));
        t.assets().store(NewAsset.of(AssetType.IMAGE, "made.png", "image/png").owner(ALICE).execution(ids.get("bobExecution"),
                ids.get("bobToolCall")), "made".getBytes(StandardCharsets.UTF_8));
        t.voiceCalls().start(NewVoiceCall.of("alice-in-bobs", "openai", "gpt-realtime").owner(ALICE).conversation(bobs)
                .execution(ids.get("bobExecution")));
        t.voiceCalls().start(NewVoiceCall.of("bob-in-alices", "openai", "gpt-realtime").owner(BOB).conversation(alices)
                .execution(ids.get("bobExecution")));
        t.conversations().append(alices, NewMessage.user("bob chimes in").author(BOB));
        t.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(alices).owner(BOB)).complete();
        t.memories().add(NewMemory.fact(ALICE, "Bob mentioned the order").from(bobs, ids.get("bobMessage")));
        t.tasks().enqueue(NewTask.of("follow-up", Map.of()).owner(ALICE).forConversation(bobs));
        return ids;
    }
}
