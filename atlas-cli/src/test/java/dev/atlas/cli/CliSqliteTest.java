package dev.atlas.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The jar as a user runs it, on an SQLite file written through the public API: exact output and exit codes. */
class CliSqliteTest {
    @TempDir
    static Path dir;
    static Path db;
    static Fixture f;

    @BeforeAll
    static void populate() {
        db = dir.resolve("agent.db");
        f = new Fixture(Instant.parse("2026-03-02T09:00:00Z")).populate(b -> b.sqlite(db));
    }

    private static Cli.Result atlas(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--db";
        all[1] = db.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return Cli.run(all);
    }

    private static void assertOk(Cli.Result r, String expectedOut) {
        assertThat(r.out()).isEqualTo(expectedOut);
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
    }

    /**
     * sqlite-jdbc extracts its native library into the temporary directory and, on start-up,
     * deletes the copies other processes left there. When two atlas processes start together, both
     * try to delete the same copy and one fails: it printed a 50-line ERROR stack trace to stderr
     * (seen in CI). A copy that cannot be deleted shows the same, deterministically; the command's
     * output is its own and nothing else.
     */
    @Test
    void anOldSqliteLibraryCopyItCannotDeleteIsNotReported() throws Exception {
        Path tmp = dir.resolve("sqlite-tmp");
        Path stale = tmp.resolve("sqlite-" + org.sqlite.SQLiteJDBCLoader.getVersion() + "-stale-libsqlitejdbc.so");
        java.nio.file.Files.createDirectories(stale);
        java.nio.file.Files.writeString(stale.resolve("keeps-it"), "x");
        Cli.Result r = Cli.runWith(java.util.List.of("-Dorg.sqlite.tmpdir=" + tmp), "--db", db.toString(), "--tenant", "acme", "conversations", "list",
                "--limit", "1");
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo(atlas("--tenant", "acme", "conversations", "list", "--limit", "1").out());
        assertThat(stale).isDirectory();
    }

    /**
     * Without --tenant an export was of tenant default, whatever else the database held: an operator backing up a
     * multi-tenant database got tenant default alone (here an empty file, with a note on stderr), exit 0. An export
     * holds one tenant (import writes it into the tenant it is given), so without --tenant, in a database holding any
     * tenant other than default, it is refused before anything is written, naming the tenants and how to export each.
     */
    @Test
    void anExportWithoutTenantOfAMultiTenantDatabaseIsRefused() throws Exception {
        Path file = dir.resolve("default.jsonl");
        String refused = "atlas: --tenant: is required: an export holds one tenant, and this database holds acme, globex;"
                + " export each with its --tenant (atlas ... --tenant <tenant> export --output <tenant>.jsonl)\n"
                + "Try 'atlas export --help' for more information.\n";
        assertThat(atlas("export", "--output", file.toString())).isEqualTo(new Cli.Result(2, "", refused));
        assertThat(file).doesNotExist();
        assertThat(atlas("export", "--output", "-")).isEqualTo(new Cli.Result(2, "", refused));
        // Named, the tenant is taken at its word, default included.
        assertThat(atlas("--tenant", "nobody", "export", "--output", "-").err()).isEqualTo("exporting tenant nobody ...\n");
        assertThat(atlas("--tenant", "default", "export", "--output", "-"))
                .isEqualTo(new Cli.Result(0, "{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + CliNewerExportTest.schemaVersion(db)
                        + "}\n{\"type\":\"end\",\"rows\":{}}\n", "exporting tenant default ...\n"));
        // Tenant default holding data is named with the others: the line lists what to export, and one following it
        // exported every tenant but default.
        Path both = dir.resolve("default-and-acme.db");
        try (dev.atlas.Atlas a = dev.atlas.Atlas.builder().sqlite(both).build()) {
            a.tenant("default").conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("alice"), "support"));
            a.tenant("acme").conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("bob"), "support"));
        }
        assertThat(Cli.run("--db", both.toString(), "export", "--output", "-")).isEqualTo(new Cli.Result(2, "",
                "atlas: --tenant: is required: an export holds one tenant, and this database holds acme, default;"
                        + " export each with its --tenant (atlas ... --tenant <tenant> export --output <tenant>.jsonl)\n"
                        + "Try 'atlas export --help' for more information.\n"));
    }

    /**
     * Export, import into a new file, import again (nothing changes), export again: byte-exact.
     * The first export's file name has a newline and an escape (a script's mangled variable, say):
     * it was echoed raw on the "Exported" line, which split in two and let the escape reach the
     * terminal. It is shown as the CLI shows any text, on one line with controls as codes; the
     * file keeps its exact name and imports back.
     */
    @Test
    void exportImportRoundTripsByteExactIntoANewFileEvenFromAnOddFileName() throws Exception {
        Path first = dir.resolve("odd\nname \u001b[2J ü.jsonl");
        Cli.Result exported = atlas("--tenant", "acme", "export", "--output", first.toString());
        assertThat(exported.err()).isEqualTo("exporting tenant acme ...\n" + CliAssetBytesTest.note(db, 1));
        assertThat(exported.exitCode()).isZero();
        assertThat(exported.out()).startsWith("Exported ").contains("  message ")
                .contains(" rows to " + dir.resolve("odd\\nname \\u001b[2J ü.jsonl") + "\n").doesNotContain("\u001b");
        assertThat(exported.out().lines().filter(l -> l.startsWith("Exported "))).hasSize(1);

        Path copy = dir.resolve("copy.db");
        Cli.Result imported = Cli.run("--db", copy.toString(), "--tenant", "acme", "import", "--input", first.toString());
        // The fixture's asset: its row imported, its bytes not in the file.
        assertThat(imported.err()).isEqualTo("importing into tenant acme ...\n" + CliAssetBytesTest.missing(copy, 1));
        assertThat(imported.exitCode()).isZero();
        assertThat(imported.out()).startsWith("Imported ").contains("(0 already stored, unchanged)");

        Cli.Result again = Cli.run("--db", copy.toString(), "--tenant", "acme", "import", "--input", first.toString());
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).startsWith("Imported 0 rows (");

        Path second = dir.resolve("acme-2.jsonl");
        Cli.Result reExported = Cli.run("--db", copy.toString(), "--tenant", "acme", "export", "--output", second.toString());
        assertThat(reExported.exitCode()).isZero();
        assertThat(java.nio.file.Files.readAllBytes(second)).isEqualTo(java.nio.file.Files.readAllBytes(first));
    }

    @Test
    void importOfABrokenFileIsRefusedNamingTheLineAndWritesNothing() throws Exception {
        Path broken = dir.resolve("broken.jsonl");
        java.nio.file.Files.writeString(broken, "{\"type\":\"atlas-export\",\"version\":1}\nnot json\n");
        Path fresh = dir.resolve("broken-import.db");
        Cli.Result r = Cli.run("--db", fresh.toString(), "--tenant", "acme", "import", "--input", broken.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("importing into tenant acme ...\n"
                + "atlas: line 2: is not JSON: Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n");
        // The database the import created is removed with its failure (CliUserErrorsTest pins the side files).
        assertThat(fresh).doesNotExist();
    }

    /**
     * docs/cli.md: without --from and --to the period is all time. It ended one second after the
     * CLI host's clock, so a call stamped by an application server whose clock runs ahead was left
     * out, and it began in 2000.
     */
    @Test
    void usageWithoutAPeriodCoversAllTime() {
        Path skewed = dir.resolve("skewed.db");
        Fixture.MovableClock clock = new Fixture.MovableClock(Instant.parse("1999-12-31T23:00:00Z"));
        try (dev.atlas.Atlas a = dev.atlas.Atlas.builder().sqlite(skewed).clock(clock).build()) {
            var spec = dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o");
            a.tenant("t").executions().record(spec, exec -> null);
            clock.at(java.time.Duration.ofDays(365L * 40));
            a.tenant("t").executions().record(spec, exec -> null);
        }
        Cli.Result r = Cli.run("--db", skewed.toString(), "--tenant", "t", "usage", "--by", "tenant", "--format", "csv");
        assertOk(r, "tenant,executions,failures,input_tokens,output_tokens,reasoning_tokens,cached_tokens,cache_write_tokens,cost\n"
                + "t,2,0,0,0,0,0,0,0\n");
        // --by project (ExecutionSpec.project): calls without a project form the empty group.
        assertOk(Cli.run("--db", skewed.toString(), "--tenant", "t", "usage", "--by", "project", "--format", "csv"),
                "project,executions,failures,input_tokens,output_tokens,reasoning_tokens,cached_tokens,cache_write_tokens,cost\n"
                + ",2,0,0,0,0,0,0,0\n");
    }

    /**
     * The table's total row adds the groups' token counts: each group's sum is exact up to 2^63-1 (the report refuses
     * more), but the total of several groups may pass it. It was added in a long and printed wrapped to a negative
     * count; two rows stand for the millions of executions of 10^12 tokens it takes.
     */
    @Test
    void usageTableTotalsPastALongAreExact() throws Exception {
        Path big = dir.resolve("big-usage.db");
        try (dev.atlas.Atlas a = dev.atlas.Atlas.builder().sqlite(big).build()) {
            for (String model : List.of("gpt-4o", "gpt-4o-mini")) {
                a.tenant("t").executions().record(dev.atlas.execution.ExecutionSpec.text("openai", model), exec -> {
                    exec.usage(dev.atlas.execution.Usage.of(1, 1));
                    return null;
                });
            }
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + big);
             java.sql.Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE atlas_executions SET input_tokens = " + (Long.MAX_VALUE - 7) + " WHERE model = 'gpt-4o'");
            st.executeUpdate("UPDATE atlas_executions SET input_tokens = 8 WHERE model = 'gpt-4o-mini'");
        }
        Cli.Result r = Cli.run("--db", big.toString(), "--tenant", "t", "usage", "--by", "model");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out().lines().filter(l -> l.startsWith("total")).toList()).singleElement().asString()
                .contains(" 9,223,372,036,854,775,808 ");
    }

    /**
     * The table shows cache-write tokens, as the CSV and JSON do: they are billed (at the cache-write price) and were
     * left out of it, so the table's token columns did not account for its cost.
     */
    @Test
    void usageTableShowsCacheWriteTokens() {
        Path db = dir.resolve("cache-write.db");
        try (dev.atlas.Atlas a = dev.atlas.Atlas.builder().sqlite(db).build()) {
            a.tenant("t").prices().create(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "1", "2", Instant.parse("2026-01-01T00:00:00Z"))
                    .cached("0.5").cacheWrite("4"));
            a.tenant("t").executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"), exec -> {
                exec.usage(dev.atlas.execution.Usage.of(10, 20).cached(30).cacheWrite(1_000_000));
                return null;
            });
        }
        // 10 x 1 + 20 x 2 + 30 x 0.5 + 1,000,000 x 4 per million: 4.000065.
        assertOk(Cli.run("--db", db.toString(), "--tenant", "t", "usage"), """
                MODEL          CALLS  FAILED  INPUT  OUTPUT  REASONING  CACHED  CACHE WRITE      COST
                openai/gpt-4o      1       0     10      20          0      30    1,000,000  4.000065
                total              1       0     10      20          0      30    1,000,000  4.000065
                """);
    }

    /** usage --help says what an omitted --to means: all time, as --from's and docs/cli.md say (it said "default: now"). */
    @Test
    void usageHelpSaysThePeriodDefaultsToAllTime() {
        Cli.Result r = Cli.run("usage", "--help");
        assertThat(r.exitCode()).isZero();
        String help = r.out().replaceAll("\\s+", " ");
        assertThat(help).contains("--to=<date|instant> Executions created before this; a date means its start; default: all time.")
                .doesNotContain("now");
    }

    @Test
    void infoShowsSchemaVersionTenantsAndRowsPerTable() {
        Cli.Result r = atlas("info");
        assertOk(r, """
                Database:        SQLite %s
                Schema version:  37 (up to date)
                Tenants:         acme, globex

                TABLE                       ROWS
                atlas_assets                   1
                atlas_assistant_revisions      0
                atlas_assistants               0
                atlas_blob_intents             0
                atlas_conversations            4
                atlas_credentials              0
                atlas_execution_steps          4
                atlas_execution_tool_calls     1
                atlas_executions               3
                atlas_graph_edges              0
                atlas_graph_nodes              0
                atlas_installation             1
                atlas_leases                   0
                atlas_memories                 0
                atlas_memory_revisions         0
                atlas_memory_tags              0
                atlas_message_assets           1
                atlas_message_events           7
                atlas_messages                 7
                atlas_model_prices             2
                atlas_search_keys              7
                atlas_settings                 0
                atlas_settings_revisions       0
                atlas_task_schedules           0
                atlas_tasks                    0
                atlas_vector_models            0
                atlas_vector_sets              0
                atlas_vectors                  0
                atlas_voice_calls              0
                """.formatted(db.toAbsolutePath().normalize()));
    }

    @Test
    void conversationsListIsNewestActivityFirstWithHostileTitlesEscaped() {
        assertOk(atlas("--tenant", "acme", "conversations", "list"), Expected.of("""
                ID                                    LAST ACTIVITY         MESSAGES  STATUS  AGENT        OWNER     TITLE
                {hostile}  2026-03-02T09:01:00Z         2  open    support      user:666  <script>window.pwned=1</script><img src=x onerror="window.p…
                {support}  2026-03-02T09:00:10Z         3  open    support      user:42   Where is order 1234?
                {toolThread}  2026-03-02T09:00:10Z         1  open    order-agent  user:42   Find order 1234 in the warehouse system.
                """, f));
    }

    @Test
    void conversationsListPagesWithACursorAndSearchesMessages() {
        Cli.Result first = atlas("--tenant", "acme", "conversations", "list", "--limit", "1");
        assertThat(first.exitCode()).isZero();
        String[] lines = first.out().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[1]).startsWith(f.hostile.toString());
        assertThat(lines[2]).startsWith("More: atlas ... conversations list --limit=1 --after ");
        String cursor = lines[2].substring("More: atlas ... conversations list --limit=1 --after ".length());
        Cli.Result second = atlas("--tenant", "acme", "conversations", "list", "--limit", "1", "--after", cursor);
        assertThat(second.out().split("\n")[1]).startsWith(f.support.toString());

        assertOk(atlas("--tenant", "acme", "conversations", "list", "--search", "warehouse"), Expected.of("""
                ID                                    LAST ACTIVITY         MESSAGES  STATUS  AGENT        OWNER    TITLE
                {toolThread}  2026-03-02T09:00:10Z         1  open    order-agent  user:42  Find order 1234 in the warehouse system.
                """, f));
    }

    /**
     * docs/cli.md: --order creation lists oldest first by id (ConversationQuery.Order.CREATION), one page at a time
     * with the same More line; its cursor reads on only with --order creation. --order activity is the default.
     */
    @Test
    void conversationsListInCreationOrderIsOldestFirstAndPagesWithItsCursor() {
        assertOk(atlas("--tenant", "acme", "conversations", "list", "--order", "creation"), Expected.of("""
                ID                                    LAST ACTIVITY         MESSAGES  STATUS  AGENT        OWNER     TITLE
                {support}  2026-03-02T09:00:10Z         3  open    support      user:42   Where is order 1234?
                {toolThread}  2026-03-02T09:00:10Z         1  open    order-agent  user:42   Find order 1234 in the warehouse system.
                {hostile}  2026-03-02T09:01:00Z         2  open    support      user:666  <script>window.pwned=1</script><img src=x onerror="window.p…
                """, f));
        assertThat(atlas("--tenant", "acme", "conversations", "list", "--order", "Activity").out().lines().skip(1).map(l -> l.substring(0, 36)))
                .containsExactly(f.hostile.toString(), f.support.toString(), f.toolThread.toString());

        String more = "More: atlas ... conversations list --limit=2 --order=creation --after ";
        String[] first = atlas("--tenant", "acme", "conversations", "list", "--order", "creation", "--limit", "2").out().split("\n");
        assertThat(first).hasSize(4);
        assertThat(first[1]).startsWith(f.support.toString());
        assertThat(first[2]).startsWith(f.toolThread.toString());
        assertThat(first[3]).startsWith(more);
        String cursor = first[3].substring(more.length());
        assertOk(atlas("--tenant", "acme", "conversations", "list", "--order", "creation", "--limit", "2", "--after", cursor), Expected.of("""
                ID                                    LAST ACTIVITY         MESSAGES  STATUS  AGENT    OWNER     TITLE
                {hostile}  2026-03-02T09:01:00Z         2  open    support  user:666  <script>window.pwned=1</script><img src=x onerror="window.p…
                """, f));
        // The cursor is of the creation order: without --order it is refused, not read as a position in the other order.
        assertThat(atlas("--tenant", "acme", "conversations", "list", "--limit", "2", "--after", cursor)).isEqualTo(new Cli.Result(2, "",
                "atlas: --after: is not a cursor returned by a previous page of this listing\n"
                        + "Try 'atlas conversations list --help' for more information.\n"));

        // The More line repeats every option that shapes the listing, as given (--after last), so the copied command
        // reads on in the same listing: here the next conversation of agent support in creation order, then no More line.
        String[] filtered = atlas("--tenant", "acme", "conversations", "list", "--status", "open", "--order", "CREATION", "--agent", "support",
                "--limit", "1").out().split("\n");
        assertThat(filtered).hasSize(3);
        assertThat(filtered[1]).startsWith(f.support.toString());
        String copied = "More: atlas ... conversations list --limit=1 --agent=support --status=open --order=CREATION --after ";
        assertThat(filtered[2]).startsWith(copied);
        java.util.List<String> next = new java.util.ArrayList<>(java.util.List.of("--tenant", "acme"));
        next.addAll(java.util.List.of(filtered[2].substring("More: atlas ... ".length()).split(" ")));
        assertOk(atlas(next.toArray(String[]::new)), Expected.of("""
                ID                                    LAST ACTIVITY         MESSAGES  STATUS  AGENT    OWNER     TITLE
                {hostile}  2026-03-02T09:01:00Z         2  open    support  user:666  <script>window.pwned=1</script><img src=x onerror="window.p…
                """, f));
        assertThat(atlas("--tenant", "acme", "conversations", "list", "--owner", "user:42", "--limit", "1").out().split("\n")[2])
                .startsWith("More: atlas ... conversations list --limit=1 --owner=user:42 --after ");
        // A value the shell would split or expand is quoted for a POSIX shell; a control character is written as its UTF-8
        // bytes in bash's $'\\xHH' escapes, which bash reads the same in every locale ($'\\uXXXX' depends on the locale).
        assertThat(List.of(Text.shellWord("user:42"), Text.shellWord("my agent"), Text.shellWord("it's $HOME"), Text.shellWord(""),
                Text.shellWord("a\nb\u202e'c\\")))
                .containsExactly("user:42", "'my agent'", "'it'\\''s $HOME'", "''", "$'a\\x0ab\\xe2\\x80\\xae\\'c\\\\'");
    }

    /**
     * Every owner the library takes can be named: --owner splits at the first ':' (an id may hold
     * ':'), and an owner whose type holds ':' is given as --owner-type and --owner-id (--owner could
     * not name it: team:eu:x:1 read as type team, id eu:x:1, another owner that prints alike). Both
     * forms page, filter exports, and are refused naming the option that gave them.
     */
    @Test
    void everyOwnerTheLibraryTakesCanBeNamed() throws Exception {
        // The database of searchFindsEveryConversationBehindABusyOneOrSaysItMayNot (migrated once), a tenant of its own.
        Path owners = dir.resolve("busy.db");
        dev.atlas.Owner colonType = dev.atlas.Owner.of("team:eu", "x:1");
        dev.atlas.Owner colonId = dev.atlas.Owner.of("team", "eu:x:1");
        java.util.UUID first;
        java.util.UUID second;
        java.util.UUID other;
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.builder().sqlite(owners).build()) {
            var conversations = atlas.tenant("owners").conversations();
            first = conversations.create(dev.atlas.conversation.NewConversation.of(colonType, "a").title("first")).id();
            second = conversations.create(dev.atlas.conversation.NewConversation.of(colonType, "a").title("second")).id();
            other = conversations.create(dev.atlas.conversation.NewConversation.of(colonId, "a").title("other")).id();
        }
        String d = owners.toString();
        Newcomer17CliTest.Run byColonId = Newcomer17CliTest.inJvm("--db", d, "-t", "owners", "conversations", "list", "--owner", "team:eu:x:1");
        assertThat(byColonId.out().lines().skip(1).map(l -> l.substring(0, 36)).toList()).containsExactly(other.toString());
        Newcomer17CliTest.Run page = Newcomer17CliTest.inJvm("--db", d, "-t", "owners", "conversations", "list", "--order", "creation",
                "--owner-type", "team:eu", "--owner-id", "x:1", "--limit", "1");
        String[] lines = page.out().split("\n");
        assertThat(lines[1]).startsWith(first.toString());
        String more = "More: atlas ... conversations list --limit=1 --owner-type=team:eu --owner-id=x:1 --order=creation --after ";
        assertThat(lines).hasSize(3);
        assertThat(lines[2]).startsWith(more);

        Path file = dir.resolve("owner export.jsonl");
        Newcomer17CliTest.Run export = Newcomer17CliTest.inJvm("--db", d, "-t", "owners", "export", "--output", file.toString(),
                "--owner-type", "team:eu", "--owner-id", "x:1");
        assertThat(export.exitCode()).as(export.err()).isZero();
        String exported = java.nio.file.Files.readString(file);
        assertThat(exported).contains(first.toString(), second.toString()).doesNotContain(other.toString());

        java.util.List<String[]> refusals = java.util.List.of(
                new String[] {"atlas: --owner-type: needs --owner-id", "conversations", "list", "--owner-type", "team"},
                new String[] {"atlas: --owner-id: needs --owner-type", "conversations", "list", "--owner-id", "x"},
                new String[] {"atlas: --owner: cannot be combined with --owner-id", "conversations", "list", "--owner", "user:1", "--owner-id", "x"},
                new String[] {"atlas: --owner-type: must not be blank", "conversations", "list", "--owner-type", " ", "--owner-id", "x"},
                new String[] {"atlas: --owner-id: is 300 characters; at most 255 are allowed", "conversations", "list", "--owner-type", "t",
                        "--owner-id", "u".repeat(300)},
                new String[] {"atlas: --search: cannot be combined with --owner-type, --owner-id", "conversations", "list", "--owner-type", "t",
                        "--owner-id", "x", "--search", "w"},
                // What cannot be combined is said first, as export does for --conversation: not a half owner to complete.
                new String[] {"atlas: --search: cannot be combined with --owner-id", "conversations", "list", "--owner-id", "x", "--search", "w"},
                new String[] {"atlas: --owner-type: cannot be combined with --conversation", "export", "-o", "x.jsonl", "--owner-type", "t",
                        "--owner-id", "x", "--conversation", first.toString()},
                new String[] {"atlas: --owner-id: needs --owner-type", "export", "-o", "x.jsonl", "--owner-id", "x"});
        for (String[] r : refusals) {
            java.util.List<String> args = new java.util.ArrayList<>(List.of("--db", d, "-t", "owners"));
            args.addAll(List.of(r).subList(1, r.length));
            Newcomer17CliTest.Run run = Newcomer17CliTest.inJvm(args.toArray(String[]::new));
            String command = r[1].equals("export") ? "export" : "conversations list";
            assertThat(run).as(r[0]).isEqualTo(new Newcomer17CliTest.Run(2, "", r[0] + "\nTry 'atlas " + command + " --help' for more information.\n"));
        }
    }

    /**
     * --search lists conversations from the best-matching messages: it looked at the first 100
     * hits only, so a conversation with 150 matching messages hid every other match (here the
     * older one, whose long message ranks lower), silently. Now the library's whole page (1000 hits) is read, and when even that
     * is full and --limit is not reached, a note says the list may be incomplete.
     */
    @Test
    void searchFindsEveryConversationBehindABusyOneOrSaysItMayNot() {
        Path busy = dir.resolve("busy.db");
        java.util.UUID older;
        java.util.UUID crowded;
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.builder().sqlite(busy).build()) {
            dev.atlas.Tenant t = atlas.tenant("acme");
            older = t.conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("1"), "x").title("older")).id();
            t.conversations().append(older, dev.atlas.conversation.NewMessage.user("banana " + "and many other words ".repeat(50)));
            crowded = t.conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("1"), "x").title("crowded")).id();
            for (int i = 0; i < 1001; i++) {
                t.conversations().append(crowded, dev.atlas.conversation.NewMessage.user(i < 150 ? "apple banana " + i : "apple " + i));
            }
        }
        Cli.Result banana = Cli.run("--db", busy.toString(), "-t", "acme", "conversations", "list", "--search", "banana");
        assertThat(banana.exitCode()).isZero();
        assertThat(banana.out().lines().skip(1).map(l -> l.substring(0, 36)).sorted().toList())
                .isEqualTo(java.util.stream.Stream.of(older, crowded).map(Object::toString).sorted().toList());

        Cli.Result apple = Cli.run("--db", busy.toString(), "-t", "acme", "conversations", "list", "--search", "apple");
        assertThat(apple.exitCode()).isZero();
        assertThat(apple.err()).isEmpty();
        String[] lines = apple.out().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[1]).startsWith(crowded.toString());
        assertThat(lines[2]).isEqualTo("Only the 1000 best-matching messages were searched: other conversations may match (add words to narrow it).");
    }

    @Test
    void anotherTenantsConversationsAreNotListed() {
        assertOk(atlas("--tenant", "acme", "conversations", "list", "--search", "Globex"), "No conversations.\n");
        Cli.Result r = atlas("--tenant", "acme", "conversations", "show", f.globex.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("atlas: conversation " + f.globex + " not found\n");
    }

    @Test
    void conversationsShowMarksRetryBranchesToolThreadsAndAttachments() {
        assertOk(atlas("--tenant", "acme", "conversations", "show", f.support.toString()), Expected.of(Expected.SUPPORT_TRANSCRIPT, f));
    }

    @Test
    void aTurnOfAHiddenBranchIsMarkedHiddenNotReplacedByNothing(@TempDir Path tmp) {
        Path file = tmp.resolve("branches.db");
        String id;
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.builder().sqlite(file).build()) {
            var store = atlas.tenant("acme").conversations();
            var c = store.create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("u"), "support"));
            var hello = store.append(c.id(), dev.atlas.conversation.NewMessage.assistant("hello"));
            var q = store.append(c.id(), dev.atlas.conversation.NewMessage.user("q").parent(hello.id()));
            store.append(c.id(), dev.atlas.conversation.NewMessage.assistant("a").parent(q.id()));
            store.append(c.id(), dev.atlas.conversation.NewMessage.assistant("b").parent(q.id()));
            store.append(c.id(), dev.atlas.conversation.NewMessage.user("q edited").parent(hello.id()));
            id = c.id().toString();
        }
        Cli.Result r = Cli.run("--db", file.toString(), "--tenant", "acme", "conversations", "show", id);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("[retry branch 1 of 2, hidden]", "[retry branch 2 of 2, hidden]").doesNotContain("#0");
    }

    /**
     * Spring AI's memory stores a tool round as three messages of one execution: the answer asking for
     * the tools, the tool message and the final answer. The execution's tool calls were printed under
     * each of them; they are printed once, under the first.
     *
     * <p>The same transcript lists a message's first 20 attachments (Transcript.ATTACHMENTS_SHOWN) and
     * counts the others, read one page at a time: it read every attachment of every message, so a
     * message with thousands of them loaded them all. Exactly 20 live ones print no count; 21 print
     * "1 more attachment"; 23 with one deleted print "2 more attachments".
     */
    @Test
    void anExecutionsToolCallsArePrintedOnceUnderItsFirstMessage(@TempDir Path tmp) {
        Path file = tmp.resolve("spring-ai.db");
        String id;
        List<dev.atlas.asset.Asset> live;
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.builder().sqlite(file).build()) {
            var tenant = atlas.tenant("acme");
            var c = tenant.conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.of("app", "spring-ai"), "orders"));
            var question = tenant.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("where is order 4?"));
            var execution = tenant.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
            var asking = execution.step();
            asking.toolCall("call_1", "lookup", "{\"order\":4}").complete("shipped");
            asking.finish(null, dev.atlas.execution.FinishReason.TOOL_CALLS);
            var answering = execution.step();
            answering.finish("Order 4 shipped.", dev.atlas.execution.FinishReason.STOP);
            execution.complete();
            tenant.conversations().append(c.id(), dev.atlas.conversation.NewMessage.assistant("").execution(execution.id(), asking.id()));
            var tool = tenant.conversations().append(c.id(), dev.atlas.conversation.NewMessage.tool("shipped").execution(execution.id(), asking.id()));
            var answer = tenant.conversations().append(c.id(), dev.atlas.conversation.NewMessage.assistant("Order 4 shipped.")
                    .execution(execution.id(), answering.id()));
            live = Gallery.attach(tenant, question.id(), tool.id(), answer.id());
            id = c.id().toString();
        }
        Cli.Result r = Cli.run("--db", file.toString(), "--tenant", "acme", "conversations", "show", id);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out().split("tool lookup", -1)).hasSize(2);
        assertThat(r.out()).containsSubsequence("#2 assistant", "tool lookup {\"order\":4} -> shipped (completed)", "#3 tool", "shipped",
                "#4 assistant", "Order 4 shipped.");
        StringBuilder shown = new StringBuilder();
        for (dev.atlas.asset.Asset a : live.subList(0, 20)) {
            shown.append("   attached: ").append(a.filename()).append(" (application/octet-stream, 1 byte, asset ").append(a.id()).append(")\n");
        }
        String note = " not shown (a transcript lists a message's first 20)\n";
        assertThat(r.out()).contains("   where is order 4?\n" + shown + "\n#2 assistant",
                "   shipped\n" + shown + "   and 1 more attachment," + note + "\n#4 assistant",
                "   Order 4 shipped.\n" + shown + "   and 2 more attachments," + note);
        assertThat(r.out().split("   attached: ", -1)).hasSize(61);
    }

    /**
     * A message deleted after the transcript listed it and before its attachments were read (an
     * application deleting while conversations show or the viewer reads): the whole transcript
     * failed with "message <id> not found" for a conversation that exists. The message is shown as
     * listed, without attachments. Read in this JVM (the deletion runs as the attachments are
     * asked for), no command run.
     */
    @Test
    void aMessageDeletedWhileTheTranscriptIsReadIsShownWithoutAttachments(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("race.db");
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.builder().sqlite(file).build()) {
            dev.atlas.Tenant acme = atlas.tenant("acme");
            var c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("u"), "support"));
            var first = acme.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("first"));
            var second = acme.conversations().append(c.id(), dev.atlas.conversation.NewMessage.assistant("second"));
            var asset = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "a.bin", "application/octet-stream"),
                    new byte[] {1});
            acme.assets().attach(first.id(), asset.id(), java.util.Map.of());
            acme.assets().attach(second.id(), asset.id(), java.util.Map.of());
            dev.atlas.asset.AssetStore real = acme.assets();
            dev.atlas.asset.AssetStore racing = proxy(dev.atlas.asset.AssetStore.class, (method, args) -> {
                if (method.getName().equals("forMessage") && first.id().equals(args[0])) {
                    acme.conversations().deleteMessage(first.id());
                }
                return method.invoke(real, args);
            });
            dev.atlas.Tenant tenant = proxy(dev.atlas.Tenant.class, (method, args) -> method.getName().equals("assets") ? racing
                    : method.invoke(acme, args));
            Transcript t = Transcript.load(tenant, new Database(file.toString(), null, null, "atlas_", null), c.id(), 0, 100);
            assertThat(t.entries()).extracting(e -> e.message().id(), e -> e.attachments().size(), Transcript.Entry::attachmentsNotShown)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(first.id(), 0, 0L), org.assertj.core.groups.Tuple.tuple(second.id(), 1, 0L));
        }
    }

    private interface Call {
        Object invoke(java.lang.reflect.Method method, Object[] args) throws Exception;
    }

    /** {@code type} answering through {@code call}, with the exception a forwarded call threw as its own. */
    private static <T> T proxy(Class<T> type, Call call) {
        return type.cast(java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, method, args) -> {
            try {
                return call.invoke(method, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
        }));
    }

    @Test
    void terminalEscapesInStoredTextArePrintedAsVisibleCodes() {
        assertOk(atlas("--tenant", "acme", "conversations", "show", f.hostile.toString(), "--limit", "1"), Expected.of("""
                Conversation {hostile}: <script>window.pwned=1</script><img src=x onerror="window.pwned=2">…
                  user conversation of user:666, agent support, open, created 2026-03-02T09:01:00Z, 2 messages

                #1 user  2026-03-02T09:01:00Z
                   <script>window.pwned=1</script><img src=x onerror="window.pwned=2"> \\u001b[31mred\\u001b[0m & "q"

                More messages: atlas ... conversations show {hostile} --limit=1 --after 1
                """, f));
    }

    @Test
    void executionsListAndShowGiveTimingsTokensAndCost() {
        assertOk(atlas("--tenant", "acme", "executions", "list"), Expected.of(Expected.EXECUTIONS_LIST, f));
        assertOk(atlas("--tenant", "acme", "executions", "show", f.retryExecution.toString()), Expected.of(Expected.RETRY_EXECUTION, f));
        // The More line repeats the filters and --limit, so the copied command reads on in the same listing.
        String[] first = atlas("--tenant", "acme", "executions", "list", "--model", "gpt-test", "--status", "completed", "--limit", "1")
                .out().split("\n");
        assertThat(first).hasSize(3);
        assertThat(first[1]).startsWith(f.retryExecution.toString());
        assertThat(first[2]).startsWith("More: atlas ... executions list --limit=1 --model=gpt-test --status=completed --after ");
        java.util.List<String> next = new java.util.ArrayList<>(java.util.List.of("--tenant", "acme"));
        next.addAll(java.util.List.of(first[2].substring("More: atlas ... ".length()).split(" ")));
        String[] second = atlas(next.toArray(String[]::new)).out().split("\n");
        assertThat(second).hasSize(2);
        assertThat(second[1]).startsWith(f.firstExecution.toString());
    }

    @Test
    void usageReportsAsTableCsvAndJson() {
        assertOk(atlas("usage", "--from", "2026-03-01", "--to", "2026-03-05"), Expected.USAGE_BY_MODEL);
        // --by and --format take any case, as --order does.
        assertOk(atlas("--tenant", "acme", "usage", "--by", "DAY", "--format", "CSV", "--from", "2026-03-01", "--to", "2026-03-05"),
                Expected.USAGE_BY_DAY_CSV);
        assertOk(atlas("--tenant", "acme", "usage", "--format", "Json", "--from", "2026-03-01", "--to", "2026-03-05"), """
                {
                  "groupBy" : "model",
                  "tenant" : "acme",
                  "from" : "2026-03-01T00:00:00Z",
                  "to" : "2026-03-05T00:00:00Z",
                  "rows" : [ {
                    "group" : "openai/gpt-mini",
                    "executions" : 1,
                    "failures" : 0,
                    "inputTokens" : 1000,
                    "outputTokens" : 500,
                    "reasoningTokens" : 0,
                    "cachedTokens" : 0,
                    "cacheWriteTokens" : 0,
                    "cost" : "0.0003"
                  }, {
                    "group" : "openai/gpt-test",
                    "executions" : 2,
                    "failures" : 0,
                    "inputTokens" : 270,
                    "outputTokens" : 55,
                    "reasoningTokens" : 0,
                    "cachedTokens" : 0,
                    "cacheWriteTokens" : 0,
                    "cost" : "0.00098"
                  } ]
                }
                """);
    }

    @Test
    @org.junit.jupiter.api.DisplayName("the machine's locale changes no output: a server with LANG=de_DE printed 1.000 tokens and 1.500 ms"
            + " beside a cost of 0.0003, and one with ar_EG Arabic-Indic digits beside ASCII ids and costs")
    void outputIsTheSameInEveryLocale() {
        for (String[] locale : new String[][] {{"de", "DE"}, {"ar", "EG"}}) {
            List<String> jvm = List.of("-Duser.language=" + locale[0], "-Duser.country=" + locale[1]);
            assertOk(Cli.runWith(jvm, "--db", db.toString(), "usage", "--from", "2026-03-01", "--to", "2026-03-05"), Expected.USAGE_BY_MODEL);
        }
        List<String> arabic = List.of("-Duser.language=ar", "-Duser.country=EG");
        assertOk(Cli.runWith(arabic, "--db", db.toString(), "--tenant", "acme", "executions", "list"), Expected.of(Expected.EXECUTIONS_LIST, f));
        assertOk(Cli.runWith(arabic, "--db", db.toString(), "--tenant", "acme", "executions", "show", f.retryExecution.toString()),
                Expected.of(Expected.RETRY_EXECUTION, f));
    }

    @Test
    void retentionDryRunCountsPerTenantAndPrintsPlainProgressLinesWhenNotATerminal() {
        // A process whose streams are no terminal (the retention family's sample of the jar).
        Cli.Result r = Cli.process("--db", db.toString(), "retention", "run", "--dry-run", "--archive-idle-after", "1d");
        assertThat(r.out()).isEqualTo(Expected.RETENTION_DRY_RUN);
        assertThat(r.err()).isEqualTo("[1/2] retention on tenant acme ...\n[2/2] retention on tenant globex ...\n");
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void retentionWithoutARuleIsAUsageError() {
        Cli.Result r = atlas("retention", "run", "--dry-run");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("""
                atlas: no rule given: use --delete-messages-after, --hard-delete-after, --archive-idle-after, --purge-archived-after, --drop-expired-memories, --purge-detached-executions-after, --purge-finished-tasks-after, --purge-deleted-assets-after or --purge-detached-voice-calls-after
                Try 'atlas retention run --help' for more information.
                """);
    }

    @Test
    void migrateCreatesAFileThenReportsItUpToDate() {
        Path fresh = dir.resolve("fresh.db");
        Cli.Result first = Cli.process("--db", fresh.toString(), "migrate");
        String shown = fresh.toAbsolutePath().normalize().toString();
        assertThat(first.out()).isEqualTo("Migrated SQLite " + shown + ": applied 37 migrations, schema version 37\n");
        assertThat(first.err()).isEqualTo("Migrating SQLite " + shown + " ...\n");
        assertThat(first.exitCode()).isZero();
        Cli.Result again = Cli.run("--db", fresh.toString(), "migrate");
        assertThat(again.out()).isEqualTo("SQLite " + shown + " is up to date at schema version 37\n");
        assertThat(again.exitCode()).isZero();
    }

    @Test
    void usageErrorsExitWith2AndPointToHelp() {
        // The JVM's exit status (the rest of this class runs in-process: Cli#run gives the code main exits with).
        Cli.Result noDb = Cli.process("info");
        assertThat(noDb.exitCode()).isEqualTo(2);
        assertThat(noDb.err()).isEqualTo("""
                atlas: --db: is required (a jdbc:sqlite: or jdbc:postgresql: URL, or an SQLite file)
                Try 'atlas info --help' for more information.
                """);
        Cli.Result unknown = atlas("frobnicate");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo("atlas: Unmatched argument at index 2: 'frobnicate'\nTry 'atlas --help' for more information.\n");
        // A malformed id: CliUserErrorsTest#aMalformedIdIsAUsageErrorNotANotFound.
        Cli.Result none = Cli.run();
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).startsWith("atlas: a command is required");
    }

    @Test
    void runtimeFailuresExitWith1WithoutAStackTraceUnlessVerbose() {
        Cli.Result missing = Cli.process("--db", dir.resolve("missing.db").toString(), "info");
        String shown = dir.resolve("missing.db").toAbsolutePath().normalize().toString();
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("atlas: no SQLite database at " + shown + " (run 'atlas --db " + dir.resolve("missing.db")
                + " migrate' to create one)\n");
        assertThat(missing.out()).isEmpty();

        String unknown = "01a23783-0040-71d1-bdf9-358135efdc3d";
        Cli.Result notFound = atlas("--tenant", "acme", "executions", "show", unknown);
        assertThat(notFound.exitCode()).isEqualTo(1);
        assertThat(notFound.err()).isEqualTo("atlas: execution " + unknown + " not found\n");

        Cli.Result verbose = atlas("--verbose", "--tenant", "acme", "executions", "show", unknown);
        assertThat(verbose.exitCode()).isEqualTo(1);
        assertThat(verbose.err()).startsWith("atlas: execution " + unknown + " not found\ndev.atlas.NotFoundException: execution ")
                .contains("\tat dev.atlas.cli.ExecutionsCommand$Show.call(");
    }

    @Test
    void cuttingNeverSplitsASurrogatePair() {
        String emoji = "\uD83D\uDE00";
        assertThat(Text.cut(emoji.repeat(59), 60)).isEqualTo(emoji.repeat(29) + "…");
        assertThat(Text.cut("a" + emoji.repeat(59), 60)).isEqualTo("a" + emoji.repeat(29) + "…");
        assertThat(Text.cut(emoji.repeat(30), 60)).isEqualTo(emoji.repeat(30));
    }

    @Test
    void helpAndVersionEverywhere() {
        Cli.Result help = Cli.process("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).startsWith("Usage: atlas [-hvV] [--data-dir=<dir>]")
                .contains("migrate", "info", "conversations", "executions", "usage", "retention", "serve")
                .doesNotContain("null");
        assertThat(help.out().replaceAll("\\s+", " ")).contains("Tenant whose data the command reads or changes (default: default;"
                + " usage, retention run and serve without it cover every tenant; export without it is refused in a database holding another tenant).");
        java.io.StringWriter rootVersion = new java.io.StringWriter();
        picocli.CommandLine root = AtlasCli.commandLine();
        root.setOut(new java.io.PrintWriter(rootVersion));
        assertThat(root.execute("-V")).isZero();
        assertThat(rootVersion.toString()).startsWith("atlas ");
        // Each subcommand's help, in this JVM (the same picocli model the jar runs; a process each would only add start-up time).
        for (String[] sub : new String[][]{{"migrate"}, {"info"}, {"conversations", "list"}, {"conversations", "show"},
                {"executions", "list"}, {"executions", "show"}, {"usage"}, {"retention", "run"}, {"export"}, {"import"}, {"serve"}}) {
            String[] args = new String[sub.length + 1];
            System.arraycopy(sub, 0, args, 0, sub.length);
            args[sub.length] = "--help";
            java.io.StringWriter out = new java.io.StringWriter();
            picocli.CommandLine cli = AtlasCli.commandLine();
            cli.setOut(new java.io.PrintWriter(out));
            assertThat(cli.execute(args)).as(String.join(" ", sub)).isZero();
            assertThat(out.toString()).as(String.join(" ", sub)).startsWith("Usage: atlas " + String.join(" ", sub) + " ");
            if (sub[0].equals("import")) {
                // Each line of a description is a paragraph: import's cut a sentence in two ("... are skipped," / "so importing ...").
                assertThat(out.toString()).contains("changes nothing.\nMigrates the schema first when needed.\n");
            }
            // docs/cli.md: -V works on every subcommand, printing what the root's does.
            args[sub.length] = "-V";
            java.io.StringWriter version = new java.io.StringWriter();
            cli = AtlasCli.commandLine();
            cli.setOut(new java.io.PrintWriter(version));
            assertThat(cli.execute(args)).as(String.join(" ", sub)).isZero();
            assertThat(version.toString()).as(String.join(" ", sub) + " -V").isEqualTo(rootVersion.toString());
        }
        // The jar's manifest gives the version: a process.
        Cli.Result version = Cli.process("--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).isEqualTo("atlas 0.1.0-SNAPSHOT, Java " + System.getProperty("java.version") + "\n");
    }
}
