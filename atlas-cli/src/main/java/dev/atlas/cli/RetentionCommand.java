package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.retention.Retention;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Function;

@Command(name = "retention", mixinStandardHelpOptions = true, description = "Applies retention rules.",
        subcommands = RetentionCommand.Run.class)
final class RetentionCommand implements Callable<Integer> {
    @ParentCommand
    AtlasCli root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: run");
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Runs a retention policy on the tenant given by --tenant, or on every tenant.",
                    "Durations: 30d, 12h, 45m or ISO-8601 (P30D). At least one rule is required."})
    static final class Run implements Callable<Integer> {
        @ParentCommand
        RetentionCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--delete-messages-after", paramLabel = "<age>", description = "Soft-delete messages older than this.")
        String deleteMessagesAfter;

        @Option(names = "--hard-delete-after", paramLabel = "<grace>", description = "Hard-delete rows soft-deleted longer ago than this.")
        String hardDeleteAfter;

        @Option(names = "--archive-idle-after", paramLabel = "<idle>", description = "Archive open conversations idle this long.")
        String archiveIdleAfter;

        @Option(names = "--purge-archived-after", paramLabel = "<age>", description = "Remove conversations archived this long ago, with everything hanging off them.")
        String purgeArchivedAfter;

        @Option(names = "--drop-expired-memories", description = "Remove memories whose expiry time has passed.")
        boolean dropExpiredMemories;

        @Option(names = "--purge-detached-executions-after", paramLabel = "<age>",
                description = "Remove finished executions without a conversation created this long ago, with their steps, tool calls and produced assets.")
        String purgeDetachedExecutionsAfter;

        @Option(names = "--purge-finished-tasks-after", paramLabel = "<age>", description = "Remove tasks that completed, failed or were cancelled this long ago.")
        String purgeFinishedTasksAfter;

        @Option(names = "--purge-deleted-assets-after", paramLabel = "<age>", description = "Remove assets soft-deleted this long ago, rows and bytes.")
        String purgeDeletedAssetsAfter;

        @Option(names = "--purge-detached-voice-calls-after", paramLabel = "<age>",
                description = "Remove completed or failed voice calls without a conversation, transcript and all, last written this long ago.")
        String purgeDetachedVoiceCallsAfter;

        @Option(names = "--lease", paramLabel = "<duration>", defaultValue = "10m",
                description = {"How long a run holds each tenant's retention lease, 1s to 1d (default: ${DEFAULT-VALUE}, a RetentionWorker's);"
                        + " make it longer than a run takes. A run killed midway holds the tenant's lease until it expires.",
                        "A tenant whose lease another process (an application's RetentionWorker) holds is skipped (exit 1). A dry run takes none."})
        String lease;

        @Option(names = "--batch-size", defaultValue = "500", description = "Rows per write transaction, 1 to 10000 (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--dry-run", description = "Count what would change without changing anything.")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            RetentionPolicy policy = RetentionPolicy.none().dryRun(dryRun).dropExpiredMemories(dropExpiredMemories);
            if (batchSize < 1 || batchSize > 10_000) {
                throw new ParameterException(spec.commandLine(), "--batch-size: must be between 1 and 10000, was " + batchSize);
            }
            policy = policy.batchSize(batchSize);
            if (deleteMessagesAfter != null) {
                policy = rule("--delete-messages-after", deleteMessagesAfter, policy::deleteMessagesOlderThan);
            }
            if (hardDeleteAfter != null) {
                policy = rule("--hard-delete-after", hardDeleteAfter, policy::hardDeleteAfter);
            }
            if (archiveIdleAfter != null) {
                policy = rule("--archive-idle-after", archiveIdleAfter, policy::archiveIdleConversations);
            }
            if (purgeArchivedAfter != null) {
                policy = rule("--purge-archived-after", purgeArchivedAfter, policy::purgeArchivedAfter);
            }
            if (purgeDetachedExecutionsAfter != null) {
                policy = rule("--purge-detached-executions-after", purgeDetachedExecutionsAfter, policy::purgeDetachedExecutionsAfter);
            }
            if (purgeFinishedTasksAfter != null) {
                policy = rule("--purge-finished-tasks-after", purgeFinishedTasksAfter, policy::purgeFinishedTasksAfter);
            }
            if (purgeDeletedAssetsAfter != null) {
                policy = rule("--purge-deleted-assets-after", purgeDeletedAssetsAfter, policy::purgeDeletedAssetsAfter);
            }
            if (purgeDetachedVoiceCallsAfter != null) {
                policy = rule("--purge-detached-voice-calls-after", purgeDetachedVoiceCallsAfter, policy::purgeDetachedVoiceCallsAfter);
            }
            if (policy.equals(RetentionPolicy.none().dryRun(dryRun).batchSize(batchSize))) {
                throw new ParameterException(spec.commandLine(), "no rule given: use --delete-messages-after, --hard-delete-after, "
                        + "--archive-idle-after, --purge-archived-after, --drop-expired-memories, --purge-detached-executions-after, "
                        + "--purge-finished-tasks-after, --purge-deleted-assets-after or --purge-detached-voice-calls-after");
            }
            Duration leaseFor = duration("--lease", lease);
            if (leaseFor.compareTo(Retention.MIN_LEASE) < 0 || leaseFor.compareTo(Duration.ofDays(1)) > 0) {
                throw new ParameterException(spec.commandLine(), "--lease: must be between 1s and 1d, was '" + lease + "'");
            }
            AtlasCli root = parent.root;
            Database db = root.database(spec.commandLine());
            PrintWriter out = spec.commandLine().getOut();
            Progress progress = new Progress(spec.commandLine().getErr());
            try (Atlas atlas = db.open()) {
                List<String> tenants = root.tenant != null ? List.of(root.tenant) : db.tenants();
                int i = 0;
                int skipped = 0;
                int refused = 0;
                for (String tenant : tenants) {
                    // An id stored before the library refused it: not --tenant's fault (not given), and not the other tenants'.
                    String refusal = root.tenant != null ? null : Database.tenantRefusal(tenant);
                    String shown = refusal == null ? Text.oneLine(tenant) : "'" + Text.oneLine(tenant) + "'";
                    progress.step(String.format(Locale.ROOT, "[%d/%d] retention on tenant %s ...", ++i, tenants.size(), shown));
                    if (refusal != null) {
                        progress.done();
                        refused++;
                        out.printf(Locale.ROOT, "Tenant %s: skipped, Atlas refuses this stored tenant id: %s%n", shown, Text.oneLine(refusal));
                        continue;
                    }
                    Retention retention = atlas.tenant(tenant).retention();
                    // Under the tenant's lease, as every RetentionWorker runs: one process purges a tenant at a time.
                    Optional<RetentionReport> report = dryRun ? Optional.of(retention.runRetention(policy)) : retention.runExclusive(policy, leaseFor);
                    progress.done();
                    if (report.isPresent()) {
                        print(out, tenant, report.get());
                    } else {
                        skipped++;
                        out.printf(Locale.ROOT, "Tenant %s: skipped, retention is running in another process (its lease has not expired)%n", Text.oneLine(tenant));
                    }
                }
                if (tenants.isEmpty()) {
                    out.println("No tenants: nothing to do.");
                }
                out.flush();
                List<String> why = new java.util.ArrayList<>();
                if (skipped > 0) {
                    why.add("retention skipped on " + skipped + (skipped == 1 ? " tenant" : " tenants")
                            + " whose lease another process holds: run again later");
                }
                if (refused > 0) {
                    why.add("retention skipped on " + refused + (refused == 1 ? " tenant" : " tenants") + " whose stored id Atlas refuses");
                }
                if (!why.isEmpty()) {
                    throw new CliException(String.join("; ", why));
                }
            }
            out.flush();
            return AtlasCli.OK;
        }

        private static void print(PrintWriter out, String tenant, RetentionReport report) {
            Map<String, Long> counts = new TreeMap<>(report.counts());
            counts.values().removeIf(v -> v == 0);
            out.printf(Locale.ROOT, "Tenant %s%s: %s%n", Text.oneLine(tenant), report.dryRun() ? " (dry run, nothing changed)" : "",
                    counts.isEmpty() ? "nothing to do" : report.dryRun() ? "would change" : "changed");
            counts.forEach((k, v) -> out.printf(Locale.ROOT, "  %-32s %,d%n", k, v));
        }

        /**
         * {@code set} applied to {@code value}, parsed. The library's refusal of the duration (over 1000 years) names the
         * policy's field, which {@link AtlasCli#OPTION_OF_FIELD} turns into a usage error named by the option, as for every rule.
         */
        private RetentionPolicy rule(String option, String value, Function<Duration, RetentionPolicy> set) {
            return set.apply(duration(option, value));
        }

        private Duration duration(String option, String value) {
            Duration d = parse(option, value);
            if (d.isZero() || d.isNegative()) {
                throw new ParameterException(spec.commandLine(), option + ": must be a positive duration such as 30d, 12h, 45m or P30D, was '"
                        + value + "'");
            }
            return d;
        }

        private Duration parse(String option, String value) {
            try {
                if (value.matches("\\d+[dhms]")) {
                    long n = Long.parseLong(value.substring(0, value.length() - 1));
                    return switch (value.charAt(value.length() - 1)) {
                        case 'd' -> Duration.ofDays(n);
                        case 'h' -> Duration.ofHours(n);
                        case 'm' -> Duration.ofMinutes(n);
                        default -> Duration.ofSeconds(n);
                    };
                }
                return Duration.parse(value);
            } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
                throw new ParameterException(spec.commandLine(), option + ": must be a duration such as 30d, 12h, 45m or P30D, was '" + value + "'");
            }
        }
    }
}
