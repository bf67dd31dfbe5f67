package dev.atlas.bench;

import org.springframework.ai.chat.memory.repository.jdbc.JdbcChatMemoryRepository;
import org.springframework.ai.chat.memory.repository.jdbc.PostgresChatMemoryRepositoryDialect;
import org.springframework.ai.chat.memory.repository.jdbc.SqliteChatMemoryRepositoryDialect;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.UserMessage;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Spring AI's {@link JdbcChatMemoryRepository} used through its own API. The repository has no
 * "add one message": {@code saveAll} replaces the conversation, so adding a message is
 * {@code findByConversationId} + {@code saveAll(all + new)}, which is what its
 * {@code MessageWindowChatMemory} does too.
 */
final class SpringChatMemory {
    private final JdbcChatMemoryRepository repository;

    SpringChatMemory(BenchDatabase.Opened db) {
        boolean sqlite = db.dialect() == dev.atlas.jdbi.internal.Dialect.SQLITE;
        createSchema(db.dataSource(), sqlite ? "schema-sqlite.sql" : "schema-postgresql.sql");
        this.repository = JdbcChatMemoryRepository.builder()
                .dataSource(db.dataSource())
                .dialect(sqlite ? new SqliteChatMemoryRepositoryDialect() : new PostgresChatMemoryRepositoryDialect())
                .build();
    }

    /** Runs the schema script shipped in Spring AI's jar for this database. */
    private static void createSchema(DataSource ds, String script) {
        String path = "/org/springframework/ai/chat/memory/repository/jdbc/" + script;
        try (InputStream in = JdbcChatMemoryRepository.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("Spring AI ships no " + path);
            }
            String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                for (String statement : sql.split(";")) {
                    if (!statement.isBlank()) {
                        s.execute(statement);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("creating Spring AI's schema failed", e);
        }
    }

    static Message message(long n) {
        return n % 2 == 1 ? new UserMessage(Messages.content(n)) : new AssistantMessage(Messages.content(n));
    }

    /** Stores a conversation of {@code count} messages with one {@code saveAll}. */
    void seed(String conversationId, int count) {
        List<Message> all = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            all.add(message(i));
        }
        repository.saveAll(conversationId, all);
    }

    /** Adds one message the only way the repository's API allows. */
    void add(String conversationId, Message message) {
        List<Message> all = new ArrayList<>(repository.findByConversationId(conversationId));
        all.add(message);
        repository.saveAll(conversationId, all);
    }

    /** Spring AI's default chat memory: {@code MessageWindowChatMemory} over this repository, keeping the last 20 messages. */
    org.springframework.ai.chat.memory.ChatMemory window() {
        return org.springframework.ai.chat.memory.MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
    }

    /** The repository itself, for benchmarks that use it through Spring AI's chat memory. */
    JdbcChatMemoryRepository repository() {
        return repository;
    }

    List<Message> load(String conversationId) {
        return repository.findByConversationId(conversationId);
    }
}
