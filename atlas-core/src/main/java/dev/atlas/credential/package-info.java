/**
 * Third-party credentials of owners, encrypted at rest with keys the application supplies ({@link
 * dev.atlas.credential.CredentialKeys}). Start at {@link dev.atlas.credential.CredentialStore}.
 */
@NullMarked
package dev.atlas.credential;

import org.jspecify.annotations.NullMarked;
