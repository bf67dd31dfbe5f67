package dev.atlas.jdbi.kit;

import dev.atlas.ConflictException;
import dev.atlas.IllegalTransitionException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.Role;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionType;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallQuery;
import dev.atlas.voice.VoiceCallStatus;
import dev.atlas.voice.VoiceCallStore;
import dev.atlas.voice.VoiceTurn;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Voice calls and their transcripts, on every database. */
public abstract class VoiceCallContract extends AtlasContract {
    protected Tenant acme;
    protected VoiceCallStore calls;

    protected VoiceCallContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void stores() {
        acme = atlas.tenant("acme");
        calls = acme.voiceCalls();
    }

    private NewVoiceCall call(String session) {
        return NewVoiceCall.of(session, "openai", "gpt-realtime");
    }

    private long rows() {
        return AdHoc.count(atlas, "voice_calls");
    }

    @Test
    @DisplayName("a call starts active with an empty transcript and its links")
    void start() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.of(ExecutionType.VOICE, "openai", "gpt-realtime").conversation(c.id()));
        VoiceCall v = calls.start(call("rt_abc").conversation(c.id()).execution(exec.id()).owner(Owner.user("alice")).agent("support")
                .metadata(Map.of("lang", "en")));
        assertThat(v.status()).isEqualTo(VoiceCallStatus.ACTIVE);
        assertThat(v.transcript()).isEmpty();
        assertThat(v.startedAt()).isEqualTo(clock.instant());
        assertThat(calls.get(v.id())).contains(v);
        assertThat(v.executionId()).isEqualTo(exec.id());
        assertThat(v.owner()).isEqualTo(Owner.user("alice"));
        assertThat(v.metadata()).isEqualTo(Map.of("lang", "en"));
    }

    @Test
    @DisplayName("each checkpoint replaces the whole transcript, which reads back turn for turn")
    void checkpoints() {
        VoiceCall v = calls.start(call("rt_1"));
        List<VoiceTurn> turns = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            turns.add(i % 2 == 0 ? VoiceTurn.user("question " + i + " \"quoted\" ✓ 🎙") : VoiceTurn.assistant("answer " + i + "\n"));
            calls.checkpoint(v.id(), turns);
        }
        assertThat(calls.get(v.id()).orElseThrow().transcript()).isEqualTo(turns);
        calls.checkpoint(v.id(), turns.subList(0, 2));
        assertThat(calls.get(v.id()).orElseThrow().transcript()).hasSize(2);
    }

    @Test
    @DisplayName("completing stores the final transcript, time and duration; a finished call takes no checkpoint or second finish")
    void complete() {
        VoiceCall v = calls.start(call("rt_2"));
        clock.advanceMicros(95_000_000);
        VoiceCall done = calls.complete(v.id(), List.of(VoiceTurn.user("hi"), VoiceTurn.assistant("hello")));
        assertThat(done.status()).isEqualTo(VoiceCallStatus.COMPLETED);
        assertThat(done.durationMs()).isEqualTo(95_000);
        assertThat(done.completedAt()).isEqualTo(clock.instant());
        assertThat(done.transcript()).extracting(VoiceTurn::role).containsExactly(Role.USER, Role.ASSISTANT);
        assertThatThrownBy(() -> calls.checkpoint(v.id(), List.of())).isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> calls.complete(v.id(), List.of())).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> calls.fail(v.id())).isInstanceOf(IllegalTransitionException.class);
        assertThat(calls.summarize(v.id(), "greeting only").summary()).isEqualTo("greeting only");
        assertThat(calls.get(v.id()).orElseThrow().transcript()).hasSize(2);
    }

    @Test
    @DisplayName("a failed call keeps the transcript saved so far")
    void fail() {
        VoiceCall v = calls.start(call("rt_3"));
        calls.checkpoint(v.id(), List.of(VoiceTurn.user("can you hear me?")));
        VoiceCall failed = calls.fail(v.id());
        assertThat(failed.status()).isEqualTo(VoiceCallStatus.FAILED);
        assertThat(failed.transcript()).containsExactly(VoiceTurn.user("can you hear me?"));
    }

    @Test
    @DisplayName("session ids match exactly in bySession (LIKE wildcards, a backslash, case, quotes, NFC and NFD are distinct sessions,"
            + " paged alike), and a transcript of 2,000 turns reads back turn for turn in order")
    void sessionIdsMatchExactlyAndLongTranscriptsKeepTheirOrder() {
        List<String> sessions = List.of("rt_%", "rt_a", "RT_A", "rt\\a", "rt_'; DROP TABLE atlas_voice_calls; --", "caf\u00e9", "cafe\u0301", "%");
        Map<String, UUID> ids = new java.util.LinkedHashMap<>();
        for (String session : sessions) {
            ids.put(session, calls.start(call(session)).id());
        }
        for (String session : sessions) {
            assertThat(calls.bySession(session)).as(session).extracting(VoiceCall::id).containsExactly(ids.get(session));
            assertThat(calls.bySession(session, 1, null).items()).as(session).extracting(VoiceCall::id).containsExactly(ids.get(session));
        }
        assertThat(calls.bySession("rt_")).isEmpty();
        List<VoiceTurn> turns = new java.util.ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            turns.add(i % 2 == 0 ? VoiceTurn.user("u" + i) : VoiceTurn.assistant("a" + i));
        }
        VoiceCall done = calls.complete(ids.get("rt_a"), turns);
        assertThat(done.transcript()).isEqualTo(turns);
        assertThat(calls.get(done.id()).orElseThrow().transcript()).isEqualTo(turns);
    }

    @Test
    @DisplayName("calls list by conversation and by session id, oldest first")
    void listing() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        VoiceCall first = calls.start(call("rt_same").conversation(c.id()));
        clock.advanceMicros(1000);
        VoiceCall second = calls.start(call("rt_same"));
        clock.advanceMicros(1000);
        VoiceCall third = calls.start(call("rt_other").conversation(c.id()));
        assertThat(calls.byConversation(c.id())).extracting(VoiceCall::id).containsExactly(first.id(), third.id());
        assertThat(calls.bySession("rt_same")).extracting(VoiceCall::id).containsExactly(first.id(), second.id());
        assertThat(calls.bySession("rt_none")).isEmpty();
    }

    @Test
    @DisplayName("stale active calls are marked completed and counted; recent and finished ones are left alone")
    void completeStale() {
        VoiceCall old = calls.start(call("rt_old"));
        VoiceCall oldFailed = calls.start(call("rt_old_failed"));
        calls.fail(oldFailed.id());
        clock.advanceMicros(Duration.ofHours(3).toNanos() / 1000);
        VoiceCall recent = calls.start(call("rt_recent"));
        VoiceCall theirs = atlas.tenant("globex").voiceCalls().start(call("rt_theirs"));
        clock.advanceMicros(Duration.ofHours(3).toNanos() / 1000);

        assertThat(calls.completeStale(Duration.ofHours(4))).isEqualTo(1);

        VoiceCall swept = calls.get(old.id()).orElseThrow();
        assertThat(swept.status()).isEqualTo(VoiceCallStatus.COMPLETED);
        assertThat(swept.completedAt()).isEqualTo(clock.instant());
        assertThat(calls.get(oldFailed.id()).orElseThrow().status()).isEqualTo(VoiceCallStatus.FAILED);
        assertThat(calls.get(recent.id()).orElseThrow().status()).isEqualTo(VoiceCallStatus.ACTIVE);
        assertThat(atlas.tenant("globex").voiceCalls().get(theirs.id()).orElseThrow().status()).isEqualTo(VoiceCallStatus.ACTIVE);
        assertThat(calls.completeStale(Duration.ofHours(4))).isZero();
    }

    @Test
    @DisplayName("completeStale judges a call by its last checkpoint, not its start: a long call that keeps checkpointing is left active"
            + " and completes with its final transcript; once silent for longer than olderThan it is completed")
    void longCheckpointingCallIsNotStale() {
        VoiceCall v = calls.start(call("rt_long"));
        clock.advanceMicros(Duration.ofHours(3).toNanos() / 1000);
        calls.checkpoint(v.id(), List.of(VoiceTurn.user("still talking")));
        clock.advanceMicros(Duration.ofHours(1).toNanos() / 1000);

        assertThat(calls.completeStale(Duration.ofHours(2))).isZero();
        assertThat(calls.require(v.id()).status()).isEqualTo(VoiceCallStatus.ACTIVE);
        assertThat(calls.complete(v.id(), List.of(VoiceTurn.user("still talking"), VoiceTurn.assistant("bye"))).transcript())
                .hasSize(2);
        VoiceCall w = calls.start(call("rt_silent"));
        calls.checkpoint(w.id(), List.of(VoiceTurn.user("hello?")));
        clock.advanceMicros(Duration.ofHours(2).toNanos() / 1000);
        assertThat(calls.completeStale(Duration.ofHours(2))).isZero();
        clock.advanceMicros(1);
        assertThat(calls.completeStale(Duration.ofHours(2))).isEqualTo(1);
        assertThat(calls.require(w.id())).returns(VoiceCallStatus.COMPLETED, VoiceCall::status)
                .returns(List.of(VoiceTurn.user("hello?")), VoiceCall::transcript);
    }

    @Test
    @DisplayName("durationMs is empty while active, the time to the end for a failed call, and stays empty for a call completeStale finished")
    void durationOfEveryEnd() {
        VoiceCall failing = calls.start(call("rt_fails"));
        VoiceCall stale = calls.start(call("rt_stale"));
        assertThat(failing.durationMs()).isNull();
        clock.advanceMicros(2_000_000);
        assertThat(calls.fail(failing.id()).durationMs()).isEqualTo(2_000);
        assertThat(calls.completeStale(Duration.ofSeconds(1))).isEqualTo(1);
        VoiceCall swept = calls.get(stale.id()).orElseThrow();
        assertThat(swept.completedAt()).isEqualTo(clock.instant());
        assertThat(swept.durationMs()).isNull();
    }

    @Test
    @DisplayName("completeStale with an age finer than a microsecond is exact: a call started 1µs ago is older than 1ns and 999ns, not than 1µs")
    void completeStaleBelowMicroseconds() {
        VoiceCall v = calls.start(call("rt_fine"));
        clock.advanceMicros(1);
        assertThat(calls.completeStale(Duration.ofNanos(1000))).isZero();
        assertThat(calls.completeStale(Duration.ofNanos(999))).isEqualTo(1);
        assertThat(calls.require(v.id()).status()).isEqualTo(VoiceCallStatus.COMPLETED);
        VoiceCall w = calls.start(call("rt_fine2"));
        clock.advanceMicros(1);
        assertThat(calls.completeStale(Duration.ofNanos(1))).isEqualTo(1);
        assertThat(calls.require(w.id()).status()).isEqualTo(VoiceCallStatus.COMPLETED);
    }

    @Test
    @DisplayName("bad input is rejected naming the field and nothing is written")
    void badInput() {
        VoiceCall v = calls.start(call("rt_bad"));
        calls.checkpoint(v.id(), List.of(VoiceTurn.user("kept")));
        assertField("content", () -> VoiceTurn.user("nul\u0000"));
        assertField("content", () -> VoiceTurn.assistant("\uDBFF"));
        assertField("role", () -> new VoiceTurn(Role.SYSTEM, "x"));
        assertField("role", () -> new VoiceTurn(Role.of("narrator"), "x"));
        assertField("status", () -> VoiceCallStatus.of("ringing"));
        assertField("transcript", () -> calls.checkpoint(v.id(), Arrays.asList(VoiceTurn.user("a"), null)));
        assertField("transcript", () -> calls.checkpoint(v.id(), null));
        assertField("sessionId", () -> NewVoiceCall.of(" ", "openai", "m"));
        assertField("olderThan", () -> calls.completeStale(Duration.ofMinutes(-1)));
        assertThatThrownBy(() -> calls.start(call("rt_x").conversation(UUID.randomUUID()))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> calls.start(call("rt_x").execution(UUID.randomUUID()))).isInstanceOf(NotFoundException.class);
        assertThat(rows()).isEqualTo(1);
        assertThat(calls.get(v.id()).orElseThrow().transcript()).containsExactly(VoiceTurn.user("kept"));
    }

    @Test
    @DisplayName("two finishes of one call at the same moment: exactly one wins, the other is an IllegalTransitionException on status, and the winner's transcript stays")
    void concurrentFinishes() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 20; i++) {
                VoiceCall v = calls.start(call("rt_race_" + i));
                var start = new java.util.concurrent.CyclicBarrier(2);
                List<java.util.concurrent.Callable<VoiceCall>> finishes = List.of(
                        () -> calls.complete(v.id(), List.of(VoiceTurn.user("done"))), () -> calls.fail(v.id()));
                List<java.util.concurrent.Future<Object>> results = new ArrayList<>();
                for (var finish : finishes) {
                    results.add(pool.submit(() -> {
                        start.await();
                        try {
                            return finish.call();
                        } catch (dev.atlas.IllegalTransitionException e) {
                            return e;
                        }
                    }));
                }
                List<Object> outcomes = new ArrayList<>();
                for (var r : results) {
                    outcomes.add(r.get());
                }
                assertThat(outcomes).as("call %d", i).filteredOn(VoiceCall.class::isInstance).hasSize(1);
                assertThat(outcomes).as("call %d", i).filteredOn(dev.atlas.IllegalTransitionException.class::isInstance).hasSize(1)
                        .allSatisfy(e -> assertThat(((dev.atlas.IllegalTransitionException) e).field()).isEqualTo("status"));
                VoiceCall winner = (VoiceCall) outcomes.stream().filter(VoiceCall.class::isInstance).findFirst().orElseThrow();
                assertThat(calls.get(v.id())).contains(winner);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("a checkpoint racing complete never overwrites the final transcript: it either lands before (and complete replaces it) or is a ConflictException on callId")
    void checkpointRacingComplete() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 20; i++) {
                VoiceCall v = calls.start(call("rt_cp_" + i));
                var start = new java.util.concurrent.CyclicBarrier(2);
                List<VoiceTurn> last = List.of(VoiceTurn.user("final " + i), VoiceTurn.assistant("bye"));
                var checkpoints = pool.submit(() -> {
                    start.await();
                    int refused = 0;
                    for (int n = 0; n < 10; n++) {
                        try {
                            calls.checkpoint(v.id(), List.of(VoiceTurn.user("partial " + n)));
                        } catch (ConflictException e) {
                            assertThat(e.field()).isEqualTo("callId");
                            refused++;
                        }
                    }
                    return refused;
                });
                var complete = pool.submit(() -> {
                    start.await();
                    return calls.complete(v.id(), last);
                });
                VoiceCall done = complete.get();
                checkpoints.get();
                assertThat(done.transcript()).containsExactlyElementsOf(last);
                assertThat(calls.require(v.id())).isEqualTo(done);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("a call started while retention purges its conversation is either purged with it or refused with NotFoundException on conversationId; never a storage error")
    void startRacingConversationPurge() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 15; i++) {
                Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
                acme.conversations().archive(c.id());
                clock.advanceMicros(2);
                var start = new java.util.concurrent.CyclicBarrier(2);
                var purge = pool.submit(() -> {
                    start.await();
                    return acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().purgeArchivedAfter(Duration.ofNanos(1000)));
                });
                String session = "rt_purge_" + i;
                var started = pool.submit(() -> {
                    start.await();
                    try {
                        return calls.start(call(session).conversation(c.id()));
                    } catch (NotFoundException e) {
                        assertThat(e.field()).contains("conversationId");
                        return e;
                    }
                });
                purge.get();
                assertThat(started.get()).as("round %d", i).isInstanceOfAny(VoiceCall.class, NotFoundException.class);
                assertThat(acme.conversations().get(c.id())).isEmpty();
                assertThat(calls.bySession(session)).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("a cursor of one voice call listing handed to another (list, byConversation, bySession) is InvalidInputException on cursor, not a page in another order")
    void cursorOfAnotherListingIsRefused() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        for (int i = 0; i < 3; i++) {
            calls.start(call("rt_same").conversation(c.id()));
            clock.advanceMicros(1);
        }
        String recent = calls.list(VoiceCallQuery.all().limit(1)).nextCursor().orElseThrow();
        String byConversation = calls.byConversation(c.id(), 1, null).nextCursor().orElseThrow();
        String bySession = calls.bySession("rt_same", 1, null).nextCursor().orElseThrow();
        assertField("cursor", () -> calls.bySession("rt_same", 10, recent));
        assertField("cursor", () -> calls.byConversation(c.id(), 10, recent));
        assertField("cursor", () -> calls.list(VoiceCallQuery.all().after(bySession)));
        assertField("cursor", () -> calls.list(VoiceCallQuery.all().after(byConversation)));
        assertField("cursor", () -> calls.bySession("rt_same", 10, byConversation));
        assertField("cursor", () -> calls.byConversation(c.id(), 10, bySession));
        assertThat(calls.list(VoiceCallQuery.all().after(recent)).items()).hasSize(2);
        assertThat(calls.byConversation(c.id(), 10, byConversation).items()).hasSize(2);
        assertThat(calls.bySession("rt_same", 10, bySession).items()).hasSize(2);
        // The same listing under another filter: its rows differ, so the cursor is no position among them.
        Conversation other = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        assertField("cursor", () -> calls.bySession("rt_other", 10, bySession));
        assertField("cursor", () -> calls.byConversation(other.id(), 10, byConversation));
        assertField("cursor", () -> calls.list(VoiceCallQuery.all().agent("sales").after(recent)));
    }

    @Test
    @DisplayName("start with another tenant's or an unknown conversation or execution names the field, with the same message for both")
    void foreignIdsNameTheField() {
        Tenant globex = atlas.tenant("globex");
        Conversation c = globex.conversations().create(NewConversation.of(Owner.user("bob"), "support"));
        ExecutionHandle exec = globex.executions().start(ExecutionSpec.text("openai", "gpt-realtime"));
        UUID unknown = UUID.randomUUID();
        for (UUID id : List.of(c.id(), unknown)) {
            NotFoundException e = catchThrowableOfType(NotFoundException.class, () -> calls.start(call("rt_f").conversation(id)));
            assertThat(e.field()).contains("conversationId");
            assertThat(e.getMessage()).isEqualTo("conversationId: conversation " + id + " not found");
        }
        for (UUID id : List.of(exec.id(), unknown)) {
            NotFoundException e = catchThrowableOfType(NotFoundException.class, () -> calls.start(call("rt_f").execution(id)));
            assertThat(e.field()).contains("executionId");
            assertThat(e.getMessage()).isEqualTo("executionId: execution " + id + " not found");
        }
        assertThat(rows()).isZero();
    }

    @Test
    @DisplayName("transcripts of any Unicode (emoji, RTL, combining marks, CR LF, JSON-looking text) read back turn for turn")
    void unicodeTranscript() throws java.sql.SQLException {
        VoiceCall v = calls.start(call("rt_\u00fc\u00f1\u00ee"));
        List<VoiceTurn> turns = List.of(VoiceTurn.user("Zo\u00eb \u041f\u0440\u0438\u0432\u0435\u0442 \u4e2d\u6587 \uD83D\uDE00 \u202E e\u0301"),
                VoiceTurn.assistant("{\"role\":\"system\"}\r\n\t\\u0000 '; DROP TABLE x; --"), VoiceTurn.user(""));
        calls.checkpoint(v.id(), turns);
        assertThat(calls.get(v.id()).orElseThrow().transcript()).isEqualTo(turns);
        assertThat(calls.complete(v.id(), turns).transcript()).isEqualTo(turns);
        assertThat(calls.bySession("rt_\u00fc\u00f1\u00ee")).extracting(VoiceCall::id).containsExactly(v.id());
        // A transcript changed by hand into valid JSON of another shape: the reader's text (which quotes its keys) reaches the
        // message escaped, one line, no terminal escape.
        try (java.sql.Connection c = database.dataSource().getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("UPDATE atlas_voice_calls SET transcript = ? WHERE tenant_id = 'acme'")) {
            String json = "[{\"role\":\"user\",\"content\":\"x\",\"k\\u001b[31m\\nERROR forged\":{\"a\":1}}]";
            if (database.name().startsWith("PostgreSQL")) {
                ps.setObject(1, json, java.sql.Types.OTHER);
            } else {
                ps.setString(1, json);
            }
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> calls.get(v.id())))
                .isInstanceOf(dev.atlas.UnreadableRowException.class)
                .hasMessageStartingWith("voice_calls row " + v.id() + " is unreadable: stored transcript could not be read: ")
                .hasMessageContaining("\\u001b[31m\\u000aERROR forged")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\u001b"));
    }

    private static void assertField(String field, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo(field));
    }

    @Test
    @DisplayName("while its conversation is soft-deleted a call is not found by any method, as the conversation's messages are; restoring it brings the call back unchanged")
    void callsOfDeletedConversationsAreHidden() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        VoiceCall hidden = calls.checkpoint(calls.start(call("rt_gone").conversation(c.id()).owner(Owner.user("alice"))).id(),
                List.of(VoiceTurn.user("hello")));
        VoiceCall kept = calls.start(call("rt_gone").owner(Owner.user("alice")));
        acme.conversations().delete(c.id());

        assertThat(calls.get(hidden.id())).isEmpty();
        assertThat(calls.byConversation(c.id())).isEmpty();
        assertThat(calls.bySession("rt_gone")).extracting(VoiceCall::id).containsExactly(kept.id());
        assertThat(calls.list(VoiceCallQuery.all()).items()).extracting(VoiceCall::id).containsExactly(kept.id());
        assertThat(calls.list(VoiceCallQuery.all().owner(Owner.user("alice"))).items()).extracting(VoiceCall::id).containsExactly(kept.id());
        NotFoundException unknown = catchThrowableOfType(NotFoundException.class, () -> calls.fail(UUID.randomUUID()));
        for (org.assertj.core.api.ThrowableAssert.ThrowingCallable write : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                () -> calls.checkpoint(hidden.id(), List.of(VoiceTurn.user("x"))), () -> calls.complete(hidden.id(), List.of()),
                () -> calls.fail(hidden.id()), () -> calls.summarize(hidden.id(), "x"))) {
            assertThatThrownBy(write).isInstanceOfSatisfying(NotFoundException.class,
                    e -> assertThat(e.entity()).isEqualTo(unknown.entity()));
        }
        clock.advanceMicros(Duration.ofDays(1).toNanos() / 1000);
        assertThat(calls.completeStale(Duration.ZERO)).isEqualTo(1);

        acme.conversations().restore(c.id());
        assertThat(calls.require(hidden.id())).isEqualTo(hidden);
        assertThat(calls.byConversation(c.id())).containsExactly(hidden);
    }

    @Test
    @DisplayName("every method treats another tenant's calls, conversations and executions as missing")
    void tenantIsolation() {
        Tenant globex = atlas.tenant("globex");
        Conversation c = globex.conversations().create(NewConversation.of(Owner.user("bob"), "support"));
        ExecutionHandle exec = globex.executions().start(ExecutionSpec.text("openai", "gpt-realtime"));
        VoiceCall theirs = globex.voiceCalls().start(call("rt_secret").conversation(c.id()));

        assertThat(calls.get(theirs.id())).isEmpty();
        assertThatThrownBy(() -> calls.checkpoint(theirs.id(), List.of(VoiceTurn.user("x")))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> calls.complete(theirs.id(), List.of())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> calls.fail(theirs.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> calls.summarize(theirs.id(), "x")).isInstanceOf(NotFoundException.class);
        assertThat(calls.byConversation(c.id())).isEmpty();
        assertThat(calls.bySession("rt_secret")).isEmpty();
        assertThatThrownBy(() -> calls.start(call("rt_y").conversation(c.id()))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> calls.start(call("rt_y").execution(exec.id()))).isInstanceOf(NotFoundException.class);
        clock.advanceMicros(Duration.ofDays(1).toNanos() / 1000);
        assertThat(calls.completeStale(Duration.ZERO)).isZero();
        VoiceCall still = globex.voiceCalls().get(theirs.id()).orElseThrow();
        assertThat(still.status()).isEqualTo(VoiceCallStatus.ACTIVE);
        assertThat(still.transcript()).isEmpty();
        assertThat(still.summary()).isNull();
    }

    @Test
    @DisplayName("calls by conversation and by session page with a keyset cursor, oldest first, each call exactly once, even when started at the same instant")
    void paging() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        List<UUID> started = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            if (i % 3 == 0) {
                clock.advanceMicros(1000);
            }
            started.add(calls.start(call("rt_paged").conversation(c.id())).id());
        }
        for (boolean bySession : new boolean[] {true, false}) {
            List<UUID> seen = new ArrayList<>();
            String cursor = null;
            int pages = 0;
            do {
                dev.atlas.Page<VoiceCall> page = bySession ? calls.bySession("rt_paged", 3, cursor) : calls.byConversation(c.id(), 3, cursor);
                assertThat(page.items().size()).isLessThanOrEqualTo(3);
                page.items().forEach(v -> seen.add(v.id()));
                cursor = page.nextCursor().orElse(null);
                pages++;
            } while (cursor != null);
            assertThat(pages).isEqualTo(3);
            assertThat(seen).containsExactlyElementsOf(started);
        }
        assertThat(calls.bySession("rt_paged")).extracting(VoiceCall::id).containsExactlyElementsOf(started);
        assertThatThrownBy(() -> calls.bySession("rt_paged", 0, null)).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("limit"));
        assertThatThrownBy(() -> calls.bySession("rt_paged", dev.atlas.Limits.MAX_PAGE_SIZE + 1, null))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("limit"));
        assertThatThrownBy(() -> calls.byConversation(c.id(), 3, "not-a-cursor")).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("cursor"));
    }

    // ---- listing by status and recency (seed 002 active / latest completed) ----------------

    private static List<UUID> ids(Page<VoiceCall> page) {
        return page.items().stream().map(VoiceCall::id).toList();
    }

    @Test
    @DisplayName("list filters by status, owner and agent, newest first: the calls active now and the latest completed")
    void listByStatusAndRecency() {
        Owner alice = Owner.user("alice");
        VoiceCall a = calls.start(call("rt_a").owner(alice).agent("support"));
        clock.advanceMicros(1000);
        VoiceCall b = calls.start(call("rt_b").owner(Owner.user("bob")).agent("sales"));
        clock.advanceMicros(1000);
        VoiceCall c = calls.start(call("rt_c").owner(alice).agent("sales"));
        clock.advanceMicros(1000);
        VoiceCall d = calls.start(call("rt_d"));
        calls.complete(a.id(), List.of(VoiceTurn.user("bye")));
        calls.complete(c.id(), List.of());
        calls.fail(d.id());

        assertThat(ids(calls.list(VoiceCallQuery.all()))).containsExactly(d.id(), c.id(), b.id(), a.id());
        assertThat(calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.ACTIVE)).items()).containsExactly(calls.get(b.id()).orElseThrow());
        assertThat(ids(calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.COMPLETED)))).containsExactly(c.id(), a.id());
        assertThat(ids(calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.COMPLETED).limit(1)))).containsExactly(c.id());
        assertThat(ids(calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.FAILED)))).containsExactly(d.id());
        assertThat(ids(calls.list(VoiceCallQuery.all().owner(alice)))).containsExactly(c.id(), a.id());
        assertThat(ids(calls.list(VoiceCallQuery.all().agent("sales")))).containsExactly(c.id(), b.id());
        assertThat(ids(calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.COMPLETED).owner(alice).agent("support")))).containsExactly(a.id());
        assertThat(ids(calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.ACTIVE).owner(alice)))).isEmpty();
        assertThat(calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.COMPLETED)).items().get(1).transcript())
                .containsExactly(VoiceTurn.user("bye"));
    }

    @Test
    @DisplayName("list pages newest first with a keyset cursor, each call exactly once, even when started at the same instant")
    void listPages() {
        List<UUID> started = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            if (i % 3 == 0) {
                clock.advanceMicros(1000);
            }
            started.add(calls.start(call("rt_" + i)).id());
        }
        List<UUID> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Page<VoiceCall> page = calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.ACTIVE).limit(3).after(cursor));
            assertThat(page.items().size()).isLessThanOrEqualTo(3);
            seen.addAll(ids(page));
            cursor = page.nextCursor().orElse(null);
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(4);
        List<VoiceCall> all = calls.list(VoiceCallQuery.all().limit(1000)).items();
        assertThat(seen).containsExactlyElementsOf(all.stream().map(VoiceCall::id).toList());
        assertThat(seen).containsExactlyInAnyOrderElementsOf(started);
        for (int i = 1; i < all.size(); i++) {
            VoiceCall newer = all.get(i - 1);
            VoiceCall older = all.get(i);
            assertThat(newer.startedAt().isAfter(older.startedAt())
                    || newer.startedAt().equals(older.startedAt()) && newer.id().toString().compareTo(older.id().toString()) > 0).isTrue();
        }
    }

    @Test
    @DisplayName("another tenant's calls are not listed, whatever the filter")
    void listTenantIsolation() {
        Tenant globex = atlas.tenant("globex");
        VoiceCall theirs = globex.voiceCalls().start(call("rt_secret").owner(Owner.user("bob")).agent("sales"));
        VoiceCall mine = calls.start(call("rt_mine"));
        assertThat(ids(calls.list(VoiceCallQuery.all()))).containsExactly(mine.id());
        assertThat(ids(calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.ACTIVE).owner(Owner.user("bob"))))).isEmpty();
        assertThat(ids(calls.list(VoiceCallQuery.all().agent("sales")))).isEmpty();
        assertThat(ids(globex.voiceCalls().list(VoiceCallQuery.all()))).containsExactly(theirs.id());
    }

    // ---- adversarial probes: a demanding user of the public API -----------------------------

    @Test
    @DisplayName("metadata nested beyond the JSON depth limit, or holding NUL or a lone surrogate, is InvalidInputException on metadata; a summary with NUL or a lone surrogate on summary; nothing is written")
    void hostileMetadataAndSummary() {
        VoiceCall v = calls.start(call("rt_meta"));
        Map<String, Object> cycle = new java.util.HashMap<>();
        cycle.put("self", cycle);
        for (Map<String, Object> bad : List.<Map<String, Object>>of(StoredJsonContract.nested(10_000), Map.of("k", "nul\u0000"), Map.of("k", "\uDC00x"),
                cycle, Map.of("nan", Double.NaN), Map.of("inf", Double.POSITIVE_INFINITY), Map.of("\u0000", 1))) {
            assertField(bad.containsKey("\u0000") ? "metadata key" : "metadata", () -> calls.start(call("rt_bad").metadata(bad)));
        }
        assertThat(calls.completeStale(Duration.ofSeconds(Long.MAX_VALUE))).isZero();
        assertField("summary", () -> calls.summarize(v.id(), "a\u0000b"));
        assertField("summary", () -> calls.summarize(v.id(), "\uD83D"));
        assertField("summary", () -> calls.summarize(v.id(), "x".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH + 1)));
        assertThat(rows()).isEqualTo(1);
        assertThat(calls.require(v.id())).isEqualTo(v);
    }

    @Test
    @DisplayName("a transcript whose JSON would exceed the content limit (turns that escape to six characters each) is InvalidInputException on transcript; the saved one stays")
    void transcriptOverTheLimitAsJson() {
        VoiceCall v = calls.checkpoint(calls.start(call("rt_big")).id(), List.of(VoiceTurn.user("kept")));
        String controls = "\u0001".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH / 4);
        assertField("transcript", () -> calls.checkpoint(v.id(), List.of(VoiceTurn.user(controls))));
        assertField("transcript", () -> calls.complete(v.id(), List.of(VoiceTurn.user(controls))));
        assertThat(calls.require(v.id())).isEqualTo(v);
    }

    @Test
    @DisplayName("a clock that stepped back between start and end records a duration of 0 and an end at the start, never before it")
    void clockSteppedBack() {
        VoiceCall v = calls.start(call("rt_clock"));
        VoiceCall failing = calls.start(call("rt_clock_fail"));
        clock.set(clock.instant().minusSeconds(30));
        VoiceCall done = calls.complete(v.id(), List.of());
        assertThat(done.durationMs()).isZero();
        assertThat(done.completedAt()).isEqualTo(v.startedAt());
        assertThat(calls.require(v.id()).completedAt()).isEqualTo(v.startedAt());
        VoiceCall failed = calls.fail(failing.id());
        assertThat(failed.durationMs()).isZero();
        assertThat(calls.require(failing.id()).completedAt()).isEqualTo(failing.startedAt());
    }

    @Test
    @DisplayName("a call checkpointed by an instance two hours ahead, then completed or failed by one an hour ahead, ends no earlier"
            + " than that checkpoint: completedAt is its updatedAt and durationMs counts from the start to it")
    void endIsNeverBeforeTheLastCheckpoint() {
        VoiceCall v = calls.start(call("rt_end_after"));
        VoiceCall w = calls.start(call("rt_fail_after"));
        java.time.Instant t = v.startedAt();
        VoiceCallStore ahead = reopen(b -> b.clock(new MutableClock(t.plus(java.time.Duration.ofHours(2))))).tenant("acme").voiceCalls();
        java.time.Instant last = ahead.checkpoint(v.id(), List.of(VoiceTurn.user("hi"))).updatedAt();
        java.time.Instant lastW = ahead.checkpoint(w.id(), List.of(VoiceTurn.user("hi"))).updatedAt();
        assertThat(last).isEqualTo(t.plus(java.time.Duration.ofHours(2)));
        clock.set(t.plus(java.time.Duration.ofHours(1)));
        VoiceCall done = calls.complete(v.id(), List.of(VoiceTurn.user("hi"), VoiceTurn.assistant("hello")));
        assertThat(done).returns(VoiceCallStatus.COMPLETED, VoiceCall::status).returns(last, VoiceCall::completedAt)
                .returns(last, VoiceCall::updatedAt).returns(7_200_000L, VoiceCall::durationMs);
        assertThat(calls.require(v.id())).isEqualTo(done);
        VoiceCall failed = calls.fail(w.id());
        assertThat(failed).returns(VoiceCallStatus.FAILED, VoiceCall::status).returns(lastW, VoiceCall::completedAt)
                .returns(lastW, VoiceCall::updatedAt).returns(java.time.Duration.between(w.startedAt(), lastW).toMillis(), VoiceCall::durationMs);
    }

    @Test
    @DisplayName("a checkpoint, summary, finish or completeStale from an instance whose clock runs an hour behind is applied and never moves"
            + " updatedAt back (before createdAt, even)")
    void laggingClockNeverMovesUpdatedAtBack() {
        VoiceCall v = calls.start(call("rt_lag"));
        VoiceCall w = calls.start(call("rt_lag_fail"));
        VoiceCall x = calls.start(call("rt_lag_stale"));
        java.time.Instant t = v.createdAt();
        MutableClock lagClock = new MutableClock(t.minus(java.time.Duration.ofHours(1)));
        VoiceCallStore lagging = reopen(b -> b.clock(lagClock)).tenant("acme").voiceCalls();
        assertThat(lagging.checkpoint(v.id(), List.of(VoiceTurn.user("hi"))).updatedAt()).isEqualTo(t);
        assertThat(lagging.summarize(v.id(), "greeting").updatedAt()).isEqualTo(t);
        VoiceCall done = lagging.complete(v.id(), List.of(VoiceTurn.user("hi")));
        assertThat(done).returns(VoiceCallStatus.COMPLETED, VoiceCall::status).returns(t, VoiceCall::updatedAt);
        assertThat(calls.require(v.id())).isEqualTo(done);
        assertThat(lagging.fail(w.id()).updatedAt()).isEqualTo(w.createdAt());
        // x checkpointed two hours after its start: to the lagging instance, one hour after it, the
        // checkpoint is still to come, so x is not stale; once its clock passes it, x is, and keeps its time
        clock.advanceMicros(2 * 3_600_000_000L);
        VoiceCall checkpointed = calls.checkpoint(x.id(), List.of(VoiceTurn.user("late")));
        lagClock.set(t.plus(java.time.Duration.ofHours(1)));
        assertThat(lagging.completeStale(java.time.Duration.ZERO)).isZero();
        lagClock.set(checkpointed.updatedAt().plusNanos(1000));
        assertThat(lagging.completeStale(java.time.Duration.ZERO)).isEqualTo(1);
        assertThat(calls.require(x.id())).returns(VoiceCallStatus.COMPLETED, VoiceCall::status)
                .returns(checkpointed.updatedAt().plusNanos(1000), VoiceCall::updatedAt);
    }

    @Test
    @DisplayName("every write to another tenant's call fails with the exact message an unknown id gets")
    void foreignCallWritesRevealNothing() {
        VoiceCall theirs = atlas.tenant("globex").voiceCalls().start(call("rt_theirs"));
        UUID unknown = UUID.randomUUID();
        for (UUID id : List.of(theirs.id(), unknown)) {
            String expected = "voice call " + id + " not found";
            assertThatThrownBy(() -> calls.checkpoint(id, List.of())).isExactlyInstanceOf(NotFoundException.class).hasMessage(expected);
            assertThatThrownBy(() -> calls.complete(id, List.of())).isExactlyInstanceOf(NotFoundException.class).hasMessage(expected);
            assertThatThrownBy(() -> calls.fail(id)).isExactlyInstanceOf(NotFoundException.class).hasMessage(expected);
            assertThatThrownBy(() -> calls.summarize(id, "s")).isExactlyInstanceOf(NotFoundException.class).hasMessage(expected);
            assertThatThrownBy(() -> calls.require(id)).isExactlyInstanceOf(NotFoundException.class).hasMessage(expected);
        }
        assertThat(atlas.tenant("globex").voiceCalls().require(theirs.id())).isEqualTo(theirs);
    }

    @Test
    @DisplayName("hand-edited cursors (time out of range, bad id, extra part, not base64, another listing's name) are InvalidInputException on cursor")
    void editedCursors() {
        for (int i = 0; i < 3; i++) {
            calls.start(call("rt_cur"));
            clock.advanceMicros(1);
        }
        String good = calls.bySession("rt_cur", 1, null).nextCursor().orElseThrow();
        String raw = new String(java.util.Base64.getUrlDecoder().decode(good), java.nio.charset.StandardCharsets.UTF_8);
        String[] parts = raw.split("\u001f", -1);
        java.util.function.Function<String, String> enc = t -> java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(t.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String sep = "\u001f";
        List<String> edited = List.of(
                enc.apply(parts[0] + sep + parts[1] + sep + Long.MAX_VALUE + sep + parts[3]),
                enc.apply(parts[0] + sep + parts[1] + sep + "-99999999999999999" + sep + parts[3]),
                enc.apply(parts[0] + sep + parts[1] + sep + parts[2] + sep + "not-a-uuid"),
                enc.apply(raw + sep + "extra"),
                enc.apply(parts[0] + sep + "voiceCalls" + sep + parts[2] + sep + parts[3]),
                good + "!!", "", " ", "x".repeat(5000));
        for (String cursor : edited) {
            assertThatThrownBy(() -> calls.bySession("rt_cur", 1, cursor)).as(cursor).isInstanceOfSatisfying(InvalidInputException.class,
                    e -> assertThat(e.field()).isEqualTo("cursor"));
        }
        assertThat(calls.bySession("rt_cur", 10, good).items()).hasSize(2);
    }

    @Test
    @DisplayName("checkpoints racing a purge of the call's conversation either land or are NotFoundException naming the call; never a storage error, and nothing of the call is left")
    void checkpointsRacingConversationPurge() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 10; i++) {
                Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
                VoiceCall v = calls.start(call("rt_pc_" + i).conversation(c.id()));
                acme.conversations().archive(c.id());
                clock.advanceMicros(2);
                var start = new java.util.concurrent.CyclicBarrier(2);
                var purge = pool.submit(() -> {
                    start.await();
                    return acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().purgeArchivedAfter(Duration.ofNanos(1000)));
                });
                var writes = pool.submit(() -> {
                    start.await();
                    int landed = 0;
                    for (int n = 0; n < 10; n++) {
                        try {
                            calls.checkpoint(v.id(), List.of(VoiceTurn.user("turn " + n)));
                            landed++;
                        } catch (NotFoundException e) {
                            assertThat(e).hasMessage("voice call " + v.id() + " not found");
                        }
                    }
                    return landed;
                });
                purge.get();
                writes.get();
                assertThat(calls.get(v.id())).isEmpty();
                assertThat(calls.bySession("rt_pc_" + i)).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("concurrent checkpoints of one call: the stored transcript is exactly one writer's whole list, never a mix")
    void concurrentCheckpointsNeverMix() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            VoiceCall v = calls.start(call("rt_mix"));
            List<VoiceTurn> a = List.of(VoiceTurn.user("a1"), VoiceTurn.assistant("a2"), VoiceTurn.user("a3"));
            List<VoiceTurn> b = List.of(VoiceTurn.user("b1"));
            var start = new java.util.concurrent.CyclicBarrier(2);
            List<java.util.concurrent.Future<?>> writers = new ArrayList<>();
            for (List<VoiceTurn> turns : List.of(a, b)) {
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int n = 0; n < 25; n++) {
                        calls.checkpoint(v.id(), turns);
                    }
                    return null;
                }));
            }
            for (var w : writers) {
                w.get();
            }
            assertThat(calls.require(v.id()).transcript()).isIn(a, b);
        } finally {
            pool.shutdownNow();
        }
    }
}
