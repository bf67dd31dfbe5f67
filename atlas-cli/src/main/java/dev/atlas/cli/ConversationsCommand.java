package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.ConversationStatus;
import dev.atlas.conversation.Message;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ToolCall;
import dev.atlas.search.SearchHit;
import dev.atlas.search.TextQuery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;

@Command(name = "conversations", mixinStandardHelpOptions = true, description = "Lists conversations or shows one's transcript.",
        subcommands = {ConversationsCommand.List.class, ConversationsCommand.Show.class})
final class ConversationsCommand implements Callable<Integer> {
    @ParentCommand
    AtlasCli root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: list or show <id>");
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Conversations of the tenant, most recent activity first (or oldest first with --order creation), one page at a time.")
    static final class List implements Callable<Integer> {
        @ParentCommand
        ConversationsCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--limit", defaultValue = "20", description = "Conversations per page, 1 to 100 (default: ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--after", paramLabel = "<cursor>", description = "The cursor printed under the previous page.")
        String after;

        @Option(names = "--agent", description = "Only this agent's conversations.")
        String agent;

        @Option(names = "--owner", paramLabel = "<type:id>",
                description = "Only this owner's conversations, e.g. user:42 (the type ends at the first ':'; the id may hold ':').")
        String owner;

        @Option(names = "--owner-type", paramLabel = "<type>", description = "With --owner-id, instead of --owner: an owner whose type holds ':'.")
        String ownerType;

        @Option(names = "--owner-id", paramLabel = "<id>", description = "With --owner-type, instead of --owner.")
        String ownerId;

        @Option(names = "--status", description = "Only conversations with this status: open, archived or closed.")
        String status;

        @Option(names = "--order", paramLabel = "<order>",
                description = "activity (default): most recent activity first, a live view; creation: oldest first by id, never skipping"
                        + " nor repeating a conversation while messages are appended (to go through every one)."
                        + " A cursor reads on only with the --order that gave it.")
        String order;

        @Option(names = "--search", paramLabel = "<words>", description = "Conversations with a message containing every word (full-text).")
        String search;

        @Override
        public Integer call() throws SQLException {
            if (limit < 1 || limit > 100) {
                throw new ParameterException(spec.commandLine(), "--limit: must be between 1 and 100, was " + limit);
            }
            if (search != null && search.isBlank()) {
                // As --agent and --model: an empty variable in a script would otherwise print "No conversations."
                throw new ParameterException(spec.commandLine(), "--search: must not be blank when given");
            }
            if (search != null) {
                // The search lists conversations by best hit, not through the filtered, paged listing.
                java.util.List<String> given = new ArrayList<>();
                if (after != null) {
                    given.add("--after");
                }
                if (agent != null) {
                    given.add("--agent");
                }
                if (owner != null) {
                    given.add("--owner");
                }
                if (ownerType != null) {
                    given.add("--owner-type");
                }
                if (ownerId != null) {
                    given.add("--owner-id");
                }
                if (status != null) {
                    given.add("--status");
                }
                if (order != null) {
                    given.add("--order");
                }
                if (!given.isEmpty()) {
                    throw new ParameterException(spec.commandLine(), "--search: cannot be combined with " + String.join(", ", given));
                }
            }
            // After what cannot be combined: a half owner, or an --order of no value, given with --search is refused for --search.
            ConversationQuery.Order by = order(spec, order);
            Owner ownerGiven = owner(spec, owner, ownerType, ownerId);
            AtlasCli root = parent.root;
            PrintWriter out = spec.commandLine().getOut();
            Database db = root.database(spec.commandLine());
            try (Atlas atlas = db.open()) {
                Tenant tenant = atlas.tenant(root.tenantOrDefault());
                java.util.List<Conversation> items;
                Optional<String> next = Optional.empty();
                boolean maybeMore = false;
                if (search != null) {
                    Found found = search(tenant, search, limit);
                    items = found.items();
                    maybeMore = found.maybeMore();
                } else {
                    ConversationQuery q = ConversationQuery.all().order(by).limit(limit).after(after).agent(agent)
                            .status(status == null ? null : ConversationStatus.of(status));
                    if (ownerGiven != null) {
                        q = q.owner(ownerGiven);
                    }
                    Page<Conversation> page = tenant.conversations().list(q);
                    items = page.items();
                    next = page.nextCursor();
                }
                if (items.isEmpty()) {
                    out.println("No conversations.");
                } else {
                    java.util.Map<UUID, Long> counts;
                    try (java.sql.Connection c = db.connect()) {
                        counts = db.liveMessages(c, tenant.id(), items.stream().map(Conversation::id).toList());
                    }
                    java.util.List<String[]> rows = new ArrayList<>();
                    rows.add(new String[]{"ID", "LAST ACTIVITY", "MESSAGES", "STATUS", "AGENT", "OWNER", "TITLE"});
                    for (Conversation c : items) {
                        rows.add(new String[]{c.id().toString(), Text.time(c.lastMessageAt() != null ? c.lastMessageAt() : c.createdAt()),
                                String.format(Locale.ROOT, "%,d", counts.getOrDefault(c.id(), 0L)), c.status().toString(), Text.oneLine(c.agent() == null ? "-" : c.agent()),
                                Text.oneLine(c.owner().toString()), Text.cutOneLine(c.title() == null ? "" : c.title(), 60)});
                    }
                    out.print(Text.table(rows, new boolean[]{false, false, true, false, false, false, false}));
                }
                next.ifPresent(cursor -> out.println(more(spec, "conversations list", new String[][]{
                        {"--agent", agent}, {"--owner", owner}, {"--owner-type", ownerType}, {"--owner-id", ownerId}, {"--status", status}, {"--order", order}}, cursor)));
                if (maybeMore) {
                    out.println(MAYBE_MORE);
                }
            }
            out.flush();
            return AtlasCli.OK;
        }

        /** The order {@code value} names (activity or creation, in any case), activity when not given. */
        static ConversationQuery.Order order(CommandSpec spec, String value) {
            if (value == null) {
                return ConversationQuery.Order.ACTIVITY;
            }
            for (ConversationQuery.Order o : ConversationQuery.Order.values()) {
                if (o.name().equalsIgnoreCase(value)) {
                    return o;
                }
            }
            throw new ParameterException(spec.commandLine(), "--order: '" + value + "' is not one of [activity, creation]");
        }

        /**
         * The owner given as {@code --owner <type>:<id>} (split at the first ':', so an id may hold
         * ':') or as {@code --owner-type} and {@code --owner-id} (any owner the library takes, a type
         * holding ':' included), or null when none is given. A value the library refuses is a usage
         * error named by the option that gave it.
         */
        static Owner owner(CommandSpec spec, String value, String type, String id) {
            if (value != null && (type != null || id != null)) {
                throw new ParameterException(spec.commandLine(), "--owner: cannot be combined with " + (type != null ? "--owner-type" : "--owner-id"));
            }
            if ((type == null) != (id == null)) {
                throw new ParameterException(spec.commandLine(), type == null ? "--owner-id: needs --owner-type" : "--owner-type: needs --owner-id");
            }
            if (type != null) {
                try {
                    return Owner.of(type, id);
                } catch (dev.atlas.InvalidInputException e) {
                    String option = e.field().equals("owner.type") ? "--owner-type" : "--owner-id";
                    throw new ParameterException(spec.commandLine(), option + e.getMessage().substring(e.field().length()));
                }
            }
            if (value == null) {
                return null;
            }
            int colon = value.indexOf(':');
            if (colon <= 0 || colon == value.length() - 1) {
                throw new ParameterException(spec.commandLine(), "--owner: must be <type>:<id>, e.g. user:42, was '" + value + "'");
            }
            return Owner.of(value.substring(0, colon), value.substring(colon + 1));
        }
    }

    /**
     * The line under a page that gives the command of the next one: {@code command}, then every
     * option that shapes the listing as given ({@code --limit} when given, then each of
     * {@code options} with a value, in that order, as {@code --option=value} quoted for a shell), then
     * {@code --after} and the cursor. A copied command without them would read another listing (or
     * refuse the cursor). One word with its option: a value starting with {@code @} as a word of its
     * own is read by picocli as an argument file. The cursor never starts with {@code @}.
     */
    static String more(CommandSpec spec, String command, String[][] options, String cursor) {
        StringBuilder b = new StringBuilder("More: atlas ... ").append(command);
        if (spec.commandLine().getParseResult().hasMatchedOption("--limit")) {
            b.append(" --limit=").append((int) spec.commandLine().getParseResult().matchedOptionValue("--limit", 0));
        }
        for (String[] option : options) {
            if (option[1] != null) {
                b.append(' ').append(option[0]).append('=').append(Text.shellWord(option[1]));
            }
        }
        return b.append(" --after ").append(cursor).toString();
    }

    /**
     * Conversations with a message matching the words, in the order of their best hit, and
     * whether there may be more: the search is by message, one page of the best hits (the
     * library has no next page), so a few busy conversations can fill it.
     */
    record Found(java.util.List<Conversation> items, boolean maybeMore) {}

    static final String MAYBE_MORE = "Only the " + Limits.MAX_PAGE_SIZE
            + " best-matching messages were searched: other conversations may match (add words to narrow it).";

    static Found search(Tenant tenant, String words, int limit) {
        Set<UUID> ids = new LinkedHashSet<>();
        java.util.List<SearchHit> hits = tenant.search().text(TextQuery.messages(words).limit(Limits.MAX_PAGE_SIZE));
        for (SearchHit hit : hits) {
            if (hit.conversationId() != null && ids.size() < limit) {
                ids.add(hit.conversationId());
            }
        }
        java.util.List<Conversation> found = new ArrayList<>();
        for (UUID id : ids) {
            tenant.conversations().get(id).ifPresent(found::add);
        }
        return new Found(found, hits.size() == Limits.MAX_PAGE_SIZE && ids.size() < limit);
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "A conversation's transcript: every message with replaced retries marked, tool rounds, attachments and tool threads.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        ConversationsCommand parent;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "<id>", description = "The conversation's id.")
        UUID id;

        @Option(names = "--limit", defaultValue = "1000", description = "Messages to show, 1 to 1000 (default: ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--after", paramLabel = "<sequence>", defaultValue = "0", description = "Start after this message sequence.")
        long after;

        @Override
        public Integer call() throws SQLException {
            if (limit < 1 || limit > 1000) {
                throw new ParameterException(spec.commandLine(), "--limit: must be between 1 and 1000, was " + limit);
            }
            if (after < 0) {
                throw new ParameterException(spec.commandLine(), "--after: must be a message sequence (0 or more), was " + after);
            }
            AtlasCli root = parent.root;
            Database db = root.database(spec.commandLine());
            PrintWriter out = spec.commandLine().getOut();
            try (Atlas atlas = db.open()) {
                Tenant tenant = atlas.tenant(root.tenantOrDefault());
                java.util.Set<UUID> executionsShown = new java.util.HashSet<>();
                Transcript t = Transcript.load(tenant, db, id, after, Math.min(limit, 100), executionsShown);
                java.util.List<Transcript.Entry> entries = new ArrayList<>(t.entries());
                boolean more = t.more();
                while (more && entries.size() < limit) {
                    long last = entries.get(entries.size() - 1).message().sequence();
                    Transcript next = Transcript.load(tenant, db, id, last, Math.min(100, limit - entries.size()), executionsShown);
                    entries.addAll(next.entries());
                    more = next.more();
                }
                // The --limit given is repeated, as the More line of a listing repeats it: the next page is of the same size.
                print(out, t, entries, more, spec.commandLine().getParseResult().hasMatchedOption("--limit") ? " --limit=" + limit : "");
            }
            out.flush();
            return AtlasCli.OK;
        }

        private static void print(PrintWriter out, Transcript t, java.util.List<Transcript.Entry> entries, boolean more, String limitGiven) {
            Conversation c = t.conversation();
            out.printf(Locale.ROOT, "Conversation %s: %s%n", c.id(), Text.oneLine(c.title() == null ? "(untitled)" : c.title()));
            out.printf(Locale.ROOT, "  %s conversation of %s, agent %s, %s, created %s, %,d message%s%n", c.type(), Text.oneLine(c.owner().toString()),
                    Text.oneLine(c.agent() == null ? "-" : c.agent()), c.status(), Text.time(c.createdAt()), t.messages(c),
                    t.messages(c) == 1 ? "" : "s");
            if (c.parentConversationId() != null) {
                out.printf(Locale.ROOT, "  tool thread of conversation %s%s%n", c.parentConversationId(),
                        c.parentToolCallId() == null ? "" : ", tool call " + c.parentToolCallId());
            }
            for (Transcript.Entry e : entries) {
                Message m = e.message();
                out.println();
                StringBuilder head = new StringBuilder().append('#').append(m.sequence()).append(' ').append(m.role())
                        .append("  ").append(Text.time(m.createdAt()));
                if (m.author() != null) {
                    head.append("  by ").append(Text.oneLine(m.author().toString()));
                }
                if (e.branches() > 1) {
                    head.append("  [retry branch ").append(e.branch()).append(" of ").append(e.branches())
                            .append(m.active() ? ", active]" : e.activeSequence() == 0 ? ", hidden]" : ", replaced by #" + e.activeSequence() + "]");
                } else if (!m.active()) {
                    head.append("  [inactive]");
                }
                if (m.status() != dev.atlas.conversation.MessageStatus.DELIVERED) {
                    head.append("  [").append(m.status()).append(m.failureReason() == null ? "" : ": " + Text.oneLine(m.failureReason()))
                            .append(']');
                }
                if (m.executionId() != null) {
                    head.append("  execution ").append(m.executionId());
                }
                out.println(head);
                for (ExecutionStep step : e.toolSteps()) {
                    for (ToolCall call : step.toolCalls()) {
                        out.printf(Locale.ROOT, "   tool %s %s -> %s (%s)%n", Text.oneLine(call.name()), Text.cutOneLine(call.arguments(), 200),
                                Text.cutOneLine(call.result() == null ? call.status().toString() : call.result(), 200), call.status());
                        if (call.error() != null) {
                            out.printf(Locale.ROOT, "     error: %s%n", Text.cutOneLine(call.error(), 200));
                        }
                        for (Conversation thread : t.threadsByToolCall().getOrDefault(call.id(), java.util.List.of())) {
                            out.printf(Locale.ROOT, "     tool thread %s (%,d message%s)%n", thread.id(), t.messages(thread),
                                    t.messages(thread) == 1 ? "" : "s");
                        }
                    }
                }
                for (String line : Text.safe(m.content()).split("\n", -1)) {
                    out.println("   " + line);
                }
                for (AttachedAsset a : e.attachments()) {
                    out.printf(Locale.ROOT, "   attached: %s (%s, %,d byte%s, asset %s)%n", Text.oneLine(a.asset().filename()),
                            Text.oneLine(a.asset().mimeType()), a.asset().sizeBytes(), a.asset().sizeBytes() == 1 ? "" : "s", a.asset().id());
                }
                if (e.attachmentsNotShown() > 0) {
                    out.printf(Locale.ROOT, "   and %,d more attachment%s, not shown (a transcript lists a message's first %d)%n",
                            e.attachmentsNotShown(), e.attachmentsNotShown() == 1 ? "" : "s", Transcript.ATTACHMENTS_SHOWN);
                }
            }
            for (Conversation thread : t.otherThreads()) {
                out.printf(Locale.ROOT, "%nTool thread %s (%,d message%s)%n", thread.id(), t.messages(thread), t.messages(thread) == 1 ? "" : "s");
            }
            if (more) {
                long last = entries.get(entries.size() - 1).message().sequence();
                out.printf(Locale.ROOT, "%nMore messages: atlas ... conversations show %s%s --after %d%n", t.conversation().id(), limitGiven, last);
            }
        }
    }
}
