package com.example.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.atlas.credential.CredentialKeys;
import dev.atlas.internal.KeyAccess;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.BiFunction;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * An application on the plain classpath (most are: no module path, so {@code dev.atlas.internal} is not closed by
 * module-info) holding the {@link CredentialKeys} that sit in {@code Atlas.config()}. It links only against public
 * members, as compiled code would (public lookup, no {@code setAccessible}).
 */
class CredentialKeyMaterialTest {
    private static final byte[] KEY = new SecureRandom().generateSeed(CredentialKeys.KEY_BYTES);

    @Test
    @DisplayName("code outside dev.atlas holding CredentialKeys cannot read the master key through KeyAccess")
    void keyAccessDoesNotHandOutKeyMaterial() throws Throwable {
        CredentialKeys keys = CredentialKeys.of("k1", KEY);
        MethodHandle key;
        try {
            key = MethodHandles.publicLookup().findStatic(KeyAccess.class, "key",
                    MethodType.methodType(Optional.class, CredentialKeys.class, String.class));
        } catch (NoSuchMethodException | IllegalAccessException expected) {
            return;
        }
        @SuppressWarnings("unchecked")
        Optional<SecretKey> read = (Optional<SecretKey>) key.invoke(keys, "k1");
        fail("KeyAccess.key is public: an application read key 'k1' and it "
                + (read.isPresent() && Arrays.equals(read.get().getEncoded(), KEY) ? "equals the master key byte for byte" : "is " + read));
    }

    @Test
    @DisplayName("code outside dev.atlas cannot register its own key reader before CredentialKeys does, so credentials keep working")
    void keyReaderCannotBeRegisteredFromOutside() throws Exception {
        // A fresh loader: KeyAccess and CredentialKeys not yet initialised, as at the start of an application.
        URL core = KeyAccess.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader fresh = new URLClassLoader(new URL[] {core}, ClassLoader.getPlatformClassLoader())) {
            Class<?> access = Class.forName(KeyAccess.class.getName(), true, fresh);
            BiFunction<Object, String, Optional<SecretKey>> hostile = (k, id) -> Optional.empty();
            Throwable refused = null;
            try {
                access.getMethod("register", BiFunction.class).invoke(null, hostile);
            } catch (InvocationTargetException e) {
                refused = e.getCause();
            } catch (NoSuchMethodException | IllegalAccessException e) {
                refused = e;
            }
            Class<?> keysClass = Class.forName(CredentialKeys.class.getName(), false, fresh);
            Object keys;
            try {
                keys = keysClass.getMethod("of", String.class, byte[].class).invoke(null, "k1", KEY);
            } catch (InvocationTargetException | ExceptionInInitializerError e) {
                throw new AssertionError("a reader registered from outside broke CredentialKeys: " + e.getCause(), e.getCause());
            }
            assertThat(keys.toString()).isEqualTo("CredentialKeys[primary=k1, ids=[k1]]");
            assertThat(refused).as("registering a reader from outside").isNotNull();
            assertThat(refused.getClass().getName()).isIn("dev.atlas.ConfigurationException", NoSuchMethodException.class.getName(),
                    IllegalAccessException.class.getName());
        }
    }
}
