package dev.atlas.jdbi.newcomer;

import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetStore;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchHit;
import dev.atlas.search.TextQuery;
import dev.atlas.task.NewTask;
import dev.atlas.task.TaskQuery;
import dev.atlas.task.TaskStore;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallStatus;
import dev.atlas.voice.VoiceCallStore;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.AssistantStore;
import dev.atlas.assistant.NewRevision;
import dev.atlas.assistant.RevisionDiff;
import dev.atlas.assistant.Settings;
import dev.atlas.assistant.SettingsStore;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.MutableClock;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A new user's programs written from the atlas-core Javadoc of {@code dev.atlas.memory} and
 * {@code dev.atlas.assistant}: promises about values "as they read back", JSON types in a diff,
 * and what a soft delete leaves readable, exactly as written.
 */
public abstract class Newcomer11Contract extends AtlasContract {

    private static final Owner ALICE = Owner.user("alice");

    private Path blobDir;

    protected Newcomer11Contract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        try {
            blobDir = Files.createTempDirectory("atlas-newcomer11");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return super.configure(builder).blobStore(new LocalDirectoryBlobStore(blobDir.resolve("blobs")));
    }

    @AfterEach
    void removeBlobDir() throws IOException {
        try (Stream<Path> files = Files.walk(blobDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Test
    @DisplayName("AttachedAsset.PART refused: the value is shown escaped in the message, as every other echoed input (no raw line break); an array or object by its JSON type")
    void partValueIsEscapedInTheMessage() {
        Tenant acme = atlas.tenant("acme");
        AssetStore assets = acme.assets();
        Conversation c = acme.conversations().create(NewConversation.of(ALICE));
        Message m = acme.conversations().append(c.id(), NewMessage.assistant("here is the chart"));
        Asset a = assets.create(NewAsset.of(AssetType.IMAGE, "chart.png", "image/png"), new byte[] {1, 2});
        assertThatThrownBy(() -> assets.attach(m.id(), a.id(), map(AttachedAsset.PART, "yes\nERROR forged line")))
                .isExactlyInstanceOf(InvalidInputException.class)
                .hasMessage("attachmentMetadata: 'atlas.part' is true (the asset is part of the message) or false,"
                        + " was 'yes\\u000aERROR forged line'");
        // Metadata values are any object: a CharSequence or a Character is shown quoted too (review26).
        assertThatThrownBy(() -> assets.attach(m.id(), a.id(), map(AttachedAsset.PART, new StringBuilder("yes\nERROR forged line"))))
                .hasMessage("attachmentMetadata: 'atlas.part' is true (the asset is part of the message) or false,"
                        + " was 'yes\\u000aERROR forged line'");
        assertThatThrownBy(() -> assets.attach(m.id(), a.id(), map(AttachedAsset.PART, '\n')))
                .hasMessage("attachmentMetadata: 'atlas.part' is true (the asset is part of the message) or false, was '\\u000a'");
        assertThatThrownBy(() -> assets.attach(m.id(), a.id(), map(AttachedAsset.PART, List.of("x\ny"))))
                .hasMessage("attachmentMetadata: 'atlas.part' is true (the asset is part of the message) or false, was an array");
        assertThatThrownBy(() -> assets.attach(m.id(), a.id(), map(AttachedAsset.PART, map("k\n", "v"))))
                .hasMessage("attachmentMetadata: 'atlas.part' is true (the asset is part of the message) or false, was an object");
        assertThat(assets.forMessage(m.id())).isEmpty();
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    @DisplayName("MemoryStore.update: metadata given in other Java number types than it reads back as (Long, Short, Float, BigInteger,"
            + " BigDecimal) is 'the map it reads back as', so the patch writes nothing")
    void noOpMetadataComparedAsItReadsBack() {
        MemoryStore memories = atlas.tenant("acme").memories();
        Map<String, Object> written = map("l", 7L, "s", (short) 3, "f", 0.5f, "bi", BigInteger.TEN, "bd", new BigDecimal("2.5"),
                "nested", map("l", 9L, "list", List.of(1L, 2.5f)));
        Memory m = memories.create(NewMemory.fact(ALICE, "Likes tea").metadata(written));
        clock.advanceMicros(5_000_000);
        assertThat(memories.update(m.id(), MemoryPatch.none().metadata(written))).isEqualTo(m);
        assertThat(memories.update(m.id(), MemoryPatch.none().metadata(m.metadata()))).isEqualTo(m);
        assertThat(memories.require(m.id()).updatedAt()).isEqualTo(m.updatedAt());
    }

    private static String types(Object v) {
        if (v instanceof Map<?, ?> mm) {
            List<String> out = new ArrayList<>();
            mm.forEach((k, x) -> out.add(k + ":" + types(x)));
            return out.toString();
        }
        if (v instanceof List<?> l) {
            List<String> out = new ArrayList<>();
            l.forEach(x -> out.add(types(x)));
            return out.toString();
        }
        return v == null ? "null" : v.getClass().getSimpleName();
    }

    @Test
    @DisplayName("diff: a top-level value whose JSON type differs (1, 1.5, \"1\", true, null, [1], {}) is changed; the same JSON value"
            + " written as another Java number type (1 and 1L) is not; a key holding null is present (absent -> null is added)")
    void diffSeesJsonTypes() {
        Tenant acme = atlas.tenant("acme");
        SettingsStore settings = acme.settings();
        Settings s = settings.create("typed", "Typed", null);
        List<Object> values = new ArrayList<>(List.of(1, 1.5, "1", true));
        values.add(null);
        values.add(List.of(1));
        values.add(Map.of("v", 1));
        settings.publish(s.id(), Map.of(), null, null);
        for (Object v : values) {
            settings.publish(s.id(), map("v", v), null, null);
        }
        settings.publish(s.id(), map("v", Map.of("v", 1L)), null, null);
        int n = values.size() + 2;
        for (int i = 2; i <= values.size(); i++) {
            assertThat(settings.diff(s.id(), i, i + 1)).as("%s -> %s", values.get(i - 2), values.get(i - 1))
                    .isEqualTo(new RevisionDiff(i, i + 1, Set.of(), Set.of(), Set.of("v"), false));
        }
        assertThat(settings.diff(s.id(), 1, 2)).isEqualTo(new RevisionDiff(1, 2, Set.of("v"), Set.of(), Set.of(), false));
        assertThat(settings.diff(s.id(), 6, 1)).isEqualTo(new RevisionDiff(6, 1, Set.of(), Set.of("v"), Set.of(), false));
        assertThat(settings.diff(s.id(), n - 1, n).isEmpty()).isTrue();

        AssistantStore assistants = acme.assistants();
        Assistant bot = assistants.create(AssistantSpec.of("typed-bot", "Typed bot"));
        assistants.publish(bot.id(), NewRevision.of("p", map("n", 1, "x", 1.0)));
        assistants.publish(bot.id(), NewRevision.of("p", map("n", 1L, "x", 1)));
        assertThat(assistants.diff(bot.id(), 1, 2)).isEqualTo(new RevisionDiff(1, 2, Set.of(), Set.of(), Set.of("x"), false));
    }

    @Test
    @DisplayName("AssetStore.attach: AttachedAsset.PART, when present, is true or false; a string, a number or null is"
            + " InvalidInputException on attachmentMetadata and nothing is attached; false is kept as given")
    void partIsTrueOrFalse() {
        Tenant acme = atlas.tenant("acme");
        AssetStore assets = acme.assets();
        Conversation c = acme.conversations().create(NewConversation.of(ALICE));
        Message m = acme.conversations().append(c.id(), NewMessage.assistant("here is the chart"));
        Asset a = assets.create(NewAsset.of(AssetType.IMAGE, "chart.png", "image/png"), new byte[] {1, 2});
        for (Object bad : new Object[] {"true", "yes", 1, null, List.of(true)}) {
            Map<String, Object> meta = map(AttachedAsset.PART, bad, "tool", "chart");
            assertThatThrownBy(() -> assets.attach(m.id(), a.id(), meta)).as(String.valueOf(bad))
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("attachmentMetadata: 'atlas.part' is true (the asset is part of the message) or false, was ")
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("attachmentMetadata");
        }
        assertThat(assets.forMessage(m.id())).isEmpty();
        AttachedAsset notPart = assets.attach(m.id(), a.id(), map(AttachedAsset.PART, false));
        assertThat(notPart.attachmentMetadata()).isEqualTo(Map.of(AttachedAsset.PART, false));
        assertThat(assets.forMessage(m.id())).containsExactly(notPart);
    }

    @Test
    @DisplayName("SearchFilter.metadata matches a top-level string only: a boolean true or false, or a null, is not \"true\","
            + " \"false\" or \"null\", nor a decimal \"1.5\"")
    void metadataFilterIsStringsOnly() {
        Tenant acme = atlas.tenant("acme");
        MemoryStore memories = acme.memories();
        Map<String, Memory> byValue = new LinkedHashMap<>();
        List<Object> values = new ArrayList<>(List.of(true, "true", false, "false", 1.5, "1.5"));
        values.add(null);
        values.add("null");
        for (Object v : values) {
            byValue.put(types(v) + ":" + v, memories.create(NewMemory.fact(ALICE, "note " + values.indexOf(v)).metadata(map("k", v))));
        }
        for (String s : List.of("true", "false", "1.5", "null")) {
            List<UUID> hits = acme.search().text(TextQuery.memories("note").filter(SearchFilter.none().metadata("k", s)))
                    .stream().map(SearchHit::id).toList();
            assertThat(hits).as(s).containsExactly(byValue.get("String:" + s).id());
        }
    }

    @Test
    @DisplayName("VoiceCallStore: a summary is a write as a checkpoint is: completeStale counts silence from it, and a complete or fail"
            + " from an instance whose clock is behind the summarizing one's ends no earlier than the summary, duration counted to it")
    void summaryIsALastWrite() {
        VoiceCallStore calls = atlas.tenant("acme").voiceCalls();
        VoiceCall quiet = calls.start(NewVoiceCall.of("rt_quiet", "openai", "gpt-realtime"));
        clock.advanceMicros(Duration.ofMinutes(10).toNanos() / 1_000);
        calls.summarize(quiet.id(), "so far: greeting");
        clock.advanceMicros(Duration.ofMinutes(10).toNanos() / 1_000);
        assertThat(calls.completeStale(Duration.ofMinutes(15))).isZero();
        assertThat(calls.require(quiet.id()).status()).isEqualTo(VoiceCallStatus.ACTIVE);
        clock.advanceMicros(Duration.ofMinutes(6).toNanos() / 1_000);
        assertThat(calls.completeStale(Duration.ofMinutes(15))).isEqualTo(1);

        VoiceCall v = calls.start(NewVoiceCall.of("rt_done", "openai", "gpt-realtime"));
        VoiceCall w = calls.start(NewVoiceCall.of("rt_failed", "openai", "gpt-realtime"));
        Instant t = v.startedAt();
        VoiceCallStore ahead = reopen(b -> b.clock(new MutableClock(t.plus(Duration.ofHours(2))))).tenant("acme").voiceCalls();
        Instant summarized = ahead.summarize(v.id(), "greeting").updatedAt();
        Instant summarizedW = ahead.summarize(w.id(), "greeting").updatedAt();
        assertThat(summarized).isEqualTo(t.plus(Duration.ofHours(2)));
        clock.set(t.plus(Duration.ofHours(1)));
        VoiceCall done = calls.complete(v.id(), List.of());
        assertThat(done).returns(VoiceCallStatus.COMPLETED, VoiceCall::status).returns(summarized, VoiceCall::completedAt)
                .returns(7_200_000L, VoiceCall::durationMs).returns("greeting", VoiceCall::summary);
        VoiceCall failed = calls.fail(w.id());
        assertThat(failed).returns(summarizedW, VoiceCall::completedAt)
                .returns(Duration.between(w.startedAt(), summarizedW).toMillis(), VoiceCall::durationMs);
    }

    @Test
    @DisplayName("Tenant.atlas() is the Atlas that handed out the view, the same object for every tenant id, and another instance's for"
            + " its views even with the same tenant id on the same database")
    void tenantAtlasIsTheInstance() {
        Atlas second = reopen(b -> b.clock(clock));
        assertThat(atlas.tenant("acme").atlas()).isSameAs(atlas);
        assertThat(atlas.tenant("globex").atlas()).isSameAs(atlas);
        assertThat(second.tenant("acme").atlas()).isSameAs(second).isNotSameAs(atlas);
    }

    @Test
    @DisplayName("VoiceCallStore.summarize: null clears the summary, on an active and on a finished call; blank is refused naming summary and the summary stays")
    void summaryNullClears() {
        VoiceCallStore calls = atlas.tenant("acme").voiceCalls();
        VoiceCall v = calls.start(NewVoiceCall.of("rt_1", "openai", "gpt-realtime"));
        assertThat(calls.summarize(v.id(), "greeting").summary()).isEqualTo("greeting");
        assertThat(calls.summarize(v.id(), null).summary()).isNull();
        assertThat(calls.require(v.id()).summary()).isNull();
        calls.summarize(v.id(), "greeting");
        assertThatThrownBy(() -> calls.summarize(v.id(), " \t ")).isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("summary");
        assertThat(calls.require(v.id()).summary()).isEqualTo("greeting");
        calls.complete(v.id(), List.of());
        assertThat(calls.summarize(v.id(), null).summary()).isNull();
        assertThat(calls.require(v.id()).summary()).isNull();
    }

    @Test
    @DisplayName("a cursor of one parent's paged listing handed to another parent's is InvalidInputException on cursor (memory revisions,"
            + " a conversation's tasks; the tenant's task list), as settings revisions pin it; each parent's own cursor pages on")
    void cursorOfAnotherParentIsRefused() {
        Tenant acme = atlas.tenant("acme");
        MemoryStore memories = acme.memories();
        Memory m1 = memories.create(NewMemory.fact(ALICE, "v1"));
        Memory m2 = memories.create(NewMemory.fact(ALICE, "w1"));
        memories.update(m1.id(), MemoryPatch.content("v2"));
        memories.update(m1.id(), MemoryPatch.content("v3"));
        memories.update(m2.id(), MemoryPatch.content("w2"));
        String m1Cursor = memories.revisions(m1.id(), 1, null).nextCursor().orElseThrow();
        cursorRefused(() -> memories.revisions(m2.id(), 1, m1Cursor));
        assertThat(memories.revisions(m1.id(), 1, m1Cursor).items()).extracting(r -> r.content()).containsExactly("v2");

        TaskStore tasks = acme.tasks();
        Conversation c1 = acme.conversations().create(NewConversation.of(ALICE));
        Conversation c2 = acme.conversations().create(NewConversation.of(ALICE));
        tasks.createAll(List.of(NewTask.of("summarize", Map.of("n", 1)).forConversation(c1.id()),
                NewTask.of("summarize", Map.of("n", 2)).forConversation(c1.id()), NewTask.of("summarize", Map.of("n", 3)).forConversation(c2.id())));
        String c1Cursor = tasks.forConversation(c1.id(), 1, null).nextCursor().orElseThrow();
        cursorRefused(() -> tasks.forConversation(c2.id(), 1, c1Cursor));
        cursorRefused(() -> tasks.list(TaskQuery.all().after(c1Cursor)));
        assertThat(tasks.forConversation(c1.id(), 1, c1Cursor).items()).containsExactly(tasks.forConversation(c1.id(), 2, null).items().get(1));
    }

    private static void cursorRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("cursor");
    }
}
