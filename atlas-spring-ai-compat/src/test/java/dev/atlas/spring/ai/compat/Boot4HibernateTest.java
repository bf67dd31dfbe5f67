package dev.atlas.spring.ai.compat;

import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import dev.atlas.spring.ai.compat.jpa.AppOrder;
import dev.atlas.spring.boot.AtlasAutoConfiguration;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.support.GenericApplicationContext;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JPA application on Spring Boot 4 (Hibernate 7, {@code ddl-auto=update}) whose SQLite database holds Atlas's tables,
 * restarted: Hibernate's schema tools must read the entity tables one by one, as on Boot 3.5 ({@code WebAppContract}),
 * without the application setting {@code hibernate.hbm2ddl.jdbc_metadata_extraction_strategy} itself.
 */
class Boot4HibernateTest {
    @TempDir
    Path dir;

    private static ApplicationContextRunner app(String... properties) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, DataSourceAutoConfiguration.class,
                        HibernateJpaAutoConfiguration.class))
                .withInitializer(context -> AutoConfigurationPackages.register((GenericApplicationContext) context,
                        AppOrder.class.getPackageName()))
                .withPropertyValues("spring.jpa.hibernate.ddl-auto=update", "spring.jpa.open-in-view=false",
                        "spring.flyway.enabled=false")
                .withPropertyValues(properties);
    }

    /** Starts the application with {@code properties}, writes through JPA and Atlas, and reads back the {@code start} orders so far. */
    private static void start(int start, String... properties) {
        app(properties).run(context -> {
            assertThat(context).hasNotFailed();
            EntityManagerFactory jpa = context.getBean(EntityManagerFactory.class);
            var em = jpa.createEntityManager();
            em.getTransaction().begin();
            em.persist(new AppOrder((long) start, "item " + start));
            em.getTransaction().commit();
            assertThat(em.createQuery("select o.item from AppOrder o order by o.id", String.class).getResultList())
                    .isEqualTo(java.util.stream.IntStream.rangeClosed(1, start).mapToObj(i -> "item " + i).toList());
            em.close();
            context.getBean(Tenant.class).conversations().create(NewConversation.of(Owner.user("42"), "support"));
        });
    }

    /**
     * Restarted on the DataSource Atlas shares (the second start meets Atlas's full-text tables), then with Atlas on a pool
     * of its own naming the same file, spelt another way: each start is refused without the setting.
     */
    @Test
    void jpaOnTheDatabaseHoldingAtlasTablesRestarts() {
        Path file = dir.resolve("app.db");
        start(1, "spring.datasource.url=jdbc:sqlite:" + file);
        start(2, "spring.datasource.url=jdbc:sqlite:" + file);
        start(3, "spring.datasource.url=jdbc:sqlite:" + file, "atlas.sqlite-path=" + dir.resolve(".").resolve("app.db"));
    }
}
