package dev.atlas.bench;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Issue 17.2: whole-process wall time from a new SQLite file to the first appended message, and
 * for reopening that file to append one more, Atlas against raw sqlite-jdbc. Each side runs in
 * a fresh JVM (the cost is class loading, schema creation and the migration check, which a
 * warmed-up JVM would hide); the runs alternate Atlas / raw so load hits both alike.
 */
final class FirstMessage implements Benchmark {
    static final int RUNS = 5;

    @Override
    public String id() {
        return "first-message";
    }

    @Override
    public String title() {
        return "9. First message on a new SQLite file, and reopen: whole process, Atlas vs raw sqlite-jdbc";
    }

    @Override
    public Section run(Env env) throws Exception {
        Section s = new Section(this, "A fresh `java` process per run, timed from `ProcessBuilder.start()` to its exit. New file: Atlas"
                + " `Atlas.sqlite(file)` (migrations), `tenant(..).conversations().ensure(key, ..)`, `append`, `close`; raw: `DriverManager`"
                + " connection with WAL, `CREATE TABLE` of conversations / messages / message_events with their unique indexes, insert a"
                + " conversation, then counter update + message + event in one transaction. Reopen: the same process on the file the"
                + " first run made, appending one more message. Class path without an SLF4J provider (an application without a"
                + " logger); the Atlas process's stderr is counted to check that it opens silently. " + RUNS
                + " runs per side, alternating Atlas and raw; medians. Each child also reports its own CPU time (all threads), the"
                + " steadier figure when other work shares the machine.");
        Path dir = Files.createTempDirectory("atlas-first-message");
        String classpath = childClasspath();
        List<Run> atlasNewRuns = new ArrayList<>();
        List<Run> rawNewRuns = new ArrayList<>();
        List<Run> atlasReopenRuns = new ArrayList<>();
        List<Run> rawReopenRuns = new ArrayList<>();
        List<String> atlasErr = new ArrayList<>();
        // One unmeasured round first: the OS page cache holds the jars afterwards, for both sides.
        for (int i = -1; i < RUNS; i++) {
            Path a = dir.resolve("atlas-" + i + ".db");
            Path r = dir.resolve("raw-" + i + ".db");
            Run an = child(classpath, "atlas", a, atlasErr);
            Run rn = child(classpath, "raw", r, null);
            Run ar = child(classpath, "atlas", a, atlasErr);
            Run rr = child(classpath, "raw", r, null);
            if (i >= 0) {
                atlasNewRuns.add(an);
                rawNewRuns.add(rn);
                atlasReopenRuns.add(ar);
                rawReopenRuns.add(rr);
            }
        }
        List<Long> atlasNew = walls(atlasNewRuns), rawNew = walls(rawNewRuns);
        List<Long> atlasReopen = walls(atlasReopenRuns), rawReopen = walls(rawReopenRuns);
        double anCpu = median(cpus(atlasNewRuns)), rnCpu = median(cpus(rawNewRuns));
        double arCpu = median(cpus(atlasReopenRuns)), rrCpu = median(cpus(rawReopenRuns));
        double an = median(atlasNew), rn = median(rawNew), ar = median(atlasReopen), rr = median(rawReopen);
        Env.log("first message: Atlas new %s (median %.0f ms), raw new %s (median %.0f), Atlas reopen %s (median %.0f), raw reopen %s"
                + " (median %.0f); CPU medians: Atlas new %.0f, raw new %.0f, Atlas reopen %.0f, raw reopen %.0f ms; Atlas stderr lines %d",
                atlasNew, an, rawNew, rn, atlasReopen, ar, rawReopen, rr, anCpu, rnCpu, arCpu, rrCpu, atlasErr.size());
        s.figure(Figure.latency("SQLite", "Atlas: new file to first message (median wall)", an, "raw sqlite-jdbc, same",
                rn, "ms", "Atlas runs " + atlasNew + " ms; raw " + rawNew + " ms"));
        s.figure(Figure.latency("SQLite", "Atlas: reopen and append (median wall)", ar, "raw sqlite-jdbc, same",
                rr, "ms", "Atlas runs " + atlasReopen + " ms; raw " + rawReopen + " ms"));
        s.figure(Figure.latency("SQLite", "Atlas: new file to first message (median process CPU)", anCpu, "raw sqlite-jdbc, same",
                rnCpu, "ms", "Atlas CPU " + cpus(atlasNewRuns) + " ms; raw " + cpus(rawNewRuns) + " ms"));
        s.figure(Figure.latency("SQLite", "Atlas: reopen and append (median process CPU)", arCpu, "raw sqlite-jdbc, same",
                rrCpu, "ms", "Atlas CPU " + cpus(atlasReopenRuns) + " ms; raw " + cpus(rawReopenRuns) + " ms"));
        s.target(new TargetCheck("SQLite", "first message on a new file <= 2x raw sqlite-jdbc (whole process)",
                Fmt.ratio(an / rn), an / rn <= 2.0));
        s.target(new TargetCheck("SQLite", "Atlas opens silently (nothing on stderr besides SLF4J's no-provider notice)", atlasErr.size() + " stderr lines",
                atlasErr.isEmpty()));
        if (!atlasErr.isEmpty()) {
            s.note("First stderr lines of an Atlas process: " + atlasErr.stream().limit(3).collect(Collectors.joining(" | ")));
        }
        return s;
    }

    private static List<Long> walls(List<Run> runs) {
        return runs.stream().map(Run::wallMs).toList();
    }

    private static List<Long> cpus(List<Run> runs) {
        return runs.stream().map(Run::cpuMs).toList();
    }

    private static double median(List<Long> values) {
        long[] v = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
    }

    /** This JVM's class path without SLF4J providers: the child is an application with no logger. */
    static String childClasspath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .flatMap(FirstMessage::expandManifest)
                .filter(e -> !e.contains("slf4j-simple") && !e.contains("logback") && !e.contains("log4j-slf4j"))
                .distinct()
                .collect(Collectors.joining(File.pathSeparator));
    }

    /**
     * A {@code -jar} class path is the jar alone; its manifest names the rest, including the
     * SLF4J provider. The child gets the named jars and a copy of the jar without its manifest.
     */
    private static java.util.stream.Stream<String> expandManifest(String entry) {
        if (!entry.endsWith(".jar")) {
            return java.util.stream.Stream.of(entry);
        }
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(entry)) {
            var manifest = jar.getManifest();
            String cp = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
            if (cp == null) {
                return java.util.stream.Stream.of(entry);
            }
            Path base = Path.of(entry).toAbsolutePath().getParent();
            Path copy = Files.createTempFile("atlas-bench-classes", ".jar");
            copy.toFile().deleteOnExit();
            try (var in = new java.util.jar.JarInputStream(Files.newInputStream(Path.of(entry)));
                 var out = new java.util.jar.JarOutputStream(Files.newOutputStream(copy))) {
                for (var e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new java.util.jar.JarEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
            List<String> all = new ArrayList<>(List.of(copy.toString()));
            for (String rel : cp.trim().split("\\s+")) {
                all.add(base.resolve(rel).toString());
            }
            return all.stream();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One child's wall time and the CPU time it reports for itself (all its threads), in ms. */
    record Run(long wallMs, long cpuMs) {}

    /** Runs one child process. Collects its stderr lines into {@code err} when given. */
    static Run child(String classpath, String side, Path file, List<String> err) throws Exception {
        Path errFile = Files.createTempFile("first-message", ".err");
        Path outFile = Files.createTempFile("first-message", ".out");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, FirstMessage.class.getName(), side, file.toString())
                .redirectOutput(outFile.toFile())
                .redirectError(errFile.toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(side + " child timed out");
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        List<String> lines = Files.readAllLines(errFile, StandardCharsets.UTF_8);
        List<String> out = Files.readAllLines(outFile, StandardCharsets.UTF_8);
        Files.deleteIfExists(errFile);
        Files.deleteIfExists(outFile);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(side + " child failed (" + p.exitValue() + "): " + String.join("\n", lines));
        }
        if (err != null) {
            // slf4j-api's own notice that no provider is bound (3 lines) is printed for any library that
            // logs through it; what counts is that nothing else (Flyway through java.util.logging) appears.
            lines.stream().filter(l -> !l.startsWith("SLF4J(")).forEach(err::add);
        }
        long cpu = out.stream().filter(l -> l.startsWith("cpu-ms=")).mapToLong(l -> Long.parseLong(l.substring(7))).findFirst().orElse(-1);
        return new Run(ms, cpu);
    }

    /** The child: {@code atlas|raw FILE}; prints its CPU time last, which load on a shared machine distorts far less than wall time. */
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[1]);
        if (args[0].equals("atlas")) {
            try (Atlas atlas = Atlas.sqlite(file)) {
                var conversations = atlas.tenant("bench").conversations();
                var c = conversations.ensure("first", NewConversation.of(Owner.user("u1"), "agent"));
                conversations.append(c.id(), NewMessage.user("hello"));
            }
        } else {
            raw(file);
        }
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            System.out.println("cpu-ms=" + os.getProcessCpuTime() / 1_000_000);
        }
    }

    private static void raw(Path file) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath()
                + "?journal_mode=WAL&synchronous=NORMAL&foreign_keys=true&busy_timeout=10000")) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS conversations (tenant_id TEXT NOT NULL, id TEXT NOT NULL, external_key TEXT,"
                        + " last_sequence INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, id))");
                s.execute("CREATE UNIQUE INDEX IF NOT EXISTS conversations_key ON conversations (tenant_id, external_key)");
                s.execute("CREATE TABLE IF NOT EXISTS messages (tenant_id TEXT NOT NULL, id TEXT NOT NULL, conversation_id TEXT NOT NULL,"
                        + " sequence INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, created_at TEXT NOT NULL,"
                        + " PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, conversation_id, sequence),"
                        + " FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id))");
                s.execute("CREATE TABLE IF NOT EXISTS message_events (tenant_id TEXT NOT NULL, id TEXT NOT NULL,"
                        + " message_id TEXT NOT NULL, type TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, id))");
            }
            String now = java.time.Instant.now().toString();
            String conversation;
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM conversations WHERE tenant_id = 'bench' AND external_key = 'first'");
                 ResultSet rs = ps.executeQuery()) {
                conversation = rs.next() ? rs.getString(1) : null;
            }
            c.setAutoCommit(false);
            if (conversation == null) {
                conversation = UUID.randomUUID().toString();
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO conversations (tenant_id, id, external_key, created_at)"
                        + " VALUES ('bench', ?, 'first', ?)")) {
                    ps.setString(1, conversation);
                    ps.setString(2, now);
                    ps.executeUpdate();
                }
                c.commit();
            }
            long seq;
            try (PreparedStatement ps = c.prepareStatement("UPDATE conversations SET last_sequence = last_sequence + 1"
                    + " WHERE tenant_id = 'bench' AND id = ? RETURNING last_sequence")) {
                ps.setString(1, conversation);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    seq = rs.getLong(1);
                }
            }
            String id = UUID.randomUUID().toString();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages (tenant_id, id, conversation_id, sequence, role, content,"
                    + " created_at) VALUES ('bench', ?, ?, ?, 'user', 'hello', ?)")) {
                ps.setString(1, id);
                ps.setString(2, conversation);
                ps.setLong(3, seq);
                ps.setString(4, now);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO message_events (tenant_id, id, message_id, type, created_at)"
                    + " VALUES ('bench', ?, ?, 'created', ?)")) {
                ps.setString(1, UUID.randomUUID().toString());
                ps.setString(2, id);
                ps.setString(3, now);
                ps.executeUpdate();
            }
            c.commit();
        }
    }

    static String describe(List<Long> runs) {
        return runs.stream().map(v -> String.format(Locale.ROOT, "%d", v)).collect(Collectors.joining(", "));
    }
}
