package dev.atlas.internal;

import dev.atlas.ConfigurationException;
import dev.atlas.credential.CredentialKeys;

import java.util.Optional;
import java.util.function.BiFunction;
import javax.crypto.SecretKey;

/**
 * How {@link CredentialCipher} reads key material that {@link CredentialKeys} does not expose
 * publicly. {@code CredentialKeys} registers the reader when its class initialises, which
 * happens before any instance can reach {@link #key}. Not public API.
 *
 * <p>Most applications run on the plain classpath, where module-info's qualified export of this
 * package closes nothing. So the reader is package-private (only the cipher, in this package, may
 * call it) and only {@code CredentialKeys} itself may register it: anyone else registering first
 * would break {@code CredentialKeys}'s initialisation.
 */
public final class KeyAccess {
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static volatile BiFunction<CredentialKeys, String, Optional<SecretKey>> reader;

    private KeyAccess() {}

    /**
     * Called once, by {@link CredentialKeys}'s static initialiser; later calls, and calls from any
     * other class, are refused.
     *
     * @param keyReader the key reader
     * @throws ConfigurationException when called twice or by another class than {@code CredentialKeys}
     */
    public static synchronized void register(BiFunction<CredentialKeys, String, Optional<SecretKey>> keyReader) {
        // A class literal does not initialise CredentialKeys, so this check cannot recurse into its initialiser.
        if (WALKER.getCallerClass() != CredentialKeys.class) {
            throw new ConfigurationException("only CredentialKeys registers the credential key reader");
        }
        if (reader != null) {
            throw new ConfigurationException("the credential key reader is registered already");
        }
        reader = keyReader;
    }

    /** The key with this id, if configured. Package-private: key material leaves only towards the cipher. */
    static Optional<SecretKey> key(CredentialKeys keys, String id) {
        return reader.apply(keys, id);
    }
}
