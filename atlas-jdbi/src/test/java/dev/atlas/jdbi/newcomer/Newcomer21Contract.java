package dev.atlas.jdbi.newcomer;

import dev.atlas.Atlas;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.MutableClock;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallStatus;
import dev.atlas.voice.VoiceTurn;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A team building a voice agent with exact cost accounting, following README.md, docs/api.md,
 * docs/executions.md and the Javadoc of dev.atlas.voice, dev.atlas.execution and dev.atlas.asset as
 * written: a voice call with its transcript, its recording as an asset, every LLM call of the call
 * with its tool loop and usage, a price changing mid-call written by a second instance whose clock
 * runs ahead, and cost totals checked against BigDecimal arithmetic done here. What
 * PriceAndUsageContract and VoiceCallContract already pin (costs per kind, price history, report
 * keys, local days in extreme zones, transcripts far over the limit) is not pinned again.
 */
public abstract class Newcomer21Contract extends AtlasContract {
    private static final Instant JAN = Instant.parse("2026-01-01T00:00:00Z");
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    protected Newcomer21Contract(TestDatabase database) {
        super(database);
    }

    /** A price as the team keeps it in its own books, to check Atlas's cost against. */
    private record Book(String in, String out, String cached, String cacheWrite) {
        BigDecimal cost(Usage u) {
            return part(u.inputTokens(), in).add(part(u.outputTokens(), out)).add(part(u.cachedTokens(), cached))
                    .add(part(u.cacheWriteTokens(), cacheWrite));
        }

        private static BigDecimal part(Long tokens, String perMillion) {
            return tokens == null ? BigDecimal.ZERO : new BigDecimal(tokens).multiply(new BigDecimal(perMillion.strip())).divide(MILLION);
        }
    }

    private static void sameAmount(BigDecimal actual, BigDecimal expected) {
        assertThat(actual).isNotNull();
        assertThat(actual.compareTo(expected)).as(actual + " vs " + expected).isZero();
    }

    @Test
    @DisplayName("a voice call's LLM calls (a tool loop costed from its steps, a call after a price change another instance wrote"
            + " on a clock 90 s ahead, 10^12 tokens of every kind, a free one, a failed one) cost exactly what BigDecimal says;"
            + " totals per conversation, model, tenant and local day add up exactly, and globex's same model and prices never leak in")
    void voiceCallCostedExactly() {
        MutableClock ahead = new MutableClock(clock.instant().plusSeconds(90));
        Atlas second = reopen(b -> b.clock(ahead));
        Tenant acme = atlas.tenant("acme");
        Tenant acmeAhead = second.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Instant change = clock.instant().plusSeconds(60);

        Book before = new Book("4.000001", "16.123456", "0.4", "4.000001");
        Book after = new Book("3.999999", "1.5", "0.000001", "0.5");
        acme.prices().create(ModelPrice.of("openai", "gpt-realtime", before.in(), before.out(), JAN).cached(before.cached()));
        // The second instance writes the new price; a price's validFrom is what decides, not who wrote it or when.
        acmeAhead.prices().create(ModelPrice.of("openai", "gpt-realtime", " 3.999999 ", "1.500000", change)
                .cached("0.0000010").cacheWrite("5E-1"));
        // globex: the same model, the same first price, a much dearer second one from the same instant.
        globex.prices().create(ModelPrice.of("openai", "gpt-realtime", before.in(), before.out(), JAN).cached(before.cached()));
        globex.prices().create(ModelPrice.of("openai", "gpt-realtime", "999999.999999", "1000000", change));

        assertThat(acme.prices().get("openai", "gpt-realtime", change.minusNanos(1))).get()
                .returns(new BigDecimal("4.000001"), ModelPrice::inputPerMillion);
        assertThat(acme.prices().get("openai", "gpt-realtime", change)).get()
                .returns(new BigDecimal("3.999999"), ModelPrice::inputPerMillion).returns(new BigDecimal("1.5"), ModelPrice::outputPerMillion)
                .returns(new BigDecimal("0.000001"), ModelPrice::cachedPerMillion).returns(new BigDecimal("0.5"), ModelPrice::cacheWritePerMillion);
        assertThat(acme.prices().list("openai", "gpt-realtime")).extracting(ModelPrice::validFrom).containsExactly(JAN, change);

        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("alice"), "voice"));
        Conversation globexConvo = globex.conversations().create(NewConversation.of(Owner.user("alice"), "voice"));

        // LLM call 1, on the instance still before the change: a tool loop, its usage the steps' sum (none set on the run).
        ExecutionHandle loop = acme.executions().start(ExecutionSpec.of(ExecutionType.VOICE, "openai", "gpt-realtime")
                .agent("voice").conversation(convo.id()));
        StepHandle first = loop.step();
        first.toolCall("call_1", "lookup_order", "{\"order\":7,\"note\":\"' OR 1=1 -- %_\"}").complete("{\"status\":\"shipped\"}");
        Usage u1 = new Usage(1200L, 80L, 30L, 600L, null);
        first.finish(null, null, FinishReason.TOOL_CALLS, u1);
        StepHandle last = loop.step();
        Usage u2 = new Usage(1500L, 220L, null, 1100L, 7L);
        last.finish("Your order shipped.", null, FinishReason.STOP, u2);
        Execution e1 = loop.complete();
        Usage sum = u1.plus(u2);
        assertThat(e1.usage()).isEqualTo(new Usage(2700L, 300L, 30L, 1700L, 7L));
        sameAmount(e1.cost(), before.cost(sum));
        assertThat(e1.cost().toPlainString()).isEqualTo(before.cost(sum).stripTrailingZeros().toPlainString());

        // LLM call 2, on the instance ahead (its clock is past the change): the new price, 10^12 tokens of every kind.
        long max = Limits.MAX_TOKEN_COUNT;
        ExecutionHandle huge = acmeAhead.executions().start(ExecutionSpec.of(ExecutionType.VOICE, "openai", "gpt-realtime")
                .agent("voice").conversation(convo.id()));
        Usage uMax = new Usage(max, max, max, max, max);
        huge.usage(uMax);
        Execution e2 = huge.complete();
        // 10^12 × (3.999999 + 1.5 + 0.000001 + 0.5) / 10^6, reasoning not billed again; an execution stores at most 2^63-1 pico-units.
        assertThat(e2.cost().toPlainString()).isEqualTo("6000000");
        sameAmount(e2.cost(), after.cost(uMax));

        // LLM calls 3 and 4, back on the first instance (before the change): free (0 tokens), then failed after 1 input token.
        ExecutionHandle free = acme.executions().start(ExecutionSpec.of(ExecutionType.VOICE, "openai", "gpt-realtime").conversation(convo.id()));
        free.usage(Usage.of(0, 0));
        Execution e3 = free.complete();
        assertThat(e3.cost().toPlainString()).isEqualTo("0");
        ExecutionHandle failing = acme.executions().start(ExecutionSpec.of(ExecutionType.VOICE, "openai", "gpt-realtime").conversation(convo.id()));
        failing.usage(Usage.of(1, 0));
        Execution e4 = failing.fail("provider closed the socket");
        assertThat(e4.cost().toPlainString()).isEqualTo("0.000004000001");

        // globex: the same model on the instance ahead: its own dear price, never acme's.
        ExecutionHandle g = second.tenant("globex").executions().start(ExecutionSpec.of(ExecutionType.VOICE, "openai", "gpt-realtime")
                .conversation(globexConvo.id()));
        g.usage(Usage.of(3, 1));
        Execution ge = g.complete();
        sameAmount(ge.cost(), new Book("999999.999999", "1000000", "0", "0").cost(Usage.of(3, 1)));

        // The call's LLM calls listed by model, type and creation time, two a page: each once, newest first by id; globex's none.
        List<UUID> listed = new java.util.ArrayList<>();
        dev.atlas.execution.ExecutionQuery byModel = dev.atlas.execution.ExecutionQuery.all().model("gpt-realtime").type(ExecutionType.VOICE)
                .between(JAN, Limits.MAX_INSTANT).limit(2);
        String cursor = null;
        do {
            dev.atlas.Page<Execution> page = acme.executions().list(byModel.after(cursor));
            page.items().forEach(x -> listed.add(x.id()));
            if (cursor == null) {
                String acmeCursor = page.nextCursor().orElseThrow();
                Throwable foreign = catchThrowable(() -> globex.executions().list(byModel.after(acmeCursor)));
                Throwable forged = catchThrowable(() -> globex.executions().list(byModel.after(acmeCursor.substring(1))));
                // acme's cursor handed to globex is refused exactly as a forged one is: it tells nothing of acme's rows.
                assertThat(foreign).isInstanceOf(InvalidInputException.class).hasMessage(forged.getMessage())
                        .hasMessage("cursor: is not a cursor returned by a previous page of this listing");
            }
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(listed).containsExactly(e4.id(), e3.id(), e2.id(), e1.id());
        assertThat(globex.executions().list(byModel.limit(10)).items()).extracting(Execution::id).containsExactly(ge.id());

        BigDecimal acmeTotal = before.cost(sum).add(after.cost(uMax)).add(before.cost(Usage.of(1, 0)));
        // Per conversation, model and tenant over all time (MAX_INSTANT is inclusive): exact, globex nowhere.
        for (UsageGroup group : List.of(UsageGroup.CONVERSATION, UsageGroup.MODEL, UsageGroup.TENANT, UsageGroup.PROVIDER)) {
            List<UsageRow> rows = acme.executions().usageReport(group, Limits.MIN_INSTANT, Limits.MAX_INSTANT);
            assertThat(rows).as(group.toString()).hasSize(1);
            UsageRow r = rows.get(0);
            assertThat(r.executions()).isEqualTo(4);
            assertThat(r.failures()).isEqualTo(1);
            assertThat(r.inputTokens()).isEqualTo(2700 + max + 1);
            assertThat(r.outputTokens()).isEqualTo(300 + max);
            assertThat(r.reasoningTokens()).isEqualTo(30 + max);
            assertThat(r.cachedTokens()).isEqualTo(1700 + max);
            assertThat(r.cacheWriteTokens()).isEqualTo(7 + max);
            sameAmount(r.cost(), acmeTotal);
        }
        assertThat(acme.executions().usageReport(UsageGroup.CONVERSATION, JAN, Limits.MAX_INSTANT).get(0).group())
                .isEqualTo(convo.id().toString());
        // The operator's report by model adds both tenants' executions exactly; by tenant keeps them apart.
        List<UsageRow> models = atlas.usageReport(UsageGroup.MODEL, JAN, Limits.MAX_INSTANT);
        assertThat(models).extracting(UsageRow::group).containsExactly("openai/gpt-realtime");
        sameAmount(models.get(0).cost(), acmeTotal.add(ge.cost()));
        assertThat(models.get(0).executions()).isEqualTo(5);
        List<UsageRow> tenants = atlas.usageReport(UsageGroup.TENANT, JAN, Limits.MAX_INSTANT);
        assertThat(tenants).extracting(UsageRow::group).containsExactly("acme", "globex");
        sameAmount(tenants.get(0).cost(), acmeTotal);
        sameAmount(tenants.get(1).cost(), ge.cost());

        // The local day in India (UTC+05:30) of the call: both UTC dates it spans are keys, the call on the second.
        ZoneId india = ZoneId.of("Asia/Kolkata");
        LocalDate day = LocalDate.ofInstant(clock.instant(), india);
        List<UsageRow> days = acme.executions().usageReport(UsageGroup.DAY, day.atStartOfDay(india).toInstant(),
                day.plusDays(1).atStartOfDay(india).toInstant());
        assertThat(days).extracting(UsageRow::group).containsExactly("2026-03-01");
        sameAmount(days.get(0).cost(), acmeTotal);
        // A range that ends at the ahead instance's call leaves it out (to is exclusive), by its creation time.
        List<UsageRow> untilHuge = acme.executions().usageReport(UsageGroup.TENANT, JAN, e2.createdAt());
        assertThat(untilHuge.get(0).executions()).isEqualTo(3);
        sameAmount(untilHuge.get(0).cost(), before.cost(sum).add(before.cost(Usage.of(1, 0))));
    }

    @Test
    @DisplayName("the call's transcript built from segments arriving out of order and retried, its recording an idempotent audio asset"
            + " of the voice execution; globex's writes and reads of acme's call, execution and recording fail as unknown ids do")
    void transcriptAndRecording() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("alice"), "voice"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.of(ExecutionType.VOICE, "openai", "gpt-realtime").conversation(convo.id()));
        VoiceCall call = acme.voiceCalls().start(NewVoiceCall.of("rt_abc", "openai", "gpt-realtime").conversation(convo.id())
                .execution(exec.id()).agent("voice").owner(Owner.user("alice")));

        // Segments keyed by their sequence number: out of order, one repeated by the provider's retry.
        TreeMap<Integer, VoiceTurn> segments = new TreeMap<>();
        segments.put(2, VoiceTurn.assistant("Which order?"));
        segments.put(1, VoiceTurn.user("Where is my order?"));
        segments.put(2, VoiceTurn.assistant("Which order?"));
        List<VoiceTurn> soFar = List.copyOf(segments.values());
        VoiceCall saved = acme.voiceCalls().checkpoint(call.id(), soFar);
        assertThat(acme.voiceCalls().checkpoint(call.id(), soFar).transcript()).isEqualTo(saved.transcript()).isEqualTo(soFar);
        segments.put(4, VoiceTurn.assistant("It shipped. \u202Etxt.exe \uD83D\uDCE6"));
        segments.put(3, VoiceTurn.user("Seven; '; DROP TABLE voice_calls; -- \"%_\\"));
        List<VoiceTurn> all = List.copyOf(segments.values());

        // Another tenant's id behaves as an id that exists nowhere, on every write and read.
        UUID nowhere = UUID.randomUUID();
        assertSameAsUnknown(() -> globex.voiceCalls().checkpoint(call.id(), all), () -> globex.voiceCalls().checkpoint(nowhere, all), call.id(), nowhere);
        assertSameAsUnknown(() -> globex.voiceCalls().complete(call.id(), all), () -> globex.voiceCalls().complete(nowhere, all), call.id(), nowhere);
        assertSameAsUnknown(() -> globex.voiceCalls().fail(call.id()), () -> globex.voiceCalls().fail(nowhere), call.id(), nowhere);
        assertSameAsUnknown(() -> globex.voiceCalls().summarize(call.id(), "x"), () -> globex.voiceCalls().summarize(nowhere, "x"), call.id(), nowhere);
        assertSameAsUnknown(() -> globex.voiceCalls().require(call.id()), () -> globex.voiceCalls().require(nowhere), call.id(), nowhere);
        assertThat(globex.voiceCalls().bySession("rt_abc")).isEmpty();

        byte[] audio = new byte[3000];
        for (int i = 0; i < audio.length; i++) {
            audio[i] = (byte) (i * 31);
        }
        NewAsset recording = NewAsset.of(AssetType.AUDIO, "call-rt_abc.webm", "audio/webm;codecs=opus").execution(exec.id(), null)
                .clientKey("recording:rt_abc");
        Asset stored = acme.assets().create(recording, new ByteArrayInputStream(audio));
        assertThat(acme.assets().create(recording.description("retried"), new ByteArrayInputStream(audio))).isEqualTo(stored);
        assertThat(stored.owner()).isEqualTo(Owner.user("alice"));
        assertThat(acme.assets().byExecution(exec.id())).containsExactly(stored);
        assertThat(globex.assets().getBySha256(stored.sha256())).isEmpty();
        assertSameAsUnknown(() -> globex.assets().open(stored.id()), () -> globex.assets().open(nowhere), stored.id(), nowhere);
        assertSameAsUnknown(() -> globex.assets().create(NewAsset.of(AssetType.AUDIO, "x.webm", "audio/webm").execution(exec.id(), null),
                        new ByteArrayInputStream(audio)),
                () -> globex.assets().create(NewAsset.of(AssetType.AUDIO, "x.webm", "audio/webm").execution(nowhere, null),
                        new ByteArrayInputStream(audio)), exec.id(), nowhere);

        clock.advanceMicros(754_321_987L);
        VoiceCall done = acme.voiceCalls().complete(call.id(), all);
        assertThat(done.status()).isEqualTo(VoiceCallStatus.COMPLETED);
        assertThat(done.transcript()).isEqualTo(all);
        assertThat(done.durationMs()).isEqualTo(754_321L);
        assertThat(done.completedAt()).isEqualTo(call.startedAt().plus(Duration.ofNanos(754_321_987_000L)));
        exec.usage(Usage.of(10, 5));
        assertThat(exec.complete().durationMs()).isEqualTo(754_321L);
        assertThat(acme.voiceCalls().require(call.id())).isEqualTo(done);
    }

    @Test
    @DisplayName("a transcript of exactly Limits.MAX_CONTENT_LENGTH characters as JSON (a control character written as six, an astral"
            + " character as two) is stored and read back; one character more is InvalidInputException on transcript naming both counts")
    void transcriptAtItsExactLimit() {
        Tenant acme = atlas.tenant("acme");
        VoiceCall call = acme.voiceCalls().start(NewVoiceCall.of("rt_limit", "openai", "gpt-realtime"));
        // [{"role":"user","content":"…"}] is 30 characters around the content; \u0001 is written \u0001 (6), 😀 is 2.
        String tail = "\u0001\uD83D\uDE00";
        String content = "a".repeat(Limits.MAX_CONTENT_LENGTH - 30 - 8) + tail;
        List<VoiceTurn> exact = List.of(VoiceTurn.user(content));
        // The checkpoint returns the row as stored (read back in its own statement).
        assertThat(acme.voiceCalls().checkpoint(call.id(), exact).transcript()).isEqualTo(exact);
        InvalidInputException over = catchThrowableOfType(InvalidInputException.class,
                () -> acme.voiceCalls().complete(call.id(), List.of(VoiceTurn.user("a" + content))));
        assertThat(over.field()).isEqualTo("transcript");
        assertThat(over.getMessage()).isEqualTo("transcript: is 1048577 characters as JSON; at most 1048576 are allowed");
        assertThat(acme.voiceCalls().require(call.id())).returns(VoiceCallStatus.ACTIVE, VoiceCall::status).returns(exact, VoiceCall::transcript);
    }

    @Test
    @DisplayName("bad input to the voice, price and usage API is InvalidInputException naming its field, before any write")
    void badInputNamesItsField() {
        Tenant acme = atlas.tenant("acme");
        VoiceCall call = acme.voiceCalls().start(NewVoiceCall.of("rt_bad", "openai", "gpt-realtime"));
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("alice")));
        field("content", () -> VoiceTurn.user("a\0b"));
        field("content", () -> VoiceTurn.assistant("\uDC00"));
        field("content", () -> VoiceTurn.user(null));
        field("role", () -> new VoiceTurn(dev.atlas.conversation.Role.SYSTEM, "x"));
        field("role", () -> new VoiceTurn(null, "x"));
        field("callId", () -> acme.voiceCalls().checkpoint(null, List.of()));
        field("transcript", () -> acme.voiceCalls().checkpoint(call.id(), null));
        field("transcript", () -> acme.voiceCalls().checkpoint(call.id(), Arrays.asList(VoiceTurn.user("x"), null)));
        field("transcript", () -> acme.voiceCalls().complete(call.id(), null));
        field("summary", () -> acme.voiceCalls().summarize(call.id(), " \t"));
        field("olderThan", () -> acme.voiceCalls().completeStale(null));
        field("olderThan", () -> acme.voiceCalls().completeStale(Duration.ofNanos(-1)));
        field("sessionId", () -> acme.voiceCalls().bySession(" ", 10, null));
        field("sessionId", () -> NewVoiceCall.of("", "openai", "m"));
        field("provider", () -> NewVoiceCall.of("s", " ", "m"));
        field("model", () -> NewVoiceCall.of("s", "p", "x".repeat(Limits.MAX_KEY_LENGTH + 1)));
        field("agent", () -> NewVoiceCall.of("s", "p", "m").agent(" "));
        field("limit", () -> acme.voiceCalls().byConversation(convo.id(), 0, null));
        field("limit", () -> acme.voiceCalls().byConversation(convo.id(), Limits.MAX_PAGE_SIZE + 1, null));
        field("cursor", () -> acme.voiceCalls().byConversation(convo.id(), 10, "not a cursor"));
        field("usage.inputTokens", () -> Usage.of(-1, 0));
        field("usage.outputTokens", () -> Usage.of(0, Long.MAX_VALUE));
        field("usage.reasoningTokens", () -> Usage.of(0, 0).reasoning(Long.MIN_VALUE));
        field("usage.cachedTokens", () -> Usage.of(0, 0).cached(Limits.MAX_TOKEN_COUNT + 1));
        field("usage.cacheWriteTokens", () -> Usage.of(0, 0).cacheWrite(-5));
        field("usage.inputTokens", () -> Usage.of(Limits.MAX_TOKEN_COUNT, 0).plus(Usage.of(1, 0)));
        field("inputPerMillion", () -> ModelPrice.of("p", "m", "NaN", "1", JAN));
        field("inputPerMillion", () -> ModelPrice.of("p", "m", "", "1", JAN));
        field("outputPerMillion", () -> ModelPrice.of("p", "m", "1", "-0.000001", JAN));
        field("outputPerMillion", () -> ModelPrice.of("p", "m", "1", "1000000.000001", JAN));
        field("cachedPerMillion", () -> ModelPrice.of("p", "m", "1", "1", JAN).cached("0.0000001"));
        field("cacheWritePerMillion", () -> ModelPrice.of("p", "m", "1", "1", JAN).cacheWrite("1,5"));
        field("validFrom", () -> ModelPrice.of("p", "m", "1", "1", null));
        field("validFrom", () -> ModelPrice.of("p", "m", "1", "1", Instant.MAX));
        field("at", () -> acme.prices().get("p", "m", null));
        field("provider", () -> acme.prices().get("", "m", JAN));
        field("model", () -> acme.prices().list("p", " "));
        field("price", () -> acme.prices().create(null));
        field("group", () -> acme.executions().usageReport(null, JAN, Limits.MAX_INSTANT));
        field("from", () -> acme.executions().usageReport(UsageGroup.DAY, null, Limits.MAX_INSTANT));
        field("to", () -> acme.executions().usageReport(UsageGroup.DAY, JAN, null));
        field("to", () -> acme.executions().usageReport(UsageGroup.DAY, JAN, JAN.minusNanos(1)));
        field("mimeType", () -> NewAsset.of(AssetType.AUDIO, "rec.webm", "audio/webm\r\nX-Evil: 1"));
        assertThat(acme.voiceCalls().require(call.id())).isEqualTo(call);
        assertThat(acme.prices().list("p", "m")).isEmpty();
    }

    private static void field(String field, ThrowingCallable call) {
        Throwable t = catchThrowable(call);
        assertThat(t).as(field).isInstanceOf(InvalidInputException.class);
        assertThat(((InvalidInputException) t).field()).as(t.getMessage()).isEqualTo(field);
        assertThat(t.getMessage()).startsWith(field + ": ");
    }

    private static void assertSameAsUnknown(ThrowingCallable foreign, ThrowingCallable unknown, UUID foreignId, UUID unknownId) {
        Throwable a = catchThrowable(foreign);
        Throwable b = catchThrowable(unknown);
        assertThat(a).isInstanceOf(NotFoundException.class);
        assertThat(b).isInstanceOf(NotFoundException.class);
        assertThat(a.getMessage().replace(foreignId.toString(), "<id>")).isEqualTo(b.getMessage().replace(unknownId.toString(), "<id>"));
        assertThat(((NotFoundException) a).field()).isEqualTo(((NotFoundException) b).field());
    }
}
