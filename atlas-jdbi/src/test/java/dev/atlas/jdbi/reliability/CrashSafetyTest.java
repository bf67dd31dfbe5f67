package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.ConversationStore;
import dev.atlas.Message;
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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer killed with SIGKILL mid-stream loses nothing it acknowledged and leaves no damage:
 * the child JVM prints each acknowledged write; after the kill, every one must be readable.
 */
class CrashSafetyTest {
    private static final int ACKS_BEFORE_KILL = 300;

    @TempDir
    Path dir;

    record Acks(UUID conversation, List<UUID> messages) {}

    private Acks runAndKill(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), CrashChild.class.getName()));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectError(dir.resolve("child.err").toFile()).start();
        UUID conversation = null;
        List<UUID> acked = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (acked.size() < ACKS_BEFORE_KILL && (line = out.readLine()) != null) {
                if (line.startsWith("CONV ")) {
                    conversation = UUID.fromString(line.substring(5));
                } else if (line.startsWith("ACK ")) {
                    acked.add(UUID.fromString(line.split(" ")[1]));
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
        return new Acks(conversation, acked);
    }

    private static void assertAllPresent(Atlas atlas, Acks acks) {
        ConversationStore store = atlas.tenant("crash").conversations();
        for (UUID id : acks.messages()) {
            assertThat(store.message(id)).as("acknowledged message " + id).isPresent();
        }
        long last = store.require(acks.conversation()).lastSequence();
        assertThat(last).isGreaterThanOrEqualTo(acks.messages().size());
        List<Message> all = new ArrayList<>();
        for (long after = 0; after < last; after += 1000) {
            all.addAll(store.messages(acks.conversation(), after, 1000));
        }
        assertThat(all).extracting(Message::sequence).containsExactlyElementsOf(LongStream.rangeClosed(1, last).boxed().toList());
    }

    @Test
    @DisplayName("SQLite: after SIGKILL the file passes integrity_check and holds every acknowledged write")
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
    @DisplayName("PostgreSQL: after the client is killed every committed write is there")
    void postgres() throws Exception {
        String url = PostgresTestDatabase.createDatabase("crash_" + ProcessHandle.current().pid());
        Acks acks = runAndKill("postgres", url);
        try (Atlas atlas = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").build()) {
            assertAllPresent(atlas, acks);
        }
    }
}
