package dev.atlas.credential;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import dev.atlas.ConfigurationException;
import dev.atlas.InvalidInputException;

/**
 * A secret value: a decrypted credential or a database password. {@link #toString()} never
 * shows it, so a secret that ends up in a log line or an exception message stays hidden; call
 * {@link #reveal()} where it is used. {@link #equals} compares in constant time and
 * {@link #hashCode()} is a keyed hash (the key is random per JVM), so neither tells anything
 * about the plaintext. It is not {@link java.io.Serializable}, and JSON serialisers find no property
 * to write (the plaintext is in a {@code transient} field, which serialisers that read fields skip too),
 * so it cannot leave through a session, a log line or a response by accident.
 *
 * <p>The plaintext is a {@code String}, which the JVM cannot wipe: there is no {@code close()} or
 * zeroing, since it would promise what it cannot do. Keep a {@code Secret} no longer than the call
 * that uses it and fetch it again from {@link CredentialStore} next time.
 */
public final class Secret {
    private static final byte[] HASH_KEY = new byte[32];

    static {
        new SecureRandom().nextBytes(HASH_KEY);
    }

    // transient: serialisers that read private fields (Jackson with field visibility ANY, Gson, reflective
    // toString builders) skip transient fields, so the plaintext never reaches their output.
    private final transient String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    /**
     * Wraps {@code value}; a null value is refused with {@link InvalidInputException} naming {@code value}.
     *
     * @param value the value
     * @return the new value
     */
    public static Secret of(String value) {
        if (value == null) {
            throw new InvalidInputException("value", "must not be null");
        }
        return new Secret(value);
    }

    /**
     * The plaintext.
     *
     * @return the string
     */
    public String reveal() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && MessageDigest.isEqual(utf16(value), utf16(s.value));
    }

    @Override
    public int hashCode() {
        // A plain String hash would let anyone who sees it (a debugger, a heap summary, a
        // HashMap's layout) test guesses offline; a keyed MAC with a per-JVM key does not.
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(HASH_KEY, "HmacSHA256"));
            return ByteBuffer.wrap(mac.doFinal(utf16(value))).getInt();
        } catch (GeneralSecurityException e) {
            throw new ConfigurationException("this JVM lacks HmacSHA256, which every Java SE platform must provide", e);
        }
    }

    /**
     * Every UTF-16 unit as two bytes: unlike a charset encoder, which turns an unpaired surrogate
     * into '?', this keeps distinct texts distinct, so equals and hashCode compare the exact text.
     */
    private static byte[] utf16(String text) {
        byte[] bytes = new byte[text.length() * 2];
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            bytes[2 * i] = (byte) (c >>> 8);
            bytes[2 * i + 1] = (byte) c;
        }
        return bytes;
    }

    @Override
    public String toString() {
        return "Secret[****]";
    }
}
