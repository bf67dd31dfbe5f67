package dev.atlas.jdbi.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class RetentionLockOrderTest {

    @Test
    @DisplayName("a batch's assets are locked, chunk after chunk, in PostgreSQL's uuid order (bytes unsigned), not in read order nor"
            + " in Java's signed order: two runs sharing more than a chunk of assets then lock them in the same order")
    void assetsAreLockedInPostgresUuidOrder() {
        UUID highFirstHalf = UUID.fromString("80000000-0000-0000-0000-000000000000");
        UUID belowHighFirstHalf = UUID.fromString("7fffffff-ffff-ffff-ffff-ffffffffffff");
        UUID highSecondHalf = UUID.fromString("00000000-0000-0000-8000-000000000000");
        UUID lowSecondHalf = UUID.fromString("00000000-0000-0000-0000-000000000001");
        List<UUID> read = List.of(highFirstHalf, highSecondHalf, belowHighFirstHalf, lowSecondHalf);

        assertThat(JdbiRetention.inLockOrder(read))
                .containsExactly(lowSecondHalf, highSecondHalf, belowHighFirstHalf, highFirstHalf);
    }
}
