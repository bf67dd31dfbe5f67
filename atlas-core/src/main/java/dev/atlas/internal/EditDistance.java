package dev.atlas.internal;

/**
 * Levenshtein distance, for "did you mean" suggestions (the CLI's commands and options, the Spring
 * starter's property names). Not public API.
 */
public final class EditDistance {
    private EditDistance() {}

    /**
     * The number of single-character edits (insert, delete, replace) from {@code a} to {@code b}.
     *
     * @param a one text
     * @param b the other
     * @return the distance, 0 when equal
     */
    public static int between(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1), diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }
}
