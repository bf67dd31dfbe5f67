package dev.atlas.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Mistakes a user makes on the command line: a clear message, the documented exit code, and no file left behind. */
class CliUserErrorsTest {
    @TempDir
    static Path dir;
    static Path db;

    @BeforeAll
    static void migrate() {
        db = migrated(dir.resolve("agent.db"));
    }

    /**
     * {@code path} migrated in this JVM, as {@code atlas migrate} does it (the CLI's own Database):
     * a CLI run is a JVM start, kept for what each test checks.
     */
    static Path migrated(Path path) {
        new Database(path.toString(), null, null, "atlas_", null).openAndMigrate().close();
        return path;
    }

    /**
     * Users write {@code atlas info --db x} as often as {@code atlas --db x info}: the global
     * options are accepted after the command too (they were "Unknown options", exit 2), and a
     * default applied to a later command does not undo a value given before it.
     */
    @Test
    void globalOptionsAlsoFollowTheCommand() {
        Path prefixed = dir.resolve("prefixed.db");
        assertThat(Cli.run("migrate", "--db", prefixed.toString(), "--table-prefix", "my_").exitCode()).isZero();
        Cli.Result before = Cli.run("--db", prefixed.toString(), "--table-prefix", "my_", "info");
        assertThat(before.exitCode()).as(before.err()).isZero();
        assertThat(before.out()).contains("my_conversations").doesNotContain("atlas_");
        Cli.Result after = Cli.run("info", "--db", prefixed.toString(), "--table-prefix", "my_");
        assertThat(after).isEqualTo(before);
        assertThat(Cli.run("--table-prefix", "my_", "info", "--db", prefixed.toString())).isEqualTo(before);
        Cli.Result nested = Cli.run("conversations", "list", "--db", db.toString(), "-t", "acme");
        assertThat(nested).isEqualTo(new Cli.Result(0, "No conversations.\n", ""));
    }

    /** An in-memory database is gone when the command exits: "up to date at schema version null" said nothing true. */
    /**
     * A plain path's parameter that is no setting of the SQLite driver stays in the file name: {@code info} on a migrated
     * {@code a.db?cache=shared} said "Schema version: none" of an empty file {@code a.db?cache=shared} it created,
     * while describing {@code a.db}. It is a usage error, before any connection.
     */
    @Test
    void aPlainSqlitePathWithAParameterTheDriverKeepsInTheNameIsRefused() throws Exception {
        Path file = migrated(dir.resolve("shared.db"));
        String url = "jdbc:sqlite:" + file + "?cache=shared";
        assertThat(Cli.run("--db", url, "info")).isEqualTo(new Cli.Result(2, "", "atlas: --db: cache is not a setting of the SQLite driver,"
                + " which would open a file named '" + file + "?cache=shared' for it; SQLite's own parameters need a file: URI (jdbc:sqlite:file:"
                + file + "?cache=shared)\nTry 'atlas info --help' for more information.\n"));
        assertThat(java.nio.file.Files.exists(Path.of(file + "?cache=shared"))).isFalse();
        // As a file: URI it names the file, and its tables.
        Cli.Result uri = Cli.run("--db", "jdbc:sqlite:file:" + file + "?cache=shared", "info");
        assertThat(uri.exitCode()).as(uri.err()).isZero();
        assertThat(uri.out()).contains("Schema version:  37 (up to date)");
    }

    /** A mistyped command or option names what was probably meant (picocli's suggestion was dropped by our handler), and only that. */
    @Test
    void aMistypedCommandOrOptionSuggestsTheRightOne() {
        assertThat(Cli.run("--db", db.toString(), "conversations", "lst")).isEqualTo(new Cli.Result(2, "",
                "atlas: Unmatched argument at index 3: 'lst'\nDid you mean: atlas conversations list?\n"
                        + "Try 'atlas conversations --help' for more information.\n"));
        assertThat(Cli.run("--db", db.toString(), "exprot", "-o", "x")).isEqualTo(new Cli.Result(2, "",
                "atlas: Unmatched arguments from index 2: 'exprot', '-o', 'x'\nDid you mean: atlas export?\n"
                        + "Try 'atlas --help' for more information.\n"));
        assertThat(Cli.run("--db", db.toString(), "usage", "--byy", "day").err()).isEqualTo(
                "atlas: Unknown options: '--byy', 'day'\nDid you mean: atlas usage --by?\nTry 'atlas usage --help' for more information.\n");
    }

    /** An id given by an option that names nothing is reported under the option, not the library's field name. */
    @Test
    void anExportOfAnUnknownConversationNamesTheOption() {
        String id = "0190f1e2-8b3c-7def-8123-456789abcdef";
        assertThat(Cli.run("--db", db.toString(), "-t", "default", "export", "--conversation", id, "-o", "-")).isEqualTo(new Cli.Result(1, "",
                "exporting tenant default ...\natlas: --conversation: conversation " + id + " not found\n"));
    }

    /**
     * sqlite-jdbc extracts its native library into a temporary directory. When it cannot (the
     * directory is not writable, or is a file), the message was "Failed to initialize pool: Error
     * opening connection" and nothing else: the driver's reason was only logged, and the CLI keeps
     * that logger quiet. The reason is in the message, with where the library goes; and the empty
     * database file created for the pool was left behind.
     */
    @Test
    void anSqliteDriverThatCannotLoadItsNativeLibrarySaysWhy() throws Exception {
        Path notADirectory = java.nio.file.Files.writeString(dir.resolve("tmp-is-a-file"), "x");
        Path target = dir.resolve("never-created.db");
        Cli.Result r = Cli.runWith(java.util.List.of("-Dorg.sqlite.tmpdir=" + notADirectory), "--db", target.toString(), "migrate");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("Migrating SQLite " + target + " ...\natlas: could not open a connection pool for " + target
                + ": Failed to initialize pool: Error opening connection: No native library found for os.name=")
                .endsWith("; sqlite-jdbc extracts its native library into " + notADirectory
                        + " (system property org.sqlite.tmpdir, else java.io.tmpdir): it must be a writable directory\n");
        assertThat(r.err().lines()).hasSize(2);
        // The file created for the pool (owner-only permissions) is not left behind empty.
        assertThat(target).doesNotExist();
    }

    @Test
    void anInMemoryDatabaseIsAUsageError() {
        for (String url : new String[] {"jdbc:sqlite::memory:", "jdbc:sqlite:", "jdbc:sqlite:file:x?mode=memory&cache=shared"}) {
            Cli.Result r = Cli.run("--db", url, "migrate");
            assertThat(r).as(url).isEqualTo(new Cli.Result(2, "", "atlas: --db: names an in-memory SQLite database, which is gone"
                    + " when the command exits; give a file\nTry 'atlas migrate --help' for more information.\n"));
        }
    }

    @Test
    void aDirectoryAsTheDatabaseIsAUsageError() {
        Path directory = dir.resolve("a-directory");
        assertThat(directory.toFile().mkdir()).isTrue();
        // A path to a reading command, a URL to the command that would create the file.
        String[][] cases = {{directory.toString(), "info"}, {"jdbc:sqlite:" + directory, "migrate"}};
        for (String[] c : cases) {
            Cli.Result r = Cli.run("--db", c[0], c[1]);
            assertThat(r).as(c[0] + " " + c[1]).isEqualTo(new Cli.Result(2, "", "atlas: --db: names a directory, not an SQLite file: "
                    + directory.toAbsolutePath().normalize() + "\nTry 'atlas " + c[1] + " --help' for more information.\n"));
        }
    }

    /** A database migrated by a newer Atlas opens (rolling upgrades); the CLI says it is newer instead of "up to date". */
    @Test
    void aNewerSchemaIsNamedAsNewer() throws Exception {
        Path newer = migrated(dir.resolve("newer.db"));
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + newer);
             java.sql.Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO atlas_schema_history SELECT installed_rank + 1, '99', 'future', type, 'V99__future.sql',"
                    + " checksum, installed_by, installed_on, execution_time, success FROM atlas_schema_history"
                    + " WHERE installed_rank = (SELECT max(installed_rank) FROM atlas_schema_history)");
        }
        Cli.Result info = Cli.run("--db", newer.toString(), "info");
        assertThat(info.exitCode()).isZero();
        assertThat(info.out()).contains("Schema version:  99 (newer than this atlas, which knows up to 37)\n");
        assertThat(info.err()).isEmpty();
        Cli.Result migrate = Cli.run("--db", newer.toString(), "migrate");
        assertThat(migrate.exitCode()).isZero();
        assertThat(migrate.out()).isEqualTo("SQLite " + newer.toAbsolutePath().normalize() + " is at schema version 99, newer than"
                + " this atlas (37): nothing to apply\n");
        assertThat(migrate.err()).doesNotContain("WARN", "flyway");

        // An applied version this jar has no script for, below its newest (a renamed script), is not "newer".
        Path missing = migrated(dir.resolve("missing-script.db"));
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + missing);
             java.sql.Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE atlas_schema_history SET version = '36.5', description = 'renamed', script = 'V36_5__renamed.sql'"
                    + " WHERE version = '37'");
        }
        Cli.Result behind = Cli.run("--db", missing.toString(), "info");
        assertThat(behind.out()).contains("Schema version:  36.5 (1 pending, latest 37)\n");
    }

    /**
     * Cli.run runs the command in this JVM: one that never ends (serve, listening) fails the test as a process past its
     * limit does, and is stopped, rather than hang the build (it waited for Ctrl-C forever: no test of serve's failures
     * could regress into listening without hanging every later class of its JVM).
     */
    @Test
    void aCommandRunInThisJvmThatDoesNotEndFailsRatherThanHangs() {
        String[] args = {"--db", db.toString(), "serve", "--port", "0"};
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Cli.run(java.time.Duration.ofMillis(200), java.util.Map.of(), args))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("atlas --db " + db + " serve --port 0 did not finish within 200 ms (interrupted, it stopped)");
    }

    @Test
    void servingOnAPortInUseSaysSo() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Cli.Result r = Cli.run("--db", db.toString(), "serve", "--port", Integer.toString(port));
            assertThat(r).isEqualTo(new Cli.Result(1, "", "atlas: cannot listen on 127.0.0.1:" + port + ": the port is in use;"
                    + " choose another --port (0 picks a free one)\n"));
        }
    }

    @Test
    void readCommandsOnAMissingSqliteUrlCreateNoFile() {
        Path missing = dir.resolve("missing-url.db");
        Cli.Result r = Cli.run("--db", "jdbc:sqlite:" + missing, "info");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("atlas: no SQLite database at " + missing + " (run 'atlas --db jdbc:sqlite:" + missing
                + " migrate' to create one)\n");
        assertThat(missing).doesNotExist();
    }

    @Test
    void importOfAMissingFileFailsBeforeCreatingTheDatabase() throws Exception {
        Path fresh = dir.resolve("import-target.db");
        Path input = dir.resolve("no-such-export.jsonl");
        Cli.Result r = Cli.run("--db", fresh.toString(), "import", "--input", input.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("atlas: cannot read " + input + ": no such file\n");
        assertThat(fresh).doesNotExist();

        // A file that is not an export is refused on its first line, before the database is created.
        Path notAnExport = dir.resolve("not-an-export.jsonl");
        java.nio.file.Files.writeString(notAnExport, "{\"rows\":[]}\n");
        Cli.Result bad = Cli.run("--db", fresh.toString(), "import", "--input", notAnExport.toString());
        assertThat(bad.err()).isEqualTo("atlas: line 1: type: must be the header {\"type\":\"atlas-export\",\"version\":2}\n");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(fresh).doesNotExist();
    }

    /**
     * docs/cli.md: a failed import keeps a database that existed before unchanged. An application's
     * SQLite file without Atlas's tables was migrated first and kept Atlas's tables when the file
     * then failed on line 2; a good file still imports into it beside the application's table.
     */
    @Test
    void aFailedImportLeavesAnApplicationsDatabaseWithoutAtlasTables() throws Exception {
        Path app = dir.resolve("application-3.db");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + app);
             java.sql.Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TABLE notes (x TEXT)");
            s.executeUpdate("INSERT INTO notes VALUES ('kept')");
        }
        Path bad = dir.resolve("bad-line-2.jsonl");
        java.nio.file.Files.writeString(bad, "{\"type\":\"atlas-export\",\"version\":1}\n{\"type\":\"bogus\"}\n");
        Cli.Result r = Cli.run("--db", app.toString(), "import", "--input", bad.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).endsWith("atlas: line 2: type: is not a known row type: 'bogus'\n");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + app);
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT group_concat(name) FROM sqlite_master")) {
            assertThat(rs.getString(1)).isEqualTo("notes");
        }

        Path source = dir.resolve("source-3.db");
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.builder().sqlite(source).build()) {
            dev.atlas.Tenant t = atlas.tenant("acme");
            java.util.UUID c = t.conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("42"), "bot")).id();
            t.conversations().append(c, dev.atlas.conversation.NewMessage.user("hello"));
        }
        Path good = dir.resolve("good-3.jsonl");
        assertThat(Cli.run("--db", source.toString(), "-t", "acme", "export", "-o", good.toString()).exitCode()).isZero();
        Cli.Result ok = Cli.run("--db", app.toString(), "-t", "acme", "import", "--input", good.toString());
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out()).startsWith("Imported 3 rows (0 already stored, unchanged)\n");
        Path back = dir.resolve("back-3.jsonl");
        assertThat(Cli.run("--db", app.toString(), "-t", "acme", "export", "-o", back.toString()).exitCode()).isZero();
        assertThat(java.nio.file.Files.readString(back)).isEqualTo(java.nio.file.Files.readString(good));
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + app);
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT x FROM notes")) {
            assertThat(rs.getString(1)).isEqualTo("kept");
        }
    }

    /**
     * A --tenant the library refuses is a usage error before the database is opened: it was found
     * only when the tenant was first used, so an import had already migrated an application's
     * database (and retention had printed its progress line) before exit 2.
     */
    @Test
    void aBadTenantIsRefusedBeforeTheDatabaseIsTouched() throws Exception {
        Path app = dir.resolve("application-2.db");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + app);
             java.sql.Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TABLE notes (x TEXT)");
        }
        Path file = dir.resolve("empty-export.jsonl");
        java.nio.file.Files.writeString(file, "{\"type\":\"atlas-export\",\"version\":1}\n");
        assertThat(Cli.run("--db", app.toString(), "-t", " ", "import", "--input", file.toString())).isEqualTo(new Cli.Result(2, "",
                "atlas: --tenant: must not be blank\nTry 'atlas import --help' for more information.\n"));
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + app);
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT group_concat(name) FROM sqlite_master")) {
            assertThat(rs.getString(1)).isEqualTo("notes");
        }
        assertThat(Cli.run("--db", db.toString(), "-t", "a\u001b[2Jb", "retention", "run", "--archive-idle-after", "1d"))
                .isEqualTo(new Cli.Result(2, "", "atlas: --tenant: contains a control character (U+001B) at index 1\n"
                        + "Try 'atlas retention run --help' for more information.\n"));
    }

    /**
     * A header whose version is not exactly the integer 1 ("1", 1.5, true, 2^32+1) is refused
     * before anything is migrated: the CLI's early check read it with asInt (which takes all of
     * those as 1), so the library refused it only after an application's database had been given
     * Atlas's tables.
     */
    @Test
    void aHeaderWithAnInexactVersionIsRefusedBeforeMigrating() throws Exception {
        Path app = dir.resolve("application.db");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + app);
             java.sql.Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TABLE notes (x TEXT)");
        }
        for (String version : new String[] {"1.5", "\"1\"", "true", "4294967297", "1.0"}) {
            Path file = dir.resolve("inexact-version.jsonl");
            java.nio.file.Files.writeString(file, "{\"type\":\"atlas-export\",\"version\":" + version + "}\n");
            Cli.Result r = Cli.run("--db", app.toString(), "import", "--input", file.toString());
            assertThat(r).as(version).isEqualTo(new Cli.Result(1, "", "atlas: line 1: version: must be 1 to 2, was '" + version + "'\n"));
            try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + app);
                 java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT group_concat(name) FROM sqlite_master")) {
                assertThat(rs.getString(1)).as(version).isEqualTo("notes");
            }
        }
    }

    /** The JDK's file-system exceptions carry only the file name; messages say why instead (as root, permissions cannot be denied here). */
    @Test
    void fileErrorsSayWhy() {
        assertThat(PortabilityCommands.why(new java.nio.file.AccessDeniedException("/data/export.jsonl"))).isEqualTo("permission denied");
        assertThat(PortabilityCommands.why(new java.nio.file.NoSuchFileException("/data/export.jsonl"))).isEqualTo("no such file or directory");
        assertThat(PortabilityCommands.why(new java.nio.file.FileSystemException("/data", null, "Read-only file system")))
                .isEqualTo("Read-only file system");
    }

    @Test
    void exportIntoAMissingDirectoryNamesTheFile() {
        Path output = dir.resolve("no-such-dir").resolve("out.jsonl");
        Cli.Result r = Cli.run("--db", db.toString(), "export", "--output", output.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("atlas: cannot write " + output + ": no directory " + output.getParent() + "\n");
    }

    /** docs/cli.md: conversations list --order is activity or creation; --search has its own order (by best hit), so it refuses --order; usage --by and --format are refused in --order's words. */
    @Test
    void conversationsListOrderIsActivityOrCreationAndNotForASearch() {
        assertThat(Cli.run("--db", db.toString(), "conversations", "list", "--order", "newest")).isEqualTo(new Cli.Result(2, "",
                "atlas: --order: 'newest' is not one of [activity, creation]\nTry 'atlas conversations list --help' for more information.\n"));
        assertThat(Cli.run("--db", db.toString(), "conversations", "list", "--search", "order", "--order", "creation")).isEqualTo(new Cli.Result(2,
                "", "atlas: --search: cannot be combined with --order\nTry 'atlas conversations list --help' for more information.\n"));
        // The combination is named first: an --order of no use with --search was refused for its value.
        assertThat(Cli.run("--db", db.toString(), "conversations", "list", "--search", "order", "--order", "newest")).isEqualTo(new Cli.Result(2,
                "", "atlas: --search: cannot be combined with --order\nTry 'atlas conversations list --help' for more information.\n"));
        // usage's --by and --format (any case, as --order) refuse a value in the same words.
        assertThat(Cli.run("--db", db.toString(), "usage", "--by", "week")).isEqualTo(new Cli.Result(2, "", "atlas: --by: 'week' is not one of"
                + " [day, model, provider, agent, conversation, owner, project, tenant]\nTry 'atlas usage --help' for more information.\n"));
        assertThat(Cli.run("--db", db.toString(), "usage", "--format", "xml")).isEqualTo(new Cli.Result(2, "",
                "atlas: --format: 'xml' is not one of [table, csv, json]\nTry 'atlas usage --help' for more information.\n"));
    }

    @Test
    void badOptionValuesCheckedByTheLibraryAreUsageErrors() {
        Cli.Result status = Cli.run("--db", db.toString(), "conversations", "list", "--status", "bogus");
        assertThat(status.err()).isEqualTo("atlas: --status: 'bogus' is not one of [open, archived, closed]\n"
                + "Try 'atlas conversations list --help' for more information.\n");
        assertThat(status.exitCode()).isEqualTo(2);

        Cli.Result cursor = Cli.run("--db", db.toString(), "executions", "list", "--after", "garbage");
        assertThat(cursor.err()).isEqualTo("atlas: --after: is not a cursor returned by a previous page of this listing\n"
                + "Try 'atlas executions list --help' for more information.\n");
        assertThat(cursor.exitCode()).isEqualTo(2);

        Cli.Result tenant = Cli.run("--db", db.toString(), "--tenant", " ", "conversations", "list");
        assertThat(tenant.err()).isEqualTo("atlas: --tenant: must not be blank\n"
                + "Try 'atlas conversations list --help' for more information.\n");
        assertThat(tenant.exitCode()).isEqualTo(2);

        // Values the library refuses, named by the option that gave them rather than the library's field.
        String[][] cases = {
                {"conversations list", "--search", "x".repeat(1001), "--search: is 1001 characters; at most 1000 are allowed"},
                {"conversations list", "--search", " ", "--search: must not be blank when given"},
                {"conversations list", "--agent", "a".repeat(300), "--agent: is 300 characters; at most 255 are allowed"},
                {"conversations list", "--owner", "user:" + "u".repeat(300), "--owner: is 300 characters; at most 255 are allowed"},
                {"usage", "--from", "0000-01-01",
                        "--from: must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, was 0000-01-01T00:00:00Z"},
                {"retention run", "--archive-idle-after", "1000000d", "--archive-idle-after: must be at most 1000 years, was PT24000000H"},
        };
        for (String[] c : cases) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--db", db.toString()));
            args.addAll(java.util.List.of(c[0].split(" ")));
            args.addAll(java.util.List.of(c[1], c[2]));
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            assertThat(r.err()).as(c[1]).isEqualTo("atlas: " + c[3] + "\nTry 'atlas " + c[0] + " --help' for more information.\n");
            assertThat(r.exitCode()).as(c[1]).isEqualTo(2);
        }

        // --search is a different listing (by best hit): filters it would silently drop are refused.
        Cli.Result searchAndStatus = Cli.run("--db", db.toString(), "conversations", "list", "--search", "order", "--status", "open",
                "--agent", "support");
        assertThat(searchAndStatus.err()).isEqualTo("atlas: --search: cannot be combined with --agent, --status\n"
                + "Try 'atlas conversations list --help' for more information.\n");
        assertThat(searchAndStatus.exitCode()).isEqualTo(2);

        Cli.Result prefix = Cli.run("--db", db.toString(), "--table-prefix", "Bad", "info");
        assertThat(prefix.err()).isEqualTo("atlas: --table-prefix: must be 1 to 30 lowercase letters, digits or underscores, starting with a letter,"
                + " was 'Bad'\nTry 'atlas info --help' for more information.\n");
        assertThat(prefix.exitCode()).isEqualTo(2);
        Cli.Result mysql = Cli.run("--db", "jdbc:mysql://localhost/atlas", "info");
        assertThat(mysql.err()).isEqualTo("atlas: --db: must be a jdbc:sqlite: or jdbc:postgresql: URL or an SQLite file, was jdbc:mysql://localhost/atlas\n"
                + "Try 'atlas info --help' for more information.\n");
        assertThat(mysql.exitCode()).isEqualTo(2);
    }

    @Test
    void onlyThisInstallationsTablesAreRead() throws Exception {
        // Another installation's tables share the default prefix's first letters (atlas_v2_*), and an
        // application table starts with it too: neither is Atlas's, so neither is counted nor asked for tenants.
        Path shared = dir.resolve("shared.db");
        Database database = new Database(shared.toString(), null, null, "atlas_", null);
        database.openAndMigrate().close();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + shared);
             java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE TABLE atlas_v2_conversations (tenant_id TEXT, id TEXT)");
            s.execute("INSERT INTO atlas_v2_conversations VALUES ('foreign', 'x')");
            s.execute("CREATE TABLE atlas_notes (tenant_id TEXT)");
            s.execute("INSERT INTO atlas_notes VALUES ('notes-tenant')");
        }
        assertThat(database.tenants()).isEmpty();
        assertThat(database.tableRows()).containsEntry("atlas_conversations", 0L)
                .doesNotContainKeys("atlas_v2_conversations", "atlas_notes", "atlas_schema_history");
        assertThat(new Database(shared.toString(), null, null, "atlas_v2_", null).tableRows())
                .containsOnlyKeys("atlas_v2_conversations");
    }

    @Test
    void aZeroOrNegativeRetentionDurationIsAUsageError() {
        for (String value : new String[] {"0d", "P-3D"}) {
            Cli.Result r = Cli.run("--db", db.toString(), "retention", "run", "--archive-idle-after", value);
            assertThat(r.err()).isEqualTo("atlas: --archive-idle-after: must be a positive duration such as 30d, 12h, 45m or P30D, was '"
                    + value + "'\nTry 'atlas retention run --help' for more information.\n");
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.out()).isEmpty();
        }
    }

    /**
     * An id is a UUID in its canonical form (8-4-4-4-12 hex digits). The JDK's parser also took
     * '1-1-1-1-1' (as 00000001-0001-0001-0001-000000000001): a typo became "not found", exit 1.
     */
    @Test
    void aMalformedIdIsAUsageErrorNotANotFound() {
        String[][] cases = {
                {"conversations show", "", "<id>"},
                {"executions show", "", "<id>"},
                {"executions list", "--conversation", "--conversation"},
                {"export", "--conversation", "--conversation"},
        };
        String[] bads = {"1-1-1-1-1", "0190f1e2-8b3c-7def-8123-456789abcdef0", "+190f1e2-8b3c-7def-8123-456789abcdef"};
        for (String bad : bads) {
            assertThat(AtlasCli.id(bad)).as(bad).isNull();
        }
        // Every option that takes an id, each with another of the malformed forms (one JVM per run).
        for (int i = 0; i < cases.length; i++) {
            String bad = bads[i % bads.length];
            String[] c = cases[i];
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--db", db.toString()));
            args.addAll(java.util.List.of(c[0].split(" ")));
            if (!c[1].isEmpty()) {
                args.add(c[1]);
            }
            args.add(bad);
            if (c[0].equals("export")) {
                args.addAll(java.util.List.of("--output", "-"));
            }
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            assertThat(r.err()).as(c[0] + " " + bad).isEqualTo("atlas: " + c[2]
                    + ": not an id (a UUID such as 0190f1e2-8b3c-7def-8123-456789abcdef): '" + bad + "'\n"
                    + "Try 'atlas " + c[0] + " --help' for more information.\n");
            assertThat(r.exitCode()).as(c[0] + " " + bad).isEqualTo(2);
            assertThat(r.out()).isEmpty();
        }
        // Upper-case hex is the same id.
        Cli.Result upper = Cli.run("--db", db.toString(), "conversations", "show", "0190F1E2-8B3C-7DEF-8123-456789ABCDEF");
        assertThat(upper.err()).isEqualTo("atlas: conversation 0190f1e2-8b3c-7def-8123-456789abcdef not found\n");
        assertThat(upper.exitCode()).isEqualTo(1);
    }

    /** A date past 9999 (or before 0001) is out of range, named by its option; it is not "--to: must be after --from". */
    @Test
    void aDateOutsideTheStorableYearsIsNamedAsOutOfRange() {
        String range = "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, was ";
        String[][] cases = {
                {"--from", "+10000-01-01T00:00:00Z", "+10000-01-01T00:00:00Z"},
                {"--to", "0000-06-01", "0000-06-01T00:00:00Z"},
                {"--to", "-0001-01-01T00:00:00Z", "-0001-01-01T00:00:00Z"},
        };
        for (String[] c : cases) {
            Cli.Result r = Cli.run("--db", db.toString(), "usage", c[0], c[1]);
            assertThat(r.err()).as(c[1]).isEqualTo("atlas: " + c[0] + ": " + range + c[2] + "\nTry 'atlas usage --help' for more information.\n");
            assertThat(r.exitCode()).isEqualTo(2);
        }
    }

    /** An empty file name is not the current directory: a usage error, named by its option. */
    @Test
    void anEmptyOutputOrInputIsAUsageError() {
        Cli.Result export = Cli.run("--db", db.toString(), "export", "--output", "");
        assertThat(export.err()).isEqualTo("atlas: --output: must be a file name or '-', was ''\n"
                + "Try 'atlas export --help' for more information.\n");
        assertThat(export.exitCode()).isEqualTo(2);
        Path fresh = dir.resolve("fresh-for-empty-input.db");
        Cli.Result imported = Cli.run("--db", fresh.toString(), "import", "--input", " ");
        assertThat(imported.err()).isEqualTo("atlas: --input: must be a file name or '-', was ' '\n"
                + "Try 'atlas import --help' for more information.\n");
        assertThat(imported.exitCode()).isEqualTo(2);
        assertThat(fresh).doesNotExist();
        // A NUL (which only a caller in this JVM can pass; exec arguments end at one) cannot be in a file name: it was
        // "atlas: InvalidPathException: Nul character not allowed: f<NUL>", exit 1, for --db, --output and --input,
        // and picocli's "cannot convert 'd<NUL>' to interface java.nio.file.Path (...)" for --data-dir.
        // {the command's name, the option named, the NUL's index, the arguments}
        String[][] nuls = {
                {"atlas info", "--db", "1", "--db", "x\0.db", "info"},
                {"atlas info", "--db", "13", "--db", "jdbc:sqlite:x\0.db", "info"},
                {"atlas export", "--output", "1", "--db", db.toString(), "export", "--output", "f\0"},
                {"atlas import", "--input", "1", "--db", fresh.toString(), "import", "--input", "f\0"},
                // Parsed before the command, by the root: picocli points to the root's help.
                {"atlas", "--data-dir", "1", "--db", db.toString(), "--data-dir", "d\0", "info"},
                {"atlas import", "--credential-keys-file", "1", "--db", fresh.toString(), "import", "--input", "-", "--credential-keys-file", "k\0"}};
        for (String[] c : nuls) {
            String[] args = java.util.Arrays.copyOfRange(c, 3, c.length);
            assertThat(Cli.run(args)).as(c[1]).isEqualTo(new Cli.Result(2, "", "atlas: " + c[1] + ": contains a NUL character (U+0000) at index "
                    + c[2] + ", which file names cannot hold\nTry '" + c[0] + " --help' for more information.\n"));
        }
        assertThat(fresh).doesNotExist();
    }

    /**
     * A value longer than 1000 characters is quoted by its first 199 characters (198 when the 199th would split a surrogate
     * pair) and an ellipsis: a 100,000-character value
     * (a file's content given as "$(cat file)") was echoed whole, a 100 KB error line.
     */
    @Test
    void aVeryLongValueIsQuotedCut() {
        String huge = "x".repeat(100_000);
        String shown = "x".repeat(199) + "\u2026";
        assertThat(Cli.run("--db", db.toString(), "conversations", "list", "--owner", huge)).isEqualTo(new Cli.Result(2, "",
                "atlas: --owner: must be <type>:<id>, e.g. user:42, was '" + shown + "'\nTry 'atlas conversations list --help' for more information.\n"));
        assertThat(Cli.run("--db", db.toString(), "usage", "--by=" + huge)).isEqualTo(new Cli.Result(2, "",
                "atlas: --by: '" + shown + "' is not one of [day, model, provider, agent, conversation, owner, project, tenant]"
                        + "\nTry 'atlas usage --help' for more information.\n"));
        assertThat(Cli.run("--db", db.toString(), "conversations", "list", "--limit", huge)).isEqualTo(new Cli.Result(2, "",
                "atlas: --limit: '" + shown + "' is not an int\nTry 'atlas conversations list --help' for more information.\n"));
        // An emoji (a surrogate pair) across the cut is left out whole: 198 characters, never half a pair.
        String emoji = "x".repeat(198) + "\uD83D\uDE00" + "x".repeat(1000);
        assertThat(Cli.run("--db", db.toString(), "conversations", "list", "--limit", emoji)).isEqualTo(new Cli.Result(2, "",
                "atlas: --limit: '" + "x".repeat(198) + "\u2026' is not an int\nTry 'atlas conversations list --help' for more information.\n"));
        // A URL whose password is a 1000-character token (a cloud access token used as the password) is masked before any
        // cut: cut first, the quoted URL kept the token's first 177 characters and lost the '@' that marks where it ends.
        String token = "eyJ0" + "T".repeat(996);
        String url = "jdbc:postgresql://app:" + token + "@127.0.0.1:1/atlas";
        assertThat(Cli.run("--db", url, "info", url)).isEqualTo(new Cli.Result(2, "",
                "atlas: Unmatched argument at index 3: 'jdbc:postgresql://app:****@127.0.0.1:1/atlas'\nTry 'atlas info --help' for more information.\n"));
        assertThat(Cli.run("--db", db.toString(), "--bd=" + url, "info")).isEqualTo(new Cli.Result(2, "",
                "atlas: Unknown option: '--bd=jdbc:postgresql://app:****@127.0.0.1:1/atlas'\nTry 'atlas --help' for more information.\n"));
        // Masked, a value still over 1000 characters is cut.
        String longPath = url + "x".repeat(1000);
        assertThat(Cli.run("--db", longPath, "info", longPath)).isEqualTo(new Cli.Result(2, "", "atlas: Unmatched argument at index 3: '"
                + ("jdbc:postgresql://app:****@127.0.0.1:1/atlas" + "x".repeat(1000)).substring(0, 199) + "\u2026'\nTry 'atlas info --help' for more information.\n"));
    }

    /**
     * A full disk (here /dev/full, which refuses every write with ENOSPC) is named with its
     * option and the system's reason; it was "UncheckedIOException: export: writing the output failed".
     */
    @Test
    void anExportOntoAFullDiskSaysSo() {
        Cli.Result r = Cli.run("--db", db.toString(), "-t", "default", "export", "--output", "/dev/full");
        assertThat(r.err()).isEqualTo("exporting tenant default ...\natlas: cannot write --output /dev/full: No space left on device\n");
        assertThat(r.exitCode()).isEqualTo(1);
    }

    /** A blank --bind was the loopback default in disguise, and a --data-dir that is a file was taken as one: usage errors; so are a blank --data-dir, --password-env and --user, and a --password-env naming a variable that is not set. */
    @Test
    void aBlankBindOrAFileAsDataDirIsAUsageError() throws Exception {
        Cli.Result bind = Cli.run("--db", db.toString(), "serve", "--bind", "");
        assertThat(bind.err()).isEqualTo("atlas: --bind: must be an address of this machine, was ''\n"
                + "Try 'atlas serve --help' for more information.\n");
        assertThat(bind.exitCode()).isEqualTo(2);
        assertThat(bind.out()).isEmpty();
        Path file = java.nio.file.Files.writeString(dir.resolve("not-a-dir.txt"), "x");
        Cli.Result dataDir = Cli.run("--db", db.toString(), "--data-dir", file.toString(), "info");
        assertThat(dataDir.err()).isEqualTo("atlas: --data-dir: names a file, not a directory: " + file + "\n"
                + "Try 'atlas info --help' for more information.\n");
        assertThat(dataDir.exitCode()).isEqualTo(2);
        assertThat(dataDir.out()).isEmpty();
        // Blank, each was taken silently: --data-dir as the working directory, --password-env as no password, --user as none.
        String[][] blanks = {{"--data-dir", " ", "atlas: --data-dir: must be a directory, was ' '"},
                {"--password-env", "", "atlas: --password-env: must name an environment variable, was ''"},
                {"--user", " ", "atlas: --user: must not be blank when given"},
                // Given, a variable that is not set was taken as no password too; its name is shown, never a value.
                // Given, a variable that is not set was taken as no password too; the given text is never shown: it may be the
                // password itself (the slip --password-env "$PGPASSWORD").
                {"--password-env", "ATLAS_TEST_UNSET_PASSWORD", UNSET_PASSWORD_ENV},
                {"--password-env", "Hunter2-S3cret!", UNSET_PASSWORD_ENV}};
        for (String[] b : blanks) {
            Cli.Result blank = Cli.run("--db", db.toString(), b[0], b[1], "info");
            assertThat(blank.err()).as(b[0]).isEqualTo(b[2] + "\nTry 'atlas info --help' for more information.\n");
            assertThat(blank.exitCode()).as(b[0]).isEqualTo(2);
            assertThat(blank.out()).as(b[0]).isEmpty();
            assertThat(blank.err()).as(b[0]).doesNotContain("Hunter2-S3cret!");
        }
    }

    static final String UNSET_PASSWORD_ENV = "atlas: --password-env: names an environment variable that is not set (give the"
            + " variable's name, e.g. --password-env PGPASSWORD, not its value)";

    /**
     * An agent key starting with '@' (any text is a key): the More line printed "--agent @...", a separate word, which
     * picocli expands as an argument file when one of that name exists; it prints --agent=@... (review25).
     */
    @Test
    void theMoreLineOfAnAgentStartingWithAtReadsTheNextPage() throws Exception {
        Path args = java.nio.file.Files.writeString(dir.resolve("args"), "--limit 99\n");
        String agent = "@" + args;
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.sqlite(db)) { // a tenant of its own in the class's database
            for (int i = 0; i < 2; i++) {
                atlas.tenant("at-agent").conversations()
                        .create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.of("user", "42"), agent));
            }
        }
        Cli.Result first = Cli.run("--db", db.toString(), "--tenant", "at-agent", "conversations", "list", "--limit", "1", "--agent=" + agent);
        String more = first.out().lines().filter(l -> l.startsWith("More: atlas ... ")).findFirst().orElseThrow();
        assertThat(more).startsWith("More: atlas ... conversations list --limit=1 --agent=" + agent + " --after ");
        java.util.List<String> next = new java.util.ArrayList<>(java.util.List.of("--db", db.toString(), "--tenant", "at-agent"));
        next.addAll(java.util.List.of(more.substring("More: atlas ... ".length()).split(" ")));
        Cli.Result second = Cli.run(next.toArray(String[]::new));
        assertThat(second.err()).isEmpty();
        assertThat(second.exitCode()).isZero();
        assertThat(second.out().lines().count()).isEqualTo(2); // the header and the second conversation, no More line
    }

    /**
     * A jdbc:sqlite:file: URL is a URI: SQLite decodes %20 (and takes a 'localhost' authority as
     * none, which the CLI now does too; not tested here, as the library then creates a 'localhost/'
     * directory in the working directory). The CLI read the path raw, so every command but migrate and import said "no SQLite
     * database at .../a%20b.db" for the database SQLite opens ('a b.db').
     */
    @Test
    void aFileUriNamesTheFileSqliteOpens() throws Exception {
        Path sub = java.nio.file.Files.createDirectories(dir.resolve("uri"));
        migrated(sub.resolve("a b.db"));
        for (String url : new String[] {"jdbc:sqlite:file:" + sub + "/a%20b.db", "jdbc:sqlite:file://" + sub + "/a%20b.db?mode=ro",
                "jdbc:sqlite:file://localhost" + sub + "/a%20b.db"}) {
            Cli.Result list = Cli.run("--db", url, "conversations", "list");
            assertThat(list.err()).as(url).isEmpty();
            assertThat(list.out()).as(url).isEqualTo("No conversations.\n");
            assertThat(list.exitCode()).as(url).isZero();
        }
        // The library opens the same file: nothing is made under the encoded name, nor a 'localhost' directory.
        assertThat(sub.resolve("a%20b.db")).doesNotExist();
        assertThat(java.nio.file.Path.of("localhost")).doesNotExist();
    }

    @Test
    void aNegativeSequenceIsAUsageError() {
        Cli.Result r = Cli.run("--db", db.toString(), "conversations", "show", "0190f1e2-8b3c-7def-8123-456789abcdef", "--after", "-5");
        assertThat(r.err()).isEqualTo("atlas: --after: must be a message sequence (0 or more), was -5\n"
                + "Try 'atlas conversations show --help' for more information.\n");
        assertThat(r.exitCode()).isEqualTo(2);
    }

    @Test
    void aFileThatIsNotADatabaseIsNamedInOneLine() throws Exception {
        Path notes = dir.resolve("notes.txt");
        java.nio.file.Files.writeString(notes, "not a database, just some text that is long enough to be read as a header\n".repeat(10));
        String before = java.nio.file.Files.readString(notes);
        String notADatabase = "atlas: cannot read SQLite " + notes
                + " (--db): [SQLITE_NOTADB] File opened that is not a database file (file is not a database)\n";
        Cli.Result r = Cli.run("--db", notes.toString(), "info");
        assertThat(r.err()).isEqualTo(notADatabase);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        // The same line from a command that opens the database to write (it went through the pool: "could not open a connection
        // pool for notes.txt: Failed to initialize pool: ..."), and the file is left as it was.
        Path export = dir.resolve("acme.jsonl");
        java.nio.file.Files.writeString(export, "{\"type\":\"atlas-export\",\"version\":1}\n");
        r = Cli.run("--db", notes.toString(), "-t", "globex", "import", "--input", export.toString());
        assertThat(r.err()).isEqualTo(notADatabase);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(notes).hasContent(before);
    }

    @Test
    void anErrorQuotingAHostileImportFileShowsItsControlsAsCodes() throws Exception {
        Path hostile = dir.resolve("hostile.jsonl");
        java.nio.file.Files.writeString(hostile, "{\"type\":\"atlas-export\",\"version\":1}\n{\"type\":\"\\u001b]0;pwned\\u0007\\u001b[2J\"}\n");
        Cli.Result r = Cli.run("--db", db.toString(), "--tenant", "acme", "import", "--input", hostile.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("importing into tenant acme ...\n"
                + "atlas: line 2: type: is not a known row type: '\\u001b]0;pwned\\u0007\\u001b[2J'\n");
    }

    @Test
    void aPasswordInTheDbUrlIsNeverPrinted() {
        String[][] cases = {
                {"jdbc:postgresql://127.0.0.1:notaport/atlas?password=hunter2", "info"},
                {"jdbc:postgresql://admin:hunter2@127.0.0.1:notaport/atlas", "info"},
                {"jdbc:postgresql://admin:hunter2@127.0.0.1:1/atlas", "migrate"},
                {"jdbc:postgresql://127.0.0.1:notaport/atlas?password=hunter2", "serve"},
                {"jdbc:sqlite:" + dir.resolve("secret.db") + "?password=hunter2", "info"},
                // pgjdbc warns of a URL with too many '/' through java.util.logging, the URL it was handed quoted whole
                {"jdbc:postgresql://127.0.0.1:1/atlas/extra?password=hunter2&sslpassword=hunter2", "info"},
        };
        java.util.Map<String, Cli.Result> plain = new java.util.HashMap<>();
        for (String[] c : cases) {
            for (boolean verbose : new boolean[] {false, true}) {
                Cli.Result r = verbose ? Cli.run("--verbose", "--db", c[0], c[1]) : Cli.run("--db", c[0], c[1]);
                assertThat(r.exitCode()).as(c[0] + " " + c[1]).isEqualTo(1);
                assertThat(r.out() + r.err()).as(c[0] + " " + c[1]).doesNotContain("hunter2");
                if (!verbose) {
                    plain.put(c[0] + " " + c[1], r);
                }
            }
        }
        // The driver's warning is the CLI's, masked, not java.util.logging's two lines; neither the password= nor the sslpassword=
        // parameter is in the URL the driver is handed (taken out and passed as the password and a driver property).
        assertThat(plain.get("jdbc:postgresql://127.0.0.1:1/atlas/extra?password=hunter2&sslpassword=hunter2 info").err())
                .startsWith("atlas: warning: JDBC URL contains too many / characters: jdbc:postgresql://127.0.0.1:1/atlas/extra\natlas: ");
        Cli.Result sqlite = plain.get("jdbc:sqlite:" + dir.resolve("secret.db") + "?password=hunter2 info");
        assertThat(sqlite.err()).isEqualTo("atlas: no SQLite database at " + dir.resolve("secret.db") + " (run 'atlas --db jdbc:sqlite:"
                + dir.resolve("secret.db") + "?password=**** migrate' to create one)\n");
    }

    /**
     * A host name that does not resolve was only pgjdbc's "The connection attempt failed." (its reason in the cause): the
     * line now says it, for a command that reads (info) and for migrate, which connects before opening Atlas's pool.
     */
    @Test
    void anUnknownHostIsSaidToBeOne() {
        String url = "jdbc:postgresql://nohost.invalid:5432/atlas";
        String expected = "atlas: cannot connect to PostgreSQL " + url + " (--db): The connection attempt failed: unknown host nohost.invalid\n";
        assertThat(Cli.run("--db", url, "info")).isEqualTo(new Cli.Result(1, "", expected));
        assertThat(Cli.run("--db", url, "migrate")).isEqualTo(new Cli.Result(1, "", "Migrating PostgreSQL " + url + " ...\n" + expected));
    }

    /**
     * A server that never answers was only pgjdbc's "The connection attempt failed." (the read's timeout in its cause): the
     * line says it timed out, and after how long (the URL's socketTimeout). A socket that accepts and never reads stands for it.
     */
    @Test
    void aServerThatNeverAnswersIsSaidToHaveTimedOut() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String url = "jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/atlas";
            assertThat(Cli.run("--db", url + "?sslmode=disable&socketTimeout=1", "info")).isEqualTo(new Cli.Result(1, "", "atlas: cannot connect to"
                    + " PostgreSQL " + url + " (--db): The connection attempt failed: the server did not answer within 1 s (socketTimeout)\n"));
        }
    }

    /**
     * A password with a raw '@' ({@code //bob:hun@ter2@host}) was split at its first '@': the rest
     * went to the driver as part of the host name and was printed ("UnknownHostException:
     * ter2@127.0.0.1" under --verbose). It is refused before any connection, the URL not quoted.
     */
    @Test
    void aRawAtSignInTheUrlsPasswordStaysInThePasswordAndIsNeverPrinted() {
        for (boolean verbose : new boolean[] {false, true}) {
            String[] args = {"--db", "jdbc:postgresql://bob:hun@ter2@127.0.0.1:1/atlas", "info"};
            Cli.Result r = verbose ? Cli.run("-v", args[0], args[1], args[2]) : Cli.run(args);
            String refused = "atlas: cannot connect to PostgreSQL jdbc:postgresql://bob:****@127.0.0.1:1/atlas (--db): Connection to 127.0.0.1:1 refused. Check that the"
                    + " hostname and port are correct and that the postmaster is accepting TCP/IP connections.\n";
            assertThat(r.exitCode()).as("verbose " + verbose).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            // The whole password is the password: no part of it reaches the driver as a host name, nor the output.
            assertThat(r.err()).startsWith(refused).doesNotContain("hun").doesNotContain("ter2");
            if (!verbose) {
                assertThat(r.err()).isEqualTo(refused);
            }
        }
        // A raw '#', '/' or '?' in the password (unencoded) ended the user-info the mask looks for: the URL the messages quote
        // (the connection failure's, pgjdbc's warning, its "Unable to parse URL") showed the password whole. The password
        // runs to the last '@' and goes to the driver as the password, as one with a raw '@' does.
        String refused = "atlas: cannot connect to PostgreSQL jdbc:postgresql://bob:****@127.0.0.1:1/atlas (--db): Connection to 127.0.0.1:1 refused."
                + " Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.\n";
        java.util.Map<String, String> raw = new java.util.LinkedHashMap<>();
        raw.put("#", refused);
        raw.put("/", refused);
        raw.put("?", refused);
        for (java.util.Map.Entry<String, String> c : raw.entrySet()) {
            String url = "jdbc:postgresql://bob:hun" + c.getKey() + "ter2@127.0.0.1:1/atlas";
            assertThat(Cli.run("--db", url, "info")).as(c.getKey()).isEqualTo(new Cli.Result(1, "", c.getValue()));
            Cli.Result verbose = Cli.run("-v", "--db", url, "info");
            assertThat(verbose.exitCode()).as(c.getKey()).isEqualTo(1);
            assertThat(verbose.out() + verbose.err()).as(c.getKey()).startsWith(c.getValue()).doesNotContain("hun").doesNotContain("ter2");
        }
    }

    @Test
    void exportNeverReplacesTheDatabaseAndReplacesAnotherFileOnlyWithForce() throws Exception {
        Path copy = migrated(dir.resolve("export-onto-itself.db"));
        for (boolean force : new boolean[] {false, true}) {
            Cli.Result r = force ? Cli.run("--db", copy.toString(), "export", "--output", copy.toString(), "--force")
                    : Cli.run("--db", copy.toString(), "export", "--output", copy.toString());
            assertThat(r.exitCode()).as("force " + force).isEqualTo(2);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).isEqualTo("atlas: --output: must not name the database being exported (nor its -wal, -shm or -journal file), was "
                    + copy + "\nTry 'atlas export --help' for more information.\n");
        }
        // Refused by name, whether or not the file exists at this moment (SQLite creates and removes them as it works).
        for (String suffix : new String[] {"-wal", "-shm", "-journal"}) {
            Path part = Path.of(copy + suffix);
            Cli.Result r = Cli.run("--db", copy.toString(), "--tenant", "acme", "export", "-o", part.toString(), "--force");
            assertThat(r.exitCode()).as(suffix).isEqualTo(2);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).isEqualTo("atlas: --output: must not name the database being exported (nor its -wal, -shm or -journal file), was "
                    + part + "\nTry 'atlas export --help' for more information.\n");
            assertThat(part).doesNotExist();
        }
        assertThat(copy).isRegularFile();

        Path existing = dir.resolve("existing.jsonl");
        java.nio.file.Files.writeString(existing, "keep me\n");
        Cli.Result refused = Cli.run("--db", copy.toString(), "export", "--output", existing.toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).isEqualTo("atlas: cannot write " + existing + ": the file exists (--force replaces it)\n");
        assertThat(java.nio.file.Files.readString(existing)).isEqualTo("keep me\n");
        Cli.Result replaced = Cli.run("--db", copy.toString(), "export", "--output", existing.toString(), "--force");
        assertThat(replaced.exitCode()).isZero();
        assertThat(java.nio.file.Files.readString(existing)).startsWith("{\"type\":\"atlas-export\"");
    }

    @Test
    void importOfAHostileFileFailsNamingTheLineAndWritesNothing() throws Exception {
        String header = "{\"type\":\"atlas-export\",\"version\":1}\n";
        java.util.Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put("deep", header + "{\"a\":".repeat(5000) + "1" + "}".repeat(5000) + "\n");
        files.put("huge", header + "{\"type\":\"conversation\",\"x\":\"" + "a".repeat(21_000_000) + "\"}\n");
        files.put("long-number", header + "{\"type\":\"conversation\",\"x\":" + "9".repeat(5000) + "}\n");
        Path target = dir.resolve("hostile-import.db");
        for (var e : files.entrySet()) {
            Path input = dir.resolve(e.getKey() + ".jsonl");
            java.nio.file.Files.writeString(input, e.getValue());
            Cli.Result r = Cli.run("--db", target.toString(), "--tenant", "acme", "import", "--input", input.toString());
            assertThat(r.exitCode()).as(e.getKey()).isEqualTo(1);
            assertThat(r.out()).as(e.getKey()).isEmpty();
            // Named by the record's field (the first of 5,000 nested names only), as every refusal of a record is.
            String field = e.getKey().equals("deep") ? "a" : "x";
            assertThat(r.err()).as(e.getKey()).startsWith("importing into tenant acme ...\natlas: line 2: " + field + ": is beyond the import's limits: ")
                    .containsAnyOf("nesting depth", "String value length", "Number value length").endsWith(")\n");
            assertThat(r.err().lines().count()).as(e.getKey()).isEqualTo(2);
            // The import created the database, so its failure removes it again: no empty database is left to mistake for a result.
            for (String suffix : new String[] {"", "-wal", "-shm", "-journal", "-assets"}) {
                assertThat(dir.resolve(target.getFileName() + suffix)).as(e.getKey() + suffix).doesNotExist();
            }
        }
        // A database that existed before a failed import is kept, unchanged.
        migrated(target);
        Path input = dir.resolve("deep.jsonl");
        assertThat(Cli.run("--db", target.toString(), "--tenant", "acme", "import", "--input", input.toString()).exitCode()).isEqualTo(1);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + target);
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM atlas_conversations")) {
            assertThat(rs.getLong(1)).isZero();
        }
    }
}
