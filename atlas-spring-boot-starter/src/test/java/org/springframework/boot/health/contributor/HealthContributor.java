package org.springframework.boot.health.contributor;

/** Test stand-in for Spring Boot 4's interface of the same name (sealed there; not needed here). */
public interface HealthContributor {
}
