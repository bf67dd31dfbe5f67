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
}
