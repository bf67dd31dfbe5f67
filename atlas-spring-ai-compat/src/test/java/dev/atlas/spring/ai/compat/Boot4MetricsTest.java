package dev.atlas.spring.ai.compat;

import dev.atlas.Tenant;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.spring.boot.AtlasAutoConfiguration;
import dev.atlas.spring.boot.AtlasMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On Spring Boot 4 itself, the registry made by Boot 4's own metrics auto-configuration (no bean of the test's)
 * gets Atlas's meters: the starter is ordered after Boot 4's metrics auto-configurations, which Boot 3.5's names
 * alone did not do. Compiled on this build only: Boot 3.5 has none of these classes.
 */
class Boot4MetricsTest {

    @TempDir
    Path dir;

    @Test
    void boot4sOwnMeterRegistryCountsAtlasExecutions() {
        new ApplicationContextRunner()
                // Listed before Boot's on purpose: the order comes from the starter's afterName, not from this list.
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, MetricsAutoConfiguration.class,
                        SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class))
                .withPropertyValues("atlas.sqlite-path=" + dir.resolve("atlas.db"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(AtlasMetrics.class);
                    Tenant tenant = context.getBean(Tenant.class);
                    tenant.executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> "done");
                    assertThat(context.getBean(MeterRegistry.class).get("atlas.executions")
                            .tags("status", "completed", "provider", "openai", "model", "gpt-4o").counter().count())
                            .isEqualTo(1.0);
                });
    }
}
