package dev.atlas.credential;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@link Secret}'s value semantics: equal exactly when the texts are equal. */
class SecretTest {
    @Test
    @DisplayName("secrets differing only in unpaired surrogates (which UTF-8 encoding turns into '?') are not equal, nor equal to '?'"
            + " (a database password is any String); equal texts are equal with equal hash codes")
    void equalExactlyWhenTheTextIs() {
        assertThat(Secret.of("?")).isNotEqualTo(Secret.of("\uD800"));
        assertThat(Secret.of("a\uD800")).isNotEqualTo(Secret.of("a\uDC00"));
        assertThat(Secret.of("pw\uDBFF")).isNotEqualTo(Secret.of("pw?"));
        assertThat(Secret.of("\uD800").hashCode()).isNotEqualTo(Secret.of("?").hashCode());
        assertThat(Secret.of("s\uD83D\uDE00\uD800")).isEqualTo(Secret.of("s\uD83D\uDE00\uD800"))
                .hasSameHashCodeAs(Secret.of("s\uD83D\uDE00\uD800"));
        assertThat(Secret.of("")).isEqualTo(Secret.of("")).isNotEqualTo(Secret.of("\u0000"));
    }
}
