package dev.atlas.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Runs the benchmarks and writes {@code report.md} and {@code report.json}.
 *
 * <pre>
 * java -jar atlas-bench/target/atlas-bench.jar [--quick | --full] [--only id,id] [--out DIR] [--docs docs/benchmarks.md]
 * </pre>
 */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        // Before any logger exists: keep the embedded server's and Spring's INFO lines out of the output.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Profile profile = Profile.quick();
        Path out = defaultOut();
        Path docs = null;
        Set<String> only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> profile = Profile.quick();
                case "--full" -> profile = Profile.full();
                case "--out" -> out = Path.of(args[++i]);
                case "--docs" -> docs = Path.of(args[++i]);
                case "--only" -> only = Set.of(args[++i].split(","));
                default -> {
                    System.err.println("usage: atlas-bench [--quick | --full] [--only id,id] [--out DIR] [--docs FILE]");
                    System.err.println("benchmarks: " + Benchmarks.all().stream().map(Benchmark::id).collect(Collectors.joining(", ")));
                    System.exit(2);
                }
            }
        }
        List<Benchmark> selected = new ArrayList<>();
        for (Benchmark b : Benchmarks.all()) {
            if (only == null || only.contains(b.id())) {
                selected.add(b);
            }
        }
        if (only != null && selected.size() != only.size()) {
            System.err.println("unknown benchmark in --only " + only + "; known: "
                    + Benchmarks.all().stream().map(Benchmark::id).collect(Collectors.joining(", ")));
            System.exit(2);
        }
        String command = "java -jar atlas-bench/target/atlas-bench.jar " + String.join(" ", args);
        Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        long t0 = System.nanoTime();
        Env.log("profile %s, %d benchmark(s); starting databases", profile.name(), selected.size());
        List<BenchDatabase> databases = new ArrayList<>();
        List<Section> sections = new ArrayList<>();
        Map<String, Object> machine;
        try {
            databases.add(new BenchDatabase.Sqlite());
            databases.add(new BenchDatabase.Postgres());
            machine = machine(databases);
            try (Env env = new Env(profile, databases)) {
                for (Benchmark b : selected) {
                    Env.log("running %s", b.id());
                    long b0 = System.nanoTime();
                    sections.add(b.run(env));
                    Env.log("%s took %.1f s", b.id(), (System.nanoTime() - b0) / 1e9);
                }
            }
        } finally {
            for (BenchDatabase d : databases) {
                d.close();
            }
        }
        machine.put("load average at end", loadAverage());
        double seconds = (System.nanoTime() - t0) / 1e9;
        ReportWriter.Run run = new ReportWriter.Run(command, profile, started.toString(), seconds, machine, sections);
        String md = ReportWriter.markdown(run);
        Files.createDirectories(out);
        Files.writeString(out.resolve("report.md"), md, StandardCharsets.UTF_8);
        Files.writeString(out.resolve("report.json"), ReportWriter.json(run), StandardCharsets.UTF_8);
        if (docs != null) {
            ReportWriter.updateDocs(docs, md);
        }
        System.out.println(md);
        Env.log("wrote %s and %s%s in %.0f s", out.resolve("report.md"), out.resolve("report.json"),
                docs == null ? "" : " and " + docs, seconds);
    }

    /** The directory the jar is in (atlas-bench/target), else the working directory. */
    private static Path defaultOut() {
        try {
            Path jar = Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(jar) ? jar.getParent() : Path.of(".");
        } catch (Exception e) {
            return Path.of(".");
        }
    }

    private static Map<String, Object> machine(List<BenchDatabase> databases) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        Runtime rt = Runtime.getRuntime();
        m.put("cores", rt.availableProcessors());
        m.put("max heap", rt.maxMemory() / (1024 * 1024) + " MiB");
        m.put("JDK", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version") + " ("
                + System.getProperty("java.vm.name") + ")");
        m.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("CPU", cpuModel());
        // Other processes on the machine skew absolute numbers; interleaved rounds keep ratios fair.
        m.put("load average at start", loadAverage());
        for (BenchDatabase d : databases) {
            try (BenchDatabase.Opened probe = d.open("bench_probe")) {
                Map<String, String> info = d.describe(probe);
                m.put(d.label(), info.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
            }
        }
        m.put("Spring AI", AppendVsLength.springVersion());
        return m;
    }

    /** The 1, 5 and 15 minute load averages (Linux), or "unknown". */
    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " / " + parts[1] + " / " + parts[2] + " (1 / 5 / 15 min)";
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (Exception e) {
            return "unknown";
        }
    }
}
