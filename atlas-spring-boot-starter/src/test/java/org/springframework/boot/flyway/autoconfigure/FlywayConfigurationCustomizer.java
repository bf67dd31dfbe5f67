package org.springframework.boot.flyway.autoconfigure;

import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * Test stand-in for Spring Boot 4's interface of the same name (module spring-boot-flyway, which Boot 3.5 does not
 * have), with its one method as Boot 4.0 declares it: the customizer the starter registers on Boot 4
 * (AtlasStarterBoot4Test). On the Boot 3.5 class path of the other tests the starter keeps Boot 3.5's.
 */
@FunctionalInterface
public interface FlywayConfigurationCustomizer {
    /**
     * Customizes Flyway's configuration.
     *
     * @param configuration the configuration to customize
     */
    void customize(FluentConfiguration configuration);
}
