package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.internal.JdbiAtlas;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The viewer's usage page: its days are those of the zone the page asks for (the browser's), and it
 * reads them in a grouped statement, not one report per day.
 */
class ViewerUsageTest {
    @TempDir
    static Path dir;
    static Database database;
    static Atlas atlas;
    static ViewerApi api;
    /** The day (UTC) three days ago; its execution at 20:00Z is the next day in Kathmandu (+05:45). */
    static LocalDate threeDaysAgo;

    @BeforeAll
    static void write() {
        Path file = dir.resolve("usage.db");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        threeDaysAgo = today.minusDays(3);
        Instant start = today.minusDays(40).atStartOfDay(ZoneOffset.UTC).plusHours(12).toInstant();
        Fixture.MovableClock clock = new Fixture.MovableClock(start);
        try (Atlas writer = Atlas.builder().sqlite(file).clock(clock).build()) {
            var acme = writer.tenant("acme");
            acme.prices().set(ModelPrice.of("openai", "gpt-test", "2.00", "8.00", Instant.parse("2024-01-01T00:00:00Z")));
            // One execution at noon UTC on each of 40 days before today (two models in turn).
            for (int i = 0; i < 40; i++) {
                var h = acme.executions().start(ExecutionSpec.text("openai", i % 2 == 0 ? "gpt-test" : "gpt-mini"));
                h.usage(Usage.of(1000, 10));
                h.complete();
                clock.advance(Duration.ofDays(1).toMillis());
            }
            clock.at(Duration.between(start, threeDaysAgo.atStartOfDay(ZoneOffset.UTC).plusHours(20).toInstant()));
            var late = acme.executions().start(ExecutionSpec.text("anthropic", "late"));
            late.usage(Usage.of(5, 5));
            late.complete();
        }
        database = new Database(file.toString(), null, null, "atlas_", null);
        atlas = database.open();
        api = new ViewerApi(atlas, database, null);
    }

    @AfterAll
    static void close() {
        atlas.close();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> usage(Map<String, String> q) throws Exception {
        return (Map<String, Object>) api.route(List.of("usage"), q);
    }

    /** It ran a report by day, then one report by model per day with executions: 42 statements for 40 such days. */
    @Test
    void aYearOfUsageIsReadInTwoStatements() throws Exception {
        AtomicInteger statements = new AtomicInteger();
        ((JdbiAtlas) atlas).db().statementListener((name, sql) -> statements.incrementAndGet());
        Map<String, Object> u;
        try {
            u = usage(Map.of("tenant", "acme", "days", "366"));
        } finally {
            ((JdbiAtlas) atlas).db().statementListener(null);
        }
        // The cells by day and model in one, the table by model in the other.
        assertThat(statements.get()).isEqualTo(2);
        assertThat((List<?>) u.get("days")).hasSize(366);
        List<Map<String, Object>> cells = (List<Map<String, Object>>) u.get("cells");
        assertThat(cells).hasSize(41);
        assertThat(cells.get(0)).containsEntry("day", LocalDate.now(ZoneOffset.UTC).minusDays(40).toString())
                .containsEntry("model", "openai/gpt-test").containsEntry("executions", 1L).containsEntry("cost", "0.00208");
        assertThat(u.get("zone")).isEqualTo("UTC");
    }

    @Test
    void theDaysAreThoseOfTheZoneAsked() throws Exception {
        ZoneId kathmandu = ZoneId.of("Asia/Kathmandu");
        LocalDate before = LocalDate.now(kathmandu);
        Map<String, Object> u = usage(Map.of("tenant", "acme", "days", "30", "zone", "Asia/Kathmandu"));
        LocalDate after = LocalDate.now(kathmandu);
        assertThat(u.get("zone")).isEqualTo("Asia/Kathmandu");
        List<String> days = (List<String>) u.get("days");
        // The period ends at the zone's today, not the host's UTC one.
        assertThat(days.get(29)).isIn(before.toString(), after.toString());
        List<Map<String, Object>> late = ((List<Map<String, Object>>) u.get("cells")).stream()
                .filter(c -> c.get("model").equals("anthropic/late")).toList();
        // 20:00Z is 01:45 the next day in Kathmandu.
        assertThat(late).singleElement().satisfies(c -> assertThat(c.get("day")).isEqualTo(threeDaysAgo.plusDays(1).toString()));
        Map<String, Object> utc = usage(Map.of("tenant", "acme", "days", "30"));
        assertThat(((List<Map<String, Object>>) utc.get("cells")).stream().filter(c -> c.get("model").equals("anthropic/late")).toList())
                .singleElement().satisfies(c -> assertThat(c.get("day")).isEqualTo(threeDaysAgo.toString()));
        // An offset is a zone too.
        assertThat(usage(Map.of("tenant", "acme", "days", "7", "zone", "+05:45")).get("zone")).isEqualTo("+05:45");
    }

    @Test
    void aZoneThatIsNoneIsRefusedNamingTheParameter() {
        for (String zone : new String[] {"Mars/Olympus", "", "+25:00", "UTC\u0000"}) {
            assertThatThrownBy(() -> usage(Map.of("tenant", "acme", "zone", zone))).as(zone).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("zone: is not a time zone (an id such as Europe/Berlin, UTC or +05:30), was '" + Text.oneLine(zone) + "'");
        }
    }
}
