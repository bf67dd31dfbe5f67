package dev.atlas.jdbi.kit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Credential keys for tests: random-looking (CredentialKeys refuses obviously non-random ones) and the same in every run. */
public final class TestKeys {
    private TestKeys() {}

    /** The SHA-256 of {@code label}: 32 bytes, a fresh array on every call. */
    public static byte[] key(String label) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(("atlas test key " + label).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
