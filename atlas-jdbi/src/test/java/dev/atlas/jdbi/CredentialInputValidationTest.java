package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.ConfigurationException;
import dev.atlas.Owner;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.credential.CredentialStore;
import dev.atlas.jdbi.kit.RefusedBeforeSql;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Credentials and their keys: bad input and missing keys are refused with no SQL run (moved from CredentialStoreContract). */
class CredentialInputValidationTest extends RefusedBeforeSql {
    private static final Owner ALICE = Owner.user("alice");
    private static final byte[] K1 = randomKey();
    private static final byte[] K2 = randomKey();

    private CredentialStore store;

    private static byte[] randomKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).credentialKeys(CredentialKeys.of("k1", K1));
    }

    @BeforeEach
    void store() {
        store = freshTenant().credentials();
    }

    @Test
    @DisplayName("bad owners, names and secrets are rejected naming the field, and nothing is written")
    void badInput() {
        refused("owner", () -> store.upsert(null, "n", "s"));
        refused("name", () -> store.upsert(ALICE, " ", "s"));
        refused("name", () -> store.upsert(ALICE, "x".repeat(256), "s"));
        refused("name", () -> store.upsert(ALICE, "a\u0000", "s"));
        refused("secret", () -> store.upsert(ALICE, "n", null));
        refused("secret", () -> store.upsert(ALICE, "n", "a\u0000b"));
        refused("secret", () -> store.upsert(ALICE, "n", "\uDC00"));
        refused("secret", () -> store.upsert(ALICE, "n", "x".repeat(CredentialStore.MAX_SECRET_LENGTH + 1)));
        refused("name", () -> store.get(ALICE, null));
        refused("owner", () -> store.list(null));
        assertThat(store.list(ALICE)).isEmpty();
    }

    @Test
    @DisplayName("without configured keys every credential call fails with a ConfigurationException saying how to fix it")
    void noKeys() {
        Atlas plain = another(b -> b);
        CredentialStore c = plain.tenant("acme").credentials();
        List<ThrowingCallable> calls = List.of(() -> c.upsert(ALICE, "n", "s"), () -> c.get(ALICE, "n"), () -> c.list(ALICE),
                () -> c.delete(ALICE, "n"), c::reEncrypt);
        for (ThrowingCallable call : calls) {
            assertThat(refused(ConfigurationException.class, call)).hasMessageContaining("credentialKeys");
        }
    }

    @Test
    @DisplayName("credential keys must be 32 bytes with valid ids, and never show key material in toString")
    void keyValidation() {
        assertThat(refused(ConfigurationException.class, () -> CredentialKeys.of("k", new byte[31]))).hasMessageContaining("32");
        refused(ConfigurationException.class, () -> CredentialKeys.of("k", null));
        refused(ConfigurationException.class, () -> CredentialKeys.of("bad id", K1));
        refused(ConfigurationException.class, () -> CredentialKeys.of("k", K1).with("k", K2));
        refused(ConfigurationException.class, () -> CredentialKeys.of("k", K1).primary("missing"));
        refused(ConfigurationException.class, () -> Atlas.builder().credentialKeys(null).config());
        CredentialKeys keys = CredentialKeys.of("k2", K2).with("k1", K1).primary("k1");
        assertThat(keys.primaryId()).isEqualTo("k1");
        String shown = keys + " " + atlas.config();
        assertThat(shown).contains("k1").contains("k2")
                .doesNotContain(HexFormat.of().formatHex(K1)).doesNotContain(Arrays.toString(K1))
                .doesNotContain(java.util.Base64.getEncoder().encodeToString(K1));
        byte[] mutable = randomKey();
        CredentialKeys copy = CredentialKeys.of("m", mutable);
        var sealed = new dev.atlas.internal.CredentialCipher(copy).encrypt("plain", "t", "user", "1", "n");
        mutable[0] ^= 1;
        assertThat(new dev.atlas.internal.CredentialCipher(copy).decrypt(sealed, "t", "user", "1", "n")).isEqualTo("plain");
    }

    @Test
    @DisplayName("an obviously non-random key (all one byte, fewer than 16 distinct bytes, a short pattern repeated, or all printable"
            + " ASCII text) is a ConfigurationException naming the key id as primary (of, primary); accepted as an older key to rotate away from;"
            + " key bytes never shown")
    void obviouslyNonRandomKeysAreRefused() {
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xFF);
        byte[] halves = new byte[32];
        System.arraycopy(K1, 0, halves, 0, 8);
        System.arraycopy(K1, 0, halves, 8, 8);
        System.arraycopy(K1, 0, halves, 16, 8);
        System.arraycopy(K1, 0, halves, 24, 8);
        byte[] text = "The quick brown fox jumps over!!".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] hex = HexFormat.of().formatHex(Arrays.copyOf(K1, 16)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (byte[] weak : List.of(new byte[32], ones, halves, text, hex)) {
            String shown = Arrays.toString(weak);
            assertThat(refused(ConfigurationException.class, () -> CredentialKeys.of("weak-1", weak)))
                    .hasMessageStartingWith("credential key 'weak-1' ").hasMessageNotContaining(shown)
                    .hasMessageNotContaining(HexFormat.of().formatHex(weak));
            // Accepted as an older key, so rows sealed with it can be read and moved by reEncrypt; never as the primary.
            CredentialKeys rotating = CredentialKeys.of("k", K1).with("old-2", weak);
            assertThat(rotating.ids()).containsExactly("k", "old-2");
            assertThat(refused(ConfigurationException.class, () -> rotating.primary("old-2")))
                    .hasMessageStartingWith("credential key 'old-2' ").hasMessageNotContaining(shown);
        }
        // A random key passes, and so does one with a few repeated bytes: only the obviously non-random is refused.
        byte[] fewRepeats = K1.clone();
        fewRepeats[1] = fewRepeats[0];
        fewRepeats[2] = fewRepeats[0];
        assertThat(CredentialKeys.of("k", fewRepeats).primaryId()).isEqualTo("k");
    }
}
