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
    @Test
    @DisplayName("RevisionDiff refuses null parts with InvalidInputException naming them, as its Javadoc says, never a NullPointerException")
    void nullPartsAreRefused() {
        java.util.Set<String> none = java.util.Set.of();
        java.util.Set<String> withNull = new java.util.HashSet<>(java.util.Collections.singleton(null));
        java.util.List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> calls = java.util.List.of(
                () -> new RevisionDiff(1, 2, null, none, none, false), () -> new RevisionDiff(1, 2, none, null, none, false),
                () -> new RevisionDiff(1, 2, none, none, withNull, false), () -> RevisionDiff.between(null, rev(1, "p", Map.of())),
                () -> RevisionDiff.between(rev(1, "p", Map.of()), null));
        java.util.List<String> fields = java.util.List.of("added", "removed", "changed", "from", "to");
        for (int i = 0; i < calls.size(); i++) {
            String field = fields.get(i);
            org.assertj.core.api.Assertions.assertThatThrownBy(calls.get(i))
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field));
        }
    }
}
