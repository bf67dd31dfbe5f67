package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
import dev.atlas.AtlasException;
import dev.atlas.ConflictException;
import dev.atlas.DatabaseKind;
import dev.atlas.IllegalTransitionException;
import dev.atlas.InvalidInputException;
import dev.atlas.LeaseLostException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetStore;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.AssistantStore;
import dev.atlas.assistant.NewRevision;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageEvent;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.conversation.MessageStatus;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.credential.CredentialStore;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.PriceStore;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.graph.Direction;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryKind;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.search.Search;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStore;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallStore;
import dev.atlas.voice.VoiceTurn;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A generated corpus of hostile values pushed through every public write method of every store.
 * Each case states its one expected outcome, decided from the documented contract ({@link Limits},
 * the stores' Javadoc), and the run asserts exactly that: either the call is accepted and what it
 * stored reads back exactly, or it fails with the named {@link AtlasException} type (an
 * {@link InvalidInputException} naming the given field) and leaves the database, and the blob
 * directory, byte-for-byte unchanged. There is no "either outcome is fine".
 *
 * <p>Cases come from one generator per store, listed in {@link #generators()}: covering a new
 * store is one more method producing {@link Case}s and one more entry in that list. Text fields
 * get their expected outcome from one rule ({@link #text}): valid Unicode without NUL within the
 * field's length limit is stored exactly, anything else is refused naming the field.
 */
public abstract class HostileInputContract extends AtlasContract {
    static final String TEN_MB = "x".repeat(10 * 1024 * 1024);

    /** Latin with diacritics, Cyrillic, Devanagari, CJK, emoji (a ZWJ sequence and a non-BMP symbol), Hebrew and Arabic (RTL), combining marks, a bidi override. */
    static final String MIXED = "Zoë Ærøskøbing Привет नमस्ते 中文字 😀👩‍👩‍👧 𝄞 שלום مرحبا e\u0301 a\u0308\u0323 \u202E";

    static final List<String> HOSTILE = List.of(
            "a\u0000b",
            "\uD800",
            "x\uDC00y",
            TEN_MB,
            "x".repeat(255),
            "x".repeat(256),
            "'; DROP TABLE atlas_messages; --",
            "\" OR \"1\"=\"1",
            "Robert'); DELETE FROM atlas_conversations WHERE ('1'='1",
            "<p>conversations",
            "${prefix}",
            MIXED,
            "",
            "   ",
            "\u202E RTL \u200B zero width \uFEFF",
            "\\u0000",
            "line1\r\nline2\ttab",
            "%_\\ LIKE wildcards");

    /** A mime type: type/subtype tokens (RFC 6838), then optional ;name=value parameters (RFC 9110). */
    static final Pattern MIME_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
            + "(?:[ \\t]*;[ \\t]*[A-Za-z0-9!#$%&'*+.^_`|~-]+=(?:[A-Za-z0-9!#$%&'*+.^_`|~-]+|\"(?:[^\"\\\\\\x00-\\x1f\\x7f]|\\\\[\\x20-\\x7e])*\"))*");

    /** A shorter set for the many text fields of the newer stores; the 10 MB string stays in a few fields only. */
    static final List<String> HOSTILE_SHORT = List.of(
            "a\u0000b",
            "\uDBFF",
            "x".repeat(256),
            "'; DELETE FROM atlas_executions; --",
            "../../etc/passwd",
            MIXED,
            "",
            " ");

    /** JSON text given by the caller (message content, tool arguments): valid JSON within the depth limit is kept exactly as given. */
    static final List<String> HOSTILE_JSON = List.of(
            "[".repeat(10_000) + "]".repeat(10_000),
            "[".repeat(Limits.MAX_JSON_DEPTH) + "]".repeat(Limits.MAX_JSON_DEPTH),
            "[".repeat(Limits.MAX_JSON_DEPTH + 1) + "]".repeat(Limits.MAX_JSON_DEPTH + 1),
            "{\"a\":",
            "{\"nul\":\"\\u0000\"}",
            "{\"big\":\"" + "y".repeat(2 * 1024 * 1024) + "\"}",
            "{\"a\":1,\"a\":2}",
            "  [1e400, -0, \"\\ud83d\\ude00\"]  ",
            "{\"huge\":1E+1200,\"tiny\":1E-1200}",
            "NaN",
            "{\"x\":\"'; DROP TABLE atlas_messages; --\"}",
            "{\"" + MIXED + "\":\"" + MIXED + "\"}");

    /** Whether Atlas keeps JSON text as given: it parses as one document, nests at most {@link Limits#MAX_JSON_DEPTH} deep, has no NUL escape and fits. */
    static boolean keptJson(String json) {
        return !json.startsWith("[".repeat(Limits.MAX_JSON_DEPTH + 1)) && !json.equals("{\"a\":") && !json.contains("\\u0000")
                && json.length() <= Limits.MAX_CONTENT_LENGTH && !json.equals("NaN");
    }

    /** A JSON-like value for metadata, settings, payloads and results, with what Atlas must do with it. */
    protected record JsonInput(String name, Map<String, ?> value, Verdict verdict, Map<String, ?> readsBack) {
        enum Verdict {
            /** Stored, and read back equal (numbers compared by value: JSON has one number type). */
            STORED,
            /** Refused with {@link InvalidInputException} naming the field. */
            REFUSED,
            /** Refused with {@link InvalidInputException} naming the field's keys ({@code "<field> key"}). */
            REFUSED_KEY
        }

        static JsonInput stored(String name, Map<String, ?> value) {
            return new JsonInput(name, value, Verdict.STORED, value);
        }

        static JsonInput refused(String name, Map<String, ?> value) {
            return new JsonInput(name, value, Verdict.REFUSED, null);
        }

        Expect expect(String field) {
            return switch (verdict) {
                case STORED -> Expect.ACCEPTED;
                case REFUSED -> Expect.invalid(field);
                case REFUSED_KEY -> Expect.invalid(field + " key");
            };
        }
    }

    private static Map<String, Object> withNulls() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("k", null);
        m.put("list", Arrays.asList(null, 1, null));
        m.put("nested", Collections.singletonMap("inner", null));
        return m;
    }

    /**
     * Every value must read back equal on both databases, or be refused before any write (issue 11):
     * numbers beyond what a read can return (1E+1200, 1E-1200, 1,200 digits) and documents deeper
     * than {@link Limits#MAX_JSON_DEPTH} (the map itself is level 1) are refused; null values are legal.
     */
    static final List<JsonInput> HOSTILE_MAPS = List.of(
            JsonInput.refused("NUL in a value", Map.of("k", "a\u0000b")),
            JsonInput.refused("lone surrogate in a value", Map.of("k", "\uD800")),
            new JsonInput("NUL in a key", Map.of("a\u0000b", 1), JsonInput.Verdict.REFUSED_KEY, null),
            // What raw types, Groovy or Kotlin can pass as a Map<String, ?>: refused, not a ClassCastException.
            new JsonInput("an Integer key", integerKey(), JsonInput.Verdict.REFUSED_KEY, null),
            new JsonInput("a null key", nullKey(), JsonInput.Verdict.REFUSED_KEY, null),
            JsonInput.refused("200 levels deep", Map.of("k", nested(199))),
            // JSON values in Java's plain types only (Json.write): what Jackson would write of anything else is not what was given.
            JsonInput.refused("a bean without properties", Map.of("k", new Object())),
            JsonInput.refused("a Thread", Map.of("k", Thread.currentThread())),
            JsonInput.refused("an enum", Map.of("k", java.time.DayOfWeek.MONDAY)),
            JsonInput.refused("a record", Map.of("k", new Point(1, 2))),
            JsonInput.refused("a byte[]", Map.of("k", new byte[] {1, 2, 3})),
            JsonInput.refused("an Instant", Map.of("k", Instant.EPOCH)),
            JsonInput.refused("a Set in a list", Map.of("k", List.of(1, Set.of("a")))),
            // A Jackson tree is not a JSON value in Java's plain types: it would read back as maps and lists, not as the tree.
            JsonInput.refused("a Jackson ObjectNode", Map.of("k", jacksonTree())),
            JsonInput.stored("a Jackson ObjectNode converted as the docs say", Map.of("k",
                    new com.fasterxml.jackson.databind.ObjectMapper().convertValue(jacksonTree(), Object.class))),
            new JsonInput("an Integer key in a nested map", Map.of("k", Map.of(1, "one")), JsonInput.Verdict.REFUSED_KEY, null),
            JsonInput.refused("a map holding itself", Map.of("k", selfHolding())),
            JsonInput.refused("BigDecimal 1E+400", Map.of("k", new BigDecimal("1E+400"))),
            JsonInput.refused("Float NaN", Map.of("k", Float.NaN)),
            JsonInput.refused("Double -Infinity", Map.of("k", Double.NEGATIVE_INFINITY)),
            JsonInput.refused("NaN", Map.of("k", Double.NaN)),
            JsonInput.refused("Infinity", Map.of("k", Double.POSITIVE_INFINITY)),
            JsonInput.refused("300,000 characters", Map.of("k", "y".repeat(300_000))),
            JsonInput.stored("a list holding null", Map.of("k", Arrays.asList(1, null, "x"))),
            JsonInput.stored("SQL key and emoji value", Map.of("'; DROP TABLE atlas_tasks; --", "😀")),
            JsonInput.stored("mixed scripts", Map.of(MIXED, MIXED)),
            JsonInput.stored("null values", withNulls()),
            JsonInput.stored("64 levels deep", Map.of("k", nested(Limits.MAX_JSON_DEPTH - 1))),
            JsonInput.refused("65 levels deep", Map.of("k", nested(Limits.MAX_JSON_DEPTH))),
            JsonInput.refused("1E+1200", Map.of("k", new BigDecimal("1E+1200"))),
            JsonInput.refused("1E-1200", Map.of("k", new BigDecimal("1E-1200"))),
            JsonInput.refused("a 1,200-digit integer", Map.of("k", new BigInteger("9".repeat(1200)))),
            JsonInput.stored("Long.MAX_VALUE + 1 and Long.MIN_VALUE", Map.of("k", BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE), "min", Long.MIN_VALUE)),
            JsonInput.stored("doubles at the edges", Map.of("max", Double.MAX_VALUE, "negMax", -Double.MAX_VALUE, "min", Double.MIN_VALUE,
                    "minNormal", Double.MIN_NORMAL, "tenth", 0.1)));

    static final long[] HOSTILE_LONGS = {Long.MIN_VALUE, -1, Long.MAX_VALUE};
    static final int[] HOSTILE_INTS = {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE};
    static final Duration[] HOSTILE_DURATIONS = {Duration.ofSeconds(-1), Duration.ofSeconds(Long.MAX_VALUE), Duration.ofSeconds(Long.MIN_VALUE), null};
    static final Instant[] HOSTILE_INSTANTS = {Instant.MIN, Instant.MAX, Instant.EPOCH, Instant.parse("0000-12-31T23:59:59Z")};

    /** An application's record: Jackson would write it as an object, which would read back as a map, not as the record. */
    record Point(int x, int y) {}

    private static Map<String, Object> selfHolding() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("self", m);
        return m;
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode jacksonTree() {
        com.fasterxml.jackson.databind.node.ObjectNode tree = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        tree.put("a", 1).put("b", 0.5).putArray("c").add("x").addNull();
        return tree;
    }

    private static Map<String, ?> nullKey() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(null, 1);
        return m;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> integerKey() {
        return (Map<String, ?>) (Map<?, ?>) Map.of(1, "one");
    }

    /** {@code depth} nested lists around a leaf. */
    private static Object nested(int depth) {
        Object o = "leaf";
        for (int i = 0; i < depth; i++) {
            o = List.of(o);
        }
        return o;
    }

    // ---- expected outcomes, from the documented contract ------------------------------------

    /** What one call must do: be accepted, or throw exactly {@code type} (an {@link InvalidInputException} naming {@code field}). */
    protected record Expect(Class<? extends AtlasException> type, String field) {
        static final Expect ACCEPTED = new Expect(null, null);

        static Expect invalid(String field) {
            return new Expect(InvalidInputException.class, Objects.requireNonNull(field));
        }

        static Expect thrown(Class<? extends AtlasException> type) {
            if (type == InvalidInputException.class) {
                throw new IllegalArgumentException("name the field: Expect.invalid(field)");
            }
            return new Expect(type, null);
        }

        boolean accepted() {
            return type == null;
        }

        /** This outcome when the text check passes, else the text check's rejection. */
        Expect orElse(Expect valid) {
            return accepted() ? valid : this;
        }

        @Override
        public String toString() {
            return accepted() ? "accepted" : type.getSimpleName() + (field == null ? "" : " naming " + field);
        }
    }

    /** Valid Unicode that databases store byte-exact: no NUL and no unpaired surrogate. */
    static boolean validUnicode(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0 || Character.isLowSurrogate(c)) {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    /**
     * The rule every text field follows (see {@link Limits}): valid Unicode without NUL of at
     * most {@code max} characters is stored exactly; anything else is refused naming the field.
     * Blank text is refused where a value must say something (keys, names, kinds).
     */
    static Expect text(String field, String value, int max, boolean blankAllowed) {
        boolean ok = value != null && value.length() <= max && validUnicode(value) && (blankAllowed || !value.isBlank());
        return ok ? Expect.ACCEPTED : Expect.invalid(field);
    }

    /** Keys, owner types and ids, agents, kinds, providers, models: non-blank, at most {@link Limits#MAX_KEY_LENGTH}. */
    static Expect key(String field, String value) {
        return text(field, value, Limits.MAX_KEY_LENGTH, false);
    }

    /** An asset's filename: a key that is a file's own name, no path ({@code /}, {@code \\}, {@code .}, {@code ..}) and no CR or LF. */
    static Expect filename(String value) {
        boolean path = value.equals(".") || value.equals("..") || value.contains("/") || value.contains("\\")
                || value.contains("\r") || value.contains("\n");
        return key("filename", value).orElse(path ? Expect.invalid("filename") : Expect.ACCEPTED);
    }

    /** Text that must say something: non-blank, at most {@code max}. */
    static Expect named(String field, String value, int max) {
        return text(field, value, max, false);
    }

    /** A tenant id: named, and neither white space at either end nor any control character (they would make look-alike tenants). */
    static Expect tenant(String value) {
        boolean clean = value != null && !value.isEmpty() && value.chars().noneMatch(Character::isISOControl)
                && !edgeSpace(value.codePointAt(0)) && !edgeSpace(value.codePointBefore(value.length()));
        return clean ? named("tenantId", value, Limits.MAX_TENANT_LENGTH) : Expect.invalid("tenantId");
    }

    private static boolean edgeSpace(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint);
    }

    /** Free text where blank is a value: at most {@code max}. */
    static Expect free(String field, String value, int max) {
        return text(field, value, max, true);
    }

    /** Text of a documented form (slugs, memory kinds, vector model names). */
    static Expect form(String field, String value, Pattern form) {
        return value != null && form.matcher(value).matches() ? Expect.ACCEPTED : Expect.invalid(field);
    }

    /** A JSON string value: valid Unicode, and the document within {@link Limits#MAX_METADATA_LENGTH}. */
    static Expect jsonString(String field, String value) {
        return validUnicode(value) && value.length() < Limits.MAX_METADATA_LENGTH - 16 ? Expect.ACCEPTED : Expect.invalid(field);
    }

    /** Timestamps between {@link Limits#MIN_INSTANT} and {@link Limits#MAX_INSTANT}. */
    static Expect instant(String field, Instant value) {
        return value.isBefore(Limits.MIN_INSTANT) || value.isAfter(Limits.MAX_INSTANT) ? Expect.invalid(field) : Expect.ACCEPTED;
    }

    /** Ages and intervals: required and not negative. */
    static Expect age(String field, Duration value) {
        return value == null || value.isNegative() ? Expect.invalid(field) : Expect.ACCEPTED;
    }

    /**
     * A JSON-like value in one comparable form: map keys sorted, numbers by value (JSON has one
     * number type, and PostgreSQL's jsonb prints 1.7976931348623157E308 as its 309 digits).
     */
    static String canonical(Object o) {
        if (o instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            m.entrySet().stream().sorted(Comparator.comparing(e -> String.valueOf(e.getKey())))
                    .forEach(e -> sb.append(sb.length() > 1 ? ", " : "").append(e.getKey()).append('=').append(canonical(e.getValue())));
            return sb.append('}').toString();
        }
        if (o instanceof List<?> l) {
            return l.stream().map(HostileInputContract::canonical).collect(Collectors.joining(", ", "[", "]"));
        }
        if (o instanceof Number n && !(o instanceof Double d && !Double.isFinite(d))) {
            BigDecimal d = new BigDecimal(n.toString());
            return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
        }
        return String.valueOf(o);
    }

    /**
     * One generated case: an optional setup (not part of the comparison), a call, its expected
     * outcome and, when accepted, how to read back what it stored ({@code readBack} of the result
     * must print as {@code expected}; a null {@code readBack} checks acceptance only).
     */
    protected record Case(String name, Supplier<?> prepare, Function<Object, ?> write, Expect expect, Function<Object, ?> readBack, Object expected,
                          boolean read) {
        /** A write that must be accepted; {@code readBack} of its result must equal {@code expected}. */
        public static Case accept(String name, Supplier<?> write, Function<Object, ?> readBack, Object expected) {
            return new Case(name, () -> null, x -> write.get(), Expect.ACCEPTED, readBack, expected, false);
        }

        /** A write that must be accepted, when there is nothing stored to read back (sweeps, cleanups). */
        public static Case accept(String name, Supplier<?> write) {
            return new Case(name, () -> null, x -> write.get(), Expect.ACCEPTED, null, null, false);
        }

        /** Like {@link #accept(String, Supplier, Function, Object)} on something {@code prepare} made first (its writes are not compared). */
        @SuppressWarnings("unchecked")
        public static <T> Case acceptAfter(String name, Supplier<T> prepare, Function<T, ?> write, Function<Object, ?> readBack, Object expected) {
            return new Case(name, prepare, x -> write.apply((T) x), Expect.ACCEPTED, readBack, expected, false);
        }

        /** A write that must fail with {@link InvalidInputException} naming {@code field}, changing nothing. */
        public static Case reject(String name, String field, Supplier<?> write) {
            return expect(name, Expect.invalid(field), write, null, null);
        }

        /** A write that must fail with exactly {@code type} (not found, conflict, illegal transition …), changing nothing. */
        public static Case reject(String name, Class<? extends AtlasException> type, Supplier<?> write) {
            return expect(name, Expect.thrown(type), write, null, null);
        }

        /** Like {@link #reject(String, String, Supplier)} on something {@code prepare} made first. */
        public static <T> Case rejectAfter(String name, String field, Supplier<T> prepare, Function<T, ?> write) {
            return expectAfter(name, Expect.invalid(field), prepare, write, null, null);
        }

        /** Like {@link #reject(String, Class, Supplier)} on something {@code prepare} made first. */
        public static <T> Case rejectAfter(String name, Class<? extends AtlasException> type, Supplier<T> prepare, Function<T, ?> write) {
            return expectAfter(name, Expect.thrown(type), prepare, write, null, null);
        }

        /** A write whose outcome a rule decided for this input ({@link #text}, {@link #key} …): exactly that outcome. */
        public static Case expect(String name, Expect expect, Supplier<?> write, Function<Object, ?> readBack, Object expected) {
            return new Case(name, () -> null, x -> write.get(), expect, readBack, expected, false);
        }

        /** Like {@link #expect} on something {@code prepare} made first. */
        @SuppressWarnings("unchecked")
        public static <T> Case expectAfter(String name, Expect expect, Supplier<T> prepare, Function<T, ?> write, Function<Object, ?> readBack, Object expected) {
            return new Case(name, prepare, x -> write.apply((T) x), expect, readBack, expected, false);
        }

        /**
         * A read with hostile arguments that must return. Reads write nothing, so no digest is
         * taken (a digest per case is what makes the corpus slow).
         */
        public static Case read(String name, Supplier<?> call) {
            return readExpect(name, Expect.ACCEPTED, call);
        }

        /** Like {@link #read(String, Supplier)}; {@code check} of its result must equal {@code expected}. */
        public static Case read(String name, Supplier<?> call, Function<Object, ?> check, Object expected) {
            return new Case(name, () -> null, x -> call.get(), Expect.ACCEPTED, check, expected, true);
        }

        /** A read that must fail with {@link InvalidInputException} naming {@code field}. */
        public static Case readReject(String name, String field, Supplier<?> call) {
            return readExpect(name, Expect.invalid(field), call);
        }

        /** A read that must fail with exactly {@code type}. */
        public static Case readReject(String name, Class<? extends AtlasException> type, Supplier<?> call) {
            return readExpect(name, Expect.thrown(type), call);
        }

        /** A read whose outcome a rule decided for this input. */
        public static Case readExpect(String name, Expect expect, Supplier<?> call) {
            return new Case(name, () -> null, x -> call.get(), expect, null, null, true);
        }

        /** Like {@link #readExpect(String, Expect, Supplier)}; when it returns, {@code check} of its result must equal {@code expected}. */
        public static Case readExpect(String name, Expect expect, Supplier<?> call, Function<Object, ?> check, Object expected) {
            return new Case(name, () -> null, x -> call.get(), expect, check, expected, true);
        }
    }

    /** Adds one store's cases. */
    @FunctionalInterface
    protected interface CaseGenerator {
        void generate(List<Case> out);
    }

    /** Every store's generator; a new store appends its own. */
    protected List<CaseGenerator> generators() {
        return List.of(this::conversationCases, this::executionCases, this::priceCases, this::assetCases, this::voiceCases,
                this::assistantCases, this::credentialCases, this::taskCases, this::lookupCases, this::memoryCases, this::graphCases,
                this::searchCases, this::retentionCases, this::jsonCases, this::bulkyCases);
    }

    @TempDir
    Path blobs;

    protected Tenant acme;
    protected Tenant other;
    private ConversationStore store;
    private Conversation convo;
    private Message queued;
    // Rows of the other tenant, whose ids must behave like unknown ids for acme.
    private Conversation foreignConvo;
    private Message foreignMessage;
    private Execution foreignExecution;
    private Asset foreignAsset;
    private VoiceCall foreignCall;
    private UUID foreignAssistant;
    private AssistantRevision foreignRevision;
    private Task foreignTask;
    // Memory, graph and search: acme's own rows to work on, and globex's (same node keys, a model of another dimension).
    private Memory memory;
    private Conversation searchConvo;
    private Message plain;
    private Memory foreignMemory;
    // An asset of acme's to hang asset vectors on: an asset vector must name an asset of the tenant.
    private Asset ownAsset;

    protected HostileInputContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return builder.blobStore(new LocalDirectoryBlobStore(blobs)).credentialKeys(CredentialKeys.of("k1", TestKeys.key("k1")));
    }

    @BeforeEach
    void seed() {
        acme = atlas.tenant("acme");
        other = atlas.tenant("globex");
        store = acme.conversations();
        convo = store.create(NewConversation.of(Owner.user("1"), "agent"));
        queued = store.append(convo.id(), NewMessage.assistant("pending").status(MessageStatus.QUEUED));

        foreignConvo = other.conversations().create(NewConversation.of(Owner.user("1"), "agent"));
        foreignMessage = other.conversations().append(foreignConvo.id(), NewMessage.user("theirs"));
        ExecutionHandle h = other.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(foreignConvo.id()));
        h.step().toolCall("c1", "lookup", "{}");
        foreignExecution = h.complete();
        foreignAsset = other.assets().create(NewAsset.of(AssetType.IMAGE, "theirs.png", "image/png"), new byte[] {1, 2, 3});
        foreignCall = other.voiceCalls().start(NewVoiceCall.of("rt_1", "openai", "gpt-realtime").conversation(foreignConvo.id()));
        foreignAssistant = other.assistants().create(AssistantSpec.of("bot", "Bot")).id();
        foreignRevision = other.assistants().publish(foreignAssistant, NewRevision.of("theirs", Map.of()));
        foreignTask = other.tasks().create(NewTask.of("summarize", Map.of()));
        other.credentials().upsert(Owner.user("1"), "openai", "their-secret");

        memory = acme.memories().create(NewMemory.fact(Owner.user("1"), "remembered"));
        searchConvo = store.create(NewConversation.of(Owner.user("1"), "agent"));
        plain = store.append(searchConvo.id(), NewMessage.user("plain hostile content near 2"));
        acme.graph().upsertNode(NewGraphNode.of("a"));
        acme.graph().upsertNode(NewGraphNode.of("b"));
        ownAsset = acme.assets().create(NewAsset.of(AssetType.IMAGE, "v.png", "image/png"), new byte[] {1});
        foreignMemory = other.memories().create(NewMemory.fact(Owner.user("1"), "theirs plain").from(foreignConvo.id(), foreignMessage.id()));
        other.search().upsertVector(SearchTarget.MEMORY, foreignMemory.id(), "m-3", new float[] {1, 0, 0, 0});
        other.search().upsertVector(SearchTarget.MEMORY, foreignMemory.id(), "theirs-4", new float[] {1, 0, 0, 0});
        other.graph().upsertNode(NewGraphNode.of("theirs"));
        other.graph().upsertNode(NewGraphNode.of("theirs-too"));
        other.graph().upsertEdge(NewGraphEdge.of("theirs", "knows", "theirs-too"));
        other.graph().upsertNode(NewGraphNode.of("a"));
        other.graph().upsertEdge(NewGraphEdge.of("theirs", "knows", "a"));
    }

    /** A short, printable name for a value: long values cut, control characters and surrogates escaped. */
    private static String tag(String h) {
        return tag(h, 40);
    }

    private static String tag(String h, int max) {
        String cut = h.length() > max ? h.substring(0, max / 4) + "...(" + h.length() + ")" : h;
        StringBuilder sb = new StringBuilder();
        for (char c : cut.toCharArray()) {
            sb.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }

    // ---- conversations and messages -------------------------------------------------------

    protected void conversationCases(List<Case> cases) {
        for (String h : HOSTILE) {
            String tag = tag(h);
            cases.add(Case.expect("owner.type " + tag, key("owner.type", h), () -> store.create(NewConversation.of(Owner.of(h, "1"))),
                    r -> store.require(((Conversation) r).id()).owner().type(), h));
            cases.add(Case.expect("owner.id " + tag, key("owner.id", h), () -> store.create(NewConversation.of(Owner.of("user", h))),
                    r -> store.require(((Conversation) r).id()).owner().id(), h));
            cases.add(Case.expect("agent " + tag, key("agent", h), () -> store.create(NewConversation.of(Owner.user("1"), h)),
                    r -> store.require(((Conversation) r).id()).agent(), h));
            cases.add(Case.expect("title " + tag, named("title", h, Limits.MAX_TITLE_LENGTH), () -> store.create(NewConversation.of(Owner.user("1")).title(h)),
                    r -> store.require(((Conversation) r).id()).title(), h));
            cases.add(Case.expect("metadata value " + tag, jsonString("metadata", h), () -> store.create(NewConversation.of(Owner.user("1")).metadata(Map.of("k", h))),
                    r -> store.require(((Conversation) r).id()).metadata().get("k"), h));
            cases.add(Case.expect("metadata key " + tag, free("metadata key", h, Limits.MAX_KEY_LENGTH), () -> store.updateMetadata(convo.id(), Map.of(h, 1)),
                    r -> store.require(convo.id()).metadata().keySet().iterator().next(), h));
            cases.add(Case.expect("updateTitle " + tag, named("title", h, Limits.MAX_TITLE_LENGTH), () -> store.updateTitle(convo.id(), h),
                    r -> store.require(convo.id()).title(), h));
            cases.add(Case.expect("updateSummary " + tag, named("summary", h, Limits.MAX_CONTENT_LENGTH), () -> store.updateSummary(convo.id(), h),
                    r -> store.require(convo.id()).summary(), h));
            cases.add(Case.expect("content " + tag, free("content", h, Limits.MAX_CONTENT_LENGTH), () -> store.append(convo.id(), NewMessage.user(h)),
                    r -> store.getMessage(((Message) r).id()).orElseThrow().content(), h));
            cases.add(Case.expect("clientId " + tag, key("clientId", h), () -> store.append(convo.id(), NewMessage.user("c").clientId(h)),
                    r -> store.getMessage(((Message) r).id()).orElseThrow().clientId(), h));
            cases.add(Case.expect("message agent " + tag, key("agent", h), () -> store.append(convo.id(), NewMessage.assistant("c").agent(h)),
                    r -> store.getMessage(((Message) r).id()).orElseThrow().agent(), h));
            cases.add(Case.expect("author " + tag, key("owner.id", h), () -> store.append(convo.id(), NewMessage.user("c").author(Owner.of("user", h))),
                    r -> store.getMessage(((Message) r).id()).orElseThrow().author().id(), h));
            // A fresh queued message each time: a failed message cannot fail again.
            cases.add(Case.expectAfter("failureReason " + tag, free("failureReason", h, Limits.MAX_REASON_LENGTH),
                    () -> store.append(convo.id(), NewMessage.assistant("pending").status(MessageStatus.QUEUED)), m -> store.markFailed(m.id(), h),
                    r -> store.getMessage(((Message) r).id()).orElseThrow().failureReason(), h));
            cases.add(Case.expect("edit " + tag, free("content", h, Limits.MAX_CONTENT_LENGTH), () -> store.edit(queued.id(), h),
                    r -> store.getMessage(queued.id()).orElseThrow().content(), h));
            cases.add(Case.expect("tenant " + tag, tenant(h),
                    () -> atlas.tenant(h).conversations().create(NewConversation.of(Owner.user("1"))),
                    r -> atlas.tenant(h).conversations().require(((Conversation) r).id()).tenantId(), h));
        }
        for (String json : HOSTILE_JSON) {
            cases.add(Case.expect("json content " + tag(json), keptJson(json) ? Expect.ACCEPTED : Expect.invalid("content"),
                    () -> store.append(convo.id(), NewMessage.json(Role.TOOL, json)), r -> store.getMessage(((Message) r).id()).orElseThrow().content(), json));
        }
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, 1001, Integer.MAX_VALUE}) {
            cases.add(Case.readReject("history limit " + n, "limit", () -> store.history(convo.id(), n)));
            cases.add(Case.readReject("list limit " + n, "limit", () -> store.list(ConversationQuery.all().limit(n))));
            cases.add(Case.readReject("messages limit " + n, "limit", () -> store.messages(convo.id(), 0, n)));
        }
        for (long s : new long[] {Long.MIN_VALUE, -1}) {
            cases.add(Case.readReject("messages after " + s, "afterSequence", () -> store.messages(convo.id(), s, 10)));
            cases.add(Case.readReject("history before " + s, "beforeSequence", () -> store.historyBefore(convo.id(), s, 10)));
        }
        cases.add(Case.rejectAfter("illegal transition delivered → delivered", IllegalTransitionException.class,
                () -> store.markDelivered(store.append(convo.id(), NewMessage.assistant("q").status(MessageStatus.QUEUED)).id()), m -> store.markDelivered(m.id())));
        cases.add(Case.rejectAfter("illegal transition delivered → queued", IllegalTransitionException.class,
                () -> store.markDelivered(store.append(convo.id(), NewMessage.assistant("q").status(MessageStatus.QUEUED)).id()),
                m -> store.updateStatus(m.id(), MessageStatus.QUEUED, null)));
        cases.add(Case.rejectAfter("failure reason without failed status", "failureReason",
                () -> store.append(convo.id(), NewMessage.assistant("q").status(MessageStatus.QUEUED)),
                m -> store.updateStatus(m.id(), MessageStatus.DELIVERED, "why")));
        cases.add(Case.reject("null status", "status", () -> store.updateStatus(queued.id(), null, null)));
        cases.add(Case.rejectAfter("illegal transition closed → archived", IllegalTransitionException.class,
                () -> store.close(store.create(NewConversation.of(Owner.user("1"))).id()), c -> store.archive(c.id())));
        cases.add(Case.rejectAfter("illegal transition open → reopened", IllegalTransitionException.class,
                () -> store.create(NewConversation.of(Owner.user("1"))), c -> store.reopen(c.id())));
        cases.add(Case.rejectAfter("append to a closed conversation", ConflictException.class,
                () -> store.close(store.create(NewConversation.of(Owner.user("1"))).id()), c -> store.append(c.id(), NewMessage.user("late"))));
        cases.add(Case.reject("parent of another tenant", NotFoundException.class, () -> store.append(convo.id(), NewMessage.assistant("a").parent(foreignMessage.id()))));
        cases.add(Case.reject("tool thread with a parent of another tenant", NotFoundException.class,
                () -> store.create(NewConversation.toolThread(Owner.user("1"), "a", foreignConvo.id(), null))));
        for (UUID id : List.of(foreignConvo.id(), UUID.randomUUID())) {
            String who = id.equals(foreignConvo.id()) ? "another tenant's" : "unknown";
            cases.add(Case.reject("append to " + who + " conversation", NotFoundException.class, () -> store.append(id, NewMessage.user("x"))));
            cases.add(Case.reject("updateTitle of " + who + " conversation", NotFoundException.class, () -> store.updateTitle(id, "t")));
            cases.add(Case.reject("updateSummary of " + who + " conversation", NotFoundException.class, () -> store.updateSummary(id, "s")));
            cases.add(Case.reject("updateMetadata of " + who + " conversation", NotFoundException.class, () -> store.updateMetadata(id, Map.of())));
            cases.add(Case.reject("archive " + who + " conversation", NotFoundException.class, () -> store.archive(id)));
            cases.add(Case.reject("reopen " + who + " conversation", NotFoundException.class, () -> store.reopen(id)));
            cases.add(Case.reject("close " + who + " conversation", NotFoundException.class, () -> store.close(id)));
            cases.add(Case.reject("delete " + who + " conversation", NotFoundException.class, () -> {
                store.delete(id);
                return null;
            }));
            cases.add(Case.reject("restore " + who + " conversation", NotFoundException.class, () -> store.restore(id)));
            cases.add(Case.reject("markAllRead " + who + " conversation", NotFoundException.class, () -> store.markAllRead(id)));
        }
        for (UUID id : List.of(foreignMessage.id(), UUID.randomUUID())) {
            String who = id.equals(foreignMessage.id()) ? "another tenant's" : "unknown";
            cases.add(Case.reject("edit " + who + " message", NotFoundException.class, () -> store.edit(id, "hijack")));
            cases.add(Case.reject("activate " + who + " message", NotFoundException.class, () -> store.activate(id)));
            cases.add(Case.reject("markRead " + who + " message", NotFoundException.class, () -> store.markRead(id)));
            cases.add(Case.reject("markDelivered " + who + " message", NotFoundException.class, () -> store.markDelivered(id)));
            cases.add(Case.reject("deleteMessage " + who + " message", NotFoundException.class, () -> {
                store.deleteMessage(id);
                return null;
            }));
        }
    }

    // ---- executions -----------------------------------------------------------------------

    private ExecutionSpec spec() {
        return ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id());
    }

    private Object treeStep(Object running, Function<dev.atlas.execution.ExecutionStep, ?> field) {
        return field.apply(acme.executions().tree(((Running) running).exec().id()).orElseThrow().steps().get(0));
    }

    /** What the recorder stores for an error text: NUL and unpaired surrogates replaced with U+FFFD. */
    static String storable(String text) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                sb.append(c).append(text.charAt(++i));
            } else {
                sb.append(c == 0 || Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return sb.toString();
    }

    protected void executionCases(List<Case> cases) {
        ExecutionRecorder rec = acme.executions();
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.expect("execution provider " + tag, key("provider", h), () -> rec.start(ExecutionSpec.text(h, "m")),
                    r -> rec.require(((ExecutionHandle) r).id()).provider(), h));
            cases.add(Case.expect("execution model " + tag, key("model", h), () -> rec.create(ExecutionSpec.text("p", h)), r -> rec.require(((Execution) r).id()).model(), h));
            cases.add(Case.expect("execution agent " + tag, key("agent", h), () -> rec.create(spec().agent(h)), r -> rec.require(((Execution) r).id()).agent(), h));
            cases.add(Case.expect("execution metadata " + tag, jsonString("metadata", h), () -> rec.create(spec().metadata(Map.of("k", h))),
                    r -> rec.require(((Execution) r).id()).metadata().get("k"), h));
            cases.add(Case.expectAfter("providerResponseId " + tag, key("providerResponseId", h), () -> rec.start(spec()), e -> {
                e.providerResponseId(h);
                return e;
            }, r -> rec.require(((ExecutionHandle) r).id()).providerResponseId(), h));
            // Error texts often come from exception messages, so they are made storable rather than rejected.
            cases.add(Case.acceptAfter("execution fail error " + tag, () -> rec.start(spec()), e -> e.fail(h),
                    r -> rec.require(((Execution) r).id()).error(), storable(h)));
            cases.add(Case.expectAfter("reply content " + tag, free("content", h, Limits.MAX_CONTENT_LENGTH), () -> started(rec), t -> t.exec().reply(t.step(), h),
                    r -> store.getMessage(((Message) r).id()).orElseThrow().content(), h));
            cases.add(Case.expectAfter("step finish content " + tag, free("content", h, Limits.MAX_CONTENT_LENGTH), () -> started(rec), t -> {
                t.step().finish(h, FinishReason.STOP);
                return t;
            }, r -> treeStep(r, dev.atlas.execution.ExecutionStep::content), h));
            cases.add(Case.expectAfter("step reasoning " + tag, free("reasoning", h, Limits.MAX_CONTENT_LENGTH), () -> started(rec), t -> {
                t.step().finish("c", h, FinishReason.STOP, Usage.NONE);
                return t;
            }, r -> treeStep(r, dev.atlas.execution.ExecutionStep::reasoning), h));
            cases.add(Case.acceptAfter("step fail error " + tag, () -> started(rec), t -> {
                t.step().fail(h);
                return t;
            }, r -> treeStep(r, dev.atlas.execution.ExecutionStep::error), storable(h)));
            cases.add(Case.expectAfter("tool call name " + tag, key("name", h), () -> started(rec), t -> {
                t.step().toolCall("c", h, "{}");
                return t;
            }, r -> firstToolCall(r).name(), h));
            cases.add(Case.expectAfter("tool call providerCallId " + tag, key("providerCallId", h), () -> started(rec), t -> {
                t.step().toolCall(h, "n", "{}");
                return t;
            }, r -> firstToolCall(r).providerCallId(), h));
            cases.add(Case.expectAfter("tool result " + tag, free("result", h, Limits.MAX_CONTENT_LENGTH), () -> running(rec), t -> {
                t.call().complete(h);
                return t.exec();
            }, r -> firstToolCall(r).result(), h));
            cases.add(Case.acceptAfter("tool error " + tag, () -> running(rec), t -> {
                t.call().fail(h);
                return t.exec();
            }, r -> firstToolCall(r).error(), storable(h)));
            cases.add(Case.expectAfter("tool thread agent " + tag, key("agent", h), () -> running(rec),
                    t -> t.call().thread(Owner.user("1"), h), r -> store.require(((Conversation) r).id()).agent(), h));
            cases.add(Case.expectAfter("tool thread owner " + tag, key("owner.id", h), () -> running(rec),
                    t -> t.call().thread(Owner.of("user", h), "a"), r -> store.require(((Conversation) r).id()).owner().id(), h));
        }
        for (String h : List.of(TEN_MB, "a\u0000b", "\uD800")) {
            cases.add(Case.rejectAfter("reply message content " + tag(h), "content", () -> started(rec), t -> t.exec().reply(t.step(), NewMessage.assistant(h))));
            cases.add(Case.rejectAfter("tool result of the running call " + tag(h), "result", () -> running(rec), t -> {
                t.call().complete(h);
                return t;
            }));
        }
        for (String json : HOSTILE_JSON) {
            cases.add(Case.expectAfter("tool arguments " + tag(json), keptJson(json) ? Expect.ACCEPTED : Expect.invalid("arguments"), () -> started(rec), t -> {
                t.step().toolCall("c", "n", json);
                return t;
            }, r -> firstToolCall(r).arguments(), json));
        }
        for (long n : HOSTILE_LONGS) {
            cases.add(Case.reject("usage input tokens " + n, "usage.inputTokens", () -> Usage.of(n, 1)));
            cases.add(Case.reject("usage output tokens " + n, "usage.outputTokens", () -> Usage.of(1, n)));
            cases.add(Case.reject("usage reasoning tokens " + n, "usage.reasoningTokens", () -> Usage.of(1, 1).reasoning(n)));
            cases.add(Case.reject("usage cached tokens " + n, "usage.cachedTokens", () -> Usage.of(1, 1).cached(n)));
            cases.add(Case.reject("usage cache-write tokens " + n, "usage.cacheWriteTokens", () -> Usage.of(1, 1).cacheWrite(n)));
        }
        // The most expensive usage at the most expensive price overflows the cost column: stored with an unknown cost.
        cases.add(Case.acceptAfter("usage at the limits", () -> rec.start(ExecutionSpec.text("unpriced", "max")), e -> {
            long max = Limits.MAX_TOKEN_COUNT;
            e.usage(new Usage(max, max, max, max, max));
            return e.complete();
        }, r -> rec.require(((Execution) r).id()).usage().inputTokens(), Limits.MAX_TOKEN_COUNT));
        // At the dearest price the cost exceeds what cost_pico holds: refused rather than stored as "no price".
        cases.add(Case.rejectAfter("usage at the limits at the dearest price", "usage", () -> {
            acme.prices().create(new ModelPrice("dear", "max", Limits.MAX_PRICE_PER_MILLION,
                    Limits.MAX_PRICE_PER_MILLION, null, null, Instant.EPOCH));
            return rec.start(ExecutionSpec.text("dear", "max"));
        }, e -> {
            long max = Limits.MAX_TOKEN_COUNT;
            e.usage(new Usage(max, max, max, max, max));
            return null;
        }));
        cases.add(Case.read("usage report after the overflow", () -> rec.usageReport(UsageGroup.MODEL, Instant.EPOCH, Instant.now().plusSeconds(60))));
        cases.add(Case.rejectAfter("null usage", "usage", () -> rec.start(spec()), e -> {
            e.usage(null);
            return null;
        }));
        cases.add(Case.rejectAfter("null finish reason", "finishReason", () -> started(rec), t -> {
            t.step().finish("c", null);
            return null;
        }));
        cases.add(Case.rejectAfter("reply without a conversation", "conversationId", () -> {
            ExecutionHandle e = rec.start(ExecutionSpec.text("p", "m"));
            return new Running(e, e.step(), null);
        }, t -> t.exec().reply(t.step(), "x")));
        cases.add(Case.rejectAfter("tool thread without a conversation", "conversationId",
                () -> rec.start(ExecutionSpec.text("p", "m")).step().toolCall("c", "n", "{}"), t -> t.thread(Owner.user("1"), "a")));
        cases.add(Case.rejectAfter("reply with a null step", "step", () -> rec.start(spec()), e -> e.reply(null, "x")));
        cases.add(Case.rejectAfter("reply with a null message", "message", () -> started(rec), t -> t.exec().reply(t.step(), (NewMessage) null)));
        cases.add(Case.rejectAfter("reply linked to a step of another execution", "step", () -> new Running(rec.start(spec()), started(rec).step(), null),
                t -> t.exec().reply(t.step(), "x")));
        cases.add(Case.rejectAfter("reply linked to a step of another tenant", "step", () -> {
            ExecutionHandle theirs = other.executions().start(ExecutionSpec.text("p", "m"));
            return new Running(rec.start(spec()), theirs.step(), null);
        }, t -> t.exec().reply(t.step(), "x")));
        cases.add(Case.rejectAfter("tool call with a null call", "call", () -> started(rec), t -> t.step().toolCall(null)));
        cases.add(Case.reject("record with a null spec", "spec", () -> rec.record(null, e -> 1)));
        cases.add(Case.reject("record with a null body", "body", () -> rec.record(spec(), null)));
        cases.add(Case.reject("recordAsync with a null spec", "spec", () -> rec.recordAsync(null, e -> java.util.concurrent.CompletableFuture.completedFuture(1))));
        cases.add(Case.reject("recordAsync with a null body", "body", () -> rec.recordAsync(spec(), null)));
        cases.add(Case.reject("start with a null spec", "spec", () -> rec.start(null)));
        cases.add(Case.reject("create with a null spec", "spec", () -> rec.create(null)));
        cases.add(Case.accept("record a body that returns null", () -> rec.record(spec(), e -> null), r -> r, null));
        cases.add(Case.reject("execution on another tenant's conversation", NotFoundException.class, () -> rec.create(ExecutionSpec.text("p", "m").conversation(foreignConvo.id()))));
        cases.add(Case.reject("execution on an unknown conversation", NotFoundException.class, () -> rec.start(ExecutionSpec.text("p", "m").conversation(UUID.randomUUID()))));
        cases.add(Case.reject("execution on another tenant's revision", NotFoundException.class, () -> rec.create(spec().assistantRevision(foreignRevision.id()))));
        cases.add(Case.reject("execution on an unknown revision", NotFoundException.class, () -> rec.create(spec().assistantRevision(UUID.randomUUID()))));
        for (UUID id : List.of(foreignExecution.id(), UUID.randomUUID())) {
            String who = id.equals(foreignExecution.id()) ? "another tenant's" : "unknown";
            cases.add(Case.reject("queue " + who + " execution", NotFoundException.class, () -> rec.queue(id)));
            cases.add(Case.reject("resume " + who + " execution", NotFoundException.class, () -> rec.resume(id)));
            cases.add(Case.reject("cancel " + who + " execution", NotFoundException.class, () -> rec.cancel(id)));
        }
        cases.add(Case.rejectAfter("illegal transition completed → processing", IllegalTransitionException.class, () -> rec.start(spec()).complete(), e -> rec.resume(e.id())));
        cases.add(Case.rejectAfter("illegal transition completed → queued", IllegalTransitionException.class, () -> rec.start(spec()).complete(), e -> rec.queue(e.id())));
        cases.add(Case.rejectAfter("illegal transition completed → cancelled", IllegalTransitionException.class, () -> rec.start(spec()).complete(), e -> rec.cancel(e.id())));
        cases.add(Case.rejectAfter("illegal transition processing → queued", IllegalTransitionException.class, () -> rec.start(spec()), e -> rec.queue(e.id())));
        cases.add(Case.rejectAfter("illegal transition completed → completed", IllegalTransitionException.class, () -> {
            ExecutionHandle e = rec.start(spec());
            e.complete();
            return e;
        }, ExecutionHandle::complete));
        cases.add(Case.rejectAfter("illegal transition failed → completed", IllegalTransitionException.class, () -> {
            ExecutionHandle e = rec.start(spec());
            e.fail("boom");
            return e;
        }, ExecutionHandle::complete));
        cases.add(Case.rejectAfter("a step after completion", ConflictException.class, () -> {
            ExecutionHandle e = rec.start(spec());
            e.complete();
            return e;
        }, ExecutionHandle::step));
        cases.add(Case.rejectAfter("step finished twice", IllegalTransitionException.class, () -> {
            StepHandle s = rec.start(spec()).step();
            s.finish("a", FinishReason.STOP);
            return s;
        }, s -> {
            s.finish("b", FinishReason.STOP);
            return null;
        }));
        cases.add(Case.rejectAfter("tool call completed twice", IllegalTransitionException.class, () -> {
            StepHandle.ToolCallHandle t = rec.start(spec()).step().toolCall("c", "n", "{}");
            t.complete("r");
            return t;
        }, t -> {
            t.complete("again");
            return null;
        }));
        for (Duration d : HOSTILE_DURATIONS) {
            cases.add(Case.expect("sweepInterrupted " + d, age("olderThan", d), () -> rec.sweepInterrupted(d), null, null));
        }
        for (Instant i : HOSTILE_INSTANTS) {
            cases.add(Case.readExpect("usageReport from " + i, instant("from", i), () -> rec.usageReport(UsageGroup.DAY, i, Instant.now())));
        }
        cases.add(Case.readReject("usageReport to before from", "to", () -> rec.usageReport(UsageGroup.DAY, Instant.now(), Instant.EPOCH)));
        cases.add(Case.readReject("usageReport null group", "group", () -> rec.usageReport(null, Instant.EPOCH, Instant.now())));
    }

    /** A running execution with a running step and possibly a running tool call. */
    private record Running(ExecutionHandle exec, StepHandle step, StepHandle.ToolCallHandle call) {}

    private Running started(ExecutionRecorder rec) {
        ExecutionHandle e = rec.start(spec());
        return new Running(e, e.step(), null);
    }

    private Running running(ExecutionRecorder rec) {
        ExecutionHandle e = rec.start(spec());
        StepHandle s = e.step();
        return new Running(e, s, s.toolCall("c", "n", "{}"));
    }

    private dev.atlas.execution.ToolCall firstToolCall(Object execution) {
        UUID id = execution instanceof ExecutionHandle h ? h.id() : ((Running) execution).exec().id();
        return acme.executions().tree(id).orElseThrow().toolCalls().get(0);
    }

    // ---- prices ---------------------------------------------------------------------------

    protected void priceCases(List<Case> cases) {
        PriceStore prices = acme.prices();
        for (String h : HOSTILE_SHORT) {
            cases.add(Case.expect("price provider " + tag(h), key("provider", h), () -> prices.create(ModelPrice.of(h, "m", "1", "2", Instant.EPOCH)),
                    r -> prices.list(h, "m").get(0).provider(), h));
            cases.add(Case.expect("price model " + tag(h), key("model", h), () -> prices.create(ModelPrice.of("p", h, "1", "2", Instant.EPOCH)),
                    r -> prices.list("p", h).get(0).model(), h));
        }
        for (String d : List.of("-0.000001", "1000000.000001", "0.0000001", "1e400", "NaN", "", "1'; DROP TABLE x; --", "-1",
                "99999999999999999999999999")) {
            cases.add(Case.reject("input price " + d, "inputPerMillion", () -> prices.create(ModelPrice.of("p", "price-" + d.hashCode(), d, "1", Instant.EPOCH))));
            cases.add(Case.reject("output price " + d, "outputPerMillion", () -> prices.create(ModelPrice.of("p", "price-" + d.hashCode(), "1", d, Instant.EPOCH))));
            cases.add(Case.reject("cached price " + d, "cachedPerMillion", () -> prices.create(ModelPrice.of("p", "price-" + d.hashCode(), "1", "1", Instant.EPOCH).cached(d))));
            cases.add(Case.reject("cache-write price " + d, "cacheWritePerMillion", () -> prices.create(ModelPrice.of("p", "price-" + d.hashCode(), "1", "1", Instant.EPOCH).cacheWrite(d))));
        }
        cases.add(Case.accept("price at the limit", () -> prices.create(ModelPrice.of("p", "max", "1000000", "0.000001", Instant.EPOCH)),
                r -> prices.list("p", "max").get(0).inputPerMillion().toPlainString() + "/" + prices.list("p", "max").get(0).outputPerMillion().toPlainString(),
                "1000000/0.000001"));
        for (Instant i : HOSTILE_INSTANTS) {
            cases.add(Case.expect("price validFrom " + i, instant("validFrom", i), () -> prices.create(ModelPrice.of("p", "valid-" + i.getEpochSecond(), "1", "1", i)),
                    r -> prices.list("p", "valid-" + i.getEpochSecond()).get(0).validFrom(), i));
        }
        cases.add(Case.rejectAfter("duplicate price", ConflictException.class, () -> prices.create(ModelPrice.of("p", "dup", "1", "1", Instant.EPOCH)),
                p -> prices.create(ModelPrice.of("p", "dup", "3", "3", Instant.EPOCH))));
        cases.add(Case.reject("null price", "price", () -> prices.create(null)));
    }

    // ---- assets ---------------------------------------------------------------------------

    private String bytes(UUID asset) {
        try (InputStream in = acme.assets().open(asset)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected void assetCases(List<Case> cases) {
        AssetStore assets = acme.assets();
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.expect("asset filename " + tag, filename(h), () -> assets.create(NewAsset.of(AssetType.FILE, h, null), png),
                    r -> assets.get(((Asset) r).id()).orElseThrow().filename(), h));
            cases.add(Case.expect("asset mimeType " + tag, form("mimeType", h, MIME_TYPE), () -> assets.create(NewAsset.of(AssetType.FILE, "f", h), png),
                    r -> assets.get(((Asset) r).id()).orElseThrow().mimeType(), h));
            cases.add(Case.expect("asset agent " + tag, key("agent", h), () -> assets.create(NewAsset.of(AssetType.FILE, "f", null).agent(h), png),
                    r -> assets.get(((Asset) r).id()).orElseThrow().agent(), h));
            cases.add(Case.expect("asset description " + tag, free("description", h, Limits.MAX_REASON_LENGTH), () -> assets.create(NewAsset.of(AssetType.FILE, "f", null).description(h), png),
                    r -> assets.get(((Asset) r).id()).orElseThrow().description(), h));
            cases.add(Case.expect("asset owner " + tag, key("owner.type", h), () -> assets.create(NewAsset.of(AssetType.FILE, "f", null).owner(Owner.of(h, "1")), png),
                    r -> assets.get(((Asset) r).id()).orElseThrow().owner().type(), h));
            cases.add(Case.accept("asset content " + tag, () -> assets.create(NewAsset.of(AssetType.FILE, "f", null), h.getBytes(StandardCharsets.UTF_8)),
                    r -> bytes(((Asset) r).id()), new String(h.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)));
            cases.add(Case.expectAfter("attachment metadata " + tag, jsonString("attachmentMetadata", h), () -> assets.create(NewAsset.of(AssetType.FILE, "f", null), png),
                    a -> assets.attach(queued.id(), a.id(), Map.of("k", h)), r -> assets.forMessage(queued.id()).stream()
                            .filter(x -> x.asset().id().equals(((dev.atlas.asset.AttachedAsset) r).asset().id())).findFirst().orElseThrow()
                            .attachmentMetadata().get("k"), h));
        }
        cases.add(Case.reject("asset of another tenant's execution", NotFoundException.class,
                () -> assets.create(NewAsset.of(AssetType.IMAGE, "f", null).execution(foreignExecution.id(), null), png)));
        cases.add(Case.reject("asset of an unknown execution", NotFoundException.class,
                () -> assets.create(NewAsset.of(AssetType.IMAGE, "f", null).execution(UUID.randomUUID(), null), png)));
        cases.add(Case.rejectAfter("asset with a tool call of another execution", NotFoundException.class, () -> acme.executions().start(spec()),
                e -> assets.create(NewAsset.of(AssetType.IMAGE, "f", null).execution(e.id(),
                        other.executions().tree(foreignExecution.id()).orElseThrow().toolCalls().get(0).id()), png)));
        cases.add(Case.reject("asset from a failing stream", StorageException.class, () -> assets.create(NewAsset.of(AssetType.FILE, "f", null), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("disk on fire");
            }
        })));
        cases.add(Case.reject("asset from a null stream", "content", () -> assets.create(NewAsset.of(AssetType.FILE, "f", null), (InputStream) null)));
        cases.add(Case.reject("asset from null bytes", "content", () -> assets.create(NewAsset.of(AssetType.FILE, "f", null), (byte[]) null)));
        cases.add(Case.reject("null asset", "asset", () -> assets.create(null, new ByteArrayInputStream(png))));
        cases.add(Case.reject("attach another tenant's asset", NotFoundException.class, () -> assets.attach(queued.id(), foreignAsset.id(), Map.of())));
        cases.add(Case.rejectAfter("attach to another tenant's message", NotFoundException.class, () -> assets.create(NewAsset.of(AssetType.FILE, "f", null), png),
                a -> assets.attach(foreignMessage.id(), a.id(), Map.of())));
        cases.add(Case.reject("attach an unknown asset", NotFoundException.class, () -> assets.attach(queued.id(), UUID.randomUUID(), Map.of())));
        cases.add(Case.reject("delete another tenant's asset", NotFoundException.class, () -> {
            assets.delete(foreignAsset.id());
            return null;
        }));
        cases.add(Case.reject("delete an unknown asset", NotFoundException.class, () -> {
            assets.delete(UUID.randomUUID());
            return null;
        }));
        cases.add(Case.readReject("open another tenant's asset", NotFoundException.class, () -> assets.open(foreignAsset.id())));
        for (Duration d : HOSTILE_DURATIONS) {
            cases.add(Case.expect("cleanupOrphanBlobs " + d, age("minAge", d), () -> assets.cleanupOrphanBlobs(d), null, null));
        }
    }

    // ---- voice calls ----------------------------------------------------------------------

    protected void voiceCases(List<Case> cases) {
        VoiceCallStore calls = acme.voiceCalls();
        Supplier<VoiceCall> active = () -> calls.start(NewVoiceCall.of("rt", "openai", "gpt-realtime").conversation(convo.id()));
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.expect("voice sessionId " + tag, key("sessionId", h), () -> calls.start(NewVoiceCall.of(h, "p", "m")), r -> calls.get(((VoiceCall) r).id()).orElseThrow().sessionId(), h));
            cases.add(Case.expect("voice provider " + tag, key("provider", h), () -> calls.start(NewVoiceCall.of("s", h, "m")), r -> calls.get(((VoiceCall) r).id()).orElseThrow().provider(), h));
            cases.add(Case.expect("voice model " + tag, key("model", h), () -> calls.start(NewVoiceCall.of("s", "p", h)), r -> calls.get(((VoiceCall) r).id()).orElseThrow().model(), h));
            cases.add(Case.expect("voice agent " + tag, key("agent", h), () -> calls.start(NewVoiceCall.of("s", "p", "m").agent(h)), r -> calls.get(((VoiceCall) r).id()).orElseThrow().agent(), h));
            cases.add(Case.expect("voice owner " + tag, key("owner.id", h), () -> calls.start(NewVoiceCall.of("s", "p", "m").owner(Owner.of("user", h))),
                    r -> calls.get(((VoiceCall) r).id()).orElseThrow().owner().id(), h));
            cases.add(Case.expectAfter("voice checkpoint turn " + tag, free("content", h, Limits.MAX_CONTENT_LENGTH), active, c -> calls.checkpoint(c.id(), List.of(VoiceTurn.user(h))),
                    r -> calls.get(((VoiceCall) r).id()).orElseThrow().transcript().get(0).content(), h));
            cases.add(Case.expectAfter("voice complete turn " + tag, free("content", h, Limits.MAX_CONTENT_LENGTH), active, c -> calls.complete(c.id(), List.of(VoiceTurn.assistant(h))),
                    r -> calls.get(((VoiceCall) r).id()).orElseThrow().transcript().get(0).content(), h));
            cases.add(Case.expectAfter("voice summary " + tag, named("summary", h, Limits.MAX_CONTENT_LENGTH), active, c -> calls.summarize(c.id(), h),
                    r -> calls.get(((VoiceCall) r).id()).orElseThrow().summary(), h));
        }
        cases.add(Case.rejectAfter("voice checkpoint turn " + tag(TEN_MB), "content", active, c -> calls.checkpoint(c.id(), List.of(VoiceTurn.user(TEN_MB)))));
        // Each turn is within its limit, the transcript is not.
        cases.add(Case.rejectAfter("voice checkpoint of 40 turns of 1 MB", "transcript", active,
                c -> calls.checkpoint(c.id(), Collections.nCopies(40, VoiceTurn.user("z".repeat(Limits.MAX_CONTENT_LENGTH))))));
        cases.add(Case.reject("voice turn of a tool", "role", () -> new VoiceTurn(Role.TOOL, "x")));
        cases.add(Case.rejectAfter("voice checkpoint with a null turn", "transcript", active, c -> calls.checkpoint(c.id(), Arrays.asList(VoiceTurn.user("a"), null))));
        cases.add(Case.rejectAfter("voice checkpoint with a null transcript", "transcript", active, c -> calls.checkpoint(c.id(), null)));
        cases.add(Case.reject("voice call on another tenant's conversation", NotFoundException.class, () -> calls.start(NewVoiceCall.of("s", "p", "m").conversation(foreignConvo.id()))));
        cases.add(Case.reject("voice call on an unknown conversation", NotFoundException.class, () -> calls.start(NewVoiceCall.of("s", "p", "m").conversation(UUID.randomUUID()))));
        cases.add(Case.reject("voice call on another tenant's execution", NotFoundException.class, () -> calls.start(NewVoiceCall.of("s", "p", "m").execution(foreignExecution.id()))));
        for (UUID id : List.of(foreignCall.id(), UUID.randomUUID())) {
            String who = id.equals(foreignCall.id()) ? "another tenant's" : "unknown";
            cases.add(Case.reject("checkpoint " + who + " call", NotFoundException.class, () -> calls.checkpoint(id, List.of())));
            cases.add(Case.reject("complete " + who + " call", NotFoundException.class, () -> calls.complete(id, List.of())));
            cases.add(Case.reject("fail " + who + " call", NotFoundException.class, () -> calls.fail(id)));
            cases.add(Case.reject("summarize " + who + " call", NotFoundException.class, () -> calls.summarize(id, "s")));
        }
        cases.add(Case.rejectAfter("illegal transition completed → active (checkpoint)", ConflictException.class, () -> calls.complete(active.get().id(), List.of()),
                c -> calls.checkpoint(c.id(), List.of(VoiceTurn.user("late")))));
        cases.add(Case.rejectAfter("voice call illegal transition completed → completed", IllegalTransitionException.class, () -> calls.complete(active.get().id(), List.of()),
                c -> calls.complete(c.id(), List.of())));
        cases.add(Case.rejectAfter("illegal transition failed → failed", IllegalTransitionException.class, () -> calls.fail(active.get().id()), c -> calls.fail(c.id())));
        cases.add(Case.rejectAfter("voice call illegal transition failed → completed", IllegalTransitionException.class, () -> calls.fail(active.get().id()), c -> calls.complete(c.id(), List.of())));
        for (Duration d : HOSTILE_DURATIONS) {
            cases.add(Case.expect("completeStale " + d, age("olderThan", d), () -> calls.completeStale(d), null, null));
        }
    }

    // ---- assistants -----------------------------------------------------------------------

    protected void assistantCases(List<Case> cases) {
        AssistantStore assistants = acme.assistants();
        int[] slug = {0};
        Supplier<String> next = () -> "s" + (slug[0]++);
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.expect("assistant slug " + tag, form("slug", h, AssistantSpec.SLUG), () -> assistants.create(AssistantSpec.of(h, "n")), r -> assistants.get(((dev.atlas.assistant.Assistant) r).id()).orElseThrow().slug(), h));
            cases.add(Case.expect("assistant name " + tag, named("name", h, Limits.MAX_TITLE_LENGTH), () -> assistants.create(AssistantSpec.of(next.get(), h)), r -> assistants.get(((dev.atlas.assistant.Assistant) r).id()).orElseThrow().name(), h));
            cases.add(Case.expect("assistant description " + tag, free("description", h, Limits.MAX_CONTENT_LENGTH), () -> assistants.create(AssistantSpec.of(next.get(), "n").description(h)),
                    r -> assistants.get(((dev.atlas.assistant.Assistant) r).id()).orElseThrow().description(), h));
            cases.add(Case.expect("assistant defaultModel " + tag, key("defaultModel", h), () -> assistants.create(AssistantSpec.of(next.get(), "n").defaultModel(h)),
                    r -> assistants.get(((dev.atlas.assistant.Assistant) r).id()).orElseThrow().defaultModel(), h));
            cases.add(Case.expect("assistant tool " + tag, key("tools", h), () -> assistants.create(AssistantSpec.of(next.get(), "n").tools(List.of(h))),
                    r -> assistants.get(((dev.atlas.assistant.Assistant) r).id()).orElseThrow().tools().get(0), h));
            cases.add(Case.expectAfter("assistant update name " + tag, named("name", h, Limits.MAX_TITLE_LENGTH), () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.update(a.id(), AssistantSpec.of(a.slug(), h)), r -> assistants.get(((dev.atlas.assistant.Assistant) r).id()).orElseThrow().name(), h));
            cases.add(Case.expectAfter("revision prompt " + tag, free("systemPrompt", h, Limits.MAX_CONTENT_LENGTH), () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.publish(a.id(), NewRevision.of(h, Map.of())), r -> assistants.getRevision(((AssistantRevision) r).id()).orElseThrow().systemPrompt(), h));
            cases.add(Case.expectAfter("revision label " + tag, named("label", h, Limits.MAX_TITLE_LENGTH), () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.publish(a.id(), NewRevision.of("p", Map.of()).label(h)), r -> assistants.getRevision(((AssistantRevision) r).id()).orElseThrow().label(), h));
            cases.add(Case.expectAfter("revision author " + tag, key("owner.type", h), () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.publish(a.id(), NewRevision.of("p", Map.of()).author(Owner.of(h, "1"))),
                    r -> assistants.getRevision(((AssistantRevision) r).id()).orElseThrow().author().type(), h));
            cases.add(Case.expectAfter("revision settings " + tag, jsonString("settings", h), () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.publish(a.id(), NewRevision.of("p", Map.of("k", h))), r -> assistants.getRevision(((AssistantRevision) r).id()).orElseThrow().settings().get("k"), h));
        }
        cases.add(Case.rejectAfter("revision prompt " + tag(TEN_MB), "systemPrompt", () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                a -> assistants.publish(a.id(), NewRevision.of(TEN_MB, Map.of()))));
        for (String t : List.of("-0.01", "2.01", "0.001", "1e400", "-1e-400", "99999999999999999999")) {
            BigDecimal d = new BigDecimal(t);
            cases.add(Case.reject("temperature " + t, "temperature", () -> assistants.create(AssistantSpec.of(next.get(), "n").temperature(d))));
            cases.add(Case.reject("topP " + t, "topP", () -> assistants.create(AssistantSpec.of(next.get(), "n").topP(d))));
        }
        for (int n : HOSTILE_INTS) {
            cases.add(Case.reject("maxOutputTokens " + n, "maxOutputTokens", () -> assistants.create(AssistantSpec.of(next.get(), "n").maxOutputTokens(n))));
        }
        cases.add(Case.reject("tools listed twice", "tools", () -> assistants.create(AssistantSpec.of(next.get(), "n").tools(List.of("a", "a")))));
        cases.add(Case.reject("tools with null", "tools", () -> assistants.create(AssistantSpec.of(next.get(), "n").tools(Arrays.asList("a", null)))));
        cases.add(Case.reject("too many tools", "tools", () -> assistants.create(AssistantSpec.of(next.get(), "n")
                .tools(Stream.iterate(0, i -> i + 1).limit(AssistantSpec.MAX_TOOLS + 1).map(i -> "t" + i).toList()))));
        cases.add(Case.rejectAfter("duplicate slug", ConflictException.class, () -> assistants.create(AssistantSpec.of("dup-slug", "n")),
                a -> assistants.create(AssistantSpec.of("dup-slug", "m"))));
        cases.add(Case.rejectAfter("update to a taken slug", ConflictException.class, () -> {
            assistants.create(AssistantSpec.of("taken", "n"));
            return assistants.create(AssistantSpec.of(next.get(), "n"));
        }, a -> assistants.update(a.id(), AssistantSpec.of("taken", "n"))));
        for (UUID id : List.of(foreignAssistant, UUID.randomUUID())) {
            String who = id.equals(foreignAssistant) ? "another tenant's" : "unknown";
            cases.add(Case.reject("update " + who + " assistant", NotFoundException.class, () -> assistants.update(id, AssistantSpec.of("bot", "hijack"))));
            cases.add(Case.reject("delete " + who + " assistant", NotFoundException.class, () -> {
                assistants.delete(id);
                return null;
            }));
            cases.add(Case.reject("publish to " + who + " assistant", NotFoundException.class, () -> assistants.publish(id, NewRevision.of("hijack", Map.of()))));
            cases.add(Case.reject("rollback " + who + " assistant", NotFoundException.class, () -> assistants.rollback(id, 1, Owner.user("1"))));
        }
        for (int n : HOSTILE_INTS) {
            // Revision numbers start at 1; a number that was never published is not found.
            cases.add(Case.expectAfter("rollback to revision " + n, n < 1 ? Expect.invalid("toNumber") : Expect.thrown(NotFoundException.class), () -> {
                dev.atlas.assistant.Assistant a = assistants.create(AssistantSpec.of(next.get(), "n"));
                assistants.publish(a.id(), NewRevision.of("p", Map.of()));
                return a;
            }, a -> assistants.rollback(a.id(), n, Owner.user("1")), null, null));
        }
        cases.add(Case.rejectAfter("rollback to another tenant's revision", NotFoundException.class, () -> {
            dev.atlas.assistant.Assistant a = assistants.create(AssistantSpec.of(next.get(), "n"));
            assistants.publish(a.id(), NewRevision.of("p", Map.of()));
            return a;
        }, a -> assistants.rollback(a.id(), foreignRevision.id(), Owner.user("1"))));
        cases.add(Case.rejectAfter("rollback with no revision", NotFoundException.class, () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                a -> assistants.rollback(a.id(), 1, Owner.user("1"))));
        cases.add(Case.readReject("assistant list limit 0", "limit", () -> assistants.list(0, null)));
        cases.add(Case.readReject("assistant list hostile cursor", "cursor", () -> assistants.list(10, "'; DROP TABLE atlas_assistants; --")));
    }

    // ---- credentials ----------------------------------------------------------------------

    protected void credentialCases(List<Case> cases) {
        CredentialStore creds = acme.credentials();
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.expect("credential name " + tag, key("name", h), () -> creds.upsert(Owner.user("1"), h, "s"), r -> creds.get(Owner.user("1"), h).orElseThrow().reveal(), "s"));
            cases.add(Case.expect("credential owner " + tag, key("owner.id", h), () -> creds.upsert(Owner.of("user", h), "n", "s"), r -> creds.list(Owner.of("user", h)).get(0).owner().id(), h));
            cases.add(Case.expect("credential secret " + tag, free("secret", h, CredentialStore.MAX_SECRET_LENGTH), () -> creds.upsert(Owner.user("1"), "n", h), r -> creds.get(Owner.user("1"), "n").orElseThrow().reveal(), h));
            // The credential "credential name" stored just before under this name is deleted.
            cases.add(Case.expect("credential delete name " + tag, key("name", h), () -> {
                creds.delete(Owner.user("1"), h);
                return true;
            }, r -> r, true));
        }
        cases.add(Case.reject("credential secret " + tag(TEN_MB), "secret", () -> creds.upsert(Owner.user("1"), "n", TEN_MB)));
        cases.add(Case.accept("credential secret at the limit", () -> creds.upsert(Owner.user("1"), "n", "s".repeat(CredentialStore.MAX_SECRET_LENGTH)),
                r -> creds.get(Owner.user("1"), "n").orElseThrow().reveal().length(), CredentialStore.MAX_SECRET_LENGTH));
        cases.add(Case.reject("credential secret over the limit", "secret", () -> creds.upsert(Owner.user("1"), "n", "s".repeat(CredentialStore.MAX_SECRET_LENGTH + 1))));
        cases.add(Case.reject("credential null owner", "owner", () -> creds.upsert(null, "n", "s")));
        cases.add(Case.reject("credential null secret", "secret", () -> creds.upsert(Owner.user("1"), "n", null)));
        cases.add(Case.reject("credential null name", "name", () -> creds.upsert(Owner.user("1"), null, "s")));
        cases.add(Case.reject("delete another tenant's credential", NotFoundException.class, () -> {
            creds.delete(Owner.user("1"), "openai");
            return null;
        }));
        cases.add(Case.accept("reEncrypt", creds::reEncrypt, r -> r, 0));
    }

    // ---- tasks ----------------------------------------------------------------------------

    protected void taskCases(List<Case> cases) {
        TaskStore tasks = acme.tasks();
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.expect("task kind " + tag, key("kind", h), () -> tasks.create(NewTask.of(h, Map.of())), r -> tasks.get(((Task) r).id()).orElseThrow().kind(), h));
            cases.add(Case.expect("task payload " + tag, jsonString("payload", h), () -> tasks.create(NewTask.of("k", Map.of("k", h))), r -> tasks.get(((Task) r).id()).orElseThrow().payload().get("k"), h));
            cases.add(Case.expect("task owner " + tag, key("owner.id", h), () -> tasks.create(NewTask.of("k", Map.of()).owner(Owner.of("user", h))),
                    r -> tasks.get(((Task) r).id()).orElseThrow().owner().id(), h));
            cases.add(Case.expectAfter("task result " + tag, jsonString("result", h), () -> claimFresh("result-" + h.hashCode()), c -> tasks.complete(c, Map.of("k", h)),
                    r -> tasks.get(((Task) r).id()).orElseThrow().result().get("k"), h));
            // A failure is recorded whatever its text, as on every fail(error) of the API: blank is a value, NUL and
            // unpaired surrogates are stored as U+FFFD.
            cases.add(Case.acceptAfter("task error " + tag, () -> claimFresh("error-" + h.hashCode()), c -> tasks.fail(c, h),
                    r -> tasks.get(((Task) r).id()).orElseThrow().error(), storable(h)));
            cases.add(Case.acceptAfter("task operator error " + tag, () -> tasks.create(NewTask.of("op", Map.of())),
                    t -> tasks.failAsOperator(t.id(), h), r -> tasks.get(((Task) r).id()).orElseThrow().error(), storable(h)));
            cases.add(Case.expect("claim kinds " + tag, key("kinds", h), () -> tasks.claim(Duration.ofSeconds(30), Set.of(h)), null, null));
        }
        // and cut at Limits.MAX_REASON_LENGTH characters
        cases.add(Case.acceptAfter("task error " + tag(TEN_MB), () -> claimFresh("error-big"), c -> tasks.fail(c, TEN_MB),
                r -> tasks.get(((Task) r).id()).orElseThrow().error(), TEN_MB.substring(0, Limits.MAX_REASON_LENGTH)));
        for (int n : HOSTILE_INTS) {
            cases.add(Case.reject("task maxAttempts " + n, "maxAttempts", () -> tasks.create(NewTask.of("k", Map.of()).maxAttempts(n))));
        }
        for (Instant i : HOSTILE_INSTANTS) {
            cases.add(Case.expect("task runAfter " + i, instant("runAfter", i), () -> tasks.create(NewTask.of("later", Map.of()).runAfter(i)),
                    r -> tasks.get(((Task) r).id()).orElseThrow().runAfter(), i));
            cases.add(Case.expectAfter("task retryAt " + i, instant("retryAt", i), () -> claimFresh("retry-" + i.getEpochSecond()), c -> tasks.fail(c, "e", i),
                    r -> tasks.get(((Task) r).id()).orElseThrow().error(), "e"));
        }
        for (Duration d : new Duration[] {Duration.ZERO, Duration.ofSeconds(-1), TaskStore.MAX_LEASE.plusNanos(1000), Duration.ofSeconds(Long.MAX_VALUE), null}) {
            cases.add(Case.reject("claim lease " + d, "lease", () -> tasks.claim(d)));
        }
        cases.add(Case.reject("claim null kinds", "kinds", () -> tasks.claim(Duration.ofSeconds(30), null)));
        cases.add(Case.reject("claim kinds with null", "kinds", () -> tasks.claim(Duration.ofSeconds(30), Collections.singleton(null))));
        cases.add(Case.reject("enqueueAll with null", "tasks", () -> tasks.createAll(Arrays.asList(NewTask.of("k", Map.of()), null))));
        cases.add(Case.reject("enqueueAll over the page size", "tasks", () -> tasks.createAll(Collections.nCopies(Limits.MAX_PAGE_SIZE + 1, NewTask.of("k", Map.of())))));
        cases.add(Case.reject("enqueueAll null", "tasks", () -> tasks.createAll(null)));
        // The conversation id of a task is a plain id, not a foreign key (NewTask): any id is kept as given.
        cases.add(Case.accept("task for another tenant's conversation id", () -> tasks.create(NewTask.of("k", Map.of()).forConversation(foreignConvo.id())),
                r -> tasks.get(((Task) r).id()).orElseThrow().conversationId(), foreignConvo.id()));
        for (UUID id : List.of(foreignTask.id(), UUID.randomUUID())) {
            String who = id.equals(foreignTask.id()) ? "another tenant's" : "unknown";
            cases.add(Case.reject("cancel " + who + " task", NotFoundException.class, () -> tasks.cancel(id)));
        }
        cases.add(Case.rejectAfter("task illegal transition completed → cancelled", IllegalTransitionException.class, () -> tasks.complete(claimFresh("done"), Map.of()), t -> tasks.cancel(t.id())));
        cases.add(Case.rejectAfter("illegal transition completed → running (complete again)", LeaseLostException.class, () -> {
            ClaimedTask c = claimFresh("twice");
            tasks.complete(c, Map.of());
            return c;
        }, c -> tasks.complete(c, Map.of())));
        cases.add(Case.rejectAfter("illegal transition completed → running (heartbeat)", LeaseLostException.class, () -> {
            ClaimedTask c = claimFresh("beat");
            tasks.complete(c, Map.of());
            return c;
        }, tasks::heartbeat));
        cases.add(Case.rejectAfter("illegal transition cancelled → failed", LeaseLostException.class, () -> {
            ClaimedTask c = claimFresh("cancelled");
            tasks.cancel(c.taskId());
            return c;
        }, c -> tasks.fail(c, "late")));
        cases.add(Case.rejectAfter("a forged claim id", LeaseLostException.class, () -> claimFresh("forged"),
                c -> tasks.complete(new ClaimedTask(c.task(), UUID.randomUUID(), c.leaseExpiresAt(), c.leaseDuration()), Map.of())));
        cases.add(Case.rejectAfter("another tenant's claim", NotFoundException.class, () -> other.tasks().claim(Duration.ofSeconds(30)).orElseThrow(),
                c -> tasks.complete(c, Map.of("hijack", true))));
        cases.add(Case.rejectAfter("another tenant's claim heartbeat", NotFoundException.class, () -> {
            other.tasks().create(NewTask.of("theirs", Map.of()));
            return other.tasks().claim(Duration.ofSeconds(30), Set.of("theirs")).orElseThrow();
        }, tasks::heartbeat));
        cases.add(Case.reject("null claim", "claim", () -> tasks.complete(null, Map.of())));
        ClaimedTask empty = new ClaimedTask(null, null, null, null);
        cases.add(Case.reject("empty claim heartbeat", "claim.task", () -> tasks.heartbeat(empty)));
        cases.add(Case.reject("empty claim complete", "claim.task", () -> tasks.complete(empty, Map.of())));
        cases.add(Case.reject("empty claim fail", "claim.task", () -> tasks.fail(empty, "e")));
        cases.add(Case.rejectAfter("claim without a claim id", "claim.claimId", () -> claimFresh("no-claim-id"),
                c -> tasks.complete(new ClaimedTask(c.task(), null, c.leaseExpiresAt(), c.leaseDuration()), Map.of())));
        cases.add(Case.rejectAfter("claim with a null lease", "lease", () -> claimFresh("no-lease"),
                c -> tasks.heartbeat(new ClaimedTask(c.task(), c.claimId(), c.leaseExpiresAt(), null))));
        cases.add(Case.rejectAfter("claim with a huge lease", "lease", () -> claimFresh("huge-lease"),
                c -> tasks.heartbeat(new ClaimedTask(c.task(), c.claimId(), c.leaseExpiresAt(), Duration.ofSeconds(Long.MAX_VALUE)))));
    }

    private ClaimedTask claimFresh(String kind) {
        TaskStore tasks = acme.tasks();
        tasks.create(NewTask.of(kind, Map.of()).maxAttempts(1));
        return tasks.claim(Duration.ofSeconds(60), Set.of(kind)).orElseThrow();
    }

    // ---- lookups and cursors: reads with hostile arguments fail typed too --------------------

    static final List<String> HOSTILE_CURSORS = List.of("garbage", "!!!", "%00", b64("1|2|3"), b64("\u0000"), b64("'; DROP TABLE atlas_conversations; --"),
            b64(UUID.randomUUID().toString() + "x"), "x".repeat(300));

    private static String b64(String s) {
        return java.util.Base64.getUrlEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** An assistant page cursor is the last slug seen, Base64url-encoded: one that decodes to a valid slug is a cursor. */
    protected void lookupCases(List<Case> cases) {
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.readExpect("findBySlug " + tag, key("slug", h), () -> acme.assistants().getBySlug(h)));
            cases.add(Case.readExpect("bySession " + tag, key("sessionId", h), () -> acme.voiceCalls().bySession(h)));
            cases.add(Case.readExpect("price at " + tag, key("provider", h), () -> acme.prices().get(h, h, Instant.now())));
            cases.add(Case.readExpect("price history " + tag, key("provider", h), () -> acme.prices().list(h, "m")));
            cases.add(Case.readExpect("credential get " + tag, key("name", h), () -> acme.credentials().get(Owner.user("1"), h)));
            cases.add(Case.readExpect("credential list " + tag, key("owner.id", h), () -> acme.credentials().list(Owner.of("user", h))));
        }
        for (String cursor : HOSTILE_CURSORS) {
            String tag = tag(cursor);
            cases.add(Case.readReject("conversation cursor " + tag, "cursor", () -> store.list(ConversationQuery.all().after(cursor))));
            cases.add(Case.readReject("execution cursor " + tag, "cursor", () -> acme.executions().list(dev.atlas.execution.ExecutionQuery.all().after(cursor))));
            // Assistant pages use the shared versioned cursor (statement layer): anything else is refused.
            cases.add(Case.readReject("assistant cursor " + tag, "cursor", () -> acme.assistants().list(10, cursor)));
            cases.add(Case.readReject("settings cursor " + tag, "cursor", () -> acme.settings().list(null, 10, cursor)));
        }
        cases.add(Case.readReject("price at Instant.MAX", "at", () -> acme.prices().get("openai", "gpt-4o", Instant.MAX)));
        cases.add(Case.readReject("price at null", "at", () -> acme.prices().get("openai", "gpt-4o", null)));
        cases.add(Case.readReject("historyWithTools limit -1", "limit", () -> acme.executions().historyWithTools(convo.id(), -1)));
        cases.add(Case.readReject("historyWithTools limit MAX", "limit", () -> acme.executions().historyWithTools(convo.id(), Integer.MAX_VALUE)));
        cases.add(Case.readReject("forConversation null", "conversationId", () -> acme.tasks().forConversation(null)));
        cases.add(Case.readReject("get null execution", "executionId", () -> acme.executions().get(null)));
        cases.add(Case.readReject("open null asset", "assetId", () -> acme.assets().open(null)));
    }

    // ---- memories ---------------------------------------------------------------------------

    /** Memory kinds: lower-case identifiers of letters, digits, {@code _ . -}, at most 64 characters ({@link MemoryKind}). */
    static final Pattern KIND_FORM = Pattern.compile("[a-z][a-z0-9_.-]{0,63}");

    protected void memoryCases(List<Case> cases) {
        MemoryStore memories = acme.memories();
        Owner user = Owner.user("1");
        Function<Object, Memory> back = r -> memories.get(((Memory) r).id()).orElseThrow();
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.expect("memory content " + tag, named("content", h, Limits.MAX_CONTENT_LENGTH), () -> memories.create(NewMemory.fact(user, h)), r -> back.apply(r).content(), h));
            cases.add(Case.expect("memory owner " + tag, key("owner.id", h), () -> memories.create(NewMemory.fact(Owner.of("user", h), "c")), r -> back.apply(r).owner().id(), h));
            cases.add(Case.expect("memory agent " + tag, key("agent", h), () -> memories.create(NewMemory.fact(user, "c").agent(h)), r -> back.apply(r).agent(), h));
            cases.add(Case.expect("memory tag " + tag, named("tags", h, Limits.MAX_TAG_LENGTH), () -> memories.create(NewMemory.fact(user, "c").tags(h)), r -> back.apply(r).tags(), List.of(h)));
            cases.add(Case.expect("memory kind " + tag, form("kind", h, KIND_FORM), () -> memories.create(NewMemory.of(user, MemoryKind.of(h), "c")), r -> back.apply(r).kind().value(), h));
            cases.add(Case.expect("memory update content " + tag, named("content", h, Limits.MAX_CONTENT_LENGTH), () -> memories.update(memory.id(), MemoryPatch.content(h)),
                    r -> memories.require(memory.id()).content(), h));
            cases.add(Case.expect("memory update tags " + tag, named("tags", h, Limits.MAX_TAG_LENGTH), () -> memories.update(memory.id(), MemoryPatch.none().tags(h)),
                    r -> memories.require(memory.id()).tags(), List.of(h)));
            cases.add(Case.readExpect("memory list tag " + tag, named("tag", h, Limits.MAX_TAG_LENGTH), () -> memories.list(MemoryQuery.all().tag(h))));
            cases.add(Case.readExpect("memory list agent " + tag, key("agent", h), () -> memories.list(MemoryQuery.all().agentOnly(h))));
            cases.add(Case.readExpect("memory list owner " + tag, key("owner.type", h), () -> memories.list(MemoryQuery.forOwner(Owner.of(h, h)))));
        }
        cases.add(Case.reject("memory content " + tag(TEN_MB), "content", () -> memories.create(NewMemory.fact(user, TEN_MB))));
        cases.add(Case.reject("memory update content " + tag(TEN_MB), "content", () -> memories.update(memory.id(), MemoryPatch.content(TEN_MB))));
        for (double d : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1, -0.0, 1.0000001, Double.MIN_VALUE, Double.MAX_VALUE}) {
            // The returned memory must equal the stored one (-0.0 is kept as 0.0 on both databases).
            Expect importance = d >= 0 && d <= 1 ? Expect.ACCEPTED : Expect.invalid("importance");
            cases.add(Case.expect("memory importance " + d, importance, () -> memories.create(NewMemory.fact(user, "c").importance(d)),
                    r -> ((Memory) r).importance() + "/" + back.apply(r).importance(), (d + 0.0) + "/" + (d + 0.0)));
            cases.add(Case.expect("memory update importance " + d, importance, () -> memories.update(memory.id(), MemoryPatch.none().importance(d)),
                    r -> memories.require(memory.id()).importance(), d + 0.0));
        }
        for (Instant i : HOSTILE_INSTANTS) {
            // A memory created already expired is refused; an update to a past expiry is accepted and hides the memory at once.
            Expect created = i.isAfter(clock.instant()) ? instant("expiresAt", i) : Expect.invalid("expiresAt");
            cases.add(Case.expect("memory expiresAt " + i, created, () -> memories.create(NewMemory.fact(user, "c").expiresAt(i)),
                    r -> ((Memory) r).expiresAt(), i));
            cases.add(Case.expectAfter("memory update expiresAt " + i, instant("expiresAt", i), () -> memories.create(NewMemory.fact(user, "expiring")),
                    m -> memories.update(m.id(), MemoryPatch.none().expiresAt(i)), r -> ((Memory) r).expiresAt(), i));
        }
        cases.add(Case.reject("memory with 65 tags", "tags", () -> memories.create(NewMemory.fact(user, "c").tags(
                java.util.stream.IntStream.range(0, 65).mapToObj(i -> "t" + i).toList()))));
        cases.add(Case.reject("memory tags with null", "tags", () -> memories.create(NewMemory.fact(user, "c").tags("a", null))));
        cases.add(Case.reject("memory tag list with null", "tags", () -> memories.create(NewMemory.fact(user, "c").tags(Arrays.asList("a", null)))));
        cases.add(Case.reject("memory update tags with null", "tags", () -> memories.update(memory.id(), MemoryPatch.none().tags("a", null))));
        cases.add(Case.reject("memory null tags array", "tags", () -> memories.create(NewMemory.fact(user, "c").tags((String[]) null))));
        cases.add(Case.accept("memory duplicate tags", () -> memories.create(NewMemory.fact(user, "c").tags("b", "a", "b")), r -> back.apply(r).tags(), List.of("a", "b")));
        cases.add(Case.reject("memory null owner", "owner", () -> memories.create(NewMemory.fact(null, "c"))));
        cases.add(Case.reject("memory null kind", "kind", () -> memories.create(NewMemory.of(user, null, "c"))));
        cases.add(Case.reject("memory null content", "content", () -> memories.create(NewMemory.fact(user, null))));
        cases.add(Case.reject("memory null", "memory", () -> memories.create(null)));
        // Records built with their canonical constructors instead of the factories.
        cases.add(Case.accept("memory record with null tags and metadata", () -> memories.create(new NewMemory(user, null, MemoryKind.FACT, "c", null, null,
                0.5, null, null, null, null)), r -> back.apply(r).tags() + " " + back.apply(r).metadata(), "[] {}"));
        cases.add(Case.reject("memory record with a null tag", "tags", () -> memories.create(new NewMemory(user, null, MemoryKind.FACT, "c",
                Arrays.asList("a", null), Map.of(), 0.5, null, null, null, null))));
        cases.add(Case.reject("memory patch record with a null tag", "tags", () -> memories.update(memory.id(), new MemoryPatch(null,
                Arrays.asList(null, "a"), null, null, null, false))));
        cases.add(Case.reject("memory patch record with NaN importance", "importance", () -> memories.update(memory.id(), new MemoryPatch(null, null, null,
                Double.NaN, null, false))));
        cases.add(Case.read("memory query record with a null cursor and owner", () -> memories.list(new MemoryQuery(null, null, false, null, null, 10, null))));
        cases.add(Case.readReject("memory query record with limit 0", "limit", () -> memories.list(new MemoryQuery(null, null, false, null, null, 0, null))));
        cases.add(Case.reject("memory patch with expiry and clearExpiry", "expiresAt", () -> memories.update(memory.id(),
                new MemoryPatch(null, null, null, null, Instant.now(), true))));
        cases.add(Case.reject("memory null patch", "patch", () -> memories.update(memory.id(), null)));
        cases.add(Case.reject("memory update null id", "memoryId", () -> memories.update(null, MemoryPatch.none())));
        cases.add(Case.reject("memory delete null id", "memoryId", () -> {
            memories.delete(null);
            return null;
        }));
        cases.add(Case.readReject("memory get null id", "memoryId", () -> memories.get(null)));
        cases.add(Case.accept("memory empty patch", () -> memories.update(memory.id(), MemoryPatch.none()), r -> memories.require(memory.id()).id(), memory.id()));
        for (UUID id : List.of(foreignMemory.id(), UUID.randomUUID())) {
            String who = id.equals(foreignMemory.id()) ? "another tenant's" : "an unknown";
            cases.add(Case.read("get " + who + " memory", () -> memories.get(id), r -> r, Optional.empty()));
            cases.add(Case.reject("update " + who + " memory", NotFoundException.class, () -> memories.update(id, MemoryPatch.content("hijack"))));
            cases.add(Case.reject("delete " + who + " memory", NotFoundException.class, () -> {
                memories.delete(id);
                return null;
            }));
            cases.add(Case.readReject("revisions of " + who + " memory", NotFoundException.class, () -> memories.revisions(id)));
        }
        cases.add(Case.rejectAfter("delete a deleted memory", NotFoundException.class, () -> {
            Memory m = memories.create(NewMemory.fact(user, "gone"));
            memories.delete(m.id());
            return m;
        }, m -> {
            memories.delete(m.id());
            return null;
        }));
        cases.add(Case.rejectAfter("update a deleted memory", NotFoundException.class, () -> {
            Memory m = memories.create(NewMemory.fact(user, "gone"));
            memories.delete(m.id());
            return m;
        }, m -> memories.update(m.id(), MemoryPatch.content("back"))));
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, Limits.MAX_PAGE_SIZE + 1, Integer.MAX_VALUE}) {
            cases.add(Case.readReject("memory list limit " + n, "limit", () -> memories.list(MemoryQuery.all().limit(n))));
        }
        for (String cursor : HOSTILE_CURSORS) {
            cases.add(Case.readReject("memory cursor " + tag(cursor), "cursor", () -> memories.list(MemoryQuery.all().after(cursor))));
        }
        // A v1 cursor (no listing, no tenant) is refused since cursors are bound to their tenant.
        cases.add(Case.readReject("memory forged cursor of another tenant's id", "cursor",
                () -> memories.list(MemoryQuery.all().after(b64("v1\u001f" + foreignMemory.id()).replace("=", "")))));
    }

    // ---- memory graph -----------------------------------------------------------------------

    protected void graphCases(List<Case> cases) {
        MemoryGraph graph = acme.graph();
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.expect("graph node key " + tag, key("key", h), () -> graph.upsertNode(NewGraphNode.of(h)), r -> graph.getNode(h).orElseThrow().key(), h));
            cases.add(Case.expect("graph node label " + tag, named("label", h, Limits.MAX_TITLE_LENGTH), () -> graph.upsertNode(NewGraphNode.of("labelled").label(h)),
                    r -> graph.getNode("labelled").orElseThrow().label(), h));
            cases.add(Case.expect("graph node type " + tag, key("type", h), () -> graph.upsertNode(NewGraphNode.of("typed").type(h)),
                    r -> graph.getNode("typed").orElseThrow().type(), h));
            cases.add(Case.expect("graph edge type " + tag, key("type", h), () -> graph.upsertEdge(NewGraphEdge.of("a", h, "b")),
                    r -> graph.neighbours("a", Direction.OUTGOING, h).get(0).edge().type(), h));
            // The node "graph node key" stored just before: an edge to it is stored, then it is deleted, then it is not found.
            cases.add(Case.expect("graph edge to key " + tag, key("targetKey", h), () -> graph.upsertEdge(NewGraphEdge.of("a", "rel", h)),
                    r -> graph.neighbours("a", Direction.OUTGOING, "rel").stream().anyMatch(n -> n.node().key().equals(h)), true));
            cases.add(Case.readExpect("graph node lookup " + tag, key("key", h), () -> graph.getNode(h)));
            cases.add(Case.expect("graph deleteNode " + tag, key("key", h), () -> {
                graph.deleteNode(h);
                return true;
            }, r -> r, true));
            cases.add(Case.expect("graph deleteEdge " + tag, key("sourceKey", h).orElse(Expect.thrown(NotFoundException.class)), () -> {
                graph.deleteEdge(h, h, h);
                return true;
            }, r -> r, true));
            cases.add(Case.readExpect("graph neighbours of " + tag, key("key", h).orElse(Expect.thrown(NotFoundException.class)),
                    () -> graph.neighbours(h, Direction.BOTH, null)));
            cases.add(Case.readExpect("graph neighbours by type " + tag, key("edgeType", h), () -> graph.neighbours("a", Direction.BOTH, h)));
            cases.add(Case.readExpect("graph traverse from " + tag, key("key", h).orElse(Expect.thrown(NotFoundException.class)),
                    () -> graph.traverse(h, Direction.BOTH, null, 3, 10)));
            cases.add(Case.readExpect("graph traverse by type " + tag, key("edgeType", h), () -> graph.traverse("a", Direction.OUTGOING, h, 3, 10)));
        }
        cases.add(Case.reject("graph node label " + tag(TEN_MB), "label", () -> graph.upsertNode(NewGraphNode.of("big").label(TEN_MB))));
        cases.add(Case.reject("graph node key " + tag(TEN_MB), "key", () -> graph.upsertNode(NewGraphNode.of(TEN_MB))));
        for (double w : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1, -0.0, Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE}) {
            cases.add(Case.expect("graph edge weight " + w, Double.isFinite(w) ? Expect.ACCEPTED : Expect.invalid("weight"), () -> graph.upsertEdge(NewGraphEdge.of("a", "weighted", "b").weight(w)),
                    r -> graph.neighbours("a", Direction.OUTGOING, "weighted").get(0).edge().weight(), w + 0.0));
        }
        cases.add(Case.reject("graph edge from a missing node", NotFoundException.class, () -> graph.upsertEdge(NewGraphEdge.of("missing", "rel", "b"))));
        cases.add(Case.reject("graph edge to another tenant's node", NotFoundException.class, () -> graph.upsertEdge(NewGraphEdge.of("a", "rel", "theirs"))));
        cases.add(Case.readReject("graph neighbours of another tenant's node", NotFoundException.class, () -> graph.neighbours("theirs", Direction.BOTH, null)));
        cases.add(Case.readReject("graph traverse from another tenant's node", NotFoundException.class, () -> graph.traverse("theirs", Direction.BOTH, null, 3, 10)));
        cases.add(Case.reject("graph deleteNode of another tenant's node", NotFoundException.class, () -> {
            graph.deleteNode("theirs");
            return null;
        }));
        cases.add(Case.reject("graph deleteEdge of another tenant's edge", NotFoundException.class, () -> {
            graph.deleteEdge("theirs", "knows", "theirs-too");
            return null;
        }));
        cases.add(Case.read("graph node of another tenant", () -> graph.getNode("theirs"), r -> r, Optional.empty()));
        cases.add(Case.read("graph traversal stays in the tenant (globex has a node 'a' too)", () -> graph.traverse("a", Direction.BOTH, null, 10, 1000),
                r -> ((List<?>) r).stream().noneMatch(x -> ((dev.atlas.graph.GraphReach) x).node().key().startsWith("theirs")), true));
        cases.add(Case.read("graph neighbours stay in the tenant", () -> graph.neighbours("a", Direction.BOTH, null),
                r -> ((List<?>) r).stream().noneMatch(x -> ((dev.atlas.graph.GraphNeighbour) x).node().key().startsWith("theirs")), true));
        cases.add(Case.accept("graph self loop", () -> graph.upsertEdge(NewGraphEdge.of("a", "self", "a")),
                r -> graph.traverse("a", Direction.BOTH, "self", 10, 10).size(), 0));
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, Limits.MAX_GRAPH_DEPTH + 1, Integer.MAX_VALUE}) {
            cases.add(Case.readReject("graph traverse maxDepth " + n, "maxDepth", () -> graph.traverse("a", Direction.BOTH, null, n, 10)));
        }
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, Limits.MAX_PAGE_SIZE + 1, Integer.MAX_VALUE}) {
            cases.add(Case.readReject("graph traverse limit " + n, "limit", () -> graph.traverse("a", Direction.BOTH, null, 3, n)));
        }
        cases.add(Case.readReject("graph neighbours null direction", "direction", () -> graph.neighbours("a", null, null)));
        cases.add(Case.readReject("graph traverse null direction", "direction", () -> graph.traverse("a", null, null, 3, 10)));
        cases.add(Case.reject("graph null node", "node", () -> graph.upsertNode(null)));
        cases.add(Case.reject("graph null edge", "edge", () -> graph.upsertEdge(null)));
        cases.add(Case.reject("graph null key", "key", () -> graph.upsertNode(NewGraphNode.of(null))));
        cases.add(Case.reject("graph null edge type", "type", () -> graph.upsertEdge(NewGraphEdge.of("a", null, "b"))));
        cases.add(Case.accept("graph node record with null metadata", () -> graph.upsertNode(new NewGraphNode("plain-node", null, null, null)),
                r -> graph.getNode("plain-node").orElseThrow().metadata(), Map.of()));
        cases.add(Case.accept("graph edge record with null metadata", () -> graph.upsertEdge(new NewGraphEdge("a", "plain", "b", 1, null)),
                r -> graph.neighbours("a", Direction.OUTGOING, "plain").get(0).edge().metadata(), Map.of()));
        cases.add(Case.reject("graph edge record with NaN weight", "weight", () -> graph.upsertEdge(new NewGraphEdge("a", "nan", "b", Double.NaN, Map.of()))));
    }

    // ---- search -----------------------------------------------------------------------------

    /** Strings that are query syntax in FTS5 or tsquery, or that break a naive query builder. */
    static final List<String> HOSTILE_QUERIES = List.of(
            "\"", "\"unbalanced", "plain\"", "''", "NEAR(", "NEAR(plain hostile, 2)", "*", "plain*", "^plain", "-plain", "plain OR x",
            "AND", "NOT plain", "plain AND (", "(", ")", "{plain}", "content:plain", "&|!:*<->", "plain & x", "plain <-> x", "plain:*",
            "'; DROP TABLE atlas_messages; --", "\\", "%", "_", "?", "a\u0000b", "\uD800", "x\uDC00y", "😀 𝄞", "\u202E\u200B\uFEFF", MIXED,
            "x".repeat(Limits.MAX_QUERY_LENGTH), "x".repeat(Limits.MAX_QUERY_LENGTH + 1), "w ".repeat(500),
            "\uA66E".repeat(Limits.MAX_QUERY_LENGTH), "", "   ",
            // Letters to Java that an FTS tokenizer may not know (newer scripts, titlecase, other digits, marks).
            "\uD83A\uDD00\uD83A\uDD01 plain", "\u01C5", "\u0663", "e\u0301", "\u00AA", "\u4E2D\u6587", "\u0130stanbul");

    /** Vector model names ({@link Search}): 1 to 200 of ASCII letters, digits and {@code . _ : / @ + -}. */
    static final Pattern MODEL_FORM = Pattern.compile("[A-Za-z0-9._:/@+-]{1,200}");

    protected void searchCases(List<Case> cases) {
        Search search = acme.search();
        for (String q : HOSTILE_QUERIES) {
            String tag = tag(q);
            Expect query = free("text", q, Limits.MAX_QUERY_LENGTH);
            cases.add(Case.readExpect("text messages " + tag, query, () -> search.text(TextQuery.messages(q))));
            cases.add(Case.readExpect("text memories " + tag, query, () -> search.text(TextQuery.memories(q))));
        }
        for (String q : List.of("plain\"", "plain*", "NEAR(plain hostile, 2)", "\"plain hostile", "plain:*", "content:plain")) {
            cases.add(Case.read("text query " + tag(q) + " finds the words", () -> search.text(TextQuery.messages(q)
                    .filter(SearchFilter.none().conversation(searchConvo.id()))), r -> ((List<?>) r).size(), 1));
        }
        cases.add(Case.read("text search never finds another tenant's message",
                () -> search.text(TextQuery.messages("theirs")), r -> ((List<?>) r).size(), 0));
        cases.add(Case.read("text search never finds another tenant's memory",
                () -> search.text(TextQuery.memories("theirs")), r -> ((List<?>) r).size(), 0));
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, Limits.MAX_PAGE_SIZE + 1, Integer.MAX_VALUE}) {
            cases.add(Case.readReject("text limit " + n, "limit", () -> search.text(TextQuery.messages("plain").limit(n))));
            cases.add(Case.readReject("similar k " + n, "k", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", new float[] {1, 0, 0}).k(n))));
        }
        cases.add(Case.readReject("text null query", "query", () -> search.text(null)));
        cases.add(Case.readReject("similar null query", "query", () -> search.similar(null)));
        cases.add(Case.readReject("text query record with a null target", "target", () -> search.text(new TextQuery(null, "plain", SearchFilter.none(), 10))));
        cases.add(Case.readReject("semantic query record with a null filter", "filter", () -> search.similar(new SemanticQuery(SearchTarget.MEMORY, "m-3",
                new float[] {1, 0, 0}, null, 10))));
        cases.add(Case.readReject("semantic query record with a null vector", "vector", () -> search.similar(new SemanticQuery(SearchTarget.MEMORY, "m-3",
                null, SearchFilter.none(), 10))));
        cases.add(Case.readReject("search filter record with from after to", "to", () -> search.text(TextQuery.messages("plain").filter(new SearchFilter(null, null,
                null, null, Instant.parse("2030-01-01T00:00:00Z"), Instant.EPOCH)))));
        cases.add(Case.readReject("similar query embedded to null", "vector", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", "text", text -> null))));
        cases.add(Case.readReject("similar query embedded to NaN", "vector", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", "text",
                text -> new float[] {Float.NaN, 1, 1}))));
        cases.add(Case.readReject("similar query with a null embedder", "embedder", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", "text", null))));
        cases.add(Case.readReject("similar query of null text", "text", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", (String) null, text -> new float[] {1, 0, 0}))));
        cases.add(Case.readReject("similar null target", "target", () -> search.similar(SemanticQuery.of(null, "m-3", new float[] {1, 0, 0}))));
        cases.add(Case.readReject("text null text", "text", () -> search.text(TextQuery.messages(null))));
        cases.add(Case.readReject("text on assets", "target", () -> search.text(new TextQuery(SearchTarget.ASSET, "x", SearchFilter.none(), 10))));
        cases.add(Case.readReject("text null filter", "filter", () -> search.text(TextQuery.messages("x").filter(null))));

        // Vectors: the first one of model m-3 fixes its dimension at 3 for acme (globex has m-3 at 4).
        MemoryStore memories = acme.memories();
        cases.add(Case.accept("putVector on a memory", () -> {
            search.upsertVector(SearchTarget.MEMORY, memory.id(), "m-3", new float[] {1, 0, 0});
            return null;
        }, r -> search.dimension("m-3"), 3));
        cases.add(Case.accept("putVector on a message", () -> {
            search.upsertVector(SearchTarget.MESSAGE, plain.id(), "m-3", new float[] {0, 1, 0});
            return null;
        }, r -> search.dimension("m-3"), 3));
        List<float[]> badVectors = List.of(new float[] {1, 0}, new float[] {1, 0, 0, 0}, new float[] {Float.NaN, 0, 0},
                new float[] {Float.POSITIVE_INFINITY, 0, 0}, new float[] {0, Float.NEGATIVE_INFINITY, 0}, new float[] {0, 0, 0},
                new float[] {-0f, 0f, -0f}, new float[0], new float[Limits.MAX_VECTOR_DIMENSION + 1]);
        for (float[] v : badVectors) {
            String tag = "dimension " + v.length + " " + (v.length > 8 ? "" : Arrays.toString(v));
            cases.add(Case.reject("putVector memory " + tag, "vector", () -> {
                search.upsertVector(SearchTarget.MEMORY, memory.id(), "m-3", v);
                return null;
            }));
            cases.add(Case.reject("putVector message " + tag, "vector", () -> {
                search.upsertVector(SearchTarget.MESSAGE, plain.id(), "m-3", v);
                return null;
            }));
            cases.add(Case.reject("putAssetVector " + tag, "vector", () -> {
                search.upsertAssetVector(ownAsset.id(), null, "m-3", v);
                return null;
            }));
            cases.add(Case.reject("embed " + tag, "vector", () -> {
                search.embed(SearchTarget.MEMORY, memory.id(), "m-3", text -> v);
                return null;
            }));
            cases.add(Case.readReject("similar " + tag, "vector", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", v))));
        }
        cases.add(Case.reject("putVector null vector", "vector", () -> {
            search.upsertVector(SearchTarget.MEMORY, memory.id(), "m-3", null);
            return null;
        }));
        cases.add(Case.reject("embed with an embedder returning null", "vector", () -> {
            search.embed(SearchTarget.MEMORY, memory.id(), "m-3", text -> null);
            return null;
        }));
        cases.add(Case.accept("vector of float extremes", () -> {
            search.upsertVector(SearchTarget.MEMORY, memory.id(), "m-3", new float[] {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE});
            return null;
        }, r -> search.dimension("m-3"), 3));
        cases.add(Case.accept("vector of denormals", () -> {
            search.upsertVector(SearchTarget.MEMORY, memory.id(), "m-3", new float[] {Float.MIN_VALUE, 0, 0});
            return null;
        }, r -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", new float[] {Float.MIN_VALUE, 0, 0})).stream()
                .allMatch(hit -> Double.isFinite(hit.score())), true));
        cases.add(Case.read("similar with a query of float extremes", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3",
                new float[] {Float.MAX_VALUE, Float.MAX_VALUE, Float.MAX_VALUE})), r -> ((List<?>) r).stream()
                .allMatch(hit -> Double.isFinite(((dev.atlas.search.SearchHit) hit).score())), true));
        cases.add(Case.accept("model dimension is per tenant", () -> {
            search.upsertAssetVector(ownAsset.id(), searchConvo.id(), "theirs-4", new float[] {1, 2, 3});
            return null;
        }, r -> search.dimension("theirs-4") + "/" + other.search().dimension("theirs-4"), "3/4"));
        for (String name : HOSTILE_SHORT) {
            // Model names are never paths or SQL, so any string of the documented form (such as ../x) may be stored.
            String tag = tag(name);
            Expect model = form("model", name, MODEL_FORM);
            cases.add(Case.expect("putVector model " + tag, model, () -> {
                search.upsertVector(SearchTarget.MEMORY, memory.id(), name, new float[] {1, 0, 0});
                return null;
            }, r -> search.dimension(name), 3));
            cases.add(Case.expect("removeVector model " + tag, model, () -> search.removeVector(SearchTarget.MEMORY, memory.id(), name), r -> r, true));
            cases.add(Case.readExpect("similar model " + tag, model, () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, name, new float[] {1, 0, 0}))));
        }
        for (String model : List.of("a\u0000b", "\uDBFF", "", " ", "m 3", "m'--", "m;DROP", "x".repeat(201), "m\n", "ü", "😀")) {
            String tag = "of a bad form " + tag(model);
            cases.add(Case.reject("putVector model " + tag, "model", () -> {
                search.upsertVector(SearchTarget.MEMORY, memory.id(), model, new float[] {1, 0, 0});
                return null;
            }));
            cases.add(Case.reject("putAssetVector model " + tag, "model", () -> {
                search.upsertAssetVector(ownAsset.id(), null, model, new float[] {1, 0, 0});
                return null;
            }));
            cases.add(Case.reject("embed model " + tag, "model", () -> {
                search.embed(SearchTarget.MESSAGE, plain.id(), model, text -> new float[] {1, 0, 0});
                return null;
            }));
            cases.add(Case.reject("removeVector model " + tag, "model", () -> search.removeVector(SearchTarget.MEMORY, memory.id(), model)));
            cases.add(Case.readReject("similar model " + tag, "model", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, model, new float[] {1, 0, 0}))));
            cases.add(Case.readReject("dimension model " + tag, "model", () -> search.dimension(model)));
        }
        for (UUID id : List.of(foreignMemory.id(), foreignMessage.id(), UUID.randomUUID())) {
            String who = id.equals(foreignMemory.id()) ? "another tenant's memory" : id.equals(foreignMessage.id()) ? "another tenant's message" : "an unknown id";
            SearchTarget target = id.equals(foreignMessage.id()) ? SearchTarget.MESSAGE : SearchTarget.MEMORY;
            cases.add(Case.reject("putVector on " + who, NotFoundException.class, () -> {
                search.upsertVector(target, id, "m-3", new float[] {1, 0, 0});
                return null;
            }));
            cases.add(Case.reject("embed " + who, NotFoundException.class, () -> {
                search.embed(target, id, "m-3", text -> {
                    throw new AssertionError("the embedder saw another tenant's text: " + text);
                });
                return null;
            }));
            cases.add(Case.accept("removeVector of " + who, () -> search.removeVector(target, id, "theirs-4"), r -> r, false));
        }
        cases.add(Case.reject("putAssetVector with another tenant's conversation", NotFoundException.class, () -> {
            search.upsertAssetVector(ownAsset.id(), foreignConvo.id(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("putAssetVector with an unknown conversation", NotFoundException.class, () -> {
            search.upsertAssetVector(ownAsset.id(), UUID.randomUUID(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("putVector with target ASSET", "target", () -> {
            search.upsertVector(SearchTarget.ASSET, UUID.randomUUID(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("embed target ASSET", "target", () -> {
            search.embed(SearchTarget.ASSET, UUID.randomUUID(), "m-3", text -> new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("putVector null target", "target", () -> {
            search.upsertVector(null, memory.id(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("putVector null id", "id", () -> {
            search.upsertVector(SearchTarget.MEMORY, null, "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("putAssetVector null id", "assetId", () -> {
            search.upsertAssetVector(null, null, "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("embed null embedder", "embedder", () -> {
            search.embed(SearchTarget.MEMORY, memory.id(), "m-3", null);
            return null;
        }));
        cases.add(Case.reject("removeVector null target", "target", () -> search.removeVector(null, memory.id(), "m-3")));
        cases.add(Case.reject("removeVector null id", "id", () -> search.removeVector(SearchTarget.MEMORY, null, "m-3")));
        cases.add(Case.rejectAfter("putVector on a deleted memory", NotFoundException.class, () -> {
            Memory m = memories.create(NewMemory.fact(Owner.user("1"), "deleted"));
            memories.delete(m.id());
            return m;
        }, m -> {
            search.upsertVector(SearchTarget.MEMORY, m.id(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.rejectAfter("putVector on an expired memory", NotFoundException.class, () -> memories.update(memories.create(NewMemory.fact(
                Owner.user("1"), "expired")).id(), MemoryPatch.none().expiresAt(Instant.parse("2000-01-01T00:00:00Z"))), m -> {
            search.upsertVector(SearchTarget.MEMORY, m.id(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.acceptAfter("removeVector of an own vector", () -> {
            search.upsertVector(SearchTarget.MESSAGE, plain.id(), "m-3", new float[] {0, 0, 1});
            return null;
        }, x -> search.removeVector(SearchTarget.MESSAGE, plain.id(), "m-3"), r -> r, true));
        cases.add(Case.read("similar unknown model", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "unknown", new float[] {1})), r -> r, List.of()));
        cases.add(Case.read("similar never finds another tenant's vectors", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3",
                new float[] {1, 0, 0}).k(1000)), r -> ((List<?>) r).stream().noneMatch(hit -> ((dev.atlas.search.SearchHit) hit).id().equals(foreignMemory.id())), true));

        // Filters: impossible combinations fail typed, foreign values match nothing.
        // What each filter must do per target: kinds filter memories only, roles messages only, owners not assets.
        record Filter(Supplier<SearchFilter> make, Function<SearchTarget, Expect> expect) {}
        Function<SearchTarget, Expect> accepted = t -> Expect.ACCEPTED;
        List<Filter> filters = List.of(
                new Filter(() -> SearchFilter.none().between(Instant.MIN, null), t -> Expect.invalid("from")),
                new Filter(() -> SearchFilter.none().between(null, Instant.MAX), t -> Expect.invalid("to")),
                new Filter(() -> SearchFilter.none().between(Instant.EPOCH, Instant.EPOCH), t -> Expect.invalid("to")),
                new Filter(() -> SearchFilter.none().between(Instant.parse("2030-01-01T00:00:00Z"), Instant.EPOCH), t -> Expect.invalid("to")),
                new Filter(() -> SearchFilter.none().between(Instant.parse("0000-12-31T23:59:59Z"), null), t -> Expect.invalid("from")),
                new Filter(() -> SearchFilter.none().between(Limits.MIN_INSTANT, Limits.MAX_INSTANT), accepted),
                new Filter(() -> SearchFilter.none().conversation(foreignConvo.id()), accepted),
                new Filter(() -> SearchFilter.none().conversation(null), t -> Expect.invalid("conversationId")),
                new Filter(() -> SearchFilter.none().owner(null), t -> Expect.invalid("owner")),
                new Filter(() -> SearchFilter.none().owner(Owner.of("user", "'; DROP TABLE atlas_memories; --")),
                        t -> t == SearchTarget.ASSET ? Expect.invalid("owner") : Expect.ACCEPTED),
                new Filter(() -> SearchFilter.none().owner(Owner.of("a\u0000b", "\uD800")), t -> Expect.invalid("owner.type")),
                new Filter(() -> SearchFilter.none().kind(MemoryKind.FACT), t -> t == SearchTarget.MEMORY ? Expect.ACCEPTED : Expect.invalid("kind")),
                new Filter(() -> SearchFilter.none().kind(MemoryKind.of("NEAR(")), t -> Expect.invalid("kind")),
                new Filter(() -> SearchFilter.none().role(Role.USER), t -> t == SearchTarget.MESSAGE ? Expect.ACCEPTED : Expect.invalid("role")),
                new Filter(() -> SearchFilter.none().role(null), t -> Expect.invalid("role")));
        for (int i = 0; i < filters.size(); i++) {
            Filter f = filters.get(i);
            for (SearchTarget target : SearchTarget.values()) {
                String name = "filter " + i + " on " + target;
                if (target != SearchTarget.ASSET) {
                    cases.add(Case.readExpect("text " + name, f.expect().apply(target), () -> search.text(new TextQuery(target, "plain", f.make().get(), 10)),
                            r -> ((List<?>) r).size() <= 1, true));
                }
                cases.add(Case.readExpect("similar " + name, f.expect().apply(target),
                        () -> search.similar(SemanticQuery.of(target, "m-3", new float[] {1, 1, 1}).filter(f.make().get())),
                        r -> ((List<?>) r).stream().noneMatch(hit -> ((dev.atlas.search.SearchHit) hit).id().equals(foreignMemory.id())), true));
            }
        }
    }

    // ---- retention --------------------------------------------------------------------------

    protected void retentionCases(List<Case> cases) {
        dev.atlas.retention.Retention retention = acme.retention();
        List<Duration> durations = new ArrayList<>(Arrays.asList(HOSTILE_DURATIONS));
        durations.addAll(List.of(Duration.ZERO, Duration.ofNanos(1), Duration.ofNanos(-1), Duration.ofDays(365L * 1000),
                Duration.ofDays(365L * 1000).plusNanos(1), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)));
        for (Duration d : durations) {
            String tag = String.valueOf(d);
            // Ages are positive and at most 1000 years (RetentionPolicy); in the record, null means "not this step".
            boolean valid = d != null && !d.isNegative() && !d.isZero() && d.compareTo(Duration.ofDays(365L * 1000)) <= 0;
            // Dry runs: a policy that is accepted must count without changing anything.
            cases.add(Case.expect("retention deleteMessagesOlderThan " + tag, valid ? Expect.ACCEPTED : Expect.invalid("deleteMessagesAfter"),
                    () -> retention.runRetention(RetentionPolicy.none().deleteMessagesOlderThan(d).dryRun(true)), r -> ((dev.atlas.retention.RetentionReport) r).dryRun(), true));
            cases.add(Case.expect("retention hardDeleteAfter " + tag, valid ? Expect.ACCEPTED : Expect.invalid("hardDeleteAfter"),
                    () -> retention.runRetention(RetentionPolicy.none().hardDeleteAfter(d).dryRun(true)), r -> ((dev.atlas.retention.RetentionReport) r).dryRun(), true));
            cases.add(Case.expect("retention archiveIdleConversations " + tag, valid ? Expect.ACCEPTED : Expect.invalid("archiveIdleAfter"),
                    () -> retention.runRetention(RetentionPolicy.none().archiveIdleConversations(d).dryRun(true)), r -> ((dev.atlas.retention.RetentionReport) r).dryRun(), true));
            cases.add(Case.expect("retention purgeArchivedAfter " + tag, valid ? Expect.ACCEPTED : Expect.invalid("purgeArchivedAfter"),
                    () -> retention.runRetention(RetentionPolicy.none().purgeArchivedAfter(d).dryRun(true)), r -> ((dev.atlas.retention.RetentionReport) r).dryRun(), true));
            cases.add(Case.expect("retention purgeDetachedExecutionsAfter " + tag, valid ? Expect.ACCEPTED : Expect.invalid("purgeDetachedExecutionsAfter"),
                    () -> retention.runRetention(RetentionPolicy.none().purgeDetachedExecutionsAfter(d).dryRun(true)), r -> ((dev.atlas.retention.RetentionReport) r).dryRun(), true));
            cases.add(Case.expect("retention purgeFinishedTasksAfter " + tag, valid ? Expect.ACCEPTED : Expect.invalid("purgeFinishedTasksAfter"),
                    () -> retention.runRetention(RetentionPolicy.none().purgeFinishedTasksAfter(d).dryRun(true)), r -> ((dev.atlas.retention.RetentionReport) r).dryRun(), true));
            cases.add(Case.expect("retention purgeDeletedAssetsAfter " + tag, valid ? Expect.ACCEPTED : Expect.invalid("purgeDeletedAssetsAfter"),
                    () -> retention.runRetention(RetentionPolicy.none().purgeDeletedAssetsAfter(d).dryRun(true)), r -> ((dev.atlas.retention.RetentionReport) r).dryRun(), true));
            cases.add(Case.expect("retention purgeDetachedVoiceCallsAfter " + tag, valid ? Expect.ACCEPTED : Expect.invalid("purgeDetachedVoiceCallsAfter"),
                    () -> retention.runRetention(RetentionPolicy.none().purgeDetachedVoiceCallsAfter(d).dryRun(true)), r -> ((dev.atlas.retention.RetentionReport) r).dryRun(), true));
            cases.add(Case.expect("retention policy record " + tag, valid || d == null ? Expect.ACCEPTED : Expect.invalid("deleteMessagesAfter"),
                    () -> retention.runRetention(new RetentionPolicy(d, d, d, d, true, 1, true)), r -> ((dev.atlas.retention.RetentionReport) r).dryRun(), true));
        }
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, 10_001, Integer.MAX_VALUE}) {
            cases.add(Case.reject("retention batchSize " + n, "batchSize", () -> retention.runRetention(RetentionPolicy.none().dropExpiredMemories(true).batchSize(n))));
        }
        cases.add(Case.reject("retention null policy", "policy", () -> retention.runRetention(null)));
        cases.add(Case.accept("retention of ancient rows only", () -> retention.runRetention(RetentionPolicy.none()
                .deleteMessagesOlderThan(Duration.ofDays(365L * 1000)).hardDeleteAfter(Duration.ofDays(365L * 1000))
                .archiveIdleConversations(Duration.ofDays(365L * 1000)).purgeArchivedAfter(Duration.ofDays(365L * 1000))
                .purgeDetachedExecutionsAfter(Duration.ofDays(365L * 1000)).purgeFinishedTasksAfter(Duration.ofDays(365L * 1000))
                .purgeDeletedAssetsAfter(Duration.ofDays(365L * 1000)).purgeDetachedVoiceCallsAfter(Duration.ofDays(365L * 1000)).batchSize(1)),
                r -> ((dev.atlas.retention.RetentionReport) r).counts().size(), 0));
        // Last: a real run that drops acme's expired and deleted memories with batch size 1; globex keeps its rows.
        cases.add(Case.accept("retention of acme with batch size 1 leaves globex alone", () -> retention.runRetention(RetentionPolicy.none()
                        .hardDeleteAfter(Duration.ofNanos(1000)).dropExpiredMemories(true).batchSize(1)),
                r -> other.memories().get(foreignMemory.id()).isPresent() && other.search().dimension("theirs-4") == 4
                        && other.graph().getNode("theirs").isPresent() && other.conversations().getMessage(foreignMessage.id()).isPresent(), true));
    }

    // ---- JSON values: every method that stores a JSON-like map --------------------------------

    /** One method that stores a JSON-like map: {@code prepare} makes its target, {@code read} returns the stored map. */
    protected record JsonSink(String name, String field, Supplier<?> prepare, java.util.function.BiFunction<Object, Map<String, ?>, ?> write,
                              Function<Object, Map<String, Object>> read) {}

    /**
     * Every method that stores a JSON-like map. Each case writes its own row (fresh ids, kinds and
     * keys), so a value that could not be read back never blocks a later case.
     */
    protected List<JsonSink> jsonSinks() {
        ExecutionRecorder rec = acme.executions();
        AssetStore assets = acme.assets();
        AssistantStore assistants = acme.assistants();
        TaskStore tasks = acme.tasks();
        MemoryStore memories = acme.memories();
        MemoryGraph graph = acme.graph();
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        int[] n = {0};
        Supplier<String> unique = () -> "json-" + (n[0]++);
        Owner user = Owner.user("1");
        return List.of(
                new JsonSink("conversation metadata", "metadata", () -> null, (x, m) -> store.create(NewConversation.of(user).metadata(m)),
                        r -> store.require(((Conversation) r).id()).metadata()),
                new JsonSink("conversation updateMetadata", "metadata", () -> store.create(NewConversation.of(user)),
                        (c, m) -> store.updateMetadata(((Conversation) c).id(), m), r -> store.require(((Conversation) r).id()).metadata()),
                new JsonSink("message metadata", "metadata", () -> store.create(NewConversation.of(user)),
                        (c, m) -> store.append(((Conversation) c).id(), NewMessage.user("m").metadata(m)),
                        r -> store.getMessage(((Message) r).id()).orElseThrow().metadata()),
                new JsonSink("message updateMessageMetadata", "metadata", () -> store.append(convo.id(), NewMessage.user("m")),
                        (x, m) -> store.updateMessageMetadata(((Message) x).id(), m), r -> store.getMessage(((Message) r).id()).orElseThrow().metadata()),
                new JsonSink("message event details", "details", () -> store.append(convo.id(), NewMessage.user("m")),
                        (x, m) -> store.recordEvent(((Message) x).id(), MessageEventType.app("probe"), m),
                        r -> store.events(dev.atlas.conversation.MessageEventQuery.forMessage(((MessageEvent) r).messageId())).items().stream()
                                .filter(e -> e.id().equals(((MessageEvent) r).id())).findFirst().orElseThrow().details()),
                new JsonSink("execution spec metadata", "metadata", () -> null, (x, m) -> rec.create(spec().metadata(m)),
                        r -> rec.require(((Execution) r).id()).metadata()),
                new JsonSink("execution handle metadata", "metadata", () -> rec.start(spec()), (e, m) -> {
                    ((ExecutionHandle) e).metadata(m);
                    return e;
                }, r -> rec.require(((ExecutionHandle) r).id()).metadata()),
                new JsonSink("asset metadata", "metadata", () -> null, (x, m) -> assets.create(NewAsset.of(AssetType.FILE, "f", null).metadata(m), png),
                        r -> assets.get(((Asset) r).id()).orElseThrow().metadata()),
                new JsonSink("attachment metadata", "attachmentMetadata",
                        () -> Map.entry(store.append(convo.id(), NewMessage.user("with attachment")), assets.create(NewAsset.of(AssetType.FILE, "f", null), png)),
                        (p, m) -> assets.attach(((Map.Entry<?, ?>) p).getKey() instanceof Message msg ? msg.id() : null,
                                ((Asset) ((Map.Entry<?, ?>) p).getValue()).id(), m),
                        r -> assets.forMessage(((dev.atlas.asset.AttachedAsset) r).messageId()).get(0).attachmentMetadata()),
                new JsonSink("voice metadata", "metadata", () -> null, (x, m) -> acme.voiceCalls().start(NewVoiceCall.of("s", "p", "m").metadata(m)),
                        r -> acme.voiceCalls().get(((VoiceCall) r).id()).orElseThrow().metadata()),
                new JsonSink("assistant metadata", "metadata", () -> null, (x, m) -> assistants.create(AssistantSpec.of(unique.get(), "n").metadata(m)),
                        r -> assistants.get(((dev.atlas.assistant.Assistant) r).id()).orElseThrow().metadata()),
                new JsonSink("revision settings", "settings", () -> assistants.create(AssistantSpec.of(unique.get(), "n")),
                        (a, m) -> assistants.publish(((dev.atlas.assistant.Assistant) a).id(), NewRevision.of("p", m)),
                        r -> assistants.getRevision(((AssistantRevision) r).id()).orElseThrow().settings()),
                new JsonSink("settings values", "values", () -> acme.settings().create(unique.get(), "n", null),
                        (d, m) -> acme.settings().publish(((dev.atlas.assistant.Settings) d).id(), m, null, null), r -> {
                            dev.atlas.assistant.SettingsRevision v = (dev.atlas.assistant.SettingsRevision) r;
                            return acme.settings().getRevision(v.settingsId(), v.number()).orElseThrow().values();
                        }),
                new JsonSink("task payload", "payload", () -> null, (x, m) -> tasks.create(NewTask.of(unique.get(), m)),
                        r -> tasks.get(((Task) r).id()).orElseThrow().payload()),
                new JsonSink("task result", "result", () -> claimFresh(unique.get()), (c, m) -> tasks.complete((ClaimedTask) c, m),
                        r -> tasks.get(((Task) r).id()).orElseThrow().result()),
                new JsonSink("memory metadata", "metadata", () -> null, (x, m) -> memories.create(NewMemory.fact(user, "c").metadata(m)),
                        r -> memories.require(((Memory) r).id()).metadata()),
                new JsonSink("memory update metadata", "metadata", () -> memories.create(NewMemory.fact(user, "c")),
                        (x, m) -> memories.update(((Memory) x).id(), MemoryPatch.none().metadata(m)), r -> memories.require(((Memory) r).id()).metadata()),
                new JsonSink("graph node metadata", "metadata", unique, (k, m) -> graph.upsertNode(NewGraphNode.of((String) k).metadata(m)),
                        r -> graph.getNode(((dev.atlas.graph.GraphNode) r).key()).orElseThrow().metadata()),
                new JsonSink("graph edge metadata", "metadata", unique, (t, m) -> graph.upsertEdge(NewGraphEdge.of("a", (String) t, "b").metadata(m)),
                        r -> graph.neighbours("a", Direction.OUTGOING, ((dev.atlas.graph.GraphEdge) r).type()).get(0).edge().metadata()));
    }

    /** Every JSON input through every method that stores JSON: stored and read back equal, or refused naming the field. */
    protected void jsonCases(List<Case> cases) {
        for (JsonSink sink : jsonSinks()) {
            for (JsonInput input : HOSTILE_MAPS) {
                cases.add(Case.expectAfter(sink.name() + " " + input.name(), input.expect(sink.field()), sink.prepare(), x -> sink.write().apply(x, input.value()),
                        r -> canonical(sink.read().apply(r)), input.readsBack() == null ? null : canonical(input.readsBack())));
            }
        }
    }

    /** Cases that store large rows run last: every later case would hash them twice in its digest. */
    protected void bulkyCases(List<Case> cases) {
        MemoryStore memories = acme.memories();
        Search search = acme.search();
        StringBuilder words = new StringBuilder();
        for (int i = 0; words.length() < Limits.MAX_CONTENT_LENGTH - 20; i++) {
            words.append(Integer.toString(i, 36)).append("q ");
        }
        String distinct = words.toString();
        // Over the 1 MB a PostgreSQL tsvector holds: stored and searchable on both databases since V23 indexes an array of terms.
        Expect tsvector = Expect.ACCEPTED;
        cases.add(Case.expect("memory of " + distinct.length() + " characters of distinct words", tsvector,
                () -> memories.create(NewMemory.fact(Owner.user("1"), distinct)), r -> memories.require(((Memory) r).id()).content(), distinct));
        cases.add(Case.expect("message of " + distinct.length() + " characters of distinct words", tsvector,
                () -> store.append(searchConvo.id(), NewMessage.user(distinct)), r -> store.getMessage(((Message) r).id()).orElseThrow().content(), distinct));
        cases.add(Case.expect("memory edited to distinct words", tsvector, () -> memories.update(memory.id(), MemoryPatch.content(distinct)),
                r -> memories.require(memory.id()).content(), distinct));
        String atLimit = "m".repeat(Limits.MAX_CONTENT_LENGTH);
        cases.add(Case.accept("memory content at the limit", () -> memories.create(NewMemory.fact(Owner.user("1"), atLimit)),
                r -> memories.require(((Memory) r).id()).content(), atLimit));
        cases.add(Case.accept("vector at the dimension limit", () -> {
            float[] v = new float[Limits.MAX_VECTOR_DIMENSION];
            v[7] = 1;
            search.upsertAssetVector(ownAsset.id(), null, "huge", v);
            return null;
        }, r -> search.dimension("huge"), Limits.MAX_VECTOR_DIMENSION));
    }

    // ---- the run --------------------------------------------------------------------------

    private List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (CaseGenerator g : generators()) {
            g.generate(cases);
        }
        return cases;
    }

    private String blobListing() throws IOException {
        StringBuilder files = new StringBuilder();
        try (Stream<Path> walk = Files.walk(blobs)) {
            walk.filter(Files::isRegularFile).map(p -> blobs.relativize(p) + ":" + p.toFile().length()).sorted().forEach(files::append);
        }
        return files.toString();
    }

    /** The tables {@link #digest} hashes, read once per corpus: {@link #corpus} checks at its end that no case added one. */
    private List<String> digestTables;

    private String digest(Connection c) throws IOException {
        return DatabaseDigest.of(c, digestTables) + blobListing();
    }

    /**
     * Refusals that a lookup or the database decides, though the expected exception is an
     * {@link InvalidInputException}: they run per dialect. Every other expected
     * {@link InvalidInputException} is validation alone, run once by {@code HostileInputValidationTest}
     * (issue 14), which proves that no SQL statement ran before the refusal.
     */
    static final List<String> REFUSED_AFTER_SQL = List.of(
            // A vector of another dimension than the model's stored one (3): the dimension is read first.
            "putVector memory dimension 2 ", "putVector message dimension 2 ", "putAssetVector dimension 2 ", "similar dimension 2 ",
            "putVector memory dimension 4 ", "putVector message dimension 4 ", "putAssetVector dimension 4 ", "similar dimension 4 ",
            // embed reads the row's text first: the embedder's vector exists only after that read.
            "embed dimension ", "embed with an embedder returning null",
            // A cost beyond cost_pico: only the price, read first, makes the usage too dear.
            "usage at the limits at the dearest price");

    /** Whether {@code k} is refused by validation alone, before any SQL (see {@link #REFUSED_AFTER_SQL}). */
    protected static boolean refusedBeforeSql(Case k) {
        return InvalidInputException.class.equals(k.expect().type()) && REFUSED_AFTER_SQL.stream().noneMatch(k.name()::startsWith);
    }

    /**
     * The cases this suite runs: per dialect, all but the validation-only refusals, which
     * {@code HostileInputValidationTest} runs once.
     */
    protected boolean runs(Case k) {
        return !refusedBeforeSql(k);
    }

    @Test
    @DisplayName("every generated hostile case has its outcome: stored and read back exactly, or refused with the named exception and field and no change")
    void corpus() throws SQLException, IOException {
        List<Case> all = cases();
        assertThat(all).hasSizeGreaterThanOrEqualTo(200);
        Set<String> names = new java.util.HashSet<>();
        assertThat(all.stream().map(Case::name).filter(n -> !names.add(n)).toList()).as("case names must be unique").isEmpty();
        List<Case> cases = all.stream().filter(this::runs).toList();
        StatementRecorder recorder = StatementRecorder.attach(atlas);
        int rejected = 0;
        int stored = 0;
        List<String> failures = new ArrayList<>();
        try (Connection c = database.dataSource().getConnection()) {
            digestTables = DatabaseDigest.tables(c, "atlas_");
            for (Case k : cases) {
                Object prepared;
                try {
                    prepared = k.prepare().get();
                } catch (RuntimeException e) {
                    failures.add(k.name() + ": setup failed: " + e);
                    continue;
                }
                // A refusal before any SQL changes no row: counting statements proves it without a digest of the database.
                boolean beforeSql = refusedBeforeSql(k);
                String before = k.read() || k.expect().accepted() ? null : beforeSql ? blobListing() : digest(c);
                int recordedBefore = recorder.recorded().size();
                StatementCounter.Counted<Object[]> counted = StatementCounter.count(atlas, () -> {
                    try {
                        return new Object[] {k.write().apply(prepared), null};
                    } catch (RuntimeException e) {
                        return new Object[] {null, e};
                    }
                });
                long statements = Math.max(counted.statements(), recorder.recorded().size() - recordedBefore);
                Object result = counted.result()[0];
                RuntimeException thrown = (RuntimeException) counted.result()[1];
                if (thrown instanceof AtlasException e) {
                    rejected++;
                    String field = e instanceof InvalidInputException i ? i.field() : null;
                    Expect got = new Expect(e.getClass(), field);
                    if (!got.equals(k.expect())) {
                        failures.add(k.name() + ": " + got + " (" + tag(String.valueOf(e.getMessage()), 160) + "), expected " + k.expect());
                    } else if (beforeSql && statements != 0) {
                        failures.add(k.name() + ": refused, but after " + statements + " SQL statement(s)");
                    } else if (before != null && !(beforeSql ? blobListing() : digest(c)).equals(before)) {
                        failures.add(k.name() + ": rejected but the database or blob directory changed");
                    }
                    continue;
                } else if (thrown != null) {
                    failures.add(k.name() + ": untyped " + thrown + ", expected " + k.expect());
                    continue;
                }
                stored++;
                if (!k.expect().accepted()) {
                    failures.add(k.name() + ": accepted, expected " + k.expect());
                } else if (k.readBack() != null) {
                    Object back;
                    try {
                        back = k.readBack().apply(result);
                    } catch (RuntimeException e) {
                        failures.add(k.name() + ": read back failed: " + e);
                        continue;
                    }
                    if (!Objects.equals(Objects.toString(back), Objects.toString(k.expected()))) {
                        failures.add(k.name() + ": read back " + tag(Objects.toString(back)) + " instead of " + tag(Objects.toString(k.expected())));
                    }
                }
            }
            // The digests hashed the tables there were at the start: a case that added one changed the database too.
            assertThat(DatabaseDigest.tables(c, "atlas_")).as("tables after the corpus").isEqualTo(digestTables);
        }
        System.out.println(database.name() + " hostile corpus (" + getClass().getSimpleName() + "): " + cases.size() + " of " + all.size()
                + " cases, " + rejected + " rejected, " + stored + " stored");
        assertThat(cases).as("cases run").isNotEmpty();
        assertThat(failures.size()).as(failures.size() + " of " + cases.size() + " cases broke the contract:\n" + String.join("\n", failures)).isZero();
    }
}
