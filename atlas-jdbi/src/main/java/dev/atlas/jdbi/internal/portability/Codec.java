package dev.atlas.jdbi.internal.portability;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.Json;
import dev.atlas.jdbi.internal.JsonDoc;
import dev.atlas.jdbi.internal.portability.PortableSchema.Column;
import dev.atlas.jdbi.internal.portability.PortableSchema.Table;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;

/**
 * One row in its portable form: an array of values in {@link Table#columns()} order, each of one
 * Java type per {@link PortableSchema.Kind} (UUID, String, Long, Double, BigDecimal of scale 2,
 * Boolean, Instant; JSON columns as their text with keys sorted, bytes as base64). Reading a row
 * from either database and parsing it from the file give equal arrays for equal rows, which is
 * what makes an export byte-identical across dialects and a re-import a no-op.
 */
final class Codec {
    /** A row type, column or record field this atlas does not know (perhaps a newer Atlas's: see JdbiPortability#unknown). */
    static final class Unknown extends InvalidInputException {
        private static final long serialVersionUID = 1L;
        final String problem;

        Unknown(String field, String problem) {
            super(field, problem);
            this.problem = problem;
        }
    }

    /** Writes JSON values with object keys sorted, recursively: jsonb reorders keys, SQLite keeps them. */
    static final ObjectMapper SORTED = Json.deepMapper().copy().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private Codec() {}

    /** A JSON column's stored text in its portable form. */
    static String sortedJson(String stored) {
        if ("{}".equals(stored) || "[]".equals(stored)) {
            return stored;
        }
        try {
            return SORTED.writeValueAsString(Json.readStored(stored));
        } catch (IOException e) {
            throw new IllegalStateException("stored JSON does not parse: " + e.getMessage(), e);
        }
    }

    // ---- database -> portable ------------------------------------------------------------------

    static Object[] read(Table table, ResultSet rs, Dialect d) throws SQLException {
        Object[] row = new Object[table.columns().size()];
        for (int i = 0; i < row.length; i++) {
            Column c = table.columns().get(i);
            String n = c.name();
            row[i] = switch (c.kind()) {
                case ID -> d.uuid(rs, n);
                case TEXT, JSONTEXT -> rs.getString(n);
                case LONG -> {
                    long v = rs.getLong(n);
                    yield rs.wasNull() ? null : v;
                }
                case DOUBLE -> {
                    double v = rs.getDouble(n);
                    yield rs.wasNull() ? null : v;
                }
                case DEC2 -> {
                    String s = rs.getString(n);
                    yield s == null ? null : new BigDecimal(s).setScale(2, RoundingMode.HALF_EVEN);
                }
                case BOOL -> {
                    boolean v = rs.getBoolean(n);
                    yield rs.wasNull() ? null : v;
                }
                case TIME -> {
                    try {
                        yield d.instant(rs, n);
                    } catch (dev.atlas.UnreadableRowException e) {
                        throw dev.atlas.jdbi.internal.Rows.inRow(table.table(), rowKey(table, rs), e);
                    }
                }
                case JSONB -> {
                    String s = rs.getString(n);
                    yield s == null ? null : sortedJson(s);
                }
                case BYTES -> {
                    byte[] b = rs.getBytes(n);
                    yield b == null ? null : Base64.getEncoder().encodeToString(b);
                }
            };
        }
        return row;
    }

    /**
     * {@link #read} for an export: a stored value the import would refuse (a price over the maximum, a blank key, written by
     * SQL or an older Atlas) fails the export naming its row and column, instead of writing a backup that no import restores.
     * The checks are the import's per-value ones, but for an enum value this atlas does not know; JSON is checked as it is sorted.
     */
    static Object[] readExportable(Table table, ResultSet rs, Dialect d) throws SQLException {
        Object[] row = read(table, rs, d);
        for (int i = 0; i < row.length; i++) {
            Object v = row[i];
            if (v == null) {
                continue;
            }
            Column c = table.columns().get(i);
            String field = table.type() + "." + c.name();
            try {
                switch (c.kind()) {
                    case LONG -> range(c, (long) (Long) v, field);
                    case DOUBLE -> {
                        if (!Double.isFinite((Double) v)) {
                            throw new InvalidInputException(field, "must be a finite number, was " + v);
                        }
                        range(c, (double) (Double) v, field);
                    }
                    case DEC2 -> range(c, ((BigDecimal) v).doubleValue(), field);
                    case TEXT -> text(table, c, (String) v, field);
                    default -> {
                        // Ids, times and booleans are read as such or fail the read; JSON is parsed to be sorted.
                    }
                }
            } catch (Unknown e) {
                // Perhaps a newer Atlas's value (a role or status it added, during a rolling upgrade): written as stored, the
                // file's header then records the newer schema, and an import of that schema takes it.
            } catch (InvalidInputException e) {
                throw new dev.atlas.UnreadableRowException(table.table(), rowKey(table, rs), e.getMessage()
                        + ": an import would refuse it, so the export stops here; correct or delete the row, then export again", null);
            }
        }
        return row;
    }

    /** The row's key as stored (its id for all but two tables), to name an unreadable row. */
    private static @org.jspecify.annotations.Nullable String rowKey(Table table, ResultSet rs) {
        try {
            java.util.List<String> parts = new java.util.ArrayList<>();
            for (String k : table.key()) {
                parts.add(rs.getString(k));
            }
            return String.join(" ", parts);
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    // ---- portable -> file ----------------------------------------------------------------------

    static void write(JsonGenerator g, Table table, Object[] row) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", table.type());
        // Columns sit in their own object: several tables have a column named "type" themselves.
        g.writeObjectFieldStart("row");
        for (int i = 0; i < row.length; i++) {
            Object v = row[i];
            if (v == null) {
                continue;
            }
            Column c = table.columns().get(i);
            g.writeFieldName(c.name());
            switch (c.kind()) {
                case ID, TIME -> g.writeString(v.toString());
                case TEXT, JSONTEXT, BYTES -> g.writeString((String) v);
                case LONG -> g.writeNumber((Long) v);
                case DOUBLE -> g.writeNumber((Double) v);
                case DEC2 -> g.writeNumber((BigDecimal) v);
                case BOOL -> g.writeBoolean((Boolean) v);
                case JSONB -> g.writeRawValue((String) v);
            }
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    // ---- file -> portable (validated) ----------------------------------------------------------

    /** A parsed record: its portable values and what is bound on insert (JSON columns bind their stored form). */
    record Parsed(Table table, Object[] values, Object[] bind) {}

    /**
     * The longest details Atlas writes for its own events: an edit's hold the message's previous
     * content, each character escaped as up to six in JSON.
     */
    static final int MAX_DETAILS_LENGTH = 6 * Limits.MAX_CONTENT_LENGTH + 64;

    /**
     * Whether column {@code c} holds the details of one of Atlas's own message events, which wrap
     * what the message held (its previous content or metadata) and so reach past metadata's
     * limits; an application's event ({@code app.*}) takes metadata's limits, as {@code recordEvent} does.
     */
    private static boolean atlasEventDetails(Table table, Column c, Object[] values) {
        return table.table().equals("message_events") && c.name().equals("details")
                && !((String) values[table.index("type")]).startsWith("app.");
    }

    /**
     * A name the file gives (a record's field, a column) as an error shows it, in the message and in
     * {@code field()}: as it is when escaping changes nothing, it holds no {@code '} and no space
     * (a blank or space-padded name would be invisible) and it is 1 to
     * {@value #SHOWN_NAME_LENGTH} characters (so the common mistakes, {@code createdAt} or {@code Row},
     * read as the file wrote them, and callers matching on {@code field()} find them); any other
     * quoted, escaped and cut ({@link Check#quoted}), so a file's line break, control or megabyte
     * never reaches a message or a field, and an empty name shows as {@code ''}.
     */
    static String shownName(String name) {
        boolean plain = !name.isEmpty() && name.length() <= SHOWN_NAME_LENGTH && name.indexOf('\'') < 0 && Check.escaped(name).equals(name)
                && name.codePoints().noneMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c));
        return plain ? name : Check.quoted(name);
    }

    /** The longest name {@link #shownName} shows as it is. */
    static final int SHOWN_NAME_LENGTH = 64;

    static Parsed parse(Table table, JsonNode envelope, String where) {
        for (Iterator<String> it = envelope.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!name.equals("type") && !name.equals("row")) {
                throw new Unknown(where + shownName(name), "is not a field of a record (only type and row are)");
            }
        }
        JsonNode record = envelope.get("row");
        if (record == null || !record.isObject()) {
            throw new InvalidInputException(where + table.type() + ".row", "is required: an object holding the row's columns");
        }
        int n = table.columns().size();
        Object[] values = new Object[n];
        Object[] bind = new Object[n];
        for (Iterator<Map.Entry<String, JsonNode>> it = record.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (table.index(f.getKey()) < 0) {
                throw new Unknown(where + table.type() + "." + shownName(f.getKey()), "is not a column of " + table.type());
            }
        }
        for (int i = 0; i < n; i++) {
            Column c = table.columns().get(i);
            String field = where + table.type() + "." + c.name();
            JsonNode node = record.get(c.name());
            if (node == null || node.isNull()) {
                if (c.required()) {
                    throw new InvalidInputException(field, "is required");
                }
                continue;
            }
            Object v = value(table, c, node, field);
            values[i] = v;
            bind[i] = v;
            if (c.kind() == PortableSchema.Kind.JSONB) {
                String stored = switch (table.table() + "." + c.name()) {
                    // The two JSON columns the API writes in a shape of its own, which their readers parse as that shape. (An
                    // attachment's atlas.part is taken as is: attach stored "true", 1 or null before it refused them, and every
                    // version, retention included, read only true as a part.)
                    case "voice_calls.transcript" -> dev.atlas.jdbi.internal.JdbiVoiceCallStore.writeTurns(field, turns(node, field)).text();
                    case "assistants.tools" -> Json.write(field, tools(node, field)).text();
                    default -> (atlasEventDetails(table, c, values) ? Json.writeDetails(field, node, MAX_DETAILS_LENGTH)
                            : Json.writeParsed(field, node)).text();
                };
                bind[i] = stored;
                values[i] = sortedJson(stored);
            }
        }
        if (table.table().equals("voice_calls")) {
            lastWriteNotBeforeEnd(table, values, bind);
        }
        return new Parsed(table, values, bind);
    }

    /**
     * A finished voice call's {@code updated_at} no earlier than its {@code completed_at}: versions before every write
     * took the later of now and the row's stamp stored a call whose last write was before its end (a completion from an
     * instance whose clock ran behind dated the end at the start and the write at its now; a summary moved it back), and
     * retention's purgeDetachedVoiceCallsAfter, which goes by
     * updated_at, took such a call early. Its last write is restored at its end, as the API now dates it.
     */
    private static void lastWriteNotBeforeEnd(Table table, Object[] values, Object[] bind) {
        int end = table.index("completed_at");
        int last = table.index("updated_at");
        if (values[end] != null && values[last] != null && ((java.time.Instant) values[last]).isBefore((java.time.Instant) values[end])) {
            values[last] = values[end];
            bind[last] = bind[end];
        }
    }

    /**
     * A voice call's transcript as {@code VoiceCallStore} takes it: an array of turns, each an object
     * holding exactly a {@code role} (user or assistant, in any case the readers accept) and a
     * {@code content} (text). The reader parses exactly this shape, so any other made the call unreadable.
     */
    private static java.util.List<dev.atlas.voice.VoiceTurn> turns(JsonNode node, String field) {
        if (!node.isArray()) {
            throw new InvalidInputException(field, "must be an array of turns, each {\"role\": user or assistant, \"content\": text}");
        }
        java.util.List<dev.atlas.voice.VoiceTurn> turns = new java.util.ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode turn = node.get(i);
            if (!turn.isObject()) {
                throw new InvalidInputException(field, "turn " + i + " must be an object holding role and content");
            }
            for (Iterator<String> it = turn.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!name.equals("role") && !name.equals("content")) {
                    throw new InvalidInputException(field, "turn " + i + " holds a key besides role and content");
                }
            }
            for (String name : new String[] {"role", "content"}) {
                if (!turn.path(name).isTextual()) {
                    throw new InvalidInputException(field, "turn " + i + " needs " + name + " as a string");
                }
            }
            try {
                turns.add(new dev.atlas.voice.VoiceTurn(dev.atlas.conversation.Role.of(turn.get("role").textValue()),
                        turn.get("content").textValue()));
            } catch (InvalidInputException e) {
                throw new InvalidInputException(field, "turn " + i + " " + e.getMessage());
            }
        }
        return turns;
    }

    /** An assistant's tools as {@code AssistantSpec} takes them: an array of distinct tool keys, at most {@code MAX_TOOLS}. */
    private static java.util.List<String> tools(JsonNode node, String field) {
        if (!node.isArray()) {
            throw new InvalidInputException(field, "must be an array of tool keys");
        }
        java.util.List<String> tools = new java.util.ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            if (!node.get(i).isTextual()) {
                throw new InvalidInputException(field, "element " + i + " must be a string (a tool key)");
            }
            tools.add(node.get(i).textValue());
        }
        try {
            return dev.atlas.assistant.AssistantSpec.of("import", "import").tools(tools).tools();
        } catch (InvalidInputException e) {
            String m = e.getMessage();
            throw new InvalidInputException(field, m.startsWith(e.field() + ": ") ? m.substring(e.field().length() + 2) : m);
        }
    }

    /**
     * The rules spanning a row's columns, or belonging to a domain type, that a write through the API
     * enforces and the database or a reader would otherwise enforce only later: on insert (after
     * earlier batches were written) or on every read of the row.
     */
    static void checkRow(Parsed row, String where) {
        Table t = row.table();
        Object[] v = row.values();
        String f = where + t.type() + ".";
        for (String[] pair : new String[][] {{"owner_type", "owner_id"}, {"author_type", "author_id"}}) {
            int type = t.index(pair[0]);
            int id = t.index(pair[1]);
            if (type < 0 || id < 0) {
                continue;
            }
            if ((v[type] == null) != (v[id] == null)) {
                throw new InvalidInputException(f + pair[v[type] == null ? 0 : 1], "is required with " + pair[v[type] == null ? 1 : 0]);
            }
            if (v[type] != null) {
                try {
                    new dev.atlas.Owner((String) v[type], (String) v[id]);
                } catch (InvalidInputException e) {
                    throw new InvalidInputException(f + pair[e.field().endsWith(".type") ? 0 : 1], e.getMessage());
                }
            }
        }
        // Revision settings and a settings value are objects too: AssistantStore and SettingsStore take and read maps.
        for (String name : new String[] {"metadata", "payload", "result", "details", "settings", "value"}) {
            int i = t.index(name);
            if (i >= 0 && v[i] != null && t.columns().get(i).kind() == PortableSchema.Kind.JSONB && !((String) v[i]).startsWith("{")) {
                throw new InvalidInputException(f + name, "must be a JSON object, was " + Check.quoted((String) v[i]));
            }
        }
        switch (t.table()) {
            case "assets" -> {
                if (!storedBlobKey((String) v[t.index("blob_key")])) {
                    throw new InvalidInputException(f + "blob_key", "is not a blob key: / separated segments of letters, digits, . _ -,"
                            + " none of dots only (no . or .. segment), at most 1000 characters");
                }
            }
            case "memories" -> {
                try {
                    new dev.atlas.memory.MemoryKind((String) v[t.index("kind")]);
                } catch (InvalidInputException e) {
                    throw new InvalidInputException(f + "kind", e.getMessage());
                }
            }
            case "credentials" -> {
                if (Base64.getDecoder().decode((String) v[t.index("nonce")]).length != 12) {
                    throw new InvalidInputException(f + "nonce", "must be 12 bytes (base64)");
                }
            }
            case "assistant_revisions", "settings_revisions" -> {
                if ("rollback".equals(v[t.index("kind")]) != (v[t.index("rolled_back_to")] != null)) {
                    throw new InvalidInputException(f + "rolled_back_to", "is given exactly when kind is rollback");
                }
            }
            case "task_schedules" -> {
                if ((v[t.index("interval_micros")] == null) == (v[t.index("cron")] == null)) {
                    throw new InvalidInputException(f + "interval_micros", "or cron is required, not both");
                }
            }
            case "conversations" -> {
                if (v[t.index("id")].equals(v[t.index("parent_conversation_id")])) {
                    // create makes a tool thread below a conversation that exists: none is its own parent.
                    throw new InvalidInputException(f + "parent_conversation_id", "is the conversation's own id: a conversation is not its own parent");
                }
                if (v[t.index("parent_tool_call_id")] != null && v[t.index("parent_conversation_id")] == null) {
                    // create refuses it (NewConversation: parentConversationId is required when parentToolCallId is given) and
                    // always has; an export that leaves the parent out clears the call as well (Scope.DETACHABLE).
                    throw new InvalidInputException(f + "parent_conversation_id", "is required when parent_tool_call_id is given:"
                            + " a tool thread's call is a call of its parent conversation");
                }
                // archive() and close() record their time, and retention's purgeArchivedAfter goes by archived_at: an
                // archived conversation without it would never be purged.
                for (String status : new String[] {"archived", "closed"}) {
                    if (status.equals(v[t.index("status")]) && v[t.index(status + "_at")] == null) {
                        throw new InvalidInputException(f + status + "_at", "is required when status is " + status);
                    }
                }
            }
            case "messages" -> {
                if (v[t.index("failure_reason")] != null && !"failed".equals(v[t.index("status")])) {
                    throw new InvalidInputException(f + "failure_reason", "is only allowed with status failed, status is "
                            + v[t.index("status")]);
                }
                if ("json".equals(v[t.index("content_type")])) {
                    // As append checks a JSON message: one JSON document (an integration parses it back).
                    Json.validate(f + "content", (String) v[t.index("content")]);
                }
            }
            case "tasks" -> {
                if ("running".equals(v[t.index("status")]) != (v[t.index("claim_id")] != null && v[t.index("lease_expires_at")] != null)) {
                    throw new InvalidInputException(f + "claim_id", "and lease_expires_at are given exactly when status is running");
                }
                // Every way of finishing a task records finished_at, and retention's purgeFinishedTasksAfter goes by it: a
                // finished task without it would never be purged.
                Object status = v[t.index("status")];
                if (("completed".equals(status) || "failed".equals(status) || "cancelled".equals(status)) && v[t.index("finished_at")] == null) {
                    throw new InvalidInputException(f + "finished_at", "is required when status is " + status);
                }
            }
            default -> { }
        }
    }

    /**
     * A key some version stored: one {@code JdbiAssetStore.isBlobKey} takes, or one whose segments end in {@code .}, which
     * {@code register} stored before schema version 17 refused them ({@code scans/report.}; {@code LocalDirectoryBlobStore}
     * still opens and deletes such keys). No version stored a segment of dots only ({@code .}, {@code ..}).
     */
    static boolean storedBlobKey(String key) {
        return key.length() <= 1_000 && STORED_BLOB_KEY.matcher(key).matches();
    }

    private static final java.util.regex.Pattern STORED_BLOB_KEY = java.util.regex.Pattern.compile(
            "[A-Za-z0-9._-]*[A-Za-z0-9_-]\\.*(?:/[A-Za-z0-9._-]*[A-Za-z0-9_-]\\.*)*");

    /**
     * {@code key} as Windows opens it, in lower case: the segments' trailing dots dropped ({@code Report.} opens {@code report}).
     * The same as the key lower-cased for every key but those {@link #storedBlobKey} takes from older versions.
     */
    static String openedBlobKey(String key) {
        return dev.atlas.jdbi.internal.BlobReaper.openedKey(key);
    }

    private static Object value(Table table, Column c, JsonNode node, String field) {
        switch (c.kind()) {
            case ID -> {
                String s = textual(node, field);
                try {
                    return UUID.fromString(s);
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException(field, "is not a UUID: " + Check.quoted(s));
                }
            }
            case TEXT -> {
                return text(table, c, textual(node, field), field);
            }
            case JSONTEXT -> {
                // As the API takes tool arguments: one JSON document within Json's limits that jsonb can hold (its CHECK on insert).
                return Json.validateJsonb(field, Check.text(field, textual(node, field), Limits.MAX_CONTENT_LENGTH));
            }
            case LONG -> {
                if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                    throw new InvalidInputException(field, "must be an integer, was " + Check.quoted(node.toString()));
                }
                long v = node.longValue();
                range(c, v, field);
                return v;
            }
            case DOUBLE -> {
                if (!node.isNumber() || !Double.isFinite(node.doubleValue())) {
                    throw new InvalidInputException(field, "must be a finite number, was " + Check.quoted(node.toString()));
                }
                double v = node.doubleValue();
                range(c, v, field);
                return v;
            }
            case DEC2 -> {
                if (!node.isNumber()) {
                    throw new InvalidInputException(field, "must be a number, was " + Check.quoted(node.toString()));
                }
                BigDecimal v = node.decimalValue().stripTrailingZeros();
                if (v.scale() > 2) {
                    throw new InvalidInputException(field, "has more than 2 decimal places: " + Check.quoted(node.toString()));
                }
                range(c, v.doubleValue(), field);
                return v.setScale(2, RoundingMode.UNNECESSARY);
            }
            case BOOL -> {
                if (!node.isBoolean()) {
                    throw new InvalidInputException(field, "must be true or false, was " + Check.quoted(node.toString()));
                }
                return node.booleanValue();
            }
            case TIME -> {
                String s = textual(node, field);
                Instant t;
                try {
                    t = Instant.parse(s);
                } catch (DateTimeParseException e) {
                    throw new InvalidInputException(field, "is not an ISO-8601 UTC time: " + Check.quoted(s));
                }
                if (t.getNano() % 1000 != 0) {
                    throw new InvalidInputException(field, "has sub-microsecond digits, which neither database stores: " + s);
                }
                if (t.isBefore(Limits.MIN_INSTANT) || t.isAfter(Limits.MAX_INSTANT)) {
                    throw new InvalidInputException(field, "is outside " + Limits.MIN_INSTANT + " .. " + Limits.MAX_INSTANT + ": " + s);
                }
                return t;
            }
            case BYTES -> {
                String s = textual(node, field);
                try {
                    return Base64.getEncoder().encodeToString(Base64.getDecoder().decode(s));
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException(field, "is not base64");
                }
            }
            case JSONB -> {
                return null;
            }
        }
        throw new IllegalStateException(c.kind().toString());
    }

    /** A text column's value as stored: storable, within its column's rules, one of its values for an enum column. */
    private static String text(Table table, Column c, String value, String field) {
        String s = Check.text(field, value, Limits.MAX_CONTENT_LENGTH);
        s = TextRules.check(table.table() + "." + c.name(), field, s);
        if (c.values() != null && !c.values().contains(s)) {
            if (c.values().contains(PortableSchema.APP_EVENT_TYPES) && s.startsWith("app.")) {
                try {
                    dev.atlas.conversation.MessageEventType.app(s.substring(4));
                } catch (InvalidInputException e) {
                    throw new InvalidInputException(field, "is not a valid app event type (app.<name>), was " + Check.quoted(s));
                }
                return s;
            }
            // Perhaps a newer Atlas's value: Unknown, so a newer schema's file gets the upgrade hint.
            throw new Unknown(field, "must be one of " + new java.util.TreeSet<>(c.values()) + ", was " + Check.quoted(s));
        }
        return s;
    }

    /** An integer column's range, the value shown as written (as a double, 10^12 + 10^6 read 1.000001E12). */
    private static void range(Column c, long v, String field) {
        // Exact: the bounds are whole numbers well within 2^53, so comparing as doubles loses nothing.
        if (c.min() != null && v < c.min() || c.max() != null && v > c.max()) {
            throw new InvalidInputException(field, "must be " + (c.max() == null ? "at least " + fmt(c.min())
                    : "between " + fmt(c.min()) + " and " + fmt(c.max())) + ", was " + v);
        }
    }

    private static void range(Column c, double v, String field) {
        if (c.min() != null && v < c.min() || c.max() != null && v > c.max()) {
            throw new InvalidInputException(field, "must be " + (c.max() == null ? "at least " + fmt(c.min())
                    : "between " + fmt(c.min()) + " and " + fmt(c.max())) + ", was " + v);
        }
    }

    private static String fmt(Double d) {
        return d == Math.rint(d) ? String.valueOf(d.longValue()) : d.toString();
    }

    private static String textual(JsonNode node, String field) {
        if (!node.isTextual()) {
            throw new InvalidInputException(field, "must be a string, was " + Check.quoted(node.toString()));
        }
        return node.textValue();
    }

    // ---- portable -> database ------------------------------------------------------------------

    /** {@code v} (as parsed) as the statement runner binds it into column {@code c}. */
    static Object bindable(Column c, Object v, Dialect d) {
        if (v == null) {
            return null;
        }
        return switch (c.kind()) {
            // What the assistant store writes on SQLite: NUMERIC affinity keeps the value as a REAL.
            case DEC2 -> d == Dialect.POSTGRESQL ? v : ((BigDecimal) v).doubleValue();
            case JSONB -> new JsonDoc((String) v);
            case BYTES -> Base64.getDecoder().decode((String) v);
            case ID, TEXT, JSONTEXT, LONG, DOUBLE, BOOL, TIME -> v;
        };
    }
}
