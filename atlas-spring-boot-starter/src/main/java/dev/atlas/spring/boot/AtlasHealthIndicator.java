package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.AtlasException;
import dev.atlas.conversation.ConversationQuery;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * UP when Atlas answers a one-row read on its database; DOWN with the exception otherwise
 * (Atlas's messages never carry passwords, so the detail is safe to show).
 */
public class AtlasHealthIndicator extends AbstractHealthIndicator {
    private final Atlas atlas;

    public AtlasHealthIndicator(Atlas atlas) {
        super("Atlas health check failed");
        this.atlas = atlas;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        try {
            atlas.defaultTenant().conversations().list(ConversationQuery.all().limit(1));
            builder.up().withDetail("database", atlas.databaseKind().name().toLowerCase(java.util.Locale.ROOT));
        } catch (AtlasException e) {
            builder.down(e).withDetail("database", atlas.databaseKind().name().toLowerCase(java.util.Locale.ROOT));
        }
    }
}
