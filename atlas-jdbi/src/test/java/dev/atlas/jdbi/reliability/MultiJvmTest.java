package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.ToolCallQuery;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskQuery;
import dev.atlas.task.TaskStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two or three real JVMs ({@link MultiJvmChild}) on one SQLite file and on one PostgreSQL
 * database, as replicas of an application run: each has its own id generator (UUIDv7 from its own
 * clock), write combiner, caches and clock. See docs/reliability.md, "Several processes on one database".
 */
class MultiJvmTest {
    @TempDir
    Path dir;

    private final List<Child> children = new ArrayList<>();

    @AfterEach
    void stopChildren() {
        children.forEach(c -> c.process.destroyForcibly());
    }

    /** One child JVM and its pipes. */
    private record Child(Process process, BufferedReader out, Writer in) {
        void tell(String line) throws Exception {
            in.write(line + "\n");
            in.flush();
        }

        /** The lines up to {@code DONE}; a failure in the child fails the test with its message. */
        List<String> untilDone() throws Exception {
            List<String> lines = new ArrayList<>();
            for (String line = out.readLine(); !"DONE".equals(line); line = out.readLine()) {
                assertThat(line).as("a child's line").isNotNull().doesNotStartWith("FAILED");
                lines.add(line);
            }
            return lines;
        }
    }

    private String database(String kind) {
        if (kind.equals("sqlite")) {
            return "sqlite:" + dir.resolve("shared.db");
        }
        return PostgresTestDatabase.createDatabase("multijvm_" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100000);
    }

    private Atlas open(String db, Clock clock) {
        return (db.startsWith("sqlite:") ? Atlas.builder().sqlite(Path.of(db.substring(7)))
                : Atlas.builder().jdbcUrl(db).credentials("postgres", "postgres").maxPoolSize(2)).clock(clock).build();
    }

    /** Starts children (each {@code args} one child's name, work and work arguments), waits until all opened Atlas, then says GO. */
    private List<Child> start(String db, long[] offsetMinutes, List<List<String>> args) throws Exception {
        List<Child> started = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            List<String> childArgs = new ArrayList<>(List.of(db));
            childArgs.addAll(args.get(i));
            List<String> command = ChildJvm.command(List.of("-Dmultijvm.offsetMinutes=" + offsetMinutes[i]), MultiJvmChild.class, childArgs);
            Process p = new ProcessBuilder(command).redirectError(dir.resolve("child" + i + ".err").toFile()).start();
            Child c = new Child(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)),
                    new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8));
            children.add(c);
            started.add(c);
        }
        for (Child c : started) {
            assertThat(c.out.readLine()).isEqualTo("READY");
        }
        for (Child c : started) {
            c.tell("GO");
        }
        return started;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("Two JVMs append the same idempotency keys into one conversation at once: each stored once, sequences 1..n, one history from both")
    void sameKeysFromTwoJvms(String kind) throws Exception {
        String db = database(kind);
        int n = 30;
        UUID conversation;
        try (Atlas atlas = open(db, Clock.systemUTC())) {
            conversation = atlas.tenant("t").conversations().create(NewConversation.of(Owner.user("1"), "shared")).id();
        }
        List<Child> two = start(db, new long[] {0, 0}, List.of(
                List.of("a", "append", conversation.toString(), Integer.toString(n)),
                List.of("b", "append", conversation.toString(), Integer.toString(n))));
        List<Map<String, String>> acks = new ArrayList<>();
        for (Child c : two) {
            Map<String, String> byKey = new LinkedHashMap<>();
            for (String line : c.untilDone()) {
                String[] f = line.split(" ");
                assertThat(f[0]).isEqualTo("ACK");
                byKey.put(f[1], f[2] + ":" + f[3]);
            }
            acks.add(byKey);
        }
        assertThat(acks.get(0)).hasSize(n).isEqualTo(acks.get(1));
        List<String> histories = new ArrayList<>();
        for (Child c : two) {
            c.tell("READ");
            String line = c.out.readLine();
            assertThat(line).startsWith("HIST ");
            histories.add(line.substring(5));
        }
        assertThat(histories.get(1)).isEqualTo(histories.get(0));
        try (Atlas atlas = open(db, Clock.systemUTC())) {
            List<Message> all = atlas.tenant("t").conversations().messages(conversation, 0, 1000);
            assertThat(all).extracting(Message::sequence).containsExactlyElementsOf(LongStream.rangeClosed(1, n).boxed().toList());
            Map<String, String> stored = new HashMap<>();
            all.forEach(m -> stored.put(m.clientId(), m.id() + ":" + m.sequence()));
            assertThat(stored).isEqualTo(acks.get(0));
            assertThat(histories.get(0).split(",")).hasSize(n);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("Three JVMs, one an hour behind, claim tasks at once: each run once, none lost, a held lease not taken")
    void claimFromThreeJvms(String kind) throws Exception {
        String db = database(kind);
        int n = 24;
        UUID held;
        try (Atlas atlas = open(db, Clock.systemUTC())) {
            // Created an hour and a minute ago by the parent's clock: due for the JVM whose clock runs behind too.
            try (Atlas past = open(db, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-61)))) {
                for (int i = 0; i < n + 1; i++) {
                    past.tenant("t").tasks().create(NewTask.of("work", Map.of("i", i)));
                }
            }
            // One task held by a live worker (this process) under a long lease: nobody else may run it.
            ClaimedTask mine = atlas.tenant("t").tasks().claim(Duration.ofMinutes(30)).orElseThrow();
            held = mine.task().id();
            List<Child> three = start(db, new long[] {0, 0, -60}, List.of(List.of("a", "claim"), List.of("b", "claim"), List.of("c", "claim")));
            List<UUID> claimed = new ArrayList<>();
            for (Child c : three) {
                for (String line : c.untilDone()) {
                    String[] f = line.split(" ");
                    assertThat(f[0]).isEqualTo("CLAIMED");
                    claimed.add(UUID.fromString(f[1]));
                }
            }
            assertThat(claimed).doesNotHaveDuplicates().hasSize(n).doesNotContain(held);
            List<Task> tasks = atlas.tenant("t").tasks().list(TaskQuery.all().limit(100)).items();
            assertThat(tasks).hasSize(n + 1);
            for (Task task : tasks) {
                assertThat(task.status()).as("task %s", task.id()).isEqualTo(task.id().equals(held) ? TaskStatus.RUNNING : TaskStatus.COMPLETED);
                assertThat(task.attempts()).as("attempts of %s", task.id()).isEqualTo(1);
            }
            atlas.tenant("t").tasks().complete(mine, Map.of("by", "parent"));
        }
    }

    /** Every item of a keyset listing, page by page of {@code size}, the cursor of each page handed to the next. */
    private static <T> List<T> pages(Function<String, Page<T>> page, int firstPages, Runnable between) {
        List<T> all = new ArrayList<>();
        String cursor = null;
        int read = 0;
        do {
            if (read++ == firstPages) {
                between.run();
            }
            Page<T> p = page.apply(cursor);
            all.addAll(p.items());
            cursor = p.nextCursor().orElse(null);
        } while (cursor != null);
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("One JVM an hour behind: listings paged by id list every row that exists through the listing exactly once, in id order")
    void skewedClockListings(String kind) throws Exception {
        String db = database(kind);
        List<Child> two = start(db, new long[] {0, -60}, List.of(List.of("ontime", "create"), List.of("behind", "create")));
        Child ontime = two.get(0);
        Child behind = two.get(1);
        List<List<UUID>> made = new ArrayList<>();
        // Interleaved rounds: the JVM behind creates after the other, yet its ids sort before.
        for (int round = 0; round < 3; round++) {
            for (Child c : two) {
                c.tell("MAKE 2");
                for (String line : c.untilDone()) {
                    String[] f = line.split(" ");
                    made.add(List.of(UUID.fromString(f[1]), UUID.fromString(f[2]), UUID.fromString(f[3])));
                }
            }
        }
        try (Atlas atlas = open(db, Clock.systemUTC())) {
            Tenant t = atlas.tenant("t");
            List<UUID> conversations = made.stream().map(m -> m.get(0)).sorted().toList();
            List<UUID> executions = made.stream().map(m -> m.get(1)).sorted(Comparator.reverseOrder()).toList();
            List<UUID> calls = made.stream().map(m -> m.get(2)).sorted(Comparator.reverseOrder()).toList();
            // Byte order of the ids (the databases' order) is UUID order here: every id begins with a positive 48-bit millisecond.
            List<UUID> late = new ArrayList<>();
            Runnable meanwhile = () -> {
                try {
                    for (Child c : two) {
                        c.tell("MAKE 1");
                        for (String line : c.untilDone()) {
                            String[] f = line.split(" ");
                            late.add(UUID.fromString(f[1]));
                            late.add(UUID.fromString(f[2]));
                            late.add(UUID.fromString(f[3]));
                        }
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            };
            // Conversations in creation (id) order, 4 a page; two rows created after the second page was read.
            List<UUID> listed = pages(c -> t.conversations().list(ConversationQuery.all().order(ConversationQuery.Order.CREATION).limit(4).after(c)), 2,
                    meanwhile).stream().map(Conversation::id).toList();
            assertThat(listed).doesNotHaveDuplicates().isSortedAccordingTo(Comparator.naturalOrder());
            // Every conversation that existed through the listing, once; of those created meanwhile, the
            // on-time JVM's (its id sorts after the cursor); the one from the JVM behind sorts before the
            // cursor (past all of its earlier rows, 8 of 12 listed rows) and is not listed.
            assertThat(listed).containsExactly(concat(conversations, late.get(0)).toArray(UUID[]::new));
            List<UUID> listedExecutions = pages(c -> t.executions().list(ExecutionQuery.all().limit(4).after(c)), 1, () -> { })
                    .stream().map(Execution::id).toList();
            List<UUID> allExecutions = new ArrayList<>(executions);
            allExecutions.add(late.get(1));
            allExecutions.add(late.get(4));
            allExecutions.sort(Comparator.reverseOrder());
            assertThat(listedExecutions).containsExactlyElementsOf(allExecutions);
            List<UUID> listedCalls = pages(c -> t.executions().toolCalls(ToolCallQuery.all().limit(4).after(c)), 1, () -> { })
                    .stream().map(ToolCall::id).toList();
            List<UUID> allCalls = new ArrayList<>(calls);
            allCalls.add(late.get(2));
            allCalls.add(late.get(5));
            allCalls.sort(Comparator.reverseOrder());
            assertThat(listedCalls).containsExactlyElementsOf(allCalls);
        }
        ontime.tell("END");
        behind.tell("END");
    }

    private static List<UUID> concat(List<UUID> a, UUID b) {
        List<UUID> all = new ArrayList<>(a);
        all.add(b);
        all.sort(Comparator.naturalOrder());
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("Retention archiving and purging idle conversations in one JVM while another appends to them: no acknowledged message lost")
    void retentionWhileAppending(String kind) throws Exception {
        String db = database(kind);
        int conversations = 12;
        List<UUID> idle = new ArrayList<>();
        // Idle for two hours: retention archives and purges each unless a message arrives first.
        try (Atlas past = open(db, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-120)))) {
            for (int i = 0; i < conversations; i++) {
                UUID id = past.tenant("t").conversations().create(NewConversation.of(Owner.user("1"), "idle " + i)).id();
                past.tenant("t").conversations().append(id, NewMessage.user("old"));
                idle.add(id);
            }
        }
        String ids = String.join(",", idle.stream().map(UUID::toString).toList());
        // Both start at once; retention runs round after round until the appender is done.
        List<Child> two = start(db, new long[] {0, 0}, List.of(List.of("r", "retain"), List.of("w", "appendEach", ids, "4")));
        Child retention = two.get(0);
        Child writer = two.get(1);
        List<String[]> acked = new ArrayList<>();
        for (String line : writer.untilDone()) {
            String[] f = line.split(" ");
            assertThat(f[0]).isIn("ACK", "REFUSED");
            if (f[0].equals("ACK")) {
                acked.add(f);
            }
        }
        retention.tell("STOP");
        assertThat(retention.untilDone()).isEmpty();
        try (Atlas atlas = open(db, Clock.systemUTC())) {
            Set<String> missing = new HashSet<>();
            for (String[] a : acked) {
                UUID conversation = UUID.fromString(a[1]);
                Optional<Message> m;
                try {
                    m = atlas.tenant("t").conversations().messages(conversation, 0, 1000).stream()
                            .filter(x -> x.id().toString().equals(a[2])).findFirst();
                } catch (dev.atlas.NotFoundException e) {
                    m = Optional.empty();
                }
                if (m.isEmpty() || m.get().sequence() != Long.parseLong(a[3])) {
                    missing.add(a[1] + " " + a[2]);
                }
            }
            assertThat(missing).as("acknowledged messages no longer stored").isEmpty();
        }
    }
}
