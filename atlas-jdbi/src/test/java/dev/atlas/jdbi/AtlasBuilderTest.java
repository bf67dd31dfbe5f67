package dev.atlas.jdbi;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.AtlasClosedException;
import dev.atlas.ConfigurationException;
import dev.atlas.DatabaseKind;
import dev.atlas.NewConversation;
import dev.atlas.Owner;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtlasBuilderTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("Atlas.sqlite opens a new file in a new directory, migrated and ready")
    void sqliteOneCall() {
        Path file = dir.resolve("nested/dir/agent.db");
        try (Atlas atlas = Atlas.sqlite(file)) {
            assertThat(atlas.databaseKind()).isEqualTo(DatabaseKind.SQLITE);
            atlas.conversations().create(NewConversation.of(Owner.user("1")));
        }
        assertThat(Files.exists(file)).isTrue();
        try (Atlas again = Atlas.sqlite(file)) {
            assertThat(again.conversations().list(dev.atlas.ConversationQuery.all()).items()).hasSize(1);
        }
    }

    @Test
    @DisplayName("an in-memory SQLite URL works from many threads: Atlas keeps its one connection")
    void inMemorySqlite() throws Exception {
        try (Atlas atlas = Atlas.builder().jdbcUrl("jdbc:sqlite::memory:").build()) {
            var convo = atlas.conversations().create(NewConversation.of(Owner.user("1")));
            var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                var futures = new java.util.ArrayList<java.util.concurrent.Future<?>>();
                for (int i = 0; i < 40; i++) {
                    int n = i;
                    futures.add(pool.submit(() -> atlas.conversations().append(convo.id(), dev.atlas.NewMessage.user("m" + n))));
                    futures.add(pool.submit(() -> atlas.conversations().history(convo.id())));
                }
                for (var f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            assertThat(atlas.conversations().require(convo.id()).lastSequence()).isEqualTo(40);
        }
    }

    @Test
    @DisplayName("the shorthands on Atlas are the default tenant's stores")
    void defaultTenantShorthands() {
        try (Atlas atlas = Atlas.sqlite(dir.resolve("shorthand.db"))) {
            var c = atlas.conversations().create(NewConversation.of(Owner.user("1")));
            atlas.executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> null);
            atlas.memories().add(dev.atlas.NewMemory.fact(Owner.user("1"), "likes tea"));
            var tenant = atlas.tenant(Atlas.DEFAULT_TENANT);
            assertThat(tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items()).hasSize(1);
            assertThat(tenant.memories().list(dev.atlas.MemoryQuery.all()).items()).hasSize(1);
            assertThat(atlas.tenant("other").executions().list(dev.atlas.execution.ExecutionQuery.all()).items()).isEmpty();
        }
    }

    @Test
    @DisplayName("an invalid table prefix is rejected with what is allowed")
    void badPrefix() {
        for (String bad : new String[] {"Atlas_", "1x", "a-b", "", "x;drop table y", "a".repeat(31)}) {
            assertThatThrownBy(() -> Atlas.builder().tablePrefix(bad)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("lowercase letters, digits and underscores");
        }
        assertThatThrownBy(() -> Atlas.builder().tablePrefix(null)).isInstanceOf(ConfigurationException.class);
    }

    @Test
    @DisplayName("building without a database, or with two, fails and says what to set")
    void exactlyOneSource() {
        assertThatThrownBy(() -> Atlas.builder().build()).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("exactly one of");
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("a.db")).jdbcUrl("jdbc:sqlite:x").build())
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Atlas.builder().jdbcUrl("jdbc:mysql://x")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("jdbc:postgresql:");
        assertThatThrownBy(() -> Atlas.builder().historyLimit(0)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Atlas.builder().maxPoolSize(0)).isInstanceOf(ConfigurationException.class);
    }

    @Test
    @DisplayName("an unreachable database fails at build time with a ConfigurationException")
    void unreachable() {
        assertThatThrownBy(() -> Atlas.builder().jdbcUrl("jdbc:postgresql://127.0.0.1:1/none").build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("127.0.0.1:1");
    }

    @Test
    @DisplayName("a data source the application supplied is never closed by Atlas")
    void suppliedPoolStaysOpen() {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:sqlite:" + dir.resolve("host.db"));
        try (HikariDataSource host = new HikariDataSource(hc)) {
            Atlas atlas = Atlas.builder().dataSource(host).build();
            var store = atlas.conversations();
            store.create(NewConversation.of(Owner.user("1")));
            atlas.close();
            assertThatThrownBy(() -> store.create(NewConversation.of(Owner.user("1")))).isInstanceOf(AtlasClosedException.class)
                    .hasMessageContaining("closed");
            assertThat(host.isClosed()).isFalse();
            assertThatThrownBy(() -> atlas.tenant("x")).isInstanceOf(AtlasClosedException.class);
        }
    }

    @Test
    @DisplayName("the configuration's toString never shows the password")
    void passwordHidden() {
        var config = Atlas.builder().jdbcUrl("jdbc:postgresql://h/db").credentials("u", "s3cret").config();
        assertThat(config.toString()).doesNotContain("s3cret");
    }
}
