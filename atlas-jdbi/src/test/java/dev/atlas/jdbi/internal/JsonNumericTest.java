package dev.atlas.jdbi.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Json#fitsNumeric} against the rule it replaced, which read each number into a BigDecimal. */
class JsonNumericTest {
    /** The rule as it was: jsonb's numeric limits on BigDecimal's scale and precision; a number BigDecimal cannot read fits nothing. */
    private static boolean byBigDecimal(String number) {
        BigDecimal n;
        try {
            n = new BigDecimal(number);
        } catch (NumberFormatException e) {
            return false;
        }
        return !(n.scale() > 16_383 || (n.signum() != 0 && (long) n.precision() - n.scale() > 131_072));
    }

    @Test
    @DisplayName("counting digits judges every JSON number as BigDecimal's scale and precision did: at and around numeric's limits"
            + " (131,072 digits before the point, 16,383 after, shifted by exponents), zeros, exponents with leading zeros, of 10 and"
            + " 11 digits and past an int, and 20,000 random numbers; numbers of numeric's sizes as it judged them")
    void countsAsBigDecimalDid() {
        List<String> numbers = new ArrayList<>(List.of("0", "-0", "0.0", "-0.0e-0", "1", "-1", "1e131071", "1e131072", "-9.9e131071",
                "-9.9e131072", "1e-16383", "1e-16384", "1.5e-16382", "1.5e-16383", "0e-16383", "0e-16384", "0e200000", "0.5e-16382",
                "1E+2", "1e400", "1e-400", "1e2147483647", "1e2147483648", "1e-2147483647", "1e-2147483648", "1e-2147483649",
                "1.5e-2147483647", "1e9999999999", "1e-9999999999", "1e10000000000", "1e00000000000000000001", "1e-000000000016384",
                "1e+00000000000131071", "1e000000000002147483648", "0.1e131073", "0.01e131073", "100e131070", "100e131071",
                "123456789012345678901234567890", "0.00000000000000000001", "10.000", "-0.000e-16380", "0.000e-16381"));
        // Numbers of numeric's sizes, whose BigDecimal reads take seconds: their verdicts as the rule gave them.
        java.util.Map<String, Boolean> sized = new java.util.LinkedHashMap<>();
        sized.put("9".repeat(131_072), true);
        sized.put("9".repeat(131_073), false);
        sized.put("1" + "0".repeat(131_072), false);
        sized.put("0." + "1".repeat(16_383), true);
        sized.put("0." + "1".repeat(16_384), false);
        sized.put("0." + "0".repeat(16_384), false);
        sized.put("-" + "0".repeat(1) + "." + "0".repeat(16_383), true);
        sized.put("9".repeat(131_072) + "." + "1".repeat(16_383), true);
        sized.put("9".repeat(131_072) + "." + "1".repeat(16_383) + "e1", false);
        sized.put("9".repeat(131_072) + "." + "1".repeat(16_383) + "e-1", false);
        sized.put("9".repeat(131_071) + "." + "1".repeat(16_383) + "e1", true);
        sized.put("0." + "0".repeat(100) + "1e-16282", true);
        sized.put("0." + "0".repeat(100) + "1e-16283", false);
        sized.put("7".repeat(1_048_574), false);
        sized.forEach((number, fits) -> assertThat(Json.fitsNumeric(number)).as(number.substring(0, 20) + "… (" + number.length() + ")")
                .isEqualTo(fits));
        Random random = new Random(41);
        String[] exponents = {"", "e0", "E+3", "e-7", "e16383", "e-16383", "e131071", "e-131071", "e2147483647", "e-2147483647",
                "e2147483648", "e-2147483648", "e9999999999", "e10000000000", "e00000000000016383", "e-0000000000000131072"};
        for (int k = 0; k < 20_000; k++) {
            StringBuilder b = new StringBuilder();
            if (random.nextBoolean()) {
                b.append('-');
            }
            int whole = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(random.nextBoolean() ? 8 : 40);
            if (whole == 0) {
                b.append('0');
            } else {
                b.append((char) ('1' + random.nextInt(9)));
                digits(b, whole - 1, random);
            }
            if (random.nextBoolean()) {
                b.append('.');
                digits(b, 1 + random.nextInt(random.nextBoolean() ? 6 : 40), random);
            }
            String e = exponents[random.nextInt(exponents.length)];
            if (!e.isEmpty() && random.nextInt(3) == 0) {
                // Shifted around the limits by a few places either way.
                long shift = random.nextInt(81) - 40;
                String sign = e.contains("-") ? "-" : "";
                long base = Long.parseLong(e.replaceAll("[eE+-]", ""));
                e = "e" + sign + Math.max(0, base + shift);
            }
            b.append(e);
            numbers.add(b.toString());
        }
        int fits = 0;
        for (String number : numbers) {
            boolean expected = byBigDecimal(number);
            assertThat(Json.fitsNumeric(number)).as(number.length() > 60 ? number.substring(0, 60) + "… (" + number.length() + ")" : number)
                    .isEqualTo(expected);
            fits += expected ? 1 : 0;
        }
        // Both verdicts are well represented: the corpus is no run of one answer.
        assertThat(fits).isBetween(numbers.size() / 5, numbers.size() * 4 / 5);
    }

    /**
     * A number's text that counts the characters read from it and cannot be copied whole: no String, so no
     * BigDecimal, can be made of it (a slice of up to 64 characters, for a message, can).
     */
    private static final class Counted implements CharSequence {
        private final String text;
        private long reads;

        Counted(String text) {
            this.text = text;
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public char charAt(int index) {
            reads++;
            return text.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            if (end - start > 64) {
                throw new AssertionError("copied " + (end - start) + " characters of the number");
            }
            return text.substring(start, end);
        }

        @Override
        public String toString() {
            if (text.length() > 64) {
                throw new AssertionError("copied the number whole (" + text.length() + " characters)");
            }
            return text;
        }
    }

    @Test
    @DisplayName("the check of tool call arguments' numbers reads each character once (the first and an exponent's first digit"
            + " may be read twice) and never makes the number whole (a String"
            + " for a BigDecimal, whose read is quadratic in the digits): a million-digit number is refused naming the field,"
            + " numbers at numeric's limits pass")
    void checkReadsEachCharacterOnce() {
        Counted huge = new Counted("7".repeat(1_048_574));
        assertThatThrownBy(() -> Json.checkNumeric("arguments", huge)).isInstanceOfSatisfying(dev.atlas.InvalidInputException.class,
                e -> assertThat(e.getMessage()).isEqualTo("arguments: has the number " + "7".repeat(40) + "…, outside what jsonb can store"
                        + " (at most 131072 digits before the decimal point and 16383 after it)"));
        assertThat(huge.reads).isLessThanOrEqualTo(huge.length() + 2L);
        for (String number : List.of("9".repeat(131_072) + "." + "1".repeat(16_383), "-0." + "0".repeat(16_383) + "e-0000000000000",
                "1" + "0".repeat(131_071) + "E+0000000000000000000000")) {
            Counted held = new Counted(number);
            Json.checkNumeric("arguments", held);
            assertThat(held.reads).as(number.substring(0, 20)).isLessThanOrEqualTo(held.length() + 2L);
        }
    }

    /** Appends {@code count} digits, zeros often, so leading and trailing zeros are common. */
    private static void digits(StringBuilder b, int count, Random random) {
        for (int i = 0; i < count; i++) {
            b.append(random.nextInt(3) == 0 ? '0' : (char) ('0' + random.nextInt(10)));
        }
    }
}
