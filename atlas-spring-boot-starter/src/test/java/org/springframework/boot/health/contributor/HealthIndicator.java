package org.springframework.boot.health.contributor;

/**
 * Test stand-in for Spring Boot 4's interface of the same name (module spring-boot-health), with its methods as Boot
 * 4.0 declares them: {@code health()}, and {@code health(boolean)} a default method calling it.
 */
@FunctionalInterface
public interface HealthIndicator extends HealthContributor {
    /**
     * @param includeDetails whether details are included (always, in this stand-in)
     * @return the health
     */
    default Health health(boolean includeDetails) {
        return health();
    }

    /** @return the health */
    Health health();
}
