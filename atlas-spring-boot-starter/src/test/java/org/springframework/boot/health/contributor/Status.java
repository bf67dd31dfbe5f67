package org.springframework.boot.health.contributor;

/** Test stand-in for Spring Boot 4's class of the same name (module spring-boot-health): the part the starter uses. */
public final class Status {
    /** The component works. */
    public static final Status UP = new Status("UP");
    /** The component does not work. */
    public static final Status DOWN = new Status("DOWN");

    private final String code;

    /**
     * A status of this code.
     *
     * @param code the code
     */
    public Status(String code) {
        this.code = code;
    }

    /**
     * The status's code.
     *
     * @return the code
     */
    public String getCode() {
        return code;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Status s && s.code.equals(code);
    }

    @Override
    public int hashCode() {
        return code.hashCode();
    }

    @Override
    public String toString() {
        return code;
    }
}
