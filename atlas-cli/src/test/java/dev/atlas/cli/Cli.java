package dev.atlas.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the CLI and captures what it printed: in this JVM ({@link #run(String...)}), or the shaded jar as its own
 * process, with the java of this JVM ({@link #process}, and the runs with an environment, JVM options or as a user).
 */
final class Cli {
    private Cli() {}

    record Result(int exitCode, String out, String err) {}

    static Path jar() {
        String jar = System.getProperty("atlas.cli.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("the shaded jar is missing (" + jar + "): run the tests with 'verify', after 'package'");
        }
        return Path.of(jar);
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static List<String> command(String... args) {
        return command(List.of(), args);
    }

    /** The command with extra JVM options (a heap limit, say) before the jar. */
    static List<String> command(List<String> jvmOptions, String... args) {
        // C1-only JIT and the serial collector: these processes live a second or two, so start-up
        // dominates (about 3x faster under load here); the jar and its behaviour are unchanged.
        List<String> command = new ArrayList<>(List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        command.addAll(sharedClasses());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar().toString()));
        command.addAll(List.of(args));
        return command;
    }

    private static List<String> sharedClasses;

    /**
     * Class-data sharing for the jar's classes: one archive per test JVM, dumped by a throw-away
     * {@code migrate} (a third off each later start-up here). Its logging is off, so no run prints
     * more than the jar does; without an archive (a dump failed), the runs go without one.
     */
    private static synchronized List<String> sharedClasses() {
        if (sharedClasses == null) {
            Path archive = jar().resolveSibling("cds-" + ProcessHandle.current().pid() + ".jsa");
            List<String> quiet = List.of("-Xshare:auto", "-Xlog:cds*=off", "-Xlog:class+path=off");
            try {
                Path dir = Files.createTempDirectory("atlas-cli-cds");
                List<String> dump = new ArrayList<>(List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:ArchiveClassesAtExit=" + archive));
                dump.addAll(quiet);
                dump.addAll(List.of("-jar", jar().toString(), "--db", dir.resolve("warm.db").toString(), "migrate"));
                Process p = new ProcessBuilder(dump).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                boolean done = p.waitFor(120, TimeUnit.SECONDS);
                if (!done) {
                    p.destroyForcibly();
                }
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            List<String> options = new ArrayList<>();
            if (Files.isRegularFile(archive)) {
                options.add("-XX:SharedArchiveFile=" + archive);
                options.addAll(quiet);
            }
            sharedClasses = List.copyOf(options);
        }
        return sharedClasses;
    }

    /**
     * Runs the command in this JVM, as {@link AtlasCli#main} would in its own but for exiting: what it printed to
     * standard output and error (UTF-8, as the process prints them) and the code {@code main} would exit with
     * ({@link AtlasCli#exitCode}, standard output's failures included). Standard input is empty, as the process's
     * ({@code /dev/null}). For tests whose subject is not the process boundary itself (for that, {@link #process}):
     * a JVM's start-up costs most of a command here. Nothing is left behind: System.out, System.err and System.in,
     * the CLI's standard output and java.util.logging's root handlers (the CLI routes driver logs) are restored.
     */
    static Result run(String... args) {
        return run(Map.of(), args);
    }

    /**
     * {@link #run(String...)} with {@code env} set on top of this JVM's environment, as {@link #process(Map, String...)}
     * sets it on the process's: the command reads it through {@link AtlasCli#environment}, the one place it reads
     * environment variables from. Not the locale's (LC_ALL, LANG), which the JVM reads at its start: those need a process.
     */
    static Result run(Map<String, String> env, String... args) {
        return run(java.time.Duration.ofSeconds(120), env, args);
    }

    /**
     * {@link #run(Map, String...)} with a limit, 120 s there as for {@link #process}: a command still running then (serve
     * listening, say) is interrupted (serve stops, closing its viewer and database) and the test fails, rather than
     * hang every later test class of this JVM.
     */
    static synchronized Result run(java.time.Duration limit, Map<String, String> env, String... args) {
        java.io.PrintStream out = System.out;
        java.io.PrintStream err = System.err;
        java.io.InputStream in = System.in;
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("");
        java.util.logging.Handler[] handlers = jul.getHandlers();
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
        int code;
        try {
            System.setIn(new java.io.ByteArrayInputStream(new byte[0]));
            int[] exit = new int[1];
            Throwable[] thrown = new Throwable[1];
            Thread command = new Thread(() -> {
                try {
                    exit[0] = AtlasCli.exitCode(printed, errors, name -> env.containsKey(name) ? env.get(name) : System.getenv(name), args);
                } catch (Throwable t) {
                    thrown[0] = t;
                }
            }, "atlas in this JVM");
            command.setDaemon(true);
            command.start();
            try {
                command.join(limit.toMillis());
                if (command.isAlive()) {
                    command.interrupt();
                    command.join(TimeUnit.SECONDS.toMillis(20));
                    throw new IllegalStateException("atlas " + String.join(" ", args) + " did not finish within " + limit.toMillis() + " ms ("
                            + (command.isAlive() ? "interrupted, it still runs" : "interrupted, it stopped") + ")");
                }
            } catch (InterruptedException e) {
                command.interrupt();
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (thrown[0] instanceof RuntimeException r) {
                throw r;
            } else if (thrown[0] instanceof Error e) {
                throw e;
            } else if (thrown[0] != null) {
                throw new IllegalStateException(thrown[0]);
            }
            code = exit[0];
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
            AtlasCli.stdout = null;
            for (java.util.logging.Handler h : jul.getHandlers()) {
                jul.removeHandler(h);
            }
            for (java.util.logging.Handler h : handlers) {
                jul.addHandler(h);
            }
        }
        return new Result(code, printed.toString(StandardCharsets.UTF_8), errors.toString(StandardCharsets.UTF_8));
    }

    /** Runs the shaded jar as its own process: for tests of the process boundary, and a sample of each command family. */
    static Result process(String... args) {
        return process(Map.of(), args);
    }

    /** {@link #process(String...)} with {@code env} set on top of this JVM's environment. */
    static Result process(Map<String, String> env, String... args) {
        return run(command(args), env, args);
    }

    /** Runs with extra JVM options (system properties, say) before the jar. */
    static Result runWith(List<String> jvmOptions, String... args) {
        return run(command(jvmOptions, args), Map.of(), args);
    }

    /**
     * Runs as a user to whom file permissions apply: as root, without the capabilities that
     * override them (setpriv drops them from the bounding set, so the JVM never has them).
     */
    static Result runAsUser(String... args) {
        List<String> command = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search"));
        }
        command.addAll(command(args));
        return run(command, Map.of(), args);
    }

    private static Result run(List<String> command, Map<String, String> env, String... args) {
        try {
            Path out = Files.createTempFile("atlas-cli-out", ".txt");
            Path err = Files.createTempFile("atlas-cli-err", ".txt");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("atlas " + String.join(" ", args) + " did not finish within 120 s");
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
