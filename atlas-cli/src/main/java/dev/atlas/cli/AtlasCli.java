package dev.atlas.cli;

import dev.atlas.AtlasException;
import dev.atlas.InvalidInputException;
import dev.atlas.internal.EditDistance;
import dev.atlas.internal.Redaction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * The {@code atlas} command: {@code atlas --db <jdbc-url|sqlite-file> [--tenant t] <command>}.
 * Exit codes: 0 success, 1 the command failed at run time (its message on stderr), 2 the command
 * line was wrong (the problem and a pointer to {@code --help} on stderr).
 */
@Command(name = "atlas", mixinStandardHelpOptions = true, versionProvider = AtlasCli.Version.class,
        description = "Looks at and maintains an Atlas database: migrations, conversations, executions, usage, retention and a local web viewer.",
        subcommands = {MigrateCommand.class, InfoCommand.class, ConversationsCommand.class, ExecutionsCommand.class,
                UsageCommand.class, RetentionCommand.class, PortabilityCommands.Export.class, PortabilityCommands.Import.class, EraseCommand.class,
                ServeCommand.class, CommandLine.HelpCommand.class},
        sortOptions = false)
public final class AtlasCli implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    /** Fields the library checks that only ever hold a command-line value, and the option that gave it. */
    static final java.util.Map<String, String> OPTION_OF_FIELD = java.util.Map.ofEntries(
            java.util.Map.entry("tenantId", "--tenant"), java.util.Map.entry("status", "--status"),
            java.util.Map.entry("cursor", "--after"), java.util.Map.entry("text", "--search"),
            java.util.Map.entry("agent", "--agent"), java.util.Map.entry("model", "--model"),
            java.util.Map.entry("owner.type", "--owner"), java.util.Map.entry("owner.id", "--owner"),
            java.util.Map.entry("from", "--from"), java.util.Map.entry("to", "--to"),
            java.util.Map.entry("deleteMessagesAfter", "--delete-messages-after"),
            java.util.Map.entry("hardDeleteAfter", "--hard-delete-after"),
            java.util.Map.entry("archiveIdleAfter", "--archive-idle-after"),
            java.util.Map.entry("purgeArchivedAfter", "--purge-archived-after"),
            java.util.Map.entry("purgeDetachedExecutionsAfter", "--purge-detached-executions-after"),
            java.util.Map.entry("purgeFinishedTasksAfter", "--purge-finished-tasks-after"),
            java.util.Map.entry("purgeDeletedAssetsAfter", "--purge-deleted-assets-after"),
            java.util.Map.entry("purgeDetachedVoiceCallsAfter", "--purge-detached-voice-calls-after"),
            java.util.Map.entry("batchSize", "--batch-size"), java.util.Map.entry("conversationId", "--conversation"),
            java.util.Map.entry("sourceTenant", "--reseal-credentials-from"));

    @Spec
    CommandSpec spec;

    /** The database the command opened, once it did: failures are explained in its terms. */
    Database database;

    @Option(scope = ScopeType.INHERIT, names = "--db", paramLabel = "<jdbc-url|sqlite-file>",
            description = "The database: a jdbc:sqlite: or jdbc:postgresql: URL, or the path of an SQLite file.")
    String db;

    @Option(scope = ScopeType.INHERIT, names = {"-u", "--user"}, description = "Database user (PostgreSQL).")
    String user;

    /** The variable read for the password when {@code --password-env} is not given; unset, it means no password. */
    static final String DEFAULT_PASSWORD_ENV = "ATLAS_DB_PASSWORD";

    // No defaultValue: a variable given that is not set is an error, the default one unset means no password.
    @Option(scope = ScopeType.INHERIT, names = "--password-env", paramLabel = "<variable>",
            description = "Environment variable holding the database password (default: " + DEFAULT_PASSWORD_ENV
                    + "; one given must be set).")
    String passwordEnv;

    @Option(scope = ScopeType.INHERIT, names = "--table-prefix", defaultValue = "atlas_", description = "Prefix of Atlas's tables (default: ${DEFAULT-VALUE}).")
    String tablePrefix;

    @Option(scope = ScopeType.INHERIT, names = "--data-dir", paramLabel = "<dir>",
            description = "Directory of Atlas's files beside the database (asset bytes); by default the one the library derives.")
    java.nio.file.Path dataDir;

    @Option(scope = ScopeType.INHERIT, names = {"-t", "--tenant"},
            description = "Tenant whose data the command reads or changes (default: default; usage, retention run and serve without it cover every tenant;"
                    + " export without it is refused in a database holding another tenant).")
    String tenant;

    @Option(scope = ScopeType.INHERIT, names = {"-v", "--verbose"}, description = "Print stack traces of failures.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(exitCode(new java.io.FileOutputStream(java.io.FileDescriptor.out), new java.io.FileOutputStream(java.io.FileDescriptor.err),
                System::getenv, args));
    }

    /**
     * All {@link #main} does short of exiting, with {@code out} and {@code err} as standard output and error and
     * {@code environment} as the environment variables the command reads ({@link #environment}): the exit code it
     * exits with. System.out and System.err are left set to them (the caller restores them).
     */
    static int exitCode(java.io.OutputStream out, java.io.OutputStream err, java.util.function.UnaryOperator<String> environment,
                        String... args) {
        // UTF-8 whatever the locale: with none set (LC_ALL=C) the JVM's streams are ASCII and every
        // other stored character would print as '?', in CSV and JSON too. (Arguments are decoded by
        // the JVM before main, in the locale's charset: docs/cli.md says to use a UTF-8 locale for them.)
        stdout = new Watched(out);
        System.setOut(new java.io.PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        int code = run(environment, args);
        String failure = stdoutFailure();
        if (code == OK && failure != null) {
            System.err.println("atlas: cannot write standard output: " + failure);
            code = FAILED;
        }
        return code;
    }

    /**
     * Why standard output lost what was written to it, or null. System.out swallows write errors: a reader that
     * stopped early (| head -1) ends a listing quietly, as Unix tools do, so a closed pipe is no failure here; any
     * other (a full disk, an I/O error) lost output the command reported as written. Flushes System.out first;
     * null where {@link #main} did not run (the CLI called in-process).
     */
    static String stdoutFailure() {
        System.out.flush();
        java.io.IOException failure = stdout instanceof Watched watched ? watched.failure : null;
        return failure == null || brokenPipe(failure) ? null : failure.getMessage();
    }

    /**
     * Whether {@code e} is a write into a pipe whose reader closed. Java gives no error number, only the C library's
     * message, which is in the locale's language ("Datenübergabe unterbrochen (broken pipe)" under German messages):
     * it is compared with the message this JVM gives for a pipe of its own whose reader is closed.
     */
    static boolean brokenPipe(java.io.IOException e) {
        String message = e.getMessage();
        return message != null && (message.equals("Broken pipe") || message.equals(brokenPipeMessage()));
    }

    /** This JVM's message for a write into a pipe whose reader closed, or null if such a write did not fail. */
    private static String brokenPipeMessage() {
        java.nio.channels.Pipe pipe;
        try {
            pipe = java.nio.channels.Pipe.open();
            pipe.source().close();
        } catch (java.io.IOException e) {
            // No pipe to ask (no file descriptor left, say): its failure is not the message looked for.
            return null;
        }
        try (java.nio.channels.Pipe.SinkChannel sink = pipe.sink()) {
            sink.write(java.nio.ByteBuffer.wrap(new byte[1]));
            return null;
        } catch (java.io.IOException e) {
            return e.getMessage();
        }
    }

    /** Standard output that remembers its first write error (and still throws it). */
    private static final class Watched extends java.io.FilterOutputStream {
        volatile java.io.IOException failure;

        Watched(java.io.OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws java.io.IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            try {
                out.write(b, off, len);
            } catch (java.io.IOException e) {
                if (failure == null) {
                    failure = e;
                }
                throw e;
            }
        }
    }

    /**
     * The process's standard output as written by {@link #main} ({@link #exitCode}), or null in a JVM that runs the CLI
     * another way (tests that run it in-process set it back to null).
     */
    static java.io.OutputStream stdout;

    /**
     * Standard output for data whose loss must fail the command ({@code export --output -}): the file descriptor's
     * stream, which throws its write errors (and remembers the first, for {@link #stdoutFailure}), since
     * {@link System#out}, a PrintStream, swallows them, so an export into a pipe whose
     * reader died ran to its end and exited 0. {@code System.out} is flushed first, and the stream is not to be
     * closed. Where {@code main} did not run (the CLI called in-process), {@code System.out}.
     */
    static java.io.OutputStream stdout() {
        System.out.flush();
        return stdout != null ? stdout : System.out;
    }

    /**
     * Runs the command line with {@code environment} as its environment variables and returns the exit code (the
     * process's, when called from {@link #main}).
     */
    static int run(java.util.function.UnaryOperator<String> environment, String... args) {
        CommandLine cli = commandLine();
        AtlasCli root = (AtlasCli) cli.getCommand();
        root.environment = environment;
        driverLogsTo(root, cli.getErr());
        return cli.execute(args);
    }

    /**
     * The one place the command reads environment variables from ({@code --password-env}, {@link #DEFAULT_PASSWORD_ENV},
     * {@code --credential-keys-env}): the process's ({@link System#getenv(String)}), unless {@link #exitCode} was given
     * others (tests that run the CLI in their JVM). Null when a variable is not set.
     */
    java.util.function.UnaryOperator<String> environment = System::getenv;

    /** The command line, its handlers set; java.util.logging is left as it is (routed by {@link #run}). */
    static CommandLine commandLine() {
        AtlasCli root = new AtlasCli();
        CommandLine cli = new CommandLine(root);
        cli.setOut(new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        cli.setErr(new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
        cli.registerConverter(UUID.class, AtlasCli::uuid);
        cli.registerConverter(java.nio.file.Path.class, AtlasCli::path);
        // -V on a subcommand prints the root's version (picocli gives each command its own provider, none by default),
        // and every --help ends with the exit codes scripts rely on.
        everywhere(cli, new Version());
        cli.setParameterExceptionHandler((ex, args) -> usageError(root, ex, args));
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            String option = ex instanceof InvalidInputException bad ? OPTION_OF_FIELD.get(bad.field()) : null;
            // A tenant id refused without --tenant given came from the database (stored before the library refused it), not the command line.
            if (option != null && !(option.equals("--tenant") && root.tenant == null)
                    && (option.equals("--tenant") || commandLine.getCommandSpec().findOption(option) != null)) {
                // The library refused a value given on the command line: a usage error, named by its option.
                err.println("atlas: " + option + root.shown(ex.getMessage().substring(((InvalidInputException) ex).field().length())));
                err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for more information.");
                err.flush();
                return USAGE;
            }
            String refused = root.database == null ? null : root.database.whyRefused(ex);
            String text = refused != null ? refused : message(ex);
            String field = ex instanceof dev.atlas.NotFoundException missing ? missing.field().orElse(null) : null;
            String idOption = field == null ? null : OPTION_OF_FIELD.get(field);
            if (idOption != null && commandLine.getCommandSpec().findOption(idOption) != null) {
                // An id the command line gave names nothing: said under its option (still a run-time failure, exit 1).
                text = idOption + text.substring(field.length());
            }
            err.println("atlas: " + root.shown(text));
            if (root.verbose) {
                java.io.StringWriter trace = new java.io.StringWriter();
                ex.printStackTrace(new PrintWriter(trace));
                err.print(Text.safe(root.redacted(trace.toString())));
            }
            err.flush();
            return FAILED;
        });
        return cli;
    }

    private static void everywhere(CommandLine cli, Version version) {
        cli.getCommandSpec().versionProvider(version);
        cli.getCommandSpec().usageMessage().exitCodeListHeading("Exit codes:%n").exitCodeList(EXIT_CODES);
        cli.getSubcommands().values().forEach(sub -> everywhere(sub, version));
    }

    private static final java.util.Map<String, String> EXIT_CODES = exitCodes();

    private static java.util.Map<String, String> exitCodes() {
        java.util.Map<String, String> codes = new java.util.LinkedHashMap<>();
        codes.put(Integer.toString(OK), "Success.");
        codes.put(Integer.toString(FAILED), "Failed at run time (a file, the database, the data); why is on stderr.");
        codes.put(Integer.toString(USAGE), "Wrong command line; what, and a pointer to --help, on stderr.");
        return codes;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a command is required (migrate, info, conversations, executions, usage, retention, export, import, erase, serve)");
    }

    /** The database the global options name; a usage error when {@code --db} is missing. */
    Database database(CommandLine asking) {
        if (db == null || db.isBlank()) {
            throw new ParameterException(asking, "--db: is required (a jdbc:sqlite: or jdbc:postgresql: URL, or an SQLite file)");
        }
        if (!db.startsWith("jdbc:postgresql:") && nulRefusal(db) != null) {
            // An SQLite file (or jdbc:sqlite: URL): Path.of refused it at run time, "InvalidPathException: Nul character not allowed", exit 1.
            throw new ParameterException(asking, "--db: " + nulRefusal(db));
        }
        if (tenant != null) {
            // Checked before anything is opened: found at its first use, an import had already migrated the database.
            try {
                dev.atlas.Limits.requireTenantId("tenantId", tenant);
            } catch (InvalidInputException e) {
                throw new ParameterException(asking, "--tenant" + e.getMessage().substring(e.field().length()));
            }
        }
        // Blank, each was taken silently: the working directory (or a directory named ' '), no password, no user.
        if (dataDir != null && dataDir.toString().isBlank()) {
            throw new ParameterException(asking, "--data-dir: must be a directory, was '" + dataDir + "'");
        }
        if (passwordEnv != null && passwordEnv.isBlank()) {
            throw new ParameterException(asking, "--password-env: must name an environment variable, was '" + passwordEnv + "'");
        }
        if (user != null && user.isBlank()) {
            throw new ParameterException(asking, "--user: must not be blank when given");
        }
        if (passwordEnv != null && environment.apply(passwordEnv) == null) {
            // The given text is never shown: the common slip --password-env "$PGPASSWORD" gives the password itself.
            throw new ParameterException(asking, "--password-env: names an environment variable that is not set (give the"
                    + " variable's name, e.g. --password-env PGPASSWORD, not its value)");
        }
        String password = password();
        try {
            database = new Database(db, user, password, tablePrefix, dataDir);
            return database;
        } catch (Database.BadOption e) {
            throw new ParameterException(asking, e.getMessage());
        }
    }

    /** The password from {@code --password-env}'s variable, else from {@link #DEFAULT_PASSWORD_ENV}; null when unset. */
    private String password() {
        return environment.apply(passwordEnv != null ? passwordEnv : DEFAULT_PASSWORD_ENV);
    }

    /** The tenant the command works on: {@code --tenant}, else {@code default}. */
    String tenantOrDefault() {
        return tenant == null ? dev.atlas.Atlas.DEFAULT_TENANT : tenant;
    }

    /**
     * Routes java.util.logging, which pgjdbc logs through, to {@code err} as the CLI's own
     * warnings, masked as its messages are: JUL's console handler printed them raw in its own
     * format, and pgjdbc's warning of a malformed URL quotes it whole, password included.
     */
    private static void driverLogsTo(AtlasCli root, PrintWriter err) {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("");
        for (java.util.logging.Handler h : jul.getHandlers()) {
            jul.removeHandler(h);
        }
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            private final java.util.logging.Formatter format = new java.util.logging.SimpleFormatter();

            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (!isLoggable(r)) {
                    return;
                }
                Throwable thrown = r.getThrown();
                err.println("atlas: warning: " + root.shown(format.formatMessage(r) + (thrown == null ? "" : ": " + message(thrown))));
                if (thrown != null && root.verbose) {
                    java.io.StringWriter trace = new java.io.StringWriter();
                    thrown.printStackTrace(new PrintWriter(trace));
                    err.print(Text.safe(root.redacted(trace.toString())));
                }
                err.flush();
            }

            @Override
            public void flush() {
                err.flush();
            }

            @Override
            public void close() {
                // err is the command line's: it outlives this handler
            }
        };
        handler.setLevel(java.util.logging.Level.WARNING);
        jul.addHandler(handler);
    }

    /**
     * {@code text} fit for stderr: the database's secrets masked (drivers quote the URL they were
     * given, password included) and, since messages quote stored text and input files, on one
     * line with control characters shown as codes.
     */
    String shown(String text) {
        return Text.oneLine(redacted(text));
    }

    /** {@code text} with the password of {@code --db} (user-info or parameter) and of {@code --password-env} masked. */
    String redacted(String text) {
        java.util.List<String> secrets = new java.util.ArrayList<>(Redaction.secretsOf(db));
        Redaction.UserInfo userInfo = Redaction.userInfo(db);
        if (userInfo != null) {
            secrets.add(userInfo.password());
        }
        String password = password();
        if (password != null) {
            secrets.add(password);
        }
        return Redaction.text(text, secrets);
    }

    private static int usageError(AtlasCli root, ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        // Masked before the cut: cut first, a long value lost the end (the '@') that marks where a URL's password ends, and
        // the password's start was shown. The values are looked for masked, as the message quotes them.
        String[] shownArgs = args == null ? null : java.util.Arrays.stream(args).map(root::redacted).toArray(String[]::new);
        err.println("atlas: " + Text.oneLine(longValuesCut(root.redacted(usageMessage(ex)), shownArgs)));
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            // picocli's suggestions are loose ('frobnicate' gets three): only names a typo or two away are offered.
            String typed = unmatched.getUnmatched().get(0);
            java.util.List<String> close = unmatched.getSuggestions().stream().map(s -> s.substring(s.lastIndexOf(' ') + 1))
                    .filter(s -> EditDistance.between(typed, s) <= 2).map(s -> cmd.getCommandSpec().qualifiedName() + " " + s).toList();
            if (!close.isEmpty()) {
                err.println("Did you mean: " + String.join(" or ", close) + "?");
            }
        }
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return USAGE;
    }

    private static final java.util.regex.Pattern PICOCLI_INVALID_VALUE = java.util.regex.Pattern.compile(
            "Invalid value for (?:option '([^']+)'|positional parameter at index \\d+ \\(([^)]+)\\)): (.*)", java.util.regex.Pattern.DOTALL);
    private static final java.util.regex.Pattern PICOCLI_NO_VALUE = java.util.regex.Pattern.compile(
            "Missing required parameter for option '([^']+)' \\(.*\\)");
    private static final java.util.regex.Pattern PICOCLI_OPTION_FOR_VALUE = java.util.regex.Pattern.compile(
            "Expected parameter for option '([^']+)' but found '([^']*)'");
    private static final java.util.regex.Pattern PICOCLI_TWICE = java.util.regex.Pattern.compile(
            "option '([^']+)' \\(.*\\) should be specified only once");

    /**
     * {@code ex}'s message in the form of every other usage error, the option (or parameter) first: picocli's
     * "Invalid value for option '--limit': 'x' is not an int" is "--limit: 'x' is not an int", its
     * "Missing required option: '--output=<file>'" is "--output: is required", an option given without its value
     * "--limit: needs a value" ("--owner: needs a value, found the option '--limit'" when another option follows it),
     * and one given twice "--limit: should be specified only once".
     */
    static String usageMessage(ParameterException ex) {
        String text = ex.getMessage() == null ? "" : ex.getMessage();
        java.util.regex.Matcher noValue = PICOCLI_NO_VALUE.matcher(text);
        if (noValue.matches()) {
            // Given without its value (the last argument): not a missing option, which "is required" said of an optional one.
            return noValue.group(1) + ": needs a value";
        }
        java.util.regex.Matcher optionForValue = PICOCLI_OPTION_FOR_VALUE.matcher(text);
        if (optionForValue.matches()) {
            return optionForValue.group(1) + ": needs a value, found the option '" + optionForValue.group(2) + "'";
        }
        java.util.regex.Matcher twice = PICOCLI_TWICE.matcher(text);
        if (twice.matches()) {
            return twice.group(1) + ": should be specified only once";
        }
        if (ex instanceof CommandLine.MissingParameterException missing && missing.getMissing().size() == 1) {
            CommandLine.Model.ArgSpec arg = missing.getMissing().get(0);
            return (arg instanceof CommandLine.Model.OptionSpec option ? option.longestName() : arg.paramLabel()) + ": is required";
        }
        String message = ex.getMessage();
        java.util.regex.Matcher invalid = message == null ? null : PICOCLI_INVALID_VALUE.matcher(message);
        return invalid != null && invalid.matches() ? (invalid.group(1) != null ? invalid.group(1) : invalid.group(2)) + ": " + invalid.group(3)
                : message;
    }

    /** Values longer than this are quoted by their first {@link #LONG_VALUE_SHOWN} characters in a usage error. */
    private static final int LONG_VALUE = 1000;
    private static final int LONG_VALUE_SHOWN = 200;

    /**
     * {@code message} with each value of {@code args} longer than {@link #LONG_VALUE} characters cut to its start and an
     * ellipsis: the messages quote what was given, and a 100,000-character value (a file given as "$(cat file)") was
     * a 100 KB error line. A value given as {@code --option=value} is cut as the value.
     */
    static String longValuesCut(String message, String[] args) {
        if (message == null || args == null) {
            return message;
        }
        for (String arg : args) {
            int eq = arg.startsWith("-") ? arg.indexOf('=') : -1;
            String value = eq < 0 ? arg : arg.substring(eq + 1);
            if (value.length() > LONG_VALUE && message.contains(value)) {
                message = message.replace(value, Text.cut(value, LONG_VALUE_SHOWN));
            }
        }
        return message;
    }

    /** Why {@code value} cannot name a file, or null: a NUL, which no file name holds (Path.of's "Nul character not allowed"). */
    static String nulRefusal(String value) {
        int nul = value.indexOf('\0');
        return nul < 0 ? null : "contains a NUL character (U+0000) at index " + nul + ", which file names cannot hold";
    }

    private static java.nio.file.Path path(String value) {
        String refusal = nulRefusal(value);
        if (refusal != null) {
            throw new CommandLine.TypeConversionException(refusal);
        }
        return java.nio.file.Path.of(value);
    }

    private static UUID uuid(String value) {
        UUID id = id(value);
        if (id == null) {
            throw new CommandLine.TypeConversionException("not an id (a UUID such as 0190f1e2-8b3c-7def-8123-456789abcdef): '" + value + "'");
        }
        return id;
    }

    private static final java.util.regex.Pattern CANONICAL_UUID =
            java.util.regex.Pattern.compile("\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}");

    /**
     * The id {@code value} writes in the canonical 8-4-4-4-12 hex form, else null. Not
     * {@code UUID.fromString} alone: it also reads '1-1-1-1-1', so a typo would look up another id.
     */
    static UUID id(String value) {
        return value != null && CANONICAL_UUID.matcher(value).matches() ? UUID.fromString(value) : null;
    }

    /** One line saying what went wrong, without the exception class for Atlas's own (their messages name the field). */
    static String message(Throwable ex) {
        if (ex instanceof AtlasException || ex instanceof CliException) {
            return ex.getMessage();
        }
        String m = ex.getMessage();
        return m == null ? ex.getClass().getSimpleName() : ex.getClass().getSimpleName() + ": " + m;
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = AtlasCli.class.getPackage().getImplementationVersion();
            return new String[]{"atlas " + (v == null ? "(development build)" : v) + ", Java " + System.getProperty("java.version")};
        }
    }
}
