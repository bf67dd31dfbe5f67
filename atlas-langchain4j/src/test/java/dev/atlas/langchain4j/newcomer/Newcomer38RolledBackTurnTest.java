package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.langchain4j.AtlasChatMemoryStore;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A newcomer's {@code @Transactional} turn (docs/api.md: an Atlas on a DataSource handing out the application's
 * transaction, as Spring's TransactionAwareDataSourceProxy does, joins it and rolls back with it) that rolls back, then
 * is retried with the very message instance built before the retry (Spring Retry around the transactional method): the
 * retried message must be stored, not taken for the rolled-back row whose sequence no longer exists.
 */
class Newcomer38RolledBackTurnTest {
    private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void aTurnRetriedAfterARollbackStoresItsMessage() throws Exception {
        SqliteTestDatabase database = new SqliteTestDatabase();
        database.open().close();   // the schema, migrated
        DataSource base = database.dataSource();
        AtomicReference<Connection> tx = new AtomicReference<>();
        DataSource joining = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Connection app = tx.get();
                    if (method.getName().equals("getConnection") && app != null) {
                        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                                (p, m, a) -> m.getName().equals("close") ? null : invoke(m, app, a));
                    }
                    return invoke(method, base, args);
                });
        try (Atlas atlas = Atlas.builder().dataSource(joining).build()) {
            AtlasChatMemoryStore store = AtlasChatMemoryStore.of(atlas.tenant("shop"));
            ChatMemory memory = MessageWindowChatMemory.builder().id("chat-1").maxMessages(20).chatMemoryStore(store).build();
            memory.add(UserMessage.from("hi"));
            memory.add(AiMessage.from("Hello!"));

            UserMessage question = UserMessage.from("where is order 5?");
            try (Connection app = base.getConnection()) {
                app.setAutoCommit(false);
                tx.set(app);
                memory.add(question);              // the turn's first write, then the model call fails
                tx.set(null);
                app.rollback();
                app.setAutoCommit(true);
            }
            assertThat(store.getMessages("chat-1")).isEqualTo(List.of(UserMessage.from("hi"), AiMessage.from("Hello!")));

            memory.add(question);                  // the retry, outside a transaction, with the same instance
            List<ChatMessage> expected = List.of(UserMessage.from("hi"), AiMessage.from("Hello!"), UserMessage.from("where is order 5?"));
            assertThat(memory.messages()).isEqualTo(expected);
            assertThat(AtlasChatMemoryStore.of(atlas.tenant("shop")).getMessages("chat-1")).isEqualTo(expected);
            memory.add(AiMessage.from("It shipped."));
            assertThat(AtlasChatMemoryStore.of(atlas.tenant("shop")).getMessages("chat-1")).containsExactly(UserMessage.from("hi"),
                    AiMessage.from("Hello!"), UserMessage.from("where is order 5?"), AiMessage.from("It shipped."));
        } finally {
            database.cleanup();
        }
    }
}
