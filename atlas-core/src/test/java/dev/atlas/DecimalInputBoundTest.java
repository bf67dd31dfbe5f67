package dev.atlas;

import dev.atlas.assistant.AssistantSpec;
import dev.atlas.execution.ModelPrice;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The decimals an application gives (prices, temperature, topP) are bounded to {@link Limits#MAX_DECIMAL_DIGITS} digits
 * before they are parsed or stripped of trailing zeros, both of which take time quadratic in the digits: a price
 * written "1.000…" with 100,000 zeros took about 10 s of the caller's CPU and was accepted as 1.
 */
class DecimalInputBoundTest {
    private static final int MAX = Limits.MAX_DECIMAL_DIGITS;

    /** 1 written with {@code digits} digits: its unscaled value 10^(digits-1) at scale digits-1. */
    private static BigDecimal oneIn(int digits) {
        return new BigDecimal(BigInteger.TEN.pow(digits - 1), digits - 1);
    }

    private static InvalidInputException refusal(Runnable call) {
        return catchThrowableOfType(InvalidInputException.class, call::run);
    }

    @Test
    @DisplayName("a price written in more than MAX_DECIMAL_DIGITS characters is refused naming its field, as is a BigDecimal price"
            + " of more digits (trailing zeros count); at the bound both are accepted and kept stripped")
    void pricesAreBoundedBeforeTheyAreRead() {
        Instant t = Instant.EPOCH;
        String atBound = "2.5" + "0".repeat(MAX - 3);
        assertThat(atBound).hasSize(MAX);
        assertThat(ModelPrice.of("p", "m", atBound, "1", t).inputPerMillion()).isEqualTo(new BigDecimal("2.5"));
        String over = "2.5" + "0".repeat(20_000);
        InvalidInputException e = refusal(() -> ModelPrice.of("p", "m", "1", over, t));
        assertThat(e).as("refused, not accepted as 2.5").isNotNull();
        assertThat(e.field()).isEqualTo("outputPerMillion");
        assertThat(e.getMessage()).isEqualTo("outputPerMillion: is written in 20003 characters; a decimal number has at most " + MAX);
        assertThat(refusal(() -> ModelPrice.of("p", "m", "1", "1", t).cached("0".repeat(20_000) + "1")).field()).isEqualTo("cachedPerMillion");
        assertThat(refusal(() -> ModelPrice.of("p", "m", "1", "1", t).cacheWrite(" " + over + " ")).field()).isEqualTo("cacheWritePerMillion");
        // Surrounding whitespace is ignored, as for any price: it does not count.
        assertThat(ModelPrice.of("p", "m", "1", "1", t).cached(" ".repeat(5_000) + atBound + "\n").cachedPerMillion())
                .isEqualTo(new BigDecimal("2.5"));

        assertThat(new ModelPrice("p", "m", oneIn(MAX), BigDecimal.ONE, null, null, t).inputPerMillion()).isEqualTo(BigDecimal.ONE);
        e = refusal(() -> new ModelPrice("p", "m", BigDecimal.ONE, BigDecimal.ONE, null, oneIn(20_000), t));
        assertThat(e).as("refused, not accepted as 1").isNotNull();
        assertThat(e.getMessage()).isEqualTo("cacheWritePerMillion: has more than " + MAX + " digits (trailing zeros count)");
        assertThat(refusal(() -> new ModelPrice("p", "m", oneIn(MAX + 1), BigDecimal.ONE, null, null, t)).field()).isEqualTo("inputPerMillion");
        assertThat(refusal(() -> ModelPrice.micros(oneIn(MAX + 1))).field()).isEqualTo("perMillion");
    }

    @Test
    @DisplayName("temperature and topP of more than MAX_DECIMAL_DIGITS digits are refused naming them; at the bound accepted at scale 2")
    void temperatureAndTopPAreBounded() {
        AssistantSpec spec = AssistantSpec.of("bot", "Bot");
        assertThat(spec.temperature(oneIn(MAX)).temperature()).isEqualTo(new BigDecimal("1.00"));
        assertThat(spec.topP(oneIn(MAX)).topP()).isEqualTo(new BigDecimal("1.00"));
        InvalidInputException e = refusal(() -> spec.temperature(oneIn(20_000)));
        assertThat(e).as("refused, not accepted as 1.00").isNotNull();
        assertThat(e.getMessage()).isEqualTo("temperature: has more than " + MAX + " digits (trailing zeros count)");
        assertThat(refusal(() -> spec.topP(oneIn(MAX + 1))).field()).isEqualTo("topP");
        // 10^20000 as written: refused for its digits before its range is judged.
        assertThat(refusal(() -> spec.temperature(new BigDecimal(BigInteger.TEN.pow(20_000)))).getMessage())
                .isEqualTo("temperature: has more than " + MAX + " digits (trailing zeros count)");
    }
}
