package dev.atlas.task;

import dev.atlas.InvalidInputException;
import dev.atlas.internal.Check;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.BitSet;

import org.jspecify.annotations.Nullable;

/**
 * A 5-field cron expression, evaluated in UTC unless it names a time zone:
 * {@code [CRON_TZ=zone] minute hour day-of-month month day-of-week}.
 *
 * <p><b>Time zones.</b> With a leading {@code CRON_TZ=} and a {@link ZoneId} ({@code Europe/Berlin},
 * {@code America/New_York}, {@code +05:30}) the fields match the wall clock of that zone. Across
 * daylight-saving changes (the rule of cronie):
 * <ul>
 * <li>A wall-clock time that a change skips fires once, at the same distance after the change
 * ({@code 02:30} on the day Berlin's clocks jump from 02:00 to 03:00 fires at 03:30).</li>
 * <li>When the clocks go back and an hour occurs twice, an expression whose hour field matches
 * every hour ({@code *}, {@code 0-23}: it fires at least hourly) keeps its cadence in real time
 * and fires in both passes of the repeated hour ({@code CRON_TZ=Europe/Berlin *}{@code /15 * * * *}
 * fires every 15 real minutes, also from 02:00 to 03:00 CEST and again from 02:00 to 03:00 CET).
 * An expression with specific hours fires only in the first pass ({@code 30 2 * * *} fires
 * once that day, at 02:30 CEST).</li>
 * </ul>
 *
 * <p>Each field is {@code *}, a number, a range {@code a-b}, a step {@code *}{@code /n},
 * {@code a-b/n} or {@code a/n} (from {@code a} to the field's end), or a comma-separated list of
 * those. Ranges: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12, day-of-week 0-7 (0 and
 * 7 are Sunday). As in classic cron, when both day-of-month and day-of-week are restricted (do
 * not start with {@code *}), a day matches if either does; otherwise it must match both. Names ({@code JAN}, {@code MON}), {@code L},
 * {@code W}, {@code #}, {@code ?}, seconds and macros such as {@code @daily} are not supported
 * and are refused, as is an expression that can never fire ({@code 0 0 30 2 *}).
 *
 * <pre>{@code
 * Cron.parse("0,30 9-17 * * 1-5")   // on the hour and half hour from 09:00 to 17:30 UTC, Monday to Friday
 * Cron.parse("0 3 1 * *")          // 03:00 UTC on the first of each month
 * }</pre>
 */
public final class Cron {
    /** Longest expression accepted. */
    public static final int MAX_LENGTH = 200;
    private static final String FIELD = "cron";
    // No 5-field expression that fires at all waits longer than this (29 February on a given weekday: 28 years).
    private static final int SEARCH_YEARS = 30;

    private static final String ZONE_PREFIX = "CRON_TZ=";

    private final String expression;
    private final ZoneId zone;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet days;
    private final BitSet months;
    private final BitSet weekdays;
    private final boolean anyDay;
    private final boolean anyWeekday;
    private final boolean everyHour;

    private Cron(String expression, ZoneId zone, String[] f) {
        this.expression = expression;
        this.zone = zone;
        this.minutes = field(f[0], 0, 59, "minute");
        this.hours = field(f[1], 0, 23, "hour");
        this.days = field(f[2], 1, 31, "day-of-month");
        this.months = field(f[3], 1, 12, "month");
        BitSet w = field(f[4], 0, 7, "day-of-week");
        if (w.get(7)) {
            w.set(0);
        }
        this.weekdays = w;
        this.anyDay = f[2].startsWith("*");
        this.anyWeekday = f[4].startsWith("*");
        this.everyHour = hours.cardinality() == 24;
    }

    /**
     * Parses and validates {@code expression}.
     *
     * @param expression five fields separated by spaces
     * @return the parsed expression
     * @throws InvalidInputException naming {@code cron} when it is malformed or never fires
     */
    public static Cron parse(String expression) {
        String text = Check.required(FIELD, expression, MAX_LENGTH).trim();
        String[] f = text.split("\\s+");
        ZoneId zone = ZoneOffset.UTC;
        String prefix = "";
        if (f[0].startsWith(ZONE_PREFIX)) {
            zone = zone(f[0].substring(ZONE_PREFIX.length()));
            prefix = ZONE_PREFIX + zone.getId() + " ";
            f = java.util.Arrays.copyOfRange(f, 1, f.length);
        }
        if (f.length != 5) {
            throw new InvalidInputException(FIELD, "needs 5 fields (minute hour day-of-month month day-of-week), has " + f.length
                    + ": '" + Check.escaped(text) + "'");
        }
        Cron cron = new Cron(prefix + String.join(" ", f), zone, f);
        if (cron.next(Instant.EPOCH) == null) {
            throw new InvalidInputException(FIELD, "never fires: '" + Check.escaped(text) + "'");
        }
        return cron;
    }

    private static ZoneId zone(String id) {
        try {
            return ZoneId.of(id);
        } catch (DateTimeException e) {
            throw new InvalidInputException(FIELD, "'" + ZONE_PREFIX + Check.escaped(id) + "' names no time zone (use an id such as Europe/Berlin)");
        }
    }

    /**
     * The time zone whose wall clock the fields match: UTC unless the expression starts with {@code CRON_TZ=}.
     *
     * @return the zone
     */
    public ZoneId zone() {
        return zone;
    }

    /**
     * The expression, its fields separated by single spaces (after {@code CRON_TZ=zone} when it names one).
     *
     * @return the expression
     */
    public String expression() {
        return expression;
    }

    /**
     * The first occurrence strictly after {@code after}: a minute matching the expression on the
     * wall clock of {@link #zone()} (see the class comment for daylight-saving changes).
     *
     * @param after the instant to search from, within {@link dev.atlas.Limits#MIN_INSTANT} to {@link dev.atlas.Limits#MAX_INSTANT}
     * @return the next occurrence, or {@code null} if none within 30 years or up to {@link dev.atlas.Limits#MAX_INSTANT}
     * @throws InvalidInputException naming {@code after} when it is null or outside that range
     */
    public @Nullable Instant next(Instant after) {
        Check.notNull("after", after);
        Check.instant("after", after);
        Instant next = firstPassNext(after);
        Instant repeated = everyHour ? secondPass(after, next) : null;
        Instant found = repeated != null ? repeated : next;
        // Never an instant next itself would refuse: iterating occurrences ends with null, not an exception.
        return found == null || found.isAfter(dev.atlas.Limits.MAX_INSTANT) ? null : found;
    }

    /**
     * The first match after {@code after} in the second pass of a repeated hour before {@code limit}, or
     * null: cronie's rule for an expression that fires at least hourly, which keeps its real-time
     * cadence there instead of leaving the hour out.
     */
    private @Nullable Instant secondPass(Instant after, @Nullable Instant limit) {
        if (limit == null) {
            // Every wall-clock time of a second pass occurs in a first pass too, at most an hour or two earlier.
            return null;
        }
        ZoneRules rules = zone.getRules();
        ZoneOffsetTransition change = rules.previousTransition(after.plusNanos(1));
        if (change == null || !change.isOverlap() || !after.isBefore(change.getInstant().plus(change.getDuration().negated()))) {
            change = rules.nextTransition(after);
        }
        for (; change != null && change.getInstant().isBefore(limit); change = rules.nextTransition(change.getInstant())) {
            if (!change.isOverlap()) {
                continue;
            }
            // The second pass shows the wall-clock times from dateTimeAfter up to dateTimeBefore, at the later offset.
            LocalDateTime start = change.getDateTimeAfter();
            LocalDateTime minute = start.truncatedTo(ChronoUnit.MINUTES);
            for (LocalDateTime t = minute.isBefore(start) ? minute.plusMinutes(1) : minute; t.isBefore(change.getDateTimeBefore()); t = t.plusMinutes(1)) {
                Instant instant = t.toInstant(change.getOffsetAfter());
                if (!instant.isBefore(limit)) {
                    return null;
                }
                if (instant.isAfter(after) && matches(t)) {
                    return instant;
                }
            }
        }
        return null;
    }

    private boolean matches(LocalDateTime t) {
        return months.get(t.getMonthValue()) && dayMatches(t) && hours.get(t.getHour()) && minutes.get(t.getMinute());
    }

    private @Nullable Instant firstPassNext(Instant after) {
        LocalDateTime local = LocalDateTime.ofInstant(after, zone);
        // Just after clocks jumped forward, wall-clock times the jump skipped still fire after
        // "after" (each as far after the jump as it was after its start): read the clock as it was before.
        ZoneOffsetTransition jump = zone.getRules().previousTransition(after.plusNanos(1));
        if (jump != null && jump.isGap()) {
            LocalDateTime before = LocalDateTime.ofInstant(after, jump.getOffsetBefore());
            local = before.isBefore(local) ? before : local;
        }
        LocalDateTime t = local.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        LocalDateTime end = t.plusYears(SEARCH_YEARS);
        // A skipped wall-clock time fires after the change, possibly later than a real one just
        // after it; the search goes on until the wall clock reaches the skipped time's instant.
        Instant skipped = null;
        LocalDateTime skippedAt = null;
        while (t.isBefore(end)) {
            if (skippedAt != null && !t.isBefore(skippedAt)) {
                return skipped;
            }
            if (!months.get(t.getMonthValue())) {
                t = t.withDayOfMonth(1).withHour(0).withMinute(0).plusMonths(1);
            } else if (!dayMatches(t)) {
                t = t.withHour(0).withMinute(0).plusDays(1);
            } else if (!hours.get(t.getHour())) {
                t = t.withMinute(0).plusHours(1);
            } else if (!minutes.get(t.getMinute())) {
                t = t.plusMinutes(1);
            } else {
                // The earlier offset where the wall clock shows t twice; shifted past the change where it never does.
                ZonedDateTime at = ZonedDateTime.ofLocal(t, zone, null);
                Instant instant = at.toInstant();
                if (instant.isAfter(after)) {
                    if (at.toLocalDateTime().equals(t)) {
                        return skipped != null && skipped.isBefore(instant) ? skipped : instant;
                    }
                    if (skipped == null || instant.isBefore(skipped)) {
                        skipped = instant;
                        skippedAt = at.toLocalDateTime();
                    }
                }
                t = t.plusMinutes(1);
            }
        }
        return skipped;
    }

    private boolean dayMatches(LocalDateTime t) {
        boolean day = days.get(t.getDayOfMonth());
        boolean weekday = weekdays.get(t.getDayOfWeek().getValue() % 7);
        if (anyDay || anyWeekday) {
            return day && weekday;
        }
        return day || weekday;
    }

    private static BitSet field(String text, int min, int max, String name) {
        BitSet bits = new BitSet(max + 1);
        for (String part : text.split(",", -1)) {
            String range = part;
            int step = 1;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                range = part.substring(0, slash);
                step = number(part.substring(slash + 1), 1, max - min + 1, name + " step", text);
            }
            int lo;
            int hi;
            if (range.equals("*")) {
                lo = min;
                hi = max;
            } else if (range.indexOf('-') > 0) {
                lo = number(range.substring(0, range.indexOf('-')), min, max, name, text);
                hi = number(range.substring(range.indexOf('-') + 1), min, max, name, text);
                if (hi < lo) {
                    throw new InvalidInputException(FIELD, name + " range '" + Check.escaped(range) + "' runs backwards");
                }
            } else {
                lo = number(range, min, max, name, text);
                hi = slash >= 0 ? max : lo;
            }
            for (int v = lo; v <= hi; v += step) {
                bits.set(v);
            }
        }
        return bits;
    }

    private static int number(String s, int min, int max, String name, String field) {
        if (s.isEmpty() || s.length() > 2 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new InvalidInputException(FIELD, name + " field '" + Check.escaped(field) + "' is not a number, range, step or list of them");
        }
        int v = Integer.parseInt(s);
        if (v < min || v > max) {
            throw new InvalidInputException(FIELD, name + " " + v + " is outside " + min + "-" + max);
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cron c && c.expression.equals(expression);
    }

    @Override
    public int hashCode() {
        return expression.hashCode();
    }

    @Override
    public String toString() {
        return expression;
    }
}
