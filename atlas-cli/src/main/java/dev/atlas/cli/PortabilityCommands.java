package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.portability.ExportReport;
import dev.atlas.portability.ExportScope;
import dev.atlas.portability.ImportOptions;
import dev.atlas.portability.ImportReport;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.jdbi.internal.portability.JdbiPortability;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;

/** {@code export} and {@code import}: a tenant's history as JSON Lines, through {@code tenant.portability()}. */
final class PortabilityCommands {
    private PortabilityCommands() {
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Writes the tenant given by --tenant, one owner or one conversation as JSON Lines.",
                    "Without --tenant: tenant default, in a database holding no other tenant (else a usage error naming them).",
                    "The file imports back byte-exact into SQLite or PostgreSQL with 'atlas import'."})
    static final class Export implements Callable<Integer> {
        @ParentCommand
        AtlasCli root;

        @Spec
        CommandSpec spec;

        @Option(names = {"-o", "--output"}, paramLabel = "<file>", required = true,
                description = "File to write ('-' for standard output). Written whole or not at all.")
        String output;

        @Option(names = "--force", description = "Replace <file> when it exists (never the database being exported).")
        boolean force;

        @Option(names = "--owner", paramLabel = "<type:id>",
                description = "Export only this owner's rows, e.g. user:42 (the type ends at the first ':'; the id may hold ':').")
        String owner;

        @Option(names = "--owner-type", paramLabel = "<type>", description = "With --owner-id, instead of --owner: an owner whose type holds ':'.")
        String ownerType;

        @Option(names = "--owner-id", paramLabel = "<id>", description = "With --owner-type, instead of --owner.")
        String ownerId;

        @Option(names = "--conversation", paramLabel = "<id>", description = "Export only this conversation and what hangs off it.")
        UUID conversation;

        @Override
        public Integer call() throws Exception {
            if ((owner != null || ownerType != null || ownerId != null) && conversation != null) {
                throw new ParameterException(spec.commandLine(), (owner != null ? "--owner" : ownerType != null ? "--owner-type" : "--owner-id")
                        + ": cannot be combined with --conversation");
            }
            fileName(spec, "--output", output);
            dev.atlas.Owner ownerGiven = ConversationsCommand.List.owner(spec, owner, ownerType, ownerId);
            ExportScope scope = conversation != null ? ExportScope.conversation(conversation)
                    : ownerGiven != null ? ExportScope.owner(ownerGiven) : ExportScope.tenant();
            Database db = root.database(spec.commandLine());
            // A pipe or a device (>(gzip > f), /dev/stdout, /dev/tty) is written into as '-' is: there is no file to
            // replace whole, and a rename would put a regular file in the place of the pipe or device.
            Path named = "-".equals(output) ? null : Path.of(output);
            boolean stream = named == null || Files.exists(named) && !Files.isRegularFile(named) && !Files.isDirectory(named);
            if (!stream) {
                writable(spec, output, force, db);
            }
            // Data on a stream (stdout, often): progress as whole lines, so a line rewritten in place is never left for the data to follow.
            Progress progress = stream ? new Progress(spec.commandLine().getErr(), false) : new Progress(spec.commandLine().getErr());
            ExportReport report;
            try (Atlas atlas = db.open()) {
                requireTenantWhereThereAreOthers(db);
                progress.step("exporting tenant " + Text.oneLine(root.tenantOrDefault()) + " ...");
                if (stream) {
                    OutputStream target;
                    try {
                        target = named == null ? AtlasCli.stdout() : Files.newOutputStream(named, java.nio.file.StandardOpenOption.WRITE);
                    } catch (IOException e) {
                        throw new CliException("cannot write --output " + output + ": " + why(e));
                    }
                    // The same JSON with the controls JSON allows raw escaped, since a stream is often a terminal.
                    Recording written = new Recording(target);
                    TerminalSafeJson out = new TerminalSafeJson(new BufferedOutputStream(written));
                    try {
                        report = atlas.tenant(root.tenantOrDefault()).portability().exportTo(out, scope);
                        out.finish();
                    } catch (IOException | RuntimeException e) {
                        throw written.explained(output, e);
                    } finally {
                        if (named != null) {
                            target.close();
                        }
                    }
                    progress.done();
                    assetBytesNote(atlas, report);
                    return AtlasCli.OK;
                }
                Path target = Path.of(output).toAbsolutePath();
                // A temporary sibling renamed at the end, so a failed export never leaves half a file under the name.
                Path tmp;
                try {
                    tmp = Files.createTempFile(target.getParent(), ".atlas-export-", ".tmp");
                } catch (IOException e) {
                    throw new CliException("cannot write --output " + output + ": " + why(e));
                }
                // Stopped (Ctrl-C, kill), the JVM runs shutdown hooks but no finally blocks: the hook removes it too.
                Thread cleanup = new Thread(() -> deleteQuietly(tmp));
                Runtime.getRuntime().addShutdownHook(cleanup);
                try {
                    Recording written = new Recording(Files.newOutputStream(tmp));
                    try (OutputStream out = new BufferedOutputStream(written)) {
                        report = atlas.tenant(root.tenantOrDefault()).portability().exportTo(out, scope);
                    } catch (IOException | RuntimeException e) {
                        throw written.explained(output, e);
                    }
                    publish(tmp, target, force, output);
                } finally {
                    Files.deleteIfExists(tmp);
                    removeHook(cleanup);
                }
                progress.done();
                assetBytesNote(atlas, report);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "Exported %,d rows to %s%n", report.total(), Text.oneLine(output));
            print(out, report.exported());
            out.flush();
            return AtlasCli.OK;
        }

        /**
         * Asset bytes are not in an export, only the asset rows: an operator backing a tenant up with this command had no
         * sign of it until a restored viewer showed broken images. Said on stderr (stdout may be the file itself), with
         * the directory holding the bytes, so a backup script's log names what else to copy.
         */
        private void assetBytesNote(Atlas atlas, ExportReport report) {
            long assets = report.exported().getOrDefault("asset", 0L);
            if (assets == 0) {
                return;
            }
            PrintWriter err = spec.commandLine().getErr();
            err.printf(Locale.ROOT, "atlas: note: the file holds %s, not %s bytes: copy them from %s with it, into the asset directory"
                            + " of the database it is imported into (its --data-dir)%n",
                    assets == 1 ? "the row of 1 asset" : String.format(Locale.ROOT, "the rows of %,d assets", assets),
                    assets == 1 ? "its" : "their", Text.oneLine(atlas.config().assetDirectory().toAbsolutePath().toString()));
            err.flush();
        }

        /**
         * Without --tenant an export is of tenant {@code default}. An export holds one tenant (import writes it into the
         * tenant it is given), so in a database holding any other tenant, an export without --tenant is refused before
         * anything is written: run to back the database up, it silently left every other tenant out.
         */
        private void requireTenantWhereThereAreOthers(Database db) throws java.sql.SQLException {
            if (root.tenant != null) {
                return;
            }
            // Every tenant is named, default too when it holds data: the line lists what to export.
            java.util.List<String> tenants = db.tenants();
            if (tenants.stream().allMatch(t -> t.equals(root.tenantOrDefault()))) {
                return;
            }
            int shown = Math.min(tenants.size(), 10);
            String named = String.join(", ", tenants.subList(0, shown).stream().map(Text::shellWord).toList())
                    + (tenants.size() > shown ? String.format(Locale.ROOT, " and %,d more ('atlas info' lists them)", tenants.size() - shown) : "");
            throw new ParameterException(spec.commandLine(), "--tenant: is required: an export holds one tenant, and this database holds "
                    + named + "; export each with its --tenant (atlas ... --tenant <tenant> export --output <tenant>.jsonl)");
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Reads JSON Lines written by 'atlas export' into the tenant given by --tenant (default: default).",
                    "Everything is validated before the first write; rows already stored with the same values are skipped, so importing a file twice changes nothing.",
                    "Migrates the schema first when needed.",
                    "A new SQLite file appears only when the import succeeds; one another process creates meanwhile is imported into."})
    static final class Import implements Callable<Integer> {
        @ParentCommand
        AtlasCli root;

        @Spec
        CommandSpec spec;

        @Option(names = {"-i", "--input"}, paramLabel = "<file>", required = true, description = "File to read ('-' for standard input).")
        String input;

        @Option(names = "--credential-keys-file", paramLabel = "<file>",
                description = {"File holding the host's credential keys: <id>=<base64 AES-256 key> entries, one per line, the primary first.",
                        "With keys, a credential that would not decrypt in the tenant is refused; keys never go on the command line."})
        Path keysFile;

        @Option(names = "--credential-keys-env", paramLabel = "<variable>",
                description = "Environment variable holding the keys, as the file does (entries may be separated by commas).")
        String keysEnv;

        @Option(names = "--reseal-credentials-from", paramLabel = "<tenant>",
                description = {"Tenant the file was exported from: its credentials are decrypted with the keys and sealed again for --tenant.",
                        "Only for files you trust: the importing tenant can then read those secrets."})
        String resealFrom;

        ImportOptions options = ImportOptions.defaults();

        @Override
        public Integer call() throws Exception {
            fileName(spec, "--input", input);
            CredentialKeys keys = keys();
            if (resealFrom != null) {
                if (keys == null) {
                    throw new ParameterException(spec.commandLine(), "--reseal-credentials-from: needs the keys the credentials were sealed"
                            + " with: give --credential-keys-file or --credential-keys-env");
                }
                options = ImportOptions.defaults().resealCredentialsFrom(resealFrom);
            }
            Database db = root.database(spec.commandLine()).withKeys(keys);
            Progress progress = new Progress(spec.commandLine().getErr());
            ImportReport report;
            // The input is opened and its header read first: a wrong file must not leave a new, empty database behind.
            AssetRows assets;
            try (InputStream given = "-".equals(input) ? new BufferedInputStream(System.in) : open(input)) {
                header(given);
                InputStream in = assets = new AssetRows(given);
                Path file = db.file();
                report = file != null && !Files.exists(file) ? intoNewFile(db, file, in, progress, false)
                        : withoutAtlasTables(db) ? intoNewFile(db, file, in, progress, true) : into(db, in, progress);
            }
            missingAssetBytes(db, assets.ids());
            PrintWriter out = spec.commandLine().getOut();
            long unchanged = report.unchanged().values().stream().mapToLong(Long::longValue).sum();
            out.printf(Locale.ROOT, "Imported %,d rows (%,d already stored, unchanged)%n", report.totalImported(), unchanged);
            print(out, report.imported());
            out.flush();
            return AtlasCli.OK;
        }

        /**
         * Asset bytes are not in an export: restored into a fresh database (another host, PostgreSQL), every asset row
         * imported and every download then failed, with nothing said at import. Says how many of the file's live assets
         * this database's blob store cannot serve, per cause with its own fix ({@link AssetBytes}); a permission error, a
         * directory in the blob's place or a blob cut short are no "missing bytes", and a database failing meanwhile is
         * said as the check failing.
         */
        private void missingAssetBytes(Database db, java.util.Collection<UUID> ids) {
            if (ids.isEmpty()) {
                return;
            }
            AssetBytes.Outcome outcome;
            Path dir;
            try (Atlas atlas = db.open()) {
                dir = atlas.config().assetDirectory().toAbsolutePath();
                outcome = AssetBytes.check(atlas.tenant(root.tenantOrDefault()).assets(), dir, ids);
            }
            PrintWriter err = spec.commandLine().getErr();
            for (String warning : outcome.warnings(dir)) {
                err.println(warning);
            }
            err.flush();
        }

        /** The keys {@code --credential-keys-file} or {@code --credential-keys-env} give, or null; checked before anything is opened. */
        private CredentialKeys keys() {
            if (keysFile != null && keysEnv != null) {
                throw new ParameterException(spec.commandLine(), "--credential-keys-file: cannot be combined with --credential-keys-env");
            }
            // Blank (an unset shell variable), each read as a key source: "--credential-keys-env: : the variable is not set".
            if (keysFile != null && keysFile.toString().isBlank()) {
                throw new ParameterException(spec.commandLine(), "--credential-keys-file: must be a file name, was '" + keysFile + "'");
            }
            if (keysEnv != null && keysEnv.isBlank()) {
                throw new ParameterException(spec.commandLine(), "--credential-keys-env: must name an environment variable, was '" + keysEnv + "'");
            }
            try {
                return keysFile != null ? KeySource.fromFile(keysFile) : keysEnv != null ? KeySource.fromEnvironment(keysEnv, root.environment) : null;
            } catch (Database.BadOption e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }

        private ImportReport into(Database db, InputStream in, Progress progress) {
            return into(db, in, progress, "importing into tenant " + Text.oneLine(root.tenantOrDefault()) + " ...", options);
        }

        private ImportReport into(Database db, InputStream in, Progress progress, String step, ImportOptions with) {
            try (Atlas atlas = db.openAndMigrate()) {
                progress.step(step);
                ImportReport report = atlas.tenant(root.tenantOrDefault()).portability().importFrom(in, with);
                progress.done();
                return report;
            }
        }

        /**
         * Imports into a new SQLite file built aside, in a private directory beside it, and put under
         * its name only whole and only if still free (a hard link never replaces). So a failed import
         * leaves nothing, and never removes a database another process created meanwhile; when one
         * did, what was staged is imported into it, as an import run after that process would.
         */
        /**
         * An existing SQLite file without Atlas's tables (an application's database): it holds no row
         * the file could name, so the file is imported aside first, as for a new file, and only a file
         * that imported there whole migrates and fills it. Migrated first, it kept Atlas's tables when
         * the file then failed.
         */
        private static boolean withoutAtlasTables(Database db) {
            if (db.file() == null) {
                return false;
            }
            try {
                return db.schema().version() == null;
            } catch (RuntimeException e) {
                return false; // not a database, unreadable: the import says so as before
            }
        }

        private ImportReport intoNewFile(Database db, Path file, InputStream in, Progress progress, boolean exists) throws IOException {
            Path absolute = file.toAbsolutePath();
            Path staging;
            try {
                staging = Files.createTempDirectory(absolute.getParent(), "." + absolute.getFileName() + ".import-");
            } catch (IOException e) {
                throw new CliException("cannot create SQLite file " + file + " (--db): " + why(e), e);
            }
            // Stopped (Ctrl-C, kill), the JVM runs shutdown hooks but no finally blocks: the hook removes the staging too.
            Thread cleanup = new Thread(() -> delete(staging));
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                Database aside = db.at(staging.resolve(absolute.getFileName()));
                ImportReport report = into(aside, in, progress);
                Path staged = aside.file();
                for (String side : new String[] {"-wal", "-shm", "-journal"}) {
                    if (Files.exists(Path.of(staged + side))) {
                        // Closing the last connection folds these into the file; one left means the file alone is not the data.
                        throw new CliException("cannot create SQLite file " + file + " (--db): SQLite left its " + side + " file open");
                    }
                }
                if (!exists && published(staged, absolute)) {
                    return report;
                }
                Path dump = staging.resolve("staged.jsonl");
                try (Atlas from = aside.open(); OutputStream out = new BufferedOutputStream(Files.newOutputStream(dump))) {
                    from.tenant(root.tenantOrDefault()).portability().exportTo(out, ExportScope.tenant());
                }
                try (InputStream again = new BufferedInputStream(Files.newInputStream(dump))) {
                    // Staged credentials are already sealed for this tenant: no reseal the second time.
                    return into(db, again, progress, exists ? "importing into " + Text.oneLine(file.toString()) + " ..."
                            : Text.oneLine(file.toString()) + " was created meanwhile by another process: importing into it ...", ImportOptions.defaults());
                }
            } finally {
                delete(staging);
                removeHook(cleanup);
            }
        }

        /** Deletes the staging directory and all in it; best effort, the import's outcome is what the user needs to see. */
        private static void delete(Path dir) {
            try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                // a leftover hidden directory is harmless
            }
        }

        /** Reads the header line and goes back to the start, failing as the library would on a file that is not an export. */
        private static void header(InputStream in) throws IOException {
            int max = 64 * 1024;
            in.mark(max + 1);
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
            for (int b = in.read(); b != -1 && b != '\n' && line.size() <= max; b = in.read()) {
                line.write(b);
            }
            in.reset();
            com.fasterxml.jackson.databind.JsonNode h = null;
            if (line.size() > 0 && line.size() <= max) {
                try {
                    h = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line.toByteArray());
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new CliException("line 1: is not JSON: " + dev.atlas.internal.Check.escaped(String.valueOf(e.getOriginalMessage())));
                }
            }
            // The library's own check and words (a newer format says to upgrade): only where it reads the header differs, here
            // before a database is created or migrated.
            JdbiPortability.checkHeader(h);
        }

        private static InputStream open(String file) {
            Path path = Path.of(file);
            if (!Files.exists(path)) {
                throw new CliException("cannot read " + file + ": no such file");
            }
            if (Files.isDirectory(path)) {
                throw new CliException("cannot read " + file + ": is a directory");
            }
            try {
                return new BufferedInputStream(Files.newInputStream(path));
            } catch (IOException e) {
                throw new CliException("cannot read --input " + file + ": " + why(e));
            }
        }
    }

    /**
     * Fails before the database is opened when {@code output} cannot be written where it names,
     * exists without {@code force}, or is the database or one of its -wal, -shm or -journal files
     * (the rename at the end would put the export in its place). Those are refused by name too:
     * SQLite creates and removes them as it works, so whether one exists now says nothing.
     */
    private static void writable(CommandSpec spec, String output, boolean force, Database db) throws IOException {
        Path target = Path.of(output).toAbsolutePath().normalize();
        Path file = db.file();
        if (file != null) {
            for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
                Path part = Path.of(file.toAbsolutePath().normalize() + suffix);
                if (part.equals(target) || (Files.exists(part) && Files.exists(target) && Files.isSameFile(part, target))) {
                    throw new ParameterException(spec.commandLine(), "--output: must not name the database being exported"
                            + " (nor its -wal, -shm or -journal file), was " + output);
                }
            }
        }
        if (Files.isDirectory(target)) {
            throw new CliException("cannot write " + output + ": is a directory");
        }
        if (!Files.isDirectory(target.getParent())) {
            throw new CliException("cannot write " + output + ": no directory " + target.getParent());
        }
        if (Files.exists(target)) {
            if (!force) {
                throw new CliException("cannot write " + output + ": the file exists (--force replaces it)");
            }
        }
    }

    /** Removes a cleanup hook once its finally block has done the same work. */
    static void removeHook(Thread cleanup) {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: it deletes the same files
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a leftover hidden temporary file is harmless
        }
    }

    /** Puts the written export {@code tmp} under {@code target}, the command's {@code output}. */
    static void publish(Path tmp, Path target, boolean force, String output) throws IOException {
        if (force) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } else if (!published(tmp, target)) {
            // Checked before the export too; a file that appeared since (another export to the name) is kept as well.
            throw new CliException("cannot write " + output + ": the file exists (--force replaces it)");
        }
    }

    /** Puts {@code file} under {@code target} unless something is there: false when something was. */
    private static boolean published(Path file, Path target) throws IOException {
        try {
            Files.createLink(target, file); // never replaces, unlike a rename
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (UnsupportedOperationException | FileSystemException e) {
            // No hard links here (some network and FUSE file systems): a move, which checks first, is the next best.
            try {
                Files.move(file, target);
                return true;
            } catch (FileAlreadyExistsException exists) {
                return false;
            }
        }
    }

    /** A blank file name is not the current directory, and a NUL is in no file name: usage errors. */
    private static void fileName(CommandSpec spec, String option, String value) {
        if (value.isBlank()) {
            throw new ParameterException(spec.commandLine(), option + ": must be a file name or '-', was '" + value + "'");
        }
        if (AtlasCli.nulRefusal(value) != null) {
            throw new ParameterException(spec.commandLine(), option + ": " + AtlasCli.nulRefusal(value));
        }
    }

    /**
     * The output's own write failure, kept: the library reports it wrapped ("writing the output
     * failed"), and the user needs the file and the system's reason (a full disk).
     */
    static final class Recording extends java.io.FilterOutputStream {
        private IOException failure;

        Recording(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw failed(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw failed(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw failed(e);
            }
        }

        private IOException failed(IOException e) {
            if (failure == null) {
                failure = e;
            }
            return e;
        }

        /** What to throw for {@code e}: said as a failure to write {@code output} when writing it failed. */
        Exception explained(String output, Exception e) {
            return failure == null ? e : new CliException("cannot write --output " + output + ": " + why(failure), e);
        }
    }

    /** Why a file operation failed, in words: the JDK's file-system exceptions carry only the file name as message. */
    static String why(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Reads through, noting the id of every asset row (the records whose type is asset, however a tool wrote them), for
     * the check of their bytes after an import. Nothing is buffered: each line's id is picked out as its bytes pass
     * ({@link AssetIds}), and a line of another type is passed through once its type is read. A line it cannot read is
     * left to the import, which refuses it.
     */
    static final class AssetRows extends java.io.FilterInputStream {
        private final java.util.Set<UUID> ids = new java.util.LinkedHashSet<>();
        /** Follows a line in constant memory: a line of any length is checked (CliLongLinesTest). */
        private final AssetIds scan = new AssetIds();
        private boolean started;

        AssetRows(InputStream in) {
            super(in);
        }

        java.util.Set<UUID> ids() {
            return ids;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            // A last line without its newline (a hand-edited file) is seen at the end.
            see(b >= 0 ? (byte) b : (byte) '\n');
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            for (int i = 0; i < n; i++) {
                see(b[off + i]);
            }
            if (n < 0) {
                see((byte) '\n');
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // Read, not skipped past: a skipped asset row would go unchecked.
            return Math.max(0, read(new byte[(int) Math.min(n, 8192)]));
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        private void see(byte b) {
            if (!started) {
                scan.start();
                started = true;
            }
            if (b == '\n') {
                UUID id = scan.id();
                if (id != null) {
                    ids.add(id);
                }
                started = false;
            } else if (!scan.done()) {
                scan.see(b);
            }
        }
    }

    private static void print(PrintWriter out, Map<String, Long> counts) {
        new TreeMap<>(counts).forEach((k, v) -> {
            if (v != 0) {
                out.printf(Locale.ROOT, "  %-32s %,d%n", k, v);
            }
        });
    }
}
