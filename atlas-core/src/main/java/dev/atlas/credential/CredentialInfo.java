package dev.atlas.credential;

import java.time.Instant;

import dev.atlas.Owner;

/**
 * What {@link CredentialStore#list(Owner)} tells about a stored credential: never its value.
 *
 * @param keyId id of the {@link CredentialKeys} key its ciphertext was written with
 */
public record CredentialInfo(Owner owner, String name, String keyId, Instant createdAt, Instant updatedAt) {
}
