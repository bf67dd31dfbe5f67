package dev.atlas;

/**
 * A stored credential could not be decrypted: its ciphertext was changed or moved to another
 * row (the authentication tag does not match), or the key it names is not configured. No
 * plaintext is ever returned in that case.
 */
public class CredentialDecryptionException extends AtlasException {
    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public CredentialDecryptionException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public CredentialDecryptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
