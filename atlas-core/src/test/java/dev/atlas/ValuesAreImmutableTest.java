package dev.atlas;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Values do not change (docs/api.md, "Null arguments"): every public constructor of an exported atlas-core type that
 * takes a list, set or map is given mutable ones (a map holding a mutable map and list), which are then changed; the
 * value must read as before, and no list, set or map its accessors return (nor one inside a returned map) can be
 * changed. Found by reflection, so a new value is covered.
 */
class ValuesAreImmutableTest {
    private static Map<String, Object> mutableMap() {
        Map<String, Object> inner = new HashMap<>(Map.of("deep", "v"));
        Map<String, Object> map = new HashMap<>();
        map.put("k", "v");
        map.put("nested", inner);
        map.put("list", new ArrayList<>(List.of("a")));
        return map;
    }

    @Test
    void valuesCopyWhatTheyAreGivenAndHandOutNothingChangeable() throws Exception {
        List<String> wrong = new ArrayList<>();
        int values = 0;
        for (Class<?> type : NullArgumentsTest.exportedTypes()) {
            if (Modifier.isAbstract(type.getModifiers()) || Throwable.class.isAssignableFrom(type)) {
                continue;
            }
            for (Constructor<?> constructor : type.getConstructors()) {
                Class<?>[] params = constructor.getParameterTypes();
                Object[] args = new Object[params.length];
                boolean any = false;
                for (int j = 0; j < params.length; j++) {
                    if (params[j] == Map.class) {
                        // A JSON document (Map<String, Object>) gets nested maps and lists; a map of counts its own type.
                        boolean json = constructor.getGenericParameterTypes()[j] instanceof java.lang.reflect.ParameterizedType t
                                && t.getActualTypeArguments()[1] == Object.class;
                        args[j] = json ? mutableMap() : new HashMap<>(Map.of("k", 1L));
                        any = true;
                    } else if (params[j] == List.class) {
                        args[j] = new ArrayList<>(List.of("a"));
                        any = true;
                    } else if (params[j] == Set.class) {
                        args[j] = new HashSet<>(Set.of("a"));
                        any = true;
                    } else {
                        args[j] = NullArgumentsTest.sample(params[j]);
                    }
                }
                if (!any) {
                    continue;
                }
                Object value;
                try {
                    value = constructor.newInstance(args);
                } catch (ReflectiveOperationException e) {
                    // An input that refuses these sample values (a query's statuses are not strings): not a value of this test.
                    continue;
                }
                values++;
                String name = type.getSimpleName() + Arrays.toString(Arrays.stream(params).map(Class::getSimpleName).toArray());
                String before = value.toString();
                for (Object arg : args) {
                    change(arg);
                }
                if (!value.toString().equals(before)) {
                    wrong.add(name + " changed with the collections it was given: " + before + " -> " + value);
                }
                for (Method m : type.getMethods()) {
                    Class<?> r = m.getReturnType();
                    if (m.getParameterCount() == 0 && !Modifier.isStatic(m.getModifiers()) && (r == Map.class || r == List.class || r == Set.class)) {
                        Object got;
                        try {
                            got = m.invoke(value);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            // An accessor that derives from typed elements ("a" given for a list of steps): nothing handed out.
                            continue;
                        }
                        if (got != null && changeable(got)) {
                            wrong.add(name + "." + m.getName() + "() can be changed");
                        }
                    }
                }
            }
        }
        assertThat(values).as("values built").isGreaterThan(30);
        assertThat(wrong).isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static void change(Object arg) {
        if (arg instanceof Map<?, ?> m) {
            if (m.get("nested") instanceof Map<?, ?> nested) {
                ((Map<String, Object>) nested).put("deep", "changed");
                ((List<Object>) m.get("list")).add("b");
            }
            ((Map<String, Object>) m).put("added", 2L);
        } else if (arg instanceof List<?> l) {
            ((List<Object>) l).add("b");
        } else if (arg instanceof Set<?> s) {
            ((Set<Object>) s).add("b");
        }
    }

    /** Whether {@code c}, or a map or list directly inside it, accepts a change. */
    @SuppressWarnings("unchecked")
    private static boolean changeable(Object c) {
        try {
            if (c instanceof Map<?, ?> m) {
                for (Object v : m.values()) {
                    if ((v instanceof Map || v instanceof List) && changeable(v)) {
                        return true;
                    }
                }
                ((Map<String, Object>) m).put("zz", 3L);
            } else if (c instanceof List<?> l) {
                ((List<Object>) l).add("zz");
            } else {
                ((Set<Object>) c).add("zz");
            }
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }
}
