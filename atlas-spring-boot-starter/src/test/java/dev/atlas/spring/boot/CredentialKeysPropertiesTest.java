package dev.atlas.spring.boot;

import dev.atlas.ConfigurationException;
import dev.atlas.credential.CredentialKeys;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CredentialKeysPropertiesTest {
    private static final String WEAK = Base64.getEncoder().encodeToString(new byte[32]);
    private static final String RANDOM = Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));

    @Test
    @DisplayName("an all-zero key as the primary fails start-up naming its property, never its value; as an older key beside a random"
            + " primary it is accepted wherever the property sources list it, so rows sealed with it can be re-encrypted")
    void weakKeyOnlyAsAnOlderKey() {
        assertThatThrownBy(() -> AtlasAutoConfiguration.credentialKeys(Map.of("k1", WEAK), null))
                .isExactlyInstanceOf(ConfigurationException.class).hasMessageStartingWith("atlas.credential-keys.k1: ")
                .hasMessageNotContaining(WEAK);
        Map<String, String> oldFirst = new LinkedHashMap<>();
        oldFirst.put("old", WEAK);
        oldFirst.put("new", RANDOM);
        CredentialKeys keys = AtlasAutoConfiguration.credentialKeys(oldFirst, "new");
        assertThat(keys.primaryId()).isEqualTo("new");
        assertThat(keys.ids()).containsExactlyInAnyOrder("old", "new");
        assertThatThrownBy(() -> AtlasAutoConfiguration.credentialKeys(oldFirst, "old"))
                .isExactlyInstanceOf(ConfigurationException.class).hasMessageStartingWith("atlas.credential-keys.old: ");
    }

    @Test
    @DisplayName("a key whose ${...} placeholder is not set (Boot binds it as the literal text) fails start-up saying so, naming the"
            + " property and not the placeholder, as atlas.password does; it said only 'is not valid Base64', which sent the operator"
            + " to check key material that was never read. A value that is not Base64 for another reason is still named so")
    void unresolvedPlaceholderIsNamed() {
        assertThatThrownBy(() -> AtlasAutoConfiguration.credentialKeys(Map.of("k1", "${ATLAS_CREDENTIAL_KEY_K1}"), null))
                .isExactlyInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.credential-keys.k1 is a ${...} placeholder that is not set (no environment variable or property of"
                        + " that name): set it, or give a default with ${NAME:...}");
        Map<String, String> rotated = new LinkedHashMap<>();
        rotated.put("new", RANDOM);
        rotated.put("old", "${OLD_KEY:${OLDER_KEY}}");
        assertThatThrownBy(() -> AtlasAutoConfiguration.credentialKeys(rotated, "new")).isExactlyInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("atlas.credential-keys.old is a ${...} placeholder that is not set");
        assertThatThrownBy(() -> AtlasAutoConfiguration.credentialKeys(Map.of("k1", "not base64!"), null))
                .isExactlyInstanceOf(ConfigurationException.class).hasMessage("atlas.credential-keys.k1 is not valid Base64");
    }
}
