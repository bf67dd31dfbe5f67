package dev.atlas.internal;

import dev.atlas.credential.CredentialKeys;

import java.util.Optional;
import java.util.function.BiFunction;
import javax.crypto.SecretKey;

/**
 * How {@link CredentialCipher} reads key material that {@link CredentialKeys} does not expose
 * publicly. {@code CredentialKeys} registers the reader when its class initialises, which
 * happens before any instance can reach {@link #key}. Not public API.
 */
public final class KeyAccess {
    private static volatile BiFunction<CredentialKeys, String, Optional<SecretKey>> reader;

    private KeyAccess() {}

    /**
     * Called once, by {@link CredentialKeys}'s static initialiser; later calls are refused.
     *
     * @param keyReader the key reader
     */
    public static synchronized void register(BiFunction<CredentialKeys, String, Optional<SecretKey>> keyReader) {
        if (reader != null) {
            throw new dev.atlas.ConfigurationException("the credential key reader is registered already");
        }
        reader = keyReader;
    }

    /**
     * The key with this id, if configured.
     *
     * @param keys the keys
     * @param id the id Atlas assigned
     * @return the SecretKey, or empty when there is none (an id of another tenant is absent)
     */
    public static Optional<SecretKey> key(CredentialKeys keys, String id) {
        return reader.apply(keys, id);
    }
}
