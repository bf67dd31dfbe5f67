package dev.atlas.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.atlas.Atlas;
import dev.atlas.Limits;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "usage", mixinStandardHelpOptions = true,
        description = {"Executions, failures, tokens and cost grouped by day, model, provider, agent, conversation, owner, project or tenant.",
                "With --tenant: that tenant's executions; without: every tenant's."})
final class UsageCommand implements Callable<Integer> {
    enum Format { table, csv, json }

    @ParentCommand
    AtlasCli root;

    @Spec
    CommandSpec spec;

    @Option(names = "--by", defaultValue = "model", description = "Group by: day, model, provider, agent, conversation, owner, project or tenant (default: ${DEFAULT-VALUE}).")
    String by;

    @Option(names = "--from", paramLabel = "<date|instant>", description = "Executions created at or after this (e.g. 2026-01-01); default: all time.")
    String from;

    @Option(names = "--to", paramLabel = "<date|instant>", description = "Executions created before this; a date means its start; default: all time.")
    String to;

    @Option(names = "--format", defaultValue = "table", description = "Output: table, csv or json, in any case (default: ${DEFAULT-VALUE}).")
    String formatName;

    @Override
    public Integer call() throws Exception {
        UsageGroup group;
        try {
            group = UsageGroup.of(by.toLowerCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new ParameterException(spec.commandLine(), "--by: '" + by + "' is not one of [day, model, provider, agent, conversation, owner, project, tenant]");
        }
        // Any case, as --by and --order; refused in the words of their refusals.
        Format format = java.util.Arrays.stream(Format.values()).filter(f -> f.name().equalsIgnoreCase(formatName)).findFirst()
                .orElseThrow(() -> new ParameterException(spec.commandLine(), "--format: '" + formatName + "' is not one of [table, csv, json]"));
        // All time means every instant Atlas stores, not up to this host's clock: an application
        // server whose clock runs ahead stamps calls this host would otherwise leave out.
        Instant start = from == null ? Limits.MIN_INSTANT : instant("--from", from);
        Instant end = to == null ? Limits.MAX_INSTANT : instant("--to", to);
        if (!start.isBefore(end)) {
            throw new ParameterException(spec.commandLine(), "--to: must be after --from");
        }
        PrintWriter out = spec.commandLine().getOut();
        List<UsageRow> rows;
        try (Atlas atlas = root.database(spec.commandLine()).open()) {
            rows = root.tenant == null ? atlas.usageReport(group, start, end) : atlas.tenant(root.tenant).executions().usageReport(group, start, end);
        }
        switch (format) {
            case table -> out.print(table(group, rows));
            case csv -> out.print(csv(group, rows));
            case json -> out.println(Text.jsonSafe(json(group, start, end, rows)));
        }
        out.flush();
        return AtlasCli.OK;
    }

    private Instant instant(String option, String value) {
        Instant instant;
        try {
            instant = value.length() == 10 ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new ParameterException(spec.commandLine(), option + ": must be a date (2026-01-31) or an instant (2026-01-31T12:00:00Z), was '" + value + "'");
        }
        // Checked here, before --from and --to are compared: a year past 9999 is out of range, not "--to: must be after --from".
        if (instant.isBefore(Limits.MIN_INSTANT) || instant.isAfter(Limits.MAX_INSTANT)) {
            throw new ParameterException(spec.commandLine(), option + ": must be between " + Limits.MIN_INSTANT + " and " + Limits.MAX_INSTANT
                    + ", was " + instant);
        }
        return instant;
    }

    private static String table(UsageGroup group, List<UsageRow> rows) {
        if (rows.isEmpty()) {
            return "No executions in the period.\n";
        }
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[]{group.toString().toUpperCase(Locale.ROOT), "CALLS", "FAILED", "INPUT", "OUTPUT", "REASONING", "CACHED", "CACHE WRITE", "COST"});
        // Each row's counts are exact longs (the report refuses a group past 2^63-1); their total may pass it.
        BigInteger calls = BigInteger.ZERO;
        BigInteger failed = BigInteger.ZERO;
        BigInteger in = BigInteger.ZERO;
        BigInteger outTokens = BigInteger.ZERO;
        BigInteger reasoning = BigInteger.ZERO;
        BigInteger cached = BigInteger.ZERO;
        BigInteger cacheWrite = BigInteger.ZERO;
        BigDecimal cost = BigDecimal.ZERO;
        for (UsageRow r : rows) {
            cells.add(new String[]{Text.oneLine(r.group() == null ? "(none)" : r.group()), n(r.executions()), n(r.failures()), n(r.inputTokens()),
                    n(r.outputTokens()), n(r.reasoningTokens()), n(r.cachedTokens()), n(r.cacheWriteTokens()), Text.money(r.cost())});
            calls = calls.add(BigInteger.valueOf(r.executions()));
            failed = failed.add(BigInteger.valueOf(r.failures()));
            in = in.add(BigInteger.valueOf(r.inputTokens()));
            outTokens = outTokens.add(BigInteger.valueOf(r.outputTokens()));
            reasoning = reasoning.add(BigInteger.valueOf(r.reasoningTokens()));
            cached = cached.add(BigInteger.valueOf(r.cachedTokens()));
            cacheWrite = cacheWrite.add(BigInteger.valueOf(r.cacheWriteTokens()));
            cost = cost.add(r.cost());
        }
        cells.add(new String[]{"total", n(calls), n(failed), n(in), n(outTokens), n(reasoning), n(cached), n(cacheWrite), Text.money(cost)});
        return Text.table(cells, new boolean[]{false, true, true, true, true, true, true, true, true});
    }

    private static String n(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String n(BigInteger v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String csv(UsageGroup group, List<UsageRow> rows) {
        StringBuilder b = new StringBuilder(group + ",executions,failures,input_tokens,output_tokens,reasoning_tokens,cached_tokens,cache_write_tokens,cost\n");
        for (UsageRow r : rows) {
            b.append(csvCell(r.group())).append(',').append(r.executions()).append(',').append(r.failures()).append(',')
                    .append(r.inputTokens()).append(',').append(r.outputTokens()).append(',').append(r.reasoningTokens()).append(',')
                    .append(r.cachedTokens()).append(',').append(r.cacheWriteTokens()).append(',').append(r.cost().toPlainString()).append('\n');
        }
        return b.toString();
    }

    /**
     * RFC 4180 quoting; a cell a spreadsheet would run as a formula (=, +, -, @) gets a leading
     * apostrophe, and control characters are shown as codes ({@link Text#safe}), since group
     * names (agents, owners) are stored text and the CSV may well be read on a terminal.
     */
    static String csvCell(String value) {
        if (value == null) {
            return "";
        }
        String shown = Text.safe(value);
        String v = shown;
        if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0) {
            v = "'" + v;
        }
        if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r") || !v.equals(shown)) {
            v = "\"" + v.replace("\"", "\"\"") + "\"";
        }
        return v;
    }

    private String json(UsageGroup group, Instant start, Instant end, List<UsageRow> rows) throws Exception {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("groupBy", group.toString());
        doc.put("tenant", root.tenant);
        doc.put("from", start.toString());
        doc.put("to", end.toString());
        List<Map<String, Object>> list = new ArrayList<>();
        for (UsageRow r : rows) {
            list.add(row(r));
        }
        doc.put("rows", list);
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc);
    }

    /** A usage row as JSON; the cost is a decimal string so no precision is lost. */
    static Map<String, Object> row(UsageRow r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("group", r.group());
        m.put("executions", r.executions());
        m.put("failures", r.failures());
        m.put("inputTokens", r.inputTokens());
        m.put("outputTokens", r.outputTokens());
        m.put("reasoningTokens", r.reasoningTokens());
        m.put("cachedTokens", r.cachedTokens());
        m.put("cacheWriteTokens", r.cacheWriteTokens());
        m.put("cost", r.cost().toPlainString());
        return m;
    }
}
