package dev.atlas.credential;

import java.time.Instant;

import dev.atlas.Owner;

/**
 * What {@link CredentialStore#list(Owner)} tells about a stored credential: never its value.
 *
 * @param owner the owner the credential belongs to
 * @param name its name, unique per owner
 * @param keyId id of the {@link CredentialKeys} key its ciphertext was written with
 * @param createdAt when it was first stored
 * @param updatedAt when its value was last stored (equal to {@code createdAt} until replaced by an
 *        upsert; {@link CredentialStore#reEncrypt()} keeps it)
 */
public record CredentialInfo(Owner owner, String name, String keyId, Instant createdAt, Instant updatedAt) {
}
