package dev.atlas.internal;

import dev.atlas.InvalidInputException;
import dev.atlas.execution.ModelPrice;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** How error messages quote a number: whole when it is short, its first digits and digit count when not. */
class CheckShownTest {

    @Test
    @DisplayName("numbers of up to 40 digits are quoted whole, plain while their exponent is modest")
    void shortNumbersWhole() {
        assertThat(Check.shown(new BigDecimal("-12.50"))).isEqualTo("-12.50");
        assertThat(Check.shown(new BigDecimal("1234567890123456789012345678901234567890"))).isEqualTo("1234567890123456789012345678901234567890");
        assertThat(Check.shown(new BigDecimal("1E+1000"))).isEqualTo("1E+1000");
    }

    @Test
    @DisplayName("a number of a million digits is quoted as its first 40 digits and its digit count (before: all million)")
    void longNumbersCapped() {
        String first = "98765432109876543210987654321098765432101234";
        // Built by multiplying: parsing a million digits takes seconds.
        BigDecimal huge = new BigDecimal(first).multiply(BigDecimal.TEN.pow(1_000_000 - first.length()));
        String digits = first;
        assertThat(huge.precision()).isEqualTo(1_000_000);
        assertThat(Check.shown(huge.negate())).isEqualTo("-" + digits.substring(0, 40) + "… (1000000 digits)");
        assertThat(Check.shown(new BigDecimal(huge.unscaledValue(), 1_000_000))).isEqualTo(digits.substring(0, 40) + "… (1000000 digits, scale 1000000)");
        InvalidInputException e = catchThrowableOfType(InvalidInputException.class,
                () -> new ModelPrice("openai", "gpt", huge, BigDecimal.ONE, null, null, Instant.EPOCH));
        assertThat(e.field()).isEqualTo("inputPerMillion");
        assertThat(e.getMessage()).endsWith(", was " + digits.substring(0, 40) + "… (1000000 digits)").hasSizeLessThan(200);
    }
}
