package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.NewToolCall;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.task.ClaimedTask;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Child JVM for {@link MultiJvmTest}: one process of an application scaled out on one database,
 * with its own id generator, caches and clock. Arguments: the database ({@code sqlite:<file>} or a
 * PostgreSQL JDBC URL), this process's name, the work and the work's arguments. The system property
 * {@code multijvm.offsetMinutes} shifts the clock passed to Atlas (a host whose clock runs behind).
 * It opens Atlas, prints {@code READY}, waits for {@code GO}, works, printing what each call
 * returned, then {@code DONE}; the {@code append} work then waits for {@code READ} and prints the
 * history it reads, {@code create} works a round per {@code MAKE n} line until another line, and
 * {@code retain} runs retention until {@code STOP}. Any failure is printed as {@code FAILED <exception>}.
 */
public final class MultiJvmChild {
    public static void main(String[] args) throws Exception {
        String db = args[0];
        String name = args[1];
        String work = args[2];
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Clock clock = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(Long.getLong("multijvm.offsetMinutes", 0)));
        AtlasBuilder builder = db.startsWith("sqlite:") ? Atlas.builder().sqlite(Path.of(db.substring(7)))
                : Atlas.builder().jdbcUrl(db).credentials("postgres", "postgres").maxPoolSize(3);
        try (Atlas atlas = builder.clock(clock).build()) {
            Tenant t = atlas.tenant("t");
            System.out.println("READY");
            System.out.flush();
            expect(in, "GO");
            switch (work) {
                case "append" -> {
                    UUID conversation = UUID.fromString(args[3]);
                    int n = Integer.parseInt(args[4]);
                    for (int k = 0; k < n; k++) {
                        Message m = t.conversations().append(conversation, NewMessage.user("m" + k).clientId("k" + k));
                        System.out.println("ACK k" + k + " " + m.id() + " " + m.sequence());
                    }
                    System.out.println("DONE");
                    System.out.flush();
                    expect(in, "READ");
                    System.out.println("HIST " + t.conversations().messages(conversation, 0, 1000).stream()
                            .map(m -> m.id() + ":" + m.sequence() + ":" + m.clientId()).collect(Collectors.joining(",")));
                }
                case "claim" -> {
                    for (Optional<ClaimedTask> c = t.tasks().claim(Duration.ofMinutes(5)); c.isPresent(); c = t.tasks().claim(Duration.ofMinutes(5))) {
                        t.tasks().complete(c.get(), Map.of("by", name));
                        System.out.println("CLAIMED " + c.get().task().id());
                    }
                    System.out.println("DONE");
                }
                case "create" -> {
                    // Rounds on the parent's word: "MAKE n" creates n conversations, each with an execution and a tool call.
                    for (String line = in.readLine(); line != null && line.startsWith("MAKE "); line = in.readLine()) {
                        int n = Integer.parseInt(line.substring(5));
                        for (int i = 0; i < n; i++) {
                            UUID conversation = t.conversations().create(NewConversation.of(Owner.user("1"), name + " " + i)).id();
                            ExecutionHandle exec = t.executions().start(ExecutionSpec.text("p", "m").conversation(conversation));
                            UUID call = exec.toolCall(NewToolCall.of(null, "tool", "{}")).id();
                            exec.complete();
                            System.out.println("MADE " + conversation + " " + exec.id() + " " + call);
                        }
                        System.out.println("DONE");
                        System.out.flush();
                    }
                }
                case "retain" -> {
                    // Rounds until the parent writes STOP.
                    RetentionPolicy policy = RetentionPolicy.none().archiveIdleConversations(Duration.ofMinutes(30))
                            .purgeArchivedAfter(Duration.ofMillis(1)).batchSize(1);
                    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
                    Thread reader = new Thread(() -> {
                        try {
                            expect(in, "STOP");
                        } catch (Exception e) {
                            System.out.println("FAILED " + e);
                        }
                        stop.set(true);
                    });
                    reader.start();
                    while (!stop.get()) {
                        t.retention().runRetention(policy);
                    }
                    System.out.println("DONE");
                }
                case "appendEach" -> {
                    List<UUID> conversations = java.util.Arrays.stream(args[3].split(",")).map(UUID::fromString).toList();
                    int n = Integer.parseInt(args[4]);
                    for (int k = 0; k < n; k++) {
                        for (UUID conversation : conversations) {
                            try {
                                Message m = t.conversations().append(conversation, NewMessage.user("late " + k).clientId("late" + k));
                                System.out.println("ACK " + conversation + " " + m.id() + " " + m.sequence());
                            } catch (dev.atlas.AtlasException e) {
                                System.out.println("REFUSED " + conversation + " " + e.getClass().getSimpleName());
                            }
                        }
                    }
                    System.out.println("DONE");
                }
                default -> throw new IllegalArgumentException(work);
            }
        } catch (Throwable e) {
            System.out.println("FAILED " + e.toString().replace('\n', ' '));
        }
        System.out.flush();
    }

    private static void expect(BufferedReader in, String word) throws Exception {
        String line = in.readLine();
        if (!word.equals(line)) {
            throw new IllegalStateException("expected " + word + " from the parent, got " + line);
        }
    }
}
