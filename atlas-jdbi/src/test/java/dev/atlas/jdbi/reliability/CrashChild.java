package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;

import java.nio.file.Path;
import java.util.UUID;

/**
 * Child JVM for the crash tests: writes in a loop and prints one line per acknowledged write,
 * until the parent kills it with SIGKILL. Arguments: {@code sqlite <file>} or
 * {@code postgres <jdbcUrl>}, then optionally the number of extra writer threads, each appending to
 * its own conversation ({@code SIDE c}, then {@code ACK id sequence} per append), so SQLite's group
 * commit is killed with batches of several callers in flight.
 */
public final class CrashChild {
    public static void main(String[] args) {
        Atlas atlas = args[0].equals("sqlite")
                ? Atlas.sqlite(Path.of(args[1]))
                : Atlas.builder().jdbcUrl(args[1]).credentials("postgres", "postgres").build();
        ConversationStore store = atlas.tenant("crash").conversations();
        UUID conversation = store.create(NewConversation.of(Owner.user("1"), "crash")).id();
        ack("CONV " + conversation);
        int extra = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        for (int w = 0; w < extra; w++) {
            UUID side = store.create(NewConversation.of(Owner.user("side-" + w), "side")).id();
            ack("SIDE " + side);
            Thread writer = new Thread(() -> {
                for (long i = 0; ; i++) {
                    var m = store.append(side, NewMessage.user("side " + i).clientId("s" + i));
                    ack("ACK " + m.id() + " " + m.sequence());
                }
            });
            writer.setDaemon(true);
            writer.start();
        }
        for (long i = 0; ; i++) {
            var m = store.append(conversation, NewMessage.user("message " + i + " " + "x".repeat(200)).clientId("c" + i));
            ack("ACK " + m.id() + " " + m.sequence());
            CrashWork.afterAppend(atlas, conversation, i, CrashChild::ack);
        }
    }

    /** Reports a write whose call returned: it must survive the kill. */
    static void ack(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
