package dev.atlas.spring.boot;

import dev.atlas.Tenant;
import dev.atlas.execution.ExecutionSpec;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Spring Boot 4 changes for the starter, met on Boot 3.5: the auto-configurations Boot 3.5 has in
 * spring-boot-autoconfigure are gone from it (Boot 4 moved them to per-technology modules and packages), and the
 * MeterRegistry comes from an auto-configuration in Boot 4's package. The compat build (atlas-spring-ai-compat)
 * asserts the same on Boot 4 itself.
 */
class AtlasStarterBoot4Test {
    @TempDir
    Path dir;

    /** Boot 3.5's auto-configurations the starter is ordered after, none of which Boot 4's spring-boot-autoconfigure has. */
    private static final Set<String> GONE_ON_BOOT_4 = Set.of(
            "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
            "org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
            "org.springframework.boot.autoconfigure.liquibase.LiquibaseAutoConfiguration",
            "org.springframework.boot.autoconfigure.sql.init.SqlInitializationAutoConfiguration",
            // Moved too: Boot 4's is org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer.
            "org.springframework.boot.autoconfigure.flyway.FlywayConfigurationCustomizer");
    /** Boot 3.5's Actuator health types; Boot 4's are in org.springframework.boot.health. */
    private static final String GONE_HEALTH = "org.springframework.boot.actuate.health.";

    /**
     * The starter's classes as a Boot 4 application loads them: defined here (so their annotations resolve through this
     * loader), without Boot 3.5's auto-configuration classes; everything else from the test's class path.
     */
    private static final class Boot4Loader extends ClassLoader {
        Boot4Loader() {
            super(AtlasStarterBoot4Test.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (GONE_ON_BOOT_4.contains(name) || name.startsWith(GONE_HEALTH)) {
                    throw new ClassNotFoundException(name);
                }
                if (!name.startsWith("dev.atlas.spring.boot.")) {
                    return super.loadClass(name, resolve);
                }
                Class<?> own = findLoadedClass(name);
                if (own == null) {
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        byte[] bytes = in.readAllBytes();
                        own = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                return own;
            }
        }
    }

    @Test
    @DisplayName("on Boot 4 a MeterRegistry gets its AtlasMetrics: the starter is ordered after Boot 4's metrics"
            + " auto-configuration (names of both lines), and its nested configurations are read without Boot 3.5's"
            + " auto-configuration classes (no Class reference to them in the starter's annotations); the Flyway coexistence"
            + " is Boot 4's customizer type and the health component Boot 4's HealthIndicator, both by name")
    void meterRegistryOfBoot4GetsAtlasMetrics() throws Exception {
        ClassLoader boot4 = new Boot4Loader();
        Class<?> autoConfiguration = boot4.loadClass(AtlasAutoConfiguration.class.getName());
        new ApplicationContextRunner()
                .withClassLoader(boot4)
                .withConfiguration(AutoConfigurations.of(autoConfiguration, SimpleMetricsExportAutoConfiguration.class))
                .withPropertyValues("atlas.sqlite-path=" + dir.resolve("atlas.db"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    // By name: the context resolves some of the starter's types through the test's own loader.
                    assertThat(context.getBean("atlasMetrics").getClass().getName()).isEqualTo(AtlasMetrics.class.getName());
                    // Boot 4's Flyway customizer type, by name: an application adopting Flyway where Atlas came first gets
                    // its V1 applied (the schema holds Atlas's tables only, so Flyway baselines at 0), as on Boot 3.5.
                    Object coexistence = context.getBean("atlasFlywayCoexistence");
                    assertThat(coexistence).isInstanceOf(org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer.class);
                    assertThat(context.getBeanNamesForType(org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer.class))
                            .containsExactly("atlasFlywayCoexistence");
                    org.flywaydb.core.api.configuration.FluentConfiguration flyway = org.flywaydb.core.Flyway.configure()
                            .dataSource("jdbc:sqlite:" + dir.resolve("atlas.db"), null, null);
                    ((org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer) coexistence).customize(flyway);
                    assertThat(flyway.isBaselineOnMigrate()).isTrue();
                    assertThat(flyway.getBaselineVersion().getVersion()).isEqualTo("0");
                    // Actuator's health types moved too (org.springframework.boot.health.contributor): the atlas component is
                    // Boot 4's HealthIndicator, by name, with the details of Boot 3.5's (stand-ins of the Boot 4 types).
                    Object indicator = context.getBean("atlasHealthIndicator");
                    assertThat(context.getBeanNamesForType(org.springframework.boot.health.contributor.HealthIndicator.class))
                            .containsExactly("atlasHealthIndicator");
                    var health = (org.springframework.boot.health.contributor.HealthIndicator) indicator;
                    var up = health.health(true);
                    assertThat(up.getStatus()).isEqualTo(org.springframework.boot.health.contributor.Status.UP);
                    assertThat(up.getDetails()).containsExactly(java.util.Map.entry("database", "sqlite"));
                    Tenant tenant = context.getBean(Tenant.class);
                    tenant.executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> "done");
                    assertThat(context.getBean(MeterRegistry.class).get("atlas.executions")
                            .tags("status", "completed", "provider", "openai", "model", "gpt-4o").counter().count()).isEqualTo(1.0);
                    context.getBean(dev.atlas.Atlas.class).close();
                    var down = health.health();
                    assertThat(down.getStatus()).isEqualTo(org.springframework.boot.health.contributor.Status.DOWN);
                    assertThat(down.getDetails().keySet()).containsExactly("error", "database");
                    assertThat(down.getDetails()).containsEntry("database", "sqlite");
                    assertThat(String.valueOf(down.getDetails().get("error"))).startsWith("dev.atlas.AtlasClosedException: ");
                });
    }
    @Test
    @DisplayName("on Boot 4 an application built ahead of time (AOT, a native image) gets the Flyway coexistence and the"
            + " health component: their bean definitions are generated as code, and the hints name the JDK proxies and the"
            + " reflective calls of Boot 4's Health they need")
    void boot4BeansAreProcessedAheadOfTime() throws Exception {
        ClassLoader boot4 = new Boot4Loader();
        Class<?> autoConfiguration = boot4.loadClass(AtlasAutoConfiguration.class.getName());
        try (var context = new org.springframework.context.annotation.AnnotationConfigApplicationContext()) {
            context.setClassLoader(boot4);
            org.springframework.boot.test.util.TestPropertyValues.of("atlas.sqlite-path=" + dir.resolve("aot.db")).applyTo(context);
            context.register(autoConfiguration);
            var files = new org.springframework.aot.generate.InMemoryGeneratedFiles();
            var generation = new org.springframework.aot.generate.DefaultGenerationContext(
                    new org.springframework.aot.generate.ClassNameGenerator(org.springframework.javapoet.ClassName.get("com.example", "App")), files);
            new org.springframework.context.aot.ApplicationContextAotGenerator().processAheadOfTime(context, generation);
            generation.writeGeneratedContent();
            // Made by calls of the starter's factory methods in the generated code.
            String code = files.getGeneratedFiles(org.springframework.aot.generate.GeneratedFiles.Kind.SOURCE).values().stream()
                    .map(source -> {
                        try (InputStream in = source.getInputStream()) {
                            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).collect(java.util.stream.Collectors.joining("\n"));
            assertThat(code).contains("boot4FlywayCoexistence", "boot4HealthIndicator");
            var hints = generation.getRuntimeHints();
            assertThat(org.springframework.aot.hint.predicate.RuntimeHintsPredicates.proxies().forInterfaces(
                    org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer.class)).accepts(hints);
            assertThat(org.springframework.aot.hint.predicate.RuntimeHintsPredicates.proxies().forInterfaces(
                    org.springframework.boot.health.contributor.HealthIndicator.class,
                    org.springframework.beans.factory.DisposableBean.class)).accepts(hints);
            var reflection = org.springframework.aot.hint.predicate.RuntimeHintsPredicates.reflection();
            Class<?> health = org.springframework.boot.health.contributor.Health.class;
            Class<?> builder = org.springframework.boot.health.contributor.Health.Builder.class;
            for (java.lang.reflect.Method method : new java.lang.reflect.Method[] {health.getMethod("up"), health.getMethod("down"),
                    health.getMethod("down", Throwable.class), builder.getMethod("withDetail", String.class, Object.class),
                    builder.getMethod("build")}) {
                assertThat(reflection.onMethod(method)).as(method.toString()).accepts(hints);
            }
        }
    }
}
