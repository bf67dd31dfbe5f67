package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetInputStream;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.Message;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;

import java.io.InputStream;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The viewer's JSON, read through the library's API. Content is returned as stored (the page
 * renders it as text), long texts (contents, arguments, results, errors, failure reasons,
 * captions, descriptions) cut at {@link #MAX_TEXT} characters with their full length.
 */
final class ViewerApi {
    static final int MAX_TEXT = 20_000;
    static final int PAGE = 25;
    static final int TRANSCRIPT_PAGE = 100;
    /** Images a browser shows inline; anything else (SVG included: it can carry script) is a download. */
    private static final Set<String> INLINE_IMAGES = Set.of("image/png", "image/jpeg", "image/gif", "image/webp");

    private final Atlas atlas;
    private final Database db;
    private final String pinned;

    ViewerApi(Atlas atlas, Database db, String pinnedTenant) {
        this.atlas = atlas;
        this.db = db;
        this.pinned = pinnedTenant;
    }

    static final class Forbidden extends RuntimeException {
        Forbidden(String message) {
            super(message);
        }
    }

    /** An asset to send: its type, whether a browser may show it, its size, and its bytes, to be read once and closed. */
    record Bytes(UUID id, String mimeType, boolean inline, long size, InputStream content) {}

    /** The body for {@code /api/<parts>}, or null for no such endpoint. */
    Object route(List<String> parts, Map<String, String> q) throws SQLException {
        String head = parts.get(0);
        if (parts.size() == 1 && head.equals("meta")) {
            return meta();
        }
        if (parts.size() == 1 && head.equals("conversations")) {
            return conversations(tenant(q), q);
        }
        if (parts.size() == 2 && head.equals("conversations")) {
            return transcript(tenant(q), id("id", parts.get(1)), q);
        }
        if (parts.size() == 1 && head.equals("executions")) {
            return executions(tenant(q), q);
        }
        if (parts.size() == 2 && head.equals("executions")) {
            return execution(tenant(q), id("id", parts.get(1)));
        }
        if (parts.size() == 1 && head.equals("usage")) {
            return usage(tenant(q), q);
        }
        return null;
    }

    private Tenant tenant(Map<String, String> q) {
        String asked = q.get("tenant");
        if (pinned != null) {
            if (asked != null && !asked.isEmpty() && !asked.equals(pinned)) {
                throw new Forbidden("this viewer shows tenant " + pinned + " only");
            }
            return atlas.tenant(pinned);
        }
        String id = asked == null || asked.isEmpty() ? Atlas.DEFAULT_TENANT : asked;
        String refusal = Database.tenantRefusal(id);
        if (refusal != null) {
            // The query parameter and the value asked for, not the library's parameter name.
            throw new IllegalArgumentException("tenant: Atlas refuses the tenant id '" + Text.oneLine(Text.cut(id, 200)) + "': " + refusal);
        }
        return atlas.tenant(id);
    }

    /** A query parameter's value as a message quotes it: in quotes, cut, on one line with controls as codes. */
    private static String quoted(String value) {
        return "'" + Text.oneLine(Text.cut(value, 60)) + "'";
    }

    /** {@code s} as an id; a 400 naming {@code field} (the query parameter, or {@code id} for the path's) when it is none. */
    private static UUID id(String field, String s) {
        UUID id = AtlasCli.id(s);
        if (id == null) {
            throw new IllegalArgumentException(field + ": not an id (a UUID such as 0190f1e2-8b3c-7def-8123-456789abcdef), was " + quoted(s));
        }
        return id;
    }

    private static int limit(Map<String, String> q, int dflt, int max) {
        String v = q.get("limit");
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("limit: must be between 1 and " + max + ", was " + quoted(v));
    }

    private Map<String, Object> meta() throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("database", db.describe());
        m.put("pinnedTenant", pinned);
        List<String> tenants = new java.util.ArrayList<>();
        List<Map<String, String>> refused = new java.util.ArrayList<>();
        for (String t : pinned != null ? List.of(pinned) : db.tenants()) {
            String refusal = Database.tenantRefusal(t);
            if (refusal == null) {
                tenants.add(t);
            } else {
                // Stored before the library refused such ids: it cannot be opened, so it is not offered.
                Map<String, String> entry = new LinkedHashMap<>(); // id first, in every run (Map.of's order is not)
                entry.put("id", t);
                entry.put("reason", refusal);
                refused.add(entry);
            }
        }
        m.put("tenants", tenants);
        m.put("refusedTenants", refused);
        m.put("readOnly", true);
        return m;
    }

    // ---- conversations ------------------------------------------------------------------

    private Map<String, Object> conversations(Tenant tenant, Map<String, String> q) throws SQLException {
        int limit = limit(q, PAGE, 100);
        String search = q.get("q");
        List<Conversation> items;
        String next = null;
        String notice = null;
        if (search != null && !search.isBlank()) {
            ConversationsCommand.Found found = ConversationsCommand.search(tenant, search, limit);
            items = found.items();
            notice = found.maybeMore() ? ConversationsCommand.MAYBE_MORE : null;
        } else {
            String after = q.get("after");
            Page<Conversation> page = tenant.conversations().list(ConversationQuery.all().limit(limit)
                    .after(after == null || after.isEmpty() ? null : after));
            items = page.items();
            next = page.nextCursor().orElse(null);
        }
        Map<UUID, Long> counts;
        try (java.sql.Connection c = db.connect()) {
            counts = db.liveMessages(c, tenant.id(), items.stream().map(Conversation::id).toList());
        }
        List<Map<String, Object>> list = new ArrayList<>();
        for (Conversation c : items) {
            list.add(conversation(c, counts.getOrDefault(c.id(), 0L)));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tenant", tenant.id());
        m.put("items", list);
        m.put("next", next);
        if (notice != null) {
            m.put("notice", notice);
        }
        return m;
    }

    /** {@code messages}: how many of its messages are not deleted (its last sequence counts those too). */
    private static Map<String, Object> conversation(Conversation c, long messages) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id().toString());
        m.put("title", c.title());
        m.put("type", c.type().toString());
        m.put("owner", c.owner().toString());
        m.put("agent", c.agent());
        m.put("status", c.status().toString());
        m.put("messages", messages);
        m.put("createdAt", str(c.createdAt()));
        m.put("lastMessageAt", str(c.lastMessageAt()));
        m.put("parentConversationId", str(c.parentConversationId()));
        m.put("parentToolCallId", str(c.parentToolCallId()));
        return m;
    }

    private Map<String, Object> transcript(Tenant tenant, UUID id, Map<String, String> q) throws SQLException {
        long after = 0;
        if (q.get("after") != null) {
            try {
                after = Long.parseLong(q.get("after"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("after: must be a message sequence (0 or more), was " + quoted(q.get("after")));
            }
            // Checked before the conversation is looked up: a bad request is a 400 whatever the id names,
            // not a 404 for an unknown (or another tenant's) conversation and a 400 for the others.
            if (after < 0) {
                throw new IllegalArgumentException("after: must not be negative, was " + after);
            }
        }
        Transcript t = Transcript.load(tenant, db, id, after, limit(q, TRANSCRIPT_PAGE, TRANSCRIPT_PAGE));
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Transcript.Entry e : t.entries()) {
            Message msg = e.message();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", msg.id().toString());
            m.put("sequence", msg.sequence());
            m.put("role", msg.role().toString());
            text(m, "content", msg.content());
            m.put("status", msg.status().toString());
            text(m, "failureReason", msg.failureReason());
            m.put("active", msg.active());
            m.put("branch", e.branch());
            m.put("branches", e.branches());
            m.put("activeSequence", e.activeSequence());
            m.put("author", msg.author() == null ? null : msg.author().toString());
            m.put("agent", msg.agent());
            m.put("createdAt", str(msg.createdAt()));
            m.put("executionId", str(msg.executionId()));
            List<Map<String, Object>> calls = new ArrayList<>();
            for (ExecutionStep step : e.toolSteps()) {
                for (ToolCall c : step.toolCalls()) {
                    Map<String, Object> call = toolCall(c, null);
                    List<Map<String, Object>> threads = new ArrayList<>();
                    for (Conversation thread : t.threadsByToolCall().getOrDefault(c.id(), List.of())) {
                        threads.add(conversation(thread, t.messages(thread)));
                    }
                    call.put("threads", threads);
                    calls.add(call);
                }
            }
            m.put("toolCalls", calls);
            List<Map<String, Object>> attachments = new ArrayList<>();
            for (AttachedAsset a : e.attachments()) {
                Map<String, Object> att = new LinkedHashMap<>();
                Asset asset = a.asset();
                att.put("assetId", asset.id().toString());
                att.put("filename", asset.filename());
                att.put("mimeType", asset.mimeType());
                att.put("sizeBytes", asset.sizeBytes());
                text(att, "description", asset.description());
                att.put("image", INLINE_IMAGES.contains(asset.mimeType()));
                Object caption = a.attachmentMetadata().get("caption");
                text(att, "caption", caption == null ? null : caption.toString());
                attachments.add(att);
            }
            m.put("attachments", attachments);
            // A message's first Transcript.ATTACHMENTS_SHOWN attachments are listed, the others counted.
            m.put("attachmentsNotShown", e.attachmentsNotShown());
            messages.add(m);
        }
        List<Map<String, Object>> other = new ArrayList<>();
        t.otherThreads().forEach(c -> other.add(conversation(c, t.messages(c))));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tenant", tenant.id());
        m.put("conversation", conversation(t.conversation(), t.messages(t.conversation())));
        m.put("messages", messages);
        m.put("otherThreads", other);
        m.put("next", t.more() && !t.entries().isEmpty() ? t.entries().get(t.entries().size() - 1).message().sequence() : null);
        return m;
    }

    // ---- executions ---------------------------------------------------------------------

    private Map<String, Object> executions(Tenant tenant, Map<String, String> q) {
        ExecutionQuery query = ExecutionQuery.all().limit(limit(q, PAGE, 100));
        if (q.get("conversation") != null) {
            query = query.conversation(id("conversation", q.get("conversation")));
        }
        if (q.get("after") != null && !q.get("after").isEmpty()) {
            query = query.after(q.get("after"));
        }
        Page<Execution> page = tenant.executions().list(query);
        List<Map<String, Object>> list = new ArrayList<>();
        page.items().forEach(e -> list.add(execution(e)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("items", list);
        m.put("next", page.nextCursor().orElse(null));
        return m;
    }

    private Map<String, Object> execution(Tenant tenant, UUID id) {
        ExecutionTree tree = tenant.executions().tree(id).orElseThrow(() -> new NotFoundException("execution", id));
        Execution e = tree.execution();
        Instant origin = e.startedAt() != null ? e.startedAt() : e.createdAt();
        List<Map<String, Object>> steps = new ArrayList<>();
        for (ExecutionStep s : tree.steps()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", s.id().toString());
            m.put("sequence", s.sequence());
            m.put("status", s.status().toString());
            m.put("finishReason", s.finishReason() == null ? null : s.finishReason().toString());
            m.put("startedAt", str(s.startedAt()));
            m.put("offsetMs", offset(origin, s.startedAt()));
            m.put("durationMs", s.durationMs());
            m.put("usage", usage(s.usage()));
            text(m, "content", s.content());
            text(m, "error", s.error());
            List<Map<String, Object>> calls = new ArrayList<>();
            s.toolCalls().forEach(c -> calls.add(toolCall(c, origin)));
            m.put("toolCalls", calls);
            steps.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("execution", execution(e));
        m.put("steps", steps);
        return m;
    }

    private static Map<String, Object> execution(Execution e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id().toString());
        m.put("type", e.type().toString());
        m.put("provider", e.provider());
        m.put("model", e.model());
        m.put("agent", e.agent());
        m.put("status", e.status().toString());
        m.put("conversationId", str(e.conversationId()));
        m.put("createdAt", str(e.createdAt()));
        m.put("startedAt", str(e.startedAt()));
        m.put("completedAt", str(e.completedAt()));
        m.put("durationMs", e.durationMs());
        m.put("firstTokenMs", e.firstTokenMs());
        m.put("usage", usage(e.usage()));
        m.put("cost", e.cost() == null ? null : e.cost().toPlainString());
        text(m, "error", e.error());
        return m;
    }

    private static Map<String, Object> toolCall(ToolCall c, Instant origin) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id().toString());
        m.put("index", c.index());
        m.put("providerCallId", c.providerCallId());
        m.put("name", c.name());
        m.put("type", c.type().toString());
        m.put("status", c.status().toString());
        text(m, "arguments", c.arguments());
        text(m, "result", c.result());
        text(m, "error", c.error());
        m.put("startedAt", str(c.startedAt()));
        if (origin != null) {
            m.put("offsetMs", offset(origin, c.startedAt()));
        }
        m.put("durationMs", c.durationMs());
        return m;
    }

    private static Map<String, Object> usage(Usage u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("inputTokens", u.inputTokens());
        m.put("outputTokens", u.outputTokens());
        m.put("reasoningTokens", u.reasoningTokens());
        m.put("cachedTokens", u.cachedTokens());
        m.put("cacheWriteTokens", u.cacheWriteTokens());
        return m;
    }

    // ---- usage --------------------------------------------------------------------------

    /**
     * Cost and tokens per day and model over the last {@code days} days of {@code zone} (UTC unless
     * the request names one: the page sends the browser's), today included: the cells in one
     * grouped report ({@code dailyUsageReport}, one statement per offset the zone has in the period),
     * the table by model in another.
     */
    private Map<String, Object> usage(Tenant tenant, Map<String, String> q) {
        int days = 30;
        if (q.get("days") != null) {
            try {
                days = Integer.parseInt(q.get("days"));
            } catch (NumberFormatException e) {
                days = -1;
            }
            if (days < 1 || days > 366) {
                throw new IllegalArgumentException("days: must be between 1 and 366, was " + quoted(q.get("days")));
            }
        }
        ZoneId zone = zone(q.get("zone"));
        LocalDate last = LocalDate.now(zone);
        LocalDate first = last.minusDays(days - 1L);
        List<Map<String, Object>> cells = new ArrayList<>();
        Set<String> models = new TreeSet<>();
        tenant.executions().dailyUsageReport(UsageGroup.MODEL, first, last, zone).forEach((day, rows) -> {
            for (UsageRow row : rows) {
                Map<String, Object> cell = UsageCommand.row(row);
                cell.remove("group");
                cell.put("day", day.toString());
                cell.put("model", row.group());
                models.add(row.group());
                cells.add(cell);
            }
        });
        List<String> dayList = new ArrayList<>();
        for (LocalDate d = first; !d.isAfter(last); d = d.plusDays(1)) {
            dayList.add(d.toString());
        }
        List<Map<String, Object>> byModel = new ArrayList<>();
        tenant.executions().usageReport(UsageGroup.MODEL, first.atStartOfDay(zone).toInstant(), last.plusDays(1).atStartOfDay(zone).toInstant())
                .forEach(r -> byModel.add(UsageCommand.row(r)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tenant", tenant.id());
        m.put("zone", zone.getId());
        m.put("days", dayList);
        m.put("models", new ArrayList<>(models));
        m.put("cells", cells);
        m.put("byModel", byModel);
        return m;
    }

    /** The {@code zone} parameter: a region id ({@code Europe/Berlin}) or an offset ({@code +05:30}); UTC when not given. */
    private static ZoneId zone(String given) {
        if (given == null) {
            return ZoneId.of("UTC");
        }
        try {
            return ZoneId.of(given);
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("zone: is not a time zone (an id such as Europe/Berlin, UTC or +05:30), was " + quoted(given));
        }
    }

    // ---- assets -------------------------------------------------------------------------

    Bytes assetBytes(String idText, Map<String, String> q, boolean head) {
        Tenant tenant = tenant(q);
        UUID id = id("id", idText);
        // A GET reads the row once, with the bytes: the headers then describe the bytes sent, even when the
        // asset is deleted meanwhile. A HEAD opens no bytes.
        AssetInputStream content = head ? null : tenant.assets().openWithAsset(id);
        Asset asset = content != null ? content.asset() : tenant.assets().get(id).orElseThrow(() -> new NotFoundException("asset", id));
        boolean inline = INLINE_IMAGES.contains(asset.mimeType());
        // Streamed, never read whole: an asset may be far larger than the viewer's heap.
        return new Bytes(id, inline ? asset.mimeType() : "application/octet-stream", inline, asset.sizeBytes(),
                content != null ? content : InputStream.nullInputStream());
    }

    // ---- helpers ------------------------------------------------------------------------

    private static void text(Map<String, Object> m, String key, String value) {
        if (value != null && value.length() > MAX_TEXT) {
            // Never split a surrogate pair: half a character is not valid UTF-16 for the page.
            int end = Character.isHighSurrogate(value.charAt(MAX_TEXT - 1)) ? MAX_TEXT - 1 : MAX_TEXT;
            m.put(key, value.substring(0, end));
            m.put(key + "Truncated", true);
            m.put(key + "Length", value.length());
        } else {
            m.put(key, value);
        }
    }

    private static Long offset(Instant origin, Instant at) {
        return origin == null || at == null ? null : Duration.between(origin, at).toMillis();
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }
}
