package dev.atlas;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.RevisionDiff;
import dev.atlas.assistant.RevisionKind;

class RevisionDiffTest {
    private static AssistantRevision rev(int n, String prompt, Map<String, Object> settings) {
        return new AssistantRevision(UUID.randomUUID(), "t", UUID.randomUUID(), n, RevisionKind.PUBLISHED, null, 0, prompt, settings,
                null, null, Instant.EPOCH);
    }

    @Test
    @DisplayName("a key whose value changes from null to a value, or changes JSON type, counts as changed")
    void nullsAndTypes() {
        java.util.HashMap<String, Object> a = new java.util.HashMap<>();
        a.put("x", null);
        a.put("y", 1);
        RevisionDiff d = RevisionDiff.between(rev(1, "p", a), rev(2, "p", Map.of("x", "v", "y", "1")));
        assertThat(d.changed()).containsExactlyInAnyOrder("x", "y");
        assertThat(d.added()).isEmpty();
        assertThat(d.removed()).isEmpty();
        assertThat(d.isEmpty()).isFalse();
        assertThat(RevisionDiff.between(rev(1, "p", Map.of()), rev(2, "p", Map.of())).isEmpty()).isTrue();
    }
}
