package dev.atlas.internal;

import dev.atlas.CredentialDecryptionException;
import dev.atlas.credential.CredentialKeys;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CredentialCipherTest {
    private final CredentialCipher cipher = new CredentialCipher(CredentialKeys.of("k1", new java.security.SecureRandom().generateSeed(32)));

    @Test
    @DisplayName("associated data is unambiguous: shifting characters between identity parts changes it")
    void aadUnambiguous() {
        assertThat(CredentialCipher.aad("ab", "c")).isNotEqualTo(CredentialCipher.aad("a", "bc"));
        assertThat(CredentialCipher.aad("t", "user", "1", "openai", "k1")).isNotEqualTo(CredentialCipher.aad("t", "user1", "", "openai", "k1"));
    }

    @Test
    @DisplayName("decrypting under a shifted identity fails even when the concatenation is the same")
    void shiftedIdentityFails() {
        CredentialCipher.Sealed s = cipher.encrypt("secret", "t", "user", "12", "x");
        assertThat(cipher.decrypt(s, "t", "user", "12", "x")).isEqualTo("secret");
        assertThatThrownBy(() -> cipher.decrypt(s, "t", "user1", "2", "x")).isInstanceOf(CredentialDecryptionException.class);
    }

    @Test
    @DisplayName("a truncated or malformed ciphertext fails with CredentialDecryptionException")
    void malformed() {
        CredentialCipher.Sealed s = cipher.encrypt("secret", "t", "u", "1", "x");
        CredentialCipher.Sealed cut = new CredentialCipher.Sealed("k1", s.nonce(), Arrays.copyOf(s.ciphertext(), 5));
        assertThatThrownBy(() -> cipher.decrypt(cut, "t", "u", "1", "x")).isInstanceOf(CredentialDecryptionException.class);
        CredentialCipher.Sealed shortNonce = new CredentialCipher.Sealed("k1", new byte[4], s.ciphertext());
        assertThatThrownBy(() -> cipher.decrypt(shortNonce, "t", "u", "1", "x")).isInstanceOf(CredentialDecryptionException.class);
    }
}
