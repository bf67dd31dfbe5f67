package dev.atlas.credential;

import dev.atlas.internal.Check;
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
import org.jspecify.annotations.Nullable;

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
 * {@link #primaryId()} show ids only, and a serialiser that reads fields finds only the primary id, so
 * these keys can sit in {@link AtlasConfig} (and in {@link Atlas#config()}) without exposing the keys.
 */
public final class CredentialKeys {
    /** Allowed key ids: 1 to 64 characters of letters, digits, '.', '_' and '-'. */
    public static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** AES-256 key length in bytes. */
    public static final int KEY_BYTES = 32;

    private final String primaryId;
    // transient: a serialiser that reads private fields (Jackson with field visibility ANY, Gson) would
    // otherwise write each SecretKeySpec's encoded key; they skip transient fields.
    private final transient Map<String, SecretKey> keys;

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
     * Keys with one entry, {@code id}, which is the primary. {@code key} must be 32 random bytes; it is copied.
     * An obviously non-random key is a {@link ConfigurationException} naming {@code id}: fewer than 16 distinct
     * byte values (all zero, one byte or a short pattern repeated) or all printable ASCII (a passphrase, or hex
     * or Base64 text not decoded). A random key fails these checks with a probability below 2e-14.
     *
     * @param id the application's name for this key ({@link #KEY_ID}), stored beside each ciphertext it seals
     * @param key the key
     * @return the new value
     * @throws ConfigurationException naming {@code id} when the id is invalid, or the key is not 32 bytes or obviously non-random
     */
    public static CredentialKeys of(String id, byte[] key) {
        Map<String, SecretKey> keys = new LinkedHashMap<>();
        keys.put(checkId(id), secretKey(id, key, true));
        return new CredentialKeys(id, keys);
    }

    /**
     * These keys plus an older one, still used to decrypt rows written with it. Unlike {@link #of}, an obviously
     * non-random key is accepted here, so that rows an earlier version sealed with one can be read and
     * {@linkplain CredentialStore#reEncrypt() moved} to a random primary; {@link #primary(String)} refuses it.
     *
     * @param id the application's name for this key ({@link #KEY_ID}), as stored beside the ciphertexts it sealed
     * @param key the key
     * @return a copy with this change
     * @throws ConfigurationException naming {@code id} when the id is invalid or already present, or the key is not 32 bytes
     */
    public CredentialKeys with(String id, byte[] key) {
        checkId(id);
        if (keys.containsKey(id)) {
            throw new ConfigurationException("credential key id '" + id + "' is given twice");
        }
        Map<String, SecretKey> copy = new LinkedHashMap<>(keys);
        copy.put(id, secretKey(id, key, false));
        return new CredentialKeys(primaryId, copy);
    }

    /**
     * The same keys with {@code id} (already present) as the primary used for new writes. An obviously
     * non-random key (see {@link #of}) is refused as primary.
     *
     * @param id the id of one of these keys
     * @return a copy with this change
     * @throws ConfigurationException naming {@code id} when it is not among these keys, or its key is obviously non-random
     */
    public CredentialKeys primary(String id) {
        if (!keys.containsKey(id)) {
            throw new ConfigurationException("credential key id " + Check.quoted(id) + " is not among " + keys.keySet());
        }
        byte[] key = keys.get(id).getEncoded();
        try {
            checkRandom(id, key);
        } finally {
            Arrays.fill(key, (byte) 0);
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
            throw new ConfigurationException("credential key id " + Check.quoted(id) + " is invalid: use 1 to 64 letters, digits, '.', '_' or '-'");
        }
        return id;
    }

    private static SecretKey secretKey(String id, byte[] key, boolean primary) {
        if (key == null || key.length != KEY_BYTES) {
            throw new ConfigurationException("credential key '" + id + "' must be " + KEY_BYTES + " bytes (AES-256), was "
                    + (key == null ? "null" : key.length + " bytes"));
        }
        if (primary) {
            checkRandom(id, key);
        }
        byte[] copy = Arrays.copyOf(key, KEY_BYTES);
        return new SecretKeySpec(copy, "AES");
    }

    private static void checkRandom(String id, byte[] key) {
        String weak = nonRandom(key);
        if (weak != null) {
            // Says why, never which bytes: the message may reach a log.
            throw new ConfigurationException("credential key '" + id + "' is " + weak + ", so it is not a random key and may not"
                    + " be the primary; use " + KEY_BYTES + " bytes from a SecureRandom, a KMS or `openssl rand -base64 32`"
                    + " (Base64-decoded)");
        }
    }

    /** Fewest distinct byte values a key may have: 32 random bytes have fewer than 16 with a chance of about 1e-16. */
    static final int MIN_DISTINCT_BYTES = 16;

    /**
     * Why {@code key} is obviously not random, or {@code null}. Refused: fewer than {@link #MIN_DISTINCT_BYTES} distinct
     * byte values (all zero, one byte repeated, a short pattern repeated) and all printable ASCII (a passphrase, or hex or
     * Base64 text not decoded). A random key is refused by chance with a probability below 2e-14.
     */
    private static @Nullable String nonRandom(byte[] key) {
        boolean[] seen = new boolean[256];
        int distinct = 0;
        boolean text = true;
        for (byte b : key) {
            if (!seen[b & 0xFF]) {
                seen[b & 0xFF] = true;
                distinct++;
            }
            text &= b >= 0x20 && b < 0x7F;
        }
        return distinct < MIN_DISTINCT_BYTES ? "made of only " + distinct + " distinct byte value" + (distinct == 1 ? "" : "s")
                + " (a random key has about 30)"
                : text ? "all printable ASCII text (a passphrase, or hex or Base64 not decoded)" : null;
    }

    @Override
    public String toString() {
        return "CredentialKeys[primary=" + primaryId + ", ids=" + keys.keySet() + "]";
    }
}
