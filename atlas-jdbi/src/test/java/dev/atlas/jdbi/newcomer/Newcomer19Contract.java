package dev.atlas.jdbi.newcomer;

import dev.atlas.AtlasException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.NewRevision;
import dev.atlas.assistant.Settings;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationEventQuery;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageEventQuery;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.conversation.MessageStatus;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.DatabaseDigest;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.portability.ExportScope;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A security-minded team launching a multi-tenant SaaS product on Atlas, auditing before launch through the public
 * API only (README.md, docs/api.md, docs/reliability.md, docs/portability.md, docs/assistants-credentials-tasks.md):
 * every write that takes another tenant's id, directly or as a reference inside what it writes, fails exactly as an
 * id that exists nowhere (type, message with the id in its place, field) and writes nothing. The random walk of
 * TenantIsolationContract covers the reads and the stores' own ids; this covers the writes and references it leaves out.
 */
public abstract class Newcomer19Contract extends AtlasContract {
    protected Newcomer19Contract(TestDatabase database) {
        super(database);
    }

    @Override
    protected dev.atlas.AtlasBuilder configure(dev.atlas.AtlasBuilder builder) {
        return super.configure(builder).credentialKeys(dev.atlas.credential.CredentialKeys.of("k1", dev.atlas.jdbi.kit.TestKeys.key("k1")));
    }

    /** The exception's class, message (the id given replaced by {@code <id>}) and field; or the result's shape. */
    private static String outcome(UUID id, Function<UUID, ?> call) {
        try {
            Object r = call.apply(id);
            if (r instanceof Optional<?> o) {
                return o.isPresent() ? "present" : "empty";
            }
            if (r instanceof java.util.Collection<?> c) {
                return "size " + c.size();
            }
            if (r instanceof Page<?> p) {
                return "page of " + p.items().size() + (p.hasMore() ? "+" : "");
            }
            return r instanceof Boolean || r instanceof Number ? String.valueOf(r) : "accepted";
        } catch (AtlasException e) {
            String field = e instanceof NotFoundException n ? n.field().orElse("-")
                    : e instanceof dev.atlas.InvalidInputException i ? i.field()
                    : e instanceof dev.atlas.ConflictException c ? String.valueOf(c.field()) : "-";
            return e.getClass().getSimpleName() + " [" + field + "] " + String.valueOf(e.getMessage()).replace(id.toString(), "<id>");
        }
    }

    @Test
    @DisplayName("every write (and read not in the random walk) given another tenant's id, directly or as a reference in what it"
            + " writes (a parent, provenance, an execution's conversation or revision, a task's message, a voice call's execution,"
            + " an asset's execution, a step of another tenant's handle, a claim), fails as an id that exists nowhere, nothing written")
    void anotherTenantsIdsAreIdsThatExistNowhere() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Owner user = Owner.user("42");

        // acme's own rows, used where a call needs an own id beside the foreign one.
        Conversation ac = acme.conversations().create(NewConversation.of(user, "support"));
        Message am = acme.conversations().append(ac.id(), NewMessage.user("acme words"));
        ExecutionHandle ae = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(ac.id()));
        StepHandle as = ae.step();
        Assistant aa = acme.assistants().create(AssistantSpec.of("helper", "Helper"));
        acme.assistants().publish(aa.id(), NewRevision.of("acme prompt", Map.of()));
        Settings aset = acme.settings().create("chat", "Chat", user);
        acme.settings().publish(aset.id(), Map.of("model", "y"), "v1", user);
        Asset aasset = acme.assets().create(NewAsset.of(AssetType.IMAGE, "a.png", "image/png"), new byte[] {1, 2, 3});

        String acmeAlone = acmeAsSeen(acme, user);

        // globex's rows, each kind once; the same owner and slugs as acme's, so only the ids differ.
        Conversation gc = globex.conversations().create(NewConversation.of(user, "support"));
        Message gm = globex.conversations().append(gc.id(), NewMessage.user("globex secret words"));
        ExecutionHandle ge = globex.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(gc.id()));
        StepHandle gs = ge.step();
        StepHandle.ToolCallHandle gt = gs.toolCall("call-1", "lookup", "{}");
        Assistant ga = globex.assistants().create(AssistantSpec.of("helper", "Helper"));
        AssistantRevision gr = globex.assistants().publish(ga.id(), NewRevision.of("globex prompt", Map.of()));
        Settings gset = globex.settings().create("chat", "Chat", user);
        globex.settings().publish(gset.id(), Map.of("model", "x"), "v1", user);
        Memory gmem = globex.memories().create(NewMemory.fact(user, "globex fact"));
        Task gtask = globex.tasks().create(NewTask.of("mail", Map.of()).forMessage(gc.id(), gm.id()));
        VoiceCall gv = globex.voiceCalls().start(NewVoiceCall.of("s-1", "openai", "rt").conversation(gc.id()));
        Asset gasset = globex.assets().create(NewAsset.of(AssetType.IMAGE, "a.png", "image/png"), new byte[] {1, 2, 3});

        assertThat(acmeAsSeen(acme, user)).as("acme's export, listings, counts and usage, byte-exact, with globex's rows beside them")
                .isEqualTo(acmeAlone);

        var cs = acme.conversations();
        var ss = acme.settings();
        Map<String, Map.Entry<UUID, Function<UUID, ?>>> calls = new LinkedHashMap<>();
        // conversations: every method taking an id that the walk does not call
        calls.put("updateTitle", Map.entry(gc.id(), id -> cs.updateTitle(id, "t")));
        calls.put("updateSummary", Map.entry(gc.id(), id -> cs.updateSummary(id, "s")));
        calls.put("updateMetadata", Map.entry(gc.id(), id -> cs.updateMetadata(id, Map.of("k", "v"))));
        calls.put("updateMetadata expected", Map.entry(gc.id(), id -> cs.updateMetadata(id, Map.of(), Map.of("k", "v"))));
        calls.put("archive", Map.entry(gc.id(), cs::archive));
        calls.put("reopen", Map.entry(gc.id(), cs::reopen));
        calls.put("close", Map.entry(gc.id(), cs::close));
        calls.put("delete conversation", Map.entry(gc.id(), id -> {
            cs.delete(id);
            return "deleted";
        }));
        calls.put("restore", Map.entry(gc.id(), cs::restore));
        calls.put("append", Map.entry(gc.id(), id -> cs.append(id, NewMessage.user("x"))));
        calls.put("appendAll", Map.entry(gc.id(), id -> cs.appendAll(id, List.of(NewMessage.user("x")))));
        calls.put("append with a parent", Map.entry(gm.id(), id -> cs.append(ac.id(), NewMessage.user("x").parent(id))));
        calls.put("append with an execution", Map.entry(ge.id(), id -> cs.append(ac.id(), NewMessage.assistant("x").execution(id, null))));
        calls.put("append with a step", Map.entry(gs.id(), id -> cs.append(ac.id(), NewMessage.assistant("x").execution(ae.id(), id))));
        calls.put("historyBefore", Map.entry(gc.id(), id -> cs.historyBefore(id, 10, 10)));
        calls.put("history limit", Map.entry(gc.id(), id -> cs.history(id, 10)));
        calls.put("siblingGroups", Map.entry(gm.id(), cs::siblingGroups));
        calls.put("activate", Map.entry(gm.id(), cs::activate));
        calls.put("updateStatus", Map.entry(gm.id(), id -> cs.updateStatus(id, MessageStatus.FAILED, "x")));
        calls.put("markRead", Map.entry(gm.id(), cs::markRead));
        calls.put("markAllRead", Map.entry(gc.id(), cs::markAllRead));
        calls.put("unreadCount", Map.entry(gc.id(), cs::unreadCount));
        calls.put("edit", Map.entry(gm.id(), id -> cs.edit(id, "x")));
        calls.put("deleteMessage", Map.entry(gm.id(), id -> {
            cs.deleteMessage(id);
            return "deleted";
        }));
        calls.put("restoreMessage", Map.entry(gm.id(), cs::restoreMessage));
        calls.put("updateMessageMetadata", Map.entry(gm.id(), id -> cs.updateMessageMetadata(id, Map.of("k", "v"))));
        calls.put("recordEvent", Map.entry(gm.id(), id -> cs.recordEvent(id, MessageEventType.app("seen"), Map.of())));
        calls.put("events of a message query", Map.entry(gm.id(), id -> cs.events(MessageEventQuery.forMessage(id))));
        calls.put("events of a conversation", Map.entry(gc.id(), id -> cs.events(ConversationEventQuery.forConversation(id))));
        // executions: references in a spec, and another tenant's step handed to a handle
        calls.put("start with a conversation", Map.entry(gc.id(), id -> acme.executions().start(ExecutionSpec.text("o", "m").conversation(id))));
        calls.put("create with a conversation", Map.entry(gc.id(), id -> acme.executions().create(ExecutionSpec.text("o", "m").conversation(id))));
        calls.put("start with a revision", Map.entry(gr.id(), id -> acme.executions().start(ExecutionSpec.text("o", "m").assistantRevision(id))));
        // memories, tasks, voice calls, assets: references
        calls.put("memory provenance conversation", Map.entry(gc.id(), id -> acme.memories().create(NewMemory.fact(user, "f").from(id, null))));
        calls.put("memory provenance message", Map.entry(gm.id(), id -> acme.memories().create(NewMemory.fact(user, "f").from(ac.id(), id))));
        calls.put("task for a message", Map.entry(gm.id(), id -> acme.tasks().create(NewTask.of("mail", Map.of()).forMessage(ac.id(), id))));
        calls.put("voice call conversation", Map.entry(gc.id(), id -> acme.voiceCalls().start(NewVoiceCall.of("s-2", "o", "m").conversation(id))));
        calls.put("voice call execution", Map.entry(ge.id(), id -> acme.voiceCalls().start(NewVoiceCall.of("s-3", "o", "m").execution(id))));
        calls.put("asset execution", Map.entry(ge.id(), id -> acme.assets().create(
                NewAsset.of(AssetType.IMAGE, "b.png", "image/png").execution(id, null), new byte[] {4})));
        calls.put("asset tool call", Map.entry(gt.id(), id -> acme.assets().create(
                NewAsset.of(AssetType.IMAGE, "c.png", "image/png").execution(ae.id(), id), new byte[] {5})));
        calls.put("discard asset", Map.entry(gasset.id(), id -> {
            acme.assets().discard(id);
            return "discarded";
        }));
        calls.put("attachPart", Map.entry(gasset.id(), id -> acme.assets().attachPart(am.id(), id)));
        calls.put("asset vector of a conversation", Map.entry(gc.id(), id -> {
            acme.search().upsertAssetVector(aasset.id(), id, "m", new float[] {1, 0});
            return "stored";
        }));
        // settings: every method taking an id
        calls.put("settings get", Map.entry(gset.id(), ss::get));
        calls.put("settings rename", Map.entry(gset.id(), id -> ss.rename(id, "renamed", "R")));
        calls.put("settings delete", Map.entry(gset.id(), id -> {
            ss.delete(id);
            return "deleted";
        }));
        calls.put("settings publish", Map.entry(gset.id(), id -> ss.publish(id, Map.of("model", "z"), "v2", user)));
        calls.put("settings getRevision", Map.entry(gset.id(), id -> ss.getRevision(id, 1)));
        calls.put("settings currentRevision", Map.entry(gset.id(), ss::currentRevision));
        calls.put("settings revisions", Map.entry(gset.id(), ss::revisions));
        calls.put("settings revisions paged", Map.entry(gset.id(), id -> ss.revisions(id, 10, null)));
        calls.put("settings diff", Map.entry(gset.id(), id -> ss.diff(id, 1, 1)));
        calls.put("settings rollback", Map.entry(gset.id(), id -> ss.rollback(id, 1, user)));
        calls.put("settings rollback expected", Map.entry(gset.id(), id -> ss.rollback(id, 1, user, 1)));
        calls.put("memory revisions paged", Map.entry(gmem.id(), id -> acme.memories().revisions(id, 10, null)));
        calls.put("assistant rollback by revision id", Map.entry(gr.id(), id -> acme.assistants().rollback(aa.id(), id, user, 1)));
        calls.put("assistant update expected", Map.entry(ga.id(), id -> acme.assistants().update(id, AssistantSpec.of("helper-2", "H"), 1)));
        calls.put("voice call bySession unaffected", Map.entry(gv.id(), id -> acme.voiceCalls().bySession("s-1", 10, null)));
        // portability
        calls.put("eraseConversation dry run", Map.entry(gc.id(), id -> acme.portability().eraseConversation(id, true).toString()));
        calls.put("eraseConversation", Map.entry(gc.id(), id -> acme.portability().eraseConversation(id, false).toString()));
        calls.put("export a conversation", Map.entry(gc.id(), id -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            acme.portability().exportTo(out, ExportScope.conversation(id));
            return out.toString(StandardCharsets.UTF_8).contains(id.toString()) ? "leaked" : "exported";
        }));

        String prefix = atlas.config().tablePrefix();
        String before = DatabaseDigest.of(database.dataSource(), prefix);
        List<String> differences = new ArrayList<>();
        List<String> outcomes = new ArrayList<>();
        for (var e : calls.entrySet()) {
            String unknown = outcome(UUID.randomUUID(), e.getValue().getValue());
            String foreign = outcome(e.getValue().getKey(), e.getValue().getValue());
            outcomes.add(e.getKey() + ": " + unknown);
            if (!unknown.equals(foreign)) {
                differences.add(e.getKey() + ": unknown id -> " + unknown + "; globex's id -> " + foreign);
            }
        }
        assertThat(differences).as("outcomes with globex's ids that differ from an unknown id's\n" + String.join("\n", outcomes)).isEmpty();
        assertThat(DatabaseDigest.of(database.dataSource(), prefix)).as("nothing written").isEqualTo(before);

        // another tenant's step handed to a handle of acme's execution: refused as a step of acme's other execution is
        StepHandle otherStep = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o")).step();
        before = DatabaseDigest.of(database.dataSource(), prefix);
        assertThat(outcome(gs.id(), x -> ae.reply(gs, "x"))).as("reply on globex's step")
                .isEqualTo(outcome(otherStep.id(), x -> ae.reply(otherStep, "x")))
                .isEqualTo("InvalidInputException [step] step: belongs to another execution");
        assertThat(DatabaseDigest.of(database.dataSource(), prefix)).as("nothing written").isEqualTo(before);
        assertThat(gtask.id()).isNotNull();
    }

    @Test
    @DisplayName("portability.md's erase, as a GDPR request: after eraseOwner the owner's export is its header alone, full-text finds"
            + " none of their words, usage no longer counts their calls, a second erase counts nothing; the same owner id in globex and"
            + " acme's other owner are untouched byte for byte; the memory graph, which has no owner, stays as the docs now say; the revisions"
            + " the owner published of the tenant's assistant and settings stay without their author")
    void eraseOwnerAsAGdprRequest() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Owner ada = Owner.user("42");
        Owner bob = Owner.user("43");
        for (Tenant t : List.of(acme, globex)) {
            for (Owner o : List.of(ada, bob)) {
                Conversation c = t.conversations().create(NewConversation.of(o, "support"));
                t.conversations().append(c.id(), NewMessage.user("zanzibar passport of " + o.id()));
                ExecutionHandle e = t.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
                StepHandle step = e.step();
                step.finish("ok", FinishReason.STOP);
                e.usage(dev.atlas.execution.Usage.of(10, 5));
                e.reply(step, "zanzibar answer for " + o.id());
                e.complete();
                t.memories().create(NewMemory.fact(o, "zanzibar memory of " + o.id()));
                t.credentials().upsert(o, "mail", "s3cret-" + o.id());
            }
        }
        acme.graph().upsertNode(dev.atlas.graph.NewGraphNode.of("user:42").label("Ada"));
        // Revisions ada published of the tenant's assistant and settings (no owner): kept, their author cleared.
        UUID bot = acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot", "Bot")).id();
        var botRevision = acme.assistants().publish(bot, dev.atlas.assistant.NewRevision.of("Be brief.", Map.of()).author(ada));
        UUID defaults = acme.settings().create("defaults", "Defaults", null).id();
        var defaultsRevision = acme.settings().publish(defaults, Map.of("tone", "dry"), null, ada);
        // Owners an exact match keeps apart from user 42: another type, LIKE wildcards, a full-width look-alike, a longer id.
        List<Owner> lookAlikes = List.of(Owner.of("team", "42"), Owner.user("4_"), Owner.user("4%"), Owner.user("\uFF14\uFF12"), Owner.user("42\\"),
                Owner.user("420"));
        for (Owner o : lookAlikes) {
            Conversation c = acme.conversations().create(NewConversation.of(o, "support"));
            acme.conversations().append(c.id(), NewMessage.user("look-alike").author(ada));
            acme.memories().create(NewMemory.fact(o, "look-alike memory"));
            acme.credentials().upsert(o, "mail", "other");
        }
        Map<Owner, String> lookAlikesBefore = new LinkedHashMap<>();
        lookAlikes.forEach(o -> lookAlikesBefore.put(o, export(acme, ExportScope.owner(o))));
        String globexBefore = export(globex, ExportScope.tenant());
        String bobBefore = export(acme, ExportScope.owner(bob));
        String header = export(acme, ExportScope.owner(Owner.user("nobody")));
        java.time.Instant to = clock.instant().plusSeconds(60);

        dev.atlas.portability.EraseReport done = acme.portability().eraseOwner(ada, false);

        assertThat(done.counts()).containsEntry("conversations", 1L).containsEntry("messages", 2L).containsEntry("executions", 1L)
                .containsEntry("memories", 1L).containsEntry("credentials", 1L).containsEntry("messages_detached", (long) lookAlikes.size())
                .containsEntry("assistant_revisions_detached", 1L).containsEntry("settings_revisions_detached", 1L);
        // Their conversations keep ada's message, its author cleared (a null column is left out of the file), nothing else changed.
        lookAlikes.forEach(o -> assertThat(export(acme, ExportScope.owner(o))).as(o.toString())
                .isEqualTo(lookAlikesBefore.get(o).replace(",\"author_type\":\"user\",\"author_id\":\"42\"", "")));
        assertThat(export(acme, ExportScope.owner(ada))).isEqualTo(header);
        assertThat(acme.search().text(dev.atlas.search.TextQuery.messages("zanzibar"))).extracting(h -> h.snippet())
                .containsExactlyInAnyOrder("[zanzibar] passport of 43", "[zanzibar] answer for 43");
        assertThat(acme.search().text(dev.atlas.search.TextQuery.memories("zanzibar"))).extracting(h -> h.snippet())
                .containsExactly("[zanzibar] memory of 43");
        assertThat(acme.credentials().get(ada, "mail")).isEmpty();
        assertThat(acme.executions().usageReport(dev.atlas.execution.UsageGroup.TENANT, java.time.Instant.EPOCH, to))
                .extracting(r -> r.executions()).containsExactly(1L);
        assertThat(acme.portability().eraseOwner(ada, false).counts()).isEmpty();
        assertThat(export(acme, ExportScope.owner(bob))).isEqualTo(bobBefore);
        assertThat(export(globex, ExportScope.tenant())).isEqualTo(globexBefore);
        assertThat(acme.graph().getNode("user:42")).map(n -> n.label()).contains("Ada");
        // The revisions stay as they were, but for their author.
        assertThat(acme.assistants().currentRevision(bot).orElseThrow().toString())
                .isEqualTo(botRevision.toString().replace("author=user:42,", "author=null,"));
        assertThat(acme.settings().currentRevision(defaults).orElseThrow().toString())
                .isEqualTo(defaultsRevision.toString().replace("author=user:42,", "author=null,"));
        assertThat(botRevision.author()).isEqualTo(ada);
        assertThat(defaultsRevision.author()).isEqualTo(ada);
    }

    @Test
    @DisplayName("the cursors TenantIsolationContract#cursorOfAnotherTenantIsRefusedByEveryListing leaves out (an owner's credentials,"
            + " a settings document's and an assistant's revisions): acme's next cursor, handed to globex's same listing (the same owner,"
            + " name and slug, its own ids), is refused on cursor as a cursor globex never minted, naming nothing of acme")
    void cursorsOfRevisionsAndCredentialsAreTheTenants() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Owner user = Owner.user("42");
        Map<Tenant, UUID> settings = new LinkedHashMap<>();
        Map<Tenant, UUID> assistants = new LinkedHashMap<>();
        for (Tenant t : List.of(acme, globex)) {
            t.credentials().upsert(user, "a", "s1");
            t.credentials().upsert(user, "b", "s2");
            Settings st = t.settings().create("chat", "Chat", user);
            t.settings().publish(st.id(), Map.of("v", 1), "v1", user);
            t.settings().publish(st.id(), Map.of("v", 2), "v2", user);
            settings.put(t, st.id());
            Assistant a = t.assistants().create(AssistantSpec.of("helper", "Helper"));
            t.assistants().publish(a.id(), NewRevision.of("one", Map.of()));
            t.assistants().publish(a.id(), NewRevision.of("two", Map.of()));
            assistants.put(t, a.id());
        }
        Map<String, java.util.function.BiFunction<Tenant, String, Page<?>>> listings = new LinkedHashMap<>();
        listings.put("credentials.list", (t, k) -> t.credentials().list(user, 1, k));
        listings.put("settings.revisions", (t, k) -> t.settings().revisions(settings.get(t), 1, k));
        listings.put("assistants.revisions", (t, k) -> t.assistants().revisions(assistants.get(t), 1, k));
        List<String> seen = new ArrayList<>();
        listings.forEach((name, listing) -> {
            String cursor = listing.apply(acme, null).nextCursor().orElseThrow();
            assertThat(listing.apply(acme, cursor).items()).as(name + " pages on in acme").hasSize(1);
            String forged = cursor.substring(0, cursor.length() - 2) + (cursor.endsWith("AA") ? "BB" : "AA");
            String foreign = outcome(UUID.randomUUID(), x -> listing.apply(globex, cursor));
            seen.add(name + ": " + foreign.replace(cursor, "<cursor>") + " / forged: " + outcome(UUID.randomUUID(), x -> listing.apply(globex, forged))
                    .replace(forged, "<cursor>"));
        });
        String refused = "InvalidInputException [cursor] cursor: is not a cursor returned by a previous page of this listing";
        assertThat(seen).containsExactly("credentials.list: " + refused + " / forged: " + refused,
                "settings.revisions: " + refused + " / forged: " + refused, "assistants.revisions: " + refused + " / forged: " + refused);
    }

    @Test
    @DisplayName("tenant ids that LIKE, case folding, NFKC or a prefix would merge (acme, Acme, ACME, a full-width acme, acm_, acm%, acm\\,"
            + " acme/.., acme:1, SQL text) are separate tenants: each lists, counts, searches, exports and erases its own rows alone")
    void lookAlikeTenantIdsShareNothing() {
        List<String> ids = List.of("acme", "Acme", "ACME", "\uFF41\uFF43\uFF4D\uFF45", "acm_", "acm%", "acm\\", "acme/..", "acme:1",
                "acme' OR '1'='1");
        Owner user = Owner.user("42");
        Map<String, UUID> conversations = new LinkedHashMap<>();
        for (String id : ids) {
            Tenant t = atlas.tenant(id);
            Conversation c = t.conversations().create(NewConversation.of(user, "support"));
            t.conversations().append(c.id(), NewMessage.user("quokka of " + id));
            t.memories().create(NewMemory.fact(user, "quokka memory of " + id));
            conversations.put(id, c.id());
        }
        for (String id : ids) {
            Tenant t = atlas.tenant(id);
            assertThat(t.conversations().list(dev.atlas.conversation.ConversationQuery.forOwner(user).limit(100)).items())
                    .as(id).extracting(Conversation::id, Conversation::tenantId).containsExactly(org.assertj.core.groups.Tuple.tuple(conversations.get(id), id));
            assertThat(t.search().text(dev.atlas.search.TextQuery.messages("quokka"))).as(id).extracting(h -> h.snippet())
                    .containsExactly("[quokka] of " + id);
            assertThat(t.memories().list(dev.atlas.memory.MemoryQuery.forOwner(user).limit(100)).items()).as(id)
                    .extracting(Memory::content).containsExactly("quokka memory of " + id);
            // the conversation (titled by its first message), the message and the memory: its own three rows
            assertThat(export(t, ExportScope.tenant()).lines().filter(l -> l.contains("quokka")).count()).as(id).isEqualTo(3);
        }
        assertThat(atlas.tenant("acm_").portability().eraseOwner(user, false).counts()).containsEntry("conversations", 1L)
                .containsEntry("memories", 1L);
        for (String id : ids) {
            assertThat(atlas.tenant(id).conversations().get(conversations.get(id))).as(id).isEqualTo(id.equals("acm_")
                    ? Optional.empty() : atlas.tenant(id).conversations().get(conversations.get(id)).filter(c -> c.tenantId().equals(id)));
            assertThat(atlas.tenant(id).memories().list(dev.atlas.memory.MemoryQuery.forOwner(user).limit(100)).items()).as(id)
                    .hasSize(id.equals("acm_") ? 0 : 1);
        }
    }

    private static String export(Tenant t, ExportScope scope) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.portability().exportTo(out, scope);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What acme sees of itself: its whole export, listings, counts and usage, as text. */
    private String acmeAsSeen(Tenant acme, Owner user) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        acme.portability().exportTo(out, ExportScope.tenant());
        StringBuilder seen = new StringBuilder(out.toString(StandardCharsets.UTF_8));
        seen.append(acme.conversations().list(dev.atlas.conversation.ConversationQuery.forOwner(user).limit(100)).items());
        for (Conversation c : acme.conversations().list(dev.atlas.conversation.ConversationQuery.forOwner(user).limit(100)).items()) {
            seen.append(acme.conversations().unreadCount(c.id())).append(acme.conversations().history(c.id()));
        }
        seen.append(acme.assistants().list(100, null).items()).append(acme.settings().list(null, 100, null).items())
                .append(acme.memories().list(dev.atlas.memory.MemoryQuery.forOwner(user).limit(100)).items())
                .append(acme.tasks().list(dev.atlas.task.TaskQuery.all()).items())
                .append(acme.executions().list(dev.atlas.execution.ExecutionQuery.all().limit(100)).items())
                .append(acme.executions().usageReport(dev.atlas.execution.UsageGroup.TENANT, java.time.Instant.EPOCH, clock.instant().plusSeconds(60)))
                .append(acme.executions().usageReport(dev.atlas.execution.UsageGroup.MODEL, java.time.Instant.EPOCH, clock.instant().plusSeconds(60)))
                .append(acme.search().text(dev.atlas.search.TextQuery.messages("words")));
        return seen.toString();
    }
}
