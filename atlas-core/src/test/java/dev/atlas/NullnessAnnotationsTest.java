package dev.atlas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Every package is {@code @NullMarked}, so an unannotated type means "never null" to Kotlin and
 * NullAway. These tests keep {@code @Nullable} where null is accepted or returned: the compiled
 * API must carry the annotations listed here, and every Javadoc that says "or {@code null}" must
 * sit on a declaration that says {@code @Nullable}.
 */
class NullnessAnnotationsTest {

    private static final Path CLASSES = classesDirectory();
    private static final Path SOURCES = Path.of("src/main/java");

    @Test
    void keyMembersCarryNullable() throws IOException {
        Set<String> nullable = nullableMembers();

        assertThat(nullable).contains(
                "dev.atlas.conversation.Message#failureReason():return",
                "dev.atlas.conversation.Message#parentId():return",
                "dev.atlas.conversation.Message#author():return",
                "dev.atlas.conversation.Message#deletedAt():return",
                "dev.atlas.conversation.Message#<init>:8",
                "dev.atlas.conversation.Conversation#title():return",
                "dev.atlas.conversation.Conversation#externalKey():return",
                "dev.atlas.conversation.NewMessage#clientId():return",
                "dev.atlas.conversation.NewConversation#of(Owner,String):1",
                "dev.atlas.conversation.ConversationQuery#cursor():return",
                "dev.atlas.conversation.ConversationStore#updateTitle(UUID,String):1",
                "dev.atlas.execution.Execution#error():return",
                "dev.atlas.execution.Usage#inputTokens():return",
                "dev.atlas.execution.StepHandle#finish(String,String,FinishReason,Usage):0",
                "dev.atlas.execution.StepHandle#fail(String):0",
                "dev.atlas.execution.ExecutionHandle#fail(String):0",
                "dev.atlas.execution.StepHandle$ToolCallHandle#fail(String):0",
                "dev.atlas.task.TaskStore#fail(ClaimedTask,String):1",
                "dev.atlas.task.TaskStore#fail(ClaimedTask,String,Instant):1",
                "dev.atlas.task.TaskStore#failAsOperator(UUID,String):1",
                "dev.atlas.execution.ToolCall#result():return",
                "dev.atlas.graph.MemoryGraph#neighbours(String,Direction,String,int,String):2",
                "dev.atlas.graph.MemoryGraph#neighbours(String,Direction,String,int,String):4",
                "dev.atlas.task.Task#claimId():return",
                "dev.atlas.task.TaskStore#forConversation(UUID,int,String):2",
                "dev.atlas.memory.Memory#expiresAt():return",
                "dev.atlas.assistant.Assistant#currentRevisionId():return",
                "dev.atlas.AtlasConfig#blobStore():return",
                "dev.atlas.StorageException#sqlState():return");
    }

    @Test
    void readModelsKeepRequiredMembersNonNull() throws IOException {
        Set<String> nullable = nullableMembers();

        assertThat(nullable).doesNotContain(
                "dev.atlas.conversation.Message#id():return",
                "dev.atlas.conversation.Message#content():return",
                "dev.atlas.conversation.Message#metadata():return",
                "dev.atlas.Page#nextCursor():return",
                "dev.atlas.task.Task#payload():return",
                "dev.atlas.task.Task#result():return");
    }

    @Test
    void everyDeclarationDocumentedAsNullableIsAnnotated() throws IOException {
        Pattern javadoc = Pattern.compile("/\\*\\*(.*?)\\*/\\s*((?:@\\w+(?:\\([^)]*\\))?\\s*)*)([^;{]*)", Pattern.DOTALL);
        Pattern param = Pattern.compile("@param\\s+(\\w+)((?:(?!@param|@return|@throws).)*)", Pattern.DOTALL);
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(file);
                Matcher m = javadoc.matcher(text);
                while (m.find()) {
                    String doc = m.group(1);
                    String declaration = m.group(3).replaceAll("\\s+", " ").trim();
                    Matcher p = param.matcher(doc);
                    boolean anyParam = false;
                    while (p.find()) {
                        anyParam = true;
                        if (declaration.matches("(?s).*\\b" + p.group(1) + "\\s*[,)].*") && saysNullable(p.group(2)) && !Pattern.compile("@Nullable [\\w.]+(?:<[^>]*>)? " + p.group(1) + "\\b|@Nullable \\[\\] " + p.group(1) + "\\b")
                                .matcher(declaration).find()) {
                            missing.add(file.getFileName() + ": @param " + p.group(1) + " of " + declaration);
                        }
                    }
                    String summary = doc.split("@param|@return|@throws")[0];
                    boolean method = declaration.contains("(") && !declaration.startsWith("public record") && !declaration.contains(" class ")
                            && !declaration.matches("^[^(]*\\bvoid .*");
                    if (!anyParam && method && saysNullable(summary) && !declaration.matches("^[^(]*@Nullable[^(]*\\(.*")) {
                        missing.add(file.getFileName() + ": returns null: " + declaration);
                    }
                }
            }
        }
        assertThat(missing).isEmpty();
    }

    private static boolean saysNullable(String text) {
        String flat = text.replaceAll("\\s*\\*?\\s+", " ");
        return flat.matches("(?s).*\\bor \\{@code null}.*");
    }

    private static Set<String> nullableMembers() throws IOException {
        Set<String> out = new TreeSet<>();
        for (Class<?> type : publicTypes()) {
            for (Method method : type.getDeclaredMethods()) {
                if (Modifier.isPublic(method.getModifiers()) && !method.isSynthetic()) {
                    String name = type.getName() + "#" + method.getName() + signature(method);
                    if (nullable(method.getAnnotatedReturnType())) {
                        out.add(name + ":return");
                    }
                    addParameters(out, name, method);
                }
            }
            for (Constructor<?> constructor : type.getDeclaredConstructors()) {
                if (Modifier.isPublic(constructor.getModifiers())) {
                    addParameters(out, type.getName() + "#<init>", constructor);
                }
            }
        }
        return out;
    }

    private static void addParameters(Set<String> out, String name, Executable executable) {
        Parameter[] parameters = executable.getParameters();
        for (int i = 0; i < parameters.length; i++) {
            if (nullable(parameters[i].getAnnotatedType())) {
                out.add(name + ":" + i);
            }
        }
    }

    private static String signature(Method method) {
        StringBuilder s = new StringBuilder("(");
        for (Class<?> p : method.getParameterTypes()) {
            s.append(s.length() > 1 ? "," : "").append(p.getSimpleName());
        }
        return s.append(')').toString();
    }

    private static boolean nullable(AnnotatedType type) {
        return type.isAnnotationPresent(Nullable.class);
    }

    private static List<Class<?>> publicTypes() throws IOException {
        List<Class<?>> types = new ArrayList<>();
        try (Stream<Path> files = Files.walk(CLASSES.resolve("dev/atlas"))) {
            for (Path file : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                String name = CLASSES.relativize(file).toString().replace('/', '.').replace('\\', '.');
                name = name.substring(0, name.length() - ".class".length());
                if (name.endsWith("package-info") || name.endsWith("module-info")) {
                    continue;
                }
                try {
                    Class<?> type = Class.forName(name, false, NullnessAnnotationsTest.class.getClassLoader());
                    if (Modifier.isPublic(type.getModifiers())) {
                        types.add(type);
                    }
                } catch (ClassNotFoundException e) {
                    throw new IllegalStateException(name, e);
                }
            }
        }
        assertThat(types).hasSizeGreaterThan(100);
        return types;
    }

    private static Path classesDirectory() {
        try {
            return Path.of(Atlas.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
