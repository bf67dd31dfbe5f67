package dev.atlas;

import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ModelPrice;
import dev.atlas.internal.Check;
import dev.atlas.execution.Usage;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ExecutionValuesTest {
    @Test
    @DisplayName("executions move pending → queued → processing → completed | failed; cancelled from any open state; final states are final")
    void executionStatus() {
        assertThat(ExecutionStatus.PENDING.canMoveTo(ExecutionStatus.PROCESSING)).isTrue();
        assertThat(ExecutionStatus.QUEUED.canMoveTo(ExecutionStatus.CANCELLED)).isTrue();
        assertThat(ExecutionStatus.PENDING.canMoveTo(ExecutionStatus.COMPLETED)).isFalse();
        assertThat(ExecutionStatus.from(ExecutionStatus.CANCELLED))
                .containsExactlyInAnyOrder(ExecutionStatus.PENDING, ExecutionStatus.QUEUED, ExecutionStatus.PROCESSING);
        for (ExecutionStatus s : new ExecutionStatus[] {ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED}) {
            assertThat(s.isFinal()).isTrue();
            assertThatThrownBy(() -> s.checkMoveTo(ExecutionStatus.PROCESSING)).isInstanceOf(IllegalTransitionException.class);
        }
    }

    @Test
    @DisplayName("cost is exact decimal arithmetic: 1234 tokens at 2.50 per million is 0.003085")
    void cost() {
        ModelPrice p = ModelPrice.of("openai", "gpt-4o", "2.50", "10", Instant.EPOCH);
        assertThat(p.cost(new Usage(1234L, null, null, null, null)).toPlainString()).isEqualTo("0.003085");
        assertThat(p.cost(Usage.of(1_000_000, 1_000_000)).toPlainString()).isEqualTo("12.5");
        assertThat(p.cost(Usage.NONE).toPlainString()).isEqualTo("0");
        assertThat(ModelPrice.of("x", "y", "1E+2", "0.10", Instant.EPOCH).inputPerMillion().toPlainString()).isEqualTo("100");
    }

    @Test
    @DisplayName("a decimal price string may have surrounding spaces, but a NUL or other control character in it is refused on its"
            + " field (trim() used to drop it silently); the message shows at most the first 100 characters of a long string")
    void priceStringsWithControlCharacters() {
        assertThat(ModelPrice.of("x", "y", " 2.50\t", "\n10 ", Instant.EPOCH).inputPerMillion().toPlainString()).isEqualTo("2.5");
        for (String bad : new String[]{"2.5\u0000", "\u00002.5", "2.5\u0007", "\u001b2.5"}) {
            assertThatThrownBy(() -> ModelPrice.of("x", "y", "1", bad, Instant.EPOCH)).as(bad)
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("outputPerMillion"));
            assertThatThrownBy(() -> ModelPrice.of("x", "y", "1", "1", Instant.EPOCH).cached(bad)).as(bad)
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("cachedPerMillion"));
        }
        // BigDecimal reads any script's digits ("\uff11" as 1, "\u0661\u0662" as 12): a price is written in ASCII.
        for (String bad : new String[]{"\uff11", "\u0661\u0662", "2.\u0665", "1\u00a0", "\u00a02"}) {
            assertThat(catchThrowableOfType(InvalidInputException.class, () -> ModelPrice.of("x", "y", "1", "1", Instant.EPOCH).cacheWrite(bad)))
                    .as(bad).hasMessage("cacheWritePerMillion: " + Check.quoted(bad) + " is not a decimal number");
        }
        assertThatThrownBy(() -> ModelPrice.of("x", "y", "9".repeat(1_000_000) + "x", "1", Instant.EPOCH))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> {
                    assertThat(e.field()).isEqualTo("inputPerMillion");
                    assertThat(e.getMessage()).hasSizeLessThan(300);
                });
    }

    @Test
    @DisplayName("usage sums field by field and keeps unreported fields null")
    void usage() {
        Usage sum = Usage.of(1, 2).plus(new Usage(null, 3L, 4L, null, null));
        assertThat(sum).isEqualTo(new Usage(1L, 5L, 4L, null, null));
        assertThat(sum.totalTokens()).isEqualTo(6);
        assertThat(Usage.NONE.isEmpty()).isTrue();
    }

    @Test
    @DisplayName("the public cost helpers of ModelPrice and Usage refuse bad arguments with InvalidInputException naming the parameter"
            + " (they threw NullPointerException and ArithmeticException): cost, costPico and plus of null, micros of null, of more than"
            + " 6 decimals, of a negative or too large price, fromPico of null")
    void costHelpersNameTheirParameter() {
        ModelPrice p = ModelPrice.of("openai", "gpt-4o", "2.50", "10", Instant.EPOCH);
        assertThatThrownBy(() -> p.cost(null)).isInstanceOf(InvalidInputException.class).hasMessage("usage: is required");
        assertThatThrownBy(() -> p.costPico(null)).isInstanceOf(InvalidInputException.class).hasMessage("usage: is required");
        assertThatThrownBy(() -> Usage.of(1, 1).plus(null)).isInstanceOf(InvalidInputException.class).hasMessage("other: is required");
        assertThatThrownBy(() -> ModelPrice.fromPico(null)).isInstanceOf(InvalidInputException.class).hasMessage("pico: is required");
        assertThatThrownBy(() -> ModelPrice.micros(null)).isInstanceOf(InvalidInputException.class).hasMessage("perMillion: is required");
        assertThatThrownBy(() -> ModelPrice.micros(new java.math.BigDecimal("1E-7"))).isInstanceOf(InvalidInputException.class)
                .hasMessage("perMillion: has more than 6 decimal places: 0.0000001");
        assertThatThrownBy(() -> ModelPrice.micros(new java.math.BigDecimal("1E+30"))).isInstanceOf(InvalidInputException.class)
                .hasMessage("perMillion: must be at most 1000000, was 1000000000000000000000000000000");
        assertThatThrownBy(() -> ModelPrice.micros(new java.math.BigDecimal("-0.000001"))).isInstanceOf(InvalidInputException.class)
                .hasMessage("perMillion: must not be negative, was -0.000001");
        assertThat(ModelPrice.micros(new java.math.BigDecimal("2.500000"))).isEqualTo(2_500_000L);
        assertThat(ModelPrice.micros(Limits.MAX_PRICE_PER_MILLION)).isEqualTo(1_000_000_000_000L);
        assertThat(ModelPrice.fromPico(java.math.BigInteger.valueOf(3_085_000_000L)).toPlainString()).isEqualTo("0.003085");
    }

    @Test
    @DisplayName("the default asset directory sits beside an SQLite file, under a data directory when one is set, else ./atlas-data/assets")
    void assetDirectory() {
        Path db = Path.of("/srv/app/agent.db");
        assertThat(Atlas.builder().sqlite(db).config().assetDirectory()).isEqualTo(Path.of("/srv/app/agent.db-assets"));
        assertThat(Atlas.builder().sqlite(db).dataDirectory(Path.of("/var/atlas")).config().assetDirectory())
                .isEqualTo(Path.of("/var/atlas/assets"));
        assertThat(Atlas.builder().jdbcUrl("jdbc:postgresql://db/app").config().assetDirectory()).isEqualTo(Path.of("atlas-data", "assets"));
        assertThatThrownBy(() -> Atlas.builder().blobStore(null).config()).isInstanceOf(ConfigurationException.class);
    }

    @Test
    @DisplayName("the local blob store rejects keys that could escape its directory")
    void blobKeys(@TempDir Path dir) throws Exception {
        LocalDirectoryBlobStore store = new LocalDirectoryBlobStore(dir);
        for (String bad : new String[] {"../x", "/abs", "a/../../b", ".tmp/x", "a//b", "", "a\\b"}) {
            assertThatThrownBy(() -> store.put(bad, new ByteArrayInputStream(new byte[0])))
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("key"));
        }
        assertThat(store.put("t1/abc", new ByteArrayInputStream(new byte[] {1, 2})).sizeBytes()).isEqualTo(2);
        assertThatThrownBy(() -> store.put("t1/abc", new ByteArrayInputStream(new byte[0]))).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(store.list("t1/")).hasSize(1);
    }
}
