package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.NewConversation;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
import dev.atlas.task.NewTask;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCallStore;
import dev.atlas.voice.VoiceTurn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code retention run} as an operator runs it beside the application's own retention workers. */
class CliRetentionTest {
    @TempDir
    Path dir;

    /**
     * Tenant acme, written on 2026-01-01 (the CLI's clock is later): an idle conversation, a finished task, a deleted asset, a detached
     * execution, a completed and an active voice call of no conversation.
     */
    private Path database() {
        Path db = dir.resolve("agent.db");
        Fixture.MovableClock clock = new Fixture.MovableClock(Instant.parse("2026-01-01T00:00:00Z"));
        try (Atlas atlas = Atlas.builder().sqlite(db).clock(clock).build()) {
            Tenant acme = atlas.tenant("acme");
            acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
            acme.tasks().create(NewTask.of("mail", Map.of()));
            acme.tasks().complete(acme.tasks().claim(Duration.ofMinutes(1)).orElseThrow(), null);
            acme.assets().delete(acme.assets().create(NewAsset.of(AssetType.IMAGE, "a.png", "image/png"), new byte[] {1}).id());
            acme.executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> null);
            VoiceCallStore calls = acme.voiceCalls();
            calls.complete(calls.start(NewVoiceCall.of("call-1", "openai", "gpt-realtime")).id(), List.of(VoiceTurn.user("hello")));
            calls.start(NewVoiceCall.of("call-2", "openai", "gpt-realtime"));
        }
        return db;
    }

    private static RetentionReport dryRun(Path db, RetentionPolicy policy) {
        try (Atlas atlas = Atlas.builder().sqlite(db).migrate(false).build()) {
            return atlas.tenant("acme").retention().runRetention(policy.dryRun(true));
        }
    }

    private static String printed(String header, RetentionReport report) {
        StringBuilder b = new StringBuilder(header);
        new TreeMap<>(report.counts()).forEach((k, v) -> b.append(String.format("  %-32s %,d%n", k, v)));
        return b.toString();
    }

    /**
     * A tenant id stored before the library refused it ('acme ', padded) made a run over every tenant
     * fail as a usage error blaming --tenant, which was not given, and stopped the tenants after it.
     * That tenant is skipped, said with the stored value's problem; the others run; exit 1.
     */
    @Test
    void aStoredTenantIdTheLibraryRefusesIsNamedAsStoredNotAsTheOption() throws Exception {
        Path db = database();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TEMP TABLE padded AS SELECT * FROM atlas_conversations WHERE tenant_id = 'acme'");
            s.executeUpdate("UPDATE padded SET tenant_id = 'acme ', id = '0190f1e2-8b3c-7def-8123-456789abcdef'");
            s.executeUpdate("INSERT INTO atlas_conversations SELECT * FROM padded");
        }
        RetentionPolicy policy = RetentionPolicy.none().archiveIdleConversations(Duration.ofDays(1));
        RetentionReport expected = dryRun(db, policy);
        Cli.Result r = Cli.run("--db", db.toString(), "retention", "run", "--archive-idle-after", "1d");
        assertThat(r.out()).isEqualTo(printed("Tenant acme: changed\n", expected)
                + "Tenant 'acme ': skipped, Atlas refuses this stored tenant id: must not start or end with white space\n");
        assertThat(r.err()).isEqualTo("[1/2] retention on tenant acme ...\n[2/2] retention on tenant 'acme ' ...\n"
                + "atlas: retention skipped on 1 tenant whose stored id Atlas refuses\n");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(dryRun(db, policy).counts()).isEmpty();
    }

    /** Retention covers finished tasks, detached executions and deleted assets: the CLI could not run those rules. */
    @Test
    void theRulesForTasksDetachedExecutionsAndDeletedAssetsRun() {
        Path db = database();
        RetentionPolicy policy = RetentionPolicy.none().purgeFinishedTasksAfter(Duration.ofDays(30))
                .purgeDetachedExecutionsAfter(Duration.ofDays(30)).purgeDeletedAssetsAfter(Duration.ofDays(30));
        RetentionReport expected = dryRun(db, policy);
        assertThat(expected.counts()).containsKeys("tasks.deleted", "executions.deleted", "assets.deleted");
        String[] args = {"--db", db.toString(), "-t", "acme", "retention", "run", "--purge-finished-tasks-after", "30d",
                "--purge-detached-executions-after", "720h", "--purge-deleted-assets-after", "P30D"};
        Cli.Result r = Cli.run(args);
        assertThat(r.err()).isEqualTo("[1/1] retention on tenant acme ...\n");
        assertThat(r.out()).isEqualTo(printed("Tenant acme: changed\n", expected));
        assertThat(r.exitCode()).isZero();
        assertThat(dryRun(db, policy).counts()).isEmpty();
    }

    /**
     * RetentionPolicy.purgeDetachedVoiceCallsAfter had no option, so a finished call of no conversation outlived every rule the CLI
     * runs. It is parsed, refused and printed as the other rules are; the active call stays.
     */
    @Test
    void theDetachedVoiceCallRuleRuns() {
        Path db = database();
        RetentionPolicy policy = RetentionPolicy.none().purgeDetachedVoiceCallsAfter(Duration.ofDays(30));
        assertThat(dryRun(db, policy).counts()).isEqualTo(Map.of("voice_calls.deleted", 1L));
        Cli.Result dry = Cli.run("--db", db.toString(), "-t", "acme", "retention", "run", "--purge-detached-voice-calls-after", "30d", "--dry-run");
        assertThat(dry.out()).isEqualTo("Tenant acme (dry run, nothing changed): would change\n  voice_calls.deleted              1\n");
        assertThat(dry.exitCode()).isZero();
        Cli.Result r = Cli.run("--db", db.toString(), "-t", "acme", "retention", "run", "--purge-detached-voice-calls-after", "P30D");
        assertThat(r.out()).isEqualTo("Tenant acme: changed\n  voice_calls.deleted              1\n");
        assertThat(r.err()).isEqualTo("[1/1] retention on tenant acme ...\n");
        assertThat(r.exitCode()).isZero();
        assertThat(dryRun(db, policy).counts()).isEmpty();
        try (Atlas atlas = Atlas.builder().sqlite(db).migrate(false).build()) {
            assertThat(atlas.tenant("acme").voiceCalls().bySession("call-1", 10, null).items()).isEmpty();
            assertThat(atlas.tenant("acme").voiceCalls().bySession("call-2", 10, null).items()).hasSize(1);
        }
        for (String[] bad : new String[][] {{"0d", "a positive duration"}, {"soon", "a duration"}}) {
            Cli.Result refused = Cli.run("--db", db.toString(), "retention", "run", "--purge-detached-voice-calls-after", bad[0]);
            assertThat(refused.exitCode()).as(bad[0]).isEqualTo(2);
            assertThat(refused.out()).as(bad[0]).isEmpty();
            assertThat(refused.err()).as(bad[0]).isEqualTo("atlas: --purge-detached-voice-calls-after: must be " + bad[1]
                    + " such as 30d, 12h, 45m or P30D, was '" + bad[0] + "'\nTry 'atlas retention run --help' for more information.\n");
        }
    }

    /**
     * The library names a refused retention duration by its RetentionPolicy field, and AtlasCli.OPTION_OF_FIELD, the one place
     * that turns a field into the option that gave it, knows every rule's: it lacked the four newest (purgeDetachedExecutionsAfter
     * and so on), which RetentionCommand named itself. Read off the policy's fields, so the next rule is not missed either.
     */
    @Test
    void everyRetentionDurationFieldMapsToItsRetentionRunOption() {
        picocli.CommandLine.Model.CommandSpec run = AtlasCli.commandLine().getSubcommands().get("retention").getSubcommands().get("run")
                .getCommandSpec();
        List<String> fields = java.util.Arrays.stream(RetentionPolicy.class.getDeclaredFields())
                .filter(f -> f.getType() == Duration.class && !java.lang.reflect.Modifier.isStatic(f.getModifiers()))
                .map(java.lang.reflect.Field::getName).toList();
        assertThat(fields).hasSize(8);
        for (String field : fields) {
            String option = "--" + field.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
            assertThat(run.findOption(option)).as(option).isNotNull();
            assertThat(AtlasCli.OPTION_OF_FIELD).as(field).containsEntry(field, option);
        }
    }

    /**
     * docs/cli.md: a retention duration over 1000 years is a usage error naming its option. The library's refusal of
     * the four newest rules (field purgeDetachedExecutionsAfter and so on) was not mapped to their options.
     */
    @Test
    void aDurationOverAThousandYearsIsAUsageErrorNamingTheOptionOfEveryRule() {
        Path db = database();
        for (String option : new String[] {"--purge-detached-executions-after", "--purge-finished-tasks-after", "--purge-deleted-assets-after",
                "--purge-detached-voice-calls-after"}) {
            Cli.Result r = Cli.run("--db", db.toString(), "retention", "run", option, "1000000d");
            assertThat(r).as(option).isEqualTo(new Cli.Result(2, "", "atlas: " + option + ": must be at most 1000 years, was PT24000000H\n"
                    + "Try 'atlas retention run --help' for more information.\n"));
        }
    }

    /**
     * docs/portability.md: one process purges a tenant at a time, under its retention lease. The
     * CLI ran the policy without it, beside an application worker holding it; now a tenant whose
     * lease another process holds is skipped and said to be (exit 1), the others run, and a dry run
     * (which changes nothing) needs no lease.
     */
    @Test
    void aRunSkipsATenantWhoseRetentionLeaseAnotherProcessHolds() throws Exception {
        Path db = database();
        try (Atlas atlas = Atlas.builder().sqlite(db).migrate(false).clock(new Fixture.MovableClock(Instant.parse("2026-01-01T00:00:00Z"))).build()) {
            atlas.tenant("globex").conversations().create(NewConversation.of(Owner.user("7"), "support"));
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO atlas_leases (tenant_id, name, holder, expires_at) VALUES ('acme', 'retention', 'worker-1',"
                    + " (CAST(unixepoch('subsec') * 1000 AS INTEGER) + 3600000) * 1000)");
        }
        RetentionPolicy policy = RetentionPolicy.none().archiveIdleConversations(Duration.ofDays(1));
        RetentionReport acme = dryRun(db, policy);
        assertThat(acme.counts()).isEqualTo(Map.of("conversations.archived", 1L));

        Cli.Result dry = Cli.run("--db", db.toString(), "retention", "run", "--archive-idle-after", "1d", "--dry-run");
        assertThat(dry.out()).isEqualTo(printed("Tenant acme (dry run, nothing changed): would change\n", acme)
                + "Tenant globex (dry run, nothing changed): would change\n  conversations.archived           1\n");
        assertThat(dry.exitCode()).isZero();

        Cli.Result r = Cli.run("--db", db.toString(), "retention", "run", "--archive-idle-after", "1d");
        assertThat(r.out()).isEqualTo("Tenant acme: skipped, retention is running in another process (its lease has not expired)\n"
                + "Tenant globex: changed\n  conversations.archived           1\n");
        assertThat(r.err()).isEqualTo("[1/2] retention on tenant acme ...\n[2/2] retention on tenant globex ...\n"
                + "atlas: retention skipped on 1 tenant whose lease another process holds: run again later\n");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(dryRun(db, policy).counts()).isEqualTo(acme.counts());

        // Released (or expired), the next run takes it; the CLI leaves no lease behind.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM atlas_leases");
        }
        Cli.Result again = Cli.run("--db", db.toString(), "-t", "acme", "retention", "run", "--archive-idle-after", "1d");
        assertThat(again.out()).isEqualTo(printed("Tenant acme: changed\n", acme));
        assertThat(again.exitCode()).isZero();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM atlas_leases")) {
            assertThat(rs.getLong(1)).isZero();
        }
    }

    @Test
    void aLeaseOutsideOneSecondToOneDayIsAUsageError() {
        Path db = database();
        for (String lease : new String[] {"0s", "PT0.5S", "2d"}) {
            Cli.Result r = Cli.run("--db", db.toString(), "retention", "run", "--archive-idle-after", "1d", "--lease", lease);
            assertThat(r.exitCode()).as(lease).isEqualTo(2);
            assertThat(r.err()).as(lease).startsWith("atlas: --lease: must be ").contains("'" + lease + "'")
                    .endsWith("\nTry 'atlas retention run --help' for more information.\n");
        }
        assertThat(dryRun(db, RetentionPolicy.none().archiveIdleConversations(Duration.ofDays(1))).counts())
                .isEqualTo(Map.of("conversations.archived", 1L));
    }
}
