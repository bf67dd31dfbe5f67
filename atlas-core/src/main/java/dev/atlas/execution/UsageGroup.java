package dev.atlas.execution;

/**
 * How a usage report groups executions. OWNER is the execution's own owner ({@link ExecutionSpec#owner})
 * or else its conversation's owner; PROJECT is {@link ExecutionSpec#project}. TENANT
 * is one row per tenant: the calling tenant's only in a tenant's report, every tenant's in
 * {@link dev.atlas.Atlas#usageReport}, where AGENT, CONVERSATION, OWNER and PROJECT group each
 * tenant apart (the tenant first in the key: {@link UsageRow#group()}).
 */
public enum UsageGroup {
    /** Stored as {@code "day"}. */
    DAY("day"),
    /** Stored as {@code "provider"}. */
    PROVIDER("provider"),
    /** Stored as {@code "model"}. */
    MODEL("model"),
    /** Stored as {@code "agent"}. */
    AGENT("agent"),
    /** Stored as {@code "conversation"}. */
    CONVERSATION("conversation"),
    /** Stored as {@code "owner"}. */
    OWNER("owner"),
    /** Stored as {@code "tenant"}. */
    TENANT("tenant"),
    /** Stored as {@code "project"}. */
    PROJECT("project");

    private final String wire;

    UsageGroup(String wire) {
        this.wire = wire;
    }

    /** The stored form; also accepted by {@link #of(String)}. */
    @Override
    public String toString() {
        return wire;
    }

    /**
     * Parses the stored form (case-insensitive), naming the allowed values when it is unknown.
     *
     * @param value the value
     * @return the new value
     */
    public static UsageGroup of(String value) {
        return dev.atlas.internal.Check.enumValue("group", UsageGroup.class, value);
    }
}
