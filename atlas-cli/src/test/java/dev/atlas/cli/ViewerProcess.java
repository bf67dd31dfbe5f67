package dev.atlas.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code atlas serve} on an SQLite file with the {@link Fixture} data dated yesterday (inside the usage chart's 30 days): as a
 * process ({@link #start}), or in this JVM ({@link #inJvm}: the same command line parsed, the same database opened and the
 * same viewer listening, its log in {@link #errFile}) for tests whose subject is not the process.
 */
final class ViewerProcess implements AutoCloseable {
    final Fixture fixture;
    final URI base;
    final String token;
    /** The name of this viewer's sign-in cookie. */
    final String cookie;
    /** Where the viewer's stderr (its log) goes. */
    final Path errFile;
    /** Stops the viewer: the process, or the viewer and database of {@link #inJvm}. */
    private final AutoCloseable stop;

    private ViewerProcess(Fixture fixture, AutoCloseable stop, String url, Path errFile) {
        this.fixture = fixture;
        this.stop = stop;
        this.errFile = errFile;
        int q = url.indexOf("/?token=");
        this.base = URI.create(url.substring(0, q));
        this.token = url.substring(q + "/?token=".length());
        this.cookie = Viewer.cookieName(base.getPort());
    }

    static Fixture recentFixture(Path db) {
        Instant t0 = LocalDate.now(ZoneOffset.UTC).minusDays(2).atStartOfDay(ZoneOffset.UTC).plusHours(9).toInstant();
        return new Fixture(t0).populate(b -> b.sqlite(db));
    }

    /** Starts the viewer and returns once it printed its URL (it listens before printing). */
    static ViewerProcess start(Fixture fixture, Path db, String... extra) {
        return start(List.of(), fixture, db, extra);
    }

    /** {@link #start(Fixture, Path, String...)} with extra JVM options for the viewer's process. */
    static ViewerProcess start(List<String> jvmOptions, Fixture fixture, Path db, String... extra) {
        return startOn(jvmOptions, fixture, db, db.toString(), extra);
    }

    /** The viewer on {@code db} named on the command line as {@code dbArgument} (a URL with parameters, say). */
    static ViewerProcess startOn(List<String> jvmOptions, Fixture fixture, Path db, String dbArgument, String... extra) {
        List<String> args = new ArrayList<>(List.of("--db", dbArgument));
        args.addAll(List.of(extra));
        args.addAll(List.of("serve", "--port", "0"));
        Path errFile = db.resolveSibling("serve-" + System.nanoTime() + ".err");
        try {
            Process p = new ProcessBuilder(Cli.command(jvmOptions, args.toArray(String[]::new)))
                    .redirectError(errFile.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            if (first == null || !first.startsWith("Atlas viewer on http://127.0.0.1:")) {
                p.destroyForcibly();
                throw new IllegalStateException("atlas serve did not start: " + first);
            }
            // Keep draining stdout so the process never blocks on a full pipe.
            Thread drain = new Thread(() -> {
                try {
                    while (out.readLine() != null) {
                        // discard
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            drain.setDaemon(true);
            drain.start();
            String url = first.substring("Atlas viewer on ".length(), first.indexOf(' ', "Atlas viewer on ".length()));
            return new ViewerProcess(fixture, () -> stop(p), url, errFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String url(String pathAndFragment) {
        return base + "/?token=" + token + pathAndFragment;
    }

    /**
     * The viewer {@code atlas --db <db> <extra> serve --port 0} starts, in this JVM: the command line parsed as the
     * command's, the database it names opened as {@code serve} opens it, and {@link Viewer} listening on the loopback
     * address with a port of its own; what it logs goes to {@link #errFile}. What is left of {@code serve} (printing
     * the URL, waiting for Ctrl-C) is the process's, tested by {@link #start}.
     */
    static ViewerProcess inJvm(Fixture fixture, Path db, String... extra) {
        return inJvmOn(fixture, db, db.toString(), extra);
    }

    /** {@link #inJvm} on {@code db} named on the command line as {@code dbArgument} (a URL with parameters, say). */
    static ViewerProcess inJvmOn(Fixture fixture, Path db, String dbArgument, String... extra) {
        List<String> args = new ArrayList<>(List.of("--db", dbArgument));
        args.addAll(List.of(extra));
        args.addAll(List.of("serve", "--port", "0"));
        picocli.CommandLine cli = AtlasCli.commandLine();
        picocli.CommandLine.ParseResult parsed = cli.parseArgs(args.toArray(String[]::new));
        AtlasCli root = (AtlasCli) cli.getCommand();
        picocli.CommandLine serve = parsed.subcommand().commandSpec().commandLine();
        Path errFile = db.resolveSibling("serve-" + System.nanoTime() + ".err");
        try {
            java.io.PrintStream log = new java.io.PrintStream(java.nio.file.Files.newOutputStream(errFile), true, StandardCharsets.UTF_8);
            Database database = root.database(serve);
            dev.atlas.Atlas atlas = database.open();
            Viewer viewer;
            try {
                viewer = Viewer.start(atlas, database, root.tenant, java.net.InetAddress.getLoopbackAddress(), 0, root::shown, log);
            } catch (IOException | RuntimeException e) {
                atlas.close();
                log.close();
                throw e;
            }
            return new ViewerProcess(fixture, () -> {
                try (log; atlas; viewer) {
                    // closed in reverse: the viewer, the database, the log
                }
            }, viewer.url(), errFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                // Waited for too: the test's temporary directory is deleted next, and a process not yet dead can still
                // be closing SQLite (writing and removing -wal and -shm there), which fails that deletion.
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        try {
            stop.close();
        } catch (Exception e) {
            throw new IllegalStateException("the viewer did not stop", e);
        }
    }
}
