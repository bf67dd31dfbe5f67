package dev.atlas.credential;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import dev.atlas.Atlas;
import dev.atlas.AtlasConfig;
import dev.atlas.ConfigurationException;

/**
 * The AES-256 keys that encrypt {@link CredentialStore} secrets, supplied by the host
 * application (from a KMS, a vault, an environment variable…); Atlas never stores them. Each key
 * has an id, which is stored beside every ciphertext, so keys can rotate: new writes use the
 * {@linkplain #primaryId() primary}, older rows still decrypt with the key they name, and
 * {@link CredentialStore#reEncrypt()} moves them to the primary.
 *
 * <pre>{@code
 * CredentialKeys keys = CredentialKeys.of("2026-03", newKeyBytes).with("2025-09", oldKeyBytes);
 * Atlas atlas = Atlas.builder().sqlite(file).credentialKeys(keys).build();
 * }</pre>
 *
 * Immutable. No public method returns key material: {@link #toString()}, {@link #ids()} and
 * {@link #primaryId()} show ids only, so these keys can sit in {@link AtlasConfig} (and in
 * {@link Atlas#config()}) without exposing the keys.
 */
public final class CredentialKeys {
    /** Allowed key ids: 1 to 64 characters of letters, digits, '.', '_' and '-'. */
    public static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** AES-256 key length in bytes. */
    public static final int KEY_BYTES = 32;

    private final String primaryId;
    private final Map<String, SecretKey> keys;

    static {
        // The cipher (dev.atlas.internal) is the only reader of key material; it gets it through
        // this hook rather than a public accessor any caller of Atlas.config() could use.
        dev.atlas.internal.KeyAccess.register((keys, id) -> Optional.ofNullable(keys.keys.get(id)));
    }

    private CredentialKeys(String primaryId, Map<String, SecretKey> keys) {
        this.primaryId = primaryId;
        this.keys = Collections.unmodifiableMap(keys);
    }

    /**
     * Keys with one entry, {@code id}, which is the primary. {@code key} must be 32 bytes; it is copied.
     *
     * @param id the id Atlas assigned
     * @param key the key
     * @return the new value
     */
    public static CredentialKeys of(String id, byte[] key) {
        Map<String, SecretKey> keys = new LinkedHashMap<>();
        keys.put(checkId(id), secretKey(id, key));
        return new CredentialKeys(id, keys);
    }

    /**
     * These keys plus an older one, still used to decrypt rows written with it.
     *
     * @param id the id Atlas assigned
     * @param key the key
     * @return a copy with this change
     */
    public CredentialKeys with(String id, byte[] key) {
        checkId(id);
        if (keys.containsKey(id)) {
            throw new ConfigurationException("credential key id '" + id + "' is given twice");
        }
        Map<String, SecretKey> copy = new LinkedHashMap<>(keys);
        copy.put(id, secretKey(id, key));
        return new CredentialKeys(primaryId, copy);
    }

    /**
     * The same keys with {@code id} (already present) as the primary used for new writes.
     *
     * @param id the id Atlas assigned
     * @return a copy with this change
     */
    public CredentialKeys primary(String id) {
        if (!keys.containsKey(id)) {
            throw new ConfigurationException("credential key id '" + id + "' is not among " + keys.keySet());
        }
        return new CredentialKeys(id, new LinkedHashMap<>(keys));
    }

    /**
     * The id of the key new writes use.
     *
     * @return the string
     */
    public String primaryId() {
        return primaryId;
    }

    /**
     * Every key id.
     *
     * @return the set
     */
    public Set<String> ids() {
        return keys.keySet();
    }

    private static String checkId(String id) {
        if (id == null || !KEY_ID.matcher(id).matches()) {
            throw new ConfigurationException("credential key id '" + id + "' is invalid: use 1 to 64 letters, digits, '.', '_' or '-'");
        }
        return id;
    }

    private static SecretKey secretKey(String id, byte[] key) {
        if (key == null || key.length != KEY_BYTES) {
            throw new ConfigurationException("credential key '" + id + "' must be " + KEY_BYTES + " bytes (AES-256), was "
                    + (key == null ? "null" : key.length + " bytes"));
        }
        byte[] copy = Arrays.copyOf(key, KEY_BYTES);
        return new SecretKeySpec(copy, "AES");
    }

    @Override
    public String toString() {
        return "CredentialKeys[primary=" + primaryId + ", ids=" + keys.keySet() + "]";
    }
}
