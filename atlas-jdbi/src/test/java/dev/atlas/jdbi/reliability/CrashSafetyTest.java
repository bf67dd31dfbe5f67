package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.Page;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ToolCall;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer killed with SIGKILL mid-stream loses nothing it acknowledged and leaves no damage:
 * the child JVM ({@link CrashChild}, {@link CrashWork}) prints each acknowledged write; after the
 * kill, every one must be readable.
 *
 * <p>"No half-recorded execution" means, for every execution in the database after the kill:
 * its steps are numbered 1..n without gaps and each step's tool calls 0..m; every tool call
 * belongs to a step of the same execution; a completed execution has only completed steps and
 * tool calls, and exactly the steps acknowledged before its completion; every acknowledged
 * step, tool call and completion is there in the state it was acknowledged in; and after
 * {@link ExecutionRecorder#sweepInterrupted} nothing is left pending or processing.
 */
class CrashSafetyTest {
    private static final int ACKS_BEFORE_KILL = 120;
    private static final int LINES_BEFORE_KILL = 1_000;

    @TempDir
    Path dir;

    record Acks(UUID conversation, List<UUID> messages, Map<UUID, ExecAck> executions, Set<UUID> done, List<UUID> sides) {}

    /** What the child acknowledged of one execution: steps in order, their tool calls, what finished. */
    record ExecAck(List<UUID> steps, Map<UUID, List<UUID>> tools, Set<UUID> finished) {
        ExecAck() {
            this(new ArrayList<>(), new HashMap<>(), new HashSet<>());
        }
    }

    private Acks runAndKill(String... args) throws Exception {
        List<String> command = ChildJvm.command(List.of(), CrashChild.class, List.of(args));
        Process child = new ProcessBuilder(command).redirectError(dir.resolve("child.err").toFile()).start();
        UUID conversation = null;
        List<UUID> acked = new ArrayList<>();
        Map<UUID, ExecAck> executions = new HashMap<>();
        Map<UUID, ExecAck> ofStepOrTool = new HashMap<>();
        Set<UUID> done = new HashSet<>();
        List<UUID> sides = new ArrayList<>();
        // A line count that is not a multiple of one iteration, so the kill lands inside an execution.
        int lines = LINES_BEFORE_KILL + (int) (ProcessHandle.current().pid() % 17);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            // Read until an execution has completed too: with several writer threads on a loaded machine the
            // appenders can reach their count before the execution thread finishes one.
            while ((acked.size() < ACKS_BEFORE_KILL || done.isEmpty() || lines-- > 0) && (line = out.readLine()) != null) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "CONV" -> conversation = UUID.fromString(f[1]);
                    case "SIDE" -> sides.add(UUID.fromString(f[1]));
                    case "ACK" -> acked.add(UUID.fromString(f[1]));
                    case "EXEC" -> executions.put(UUID.fromString(f[1]), new ExecAck());
                    case "STEP" -> {
                        ExecAck e = executions.get(UUID.fromString(f[1]));
                        e.steps().add(UUID.fromString(f[2]));
                        e.tools().put(UUID.fromString(f[2]), new ArrayList<>());
                        ofStepOrTool.put(UUID.fromString(f[2]), e);
                    }
                    case "TOOL" -> {
                        ExecAck e = executions.get(UUID.fromString(f[1]));
                        e.tools().get(UUID.fromString(f[2])).add(UUID.fromString(f[3]));
                        ofStepOrTool.put(UUID.fromString(f[3]), e);
                    }
                    case "TOOLDONE", "STEPDONE" -> ofStepOrTool.get(UUID.fromString(f[1])).finished().add(UUID.fromString(f[1]));
                    case "DONE" -> done.add(UUID.fromString(f[1]));
                    default -> throw new AssertionError("unexpected line from the child: " + line);
                }
            }
            // SIGKILL: no shutdown hooks, no chance to flush or close anything.
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(conversation).as("child started (see child.err)").isNotNull();
        assertThat(acked).hasSizeGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
        assertThat(done).as("executions completed before the kill").isNotEmpty();
        return new Acks(conversation, acked, executions, done, sides);
    }

    private static void assertAllPresent(Atlas atlas, Acks acks) {
        ConversationStore store = atlas.tenant("crash").conversations();
        for (UUID id : acks.messages()) {
            assertThat(store.getMessage(id)).as("acknowledged message " + id).isPresent();
        }
        long total = 0;
        List<UUID> conversations = new ArrayList<>(acks.sides());
        conversations.add(acks.conversation());
        for (UUID conversation : conversations) {
            long last = store.require(conversation).lastSequence();
            total += last;
            List<Message> all = new ArrayList<>();
            for (long after = 0; after < last; after += 1000) {
                all.addAll(store.messages(conversation, after, 1000));
            }
            assertThat(all).as("conversation " + conversation).extracting(Message::sequence)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, last).boxed().toList());
        }
        assertThat(total).isGreaterThanOrEqualTo(acks.messages().size());
        assertExecutionsWhole(atlas.tenant("crash").executions(), acks);
    }

    private static List<ExecutionTree> allTrees(ExecutionRecorder recorder) {
        List<ExecutionTree> trees = new ArrayList<>();
        ExecutionQuery query = ExecutionQuery.all().limit(1000);
        while (true) {
            Page<Execution> page = recorder.list(query);
            page.items().forEach(e -> trees.add(recorder.tree(e.id()).orElseThrow()));
            if (page.nextCursor().isEmpty()) {
                return trees;
            }
            query = query.after(page.nextCursor().get());
        }
    }

    private static void assertExecutionsWhole(ExecutionRecorder recorder, Acks acks) {
        // Every acknowledged write is there, in the state it was acknowledged in.
        for (Map.Entry<UUID, ExecAck> entry : acks.executions().entrySet()) {
            ExecutionTree tree = recorder.tree(entry.getKey()).orElseThrow(() -> new AssertionError("acknowledged execution " + entry.getKey()));
            ExecAck ack = entry.getValue();
            Map<UUID, ExecutionStep> steps = new HashMap<>();
            tree.steps().forEach(s -> steps.put(s.id(), s));
            for (UUID stepId : ack.steps()) {
                ExecutionStep step = steps.get(stepId);
                assertThat(step).as("acknowledged step " + stepId).isNotNull();
                if (ack.finished().contains(stepId)) {
                    assertThat(step.status()).isEqualTo(ExecutionStatus.COMPLETED);
                }
                assertThat(step.toolCalls()).extracting(ToolCall::id).as("tool calls of step " + stepId).containsAll(ack.tools().get(stepId));
                step.toolCalls().stream().filter(c -> ack.finished().contains(c.id()))
                        .forEach(c -> assertThat(c.status()).isEqualTo(ExecutionStatus.COMPLETED));
            }
            if (acks.done().contains(entry.getKey())) {
                assertThat(tree.execution().status()).isEqualTo(ExecutionStatus.COMPLETED);
                assertThat(tree.steps()).extracting(ExecutionStep::id).as("a completed execution has exactly its acknowledged steps")
                        .containsExactlyElementsOf(ack.steps());
                assertThat(tree.execution().usage().inputTokens()).isEqualTo(10L);
            }
        }
        // Nothing in the database is half-recorded, acknowledged or not.
        List<ExecutionTree> trees = allTrees(recorder);
        assertThat(trees).hasSizeGreaterThanOrEqualTo(acks.executions().size());
        trees.forEach(CrashSafetyTest::assertWhole);
        // Recovery closes what the crash left open: nothing stays pending or processing.
        recorder.sweepInterrupted(Duration.ZERO);
        for (ExecutionTree tree : allTrees(recorder)) {
            assertWhole(tree);
            assertThat(tree.execution().status()).isIn(ExecutionStatus.COMPLETED, ExecutionStatus.FAILED);
            tree.steps().forEach(s -> assertThat(s.status()).isIn(ExecutionStatus.COMPLETED, ExecutionStatus.FAILED));
            tree.toolCalls().forEach(c -> assertThat(c.status()).isIn(ExecutionStatus.COMPLETED, ExecutionStatus.FAILED));
        }
    }

    private static void assertWhole(ExecutionTree tree) {
        UUID id = tree.execution().id();
        assertThat(tree.steps()).extracting(ExecutionStep::sequence).as("steps of " + id)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, tree.steps().size()).boxed().toList());
        for (ExecutionStep step : tree.steps()) {
            assertThat(step.executionId()).isEqualTo(id);
            assertThat(step.toolCalls()).extracting(ToolCall::index).as("tool calls of step " + step.id())
                    .containsExactlyElementsOf(IntStream.range(0, step.toolCalls().size()).boxed().toList());
            step.toolCalls().forEach(c -> {
                assertThat(c.executionId()).isEqualTo(id);
                assertThat(c.stepId()).isEqualTo(step.id());
            });
            if (tree.execution().status() == ExecutionStatus.COMPLETED) {
                assertThat(step.status()).as("step of a completed execution").isEqualTo(ExecutionStatus.COMPLETED);
                step.toolCalls().forEach(c -> assertThat(c.status()).as("tool call of a completed execution").isEqualTo(ExecutionStatus.COMPLETED));
            }
        }
    }

    @Test
    @DisplayName("SQLite: after SIGKILL the file passes integrity_check, holds every acknowledged write and no half-recorded execution")
    void sqlite() throws Exception {
        Path file = dir.resolve("crash.db");
        Acks acks = runAndKill("sqlite", file.toString());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
        try (Atlas atlas = Atlas.sqlite(file)) {
            assertAllPresent(atlas, acks);
        }
    }

    @Test
    @DisplayName("SQLite with 4 writer threads (group-committed batches in flight): every acknowledged append survives SIGKILL, no gaps")
    void sqliteConcurrentWriters() throws Exception {
        Path file = dir.resolve("crash-writers.db");
        Acks acks = runAndKill("sqlite", file.toString(), "3");
        assertThat(acks.sides()).hasSize(3);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
        try (Atlas atlas = Atlas.sqlite(file)) {
            assertAllPresent(atlas, acks);
        }
    }

    @Test
    @DisplayName("PostgreSQL: after the client is killed every committed write is there and no execution is half-recorded")
    void postgres() throws Exception {
        String url = PostgresTestDatabase.createDatabase("crash_" + ProcessHandle.current().pid());
        Acks acks = runAndKill("postgres", url);
        try (Atlas atlas = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").build()) {
            assertAllPresent(atlas, acks);
        }
    }
}
