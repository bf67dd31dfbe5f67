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
}
