package org.springframework.boot.health.contributor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test stand-in for Spring Boot 4's class of the same name (module spring-boot-health), with the factories and builder
 * methods Boot 4.0 declares that the starter calls: {@code up()}, {@code down()}, {@code down(Throwable)} (an
 * {@code error} detail "class: message"), {@code Builder.withDetail}, {@code Builder.build}.
 */
public final class Health {
    private final Status status;
    private final Map<String, Object> details;

    private Health(Builder builder) {
        this.status = builder.status;
        this.details = Collections.unmodifiableMap(builder.details);
    }

    /** @return the status */
    public Status getStatus() {
        return status;
    }

    /** @return the details, in the order they were added */
    public Map<String, Object> getDetails() {
        return details;
    }

    /** @return a builder with status UP */
    public static Builder up() {
        return new Builder(Status.UP);
    }

    /** @return a builder with status DOWN */
    public static Builder down() {
        return new Builder(Status.DOWN);
    }

    /**
     * @param ex the exception
     * @return a builder with status DOWN and the exception's {@code error} detail
     */
    public static Builder down(Throwable ex) {
        return down().withDetail("error", ex.getClass().getName() + ": " + ex.getMessage());
    }

    /** Builder of a {@link Health}. */
    public static class Builder {
        private final Status status;
        private final Map<String, Object> details = new LinkedHashMap<>();

        Builder(Status status) {
            this.status = status;
        }

        /**
         * @param key the detail's key
         * @param value its value
         * @return this builder
         */
        public Builder withDetail(String key, Object value) {
            details.put(key, value);
            return this;
        }

        /** @return the health */
        public Health build() {
            return new Health(this);
        }
    }
}
