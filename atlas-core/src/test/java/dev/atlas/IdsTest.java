package dev.atlas;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

// Ids keeps one order per JVM: an id made with a later clock moves every later id's time, so the
// test stamping a fixed 2026-01-01 runs before the one that goes past it.
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IdsTest {
    @Test
    @Order(1)
    @DisplayName("ids are version-7 UUIDs that sort in creation order, even within one millisecond")
    void monotonic() {
        Clock frozen = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(Ids.next(frozen));
        }
        for (int i = 1; i < ids.size(); i++) {
            assertThat(ids.get(i).toString()).isGreaterThan(ids.get(i - 1).toString());
        }
        assertThat(ids).allSatisfy(id -> {
            assertThat(id.version()).isEqualTo(7);
            assertThat(id.variant()).isEqualTo(2);
        });
        assertThat(ids.get(0).getMostSignificantBits() >>> 16).isEqualTo(Instant.parse("2026-01-01T00:00:00Z").toEpochMilli());
    }

    @Test
    @Order(2)
    @DisplayName("a clock behind the last id gets the last id's millisecond, so ids keep their order (Ids.next(Clock)'s Javadoc)")
    void aClockBehindTheLastIdIsNotItsStamp() {
        Instant ahead = Instant.parse("2026-01-01T01:00:00Z");
        UUID first = Ids.next(Clock.fixed(ahead, ZoneOffset.UTC));
        UUID behind = Ids.next(Clock.fixed(ahead.minusSeconds(3600), ZoneOffset.UTC));

        assertThat(first.getMostSignificantBits() >>> 16).isEqualTo(ahead.toEpochMilli());
        assertThat(behind.getMostSignificantBits() >>> 16).isEqualTo(ahead.toEpochMilli());
        assertThat(behind.toString()).isGreaterThan(first.toString());
    }
}
