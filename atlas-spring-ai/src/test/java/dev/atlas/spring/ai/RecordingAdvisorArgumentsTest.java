package dev.atlas.spring.ai;

import dev.atlas.Atlas;
import dev.atlas.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A bad provider key fails with InvalidInputException naming it (Atlas's public key check). */
class RecordingAdvisorArgumentsTest {
    @TempDir
    Path dir;

    @Test
    void badProviderIsNamed() {
        try (Atlas atlas = Atlas.sqlite(dir.resolve("args.db"))) {
            for (String bad : new String[]{null, " ", "x".repeat(256)}) {
                assertThatThrownBy(() -> AtlasRecordingAdvisor.of(atlas.tenant("acme"), null, bad, "support"))
                        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("provider"));
            }
            assertThat(AtlasRecordingAdvisor.of(atlas.tenant("acme"), null, "openai", "support")).isNotNull();
        }
    }

    @Test
    void badRepositoryAndAdvisorArgumentsAreNamedAtConstruction() {
        try (Atlas atlas = Atlas.sqlite(dir.resolve("args2.db"))) {
            dev.atlas.Tenant tenant = atlas.tenant("acme");
            dev.atlas.Owner owner = dev.atlas.Owner.user("42");
            assertNamed("tenant", () -> AtlasChatMemoryRepository.of(null, owner, "support"));
            assertNamed("owner", () -> AtlasChatMemoryRepository.of(tenant, null, "support"));
            assertNamed("agent", () -> AtlasChatMemoryRepository.of(tenant, owner, " "));
            assertNamed("agent", () -> AtlasChatMemoryRepository.of(tenant, owner, "x".repeat(256)));
            assertNamed("tenant", () -> AtlasRecordingAdvisor.of(null, null, "openai", "support"));
            assertNamed("agent", () -> AtlasRecordingAdvisor.of(tenant, null, "openai", " "));
            assertThat(AtlasChatMemoryRepository.of(tenant, owner, null).findConversationIds()).isEmpty();
            assertThat(AtlasRecordingAdvisor.of(tenant, null, "openai", null)).isNotNull();
        }
    }

    private static void assertNamed(String field, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field));
    }
}
