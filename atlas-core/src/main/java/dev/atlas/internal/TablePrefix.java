package dev.atlas.internal;

import org.jspecify.annotations.Nullable;

import java.util.regex.Pattern;

/** The one rule for table prefixes; other modules reach it through {@code AtlasConfig.checkTablePrefix}. Not public API. */
public final class TablePrefix {
    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,29}");

    private TablePrefix() {}

    /**
     * What is wrong with {@code prefix}, or {@code null} when it is a valid prefix.
     *
     * @param prefix the key prefix, or {@code null}
     * @return the string, or {@code null}
     */
    public static @Nullable String problem(@Nullable String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            return "tablePrefix " + Check.quoted(prefix) + " is invalid: use 1 to 30 characters of lowercase letters, digits"
                    + " and underscores, starting with a letter (for example 'atlas_')";
        }
        return null;
    }
}
