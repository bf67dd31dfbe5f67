package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The connection lost after PostgreSQL committed a write and before its reply arrived: the write
 * is stored, and the caller cannot know. A proxy between Atlas and the server drops the reply that
 * carries a chosen command tag, and closes both ends.
 */
class PostgresLostReplyTest {
    private ReplyCutter proxy;
    private Atlas atlas;
    private ConversationStore store;
    private String database;

    @BeforeEach
    void open() throws IOException {
        database = "atlas_lost_reply_" + ProcessHandle.current().pid() + "_" + System.nanoTime();
        PostgresTestDatabase.createMigratedDatabase(database);
        proxy = new ReplyCutter(PostgresTestDatabase.server().getPort());
        atlas = Atlas.builder().jdbcUrl("jdbc:postgresql://localhost:" + proxy.port() + "/" + database)
                .credentials("postgres", "postgres").maxPoolSize(2).build();
        store = atlas.tenant("t").conversations();
    }

    @AfterEach
    void close() throws IOException {
        atlas.close();
        proxy.close();
    }

    @Test
    @DisplayName("a plain append whose reply is lost after the commit: StorageException with isOutcomeUnknown(), not retryable; the message is stored once")
    void plainAppendReplyLostAfterCommit() {
        UUID conversation = store.create(NewConversation.of(Owner.user("1"))).id();
        store.append(conversation, NewMessage.user("before"));
        // The one-statement append (auto-commit) returns the sequence: its reply is tagged SELECT 1, sent after the commit.
        proxy.cutReplyContaining("SELECT 1");
        StorageException e = catchThrowableOfType(StorageException.class, () -> store.append(conversation, NewMessage.user("lost reply")));
        assertThat(proxy.cuts()).isEqualTo(1);
        assertThat(e.isOutcomeUnknown()).isTrue();
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("may have been stored");
        assertThat(store.messages(conversation, 0, 10)).extracting(Message::content).containsExactly("before", "lost reply");
    }

    @Test
    @DisplayName("an append with a client id whose COMMIT reply is lost: isOutcomeUnknown(); repeating it returns the stored message, stored once")
    void keyedAppendCommitReplyLost() {
        UUID conversation = store.create(NewConversation.of(Owner.user("1"))).id();
        proxy.cutReplyContaining("COMMIT");
        StorageException e = catchThrowableOfType(StorageException.class,
                () -> store.append(conversation, NewMessage.user("keyed").clientId("k-1")));
        assertThat(proxy.cuts()).isEqualTo(1);
        assertThat(e.isOutcomeUnknown()).isTrue();
        assertThat(e.isRetryable()).isFalse();
        Message again = store.append(conversation, NewMessage.user("keyed").clientId("k-1"));
        assertThat(store.messages(conversation, 0, 10)).extracting(Message::id).containsExactly(again.id());
    }

    @Test
    @DisplayName("a connection lost before the commit was sent: retryable, outcome known (nothing stored)")
    void lostBeforeCommit() {
        UUID conversation = store.create(NewConversation.of(Owner.user("1"))).id();
        // The keyed append's transaction: the reply to its first statement is dropped, so COMMIT is never sent.
        proxy.cutReplyContaining("BEGIN");
        StorageException e = catchThrowableOfType(StorageException.class,
                () -> store.append(conversation, NewMessage.user("never").clientId("k-2")));
        assertThat(proxy.cuts()).isEqualTo(1);
        assertThat(e.isOutcomeUnknown()).isFalse();
        assertThat(e.isRetryable()).isTrue();
        assertThat(store.messages(conversation, 0, 10)).isEmpty();
    }

    @Test
    @DisplayName("close() giving up on a keyed append whose COMMIT reply never came: isOutcomeUnknown(), not 'rolled back'; the message is stored")
    void closeAbandonsAWriteWhileItCommits() throws Exception {
        Atlas closing = Atlas.builder().jdbcUrl("jdbc:postgresql://localhost:" + proxy.port() + "/" + database)
                .credentials("postgres", "postgres").maxPoolSize(2).closeTimeout(java.time.Duration.ofMillis(200)).build();
        ConversationStore conversations = closing.tenant("t").conversations();
        UUID conversation = conversations.create(NewConversation.of(Owner.user("1"))).id();
        proxy.swallowReplyContaining("COMMIT");
        java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<Message> append = writer.submit(() -> conversations.append(conversation, NewMessage.user("keyed").clientId("k-3")));
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            while (proxy.cuts() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(proxy.cuts()).isEqualTo(1);
            closing.close();
            java.util.concurrent.ExecutionException failed = catchThrowableOfType(java.util.concurrent.ExecutionException.class, append::get);
            assertThat(failed.getCause()).isInstanceOf(StorageException.class)
                    .hasMessageStartingWith("Atlas was closed with this call still running after its closeTimeout (PT0.2S) while its write was committing");
            StorageException e = (StorageException) failed.getCause();
            assertThat(e.isOutcomeUnknown()).isTrue();
            assertThat(e.isRetryable()).isFalse();
        } finally {
            writer.shutdownNow();
        }
        assertThat(store.messages(conversation, 0, 10)).extracting(Message::content).containsExactly("keyed");
    }

    /** Forwards bytes both ways; once armed, drops the first server chunk holding the tag and closes both ends. */
    static final class ReplyCutter implements AutoCloseable {
        private final ServerSocket listener;
        private final int target;
        private final AtomicReference<byte[]> armed = new AtomicReference<>();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private volatile int cuts;
        private volatile boolean swallow;

        ReplyCutter(int target) throws IOException {
            this.target = target;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread accept = new Thread(this::accept, "reply-cutter");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        int cuts() {
            return cuts;
        }

        void cutReplyContaining(String tag) {
            armed.set(tag.getBytes(StandardCharsets.US_ASCII));
        }

        /** Drops the first server chunk holding the tag and every later one of that connection, leaving both ends open. */
        void swallowReplyContaining(String tag) {
            swallow = true;
            cutReplyContaining(tag);
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                    sockets.add(client);
                    sockets.add(server);
                    pump(client, server, false);
                    pump(server, client, true);
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void pump(Socket from, Socket to, boolean replies) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[64 * 1024];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        byte[] tag = armed.get();
                        if (replies && tag != null && contains(buffer, n, tag) && armed.compareAndSet(tag, null)) {
                            cuts++;
                            if (swallow) {
                                // Reads on, forwarding nothing: the client waits for a reply that never comes.
                                while (in.read(buffer) > 0) {
                                    // dropped
                                }
                            }
                            from.close();
                            to.close();
                            return;
                        }
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // the other side closed
                } finally {
                    closeQuietly(from);
                    closeQuietly(to);
                }
            }, "reply-cutter-pump");
            t.setDaemon(true);
            t.start();
        }

        private static boolean contains(byte[] buffer, int length, byte[] tag) {
            outer:
            for (int i = 0; i + tag.length <= length; i++) {
                for (int j = 0; j < tag.length; j++) {
                    if (buffer[i + j] != tag[j]) {
                        continue outer;
                    }
                }
                return true;
            }
            return false;
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            sockets.forEach(ReplyCutter::closeQuietly);
        }
    }
}
