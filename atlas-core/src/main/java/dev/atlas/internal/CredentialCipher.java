package dev.atlas.internal;

import dev.atlas.ConfigurationException;
import dev.atlas.CredentialDecryptionException;
import dev.atlas.credential.CredentialKeys;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM for credentials. Not public API.
 *
 * <p>The associated data is every part of the row's identity, each length-prefixed so that no
 * two different identities encode alike ("ab"+"c" versus "a"+"bc").
 */
public final class CredentialCipher {
    /** AES-GCM nonce length in bytes. */
    public static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CredentialKeys keys;

    /**
     * Creates the value.
     *
     * @param keys the keys
     */
    public CredentialCipher(CredentialKeys keys) {
        this.keys = keys;
    }

    /**
     * The primary id.
     *
     * @return the string
     */
    public String primaryId() {
        return keys.primaryId();
    }

    /**
     * Ciphertext (with tag) and the nonce used.
     *
     * @param keyId id of the key that sealed it
     * @param nonce the random 96-bit nonce, 12 bytes
     * @param ciphertext the encrypted secret followed by the 16-byte GCM tag
     */
    public record Sealed(String keyId, byte[] nonce, byte[] ciphertext) {}

    /**
     * Encrypts {@code plaintext} with the primary key, binding it to the tenant, owner and name.
     *
     * @param plaintext the plaintext
     * @param tenant the tenant id
     * @param ownerType the owner type
     * @param ownerId the owner id
     * @param name the name
     * @return the sealed
     */
    public Sealed encrypt(String plaintext, String tenant, String ownerType, String ownerId, String name) {
        String keyId = keys.primaryId();
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        Cipher c = cipher(Cipher.ENCRYPT_MODE, KeyAccess.key(keys, keyId).orElseThrow(), nonce);
        c.updateAAD(aad(tenant, ownerType, ownerId, name, keyId));
        try {
            return new Sealed(keyId, nonce, c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw unavailable(e);
        }
    }

    /**
     * A cipher set up for {@code mode}. Failing here is the JVM's doing (no AES-GCM provider, or a
     * policy refusing 256-bit keys), never the stored data's: the nonce length is checked before.
     */
    private static Cipher cipher(int mode, SecretKey key, byte[] nonce) {
        try {
            Cipher c = Cipher.getInstance(TRANSFORMATION);
            c.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
            return c;
        } catch (GeneralSecurityException e) {
            throw unavailable(e);
        }
    }

    private static ConfigurationException unavailable(GeneralSecurityException e) {
        return new ConfigurationException("credentials need " + TRANSFORMATION + " with 256-bit keys, which this JVM's crypto"
                + " providers do not offer (" + e + "); use a Java runtime with the standard SunJCE provider", e);
    }

    /**
     * Decrypts a sealed value written for this tenant, owner and name.
     *
     * @param sealed the sealed
     * @param tenant the tenant id
     * @param ownerType the owner type
     * @param ownerId the owner id
     * @param name the name
     * @return the string
     */
    public String decrypt(Sealed sealed, String tenant, String ownerType, String ownerId, String name) {
        // Every owner may hold a credential of one name: the owner tells an operator which row failed.
        // Read back from a row: escaped, as anything an error message quotes, so a name or owner id
        // holding a line break forges no log line.
        String credential = "credential '" + Check.escaped(name) + "' of " + Check.escaped(ownerType) + ":" + Check.escaped(ownerId);
        SecretKey key = KeyAccess.key(keys, sealed.keyId()).orElseThrow(() -> new CredentialDecryptionException(
                credential + " was encrypted with key id " + Check.quoted(sealed.keyId()) + ", which is not configured (configured: "
                        + keys.ids() + ")"));
        if (sealed.nonce() == null || sealed.nonce().length != NONCE_BYTES || sealed.ciphertext() == null
                || sealed.ciphertext().length < TAG_BITS / 8) {
            throw new CredentialDecryptionException(credential + " has a malformed nonce or ciphertext");
        }
        Cipher c = cipher(Cipher.DECRYPT_MODE, key, sealed.nonce());
        c.updateAAD(aad(tenant, ownerType, ownerId, name, sealed.keyId()));
        try {
            return new String(c.doFinal(sealed.ciphertext()), StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new CredentialDecryptionException(credential + " failed authentication: the stored ciphertext was"
                    + " changed, moved from another row, or written with a different key", e);
        } catch (GeneralSecurityException | java.security.ProviderException e) {
            // ProviderException: the JDK reports some malformed inputs this way rather than as a checked exception.
            throw new CredentialDecryptionException(credential + " could not be decrypted: " + e.getMessage(), e);
        }
    }

    static byte[] aad(String... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("atlas-credential-v1".getBytes(StandardCharsets.US_ASCII));
        for (String part : parts) {
            byte[] b = part.getBytes(StandardCharsets.UTF_8);
            out.write(b.length >>> 24);
            out.write(b.length >>> 16);
            out.write(b.length >>> 8);
            out.write(b.length);
            out.writeBytes(b);
        }
        return out.toByteArray();
    }
}
