package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.TaskStore;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Child JVM for {@link ConcurrentStartTest}: one process of an application scaled out on one
 * SQLite file. Arguments: the file and this process's name. It prints {@code READY}, opens Atlas
 * when the parent writes {@code OPEN} (all children at once), creates its tasks and prints
 * {@code OPENED}; on {@code GO} it joins the shared conversation, appends (each append sent twice,
 * as a client retrying after a lost reply) and claims tasks until none is left, printing what each
 * call returned, then {@code DONE}. Any failure is printed as {@code FAILED <exception>}.
 */
public final class StartChild {
    static final int APPENDS = 40;
    static final int TASKS = 10;

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        String name = args[1];
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        // Load Atlas's classes before the start signal, so the children race on the database, not on class loading.
        Class.forName("dev.atlas.jdbi.JdbiAtlasFactory");
        Class.forName("org.sqlite.JDBC");
        System.out.println("READY");
        System.out.flush();
        try {
            expect(in, "OPEN");
            try (Atlas atlas = Atlas.sqlite(file)) {
                TaskStore tasks = atlas.tenant("t").tasks();
                for (int i = 0; i < TASKS; i++) {
                    tasks.create(NewTask.of("work", Map.of("by", name, "i", i)));
                }
                System.out.println("OPENED");
                System.out.flush();
                expect(in, "GO");
                ConversationStore conversations = atlas.tenant("t").conversations();
                UUID conversation = conversations.ensure("shared", NewConversation.of(Owner.user("1"), "shared")).id();
                System.out.println("CONV " + conversation);
                for (int k = 0; k < APPENDS; k++) {
                    NewMessage m = NewMessage.user(name + " " + k).clientId(name + "-" + k);
                    Message first = conversations.append(conversation, m);
                    Message again = conversations.append(conversation, m);
                    System.out.println("ACK " + first.id() + " " + first.sequence() + " " + again.id() + " " + again.sequence());
                }
                for (Optional<ClaimedTask> c = tasks.claim(Duration.ofMinutes(5)); c.isPresent(); c = tasks.claim(Duration.ofMinutes(5))) {
                    tasks.complete(c.get(), Map.of("by", name));
                    System.out.println("CLAIMED " + c.get().task().id());
                }
                System.out.println("DONE");
            }
        } catch (Throwable t) {
            System.out.println("FAILED " + t.toString().replace('\n', ' '));
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
