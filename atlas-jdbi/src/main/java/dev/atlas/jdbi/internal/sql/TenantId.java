package dev.atlas.jdbi.internal.sql;

import dev.atlas.internal.Check;

/** The tenant a {@link Sql} runner is bound to: a validated tenant id, never null or blank. */
public record TenantId(String value) {
    public TenantId {
        Check.tenantId("tenantId", value);
    }

    @Override
    public String toString() {
        return value;
    }
}
