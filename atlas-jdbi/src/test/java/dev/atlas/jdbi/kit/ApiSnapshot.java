package dev.atlas.jdbi.kit;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantQuery;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.Settings;
import dev.atlas.assistant.SettingsRevision;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationEventQuery;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.Message;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ToolCallQuery;
import dev.atlas.execution.UsageGroup;
import dev.atlas.graph.Direction;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import dev.atlas.task.TaskQuery;
import dev.atlas.voice.VoiceCallQuery;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What a tenant holds, read through the public API alone: every listing (whole, first page of
 * {@link Limits#MAX_PAGE_SIZE}), and for each listed row its own reads (a conversation's messages,
 * history, sibling groups, event trail, tool threads, unread count, voice calls and tasks; a
 * message's events and attachments; an execution's tree and assets; a memory's revisions; an
 * assistant's and a settings document's revisions and current revision; a node's neighbours), a
 * text search, a semantic search, the usage report by every group, credentials with their secrets,
 * and the assets given by id (an asset attached to no message and made by no execution is listed
 * nowhere). Keys name each read, so two snapshots compare read by read. A page's cursor is left
 * out (it is the reader's token, not data); whether there is a next page is kept.
 */
public final class ApiSnapshot {
    private static final int ALL = Limits.MAX_PAGE_SIZE;

    private ApiSnapshot() {}

    /**
     * Reads {@code t}.
     *
     * @param t the tenant
     * @param assetIds assets to read by id besides those the listings reach
     * @param words words to search messages and memories for
     * @param model a vector model to search every target of
     * @param graphKeys graph nodes to read with their neighbours
     * @param prices provider and model pairs whose price history to read
     * @return each read by name, in reading order
     */
    public static Map<String, Object> read(Tenant t, Collection<UUID> assetIds, List<String> words, String model,
                                           List<String> graphKeys, List<String[]> prices) {
        Map<String, Object> out = new LinkedHashMap<>();
        Set<Owner> owners = new LinkedHashSet<>();
        List<Conversation> conversations = t.conversations().list(ConversationQuery.all().includeDeleted(true).limit(ALL)).items();
        out.put("conversations", conversations);
        for (Conversation c : conversations) {
            String k = "conversation " + c.id() + " ";
            owners.add(c.owner());
            out.put(k + "get", t.conversations().get(c.id()));
            if (c.externalKey() != null) {
                out.put(k + "byKey", t.conversations().getByKey(c.externalKey()));
            }
            if (c.deletedAt() != null) {
                continue;
            }
            List<Message> messages = t.conversations().messages(c.id(), 0, ALL);
            out.put(k + "messages", messages);
            out.put(k + "history", t.conversations().history(c.id()));
            out.put(k + "historyWithTools", t.executions().historyWithTools(c.id(), ALL));
            out.put(k + "events", items(t.conversations().events(ConversationEventQuery.forConversation(c.id()).limit(ALL))));
            out.put(k + "toolThreads", items(t.conversations().toolThreads(c.id(), ALL, null)));
            out.put(k + "unread", t.conversations().unreadCount(c.id()));
            out.put(k + "voiceCalls", items(t.voiceCalls().byConversation(c.id(), ALL, null)));
            out.put(k + "tasks", items(t.tasks().forConversation(c.id(), ALL, null)));
            out.put(k + "executions", items(t.executions().list(ExecutionQuery.all().conversation(c.id()).limit(ALL))));
            for (Message m : messages) {
                String mk = "message " + m.id() + " ";
                out.put(mk + "get", t.conversations().getMessage(m.id()));
                out.put(mk + "siblings", t.conversations().siblings(m.id()));
                out.put(mk + "siblingGroups", t.conversations().siblingGroups(m.id()));
                out.put(mk + "canRetry", t.conversations().canRetry(m.id()));
                out.put(mk + "events", items(t.conversations().events(dev.atlas.conversation.MessageEventQuery.forMessage(m.id()).limit(ALL))));
                List<AttachedAsset> attached = t.assets().forMessage(m.id());
                out.put(mk + "attachments", attached);
                out.put(mk + "attachmentsPaged", items(t.assets().forMessage(m.id(), ALL, null)));
            }
            if (c.parentToolCallId() != null) {
                out.put(k + "toolThreadOfCall", t.conversations().toolThread(c.parentToolCallId()));
            }
        }
        List<Execution> executions = t.executions().list(ExecutionQuery.all().limit(ALL)).items();
        out.put("executions", executions);
        for (Execution e : executions) {
            String k = "execution " + e.id() + " ";
            out.put(k + "get", t.executions().get(e.id()));
            out.put(k + "tree", t.executions().tree(e.id()));
            out.put(k + "assets", t.assets().byExecution(e.id()));
            out.put(k + "assetsPaged", items(t.assets().byExecution(e.id(), ALL, null)));
        }
        out.put("toolCalls", items(t.executions().toolCalls(ToolCallQuery.all().limit(ALL))));
        for (dev.atlas.execution.ExecutionStatus s : dev.atlas.execution.ExecutionStatus.values()) {
            if (s != dev.atlas.execution.ExecutionStatus.PENDING) {
                out.put("toolCalls " + s, items(t.executions().toolCalls(ToolCallQuery.all().status(s).limit(ALL))));
            }
        }
        for (UsageGroup g : UsageGroup.values()) {
            out.put("usage " + g, t.executions().usageReport(g, Instant.EPOCH, Limits.MAX_INSTANT));
        }
        for (UUID id : assetIds) {
            Asset a = t.assets().get(id).orElse(null);
            out.put("asset " + id, a);
            if (a != null) {
                out.put("asset " + id + " bySha256", t.assets().getBySha256(a.sha256()).map(Asset::id));
            }
        }
        List<Memory> memories = t.memories().list(MemoryQuery.all().limit(ALL)).items();
        out.put("memories", memories);
        for (Memory m : memories) {
            owners.add(m.owner());
            out.put("memory " + m.id() + " get", t.memories().get(m.id()));
            out.put("memory " + m.id() + " revisions", t.memories().revisions(m.id()));
            out.put("memory " + m.id() + " revisionsPaged", items(t.memories().revisions(m.id(), ALL, null)));
        }
        out.put("tasks", items(t.tasks().list(TaskQuery.all().limit(ALL))));
        out.put("schedules", items(t.tasks().schedules(ALL, null)));
        out.put("voiceCalls", items(t.voiceCalls().list(VoiceCallQuery.all().limit(ALL))));
        for (var v : t.voiceCalls().list(VoiceCallQuery.all().limit(ALL)).items()) {
            out.put("voiceCall " + v.id() + " bySession", t.voiceCalls().bySession(v.sessionId()));
        }
        List<Assistant> assistants = t.assistants().list(AssistantQuery.all().limit(ALL)).items();
        out.put("assistants", assistants);
        for (Assistant a : assistants) {
            String k = "assistant " + a.id() + " ";
            out.put(k + "bySlug", t.assistants().getBySlug(a.slug()));
            out.put(k + "revisions", t.assistants().revisions(a.id()));
            out.put(k + "current", t.assistants().currentRevision(a.id()));
            for (AssistantRevision r : t.assistants().revisions(a.id())) {
                out.put(k + "revision " + r.number(), t.assistants().getRevision(r.id()));
            }
        }
        List<Settings> settings = t.settings().list(null, ALL, null).items();
        out.put("settings", settings);
        for (Settings s : settings) {
            String k = "settings " + s.id() + " ";
            out.put(k + "bySlug", t.settings().getBySlug(s.slug()));
            out.put(k + "revisions", t.settings().revisions(s.id()));
            out.put(k + "current", t.settings().currentRevision(s.id()).map(SettingsRevision::id));
        }
        for (String key : graphKeys) {
            out.put("node " + key, t.graph().getNode(key));
            out.put("node " + key + " neighbours", t.graph().neighbours(key, Direction.BOTH, null));
        }
        for (String[] p : prices) {
            out.put("prices " + p[0] + "/" + p[1], t.prices().list(p[0], p[1]));
        }
        for (String w : words) {
            out.put("text messages " + w, t.search().text(TextQuery.messages(w).limit(100)));
            out.put("text memories " + w, t.search().text(TextQuery.memories(w).limit(100)));
        }
        for (SearchTarget target : SearchTarget.values()) {
            float[] probe = new float[t.search().dimension(model)];
            Arrays.fill(probe, 0.5f);
            out.put("similar " + target, t.search().similar(SemanticQuery.of(target, model, probe).k(50)));
        }
        for (Owner o : owners) {
            List<dev.atlas.credential.CredentialInfo> creds = t.credentials().list(o);
            out.put("credentials " + o, creds);
            for (var ci : creds) {
                out.put("credential " + o + " " + ci.name(), t.credentials().get(o, ci.name()).map(dev.atlas.credential.Secret::reveal));
            }
            out.put("tasks of " + o, items(t.tasks().list(TaskQuery.all().owner(o).limit(ALL))));
            out.put("memories of " + o, items(t.memories().list(MemoryQuery.forOwner(o).limit(ALL))));
            out.put("assistants of " + o, items(t.assistants().list(AssistantQuery.forOwner(o).limit(ALL))));
            out.put("settings of " + o, items(t.settings().list(o, ALL, null)));
            out.put("voiceCalls of " + o, items(t.voiceCalls().list(VoiceCallQuery.all().owner(o).limit(ALL))));
            out.put("executions of " + o, items(t.executions().list(ExecutionQuery.all().owner(o).limit(ALL))));
        }
        return out;
    }

    private static <T> List<Object> items(Page<T> page) {
        List<Object> out = new ArrayList<>(page.items());
        out.add("hasMore=" + page.hasMore());
        return out;
    }
}
