package dev.atlas.credential;

import java.util.List;
import java.util.Optional;

import dev.atlas.AtlasBuilder;
import dev.atlas.ConfigurationException;
import dev.atlas.CredentialDecryptionException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;

import dev.atlas.NotFoundException;
import org.jspecify.annotations.Nullable;

/**
 * Third-party secrets (API keys, OAuth tokens) per owner and name, encrypted at rest with
 * AES-256-GCM under keys the host supplies through {@link AtlasBuilder#credentialKeys(CredentialKeys)}.
 * Each write uses a fresh random 96-bit nonce; tenant, owner, name and key id are bound as
 * associated data, so a ciphertext copied to another row fails to decrypt. Obtain it from
 * {@link Tenant#credentials()}; without configured keys every call fails with
 * {@link ConfigurationException}, and so does a call that needs the cipher on a JVM whose crypto
 * providers lack AES-GCM (a {@link CredentialDecryptionException} always means the stored data or
 * the key, never the JVM).
 *
 * <pre>{@code
 * CredentialStore creds = atlas.tenant("acme").credentials();
 * creds.upsert(Owner.user("42"), "openai", "sk-...");
 * String apiKey = creds.get(Owner.user("42"), "openai").orElseThrow().reveal();
 * }</pre>
 */
public interface CredentialStore {
    /** Longest accepted secret, in characters. */
    int MAX_SECRET_LENGTH = 1 << 16;

    /**
     * Most bytes of UTF-8 that a credential's tenant id, owner type, owner id and name take
     * together. Each is within its own limit at any length, but four long non-ASCII keys would not
     * fit the unique index on them (PostgreSQL's holds an entry of at most 2,704 bytes), so a longer
     * identity is refused on every database alike. An entry adds at most 33 bytes of headers and
     * alignment to the four values, so up to 2,671 would fit; the limit keeps a margin below that.
     */
    int MAX_IDENTITY_BYTES = 2560;

    /**
     * Stores (or replaces) {@code owner}'s secret called {@code name}, encrypted with the primary key.
     * A name whose UTF-8 bytes, with the owner's and the tenant id's, pass {@link #MAX_IDENTITY_BYTES}
     * is an {@link dev.atlas.InvalidInputException} on {@code name}, nothing written, unless a
     * credential stored before that limit has this identity: its secret is replaced.
     *
     * @param owner who it belongs to
     * @param name the name
     * @param secret the secret value
     * @return the credentialInfo
     */
    CredentialInfo upsert(Owner owner, String name, String secret);

    /**
     * @deprecated use {@link #upsert(Owner, String, String)}; removed in 1.0.
     * @param owner who it belongs to
     * @param name the name
     * @param secret the secret value
     * @return the credentialInfo
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default CredentialInfo put(Owner owner, String name, String secret) {
        return upsert(owner, name, secret);
    }

    /**
     * The decrypted secret, or empty when none is stored. A ciphertext that fails authentication
     * throws {@link CredentialDecryptionException}.
     *
     * @param owner who it belongs to
     * @param name the name
     * @return the Secret, or empty when there is none (an id of another tenant is absent)
     */
    Optional<Secret> get(Owner owner, String name);

    /**
     * The secret; throws {@link dev.atlas.NotFoundException} naming {@code name} when the owner has none by that name.
     *
     * @param owner who it belongs to
     * @param name the name
     * @return the secret
     */
    default Secret require(Owner owner, String name) {
        return get(owner, name).orElseThrow(() -> new dev.atlas.NotFoundException("credential", name, "name"));
    }

    /**
     * The owner's credential names and metadata, by name in code point order; never values. All at
     * once: {@link #list(Owner, int, String)} pages them.
     *
     * @param owner who it belongs to
     * @return the matching items, in order
     */
    List<CredentialInfo> list(Owner owner);

    /**
     * The owner's credential names and metadata, by name in code point order, keyset-paged; never
     * values. A page never repeats or skips a credential that existed when the first page was read.
     *
     * @param owner who it belongs to
     * @param limit page size, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @param cursor {@link dev.atlas.Page#nextCursor()} of the previous page of this owner's credentials, or {@code null} for the first
     * @return one page of credentials and the cursor of the next
     * @throws dev.atlas.InvalidInputException naming {@code limit} when out of range, {@code cursor} when it was not
     *         returned by a page of this owner's credentials
     * @throws ConfigurationException when no credential keys are configured
     */
    Page<CredentialInfo> list(Owner owner, int limit, @Nullable String cursor);

    /**
     * Deletes it; throws {@link dev.atlas.NotFoundException} naming {@code name} when there is none.
     *
     * @param owner who it belongs to
     * @param name the name
     */
    void delete(Owner owner, String name);

    /**
     * Re-encrypts every credential of this tenant not written with the primary key, in batches,
     * and returns how many rows moved. Rows that fail to decrypt stop the call with
     * {@link CredentialDecryptionException}; batches already done stay done.
     *
     * @return how many rows were re-encrypted
     */
    int reEncrypt();
}
