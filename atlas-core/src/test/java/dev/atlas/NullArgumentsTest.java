package dev.atlas;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The null rule of docs/api.md ("Null arguments"), over every public constructor and static method of every exported
 * atlas-core type, found by reflection so a new one is covered: each reference parameter in turn is passed {@code null}
 * (the others a plain valid value) and the call either accepts it or throws an {@link AtlasException}, never a
 * {@link NullPointerException} or another JDK exception. Enums' {@code valueOf(String)} is Java's own and excepted.
 * A builder's settings are held to the settings rule instead ({@link ConfigurationException}).
 * The stores' methods are {@code PublicApiErrorsTest}'s (atlas-jdbi).
 */
class NullArgumentsTest {
    /** A plain valid value of {@code type}, or {@code null} for a type without one here. */
    static Object sample(Class<?> type) {
        if (type == String.class) {
            return "x";
        }
        if (type == int.class || type == Integer.class) {
            return 1;
        }
        if (type == long.class || type == Long.class) {
            return 1L;
        }
        if (type == double.class || type == Double.class) {
            return 0.5;
        }
        if (type == float.class || type == Float.class) {
            return 0.5f;
        }
        if (type == boolean.class || type == Boolean.class) {
            return false;
        }
        if (type == short.class || type == Short.class) {
            return (short) 1;
        }
        if (type == byte.class || type == Byte.class) {
            return (byte) 1;
        }
        if (type == char.class || type == Character.class) {
            return 'x';
        }
        if (type == UUID.class) {
            return UUID.fromString("0190a5e0-0000-7000-8000-000000000001");
        }
        if (type == Instant.class) {
            return Instant.parse("2026-01-01T00:00:00Z");
        }
        if (type == Duration.class) {
            return Duration.ofSeconds(1);
        }
        if (type == Clock.class) {
            return Clock.systemUTC();
        }
        if (type == BigDecimal.class) {
            return BigDecimal.ONE;
        }
        if (type == List.class) {
            return List.of();
        }
        if (type == Set.class) {
            return Set.of();
        }
        if (type == Map.class) {
            return Map.of();
        }
        if (type == Optional.class) {
            return Optional.empty();
        }
        if (type == byte[].class) {
            return new byte[1];
        }
        if (type == float[].class) {
            return new float[] {1f};
        }
        if (type == Owner.class) {
            return Owner.user("u");
        }
        if (type.isEnum()) {
            return type.getEnumConstants()[0];
        }
        return null;
    }

    /** The public top-level and static nested types of atlas-core's exported packages. */
    static List<Class<?>> exportedTypes() throws Exception {
        Path root = Path.of(Page.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> types = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                String name = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), ".").replaceAll("\\.class$", "");
                if (name.startsWith("dev.atlas.internal.") || name.endsWith("package-info") || name.equals("module-info")) {
                    continue;
                }
                Class<?> type = Class.forName(name, false, Page.class.getClassLoader());
                if (Modifier.isPublic(type.getModifiers()) && (type.getEnclosingClass() == null || Modifier.isStatic(type.getModifiers()))) {
                    types.add(type);
                }
            }
        }
        return types;
    }

    @Test
    void noConstructorOrFactoryThrowsAnythingButAnAtlasExceptionForANullArgument() throws Exception {
        List<String> wrong = new ArrayList<>();
        int calls = 0;
        for (Class<?> type : exportedTypes()) {
            List<Executable> executables = new ArrayList<>();
            if (!Modifier.isAbstract(type.getModifiers())) {
                executables.addAll(Arrays.asList(type.getConstructors()));
            }
            for (Method m : type.getDeclaredMethods()) {
                boolean enumValueOf = type.isEnum() && m.getName().equals("valueOf") && m.getParameterCount() == 1;
                if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()) && !m.isSynthetic() && !enumValueOf) {
                    executables.add(m);
                }
            }
            for (Executable e : executables) {
                Class<?>[] params = e.getParameterTypes();
                for (int i = 0; i < params.length; i++) {
                    if (params[i].isPrimitive()) {
                        continue;
                    }
                    Object[] args = new Object[params.length];
                    for (int j = 0; j < params.length; j++) {
                        args[j] = j == i ? null : sample(params[j]);
                    }
                    calls++;
                    try {
                        if (e instanceof Constructor<?> c) {
                            c.newInstance(args);
                        } else {
                            ((Method) e).invoke(null, args);
                        }
                    } catch (InvocationTargetException x) {
                        if (!(x.getCause() instanceof AtlasException)) {
                            wrong.add(type.getSimpleName() + "." + (e instanceof Constructor ? "<init>" : e.getName()) + "(" + e.getParameters()[i].getName()
                                    + " = null of " + params.length + "): " + x.getCause());
                        }
                    }
                }
            }
        }
        assertThat(calls).as("calls made").isGreaterThan(500);
        assertThat(wrong).isEmpty();
    }

    @Test
    void everyEnumParsesANameWithOfAndRefusesNullAsInput() throws Exception {
        // valueOf is Java's own (NullPointerException, IllegalArgumentException): docs/api.md sends callers to of(String).
        List<String> wrong = new ArrayList<>();
        int enums = 0;
        for (Class<?> type : exportedTypes()) {
            if (!type.isEnum()) {
                continue;
            }
            enums++;
            try {
                Method of = type.getMethod("of", String.class);
                List<String> allowed = new ArrayList<>();
                for (Object c : type.getEnumConstants()) {
                    String name = ((Enum<?>) c).name();
                    for (String form : List.of(name, name.toLowerCase(java.util.Locale.ROOT), c.toString())) {
                        if (of.invoke(null, form) != c) {
                            wrong.add(type.getName() + ".of(\"" + form + "\") is not " + name);
                        }
                    }
                    allowed.add(c.toString());
                }
                // One message format for every enum: the input quoted as given (no trimming), then the allowed forms.
                String padded = " " + type.getEnumConstants()[0];
                try {
                    of.invoke(null, padded);
                    wrong.add(type.getName() + ".of(\"" + padded + "\") was accepted");
                } catch (InvocationTargetException e) {
                    if (!(e.getCause() instanceof InvalidInputException x)
                            || !x.getMessage().equals(x.field() + ": '" + padded + "' is not one of " + allowed)) {
                        wrong.add(type.getName() + ".of(\"" + padded + "\"): " + e.getCause());
                    }
                }
                of.invoke(null, (Object) null);
                wrong.add(type.getName() + ".of(null) was accepted");
            } catch (NoSuchMethodException e) {
                wrong.add(type.getName() + " has no of(String)");
            } catch (InvocationTargetException e) {
                if (!(e.getCause() instanceof InvalidInputException)) {
                    wrong.add(type.getName() + ".of(null): " + e.getCause());
                }
            }
        }
        assertThat(enums).as("enums found").isGreaterThanOrEqualTo(19);
        assertThat(wrong).isEmpty();
    }

    @Test
    void everyBuilderSettingRefusesNullWithAConfigurationException() throws Exception {
        // docs/api.md, "Null arguments": settings are not arguments. Every nested Builder is found, so a new one is held
        // to the rule: its factory's and each setter's reference parameters in turn null, the others valid.
        List<String> wrong = new ArrayList<>();
        int builders = 0;
        int calls = 0;
        for (Class<?> type : exportedTypes()) {
            if (!type.getSimpleName().equals("Builder") || type.getEnclosingClass() == null) {
                continue;
            }
            for (Method factory : type.getEnclosingClass().getMethods()) {
                if (!Modifier.isStatic(factory.getModifiers()) || factory.getReturnType() != type) {
                    continue;
                }
                builders++;
                calls += nullEach(factory, null, wrong);
                Object builder = factory.invoke(null, validArguments(factory.getParameterTypes()));
                for (Method setter : type.getDeclaredMethods()) {
                    if (Modifier.isPublic(setter.getModifiers()) && !Modifier.isStatic(setter.getModifiers()) && setter.getReturnType() == type) {
                        calls += nullEach(setter, builder, wrong);
                    }
                }
            }
        }
        assertThat(builders).as("builder factories found").isGreaterThanOrEqualTo(2);
        assertThat(calls).as("calls made").isGreaterThanOrEqualTo(8);
        assertThat(wrong).isEmpty();
    }

    /** Calls {@code m} once per reference parameter not {@code @Nullable}, that one null; returns the calls made. */
    private static int nullEach(Method m, Object target, List<String> wrong) throws Exception {
        int calls = 0;
        Class<?>[] params = m.getParameterTypes();
        for (int i = 0; i < params.length; i++) {
            if (params[i].isPrimitive() || m.getAnnotatedParameterTypes()[i].isAnnotationPresent(org.jspecify.annotations.Nullable.class)) {
                continue;
            }
            Object[] args = validArguments(params);
            args[i] = null;
            calls++;
            String call = m.getDeclaringClass().getName() + "." + m.getName() + "(" + m.getParameters()[i].getName() + " = null)";
            try {
                m.invoke(target, args);
                wrong.add(call + " was accepted");
            } catch (InvocationTargetException x) {
                if (!(x.getCause() instanceof ConfigurationException)) {
                    wrong.add(call + ": " + x.getCause());
                }
            }
        }
        return calls;
    }

    /** A valid value per type: {@link #sample}, a do-nothing proxy of an interface, or the type's no-argument factory. */
    private static Object[] validArguments(Class<?>[] types) throws Exception {
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            Object v = sample(types[i]);
            if (v == null && types[i].isInterface()) {
                v = java.lang.reflect.Proxy.newProxyInstance(types[i].getClassLoader(), new Class<?>[] {types[i]}, (proxy, method, a) -> {
                    throw new UnsupportedOperationException(method.getName());
                });
            }
            if (v == null) {
                for (Method m : types[i].getMethods()) {
                    if (Modifier.isStatic(m.getModifiers()) && m.getParameterCount() == 0 && m.getReturnType() == types[i]) {
                        v = m.invoke(null);
                        break;
                    }
                }
            }
            args[i] = Objects.requireNonNull(v, types[i].getName());
        }
        return args;
    }
}
