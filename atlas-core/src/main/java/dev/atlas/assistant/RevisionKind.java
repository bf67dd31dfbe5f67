package dev.atlas.assistant;

import dev.atlas.internal.Check;

/** How an {@link AssistantRevision} came to be. */
public enum RevisionKind {
    /** New content given to {@link AssistantStore#publish}. */
    PUBLISHED("published"),
    /** A copy of an earlier revision's content made by {@link AssistantStore#rollback}. */
    ROLLBACK("rollback");

    private final String wire;

    RevisionKind(String wire) {
        this.wire = wire;
    }

    @Override
    public String toString() {
        return wire;
    }

    /**
     * Creates a {@code RevisionKind} from {@code value}.
     *
     * @param value the value
     * @return the new value
     */
    public static RevisionKind of(String value) {
        return Check.enumValue("kind", RevisionKind.class, value);
    }
}
