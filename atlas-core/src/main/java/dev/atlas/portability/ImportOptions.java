package dev.atlas.portability;

import dev.atlas.internal.Check;

import org.jspecify.annotations.Nullable;

/**
 * How {@link Portability#importFrom(java.io.InputStream, ImportOptions)} treats what it cannot take
 * as written. Immutable; {@link #defaults()} is what {@link Portability#importFrom(java.io.InputStream)} uses.
 *
 * <p>A credential is sealed to its tenant, owner, name and key: imported into another tenant as
 * written it could never be decrypted there. By default such a credential fails the import before
 * any write. {@link #resealCredentialsFrom(String)} lets this Atlas's credential keys open the
 * file's credentials as sealed for the tenant they were exported from and seal them again for the
 * importing tenant. Choose it only for files you trust: whoever can import a file through it can
 * read, through the importing tenant, the secrets of any ciphertext of that tenant the file holds.
 *
 * @param credentialsFrom the tenant the file's credentials were sealed for, or {@code null} to
 *                        take only credentials sealed for the importing tenant
 */
public record ImportOptions(@Nullable String credentialsFrom) {
    /**
     * Checks the tenant id.
     *
     * @param credentialsFrom the tenant the file's credentials were sealed for, or {@code null}
     * @throws dev.atlas.InvalidInputException when it is not a valid tenant id
     */
    public ImportOptions {
        if (credentialsFrom != null) {
            Check.tenantId("credentialsFrom", credentialsFrom);
        }
    }

    /**
     * Credentials must be sealed for the importing tenant; nothing is re-encrypted.
     *
     * @return the default options
     */
    public static ImportOptions defaults() {
        return new ImportOptions(null);
    }

    /**
     * These options, with the file's credentials opened as sealed for {@code sourceTenant} and
     * sealed again, with the primary credential key, for the importing tenant (needs
     * {@code credentialKeys}). A credential that does not open so fails the import before any
     * write; one sealed for the importing tenant already ({@code sourceTenant} is the importing
     * tenant) is stored as written.
     *
     * @param sourceTenant the tenant the file was exported from
     * @return new options
     * @throws dev.atlas.InvalidInputException when {@code sourceTenant} is not a valid tenant id
     */
    public ImportOptions resealCredentialsFrom(String sourceTenant) {
        return new ImportOptions(Check.tenantId("sourceTenant", sourceTenant));
    }
}
