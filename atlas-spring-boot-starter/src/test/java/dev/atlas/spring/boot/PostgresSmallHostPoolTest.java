package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A small application on PostgreSQL whose pool has one connection (spring.datasource.hikari.maximum-pool-size=1):
 * Atlas's migration needs two connections at once (Flyway's lock and its work), which such a pool never gives.
 */
class PostgresSmallHostPoolTest {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    private static ConfigurableApplicationContext start(String url) {
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=" + url, "spring.datasource.username=postgres", "spring.datasource.password=postgres",
                        "spring.datasource.hikari.maximum-pool-size=1", "spring.datasource.hikari.connection-timeout=2000",
                        "spring.liquibase.enabled=false", "spring.flyway.enabled=false")
                .run();
    }

    @Test
    @DisplayName("an application pool of one connection on PostgreSQL: Atlas migrates (through a temporary connection) and works,"
            + " on a new database and on one already migrated; the pool keeps its one connection")
    void onePooledConnection() {
        String url = PostgresTestDatabase.createDatabase("starter_small_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet());
        Conversation c;
        try (ConfigurableApplicationContext ctx = start(url)) {
            Atlas atlas = ctx.getBean(Atlas.class);
            c = atlas.conversations().create(NewConversation.of(Owner.user("1")));
            atlas.conversations().append(c.id(), NewMessage.user("hello"));
            assertThat(ctx.getBean(com.zaxxer.hikari.HikariDataSource.class).getMaximumPoolSize()).isEqualTo(1);
        }
        try (ConfigurableApplicationContext ctx = start(url)) {
            assertThat(ctx.getBean(Atlas.class).conversations().history(c.id())).hasSize(1);
        }
    }

    @Test
    @DisplayName("the temporary pool registers no meters: an application pool of one with Micrometer's tracker keeps the only pool meters")
    void temporaryPoolHasNoMeters() throws Exception {
        String url = PostgresTestDatabase.createDatabase("starter_small_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet());
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername("postgres");
        config.setPassword("postgres");
        config.setMaximumPoolSize(1);
        config.setConnectionTimeout(2000);
        config.setPoolName("app");
        config.setMetricsTrackerFactory(new com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory(registry));
        try (com.zaxxer.hikari.HikariDataSource app = new com.zaxxer.hikari.HikariDataSource(config)) {
            try (Atlas atlas = Atlas.builder().dataSource(app).build()) {
                assertThat(atlas.conversations().create(NewConversation.of(Owner.user("1")))).isNotNull();
            }
            assertThat(registry.getMeters()).isNotEmpty().allSatisfy(m -> assertThat(m.getId().getTag("pool")).isEqualTo("app"));
        }
    }
}
