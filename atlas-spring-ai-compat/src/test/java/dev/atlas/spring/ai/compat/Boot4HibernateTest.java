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
import java.util.List;

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

    /** Starts the application twice (the second start meets Atlas's full-text tables) and writes through JPA and Atlas. */
    private void startsTwice(String... properties) {
        for (int start = 1; start <= 2; start++) {
            long id = start;
            app(properties).run(context -> {
                assertThat(context).hasNotFailed();
                EntityManagerFactory jpa = context.getBean(EntityManagerFactory.class);
                var em = jpa.createEntityManager();
                em.getTransaction().begin();
                em.persist(new AppOrder(id, "item " + id));
                em.getTransaction().commit();
                assertThat(em.createQuery("select o.item from AppOrder o order by o.id", String.class).getResultList())
                        .isEqualTo(id == 1 ? List.of("item 1") : List.of("item 1", "item 2"));
                em.close();
                context.getBean(Tenant.class).conversations().create(NewConversation.of(Owner.user("42"), "support"));
            });
        }
    }

    @Test
    void jpaOnTheDataSourceAtlasSharesRestarts() {
        startsTwice("spring.datasource.url=jdbc:sqlite:" + dir.resolve("shared.db"));
    }

    @Test
    void jpaOnTheFileAtlasOpensWithItsOwnPoolRestarts() {
        Path file = dir.resolve("own.db");
        startsTwice("spring.datasource.url=jdbc:sqlite:" + file, "atlas.sqlite-path=" + dir.resolve(".").resolve("own.db"));
    }
}
