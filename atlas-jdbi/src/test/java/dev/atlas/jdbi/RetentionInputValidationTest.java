package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.RefusedBeforeSql;
import dev.atlas.retention.RetentionPolicy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;

/** Retention: bad policies are refused naming the field, with no SQL run (moved from RetentionContract). */
class RetentionInputValidationTest extends RefusedBeforeSql {
    @Test
    @DisplayName("bad policies are rejected naming the field")
    void badInput() {
        refused("deleteMessagesAfter", () -> RetentionPolicy.none().deleteMessagesOlderThan(Duration.ZERO));
        refused("hardDeleteAfter", () -> RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(-1)));
        refused("archiveIdleAfter", () -> RetentionPolicy.none().archiveIdleConversations(null));
        refused("purgeArchivedAfter", () -> RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(365L * 2000)));
        refused("purgeDetachedVoiceCallsAfter", () -> RetentionPolicy.none().purgeDetachedVoiceCallsAfter(Duration.ZERO));
        refused("purgeDetachedVoiceCallsAfter", () -> RetentionPolicy.none().purgeDetachedVoiceCallsAfter(Duration.ofDays(365L * 1000).plusNanos(1)));
        refused("purgeDetachedVoiceCallsAfter", () -> RetentionPolicy.none().purgeDetachedVoiceCallsAfter(null));
        refused("batchSize", () -> RetentionPolicy.none().batchSize(0));
        refused("batchSize", () -> RetentionPolicy.none().batchSize(10_001));
        refused("policy", () -> freshTenant().retention().runRetention(null));
    }
}
