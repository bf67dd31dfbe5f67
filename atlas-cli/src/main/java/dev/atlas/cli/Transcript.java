package dev.atlas.cli;

import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A conversation as a reader sees it, shared by {@code conversations show} and the viewer: every
 * stored message (replaced retries included) with its branch position, the tool rounds of the
 * execution that produced it (under the first message of that execution on the page), its first
 * {@value #ATTACHMENTS_SHOWN} attachments with the count of the others, and the tool threads
 * started from its tool calls. {@code messageCounts} holds, for the conversation and each of its
 * threads, how many of its messages are not deleted: what a reader can see of it.
 */
record Transcript(Conversation conversation, List<Entry> entries, Map<UUID, List<Conversation>> threadsByToolCall,
                  List<Conversation> otherThreads, Map<UUID, Long> messageCounts, boolean more) {

    /** How many messages of the conversation or thread are not deleted. */
    long messages(Conversation c) {
        return messageCounts.getOrDefault(c.id(), 0L);
    }

    /**
     * Attachments shown per message, in attachment order: a message may carry thousands, and a
     * transcript reads one page of them; the others are counted, never read.
     */
    static final int ATTACHMENTS_SHOWN = 20;

    /**
     * One message. {@code branch} is its 1-based position among the retry siblings answering
     * the same parent (0 when it has none), {@code activeSequence} the sequence of the active one;
     * {@code attachments} its first {@value #ATTACHMENTS_SHOWN} live attachments and
     * {@code attachmentsNotShown} how many live ones follow them.
     */
    record Entry(Message message, int branch, int branches, long activeSequence, List<ExecutionStep> toolSteps,
                 List<AttachedAsset> attachments, long attachmentsNotShown) {}

    static Transcript load(Tenant tenant, Database db, UUID conversationId, long afterSequence, int limit) throws SQLException {
        return load(tenant, db, conversationId, afterSequence, limit, new HashSet<>());
    }

    /**
     * One chunk of a transcript read in several: {@code executionsShown} are the executions whose
     * tool calls an earlier chunk showed (not shown again), and gets this chunk's.
     */
    static Transcript load(Tenant tenant, Database db, UUID conversationId, long afterSequence, int limit, Set<UUID> executionsShown)
            throws SQLException {
        Conversation conversation = tenant.conversations().require(conversationId);
        List<Message> page = tenant.conversations().messages(conversationId, afterSequence, limit + 1);
        boolean more = page.size() > limit;
        List<Message> messages = more ? page.subList(0, limit) : page;
        // A page after the first: an execution whose first message an earlier page holds had its tool
        // calls shown there (the viewer's "Later messages", the CLI's --after).
        Set<UUID> unseen = new LinkedHashSet<>();
        messages.stream().map(Message::executionId).filter(x -> x != null && !executionsShown.contains(x)).forEach(unseen::add);
        if (afterSequence > 0 && !unseen.isEmpty()) {
            try (Connection c = db.connect()) {
                executionsShown.addAll(db.executionsBefore(c, tenant.id(), conversationId, afterSequence, unseen));
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (Message m : messages) {
            int branch = 0;
            int branches = 0;
            long active = m.active() ? m.sequence() : 0;
            if (m.parentId() != null) {
                List<Message> siblings = tenant.conversations().siblings(m.id()).stream().filter(s -> s.role() == m.role()).toList();
                if (siblings.size() > 1) {
                    branches = siblings.size();
                    for (int i = 0; i < siblings.size(); i++) {
                        if (siblings.get(i).id().equals(m.id())) {
                            branch = i + 1;
                        }
                        if (siblings.get(i).active()) {
                            active = siblings.get(i).sequence();
                        }
                    }
                }
            }
            List<ExecutionStep> toolSteps = List.of();
            // Once per execution, under its first message: Spring AI's memory links the answer asking
            // for the tools, the tool message and the final answer to one execution.
            if (m.executionId() != null && executionsShown.add(m.executionId())) {
                Optional<ExecutionTree> tree = tenant.executions().tree(m.executionId());
                toolSteps = tree.map(t -> t.steps().stream().filter(s -> !s.toolCalls().isEmpty()).toList()).orElse(List.of());
            }
            // One page of attachments, not all of them; the rest only counted (after the page: one
            // attached or deleted in between is counted as it then stands).
            Page<AttachedAsset> attachments;
            try {
                attachments = tenant.assets().forMessage(m.id(), ATTACHMENTS_SHOWN, null);
            } catch (NotFoundException deletedMeanwhile) {
                // Deleted (or its conversation) since the page was listed, by an application writing
                // while it is read: shown as listed, without attachments, rather than failing the page.
                attachments = new Page<>(List.of(), Optional.empty());
            }
            long notShown = 0;
            if (attachments.hasMore()) {
                try (Connection c = db.connect()) {
                    notShown = Math.max(0, db.liveAttachments(c, tenant.id(), m.id()) - attachments.items().size());
                }
            }
            entries.add(new Entry(m, branch, branches, active, toolSteps, attachments.items(), notShown));
        }
        Map<UUID, List<Conversation>> byCall = new LinkedHashMap<>();
        List<Conversation> other = new ArrayList<>();
        Map<UUID, Long> counts;
        try (Connection c = db.connect()) {
            List<UUID> children = db.childConversations(c, tenant.id(), conversationId);
            for (UUID childId : children) {
                tenant.conversations().get(childId).ifPresent(child -> {
                    if (child.parentToolCallId() != null) {
                        byCall.computeIfAbsent(child.parentToolCallId(), k -> new ArrayList<>()).add(child);
                    } else {
                        other.add(child);
                    }
                });
            }
            counts = db.liveMessagesOfTree(c, tenant.id(), conversationId);
        }
        return new Transcript(conversation, entries, byCall, other, counts, more);
    }
}
