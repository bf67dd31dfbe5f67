package dev.atlas.jdbi.internal.portability;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.atlas.ConfigurationException;
import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.asset.BlobStore;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.BlobReaper;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.InList;
import dev.atlas.jdbi.internal.Json;
import dev.atlas.jdbi.internal.PgSessions;
import dev.atlas.jdbi.internal.SearchText;
import dev.atlas.jdbi.internal.portability.Codec.Parsed;
import dev.atlas.jdbi.internal.portability.PortableSchema.Column;
import dev.atlas.jdbi.internal.portability.PortableSchema.Table;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.portability.EraseReport;
import dev.atlas.portability.ExportReport;
import dev.atlas.portability.ExportScope;
import dev.atlas.portability.ImportOptions;
import dev.atlas.portability.ImportReport;
import dev.atlas.portability.Portability;
import dev.atlas.jdbi.internal.sql.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.jspecify.annotations.Nullable;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntFunction;

/**
 * {@link Portability} on Jdbi. Export reads each table of {@link PortableSchema} in a fixed order,
 * in one snapshot on either database. Import spools its input to
 * a temporary file and reads it twice: the first pass validates every record, checks every
 * reference and compares every id that already exists, so nothing is written unless the whole
 * input is acceptable; the second inserts the new rows with plain JDBC batches, {@link #BATCH}
 * rows per transaction (a key another writer takes between the passes stops it resumable, see
 * {@link #takenSinceChecked}). Erase soft-deletes the scope's conversations, then deletes table by
 * table, children first, {@link #BATCH} rows per transaction (executions, memories, assistants
 * and settings with their children, see {@link Family}), with the conditions {@link Scope} shares with export.
 */
public final class JdbiPortability implements Portability {
    private static final Logger LOG = LoggerFactory.getLogger(JdbiPortability.class);
    static final int BATCH = 2_000;
    private static final int LOOKUP = 500;
    /** Keys one query of {@link #checkUnique} looks up. */
    private static final int UNIQUE_LOOKUP = 100;
    public static final String HEADER_TYPE = "atlas-export";
    /**
     * The export format written. Format 2 announces the end record ({@link #END_TYPE}) that closes the file; format 1 files (older
     * atlases) have none and still import as they did.
     */
    public static final int VERSION = 2;
    /** The oldest export format read. */
    static final int FIRST_VERSION = 1;
    /**
     * The record closing a format-2 file, counting its rows per type: without it a copy cut between two lines was a whole file
     * of fewer rows, and imported them silently.
     */
    public static final String END_TYPE = "end";

    private final Db db;
    private final Sql sql;
    private final PortabilitySql q;
    private final BlobStore blobs;
    private final dev.atlas.internal.@Nullable CredentialCipher cipher;

    /** {@code keys} may be null: credentials are then imported as written, unchecked. */
    public JdbiPortability(Db db, String tenant, BlobStore blobs, dev.atlas.credential.@Nullable CredentialKeys keys) {
        this.db = db;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(PortabilitySql.class, PortabilitySql::new);
        this.blobs = blobs;
        this.cipher = keys == null ? null : new dev.atlas.internal.CredentialCipher(keys);
    }

    private String tenant() {
        return java.util.Objects.requireNonNull(sql.tenant(), "a tenant-bound runner").value();
    }

    /** A call of {@code statement} with those of the scope's values it names. */
    private Sql.Call call(Handle h, Statement statement, Scope scope) {
        Sql.Call call = sql.on(h, statement);
        scope.binds().forEach((k, v) -> {
            if (statement.parameters().contains(k)) {
                call.bind(k, v);
            }
        });
        return call;
    }

    private Scope scope(ExportScope s) {
        Check.notNull("scope", s);
        if (s.owner() != null) {
            return Scope.owner(s.owner());
        }
        if (s.conversation() != null) {
            return Scope.conversation(s.conversation()); // found or not in the export's snapshot (exportTo)
        }
        return Scope.tenant();
    }

    private void requireConversation(UUID id) {
        if (!db.read(h -> sql.on(h, q.conversationExists).bind("id", id).exists())) {
            throw new NotFoundException("conversation", id, "conversationId");
        }
    }

    // ---- export --------------------------------------------------------------------------------

    @Override
    public ExportReport exportTo(OutputStream out, ExportScope exportScope) {
        db.checkOpen();
        Check.notNull("out", out);
        Scope scope = scope(exportScope);
        Map<String, Long> counts = new LinkedHashMap<>();
        try {
            JsonGenerator g = Codec.SORTED.getFactory().createGenerator(out);
            g.setPrettyPrinter(new MinimalPrettyPrinter("\n"));
            // One snapshot: otherwise rows written between two tables' reads would be half in the
            // file (a message without its conversation) and the file would not import.
            db.readConsistent(h -> {
                // The conversation is looked up in the snapshot, before anything is written: found before it
                // and erased before it began, it would have been exported as a header alone.
                UUID conversation = exportScope.conversation();
                if (conversation != null && !sql.on(h, q.conversationExists).bind("id", conversation).exists()) {
                    throw new NotFoundException("conversation", conversation, "conversationId");
                }
                writeHeader(g, schemaVersion(h));
                for (Table table : PortableSchema.TABLES) {
                    long n = exportTable(h, table, scope, g);
                    if (n > 0) {
                        counts.put(table.type(), n);
                    }
                }
                writeEnd(g, counts);
                return null;
            });
            g.writeRaw('\n');
            g.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("export: writing the output failed", e);
        } catch (UncheckedIOException e) {
            throw e;
        }
        return new ExportReport(counts);
    }

    private long exportTable(Handle h, Table table, Scope scope, JsonGenerator g) {
        Dialect d = db.dialect();
        Sql.Call query = call(h, q.export(scope, table), scope).fetchSize(1000);
        if (table.table().equals("conversations")) {
            // A tool thread must follow its parent whatever their ids: order the (few) conversations parents-first.
            List<Object[]> rows = query.list((rs, ctx) -> Codec.readExportable(table, rs, d));
            List<Object[]> ordered = parentsFirst(rows, table.index("id"), table.index("parent_conversation_id"));
            for (Object[] row : ordered) {
                writeRow(g, table, row);
            }
            return ordered.size();
        }
        return query.forEach((rs, ctx) -> Codec.readExportable(table, rs, d), row -> writeRow(g, table, row));
    }

    /**
     * The newest migration the database ran, from Atlas's schema history; null when it records none Atlas could have
     * written (a numbered version). Read with the rows, so an import can tell a newer schema's rows from a damaged file.
     */
    private @Nullable Long schemaVersion(Handle h) {
        Long newest = null;
        for (String v : sql.on(h, q.schemaVersions).list((rs, ctx) -> rs.getString(1))) {
            if (v != null && v.matches("[1-9]\\d{0,17}")) {
                newest = newest == null ? Long.parseLong(v) : Math.max(newest, Long.parseLong(v));
            }
        }
        return newest;
    }

    private static void writeHeader(JsonGenerator g, @Nullable Long schema) {
        try {
            g.writeStartObject();
            g.writeStringField("type", HEADER_TYPE);
            g.writeNumberField("version", VERSION);
            // Older atlases read only type and version: a file with it still imports there (rows permitting).
            if (schema != null) {
                g.writeNumberField("schema", schema);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("export: writing the output failed", e);
        }
    }

    /** The end record: counted while the rows streamed out, so the export stays one pass. */
    private static void writeEnd(JsonGenerator g, Map<String, Long> counts) {
        try {
            g.writeStartObject();
            g.writeStringField("type", END_TYPE);
            g.writeObjectFieldStart("rows");
            for (Map.Entry<String, Long> e : counts.entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("export: writing the output failed", e);
        }
    }

    private static void writeRow(JsonGenerator g, Table table, Object[] row) {
        try {
            Codec.write(g, table, row);
        } catch (IOException e) {
            throw new UncheckedIOException("export: writing the output failed", e);
        }
    }

    static List<Object[]> parentsFirst(List<Object[]> rows, int idIndex, int parentIndex) {
        Map<Object, Object[]> byId = new HashMap<>();
        for (Object[] r : rows) {
            byId.put(r[idIndex], r);
        }
        List<Object[]> out = new ArrayList<>(rows.size());
        Set<Object> done = new HashSet<>();
        for (Object[] r : rows) {
            List<Object[]> chain = new ArrayList<>();
            Object[] cur = r;
            while (cur != null && !done.contains(cur[idIndex])) {
                chain.add(cur);
                done.add(cur[idIndex]);
                Object parent = cur[parentIndex];
                cur = parent == null ? null : byId.get(parent);
            }
            for (int i = chain.size() - 1; i >= 0; i--) {
                out.add(chain.get(i));
            }
        }
        return out;
    }

    // ---- import --------------------------------------------------------------------------------

    @Override
    public ImportReport importFrom(InputStream in, ImportOptions options) {
        db.checkOpen();
        Check.notNull("in", in);
        Check.notNull("options", options);
        if (options.credentialsFrom() != null && cipher == null) {
            throw new ConfigurationException("resealing imported credentials needs the credential keys they were sealed with:"
                    + " build Atlas with .credentialKeys(...)");
        }
        Path spool = null;
        try {
            spool = Files.createTempFile("atlas-import", ".jsonl");
            Files.copy(in, spool, StandardCopyOption.REPLACE_EXISTING);
            Plan plan = validate(spool, options);
            return write(spool, plan);
        } catch (IOException e) {
            throw new UncheckedIOException("import: reading the input failed", e);
        } finally {
            if (spool != null) {
                try {
                    Files.deleteIfExists(spool);
                } catch (IOException e) {
                    LOG.warn("could not delete the import spool file {}", spool, e);
                }
            }
        }
    }

    /** What the first pass learnt: records to skip (already present, identical) and how many of each. */
    private static final class Plan {
        final BitSet skip = new BitSet();
        /** Made once the header is read. */
        ImportedCredentials credentials;
        final Map<String, Long> unchanged = new LinkedHashMap<>();
        /** Rows (assistants, settings) whose current revision is still to be linked (their row matched but for a pending link). */
        final Map<UUID, Link> relink = new LinkedHashMap<>();
        /** Per table and unique key (see {@link PortableSchema#UNIQUE}): the keys the file's new rows hold, with where. */
        final Map<String, Map<List<Object>, String>> keys = new HashMap<>();
        /** Per table, the ids of the input (so far). */
        final Map<String, Set<UUID>> seen = new HashMap<>();
        /** Per table, the ids of the input already stored in this tenant: the rest are new. */
        final Map<String, Set<UUID>> stored = new HashMap<>();
        /** Client keys of new memories that only expired memories hold: freed on insert, as a create frees them. */
        final Set<String> expiredMemoryKeys = new HashSet<>();

        /** Whether {@code id} of {@code table} is a row this import adds: no stored row can refer to it yet. */
        boolean isNew(String table, Object id) {
            return seen.getOrDefault(table, Set.of()).contains(id) && !stored.getOrDefault(table, Set.of()).contains(id);
        }
    }

    /** Reads records one by one with their line numbers. */
    static final class Reader implements AutoCloseable {
        /**
         * One record of many in a stream: what follows it is the next record, not trailing
         * garbage. Here, not in the outer class, so that opening Atlas does not build Jackson's mapper.
         */
        private static final com.fasterxml.jackson.databind.ObjectReader RECORD = Json.mapper().reader()
                .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                // Fractions exactly as written (1.0 stays 1.0): Json.write then refuses what a double cannot hold, as the API
                // does, instead of the file's 1E-400 or 0.1000000000000000000001 being rounded into the database silently.
                .with(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .without(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);

        /**
         * Json's limits, but for the two levels of the record around a row's values ({"row":{"metadata":…}}): a
         * value as deep as the API stores it (audit details, one level deeper than metadata) still reads; Codec
         * checks each value against Json's limits.
         */
        private static final com.fasterxml.jackson.core.JsonFactory FACTORY = Json.mapper().getFactory().rebuild()
                .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                        .maxNestingDepth(Json.MAX_DETAILS_DEPTH + 2).maxNumberLength(dev.atlas.Limits.MAX_JSON_NUMBER_LENGTH).build())
                .build();

        /**
         * Bytes one record may span: above the widest row Atlas writes (a row's few long columns, each at most
         * Limits.MAX_CONTENT_LENGTH characters, every one at most a six-byte escape: under 32 MiB), so that a hostile or broken
         * file's endless line is refused naming it once the reader is this far into it, instead of being read into memory whole.
         */
        static final long MAX_RECORD_BYTES = 64L << 20;

        final JsonParser p;
        int index = -1;
        int line;
        /** The type of the record being read, once read. */
        private @Nullable String type;
        /** The line the last record ended on. */
        private int endLine;
        /**
         * Where the record being read starts, in bytes of the file; {@link Long#MAX_VALUE} while the parser skips the
         * whitespace before the next record, which it does without keeping it (blank lines are no part of a record).
         */
        private long start;

        Reader(Path file) throws IOException {
            this(file, MAX_RECORD_BYTES);
        }

        /** A reader refusing a record longer than {@code maxRecordBytes} (give or take the buffers' 72 KiB read ahead). */
        Reader(Path file, long maxRecordBytes) throws IOException {
            java.io.InputStream in = Files.newInputStream(file);
            long slack = (1 << 16) + (1 << 13);
            java.io.InputStream capped = new java.io.FilterInputStream(in) {
                private long read;
                private final Utf8Check utf8 = new Utf8Check();

                @Override
                public int read() throws IOException {
                    int b = super.read();
                    count(b < 0 ? 0 : 1);
                    if (b >= 0) {
                        utf8.check(new byte[] {(byte) b}, 0, 1);
                    }
                    return b;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    count(Math.max(n, 0));
                    if (n > 0) {
                        utf8.check(b, off, n);
                    }
                    return n;
                }

                private void count(int n) {
                    read += n;
                    if (read - start > maxRecordBytes + slack) {
                        throw new InvalidInputException("line " + line, "is longer than " + maxRecordBytes + " bytes, which no record"
                                + " Atlas exports is; write one JSON object per line");
                    }
                }
            };
            // Remembers the record's type as it goes by, so that a limit the parser hits inside a row names the column.
            p = new com.fasterxml.jackson.core.util.JsonParserDelegate(FACTORY.createParser(new BufferedInputStream(capped, 1 << 16))) {
                @Override
                public JsonToken nextToken() throws IOException {
                    JsonToken t = super.nextToken();
                    if (t == JsonToken.VALUE_STRING && "type".equals(currentName()) && getParsingContext().getParent() != null
                            && getParsingContext().getParent().inRoot()) {
                        type = getText();
                    }
                    return t;
                }
            };
            // A field given twice would otherwise be read as its last value, silently.
            p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        }

        /** The next record (after the header), or null at the end. */
        JsonNode next() throws IOException {
            start = Long.MAX_VALUE;
            type = null;
            JsonToken t = p.nextToken();
            if (t == null) {
                return null;
            }
            line = p.currentLocation().getLineNr();
            start = p.currentLocation().getByteOffset();
            if (t != JsonToken.START_OBJECT) {
                throw new InvalidInputException("line " + line, "is not a JSON object");
            }
            // JSON Lines: otherwise "line N" in an error could name a line holding two records, or half of one.
            if (line == endLine) {
                throw new InvalidInputException("line " + line, "holds a second record; write one JSON object per line");
            }
            index++;
            JsonNode record = RECORD.readTree(p);
            endLine = p.currentLocation().getLineNr();
            if (endLine != line) {
                throw new InvalidInputException("line " + line, "is not a whole record; write one JSON object per line");
            }
            return record;
        }

        String where() {
            return "line " + line + ": ";
        }

        /**
         * Where the parser is in the record, as refusals name fields: {@code message.sequence} inside a row whose type was
         * read ({@code row.sequence} before it is), else the record's field; null outside any. Never the path below: a
         * hostile file's 67 nested names would make the message.
         */
        @Nullable String field() {
            List<String> names = new ArrayList<>();
            for (com.fasterxml.jackson.core.JsonStreamContext c = p.getParsingContext(); c != null; c = c.getParent()) {
                if (c.inObject() && c.getCurrentName() != null) {
                    names.add(0, Codec.shownName(c.getCurrentName()));
                }
            }
            if (names.isEmpty()) {
                return null;
            }
            if (names.size() >= 2 && names.get(0).equals("row")) {
                return (type != null && PortableSchema.byType(type) != null ? type : "row") + "." + names.get(1);
            }
            return names.get(0);
        }

        @Override
        public void close() throws IOException {
            p.close();
        }
    }

    /**
     * Refuses bytes that are not UTF-8 as the parser's bytes go by. Jackson decodes an overlong form of a character
     * ({@code C1 A9}, one flipped bit of {@code é}, as {@code i}; {@code C0 AF} as {@code /}) as the character, so a damaged
     * file imported other text than it holds, silently. Also refuses what Jackson reads as other damage (a stray continuation
     * byte, a form beyond U+10FFFF), here with the same message. Counts lines itself: the parser reads ahead of it.
     */
    static final class Utf8Check {
        private int line = 1;
        /** Continuation bytes still due in the character being read. */
        private int due;
        /** Bounds of the next continuation byte (0x80..0xBF but after E0, ED, F0 and F4). */
        private int low = 0x80;
        private int high = 0xBF;
        private int lead;

        void check(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                int c = b[i] & 0xFF;
                if (due == 0) {
                    if (c < 0x80) {
                        if (c == '\n') {
                            line++;
                        }
                        continue;
                    }
                    lead = c;
                    low = 0x80;
                    high = 0xBF;
                    if (c >= 0xC2 && c <= 0xDF) {
                        due = 1;
                    } else if (c >= 0xE0 && c <= 0xEF) {
                        due = 2;
                        low = c == 0xE0 ? 0xA0 : 0x80;
                        high = c == 0xED ? 0x9F : 0xBF; // ED A0..BF: a surrogate
                    } else if (c >= 0xF0 && c <= 0xF4) {
                        due = 3;
                        low = c == 0xF0 ? 0x90 : 0x80;
                        high = c == 0xF4 ? 0x8F : 0xBF;
                    } else {
                        throw refused(c, -1);
                    }
                } else {
                    if (c < low || c > high) {
                        throw refused(lead, c);
                    }
                    low = 0x80;
                    high = 0xBF;
                    due--;
                }
            }
        }

        private InvalidInputException refused(int first, int next) {
            String bytes = next < 0 ? String.format("byte 0x%02X starts no character", first)
                    : String.format("byte 0x%02X cannot follow 0x%02X (an overlong form, a surrogate or beyond U+10FFFF)", next, first);
            return new InvalidInputException("line " + line, "is not UTF-8: " + bytes + "; the file is damaged: use an undamaged copy");
        }
    }

    private static Table tableOf(JsonNode record, String where) {
        JsonNode type = record.get("type");
        if (type == null || !type.isTextual()) {
            throw new InvalidInputException(where + "type", "is required (a string naming the kind of row)");
        }
        Table table = PortableSchema.byType(type.textValue());
        if (table == null) {
            throw new Codec.Unknown(where + "type", "is not a known row type: " + Check.quoted(type.textValue()));
        }
        return table;
    }

    /**
     * What an import learns from the header: the schema version it records, or null (a file written before headers recorded
     * it), and whether the file must close with an end record (format 2 on).
     */
    private record Header(@Nullable Long schema, boolean ends) {
    }

    private static Header header(Reader r) throws IOException {
        JsonNode h;
        try {
            h = r.next();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidInputException("line 1", "is not JSON: " + Check.bounded(e.getOriginalMessage()));
        }
        Long schema = checkHeader(h);
        r.index = -1;
        return new Header(schema, h.get("version").intValue() >= 2);
    }

    private static boolean isEnd(JsonNode record) {
        return END_TYPE.equals(record.path("type").textValue());
    }

    /** Checks a format-2 file's end record against the rows counted before it, each type's count exactly. */
    private static void checkEnd(JsonNode end, String where, Map<String, Long> counted) {
        for (java.util.Iterator<String> it = end.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!name.equals("type") && !name.equals("rows")) {
                throw new InvalidInputException(where + "end." + name, "is not a field of the end record (type, rows)");
            }
        }
        JsonNode rows = end.get("rows");
        if (rows == null || !rows.isObject()) {
            throw new InvalidInputException(where + "rows", "must be an object counting the file's rows per type, e.g. {\"message\":12}");
        }
        for (java.util.Iterator<Map.Entry<String, JsonNode>> it = rows.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = where + "rows." + e.getKey();
            if (PortableSchema.byType(e.getKey()) == null) {
                throw new InvalidInputException(field, "is not a known row type: " + Check.quoted(e.getKey()));
            }
            JsonNode n = e.getValue();
            if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
                throw new InvalidInputException(field, "must be a count (an integer, 0 or more), was " + Check.quoted(String.valueOf(n)));
            }
            long held = counted.getOrDefault(e.getKey(), 0L);
            if (n.longValue() != held) {
                throw new InvalidInputException(field, "is " + n.longValue() + ", but the file holds " + held + " " + e.getKey()
                        + " rows before it: lines were lost or edited; export it again or use a whole copy");
            }
        }
        for (Map.Entry<String, Long> e : counted.entrySet()) {
            if (!rows.has(e.getKey())) {
                throw new InvalidInputException(where + "rows." + e.getKey(), "is missing, but the file holds " + e.getValue() + " "
                        + e.getKey() + " rows before it: the file was edited; export it again");
            }
        }
    }

    /**
     * Checks an export's header line, as import does before reading any row (the CLI too, before it creates or
     * migrates a database), and returns the schema version it records, or null when it records none.
     *
     * @throws InvalidInputException naming {@code line 1: type}, {@code line 1: version} (a newer format says so, and
     *         to upgrade) or {@code line 1: schema}
     */
    public static @Nullable Long checkHeader(@Nullable JsonNode h) {
        if (h == null || !h.isObject() || !HEADER_TYPE.equals(h.path("type").asText(null))) {
            throw new InvalidInputException("line 1: type", "must be the header {\"type\":\"" + HEADER_TYPE + "\",\"version\":" + VERSION + "}");
        }
        // Exactly the integer: asInt would also take "1", 1.5, true and 2^32+1 (truncated) as version 1.
        JsonNode version = h.get("version");
        if (version != null && version.isIntegralNumber() && version.canConvertToInt() && version.intValue() > VERSION) {
            // Not malformed: a format this atlas predates, and upgrading is the fix.
            throw new InvalidInputException("line 1: version", "the file was written by a newer Atlas (export format " + version.intValue()
                    + "); this atlas reads export format " + VERSION + ": upgrade atlas to import it");
        }
        if (version == null || !version.isIntegralNumber() || !version.canConvertToInt() || version.intValue() < FIRST_VERSION) {
            throw new InvalidInputException("line 1: version", "must be " + FIRST_VERSION + " to " + VERSION + ", was "
                    + Check.quoted(String.valueOf(h.get("version"))));
        }
        JsonNode schema = h.get("schema");
        if (schema == null) {
            return null;
        }
        if (!schema.isIntegralNumber() || !schema.canConvertToLong() || schema.longValue() < 1) {
            throw new InvalidInputException("line 1: schema", "must be a positive integer, was " + Check.quoted(String.valueOf(schema)));
        }
        return schema.longValue();
    }

    /**
     * A row type, column or record field this atlas does not know: when the file's header records a newer schema than
     * this database's, a newer Atlas wrote it, and the refusal says so and what to do; otherwise it is only unknown.
     */
    private InvalidInputException unknown(Codec.Unknown e, @Nullable Long fileSchema) {
        Long here = fileSchema == null ? null : db.read(this::schemaVersion);
        if (fileSchema == null || here == null || fileSchema <= here) {
            // Exactly the public type, as every other refusal of a record.
            return new InvalidInputException(e.field(), e.problem);
        }
        return new InvalidInputException(e.field(), e.problem + ": the file was written by a newer Atlas (schema " + fileSchema
                + "); this database is at schema " + here + ": upgrade atlas to import it");
    }

    private Plan validate(Path spool, ImportOptions options) throws IOException {
        Plan plan = new Plan();
        Map<String, Set<UUID>> seen = plan.seen;
        // table -> id -> where it was referenced first, for references not (yet) seen in the file.
        Map<String, Map<UUID, String>> unresolved = new HashMap<>();
        Map<String, Map<UUID, String>> deferred = new HashMap<>();
        List<Parsed> chunk = new ArrayList<>();
        List<Integer> chunkIndex = new ArrayList<>();
        List<String> chunkWhere = new ArrayList<>();
        VectorRows vectors = new VectorRows();
        Counters counters = new Counters();
        Parents parents = new Parents();
        Steps steps = new Steps();
        ToolThreads threads = new ToolThreads();
        Rollbacks rollbacks = new Rollbacks();
        SharedBlobKeys blobKeys = new SharedBlobKeys();
        Map<String, Long> counted = new HashMap<>();
        JsonNode end = null;
        String endWhere = null;
        try (Reader r = new Reader(spool)) {
            Header header = header(r);
            Long fileSchema = header.schema();
            plan.credentials = new ImportedCredentials(cipher, tenant(), options.credentialsFrom());
            while (true) {
                JsonNode record;
                try {
                    record = r.next();
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    // A limit of the reader (string length, nesting, number length) reports no location of its own.
                    int line = e.getLocation() != null ? e.getLocation().getLineNr() : r.p.currentLocation().getLineNr();
                    if (e instanceof com.fasterxml.jackson.core.exc.StreamConstraintsException
                            || e.getCause() instanceof com.fasterxml.jackson.core.exc.StreamConstraintsException) {
                        // A 100 MB string, 10 million nested arrays, 10,000 digits: JSON, but beyond what any row holds.
                        // field() stays the line (PortabilityContract#unreadableLinesNamed); the message names the column.
                        String field = r.field();
                        throw new InvalidInputException("line " + line, (field == null ? "" : field + ": ") + "is beyond the import's limits: "
                                + Check.bounded(String.valueOf(e.getOriginalMessage()).replaceAll(", from `[^`]*`\\)", ")")));
                    }
                    throw new InvalidInputException("line " + line, "is not JSON: " + Check.bounded(e.getOriginalMessage()));
                }
                if (record == null) {
                    if (header.ends()) {
                        throw new InvalidInputException("line " + (r.line + 1) + ": end", "is missing: the header announces an end record"
                                + " {\"type\":\"" + END_TYPE + "\",...} after the last row, and the file ends before it (cut short when it"
                                + " was written or copied); export it again or use a whole copy");
                    }
                    break;
                }
                String where = r.where();
                if (header.ends() && isEnd(record)) {
                    end = record;
                    endWhere = where;
                    JsonNode after;
                    try {
                        after = r.next();
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        int line = e.getLocation() != null ? e.getLocation().getLineNr() : r.p.currentLocation().getLineNr();
                        throw new InvalidInputException("line " + line, "follows the end record, which closes the file, and is not JSON");
                    }
                    if (after != null) {
                        throw new InvalidInputException("line " + r.line, "follows the end record, which closes the file: two files"
                                + " joined, or lines added; import each export on its own");
                    }
                    break;
                }
                Table table;
                Parsed row;
                try {
                    table = tableOf(record, where);
                    row = Codec.parse(table, record, where);
                } catch (Codec.Unknown e) {
                    throw unknown(e, fileSchema);
                }
                Codec.checkRow(row, where);
                counted.merge(table.type(), 1L, Long::sum);
                if (table.table().equals("credentials")) {
                    plan.credentials.check(row, where);
                }
                vectors.check(row, where);
                if (table.table().equals("vectors")) {
                    // upsertVector refuses a target that does not exist, and vectors have no foreign key to refuse it on insert.
                    deferred.computeIfAbsent(VectorRows.TARGETS.get((String) row.values()[table.index("target_type")]), k -> new LinkedHashMap<>())
                            .putIfAbsent((UUID) row.values()[table.index("target_id")], where + table.type() + ".target_id");
                }
                counters.check(row, where);
                // No count of a memory's tags: an import before ee78d540 stored any number, which the memory store reads; a backup holding
                // them must restore (PortabilityContract#tagsOlderVersionsStoredRoundTrip).
                parents.check(row, where);
                steps.check(row, where);
                threads.check(row, where);
                rollbacks.check(row, where);
                // Each asset looks up one key, or two (as stored and as Windows opens it): room for two left in a query.
                if (!blobKeys.assets.isEmpty() && (table != blobKeys.assets.get(0).row().table()
                        || blobKeys.keys.size() >= PortabilitySql.BLOB_KEYS - 1)) {
                    checkSharedBlobKey(blobKeys);
                }
                if (table.table().equals("assets")) {
                    blobKeys.add(new Located(row, where));
                }
                if (table.byId()) {
                    UUID id = (UUID) row.values()[table.index("id")];
                    if (!seen.computeIfAbsent(table.table(), k -> new HashSet<>()).add(id)) {
                        throw new InvalidInputException(where + table.type() + ".id", id + " appears twice in the input");
                    }
                }
                for (int i = 0; i < table.columns().size(); i++) {
                    Column c = table.columns().get(i);
                    Object v = row.values()[i];
                    if (c.ref() == null || v == null) {
                        continue;
                    }
                    if (c.deferred()) {
                        deferred.computeIfAbsent(c.ref(), k -> new LinkedHashMap<>()).putIfAbsent((UUID) v, where + table.type() + "." + c.name());
                    } else if (!seen.getOrDefault(c.ref(), Set.of()).contains(v)) {
                        unresolved.computeIfAbsent(c.ref(), k -> new LinkedHashMap<>()).putIfAbsent((UUID) v, where + table.type() + "." + c.name());
                    }
                }
                if (!chunk.isEmpty() && chunk.get(0).table() != table || chunk.size() >= LOOKUP) {
                    compareExisting(chunk, chunkIndex, chunkWhere, plan);
                }
                chunk.add(row);
                chunkIndex.add(r.index);
                chunkWhere.add(where);
            }
            compareExisting(chunk, chunkIndex, chunkWhere, plan);
            checkSharedBlobKey(blobKeys);
        }
        for (Map.Entry<String, Map<UUID, String>> e : deferred.entrySet()) {
            Set<UUID> inFile = seen.getOrDefault(e.getKey(), Set.of());
            e.getValue().keySet().removeIf(inFile::contains);
            unresolved.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>()).putAll(e.getValue());
        }
        for (Map.Entry<String, Map<UUID, String>> e : unresolved.entrySet()) {
            checkExist(e.getKey(), e.getValue());
        }
        parents.checkStored();
        steps.checkStored();
        threads.checkStored();
        rollbacks.checkStored();
        counters.checkStored();
        if (end != null) {
            // After the rows' own checks: a row edited out or in is named by what it breaks, when it breaks something.
            checkEnd(end, endWhere, counted);
        }
        return plan;
    }

    /**
     * A message answers an earlier message of its own conversation, as {@code append} requires:
     * the branch rules walk parents upwards and decide a conversation's messages in sequence order,
     * so a message answering itself made {@code activate} loop for ever (holding the write lock),
     * and one answering another conversation's message switched that conversation's branches.
     * Also checks that a message event is filed under its message's conversation.
     */
    private final class Parents {
        /** The file's messages: id -> conversation, sequence. */
        private final Map<UUID, Object[]> inFile = new HashMap<>();
        /** Parents not in the file (stored ones): id -> the answers naming them, as conversation, sequence, where. */
        private final Map<UUID, List<Object[]>> stored = new LinkedHashMap<>();
        /** Messages not in the file (stored ones) that events name: id -> the events, as conversation, field. */
        private final Map<UUID, List<Object[]>> events = new LinkedHashMap<>();
        /** The file's first event filed under another conversation than its message in the file, if any. */
        private Object[] misfiled;

        void check(Parsed row, String where) {
            Table t = row.table();
            if (t.table().equals("message_events")) {
                checkEvent(row, where);
                return;
            }
            if (!t.table().equals("messages")) {
                return;
            }
            Object[] v = row.values();
            UUID conversation = (UUID) v[t.index("conversation_id")];
            long sequence = (Long) v[t.index("sequence")];
            boolean active = Boolean.TRUE.equals(v[t.index("is_active")]);
            // A deleted message hides nothing below it (as restore reads it); only a live inactive one does.
            boolean shown = active || v[t.index("deleted_at")] != null;
            inFile.put((UUID) v[t.index("id")], new Object[] {conversation, sequence, shown});
            UUID parent = (UUID) v[t.index("parent_id")];
            if (parent == null) {
                return;
            }
            Object[] answered = inFile.get(parent);
            if (answered == null) {
                stored.computeIfAbsent(parent, k -> new ArrayList<>()).add(new Object[] {conversation, sequence, where, active});
            } else {
                require(parent, answered[0], (Long) answered[1], conversation, sequence, where);
                requireShown(parent, (Boolean) answered[2], active, where);
            }
        }

        /**
         * An event is in its message's conversation: erase and retention delete events by conversation
         * before the messages, so an event filed under another conversation was left behind and the
         * message's delete failed on the event's foreign key.
         */
        private void checkEvent(Parsed row, String where) {
            Table t = row.table();
            Object[] v = row.values();
            UUID message = (UUID) v[t.index("message_id")];
            UUID conversation = (UUID) v[t.index("conversation_id")];
            String field = where + t.type() + ".conversation_id";
            Object[] of = inFile.get(message);
            if (of == null) {
                events.computeIfAbsent(message, k -> new ArrayList<>()).add(new Object[] {conversation, field});
            } else if (misfiled == null && !of[0].equals(conversation)) {
                // Reported after the reference checks: a message moved to an unknown conversation is named as that.
                misfiled = new Object[] {message, of[0], conversation, field};
            }
        }

        private static void requireEvent(UUID message, Object messageConversation, UUID conversation, String field) {
            if (!messageConversation.equals(conversation)) {
                throw new InvalidInputException(field, "is not the conversation of message " + message + " (" + messageConversation
                        + "): an event is filed under its message's conversation");
            }
        }

        /** The stored parents and events' messages (an unknown one is refused by the reference check). */
        void checkStored() {
            if (misfiled != null) {
                requireEvent((UUID) misfiled[0], misfiled[1], (UUID) misfiled[2], (String) misfiled[3]);
            }
            Set<UUID> all = new java.util.LinkedHashSet<>(stored.keySet());
            all.addAll(events.keySet());
            List<UUID> ids = new ArrayList<>(all);
            byIds("parents", "id, conversation_id, sequence, is_active, deleted_at", "messages", ids,
                    (rs, ctx) -> new Object[] {db.dialect().uuid(rs, "id"), db.dialect().uuid(rs, "conversation_id"), rs.getLong("sequence"),
                            rs.getBoolean("is_active") || rs.getObject("deleted_at") != null})
                    .forEach(found -> {
                        for (Object[] answer : stored.getOrDefault((UUID) found[0], List.of())) {
                            require((UUID) found[0], found[1], (Long) found[2], (UUID) answer[0], (Long) answer[1], (String) answer[2]);
                            requireShown((UUID) found[0], (Boolean) found[3], (Boolean) answer[3], (String) answer[2]);
                        }
                        for (Object[] event : events.getOrDefault((UUID) found[0], List.of())) {
                            requireEvent((UUID) found[0], found[1], (UUID) event[0], (String) event[1]);
                        }
                    });
        }

        /**
         * An active answer's parent is active (or deleted, which hides nothing), as the API keeps it (an
         * answer to an inactive message is stored inactive): an active answer below a hidden one showed
         * in history after a turn it does not answer.
         */
        private static void requireShown(UUID parent, boolean parentShown, boolean active, String where) {
            if (active && !parentShown) {
                throw new InvalidInputException(where + "message.is_active", "is true, but the message it answers (" + parent
                        + ") is inactive: an answer is active only while the message it answers is");
            }
        }

        private static void require(UUID parent, Object parentConversation, long parentSequence, UUID conversation, long sequence,
                                    String where) {
            if (!parentConversation.equals(conversation) || parentSequence >= sequence) {
                throw new InvalidInputException(where + "message.parent_id", "refers to message " + parent + ", which is not an earlier"
                        + " message of conversation " + conversation + ": a message answers one before it in its own conversation");
            }
        }
    }

    /**
     * A message's or tool call's step, and an asset's tool call, belong to its execution, as
     * {@code append}, the recorder and the asset store require: retention and erase unlink or delete
     * what names an execution they delete by its {@code execution_id}, so a row naming a step or tool
     * call without its execution, or another execution's, kept that row's foreign key and made every
     * later purge of that execution (and every erase of its conversation) fail.
     */
    private final class Steps {
        /** A child column naming a row of {@code parent}, which belongs to an execution as the child must. */
        private record Link(String child, String column, String parent) {}

        private static final List<Link> LINKS = List.of(new Link("messages", "step_id", "execution_steps"),
                new Link("execution_tool_calls", "step_id", "execution_steps"), new Link("assets", "tool_call_id", "execution_tool_calls"));

        /** The file's steps and tool calls, per table: id -> execution. */
        private final Map<String, Map<UUID, UUID>> inFile = new HashMap<>();
        /** Steps and tool calls not in the file (stored ones), per table: id -> the rows naming them, as execution, field. */
        private final Map<String, Map<UUID, List<Object[]>>> stored = new LinkedHashMap<>();

        void check(Parsed row, String where) {
            Table t = row.table();
            Object[] v = row.values();
            if (t.table().equals("execution_steps") || t.table().equals("execution_tool_calls")) {
                inFile.computeIfAbsent(t.table(), k -> new HashMap<>()).put((UUID) v[t.index("id")], (UUID) v[t.index("execution_id")]);
            }
            for (Link link : LINKS) {
                if (!t.table().equals(link.child())) {
                    continue;
                }
                UUID named = (UUID) v[t.index(link.column())];
                if (named == null) {
                    continue;
                }
                UUID execution = (UUID) v[t.index("execution_id")];
                String field = where + t.type() + "." + link.column();
                String what = link.parent().equals("execution_steps") ? "step" : "tool call";
                if (execution == null) {
                    throw new InvalidInputException(field, "is given only with execution_id: a " + what + " belongs to an execution");
                }
                UUID owner = inFile.getOrDefault(link.parent(), Map.of()).get(named);
                if (owner == null) {
                    stored.computeIfAbsent(link.parent(), k -> new LinkedHashMap<>()).computeIfAbsent(named, k -> new ArrayList<>())
                            .add(new Object[] {execution, field});
                } else {
                    require(what, named, owner, execution, field);
                }
            }
        }

        /** The stored steps and tool calls (an unknown one is refused by the reference check). */
        void checkStored() {
            stored.forEach((table, named) -> {
                String what = table.equals("execution_steps") ? "step" : "tool call";
                byIds("executionOf", "id, execution_id", table, new ArrayList<>(named.keySet()),
                        (rs, ctx) -> new UUID[] {db.dialect().uuid(rs, "id"), db.dialect().uuid(rs, "execution_id")})
                        .forEach(found -> {
                            for (Object[] row : named.get(found[0])) {
                                require(what, found[0], found[1], (UUID) row[0], (String) row[1]);
                            }
                        });
            });
        }

        private static void require(String what, UUID id, UUID owner, UUID execution, String field) {
            if (!owner.equals(execution)) {
                throw new InvalidInputException(field, "refers to " + what + " " + id + ", which is a " + what + " of execution " + owner
                        + ", not of execution " + execution);
            }
        }
    }

    /**
     * A rollback revision of an assistant or settings document goes back to an earlier revision of
     * the same document, as {@code rollback} makes it: one naming itself or another document's
     * revision showed a history the document never had ({@code rolledBackToNumber} another's number).
     * Checked against the file's earlier revisions, else the stored ones (an unknown one is refused
     * by the reference check). Likewise a document's {@code current_revision_id} is one of its own
     * revisions: another's made {@code current} return another document's prompt or settings.
     */
    private final class Rollbacks {
        /** The file's revisions, per table: id -> {document, number}. */
        private final Map<String, Map<UUID, Object[]>> inFile = new HashMap<>();
        /** Stored targets, per table: id -> the rollbacks naming them, as {document, number, field}. */
        private final Map<String, Map<UUID, List<Object[]>>> stored = new LinkedHashMap<>();

        private static String document(String table) {
            return table.equals("assistant_revisions") ? "assistant_id" : "settings_id";
        }

        /** Documents' current revisions: {revision table, document, revision, field}. */
        private final List<Object[]> currents = new ArrayList<>();

        void check(Parsed row, String where) {
            Table t = row.table();
            if (t.table().equals("assistants") || t.table().equals("settings")) {
                UUID current = (UUID) row.values()[t.index("current_revision_id")];
                if (current != null) {
                    currents.add(new Object[] {t.table().equals("assistants") ? "assistant_revisions" : "settings_revisions",
                            row.values()[t.index("id")], current, where + t.type() + ".current_revision_id"});
                }
                return;
            }
            if (!t.table().equals("assistant_revisions") && !t.table().equals("settings_revisions")) {
                return;
            }
            Object[] v = row.values();
            UUID id = (UUID) v[t.index("id")];
            Object[] self = {v[t.index(document(t.table()))], v[t.index("number")]};
            UUID target = (UUID) v[t.index("rolled_back_to")];
            if (target != null) {
                String field = where + t.type() + ".rolled_back_to";
                Object[] found = target.equals(id) ? self : inFile.getOrDefault(t.table(), Map.of()).get(target);
                if (found == null) {
                    stored.computeIfAbsent(t.table(), k -> new LinkedHashMap<>()).computeIfAbsent(target, k -> new ArrayList<>())
                            .add(new Object[] {self[0], self[1], field});
                } else {
                    require(target, found, self[0], (Long) self[1], field);
                }
            }
            inFile.computeIfAbsent(t.table(), k -> new HashMap<>()).put(id, self);
        }

        void checkStored() {
            // A current revision follows its document in the file: every one of the file's revisions is known now.
            for (Object[] c : currents) {
                Object[] found = inFile.getOrDefault((String) c[0], Map.of()).get((UUID) c[2]);
                if (found == null) {
                    stored.computeIfAbsent((String) c[0], k -> new LinkedHashMap<>()).computeIfAbsent((UUID) c[2], k -> new ArrayList<>())
                            .add(new Object[] {c[1], null, c[3]});
                } else {
                    require((UUID) c[2], found, c[1], null, (String) c[3]);
                }
            }
            stored.forEach((table, named) -> byIds("rollbackTargets", "id, " + document(table) + ", number", table,
                    new ArrayList<>(named.keySet()), (rs, ctx) -> new Object[] {db.dialect().uuid(rs, "id"),
                            db.dialect().uuid(rs, document(table)), rs.getLong("number")})
                    .forEach(found -> {
                        for (Object[] rollback : named.get((UUID) found[0])) {
                            require((UUID) found[0], new Object[] {found[1], found[2]}, rollback[0], (Long) rollback[1], (String) rollback[2]);
                        }
                    }));
        }

        /** {@code number} null: a document's current revision, any of its own; else a rollback's target, an earlier one. */
        private static void require(UUID target, Object[] found, Object document, Long number, String field) {
            if (number == null && !found[0].equals(document)) {
                throw new InvalidInputException(field, "refers to revision " + target + ", which is a revision of " + found[0] + ", not of "
                        + document + ": a document's current revision is one of its own");
            }
            if (number != null && (!found[0].equals(document) || (Long) found[1] >= number)) {
                throw new InvalidInputException(field, "refers to revision " + target + ", which is not an earlier revision of "
                        + document + ": a rollback goes back to an earlier revision of its own document");
            }
        }
    }

    /**
     * A tool thread's {@code parent_tool_call_id} is a call of an execution of its
     * {@code parent_conversation_id}, as {@code ConversationStore.create} requires: one of another
     * conversation listed the thread under a call it did not answer. Checked once the file's calls
     * and executions are read (they follow the conversations), else against the stored ones. A
     * call found nowhere is left as it is (no reference check: older versions kept a thread whose
     * call was purged), and so is a call without a parent conversation.
     */
    private final class ToolThreads {
        /** Calls named by the file's tool threads: call id -> the threads naming it, as parent conversation, field. */
        private final Map<UUID, List<Object[]>> named = new LinkedHashMap<>();
        /** The file's tool calls: id -> execution. */
        private final Map<UUID, UUID> calls = new HashMap<>();
        /** The file's executions: id -> conversation (null for none). */
        private final Map<UUID, UUID> executions = new HashMap<>();

        void check(Parsed row, String where) {
            Table t = row.table();
            Object[] v = row.values();
            switch (t.table()) {
                case "conversations" -> {
                    UUID call = (UUID) v[t.index("parent_tool_call_id")];
                    UUID parent = (UUID) v[t.index("parent_conversation_id")];
                    if (call != null && parent != null) {
                        named.computeIfAbsent(call, k -> new ArrayList<>()).add(new Object[] {parent, where + t.type() + ".parent_tool_call_id"});
                    }
                }
                case "execution_tool_calls" -> calls.put((UUID) v[t.index("id")], (UUID) v[t.index("execution_id")]);
                case "executions" -> executions.put((UUID) v[t.index("id")], (UUID) v[t.index("conversation_id")]);
                default -> { }
            }
        }

        void checkStored() {
            if (named.isEmpty()) {
                return;
            }
            Map<UUID, UUID> callExecution = new HashMap<>(calls);
            lookup("execution_tool_calls", "execution_id", named.keySet(), callExecution);
            Map<UUID, UUID> executionConversation = new HashMap<>(executions);
            Set<UUID> wanted = new java.util.LinkedHashSet<>();
            for (UUID call : named.keySet()) {
                UUID execution = callExecution.get(call);
                if (execution != null) {
                    wanted.add(execution);
                }
            }
            lookup("executions", "conversation_id", wanted, executionConversation);
            named.forEach((call, threads) -> {
                UUID execution = callExecution.get(call);
                if (execution == null || !executionConversation.containsKey(execution)) {
                    return;
                }
                UUID conversation = executionConversation.get(execution);
                for (Object[] thread : threads) {
                    if (!thread[0].equals(conversation)) {
                        throw new InvalidInputException((String) thread[1], "refers to tool call " + call + ", which is a call of "
                                + (conversation == null ? "an execution without a conversation" : "conversation " + conversation)
                                + ", not of " + thread[0] + ": a tool thread's call is a call of its parent conversation");
                    }
                }
            });
        }

        /** Reads {@code column} of the stored rows of {@code table} among {@code ids} not already in {@code into}. */
        private void lookup(String table, String column, Set<UUID> ids, Map<UUID, UUID> into) {
            List<UUID> missing = ids.stream().filter(id -> !into.containsKey(id)).toList();
            byIds("threadLinks", "id, " + column, table, missing, (rs, ctx) -> new UUID[] {db.dialect().uuid(rs, "id"), db.dialect().uuid(rs, column)})
                    .forEach(found -> into.put(found[0], found[1]));
        }
    }

    /**
     * A numbered child within its parent's counter: the API numbers the next message, revision or
     * memory revision from the parent's counter, so one numbered beyond it would make that append,
     * publish or patch fail on the unique number. Checked against the parent's row in the file
     * (where an export puts it, before its children), else against the stored parent: a message
     * beyond a stored conversation's counter made every later append to it fail.
     */
    private final class Counters {
        /** Parent table, its counter, child table, the child's reference, its number, how far below the counter a child stays. */
        private record Counter(String parent, String counter, String child, String ref, String number, long gap) {}

        private static final List<Counter> ALL = List.of(
                new Counter("conversations", "last_sequence", "messages", "conversation_id", "sequence", 0),
                new Counter("assistants", "last_revision", "assistant_revisions", "assistant_id", "number", 0),
                new Counter("settings", "last_revision", "settings_revisions", "settings_id", "number", 0),
                // A memory at revision r keeps its replaced contents as revisions 1 .. r-1.
                new Counter("memories", "revision", "memory_revisions", "memory_id", "revision", 1));

        private final Map<String, Map<UUID, Long>> values = new HashMap<>();
        /** Children of parents not in the file, per counter: parent id -> the highest number and where it stands. */
        private final Map<Counter, Map<UUID, Object[]>> stored = new LinkedHashMap<>();

        void check(Parsed row, String where) {
            Table t = row.table();
            Object[] v = row.values();
            for (Counter c : ALL) {
                if (t.table().equals(c.parent())) {
                    values.computeIfAbsent(c.parent(), k -> new HashMap<>()).put((UUID) v[t.index("id")], (Long) v[t.index(c.counter())]);
                } else if (t.table().equals(c.child())) {
                    UUID parent = (UUID) v[t.index(c.ref())];
                    Long counter = values.getOrDefault(c.parent(), Map.of()).get(parent);
                    long number = (Long) v[t.index(c.number())];
                    String field = where + t.type() + "." + c.number();
                    if (counter == null) {
                        stored.computeIfAbsent(c, k -> new LinkedHashMap<>()).merge(parent, new Object[] {number, field},
                                (was, now) -> (Long) was[0] >= (Long) now[0] ? was : now);
                    } else {
                        require(c, counter, number, field);
                    }
                }
            }
        }

        /** The children of stored parents (an unknown parent is refused by the reference check). */
        void checkStored() {
            stored.forEach((c, children) -> {
                byIds("counters", "id, " + c.counter(), c.parent(), new ArrayList<>(children.keySet()),
                        (rs, ctx) -> Map.entry(db.dialect().uuid(rs, "id"), rs.getLong(c.counter())))
                        .forEach(found -> {
                            Object[] child = children.get(found.getKey());
                            require(c, found.getValue(), (Long) child[0], (String) child[1]);
                        });
            });
        }

        private static void require(Counter c, long counter, long number, String field) {
            if (number > counter - c.gap()) {
                throw new InvalidInputException(field, "is " + number + ", beyond its " + PortableSchema.byTable(c.parent()).type() + "'s "
                        + c.counter() + " " + counter + (c.gap() > 0 ? " (less " + c.gap() + ")" : "")
                        + ": the next number the API gives would clash with it");
            }
        }
    }

    /**
     * Vectors as {@link dev.atlas.search.Search#upsertVector} takes them: a search would otherwise
     * score NaN, divide by a zero length, or never find a vector of another dimension than its
     * model's, and a length the database refuses would fail only on insert, after earlier batches.
     */
    private final class VectorRows {
        private static final Table MODELS = PortableSchema.byType("vector_model");
        /** The table of each target type a vector may point at. */
        static final Map<String, String> TARGETS = Map.of("message", "messages", "memory", "memories", "asset", "assets");
        /** Dimension per model: the file's vector_model rows, then the tenant's (0: neither has it). */
        private final Map<String, Integer> dimensions = new HashMap<>();

        void check(Parsed row, String where) {
            Table table = row.table();
            Object[] v = row.values();
            if (table == MODELS) {
                long dimension = (Long) v[table.index("dimension")];
                if (dimension > dev.atlas.Limits.MAX_VECTOR_DIMENSION) {
                    throw new InvalidInputException(where + "vector_model.dimension", "must be at most "
                            + dev.atlas.Limits.MAX_VECTOR_DIMENSION + ", was " + dimension);
                }
                dimensions.put((String) v[table.index("model")], (int) dimension);
                return;
            }
            if (!table.table().equals("vectors")) {
                return;
            }
            String field = where + table.type() + ".";
            String model = (String) v[table.index("model")];
            long dimension = (Long) v[table.index("dimension")];
            if (dimension > dev.atlas.Limits.MAX_VECTOR_DIMENSION) {
                throw new InvalidInputException(field + "dimension", "must be at most " + dev.atlas.Limits.MAX_VECTOR_DIMENSION + ", was " + dimension);
            }
            byte[] bytes = java.util.Base64.getDecoder().decode((String) v[table.index("vector")]);
            if (bytes.length != 4 * dimension) {
                throw new InvalidInputException(field + "vector", "holds " + bytes.length + " bytes; a vector of dimension " + dimension
                        + " is " + 4 * dimension + " (little-endian float32 values)");
            }
            dev.atlas.internal.VectorCheck.checked(field + "vector", dev.atlas.jdbi.internal.Vectors.decode(bytes));
            int expected = dimensions.computeIfAbsent(model, m -> db.read(h -> sql.on(h, q.byKey(MODELS)).bind("model", m)
                    .list((rs, ctx) -> rs.getInt("dimension"))).stream().findFirst().orElse(0));
            if (expected == 0) {
                throw new InvalidInputException(field + "model", "refers to vector_model " + model
                        + ", which is neither earlier in the input nor in this tenant");
            }
            if (expected != dimension) {
                throw new InvalidInputException(field + "dimension", "is " + dimension + ", but vector_model " + model + " has dimension "
                        + expected);
            }
        }
    }

    /**
     * An imported asset may name a blob key that rows of other tenants name (a copy of an export
     * shares the original's bytes), but only with their content (sha256 and size), and not a key
     * another tenant is purging: otherwise a file could name another tenant's key and read its
     * bytes, live or erased but not yet deleted. A key names the same file as another one in any ASCII case, and, as Windows opens
     * it, without the dots ending its segments ({@code report.} is {@code report}): the keys of {@code b}'s assets are looked up
     * as written and so opened, one query per {@link PortabilitySql#BLOB_KEYS} keys; the stored keys with a segment ending in
     * {@code .} (which only older versions and imports of their files stored) are read once per import, so opened.
     */
    private void checkSharedBlobKey(SharedBlobKeys b) {
        if (b.assets.isEmpty()) {
            return;
        }
        Table t = b.assets.get(0).row().table();
        if (b.dotted == null) {
            Map<String, List<Object[]>> dotted = new HashMap<>();
            db.read(h -> sql.on(h, q.dottedBlobKeyContent).bind("tenant", tenant()).list(JdbiPortability::keyContent))
                    .forEach(found -> dotted.computeIfAbsent(Codec.openedBlobKey((String) found[0]), k -> new ArrayList<>()).add(found));
            b.dotted = dotted;
        }
        Map<String, List<Object[]>> stored = new HashMap<>();
        db.read(h -> {
            Sql.Call call = sql.on(h, q.blobKeyContent)
                    .bind("tenant", tenant());
            for (int i = 0; i < PortabilitySql.BLOB_KEYS; i++) {
                call.bind("lowerKey" + i, i < b.keys.size() ? b.keys.get(i) : null);
            }
            return call.list(JdbiPortability::keyContent);
        }).forEach(found -> stored.computeIfAbsent((String) found[0], k -> new ArrayList<>()).add(found));
        for (Located a : b.assets) {
            Object[] v = a.row().values();
            Object sha256 = v[t.index("sha256")];
            Object size = v[t.index("size_bytes")];
            String opened = Codec.openedBlobKey(key(a.row()));
            // The file's own earlier rows naming the key (as Windows opens it) count as stored ones: the two would share the bytes.
            Object[] earlier = b.inFile.putIfAbsent(opened, new Object[] {null, sha256, size});
            List<Object[]> named = new ArrayList<>();
            for (String k : new java.util.LinkedHashSet<>(List.of(lowerKey(a.row()), opened))) {
                named.addAll(stored.getOrDefault(k, List.of()));
            }
            named.addAll(b.dotted.getOrDefault(opened, List.of()));
            named = new ArrayList<>(pendingIgnoredWhileNamed(named));
            if (earlier != null) {
                named.add(earlier);
            }
            for (Object[] found : named) {
                if (!sha256.equals(found[1]) || !size.equals(found[2])) {
                    throw new InvalidInputException(a.where() + t.type() + ".blob_key", "names the bytes of another asset, whose sha256 and"
                            + " size differ: a copy shares an asset's bytes only with its content");
                }
            }
        }
        b.assets.clear();
        b.keys.clear();
    }

    private static Object[] keyContent(java.sql.ResultSet rs, @Nullable Object ctx) throws java.sql.SQLException {
        return new Object[] {rs.getString(1), rs.getString(2), rs.getObject(3) == null ? null : rs.getLong(3)};
    }

    /**
     * The stored holders {@code found} of one key ({@link #keyContent}: asset rows with their content, other tenants' intents
     * without) with the intents left out when an asset row is among them: the bytes a row names are not being deleted, whatever
     * intents wait for that row (a purge of another spelling, {@code BlobReaper#deleteUnnamed}); the row's content decides.
     */
    private static List<Object[]> pendingIgnoredWhileNamed(List<Object[]> found) {
        return found.stream().anyMatch(f -> f[1] != null) ? found.stream().filter(f -> f[1] != null).toList() : found;
    }

    /**
     * What {@link #checkSharedBlobKey} checks an import's assets against: the asset rows it has yet to look up with the keys it
     * looks up for them (each lower-cased, and a key with a segment ending in {@code .} also as Windows opens it, so that it names
     * another tenant's {@code report} only with its content), the keys the file named before, and the stored keys with a segment
     * ending in {@code .} by the key Windows opens (read at the first check).
     */
    private static final class SharedBlobKeys {
        final List<Located> assets = new ArrayList<>();
        final List<String> keys = new ArrayList<>();
        final Map<String, Object[]> inFile = new HashMap<>();
        Map<String, List<Object[]>> dotted;

        void add(Located asset) {
            assets.add(asset);
            String lower = lowerKey(asset.row());
            keys.add(lower);
            String opened = Codec.openedBlobKey(lower);
            if (!opened.equals(lower)) {
                keys.add(opened);
            }
        }
    }

    private static String key(Parsed asset) {
        return (String) asset.values()[asset.table().index("blob_key")];
    }

    private static String lowerKey(Parsed asset) {
        return key(asset).toLowerCase(java.util.Locale.ROOT);
    }

    /** A parsed record with where it stands in the input. */
    private record Located(Parsed row, String where) {}

    /** The stored rows of {@code table} among {@code ids}, read {@link #LOOKUP} ids a statement. */
    private <T> List<T> byIds(String name, String columns, String table, List<UUID> ids, dev.atlas.jdbi.internal.sql.RowMapper<T> mapper) {
        List<T> rows = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += LOOKUP) {
            List<UUID> part = ids.subList(i, Math.min(ids.size(), i + LOOKUP));
            rows.addAll(db.read(h -> InList.bind(sql.on(h, q.byIds(name, columns, table, part.size())), "ids", part).list(mapper)));
        }
        return rows;
    }

    private void checkExist(String table, Map<UUID, String> refs) {
        List<UUID> ids = new ArrayList<>(refs.keySet());
        for (int i = 0; i < ids.size(); i += LOOKUP) {
            List<UUID> part = ids.subList(i, Math.min(ids.size(), i + LOOKUP));
            Set<UUID> found = new HashSet<>(db.read(h -> InList.bind(sql.on(h, q.byIds("exists", "id", table, part.size())), "ids", part)
                    .list(sql.uuidColumn())));
            for (UUID id : part) {
                if (!found.contains(id)) {
                    throw new InvalidInputException(refs.get(id), "refers to " + PortableSchema.byTable(table).type() + " " + id
                            + ", which is neither earlier in the input nor in this tenant");
                }
            }
        }
    }

    /** Marks the chunk's rows that already exist identically; fails on one that exists with other values. */
    private void compareExisting(List<Parsed> chunk, List<Integer> indexes, List<String> wheres, Plan plan) {
        if (chunk.isEmpty()) {
            return;
        }
        Table table = chunk.get(0).table();
        Map<List<Object>, Object[]> existing = existing(table, chunk);
        List<Located> fresh = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
            Parsed row = chunk.get(i);
            Object[] have = existing.get(key(table, row.values()));
            if (have == null) {
                if (table.table().equals("credentials")) {
                    plan.credentials.checkNew(row, wheres.get(i));
                }
                fresh.add(new Located(row, wheres.get(i)));
                continue;
            }
            for (int c = 0; c < have.length; c++) {
                Column col = table.columns().get(c);
                if (java.util.Objects.equals(have[c], row.values()[c])) {
                    continue;
                }
                if (row.values()[c] == null && Scope.DETACHABLE.contains(table.table() + "." + col.name())) {
                    // An owner's or a conversation's export leaves out links to rows outside it: the stored link stays.
                    continue;
                }
                if (ImportedCredentials.SEALED.contains(col.name()) && table.table().equals("credentials")
                        && plan.credentials.sameSecret(have, row)) {
                    continue; // the same credential under another seal (resealed by an earlier import, or re-encrypted since)
                }
                if (col.deferred() && have[c] == null) {
                    // An earlier import stopped before linking the current revision: link it now.
                    plan.relink.put((UUID) row.values()[table.index("id")], new Link(table, (UUID) row.values()[c]));
                    continue;
                }
                throw new ConflictException(wheres.get(i) + table.type() + "." + col.name(), table.type() + " " + Check.escaped(describeKey(table, row.values()))
                        + " already exists in this tenant with a different " + col.name());
            }
            plan.skip.set(indexes.get(i));
            if (table.byId()) {
                plan.stored.computeIfAbsent(table.table(), k -> new HashSet<>()).add((UUID) row.values()[table.index("id")]);
            }
            plan.unchanged.merge(table.type(), 1L, Long::sum);
        }
        checkUnique(table, fresh, plan);
        chunk.clear();
        indexes.clear();
        wheres.clear();
    }

    /**
     * Refuses a new row holding a unique key other than its id that an earlier new row of the input
     * holds (InvalidInputException) or a stored row holds (ConflictException): on insert it would
     * fail only after earlier batches were written.
     */
    private void checkUnique(Table table, List<Located> fresh, Plan plan) {
        if (fresh.isEmpty()) {
            return;
        }
        List<PortableSchema.Unique> uniques = new ArrayList<>(PortableSchema.UNIQUE.getOrDefault(table.table(), List.of()));
        if (!table.byId()) {
            // A row without an id (a memory's tag, a vector model) given twice: the key is its own, new to this tenant.
            uniques.add(new PortableSchema.Unique(table.key(), table.key().get(table.key().size() - 1), List.of(), null));
        }
        for (PortableSchema.Unique u : uniques) {
            Map<List<Object>, String> inFile = plan.keys.computeIfAbsent(table.table() + " " + u.columns(), k -> new HashMap<>());
            String parent = table.column(u.columns().get(0)).ref();
            Map<List<Object>, String> wanted = new LinkedHashMap<>();
            for (Located r : fresh) {
                List<Object> key = uniqueKey(table, u, r.row().values());
                if (key == null) {
                    continue;
                }
                String first = inFile.putIfAbsent(key, r.where());
                if (first != null) {
                    throw new InvalidInputException(r.where() + table.type() + "." + u.field(), "holds " + String.join(", ", u.columns())
                            + " " + Check.escaped(key.toString()) + " as the " + table.type() + " of " + first.substring(0, first.length() - 2)
                            + " does: they are unique");
                }
                if (parent != null && plan.isNew(parent, key.get(0))) {
                    continue; // under a parent this import adds (a new conversation's messages): nothing stored holds the key
                }
                wanted.put(key, r.where());
            }
            if (u.columns().equals(table.key())) {
                continue; // fresh rows: existing() found none stored
            }
            List<List<Object>> keys = new ArrayList<>(wanted.keySet());
            Dialect d = db.dialect();
            for (int from = 0; from < keys.size(); from += UNIQUE_LOOKUP) {
                List<List<Object>> part = keys.subList(from, Math.min(keys.size(), from + UNIQUE_LOOKUP));
                List<Object[]> held = db.read(h -> {
                    // Always UNIQUE_LOOKUP slots, the last key repeated in the unused ones: one statement
                    // text per unique key, not one per batch size, in the bounded statement caches.
                    Sql.Call call = sql.on(h, q.holding(table, u, UNIQUE_LOOKUP, d));
                    for (int i = 0; i < UNIQUE_LOOKUP; i++) {
                        List<Object> key = part.get(Math.min(i, part.size() - 1));
                        for (int j = 0; j < u.columns().size(); j++) {
                            call.bind("u" + i + "_" + j, Codec.bindable(table.column(u.columns().get(j)), key.get(j), d));
                        }
                    }
                    return call.list((rs, ctx) -> Codec.read(table, rs, d));
                });
                Instant now = db.now();
                for (Object[] stored : held) {
                    List<Object> key = uniqueKey(table, u, stored);
                    String where = key == null ? null : wanted.get(key);
                    if (where != null && table.table().equals("memories") && stored[table.index("expires_at")] instanceof Instant expiry
                            && !expiry.isAfter(now)) {
                        plan.expiredMemoryKeys.add((String) key.get(0));   // invisible, and a create would take its key
                        continue;
                    }
                    if (where != null) {
                        throw new ConflictException(where + table.type() + "." + u.field(), table.type() + " " + stored[table.index("id")]
                                + " of this tenant already holds " + String.join(", ", u.columns()) + " " + Check.escaped(key.toString()) + ": they are unique");
                    }
                }
            }
        }
    }

    /** The values of {@code u}'s columns in {@code row}, or null when the row holds no such key (a null in it, its index's condition unmet). */
    private static List<Object> uniqueKey(Table table, PortableSchema.Unique u, Object[] row) {
        for (String col : u.nullColumns()) {
            if (row[table.index(col)] != null) {
                return null;
            }
        }
        if (u.trueColumn() != null && !Boolean.TRUE.equals(row[table.index(u.trueColumn())])) {
            return null;
        }
        if (u.exceptColumn() != null && u.exceptValue().equals(row[table.index(u.exceptColumn())])) {
            return null;
        }
        List<Object> key = new ArrayList<>(u.columns().size());
        for (String col : u.columns()) {
            Object v = row[table.index(col)];
            if (v == null) {
                return null;
            }
            key.add(v);
        }
        return key;
    }

    private static List<Object> key(Table table, Object[] values) {
        List<Object> k = new ArrayList<>(table.key().size());
        for (String col : table.key()) {
            k.add(values[table.index(col)]);
        }
        return k;
    }

    private static String describeKey(Table table, Object[] values) {
        List<Object> k = key(table, values);
        return k.size() == 1 ? String.valueOf(k.get(0)) : k.toString();
    }

    private Map<List<Object>, Object[]> existing(Table table, List<Parsed> chunk) {
        Map<List<Object>, Object[]> out = new HashMap<>();
        Dialect d = db.dialect();
        if (table.byId()) {
            List<Object> ids = new ArrayList<>(chunk.size());
            for (Parsed p : chunk) {
                ids.add(p.values()[table.index("id")]);
            }
            db.read(h -> InList.bind(sql.on(h, q.byIds("existing", PortabilitySql.columns(table), table.table(), ids.size())), "ids", ids)
                    .list((rs, ctx) -> Codec.read(table, rs, d)))
                    .forEach(row -> out.put(key(table, row), row));
            return out;
        }
        // memory_tags and vector_models: few rows, looked up one key at a time.
        db.read(h -> {
            for (Parsed p : chunk) {
                Sql.Call call = sql.on(h, q.byKey(table));
                for (String k : table.key()) {
                    call.bind(k, p.values()[table.index(k)]);
                }
                call.list((rs, ctx) -> Codec.read(table, rs, d)).forEach(row -> out.put(key(table, row), row));
            }
            return null;
        });
        return out;
    }

    private ImportReport write(Path spool, Plan plan) throws IOException {
        Map<String, Long> imported = new LinkedHashMap<>();
        Map<UUID, Link> links = new LinkedHashMap<>(plan.relink);
        List<Parsed> batch = new ArrayList<>(BATCH);
        List<String> wheres = new ArrayList<>(BATCH);
        boolean vectors = false;
        try (Reader r = new Reader(spool)) {
            boolean ends = header(r).ends();
            for (JsonNode record = r.next(); record != null; record = r.next()) {
                if (ends && isEnd(record)) {
                    break; // checked by validate, as the last record
                }
                if (plan.skip.get(r.index)) {
                    continue;
                }
                String where = r.where();
                Parsed row;
                try {
                    row = Codec.parse(tableOf(record, where), record, where);
                } catch (Codec.Unknown e) {
                    throw unknown(e, null); // validated already: the spool file is read again unchanged
                }
                batch.add(row.table().table().equals("credentials") ? plan.credentials.sealedHere(row, where) : row);
                wheres.add(where);
                vectors |= row.table().table().equals("vectors");
                if (batch.size() >= BATCH) {
                    insert(batch, wheres, links, imported, plan.expiredMemoryKeys);
                    batch.clear();
                    wheres.clear();
                }
            }
            insert(batch, wheres, links, imported, plan.expiredMemoryKeys);
            if (!links.isEmpty()) {
                db.write(h -> {
                    link(h, links, true);
                    return null;
                });
            }
        } finally {
            // The vectors written carry their bytes only (also those of batches committed before a failure): with pgvector they
            // get their embeddings and their models' indexes now, in the background, as at start-up, not at the next restart.
            if (vectors && db.dialect() == dev.atlas.jdbi.internal.Dialect.POSTGRESQL) {
                dev.atlas.jdbi.internal.PgVectorIndex.imported(db, tenant());
            }
        }
        return new ImportReport(imported, plan.unchanged);
    }

    private void insert(List<Parsed> batch, List<String> wheres, Map<UUID, Link> links, Map<String, Long> imported,
            Set<String> expiredMemoryKeys) {
        if (batch.isEmpty() && links.isEmpty()) {
            return;
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        try {
            db.write(h -> {
                counts.clear();
                // The blob keys' locks before any client key's (insertRun), the order AssetStore.register takes them in: taken the
                // other way round, an import and a register of one blob key and one client key deadlocked (PostgreSQL fails one with
                // 40P01, a retryable StorageException; PortabilityContract#importAndRegisterOfOneBlobAndClientKeyTakeTheirLocksInOneOrder).
                refusePurgedBlobKeys(h, batch, wheres);
                int from = 0;
                while (from < batch.size()) {
                    Table table = batch.get(from).table();
                    int to = from;
                    while (to < batch.size() && batch.get(to).table() == table) {
                        to++;
                    }
                    insertRun(h, table, batch.subList(from, to), links, expiredMemoryKeys);
                    counts.merge(table.type(), (long) (to - from), Long::sum);
                    from = to;
                }
                link(h, links, false);
                return null;
            });
        } catch (StorageException e) {
            if (isUniqueViolation(e)) {
                throw takenSinceChecked(batch, wheres, e);
            }
            if (isForeignKeyViolation(e)) {
                throw goneSinceChecked(wheres, e);
            }
            throw e;
        }
        counts.forEach((k, v) -> imported.merge(k, v, Long::sum));
    }

    /**
     * Refuses an asset of {@code batch} whose blob key (in any ASCII case, or as Windows opens it) a purge of any tenant, this one
     * too, is deleting the bytes of (a claimed intent): one that committed after the first pass checked the key may already have
     * found no row naming it, and would delete the bytes the asset names. Run in the transaction writing the batch, after the
     * keys' locks on PostgreSQL ({@link BlobReaper#keyLock}, which the purge's check of the key's holders takes): the purge then
     * sees the asset, or the asset sees its intent. On SQLite the single writer orders them the same way. A claimed intent of a key
     * that a committed asset row (of any tenant, in any spelling) still names is no purge in progress: such an intent waits for
     * that row ({@link BlobReaper#deleteUnnamed} keeps it while only rows of other spellings name the key), and no purge can be
     * deleting the bytes then (its check under the lock found no row, and any row stored since passed this check). Then, under the same
     * locks, refuses an asset whose key a row stored since the first pass names with other content (sha256, size), as
     * {@link #checkSharedBlobKey} does: another tenant's register or import of the key (which hold the key's lock from their own
     * check to their commit) is committed and read here, or waits and then finds this asset's row.
     */
    private void refusePurgedBlobKeys(Handle h, List<Parsed> batch, List<String> wheres) {
        List<Integer> assets = new ArrayList<>();
        java.util.Set<String> keys = new java.util.LinkedHashSet<>();
        java.util.Set<String> opened = new java.util.TreeSet<>();
        for (int i = 0; i < batch.size(); i++) {
            if (batch.get(i).table().table().equals("assets")) {
                assets.add(i);
                String lower = lowerKey(batch.get(i));
                keys.add(lower);
                keys.add(Codec.openedBlobKey(lower));
                opened.add(Codec.openedBlobKey(lower));
            }
        }
        if (assets.isEmpty()) {
            return;
        }
        if (q.keyLocks != null) {
            sql.on(h, q.keyLocks).bind("locks", PgSessions.lockArray(opened.stream().mapToLong(BlobReaper::keyLock))).one(Sql.LONG);
        }
        // The content of the rows naming the keys, read again under the same locks: a row another tenant stored since the first
        // pass checked the key (a register, an import) with other content would otherwise share its bytes with this one.
        List<String> all = new ArrayList<>(keys);
        Map<String, List<Object[]>> stored = new HashMap<>();
        sql.on(h, q.dottedBlobKeyContent).bind("tenant", tenant()).list(JdbiPortability::keyContent)
                .forEach(found -> stored.computeIfAbsent(Codec.openedBlobKey((String) found[0]), k -> new ArrayList<>()).add(found));
        for (int from = 0; from < all.size(); from += PortabilitySql.BLOB_KEYS) {
            List<String> part = all.subList(from, Math.min(all.size(), from + PortabilitySql.BLOB_KEYS));
            Sql.Call call = sql.on(h, q.blobKeyContent).bind("tenant", tenant());
            for (int i = 0; i < PortabilitySql.BLOB_KEYS; i++) {
                call.bind("lowerKey" + i, i < part.size() ? part.get(i) : null);
            }
            call.list(JdbiPortability::keyContent).forEach(found -> stored.computeIfAbsent(Codec.openedBlobKey((String) found[0]),
                    k -> new ArrayList<>()).add(found));
        }
        // A claimed intent of a key some row still names (as Windows opens it) is no purge in progress: its file waits for the last
        // row of another spelling (BlobReaper.deleteUnnamed keeps such an intent), and under the key's lock no purge can be deleting
        // the bytes of a key a committed row names (its check would have found the row; a row stored since had to pass this check).
        stored.replaceAll((k, found) -> pendingIgnoredWhileNamed(found));
        Set<String> named = new HashSet<>(stored.entrySet().stream().filter(e -> e.getValue().stream().anyMatch(f -> f[1] != null))
                .map(Map.Entry::getKey).toList());
        Set<String> purging = new HashSet<>();
        for (int from = 0; from < all.size(); from += PortabilitySql.BLOB_KEYS) {
            List<String> part = all.subList(from, Math.min(all.size(), from + PortabilitySql.BLOB_KEYS));
            Sql.Call call = Sql.crossTenant(db).on(h, q.blobKeyPurges);
            for (int i = 0; i < PortabilitySql.BLOB_KEYS; i++) {
                call.bind("lowerKey" + i, i < part.size() ? part.get(i) : null);
            }
            call.list(Sql.STRING).forEach(k -> purging.add(Codec.openedBlobKey(k)));
        }
        String first = wheres.get(0).substring(0, wheres.get(0).length() - 2);
        for (int i : assets) {
            String openedKey = Codec.openedBlobKey(lowerKey(batch.get(i)));
            if (purging.contains(openedKey) && !named.contains(openedKey)) {
                throw new ConflictException(wheres.get(i) + batch.get(i).table().type() + ".blob_key", "names a blob key whose bytes a"
                        + " purge is deleting (of an asset of this tenant or another, purged after the import checked the key), and rows"
                        + " before " + first + " are imported: import the same file again to resume once the asset's bytes are back"
                        + " under its key (rows already imported are skipped as unchanged)");
            }
        }
        for (int i : assets) {
            Parsed a = batch.get(i);
            Object sha256 = a.values()[a.table().index("sha256")];
            Object size = a.values()[a.table().index("size_bytes")];
            for (Object[] found : stored.getOrDefault(Codec.openedBlobKey(lowerKey(a)), List.of())) {
                if (!sha256.equals(found[1]) || !size.equals(found[2])) {
                    throw new ConflictException(wheres.get(i) + a.table().type() + ".blob_key", "names the bytes of another asset, whose"
                            + " sha256 and size differ (stored after the import checked the key): a copy shares an asset's bytes only"
                            + " with its content, and rows before " + first + " are imported (importing the same file again skips them as"
                            + " unchanged)");
                }
            }
        }
    }

    /**
     * A unique key another writer took after the first pass checked it: the batch rolled back, and
     * the batches before it stay committed. Undoing them would delete rows others may already use,
     * and one transaction for the whole import would hold SQLite's only write lock for its whole
     * length, so the import is left resumable instead: the rows before the batch are whole rows
     * with their parents, and importing the same file again skips them as unchanged. The clashing
     * line and column are found by checking the batch's keys again.
     */
    private ConflictException takenSinceChecked(List<Parsed> batch, List<String> wheres, StorageException e) {
        String first = wheres.isEmpty() ? "the last batch" : wheres.get(0).substring(0, wheres.get(0).length() - 2);
        String resume = "; it was taken after the import checked it, and rows before " + first + " are imported: once the key is"
                + " free, import the same file again to resume (rows already imported are skipped as unchanged)";
        Map<Table, List<Located>> byTable = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            byTable.computeIfAbsent(batch.get(i).table(), t -> new ArrayList<>()).add(new Located(batch.get(i), wheres.get(i)));
        }
        for (Map.Entry<Table, List<Located>> t : byTable.entrySet()) {
            try {
                checkUnique(t.getKey(), t.getValue(), new Plan());
            } catch (ConflictException clash) {
                ConflictException out = new ConflictException(clash.field(), clash.getMessage().substring(clash.field().length() + 2) + resume);
                out.initCause(e);
                return out;
            }
        }
        ConflictException out = new ConflictException("input", "a row from " + first + " on conflicts with a stored row on a unique key: "
                + e.getMessage() + resume);
        out.initCause(e);
        return out;
    }

    /**
     * A stored row the batch names was deleted after the import checked it (another writer's purge or erase): the batch rolled
     * back, the batches before it stay committed (see {@link #takenSinceChecked}); importing the file again resumes: a deleted
     * row the file holds is imported again, and a row naming one it does not hold is refused as naming a row that exists nowhere.
     */
    private static ConflictException goneSinceChecked(List<String> wheres, StorageException e) {
        String first = wheres.isEmpty() ? "the last batch" : wheres.get(0).substring(0, wheres.get(0).length() - 2);
        ConflictException out = new ConflictException("input", "a row from " + first + " on names a stored row deleted after the import"
                + " checked it (by another writer: a purge or an erase), and rows before " + first + " are imported: import the same"
                + " file again to resume (rows already imported are skipped as unchanged, a deleted row the file holds is imported again,"
                + " and a row naming a deleted row the file does not hold is refused as naming a row that exists nowhere)");
        out.initCause(e);
        return out;
    }

    private static boolean isForeignKeyViolation(StorageException e) {
        return "23503".equals(e.sqlState()) || String.valueOf(e.getMessage()).contains("FOREIGN KEY constraint failed");
    }

    private static boolean isUniqueViolation(StorageException e) {
        String msg = String.valueOf(e.getMessage());
        return "23505".equals(e.sqlState()) || msg.contains("UNIQUE constraint failed") || msg.contains("PRIMARY KEY");
    }

    /** A forward reference held back on insert: {@code table}'s row points at {@code target}. */
    private record Link(Table table, UUID target) {}

    /** Sets the current revision of assistants and settings inserted without it, once that revision is stored. */
    private void link(Handle h, Map<UUID, Link> links, boolean all) {
        for (var it = links.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            int n = sql.on(h, q.link(e.getValue().table())).bind("id", e.getKey()).bind("rev", e.getValue().target()).update();
            if (n > 0 || all) {
                it.remove();
            }
        }
    }

    private void insertRun(Handle h, Table table, List<Parsed> rows, Map<UUID, Link> links, Set<String> expiredMemoryKeys) {
        Dialect d = db.dialect();
        int contentIndex = table.index("content");
        int clientKey = table.index("client_key");
        if (q.keyLocks != null && clientKey >= 0 && PgSessions.hasClientKeys(table.table())) {
            String tenant = sql.tenant().value();
            long[] locks = rows.stream().map(r -> (String) r.values()[clientKey]).filter(java.util.Objects::nonNull)
                    .mapToLong(k -> PgSessions.clientKeyLock(table.table(), tenant, k)).toArray();
            if (locks.length > 0) {
                sql.on(h, q.keyLocks).bind("locks", PgSessions.lockArray(java.util.Arrays.stream(locks))).one(Sql.LONG);
            }
        }
        if (table.table().equals("memories") && !expiredMemoryKeys.isEmpty()) {
            Instant now = db.now();
            for (Parsed row : rows) {
                Object key = row.values()[clientKey];
                if (key != null && expiredMemoryKeys.contains(key)) {
                    // Still expired: freed; renewed since the check: kept, and the insert is the unique violation it reports.
                    sql.on(h, q.freeExpiredMemoryKey).bind("clientKey", key).bind("now", now).update();
                }
            }
        }
        Sql.Call batch = sql.on(h, q.insert(table));
        for (Parsed row : rows) {
            for (int i = 0; i < table.columns().size(); i++) {
                Column c = table.columns().get(i);
                Object v = row.bind()[i];
                if (c.deferred() && v != null) {
                    links.put((UUID) row.values()[table.index("id")], new Link(table, (UUID) v));
                    v = null;
                }
                batch.bind(c.name(), Codec.bindable(c, v, d));
            }
            if (table.derived() != null) {
                batch.bind(table.derived(), SearchText.index((String) row.values()[contentIndex]));
            }
            batch.add();
        }
        batch.batch();
    }

    // ---- erase ---------------------------------------------------------------------------------

    /**
     * Tables in the order erase deletes them: every row before the rows it references. Vectors
     * have no foreign key: those of memories and assets also go in the transaction that locks and
     * deletes their rows, since one written meanwhile (its write share-locks the row) is newer
     * than the first sweep; those of messages need not, their writes share-lock the conversation,
     * which the erase closed before this sweep.
     */
    static final List<String> ERASE_ORDER = List.of("vectors", "message_events", "message_assets", "voice_calls", "messages", "assets",
            "execution_tool_calls", "execution_steps", "executions", "tasks", "memory_tags", "memory_revisions", "memories",
            "credentials", "conversations", "assistant_revisions", "assistants", "task_schedules", "settings_revisions", "settings");

    @Override
    public EraseReport eraseOwner(Owner owner, boolean dryRun) {
        db.checkOpen();
        Check.notNull("owner", owner);
        return erase(Scope.owner(owner), dryRun);
    }

    @Override
    public EraseReport eraseConversation(UUID conversationId, boolean dryRun) {
        db.checkOpen();
        Check.notNull("conversationId", conversationId);
        requireConversation(conversationId);
        return erase(Scope.conversation(conversationId), dryRun);
    }

    @Override
    public EraseReport eraseTenant(boolean dryRun) {
        db.checkOpen();
        Map<String, Long> counts = new LinkedHashMap<>();
        if (dryRun) {
            for (String table : PortabilitySql.TENANT_TABLES) {
                long n = db.read(h -> sql.on(h, q.countTenant.get(table)).one(Sql.LONG));
                if (n > 0) {
                    counts.put(table, n);
                }
            }
            long files = tenantBlobFiles() + pendingBlobFiles();
            if (files > 0) {
                counts.put("asset_blobs", files);
            }
            return new EraseReport(true, counts);
        }
        Scope scope = Scope.tenant().closed();
        for (int pass = 1; ; pass++) {
            closeTenantConversations();
            if (!sweptWhole(() -> erasePass(scope, false, counts), pass)) {
                continue;
            }
            deleteGraph(counts);
            deleteRows("model_prices", "1 = 1", scope, counts);
            for (var last : List.of(Map.entry("vector_models", q.deleteUnusedVectorModels), Map.entry("leases", q.deleteLeases))) {
                long deleted = db.write(h -> sql.on(h, last.getValue()).update());
                if (deleted > 0) {
                    counts.merge(last.getKey(), deleted, Long::sum);
                }
            }
            if (!tenantHasRows()) {
                deletePendingBlobs(counts);
                return new EraseReport(false, counts);
            }
            if (pass == ERASE_PASSES) {
                throw new ConflictException("tenant", "new rows kept arriving in the tenant during " + ERASE_PASSES + " passes of the erase;"
                        + " what it had closed is erased, erase again to finish");
            }
        }
    }

    /**
     * Closes (soft-deletes) the tenant's live conversations, a batch per transaction, in id order: each waits for an append
     * in flight to its conversations, and later appends are refused. One created meanwhile with a lower id stays live: this
     * pass keeps it whole and the next one closes it.
     */
    private void closeTenantConversations() {
        UUID after = new UUID(0, 0);
        while (true) {
            UUID from = after;
            List<UUID> ids = db.write(h -> {
                List<UUID> found = sql.on(h, q.liveConversationsAfter).bind("after", from).bind("limit", BATCH).list(sql.uuidColumn());
                if (!found.isEmpty()) {
                    InList.bind(sql.on(h, q.closeConversations(found.size())), "ids", found).bind("now", db.now()).update();
                }
                return found;
            });
            if (ids.size() < BATCH) {
                return;
            }
            after = ids.get(ids.size() - 1);
        }
    }

    /**
     * Whether the tenant still has a row: one written while the pass ran, after its table was swept. Each table is asked in
     * its own read, so that on SQLite a row committed while the later tables are asked is seen.
     */
    private boolean tenantHasRows() {
        for (String table : PortabilitySql.TENANT_TABLES) {
            if (db.read(h -> sql.on(h, q.tenantHas.get(table)).exists())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Deletes the bytes of the tenant's purges whose file delete did not happen (an erase or purge stopped between its commit
     * and the delete, or a blob store that failed): what {@code cleanupOrphanBlobs} would retry, so an erase run again after
     * a crash leaves no file and no intent of the tenant behind. Keys another row (of any tenant) names keep their bytes.
     */
    private void deletePendingBlobs(Map<String, Long> counts) {
        String after = "";
        while (true) {
            String from = after;
            List<String> keys = db.read(h -> sql.on(h, q.claimedIntentsAfter).bind("after", from).bind("limit", BATCH).list(Sql.STRING));
            deleteErasedBlobs(keys, counts);
            if (keys.size() < BATCH) {
                return;
            }
            after = keys.get(keys.size() - 1);
        }
    }

    /**
     * The blob files a tenant's erase would delete, reading its assets a page at a time; a key is kept in memory only while
     * rows of the tenant naming it are still ahead (SqliteBlobDryRunMemoryTest).
     */
    private long tenantBlobFiles() {
        BlobReaper.Going going = BlobReaper.Going.eachRowOnce();
        long files = 0;
        UUID after = new UUID(0, 0);
        while (true) {
            UUID from = after;
            List<UUID> ids = new ArrayList<>();
            long n = db.read(h -> {
                ids.clear();
                List<String> keys = new ArrayList<>();
                for (Object[] row : sql.on(h, q.blobKeysAfter).bind("after", from).bind("limit", BATCH)
                        .list((rs, ctx) -> new Object[] {sql.uuidColumn().map(rs, ctx), rs.getString(2)})) {
                    ids.add((UUID) row[0]);
                    keys.add((String) row[1]);
                }
                return BlobReaper.unnamedAfter(sql, h, keys, going);
            });
            files += n;
            if (ids.size() < BATCH) {
                return files;
            }
            after = ids.get(ids.size() - 1);
        }
    }

    /**
     * The blob files of the tenant's pending purges that {@link #deletePendingBlobs} would delete, a page at a time: those no row
     * names ({@link BlobReaper#pendingUnnamed}), which {@link #tenantBlobFiles} does not count.
     */
    private long pendingBlobFiles() {
        long files = 0;
        String after = "";
        while (true) {
            String from = after;
            List<String> keys = new ArrayList<>();
            files += db.read(h -> {
                keys.clear();
                keys.addAll(sql.on(h, q.claimedIntentsAfter).bind("after", from).bind("limit", BATCH).list(Sql.STRING));
                return BlobReaper.pendingUnnamed(sql, h, keys);
            });
            if (keys.size() < BATCH) {
                return files;
            }
            after = keys.get(keys.size() - 1);
        }
    }

    /**
     * Deletes the tenant's memory graph, a batch of nodes with their edges per transaction. The nodes are locked first on
     * PostgreSQL: an edge being added to one (its foreign key share-locks the node) commits first and is deleted here, or
     * waits and finds no node.
     */
    private void deleteGraph(Map<String, Long> counts) {
        while (true) {
            long[] deleted = db.write(h -> {
                List<UUID> ids = sql.on(h, q.graphNodes).bind("limit", FAMILY_BATCH).list(sql.uuidColumn());
                if (ids.isEmpty()) {
                    return new long[] {0, 0};
                }
                if (!db.dialect().forUpdate().isEmpty()) {
                    InList.bind(sql.on(h, q.lockByIds("graph_nodes", ids.size())), "ids", ids).list(sql.uuidColumn());
                }
                long edges = InList.bind(sql.on(h, q.deleteEdgesOfNodes(ids.size())), "ids", ids).update();
                return new long[] {edges, InList.bind(sql.on(h, q.deleteByIds("graph_nodes", ids.size())), "ids", ids).update()};
            });
            if (deleted[0] > 0) {
                counts.merge("graph_edges", deleted[0], Long::sum);
            }
            if (deleted[1] > 0) {
                counts.merge("graph_nodes", deleted[1], Long::sum);
            }
            if (deleted[1] == 0) {
                return;
            }
        }
    }

    /**
     * Assets attached to the scope's messages and to no message outside it: uploads that belong to
     * these conversations only. Read before anything is deleted, since the attachments go first.
     */
    private List<UUID> exclusiveUploads(Scope scope) {
        return db.read(h -> call(h, q.exclusiveUploads(scope), scope).list(sql.uuidColumn()));
    }

    /** Passes an erase makes before giving up on a scope that keeps getting new conversations. */
    static final int ERASE_PASSES = 10;

    /**
     * A dry run counts the scope as it stands. A real erase soft-deletes the scope's conversations
     * first (waiting for an append in flight), so they take no message while their rows go batch
     * by batch and a late append is refused instead of failing the erase half-way; it then deletes
     * only what it closed ({@link Scope#closed}). A conversation created (or restored) in the scope
     * meanwhile is left whole by that pass, and the erase closes it and runs again, so every
     * conversation of the scope created before the erase returns is erased whole.
     */
    private EraseReport erase(Scope scope, boolean dryRun) {
        Map<String, Long> counts = new LinkedHashMap<>();
        if (dryRun) {
            erasePass(scope.withUploads(exclusiveUploads(scope)), true, counts);
            return new EraseReport(true, counts);
        }
        // Kept across passes: a pass a foreign key failed (sweptWhole) may have deleted their attachments, through which alone the
        // next pass would find them, and not yet the assets.
        Set<UUID> uploads = new LinkedHashSet<>();
        for (int pass = 1; ; pass++) {
            uploads.addAll(exclusiveUploads(scope));
            db.write(h -> {
                // In id order, as a tenant's erase closes them: the UPDATE alone locks them in its plan's order (deadlocks).
                Statement lock = q.lockForErase.get(scope.kind);
                if (lock != null) {
                    call(h, lock, scope).one(Sql.LONG);
                }
                return call(h, q.closeForErase.get(scope.kind), scope).bind("now", db.now()).update();
            });
            if (!sweptWhole(() -> erasePass(scope.withUploads(List.copyOf(uploads)).closed(), false, counts), pass)) {
                continue;
            }
            if (!db.read(h -> call(h, q.liveInScope.get(scope.kind), scope).exists())) {
                return new EraseReport(false, counts);
            }
            if (pass == ERASE_PASSES) {
                throw new ConflictException(scope.kind == Scope.Kind.OWNER ? "owner" : "conversationId", "new conversations kept arriving"
                        + " in the scope during " + ERASE_PASSES + " passes of the erase; what it had closed is erased, erase again to finish");
            }
        }
    }

    /**
     * Runs a pass of a real erase; false when a batch of it failed on a foreign key, so that the erase runs another pass. A pass
     * deletes what is closed (soft-deleted), table by table: a conversation of the scope closed while it runs (the application
     * deleting it, another instance's erase of the scope closing it) joins the pass after it swept the tables of that
     * conversation's rows, which then fail the delete of its parent rows. That batch rolled back; the next pass takes the
     * conversation whole. The last pass lets the failure through.
     */
    private boolean sweptWhole(Runnable pass, int number) {
        try {
            pass.run();
            return true;
        } catch (StorageException e) {
            if (!isForeignKeyViolation(e) || number == ERASE_PASSES) {
                throw e;
            }
            LOG.debug("an erase pass met a row closed after it swept its table; running another pass: {}", e.getMessage());
            return false;
        }
    }

    private void erasePass(Scope scope, boolean dryRun, Map<String, Long> counts) {
        if (scope.kind == Scope.Kind.OWNER) {
            detachOrCount(counts, "messages_detached", scope, dryRun, q.countAuthoredElsewhere, q.authoredElsewhere, q::detachAuthor);
            detachOrCount(counts, "executions_detached", scope, dryRun, q.countExecutionsElsewhere, q.executionsElsewhere,
                    q::detachExecutionOwner);
            // Other owners' conversations and calls that ran with the owner's assistant keep their history, not the assistant.
            detachOrCount(counts, "conversations_unlinked", scope, dryRun, q.countAssistantConversationsElsewhere,
                    q.assistantConversationsElsewhere, q::unlinkConversationAssistant);
            detachOrCount(counts, "executions_unlinked", scope, dryRun, q.countAssistantExecutionsElsewhere,
                    q.assistantExecutionsElsewhere, q::unlinkExecutionAssistant);
            // Revisions the owner published or rolled back of the tenant's and other owners' documents keep the history, not the author.
            for (String revisions : List.of("assistant_revisions", "settings_revisions")) {
                detachOrCount(counts, revisions + "_detached", scope, dryRun, q.countRevisionsAuthoredElsewhere.get(revisions),
                        q.revisionsAuthoredElsewhere.get(revisions), n -> q.detachRevisionAuthor(revisions, n));
            }
        }
        // A tenant has nothing outside it to unlink: a pass's families unlink what a conversation created meanwhile names.
        if (scope.isTenant()) {
            sweep(scope, dryRun, counts);
            return;
        }
        // Answers of one execution are active together; unlinked, only the last of each group stays active.
        detachOrCount(counts, "messages_unlinked", scope, dryRun, q.countLinksElsewhere.get(scope.kind), q.linksElsewhere.get(scope.kind),
                q::keepOneActive, q::unlinkExecution);
        detachOrCount(counts, "voice_calls_unlinked", scope, dryRun, q.countVoiceCallLinksElsewhere.get(scope.kind),
                q.voiceCallLinksElsewhere.get(scope.kind), q::unlinkVoiceCall);
        sweep(scope, dryRun, counts);
    }

    /** Deletes (or counts) the scope's rows of {@link #ERASE_ORDER}, table by table or family by family. */
    private void sweep(Scope scope, boolean dryRun, Map<String, Long> counts) {
        for (String table : ERASE_ORDER) {
            Family family = dryRun ? null : FAMILIES.stream().filter(f -> f.tables().contains(table)).findFirst().orElse(null);
            if (family != null) {
                if (table.equals(family.parent())) {
                    deleteFamily(family, scope, counts);
                }
                continue;
            }
            String condition = scope.condition(table, false);
            long n = dryRun ? countRows(table, condition, scope) : deleteRows(table, condition, scope, counts);
            if (dryRun && n > 0) {
                counts.merge(table, n, Long::sum);
            }
            if (dryRun && table.equals("assets") && n > 0) {
                long blobs = db.read(h -> BlobReaper.unnamedAfter(sql, h, call(h, q.render("portability.blobKeys.assets",
                        "SELECT x.blob_key FROM <p>assets x WHERE x.tenant_id = :t AND " + condition), scope).list(Sql.STRING)));
                if (blobs > 0) {
                    counts.put("asset_blobs", blobs);
                }
            }
        }
    }

    /** Rows outside the scope that keep their history but lose their link into it: counted in a dry run, cleared otherwise. */
    private void detachOrCount(Map<String, Long> counts, String name, Scope scope, boolean dryRun, Statement count, Statement select,
            IntFunction<Statement> clear) {
        detachOrCount(counts, name, scope, dryRun, count, select, null, clear);
    }

    /** {@link #detachOrCount}, running {@code before} on each batch's rows ahead of {@code clear}. */
    private void detachOrCount(Map<String, Long> counts, String name, Scope scope, boolean dryRun, Statement count, Statement select,
            @Nullable IntFunction<Statement> before, IntFunction<Statement> clear) {
        long n = dryRun ? db.read(h -> call(h, count, scope).one(Sql.LONG)) : detach(scope, select, before, clear);
        if (n > 0) {
            counts.merge(name, n, Long::sum);
        }
    }

    /** Batch by batch: a detached row no longer matches {@code select}, so each batch reads the next. */
    private long detach(Scope scope, Statement select, @Nullable IntFunction<Statement> before, IntFunction<Statement> clear) {
        long total = 0;
        Batches batches = new Batches();
        while (true) {
            List<UUID> chosen = new ArrayList<>();
            int n = db.write(h -> {
                chosen.clear();
                List<UUID> ids = call(h, select, scope).bind("limit", BATCH).list(sql.uuidColumn());
                if (ids.isEmpty()) {
                    return 0;
                }
                chosen.addAll(ids);
                if (before != null) {
                    InList.bind(sql.on(h, before.apply(ids.size())), "ids", ids).update();
                }
                Statement update = clear.apply(ids.size());
                Sql.Call call = InList.bind(sql.on(h, update), "ids", ids);
                return (update.parameters().contains("now") ? call.bind("now", db.now()) : call).update();
            });
            total += n;
            if (!batches.more(chosen, n)) {
                return total;
            }
        }
    }

    /**
     * When a batched loop of the erase is done: once its select finds no row. A batch that changed no row is not the end: its
     * rows were deleted by another transaction (another instance's purge or erase) between the select and the statement,
     * which reads the last committed rows on PostgreSQL, and the rows after them are still there. The same batch changing no
     * row twice in a row ends the loop instead of spinning (a statement by id changes a row its select chose unless the row
     * is gone, so this is a guard, not a path).
     */
    static final class Batches {
        private List<UUID> unchanged = List.of();

        /** Whether to read another batch after one that chose {@code ids} and changed {@code changed} rows. */
        boolean more(List<UUID> ids, long changed) {
            if (ids.isEmpty()) {
                return false;
            }
            if (changed > 0) {
                unchanged = List.of();
                return true;
            }
            if (ids.equals(unchanged)) {
                return false;
            }
            unchanged = List.copyOf(ids);
            return true;
        }
    }

    /**
     * A parent table deleted with its children, a batch of parents per transaction, rather than
     * table by table: a writer adds children while the erase runs (a running execution its steps
     * and tool calls; an update of an owner's memory a revision and tags), and table by table a
     * child added after its table was emptied failed the parent's delete on a foreign key.
     *
     * @param children the child tables, deleted in this order, found by {@code column}
     * @param unlinked rows outside the scope that may name a parent and keep their row without the link, counted under the name given
     * @param current  whether the parent points at its current revision (a child), cleared first
     */
    private record Family(String parent, String column, List<String> children, Map<String, String> unlinked, boolean current) {
        List<String> tables() {
            List<String> all = new ArrayList<>(children);
            all.add(parent);
            return all;
        }
    }

    /** {@link Family families} of {@link #ERASE_ORDER}, whose tables appear there children first. */
    private static final List<Family> FAMILIES = List.of(
            new Family("executions", "execution_id", List.of("execution_tool_calls", "execution_steps"),
                    Map.of("messages", "messages_unlinked", "voice_calls", "voice_calls_unlinked"), false),
            new Family("memories", "memory_id", List.of("memory_tags", "memory_revisions"), Map.of(), false),
            new Family("assistants", "assistant_id", List.of("assistant_revisions"), Map.of(), true),
            new Family("settings", "settings_id", List.of("settings_revisions"), Map.of(), true));
    /** Parents per transaction of {@link #deleteFamily}: each takes all its children along. */
    static final int FAMILY_BATCH = 100;

    /**
     * Deletes the scope's rows of {@code f.parent()} with their children. Locked first on
     * PostgreSQL (a step or tool call being inserted holds its execution FOR SHARE, a memory update
     * its memory's row lock, a publish its assistant's or settings'): such a write commits first and is deleted here, or waits and finds
     * no parent (SQLite's single writer orders them anyway). For executions, messages and voice
     * calls outside the scope that name one (written since the erase unlinked the others) lose
     * the link here, and assets uploaded naming one since the erase deleted the scope's assets
     * (an upload share-locks its execution) are deleted with it, attachments, vectors and bytes.
     */
    private void deleteFamily(Family f, Scope scope, Map<String, Long> counts) {
        String select = "SELECT x.id FROM <p>" + f.parent() + " x WHERE x.tenant_id = :t AND " + scope.condition(f.parent(), false)
                + " LIMIT " + FAMILY_BATCH;
        Map<String, Long> batch = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        while (true) {
            int n = db.write(h -> {
                batch.clear();
                keys.clear();
                List<UUID> ids = call(h, q.render("portability.erase." + f.parent(), select), scope).list(sql.uuidColumn());
                if (ids.isEmpty()) {
                    return 0;
                }
                if (!db.dialect().forUpdate().isEmpty()) {
                    InList.bind(sql.on(h, q.lockByIds(f.parent(), ids.size())), "ids", ids).list(sql.uuidColumn());
                }
                if (f.parent().equals("executions")) {
                    // An upload naming one of them share-locks it: one that committed since the erase's assets went is deleted here
                    // (its asset failed the execution's delete on a foreign key), in retention's order: the executions, then their
                    // assets in id order. One that comes later waits and finds no execution.
                    List<UUID> made = new ArrayList<>(InList.bind(sql.on(h, q.lockAssetsOfExecutions(ids.size())), "ids", ids)
                            .list(sql.uuidColumn()));
                    if (scope.isTenant() && !made.isEmpty()) {
                        // Attached to a conversation created since the tenant's erase closed the others: that pass keeps it whole,
                        // its uploads too, so such an asset stays, without the execution (the next pass erases it with it).
                        List<UUID> kept = InList.bind(sql.on(h, q.attachedToLiveMessages(made.size())), "ids", made).list(sql.uuidColumn());
                        if (!kept.isEmpty()) {
                            InList.bind(sql.on(h, q.unlinkAssetsOfExecutions(kept.size())), "ids", kept).bind("now", db.now()).update();
                            made.removeAll(kept);
                        }
                    }
                    if (!made.isEmpty()) {
                        deleteAssets(h, made, keys, batch);
                    }
                }
                if (f.parent().equals("memories")) {
                    batch.put("vectors", (long) InList.bind(sql.on(h, q.deleteVectorsOf("memory", ids.size())), "ids", ids).update());
                }
                if (f.unlinked().containsKey("messages")) {
                    InList.bind(sql.on(h, q.keepOneActiveOfExecutions(ids.size())), "ids", ids).update();
                }
                f.unlinked().forEach((table, name) -> {
                    Sql.Call unlink = InList.bind(sql.on(h, q.unlinkOfExecutions(table, ids.size())), "ids", ids);
                    batch.put(name, (long) (table.equals("messages") ? unlink.bind("now", db.now()) : unlink).update());
                });
                if (f.current()) {
                    InList.bind(sql.on(h, q.clearCurrentRevision(f.parent(), ids.size())), "ids", ids).update();
                }
                // All revisions of a parent in one statement: a rollback revision's link to an earlier one is checked at its end.
                for (String child : f.children()) {
                    batch.put(child, (long) InList.bind(sql.on(h, q.deleteByParent(child, f.column(), ids.size())), "ids", ids).update());
                }
                batch.put(f.parent(), (long) InList.bind(sql.on(h, q.deleteByIds(f.parent(), ids.size())), "ids", ids).update());
                return ids.size();
            });
            batch.forEach((table, rows) -> {
                if (rows > 0) {
                    counts.merge(table, rows, Long::sum);
                }
            });
            deleteErasedBlobs(keys, counts);
            if (n == 0) {
                return;
            }
        }
    }

    /**
     * Deletes the assets {@code ids}, locked, with their attachments and vectors, claiming their blob keys into {@code keys}
     * (their bytes go once the transaction commits: {@link #deleteErasedBlobs}); counts what it deleted into {@code counts}.
     */
    private void deleteAssets(Handle h, List<UUID> ids, List<String> keys, Map<String, Long> counts) {
        counts.merge("message_assets", (long) InList.bind(sql.on(h, q.deleteByParent("message_assets", "asset_id", ids.size())), "ids", ids)
                .update(), Long::sum);
        counts.merge("vectors", (long) InList.bind(sql.on(h, q.deleteVectorsOf("asset", ids.size())), "ids", ids).update(), Long::sum);
        List<String> claimed = InList.bind(sql.on(h, q.byIds("blobKeys", "blob_key", "assets", ids.size())), "ids", ids).list(Sql.STRING);
        BlobReaper.recordPurged(sql, h, claimed, db.now());
        keys.addAll(claimed);
        counts.merge("assets", (long) InList.bind(sql.on(h, q.deleteByIds("assets", ids.size())), "ids", ids).update(), Long::sum);
    }

    /** Deletes the bytes of the erased assets' {@code keys} that no row names any more (after the commit), counted as {@code asset_blobs}. */
    private void deleteErasedBlobs(List<String> keys, Map<String, Long> counts) {
        long deleted = BlobReaper.deleteUnnamed(sql, blobs, keys, (key, failure, e) ->
                LOG.warn("could not delete erased asset blob {}; cleanupOrphanBlobs will retry: {}", key, failure)).size();
        if (deleted > 0) {
            counts.merge("asset_blobs", deleted, Long::sum);
        }
    }

    private long countRows(String table, String condition, Scope scope) {
        return db.read(h -> call(h, q.render("portability.count." + table, "SELECT COUNT(*) FROM <p>" + table + " WHERE tenant_id = :t AND "
                + condition), scope).one(Sql.LONG));
    }

    private long deleteRows(String table, String condition, Scope scope, Map<String, Long> counts) {
        String order = switch (table) {
            // Retry replies point at earlier messages of their conversation: the latest go first.
            // A tenant's by conversation, along the unique index backwards: without a sort of all its messages per batch.
            case "messages" -> scope.isTenant() ? " ORDER BY x.conversation_id DESC, x.sequence DESC" : " ORDER BY x.sequence DESC";
            default -> "";
        };
        // A tool thread's parent goes only once the thread is gone.
        String leaves = table.equals("conversations")
                ? " AND NOT EXISTS (SELECT 1 FROM <p>conversations k WHERE k.tenant_id = :t AND k.parent_conversation_id = x.id)" : "";
        // The scope's conditions name the table's columns bare; inside FROM <table> x they resolve to x.
        String select = "SELECT x.id FROM <p>" + table + " x WHERE x.tenant_id = :t AND " + condition + leaves + order + " LIMIT " + BATCH;
        long total = 0;
        Map<String, Long> batch = new LinkedHashMap<>();
        Batches batches = new Batches();
        while (true) {
            List<String> keys = new ArrayList<>();
            List<UUID> chosen = new ArrayList<>();
            int n = db.write(h -> {
                keys.clear();
                batch.clear();
                chosen.clear();
                List<UUID> ids = call(h, q.render("portability.erase." + table, select), scope).list(sql.uuidColumn());
                if (ids.isEmpty()) {
                    return 0;
                }
                chosen.addAll(ids);
                if (table.equals("assets")) {
                    // Retention's order: the assets' executions share-locked, then the assets locked in id order, then their
                    // attachments, then their keys (locking a part before a purge holding its message's execution asset took the
                    // part deadlocked: PostgresRetentionRaceTest#eraseRacingConversationPurgeOfItsParts). An attach share-locks its
                    // asset: one that committed since the scope's attachments went (to a message outside the scope) is deleted
                    // here with the asset (the erase takes the assets it chose, as a purge takes a message's parts); its
                    // attachment failed the asset's delete on a foreign key.
                    if (!db.dialect().forUpdate().isEmpty()) {
                        InList.bind(sql.on(h, q.shareExecutionsOfAssets(ids.size())), "ids", ids).list(sql.uuidColumn());
                        InList.bind(sql.on(h, q.lockByIds(table, ids.size())), "ids", ids).list(sql.uuidColumn());
                    }
                    deleteAssets(h, ids, keys, batch);
                    return batch.remove("assets").intValue();
                }
                return InList.bind(sql.on(h, q.deleteByIds(table, ids.size())), "ids", ids).update();
            });
            total += n;
            // Counted as each batch commits: a later batch may fail (sweptWhole), and the rows deleted before it stay deleted.
            if (n > 0) {
                counts.merge(table, (long) n, Long::sum);
            }
            batch.forEach((t, rows) -> {
                if (rows > 0) {
                    counts.merge(t, rows, Long::sum);
                }
            });
            deleteErasedBlobs(keys, counts);
            if (!batches.more(chosen, n)) {
                return total;
            }
        }
    }
}
