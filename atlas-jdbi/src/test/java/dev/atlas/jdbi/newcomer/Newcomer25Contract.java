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
        assertThat(globex.conversations().get(other.conversation())).isPresent();
        try (var in = globex.assets().open(other.asset())) {
            assertThat(in.readAllBytes()).isEqualTo(image);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
