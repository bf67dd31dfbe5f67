package dev.atlas.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md and docs/*.md compiles against the current API: a
 * snippet that drifts from the code fails here, naming its file and line.
 *
 * <p>Each block becomes one compilation unit: the common imports, then a class holding the
 * document's prelude (typed stubs for the free variables its snippets use, such as {@code llm} or
 * {@code hostPool}) and the block itself, as a method body or, when the block declares methods or
 * types at its top level, as a class body. Within a document the snippets read as one story, so
 * the prelude also declares what an earlier snippet introduced. A block opts out only with
 * {@code <!-- not-compiled: reason -->} on the line before its fence; the test prints how many did.
 */
class DocSnippetsCompileTest {

    private static final String IMPORTS = String.join("\n",
            "import dev.atlas.*;",
            "import dev.atlas.execution.*;",
            "import dev.atlas.asset.*;",
            "import dev.atlas.voice.*;",
            "import dev.atlas.conversation.*;",
            "import dev.atlas.memory.*;",
            "import dev.atlas.graph.*;",
            "import dev.atlas.search.*;",
            "import dev.atlas.assistant.*;",
            "import dev.atlas.credential.*;",
            "import dev.atlas.task.*;",
            "import dev.atlas.retention.*;",
            "import dev.atlas.portability.*;",
            "import java.util.*;",
            "import java.time.*;",
            "import java.nio.file.*;",
            "import java.io.InputStream;",
            "import java.math.BigDecimal;",
            "import javax.sql.DataSource;",
            "");

    /** Stubs every document may use: the application's own model client (history, plus this execution's round so far). */
    private static final String COMMON_PRELUDE = String.join("\n",
            "interface ToolRequest { String id(); String name(); String arguments(); }",
            "interface Reply { String text(); List<ToolRequest> toolCalls(); long inputTokens(); long outputTokens(); }",
            "interface Llm { Reply call(List<?> history); Reply call(List<?> history, List<?> round); }",
            "Llm llm;",
            "");

    /** Per document (path relative to the repository root): extra imports, then members. */
    private static final Map<String, String[]> PRELUDES = Map.of(
            "README.md", new String[] {
                "import dev.atlas.migrations.AtlasMigrations;\nimport org.flywaydb.core.Flyway;\n",
                String.join("\n",
                        "String secret;",
                        "byte[] key32;",
                        "BlobStore myS3Store;",
                        "DataSource hostPool, dataSource, ds;")},
            "docs/integrations.md", new String[] {
                String.join("\n",
                        "import dev.atlas.spring.ai.*;",
                        "import org.springframework.ai.chat.client.ChatClient;",
                        "import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;",
                        "import org.springframework.ai.chat.memory.ChatMemory;",
                        "import org.springframework.ai.chat.memory.MessageWindowChatMemory;",
                        ""),
                String.join("\n",
                        "Atlas atlas;",
                        "ChatClient chatClient;",
                        "ChatClient.Builder chatClientBuilder;",
                        "String question, chatId, tenantId;")},
            // The provider models (OpenAiChatModel ...) are stand-ins with the builder calls the snippets make:
            // langchain4j-open-ai is not a dependency of this build; everything else is LangChain4j's and Atlas's own.
            "docs/langchain4j.md", new String[] {
                String.join("\n",
                        "import dev.atlas.langchain4j.*;",
                        "import dev.langchain4j.memory.chat.ChatMemoryProvider;",
                        "import dev.langchain4j.model.chat.ChatModel;",
                        "import dev.langchain4j.model.chat.StreamingChatModel;",
                        "import dev.langchain4j.model.chat.listener.ChatModelListener;",
                        "import dev.langchain4j.service.AiServices;",
                        "import java.util.concurrent.ConcurrentHashMap;",
                        ""),
                String.join("\n",
                        "Atlas atlas;",
                        "Tenant tenant;",
                        "AtlasChatModelListener listener;",
                        "interface SupportAgent { String chat(String message); }",
                        "interface Assistant { String chat(String message); }",
                        "static class OrderTools {}",
                        "interface RequestTenant { static String current() { return \"acme\"; } }",
                        "static final class OpenAiChatModel {",
                        "  static Builder builder() { return new Builder(); }",
                        "  static final class Builder {",
                        "    Builder listeners(List<ChatModelListener> listeners) { return this; }",
                        "    ChatModel build() { return null; } } }",
                        "static final class OpenAiStreamingChatModel {",
                        "  static Builder builder() { return new Builder(); }",
                        "  static final class Builder {",
                        "    Builder listeners(List<ChatModelListener> listeners) { return this; }",
                        "    StreamingChatModel build() { return null; } } }")},
            "docs/opentelemetry.md", new String[] {
                "import dev.atlas.opentelemetry.AtlasTelemetry;\nimport io.opentelemetry.api.OpenTelemetry;\n",
                "OpenTelemetry openTelemetry;\nAtlasTelemetry telemetry;\nAtlas atlas;"},
            "docs/assistants-credentials-tasks.md", new String[] {"",
                String.join("\n",
                        "interface SecretsManager { byte[] fetch(String name); }",
                        "SecretsManager secretsManager;",
                        "abstract String summarize(UUID conversationId);")},
            "docs/executions.md", new String[] {"",
                String.join("\n",
                        "interface Orders { String lookup(int orderId); String lookup(String argumentsJson); }",
                        "Orders orders;",
                        "Atlas atlas;",
                        "Tenant acme;",
                        "Conversation convo;",
                        "Message message;",
                        "ExecutionHandle exec;",
                        "StepHandle.ToolCallHandle call;",
                        "InputStream inputStream;",
                        "List<VoiceTurn> turnsSoFar, finalTurns;")},
            "docs/memory-and-search.md", new String[] {"",
                String.join("\n",
                        "Atlas atlas;",
                        "Tenant acme;",
                        "MemoryStore memories;",
                        "MemoryGraph graph;",
                        "Search search;",
                        "UUID conversationId, messageId, assetId;",
                        "Instant from, to;",
                        "Memory memory;",
                        "Message message;",
                        "float[] vector, queryVector;",
                        "Embedder myEmbedder;")},
            "docs/portability.md", new String[] {"",
                String.join("\n",
                        "Atlas atlas;",
                        "Tenant acme;",
                        "UUID conversationId;")},
            // An excerpt of the test kit: stubs shaped like HostileInputContract's and TenantIsolationContract's.
            "docs/reliability.md", new String[] {"",
                String.join("\n",
                        "interface Expect {}",
                        "interface CaseGenerator { void generate(List<Case> out); }",
                        "interface Op {}",
                        "interface Case {",
                        "  static Case expect(String name, Expect expect, java.util.function.Supplier<?> write,",
                        "      java.util.function.Function<Object, ?> readBack, Object expected) { return null; }",
                        "  static Case readExpect(String name, Expect expect, java.util.function.Supplier<?> call) { return null; }",
                        "  static Case reject(String name, String field, java.util.function.Supplier<?> write) { return null; }",
                        "  static Case reject(String name, Class<? extends AtlasException> type, java.util.function.Supplier<?> write) { return null; }",
                        "}",
                        "static final List<String> HOSTILE_SHORT = List.of();",
                        "abstract Expect named(String field, String value, int max);",
                        "abstract String tag(String hostile);",
                        "Tenant acme;",
                        "Memory foreignMemory;",
                        "List<Op> ops;",
                        "abstract List<Op> retentionOps();",
                        "abstract void conversationCases(List<Case> cases);",
                        "abstract void retentionCases(List<Case> cases);",
                        "abstract void jsonCases(List<Case> cases);",
                        "abstract void bulkyCases(List<Case> cases);")});

    /** {@code ```java}, also indented (in a list), as {@code ```Java} or with an info string after it; not {@code ```javascript}. */
    private static final Pattern FENCE_OPEN = Pattern.compile("^(\\s*)```(?i:java)(\\s.*)?$");
    private static final Pattern FENCE = Pattern.compile("^\\s*```");
    private static final Pattern SKIP = Pattern.compile("^\\s*<!--\\s*not-compiled:\\s*(\\S.*?)\\s*-->\\s*$");
    /** A type, or a method with a body, declared at the block's top level (column 0). */
    private static final Pattern DECLARATION = Pattern.compile(
            "^(@\\w+\\s+)*((public|protected|private|static|final|abstract|default|synchronized|sealed)\\s+)*"
            + "((class|interface|record|enum)\\s+\\w+"
            + "|(<[^>]+>\\s+)?[\\w.]+(<.*>)?(\\[\\])*\\s+\\w+\\s*\\([^;]*\\)\\s*(throws\\s+[\\w.,\\s]+)?\\{)");

    record Snippet(String file, int fenceLine, String code, boolean classBody) {
        String className() {
            return "Snippet_" + file.replaceAll("[^A-Za-z0-9]", "_") + "_L" + fenceLine;
        }
    }

    record Source(Snippet snippet, int firstLine, String text) {}

    /** What one run found: per file {compiled, skipped}, the skipped blocks with their reasons, and javac's errors. */
    record Result(Map<String, int[]> counts, List<String> skips, int compiled, List<String> errors) {}

    @Test
    void everyJavaSnippetInReadmeAndDocsCompiles(@TempDir Path classes) throws IOException {
        Result result = check(repositoryRoot(), classes);
        result.counts().forEach((file, c) -> System.out.printf(Locale.ROOT, "%s: %d snippet(s) compiled, %d skipped%n", file, c[0], c[1]));
        System.out.printf(Locale.ROOT, "%d snippet(s) compiled, %d skipped%s%n", result.compiled(), result.skips().size(),
                result.skips().isEmpty() ? "" : ": " + String.join(", ", result.skips()));
        assertThat(result.compiled()).as("```java blocks found in README.md and docs/*.md").isPositive();
        assertThat(result.errors()).as("snippets that do not compile against the current API").isEmpty();
    }

    /** The checker itself: a broken snippet is reported at its own file and line, in both wrapper shapes; a marked one is skipped. */
    @Test
    void aSnippetThatDoesNotCompileIsNamedByFileAndLine(@TempDir Path root, @TempDir Path classes) throws IOException {
        Files.writeString(root.resolve("README.md"), String.join("\n",
                "# Title",
                "```java",
                "Atlas atlas = Atlas.sqlite(Path.of(\"a.db\"));",
                "atlas.noSuchMethod();",
                "```",
                "<!-- not-compiled: pseudo-code -->",
                "```java",
                "this is not Java",
                "```",
                "```xml",
                "<not-java/>",
                "```",
                ""));
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/x.md"), String.join("\n",
                "Text",
                "",
                "```java",
                "void handler(Tenant t) {",
                "    t.conversations();",
                "    t.noSuchStore();",
                "}",
                "```",
                ""));
        Files.writeString(root.resolve("docs/y.md"), String.join("\n",
                "```java",
                "try (var in = java.io.InputStream.nullInputStream()) { \u2026 }",
                "```",
                ""));

        Result result = check(root, classes);

        assertThat(result.compiled()).isEqualTo(3);
        assertThat(result.skips()).containsExactly("README.md:7 (pseudo-code)");
        assertThat(result.errors()).hasSize(3);
        assertThat(result.errors().get(0)).startsWith("docs/y.md:2: illegal character");
        assertThat(result.errors().get(1)).startsWith("README.md:4: cannot find symbol").contains("atlas.noSuchMethod();");
        assertThat(result.errors().get(2)).startsWith("docs/x.md:6: cannot find symbol").contains("t.noSuchStore();");
    }

    private static Result check(Path root, Path classes) throws IOException {
        List<String> files = new ArrayList<>();
        files.add("README.md");
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.getFileName().toString().endsWith(".md"))
                    .map(p -> "docs/" + p.getFileName()).sorted().forEach(files::add);
        }

        List<Snippet> snippets = new ArrayList<>();
        Map<String, int[]> counts = new LinkedHashMap<>();   // file -> {compiled, skipped}
        List<String> skips = new ArrayList<>();
        for (String file : files) {
            int[] count = counts.computeIfAbsent(file, f -> new int[2]);
            List<String> lines = Files.readAllLines(root.resolve(file), StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                Matcher open = FENCE_OPEN.matcher(lines.get(i));
                if (!open.matches()) {
                    continue;
                }
                int fence = i + 1;
                String indent = open.group(1);
                StringBuilder code = new StringBuilder();
                boolean classBody = false;
                int j = i + 1;
                for (; j < lines.size() && !FENCE.matcher(lines.get(j)).find(); j++) {
                    String line = lines.get(j).startsWith(indent) ? lines.get(j).substring(indent.length()) : lines.get(j);
                    classBody |= DECLARATION.matcher(line).find();
                    code.append(line).append('\n');
                }
                assertThat(j).as("%s:%d: ```java block is never closed", file, fence).isLessThan(lines.size());
                Matcher skip = SKIP.matcher(i > 0 ? lines.get(i - 1) : "");
                if (skip.matches()) {
                    count[1]++;
                    skips.add(file + ":" + fence + " (" + skip.group(1) + ")");
                } else {
                    count[0]++;
                    snippets.add(new Snippet(file, fence, code.toString(), classBody));
                }
                i = j;
            }
        }
        List<String> errors = snippets.isEmpty() ? List.of()
                : compile(snippets.stream().map(DocSnippetsCompileTest::wrap).toList(), classes);
        return new Result(counts, skips, snippets.size(), errors);
    }

    private static Source wrap(Snippet s) {
        String[] prelude = PRELUDES.getOrDefault(s.file(), new String[] {"", ""});
        StringBuilder text = new StringBuilder("package snippets;\n")
                .append(IMPORTS).append(prelude[0])
                .append("@SuppressWarnings(\"all\")\n")
                .append("abstract class ").append(s.className()).append(" {\n")
                .append(COMMON_PRELUDE).append(prelude[1]).append('\n');
        if (!s.classBody()) {
            text.append("void snippet() throws Exception {\n");
        }
        int firstLine = (int) text.chars().filter(c -> c == '\n').count() + 1;
        text.append(s.code());
        text.append(s.classBody() ? "}\n" : "}\n}\n");
        return new Source(s, firstLine, text.toString());
    }

    private static List<String> compile(List<Source> sources, Path classes) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK compiler (tests must run on a JDK, not a JRE)").isNotNull();
        Map<URI, Source> byUri = new LinkedHashMap<>();
        List<JavaFileObject> units = new ArrayList<>();
        for (Source source : sources) {
            JavaFileObject unit = new SimpleJavaFileObject(
                    URI.create("string:///snippets/" + source.snippet().className() + ".java"), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return source.text();
                }
            };
            byUri.put(unit.toUri(), source);
            units.add(unit);
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            // should-stop.ifError=FLOW: a snippet that does not parse must not hide type errors in the others.
            List<String> options = List.of("-proc:none", "-Xlint:none", "-Xmaxerrs", "1000", "-XDshould-stop.ifError=FLOW",
                    "-classpath", System.getProperty("java.class.path"), "-d", classes.toString());
            javac.getTask(null, files, diagnostics, options, null, units).call();
        }
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) {
                continue;
            }
            Source source = d.getSource() == null ? null : byUri.get(d.getSource().toUri());
            if (source == null) {
                errors.add(d.getMessage(Locale.ROOT));
                continue;
            }
            long line = d.getLineNumber();
            String where = line >= source.firstLine()
                    ? source.snippet().file() + ":" + (source.snippet().fenceLine() + line - source.firstLine() + 1)
                    : source.snippet().file() + ":" + source.snippet().fenceLine() + " (prelude line " + line + ")";
            String text = source.text().lines().skip(line - 1).findFirst().orElse("").strip();
            errors.add(where + ": " + d.getMessage(Locale.ROOT) + "\n        " + text);
        }
        return errors;
    }

    /** The directory holding README.md and docs/, found upward from the working directory (examples/target under Surefire). */
    private static Path repositoryRoot() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs"))) {
                return dir;
            }
        }
        throw new AssertionError("no README.md with docs/ above " + System.getProperty("user.dir"));
    }
}
