package dev.atlas.retention;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetentionReportTest {
    @Test
    @DisplayName("counts iterate in key order, whatever order the run added them in (so a printed report is the same on every run and database)")
    void countsAreInKeyOrder() {
        Map<String, Long> added = new LinkedHashMap<>();
        for (String key : new String[] {"vectors.deleted", "memories.deleted", "conversations.archived", "messages.deleted",
                "message_events.deleted", "tasks.deleted", "assets.deleted", "asset_blobs.deleted", "conversations.deleted",
                "executions.deleted", "voice_calls.unlinked", "messages.soft_deleted"}) {
            added.put(key, 1L);
        }
        RetentionReport report = new RetentionReport(false, added);
        assertThat(report.counts().keySet()).containsExactly("asset_blobs.deleted", "assets.deleted", "conversations.archived",
                "conversations.deleted", "executions.deleted", "memories.deleted", "message_events.deleted", "messages.deleted",
                "messages.soft_deleted", "tasks.deleted", "vectors.deleted", "voice_calls.unlinked");
        assertThat(report.toString()).startsWith("RetentionReport[dryRun=false, counts={asset_blobs.deleted=1, assets.deleted=1,");
        added.put("later", 2L);
        assertThat(report.counts()).doesNotContainKey("later").hasSize(12);
        assertThatThrownBy(() -> report.counts().put("x", 1L)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(report).isEqualTo(new RetentionReport(false, Map.copyOf(withoutLater(added))))
                .hasSameHashCodeAs(new RetentionReport(false, Map.copyOf(withoutLater(added))));
    }

    private static Map<String, Long> withoutLater(Map<String, Long> m) {
        Map<String, Long> copy = new LinkedHashMap<>(m);
        copy.remove("later");
        return copy;
    }
}
