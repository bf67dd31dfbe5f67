package dev.atlas.jdbi.newcomer;

import dev.atlas.AtlasBuilder;
import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.NewRevision;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.jdbi.kit.TestKeys;
import dev.atlas.portability.EraseReport;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceTurn;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user who read only README.md and docs/ (executions, assistants-credentials-tasks, reliability,
 * portability), through the public API: one agent turn end to end (assistant revision, conversation,
 * execution with a tool loop, usage and cost, assets, a voice transcript, a credential), then the
 * user erased and retention applied; nothing of theirs readable anywhere afterwards, nothing of
 * another owner or tenant moved, costs exact to the last digit. Hostile input on every call used.
 */
public abstract class Newcomer25Contract extends AtlasContract {
    private static final Instant PRICED = Instant.parse("2026-01-01T00:00:00Z");
    // Six decimals, the most a price holds; 10^12 tokens, the most a count holds.
    private static final String INPUT_PRICE = "2.500001";
    private static final String OUTPUT_PRICE = "0.000001";
    private static final long HUGE = Limits.MAX_TOKEN_COUNT;

    protected Newcomer25Contract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).credentialKeys(CredentialKeys.of("k1", TestKeys.key("newcomer25")));
    }

    static String describe(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        String field = t instanceof InvalidInputException i ? i.field()
                : t instanceof NotFoundException n ? n.field().orElse("-")
                : t instanceof ConflictException c ? c.field() : "?";
        return t.getClass().getSimpleName() + " on " + field;
    }

    static String outcome(Runnable call) {
        return describe(catchThrowable(call::run));
    }

    /** The ids one turn left behind. */
    record Turn(UUID assistant, UUID revision, UUID conversation, List<UUID> messages, UUID execution, UUID step, UUID toolCall,
            UUID asset, UUID voiceCall, String sha256) {}

    /** One agent turn as docs/executions.md and docs/assistants-credentials-tasks.md show it. */
    private Turn turn(Tenant t, Owner user, String slug, byte[] image) {
        var bot = t.assistants().create(AssistantSpec.of(slug, "Support bot").owner(user).temperature(new BigDecimal("0.7"))
                .tools(List.of("lookup_order")));
        AssistantRevision v1 = t.assistants().publish(bot.id(), NewRevision.of("You are helpful.", Map.of("tone", "warm")).author(user));
        Conversation convo = t.conversations().create(NewConversation.of(user, "support").assistantRevision(v1.id()));
        Message question = t.conversations().append(convo.id(), NewMessage.user("Where is order 1234?").clientId("c-1"));
        t.credentials().upsert(user, "openai", "sk-" + t.id() + "-" + user.id());
        UUID[] ids = new UUID[4];
        List<UUID> messages = new ArrayList<>(List.of(question.id()));
        t.executions().record(ExecutionSpec.text("openai", "gpt-4o").agent("support").conversation(convo.id()).owner(user)
                .assistantRevision(v1.id()), exec -> {
            StepHandle first = exec.step();
            var call = first.toolCall("call_1", "lookup_order", "{\"order\":1234}");
            call.complete("{\"status\":\"shipped\"}");
            first.finish(null, FinishReason.TOOL_CALLS);
            StepHandle last = exec.step();
            last.finish("It shipped.", FinishReason.STOP);
            exec.usage(new Usage(HUGE, HUGE - 1, null, null, null));
            messages.add(exec.reply(last, NewMessage.assistant("It shipped.").parent(question.id())).id());
            Asset a = t.assets().create(NewAsset.of(AssetType.IMAGE, "label.png", "image/png").owner(user)
                    .execution(exec.id(), call.id()), image);
            ids[0] = exec.id();
            ids[1] = last.id();
            ids[2] = call.id();
            ids[3] = a.id();
            return null;
        });
        VoiceCall vc = t.voiceCalls().start(NewVoiceCall.of("sess-" + user.id(), "openai", "gpt-4o-realtime").owner(user)
                .conversation(convo.id()).execution(ids[0]));
        t.voiceCalls().complete(vc.id(), List.of(VoiceTurn.user("hello"), VoiceTurn.assistant("It shipped.")));
        String sha = t.assets().require(ids[3]).sha256();
        return new Turn(bot.id(), v1.id(), convo.id(), messages, ids[0], ids[1], ids[2], ids[3], vc.id(), sha);
    }

    private static BigDecimal expectedCost() {
        BigDecimal million = BigDecimal.valueOf(1_000_000);
        return new BigDecimal(HUGE).multiply(new BigDecimal(INPUT_PRICE)).divide(million)
                .add(new BigDecimal(HUGE - 1).multiply(new BigDecimal(OUTPUT_PRICE)).divide(million)).stripTrailingZeros();
    }

    private static List<UsageRow> report(Tenant t, UsageGroup g) {
        return t.executions().usageReport(g, PRICED, Limits.MAX_INSTANT);
    }

    @Test
    @DisplayName("an agent turn in two tenants and for two users, then one user erased and retention run: nothing of theirs"
            + " readable through any call, the other user's and the other tenant's rows, usage and exact costs unchanged")
    void turnThenEraseLeavesNothingAndMovesNothingElse() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        for (Tenant t : List.of(acme, globex)) {
            t.prices().create(ModelPrice.of("openai", "gpt-4o", INPUT_PRICE, OUTPUT_PRICE, PRICED));
        }
        Owner alice = Owner.user("42");
        Owner bob = Owner.user("43");
        byte[] image = "PNG-bytes-\u0000-shared".getBytes(StandardCharsets.UTF_8);
        Turn gone = turn(acme, alice, "bot-alice", image);
        Turn stays = turn(acme, bob, "bot-bob", image);
        // The other tenant's user has the same owner id and the same asset bytes.
        Turn other = turn(globex, alice, "bot-alice", image);

        BigDecimal cost = expectedCost();
        assertThat(cost.toPlainString()).isEqualTo("2500001.999999999999");
        assertThat(acme.executions().require(gone.execution()).cost()).isEqualByComparingTo(cost);
        List<UsageRow> globexBefore = report(globex, UsageGroup.OWNER);
        List<UsageRow> acmeModelBefore = report(acme, UsageGroup.MODEL);
        assertThat(acmeModelBefore).singleElement().satisfies(r -> {
            assertThat(r.cost().toPlainString()).isEqualTo("5000003.999999999998");
            assertThat(r.inputTokens()).isEqualTo(2 * HUGE);
        });
        List<UsageRow> bobBefore = report(acme, UsageGroup.OWNER).stream().filter(r -> r.parts().contains("43")).toList();
        assertThat(bobBefore).hasSize(1);

        EraseReport erased = acme.portability().eraseOwner(alice, false);
        assertThat(erased.count("executions")).isEqualTo(1);

        // Nothing of alice's in acme, through any call.
        assertThat(acme.assistants().get(gone.assistant())).isEmpty();
        assertThat(acme.assistants().getRevision(gone.revision())).isEmpty();
        assertThat(acme.conversations().get(gone.conversation())).isEmpty();
        for (UUID m : gone.messages()) {
            assertThat(acme.conversations().getMessage(m)).isEmpty();
        }
        assertThat(acme.executions().get(gone.execution())).isEmpty();
        assertThat(acme.executions().tree(gone.execution())).isEmpty();
        assertThat(acme.assets().get(gone.asset())).isEmpty();
        assertThat(outcome(() -> acme.assets().open(gone.asset()))).startsWith("NotFoundException");
        assertThat(acme.voiceCalls().get(gone.voiceCall())).isEmpty();
        assertThat(acme.voiceCalls().bySession("sess-42")).isEmpty();
        assertThat(acme.credentials().get(alice, "openai")).isEmpty();
        assertThat(acme.credentials().list(alice)).isEmpty();
        assertThat(acme.executions().toolCalls(dev.atlas.execution.ToolCallQuery.all()).items()).extracting(c -> c.id())
                .containsExactly(stays.toolCall());
        assertThat(report(acme, UsageGroup.OWNER)).extracting(r -> r.parts()).noneMatch(p -> p.contains("42"));

        // Bob's and globex's: every row readable, the shared bytes too, usage and cost to the last digit.
        assertThat(report(acme, UsageGroup.OWNER).stream().filter(r -> r.parts().contains("43")).toList()).isEqualTo(bobBefore);
        assertThat(report(globex, UsageGroup.OWNER)).isEqualTo(globexBefore);
        for (var pair : List.of(Map.entry(acme, stays), Map.entry(globex, other))) {
            Tenant t = pair.getKey();
            Turn k = pair.getValue();
            assertThat(t.conversations().get(k.conversation())).isPresent();
            assertThat(t.executions().tree(k.execution()).orElseThrow().steps()).hasSize(2);
            assertThat(t.executions().require(k.execution()).cost().toPlainString()).isEqualTo("2500001.999999999999");
            try (var in = t.assets().open(k.asset())) {
                assertThat(in.readAllBytes()).isEqualTo(image);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThat(t.voiceCalls().require(k.voiceCall()).transcript()).hasSize(2);
            assertThat(t.credentials().require(t.id().equals("acme") ? bob : alice, "openai").reveal())
                    .isEqualTo("sk-" + t.id() + "-" + (t.id().equals("acme") ? "43" : "42"));
            assertThat(t.assistants().getRevision(k.revision())).isPresent();
        }

        // Retention afterwards, everything on, in acme: globex does not move.
        clock.set(clock.instant().plus(Duration.ofDays(400)));
        acme.retention().runRetention(RetentionPolicy.none().deleteMessagesOlderThan(Duration.ofDays(1)).hardDeleteAfter(Duration.ofSeconds(1))
                .archiveIdleConversations(Duration.ofDays(1)).purgeArchivedAfter(Duration.ofSeconds(1)).purgeDetachedExecutionsAfter(Duration.ofSeconds(1))
                .purgeDeletedAssetsAfter(Duration.ofSeconds(1)).purgeDetachedVoiceCallsAfter(Duration.ofSeconds(1)).purgeFinishedTasksAfter(Duration.ofSeconds(1)));
        assertThat(report(globex, UsageGroup.OWNER)).isEqualTo(globexBefore);
        // Bob's asset deleted and his archived conversation purged by a later run: the bytes globex shares stay.
        acme.assets().delete(stays.asset());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        var purged = acme.retention().runRetention(RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1))
                .hardDeleteAfter(Duration.ofDays(1)).purgeDeletedAssetsAfter(Duration.ofSeconds(1)));
        assertThat(purged.counts()).containsEntry("conversations.deleted", 1L).containsEntry("assets.deleted", 1L);
        assertThat(acme.conversations().get(stays.conversation())).isEmpty();
        assertThat(acme.executions().get(stays.execution())).isEmpty();
        assertThat(acme.voiceCalls().get(stays.voiceCall()).map(VoiceCall::conversationId)).isEmpty();
        assertThat(acme.assets().get(stays.asset())).isEmpty();
        assertThat(report(globex, UsageGroup.OWNER)).isEqualTo(globexBefore);
        assertThat(globex.conversations().get(other.conversation())).isPresent();
        try (var in = globex.assets().open(other.asset())) {
            assertThat(in.readAllBytes()).isEqualTo(image);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    @DisplayName("another tenant's ids on every write and read of a turn are refused as unknown ones, naming the field; hostile text,"
            + " numbers past the limits, LIKE metacharacters and look-alike owners are refused naming the field or match nothing")
    void foreignIdsAndHostileValuesOnEveryCallOfATurn() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        for (Tenant t : List.of(acme, globex)) {
            t.prices().create(ModelPrice.of("openai", "gpt-4o", INPUT_PRICE, OUTPUT_PRICE, PRICED));
        }
        byte[] image = {1, 2, 3};
        Turn mine = turn(acme, Owner.user("42"), "bot", image);
        Turn theirs = turn(globex, Owner.user("42"), "bot", image);
        Map<String, Runnable> calls = new java.util.LinkedHashMap<>();
        calls.put("exec.conversation", () -> acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(theirs.conversation())));
        calls.put("exec.revision", () -> acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").assistantRevision(theirs.revision())));
        calls.put("exec.cancel", () -> acme.executions().cancel(theirs.execution()));
        calls.put("exec.queue", () -> acme.executions().queue(theirs.execution()));
        calls.put("exec.resume", () -> acme.executions().resume(theirs.execution()));
        calls.put("exec.historyWithTools", () -> acme.executions().historyWithTools(theirs.conversation(), 10));
        calls.put("asset.execution", () -> acme.assets().create(NewAsset.of(AssetType.FILE, "f", null).execution(theirs.execution(), null), image));
        calls.put("asset.toolCall", () -> acme.assets().create(NewAsset.of(AssetType.FILE, "f", null).execution(mine.execution(), theirs.toolCall()), image));
        calls.put("asset.attach.asset", () -> acme.assets().attach(mine.messages().get(0), theirs.asset(), Map.of()));
        calls.put("asset.attach.message", () -> acme.assets().attach(theirs.messages().get(0), mine.asset(), Map.of()));
        calls.put("asset.detach", () -> acme.assets().detach(theirs.messages().get(0), theirs.asset()));
        calls.put("asset.delete", () -> acme.assets().delete(theirs.asset()));
        calls.put("asset.discard", () -> acme.assets().discard(theirs.asset()));
        calls.put("asset.byExecution", () -> { if (!acme.assets().byExecution(theirs.execution()).isEmpty()) throw new AssertionError("leak"); });
        calls.put("asset.getBySha256", () -> { if (acme.assets().getBySha256(theirs.sha256()).map(a -> a.id().equals(theirs.asset())).orElse(false)) throw new AssertionError("leak"); });
        calls.put("asset.getAll", () -> { if (!acme.assets().getAll(List.of(theirs.asset())).isEmpty()) throw new AssertionError("leak"); });
        calls.put("voice.conversation", () -> acme.voiceCalls().start(NewVoiceCall.of("s", "openai", "m").conversation(theirs.conversation())));
        calls.put("voice.execution", () -> acme.voiceCalls().start(NewVoiceCall.of("s", "openai", "m").execution(theirs.execution())));
        calls.put("voice.checkpoint", () -> acme.voiceCalls().checkpoint(theirs.voiceCall(), List.of(VoiceTurn.user("x"))));
        calls.put("voice.summarize", () -> acme.voiceCalls().summarize(theirs.voiceCall(), "x"));
        calls.put("voice.fail", () -> acme.voiceCalls().fail(theirs.voiceCall()));
        calls.put("voice.byConversation", () -> { if (!acme.voiceCalls().byConversation(theirs.conversation()).isEmpty()) throw new AssertionError("leak"); });
        calls.put("assistant.publish", () -> acme.assistants().publish(theirs.assistant(), NewRevision.of("x", Map.of())));
        calls.put("assistant.rollback", () -> acme.assistants().rollback(mine.assistant(), theirs.revision(), null));
        calls.put("assistant.diff", () -> acme.assistants().diff(theirs.assistant(), 1, 1));
        calls.put("convo.revision", () -> acme.conversations().create(NewConversation.of(Owner.user("1")).assistantRevision(theirs.revision())));
        calls.put("erase.conversation", () -> acme.portability().eraseConversation(theirs.conversation(), true));
        // Hostile values.
        calls.put("usage.max", () -> new Usage(Long.MAX_VALUE, 0L, null, null, null));
        calls.put("price.7dec", () -> ModelPrice.of("openai", "m", "0.0000001", "1", PRICED));
        calls.put("price.nan", () -> ModelPrice.of("openai", "m", "NaN", "1", PRICED));
        calls.put("price.nul", () -> ModelPrice.of("openai", "m", "1\u0000", "1", PRICED));
        calls.put("price.huge", () -> ModelPrice.of("openai", "m", "1e999999999", "1", PRICED));
        calls.put("price.tiny", () -> ModelPrice.of("openai", "m", "1e-999999999", "1", PRICED));
        calls.put("price.provider.nul", () -> ModelPrice.of("open\u0000ai", "m", "1", "1", PRICED));
        calls.put("cred.name.nul", () -> acme.credentials().upsert(Owner.user("42"), "open\u0000ai", "x"));
        calls.put("cred.secret.surrogate", () -> acme.credentials().upsert(Owner.user("42"), "openai2", "sk-\uD800"));
        calls.put("cred.owner.nul", () -> acme.credentials().upsert(Owner.of("user", "4\u00002"), "openai", "x"));
        calls.put("cred.secret.empty", () -> acme.credentials().upsert(Owner.user("42"), "empty", ""));
        calls.put("voice.turn.surrogate", () -> VoiceTurn.user("hi\uDC00"));
        calls.put("voice.session.nul", () -> NewVoiceCall.of("s\u0000", "openai", "m"));
        calls.put("tool.args.invalid", () -> acme.executions().record(ExecutionSpec.text("openai", "gpt-4o"), e -> { e.step().toolCall("c", "t", "{\"a\":1,}"); return null; }));
        calls.put("revision.settings.nul", () -> acme.assistants().publish(mine.assistant(), NewRevision.of("x", Map.of("a\u0000", 1))));
        calls.put("asset.filename.nul", () -> NewAsset.of(AssetType.FILE, "a\u0000.png", null));
        calls.put("asset.filename.traversal", () -> acme.assets().create(NewAsset.of(AssetType.FILE, "../../etc/passwd", null), image));
        calls.put("asset.mime.bad", () -> NewAsset.of(AssetType.FILE, "a", "text/html\r\nX: y"));
        calls.put("report.reversed", () -> acme.executions().usageReport(UsageGroup.DAY, Limits.MAX_INSTANT, PRICED));
        calls.put("erase.like", () -> { var r = acme.portability().eraseOwner(Owner.user("4_"), true); if (r.counts().values().stream().anyMatch(v -> v > 0)) throw new AssertionError("4_ erases " + r); });
        calls.put("erase.like2", () -> { var r = acme.portability().eraseOwner(Owner.user("4%"), true); if (r.counts().values().stream().anyMatch(v -> v > 0)) throw new AssertionError("4% erases " + r); });
        calls.put("voice.bySession.like", () -> { if (!acme.voiceCalls().bySession("sess-4_").isEmpty()) throw new AssertionError("leak"); });
        calls.put("cred.list.like", () -> { if (!acme.credentials().list(Owner.user("4%")).isEmpty()) throw new AssertionError("leak"); });
        for (Owner look : List.of(Owner.of("USER", "42"), Owner.user("42 "), Owner.user("\uFF14\uFF12"), Owner.user("042"), Owner.of("user ", "42"))) {
            calls.put("erase.lookalike " + look, () -> { var r = acme.portability().eraseOwner(look, true); if (r.counts().values().stream().anyMatch(v -> v > 0)) throw new AssertionError("erases " + r); });
            calls.put("cred.lookalike " + look, () -> { if (acme.credentials().get(look, "openai").isPresent()) throw new AssertionError("leak"); });
            calls.put("report.lookalike " + look, () -> { if (acme.executions().list(dev.atlas.execution.ExecutionQuery.all().owner(look)).items().size() > 0) throw new AssertionError("leak"); });
        }
        calls.put("cred.name.case", () -> { if (acme.credentials().get(Owner.user("42"), "OpenAI").isPresent()) throw new AssertionError("leak"); });
        calls.put("assistant.slug.case", () -> { if (acme.assistants().getBySlug("BOT").isPresent()) throw new AssertionError("leak"); });
        List<String> outcomes = calls.entrySet().stream().map(e -> e.getKey() + " => " + outcome(e.getValue())).toList();
        // "no exception" on a read means it found nothing of the other tenant's (each such call throws on a leak).
        assertThat(outcomes).containsExactly(
                "exec.conversation => NotFoundException on conversationId",
                "exec.revision => NotFoundException on assistantRevisionId",
                "exec.cancel => NotFoundException on -",
                "exec.queue => NotFoundException on -",
                "exec.resume => NotFoundException on -",
                "exec.historyWithTools => NotFoundException on -",
                "asset.execution => NotFoundException on executionId",
                "asset.toolCall => NotFoundException on toolCallId",
                "asset.attach.asset => NotFoundException on assetId",
                "asset.attach.message => NotFoundException on messageId",
                "asset.detach => NotFoundException on messageId",
                "asset.delete => NotFoundException on -",
                "asset.discard => NotFoundException on -",
                "asset.byExecution => no exception",
                "asset.getBySha256 => no exception",
                "asset.getAll => no exception",
                "voice.conversation => NotFoundException on conversationId",
                "voice.execution => NotFoundException on executionId",
                "voice.checkpoint => NotFoundException on -",
                "voice.summarize => NotFoundException on -",
                "voice.fail => NotFoundException on -",
                "voice.byConversation => no exception",
                "assistant.publish => NotFoundException on -",
                "assistant.rollback => NotFoundException on toRevisionId",
                "assistant.diff => NotFoundException on -",
                "convo.revision => NotFoundException on assistantRevisionId",
                "erase.conversation => NotFoundException on conversationId",
                "usage.max => InvalidInputException on usage.inputTokens",
                "price.7dec => InvalidInputException on inputPerMillion",
                "price.nan => InvalidInputException on inputPerMillion",
                "price.nul => InvalidInputException on inputPerMillion",
                "price.huge => InvalidInputException on inputPerMillion",
                "price.tiny => InvalidInputException on inputPerMillion",
                "price.provider.nul => InvalidInputException on provider",
                "cred.name.nul => InvalidInputException on name",
                "cred.secret.surrogate => InvalidInputException on secret",
                "cred.owner.nul => InvalidInputException on owner.id",
                "cred.secret.empty => no exception",
                "voice.turn.surrogate => InvalidInputException on content",
                "voice.session.nul => InvalidInputException on sessionId",
                "tool.args.invalid => InvalidInputException on arguments",
                "revision.settings.nul => InvalidInputException on settings key",
                "asset.filename.nul => InvalidInputException on filename",
                "asset.filename.traversal => InvalidInputException on filename",
                "asset.mime.bad => InvalidInputException on mimeType",
                "report.reversed => InvalidInputException on to",
                "erase.like => no exception",
                "erase.like2 => no exception",
                "voice.bySession.like => no exception",
                "cred.list.like => no exception",
                "erase.lookalike USER:42 => no exception",
                "cred.lookalike USER:42 => no exception",
                "report.lookalike USER:42 => no exception",
                "erase.lookalike user:42  => no exception",
                "cred.lookalike user:42  => no exception",
                "report.lookalike user:42  => no exception",
                "erase.lookalike user:４２ => no exception",
                "cred.lookalike user:４２ => no exception",
                "report.lookalike user:４２ => no exception",
                "erase.lookalike user:042 => no exception",
                "cred.lookalike user:042 => no exception",
                "report.lookalike user:042 => no exception",
                "erase.lookalike user :42 => no exception",
                "cred.lookalike user :42 => no exception",
                "report.lookalike user :42 => no exception",
                "cred.name.case => no exception",
                "assistant.slug.case => no exception");
        // Nothing of acme's turn moved through all this.
        assertThat(acme.assets().require(mine.asset()).deletedAt()).isNull();
        assertThat(acme.credentials().require(Owner.user("42"), "openai").reveal()).isEqualTo("sk-acme-42");
        assertThat(globex.executions().require(theirs.execution()).status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
        assertThat(globex.voiceCalls().require(theirs.voiceCall()).status()).isEqualTo(dev.atlas.voice.VoiceCallStatus.COMPLETED);
    }

    @Test
    @DisplayName("the user erased while their turn runs (docs/portability.md): every later write of the turn, and the record itself,"
            + " is NotFoundException, a link to the erased execution from an asset or voice call names executionId, nothing is left"
            + " behind and the usage report is empty")
    void eraseMidTurn() {
        Tenant acme = atlas.tenant("acme");
        acme.prices().create(ModelPrice.of("openai", "gpt-4o", INPUT_PRICE, OUTPUT_PRICE, PRICED));
        Owner alice = Owner.user("42");
        Conversation convo = acme.conversations().create(NewConversation.of(alice, "support"));
        acme.conversations().append(convo.id(), NewMessage.user("hi"));
        List<String> out = new ArrayList<>();
        Throwable thrown = catchThrowable(() -> acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()).owner(alice), exec -> {
            StepHandle step = exec.step();
            var call = step.toolCall("c1", "lookup", "{}");
            acme.portability().eraseOwner(alice, false);
            out.add("call.complete " + outcome(() -> call.complete("{}")));
            out.add("step.toolCall " + outcome(() -> step.toolCall("c2", "lookup", "{}")));
            out.add("step.finish " + outcome(() -> step.finish("x", FinishReason.STOP)));
            out.add("exec.step " + outcome(exec::step));
            out.add("exec.usage " + outcome(() -> exec.usage(Usage.of(1, 1))));
            out.add("exec.reply " + outcome(() -> exec.reply(step, "x")));
            out.add("asset " + outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "f", null).owner(alice).execution(exec.id(), call.id()), new byte[] {1})));
            out.add("voice " + outcome(() -> acme.voiceCalls().start(NewVoiceCall.of("s", "openai", "m").owner(alice).execution(exec.id()))));
            out.add("append " + outcome(() -> acme.conversations().append(convo.id(), NewMessage.assistant("late"))));
            return null;
        }));
        out.add("record " + describe(thrown));
        out.add("executions " + acme.executions().list(dev.atlas.execution.ExecutionQuery.all()).items().size());
        out.add("voice " + acme.voiceCalls().list(dev.atlas.voice.VoiceCallQuery.all()).items().size());
        out.add("toolcalls " + acme.executions().toolCalls(dev.atlas.execution.ToolCallQuery.all()).items().size());
        out.add("report " + report(acme, UsageGroup.TENANT));
        // usage() reads no status (docs/executions.md): the finish that would store it is refused instead.
        assertThat(out).containsExactly("call.complete NotFoundException on executionId", "step.toolCall NotFoundException on executionId",
                "step.finish NotFoundException on executionId", "exec.step NotFoundException on executionId", "exec.usage no exception",
                "exec.reply NotFoundException on executionId", "asset NotFoundException on executionId", "voice NotFoundException on executionId",
                "append NotFoundException on conversationId", "record NotFoundException on executionId", "executions 0", "voice 0", "toolcalls 0",
                "report []");
    }
}
