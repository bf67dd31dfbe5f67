package org.springframework.boot.micrometer.metrics.autoconfigure.export.simple;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Test stand-in for Spring Boot 4's auto-configuration of the same name (module spring-boot-micrometer-metrics, which
 * Boot 3.5 does not have): the application's MeterRegistry, made by an auto-configuration of Boot 4's package
 * (AtlasStarterBoot4Test).
 */
@AutoConfiguration
public class SimpleMetricsExportAutoConfiguration {
    @Bean
    SimpleMeterRegistry simpleMeterRegistry() {
        return new SimpleMeterRegistry();
    }
}
