package dev.atlas.execution;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;

/**
 * The price of a provider's model per million tokens, valid from {@code validFrom} until the next
 * price of the same provider and model. Prices are exact decimals with at most
 * {@value Limits#MAX_PRICE_SCALE} decimal places, all in the application's one currency.
 *
 * <pre>{@code
 * tenant.prices().create(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", Instant.parse("2026-01-01T00:00:00Z"))
 *         .cached("1.25"));
 * }</pre>
 *
 * @param provider the provider key; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param model the model key; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param inputPerMillion price per million input tokens, 0 to {@link Limits#MAX_PRICE_PER_MILLION}
 * @param outputPerMillion price per million output tokens, 0 to {@link Limits#MAX_PRICE_PER_MILLION}
 * @param cachedPerMillion price of cached input tokens; {@code null} bills them at the input price
 * @param cacheWritePerMillion price of cache-write tokens; {@code null} bills them at the input price
 * @param validFrom when the price starts to apply (inclusive); stored, like every instant Atlas
 *        stores, at the microsecond it falls in: a finer instant is read back truncated, and a second
 *        price in the same microsecond is a duplicate
 */
public record ModelPrice(
        String provider,
        String model,
        BigDecimal inputPerMillion,
        BigDecimal outputPerMillion,
        @Nullable BigDecimal cachedPerMillion,
        @Nullable BigDecimal cacheWritePerMillion,
        Instant validFrom) {

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param provider the provider key
     * @param model the model key
     * @param inputPerMillion price per million input tokens
     * @param outputPerMillion price per million output tokens
     * @param cachedPerMillion price of cached input tokens; {@code null} bills them at the input price
     * @param cacheWritePerMillion price of cache-write tokens; {@code null} bills them at the input price
     * @param validFrom when the price starts to apply
     */
    public ModelPrice {
        Check.key("provider", provider);
        Check.key("model", model);
        inputPerMillion = price("inputPerMillion", Check.notNull("inputPerMillion", inputPerMillion));
        outputPerMillion = price("outputPerMillion", Check.notNull("outputPerMillion", outputPerMillion));
        cachedPerMillion = cachedPerMillion == null ? null : price("cachedPerMillion", cachedPerMillion);
        cacheWritePerMillion = cacheWritePerMillion == null ? null : price("cacheWritePerMillion", cacheWritePerMillion);
        Check.instant("validFrom", Check.notNull("validFrom", validFrom));
    }

    private static BigDecimal price(String field, BigDecimal value) {
        if (value.signum() < 0) {
            throw new InvalidInputException(field, "must not be negative, was " + Check.shown(value));
        }
        if (value.compareTo(Limits.MAX_PRICE_PER_MILLION) > 0) {
            throw new InvalidInputException(field, "must be at most " + Limits.MAX_PRICE_PER_MILLION + ", was " + Check.shown(value));
        }
        BigDecimal stripped = Check.digits(field, value).stripTrailingZeros();
        if (stripped.scale() > Limits.MAX_PRICE_SCALE) {
            throw new InvalidInputException(field, "has more than " + Limits.MAX_PRICE_SCALE + " decimal places: " + Check.shown(value));
        }
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }

    /**
     * Input and output prices per million tokens, from decimal strings such as {@code "2.50"}: ASCII
     * digits with an optional sign, point and exponent ({@code "1E+2"}), surrounding whitespace ignored,
     * at most {@link Limits#MAX_DECIMAL_DIGITS} characters (a {@code BigDecimal} price at most as many digits).
     *
     * @param provider the provider key
     * @param model the model key
     * @param inputPerMillion price per million input tokens
     * @param outputPerMillion price per million output tokens
     * @param validFrom when the price starts to apply
     * @return the new value
     */
    public static ModelPrice of(String provider, String model, String inputPerMillion, String outputPerMillion, Instant validFrom) {
        return new ModelPrice(provider, model, decimal("inputPerMillion", inputPerMillion), decimal("outputPerMillion", outputPerMillion),
                null, null, validFrom);
    }

    /**
     * Returns a copy with {@code perMillion} replaced.
     *
     * @param perMillion price per million tokens
     * @return a copy with this change
     */
    public ModelPrice cached(String perMillion) {
        return new ModelPrice(provider, model, inputPerMillion, outputPerMillion, decimal("cachedPerMillion", perMillion),
                cacheWritePerMillion, validFrom);
    }

    /**
     * Returns a copy with {@code perMillion} replaced.
     *
     * @param perMillion price per million tokens
     * @return a copy with this change
     */
    public ModelPrice cacheWrite(String perMillion) {
        return new ModelPrice(provider, model, inputPerMillion, outputPerMillion, cachedPerMillion,
                decimal("cacheWritePerMillion", perMillion), validFrom);
    }

    private static BigDecimal decimal(String field, String value) {
        Check.notNull(field, value);
        try {
            // strip(), not trim(): trim() also drops NUL and the other control characters, accepting "2.5\0" as 2.5.
            String written = Check.decimalText(field, value.strip());
            // BigDecimal reads the digits of every script ("\uff11" as 1): a price is written in ASCII.
            if (!written.chars().allMatch(c -> c < 0x80)) {
                throw new NumberFormatException();
            }
            return new BigDecimal(written);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(field, Check.quoted(value) + " is not a decimal number");
        }
    }

    /**
     * The exact cost of {@code usage} at this price: each token count times its price per million,
     * divided by one million, with no rounding. Missing counts cost nothing.
     *
     * @param usage the token counts
     * @return the bigDecimal
     * @throws dev.atlas.InvalidInputException on {@code usage} when it is {@code null}
     */
    public BigDecimal cost(Usage usage) {
        return fromPico(costPico(usage));
    }

    /**
     * A cost in 10^-12 currency units as a decimal without trailing zeros.
     *
     * @param pico pico-units of currency
     * @return the bigDecimal
     * @throws dev.atlas.InvalidInputException on {@code pico} when it is {@code null}
     */
    public static BigDecimal fromPico(BigInteger pico) {
        BigDecimal d = new BigDecimal(Check.notNull("pico", pico), 12).stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0) : d;
    }

    /**
     * The cost in 10^-12 currency units, the unit Atlas stores.
     *
     * @param usage the token counts
     * @return the bigInteger
     * @throws dev.atlas.InvalidInputException on {@code usage} when it is {@code null}
     */
    public BigInteger costPico(Usage usage) {
        Check.notNull("usage", usage);
        BigInteger sum = BigInteger.ZERO;
        sum = sum.add(times(usage.inputTokens(), inputPerMillion));
        sum = sum.add(times(usage.outputTokens(), outputPerMillion));
        sum = sum.add(times(usage.cachedTokens(), cachedPerMillion != null ? cachedPerMillion : inputPerMillion));
        sum = sum.add(times(usage.cacheWriteTokens(), cacheWritePerMillion != null ? cacheWritePerMillion : inputPerMillion));
        return sum;
    }

    /**
     * Price in micro-units per million tokens, the unit Atlas stores.
     *
     * @param perMillion price per million tokens, 0 to {@link Limits#MAX_PRICE_PER_MILLION} with at most
     *        {@value Limits#MAX_PRICE_SCALE} decimal places, as a price holds
     * @return micro-units of currency
     * @throws dev.atlas.InvalidInputException on {@code perMillion} when it is {@code null} or no price
     */
    public static long micros(BigDecimal perMillion) {
        return price("perMillion", Check.notNull("perMillion", perMillion)).movePointRight(6).longValueExact();
    }

    /**
     * Inverse of {@link #micros(BigDecimal)}.
     *
     * @param micros micro-units of currency
     * @return the bigDecimal
     */
    public static BigDecimal fromMicros(long micros) {
        BigDecimal d = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0) : d;
    }

    private static BigInteger times(Long tokens, BigDecimal perMillion) {
        // tokens × (price × 10^6 micro-units) = cost in 10^-12 units, since the price is per 10^6 tokens.
        return tokens == null ? BigInteger.ZERO : BigInteger.valueOf(tokens).multiply(BigInteger.valueOf(micros(perMillion)));
    }
}
