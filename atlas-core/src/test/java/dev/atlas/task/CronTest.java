package dev.atlas.task;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Cron across daylight-saving changes (Europe/Berlin: 2026-03-29 02:00 CET to 03:00 CEST, 2026-10-25 03:00 CEST to 02:00 CET). */
class CronTest {
    private static List<Instant> fires(String expression, String from, String until) {
        Cron cron = Cron.parse(expression);
        List<Instant> out = new ArrayList<>();
        Instant end = Instant.parse(until);
        for (Instant t = cron.next(Instant.parse(from)); !t.isAfter(end); t = cron.next(t)) {
            out.add(t);
        }
        return out;
    }

    private static List<Instant> every15(String from, String until) {
        List<Instant> out = new ArrayList<>();
        for (Instant t = Instant.parse(from); !t.isAfter(Instant.parse(until)); t = t.plusSeconds(900)) {
            out.add(t);
        }
        return out;
    }

    @Test
    @DisplayName("clocks go back: '*/15 * * * *' (hour field every hour) fires every 15 real minutes through both 02:00-03:00 of the repeated hour")
    void subHourlyKeepsCadenceWhenClocksGoBack() {
        assertThat(fires("CRON_TZ=Europe/Berlin */15 * * * *", "2026-10-24T23:50:00Z", "2026-10-25T02:30:00Z"))
                .containsExactlyElementsOf(every15("2026-10-25T00:00:00Z", "2026-10-25T02:30:00Z"));
        // From inside the second 02:xx (CET): the next quarter of that pass, not the hour after it.
        assertThat(Cron.parse("CRON_TZ=Europe/Berlin */15 * * * *").next(Instant.parse("2026-10-25T01:20:00Z")))
                .isEqualTo(Instant.parse("2026-10-25T01:30:00Z"));
        assertThat(Cron.parse("CRON_TZ=Europe/Berlin */15 * * * *").next(Instant.parse("2026-10-25T00:50:00Z")))
                .isEqualTo(Instant.parse("2026-10-25T01:00:00Z"));
    }

    @Test
    @DisplayName("clocks go back: '0 * * * *' fires at 02:00 CEST, 02:00 CET and 03:00 CET, one real hour apart")
    void hourlyKeepsCadenceWhenClocksGoBack() {
        assertThat(fires("CRON_TZ=Europe/Berlin 0 * * * *", "2026-10-24T23:30:00Z", "2026-10-25T02:30:00Z")).containsExactly(
                Instant.parse("2026-10-25T00:00:00Z"), Instant.parse("2026-10-25T01:00:00Z"), Instant.parse("2026-10-25T02:00:00Z"));
    }

    @Test
    @DisplayName("clocks go back: a specific hour ('30 2 * * *', '*/15 1-3 * * *') fires at the first 02:xx only")
    void specificHourFiresOnceWhenClocksGoBack() {
        assertThat(fires("CRON_TZ=Europe/Berlin 30 2 * * *", "2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z"))
                .containsExactly(Instant.parse("2026-10-25T00:30:00Z"), Instant.parse("2026-10-26T01:30:00Z"));
        assertThat(Cron.parse("CRON_TZ=Europe/Berlin 30 2 * * *").next(Instant.parse("2026-10-25T01:20:00Z")))
                .isEqualTo(Instant.parse("2026-10-26T01:30:00Z"));
        List<Instant> expected = new ArrayList<>(every15("2026-10-24T23:00:00Z", "2026-10-25T00:45:00Z"));
        expected.addAll(every15("2026-10-25T02:00:00Z", "2026-10-25T02:45:00Z"));
        assertThat(fires("CRON_TZ=Europe/Berlin */15 1-3 * * *", "2026-10-24T22:50:00Z", "2026-10-25T03:00:00Z"))
                .containsExactlyElementsOf(expected);
    }

    @Test
    @DisplayName("clocks jump forward: '*/15 * * * *' keeps its real-time cadence; '30 2 * * *' still fires once, at 03:30 CEST")
    void springForward() {
        assertThat(fires("CRON_TZ=Europe/Berlin */15 * * * *", "2026-03-29T00:20:00Z", "2026-03-29T01:30:00Z"))
                .containsExactlyElementsOf(every15("2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"));
        assertThat(fires("CRON_TZ=Europe/Berlin 30 2 * * *", "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z"))
                .containsExactly(Instant.parse("2026-03-29T01:30:00Z"), Instant.parse("2026-03-30T00:30:00Z"));
    }

    @Test
    @DisplayName("a day restriction holds in the repeated hour too: '*/30 * 24 10 *' has no second pass on 25 October")
    void dayRestrictionInRepeatedHour() {
        assertThat(Cron.parse("CRON_TZ=Europe/Berlin */30 * 25 10 *").next(Instant.parse("2026-10-25T00:40:00Z")))
                .isEqualTo(Instant.parse("2026-10-25T01:00:00Z"));
        assertThat(Cron.parse("CRON_TZ=Europe/Berlin */30 * 24 10 *").next(Instant.parse("2026-10-24T21:40:00Z")))
                .isEqualTo(Instant.parse("2027-10-23T22:00:00Z"));
    }

    @Test
    @DisplayName("next refuses an instant outside 0001-9999 with InvalidInputException naming after, never a raw DateTimeException")
    void nextOutsideStorableRange() {
        Cron cron = Cron.parse("CRON_TZ=Europe/Berlin * * * * *");
        for (Instant bad : List.of(Instant.MAX, Instant.MIN, dev.atlas.Limits.MAX_INSTANT.plusSeconds(1))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> cron.next(bad)).isInstanceOf(dev.atlas.InvalidInputException.class)
                    .satisfies(e -> assertThat(((dev.atlas.InvalidInputException) e).field()).isEqualTo("after"));
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cron.next(null)).isInstanceOf(dev.atlas.InvalidInputException.class)
                .satisfies(e -> assertThat(((dev.atlas.InvalidInputException) e).field()).isEqualTo("after"));
        assertThat(Cron.parse("* * * * *").next(dev.atlas.Limits.MIN_INSTANT)).isEqualTo(Instant.parse("0001-01-01T00:01:00Z"));
    }

    @Test
    @DisplayName("a step outside its range is refused naming cron and calling it a step ('*/0', '0/61'), not a value of the field")
    void badStepNamedAsStep() {
        for (String[] bad : new String[][] {{"*/0 * * * *", "minute step 0 is outside 1-60"}, {"0/61 * * * *", "minute step 61 is outside 1-60"},
                {"* */25 * * *", "hour step 25 is outside 1-24"}}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Cron.parse(bad[0])).isInstanceOf(dev.atlas.InvalidInputException.class)
                    .hasMessageContaining(bad[1])
                    .satisfies(e -> assertThat(((dev.atlas.InvalidInputException) e).field()).isEqualTo("cron"));
        }
    }

    @Test
    @DisplayName("next never returns an instant it would itself refuse: past Limits.MAX_INSTANT there is no occurrence (null), so iterating occurrences ends cleanly")
    void noOccurrenceAfterMaxInstant() {
        assertThat(Cron.parse("0 0 1 1 *").next(Instant.parse("9999-06-01T00:00:00Z"))).isNull();
        assertThat(Cron.parse("CRON_TZ=Pacific/Kiritimati 0 0 31 12 *").next(Instant.parse("9999-06-01T00:00:00Z")))
                .isEqualTo(Instant.parse("9999-12-30T10:00:00Z"));
        assertThat(Cron.parse("59 23 31 12 *").next(Instant.parse("9999-12-31T23:58:00Z"))).isEqualTo(Instant.parse("9999-12-31T23:59:00Z"));
        assertThat(Cron.parse("59 23 31 12 *").next(Instant.parse("9999-12-31T23:59:00Z"))).isNull();
    }

    @Test
    @DisplayName("other zones' changes (past dates, fixed in tzdata): a change at midnight (Santiago), a half-hour change (Lord Howe)"
            + " and a skipped day (Apia, 30 December 2011) follow the same rules as Berlin's")
    void changesOfOtherShapes() {
        // Santiago 2024-09-08: 00:00 -04 jumps to 01:00 -03, so that day's midnight fires at 01:00 -03, once.
        assertThat(fires("CRON_TZ=America/Santiago 0 0 * * *", "2024-09-06T12:00:00Z", "2024-09-09T12:00:00Z")).containsExactly(
                Instant.parse("2024-09-07T04:00:00Z"), Instant.parse("2024-09-08T04:00:00Z"), Instant.parse("2024-09-09T03:00:00Z"));
        // Lord Howe 2024-04-07: 02:00 +11 goes back to 01:30 +10:30; '*' hours keep 15 real minutes through the repeated half hour,
        assertThat(fires("CRON_TZ=Australia/Lord_Howe */15 * * * *", "2024-04-06T14:40:00Z", "2024-04-06T15:30:00Z"))
                .containsExactlyElementsOf(every15("2024-04-06T14:45:00Z", "2024-04-06T15:30:00Z"));
        // and a specific time in it fires in the first pass only.
        assertThat(fires("CRON_TZ=Australia/Lord_Howe 45 1 * * *", "2024-04-06T12:00:00Z", "2024-04-07T23:00:00Z"))
                .containsExactly(Instant.parse("2024-04-06T14:45:00Z"), Instant.parse("2024-04-07T15:15:00Z"));
        // Apia skipped 30 December 2011 (29th 23:59 -10 was followed by the 31st 00:00 +14): the 30th's noon, shifted a day,
        // falls on the 31st's noon, which fires once.
        assertThat(fires("CRON_TZ=Pacific/Apia 0 12 * * *", "2011-12-28T12:00:00Z", "2011-12-31T23:00:00Z")).containsExactly(
                Instant.parse("2011-12-28T22:00:00Z"), Instant.parse("2011-12-29T22:00:00Z"), Instant.parse("2011-12-30T22:00:00Z"),
                Instant.parse("2011-12-31T22:00:00Z"));
    }
}
