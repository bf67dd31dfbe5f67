package dev.atlas.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes one run as Markdown and JSON; shared by every benchmark. */
final class ReportWriter {
    /** docs/benchmarks.md keeps everything above this line and gets the report below it. */
    static final String MARKER = "<!-- Everything below this line is written by atlas-bench (--docs); edit above it. -->";

    private ReportWriter() {}

    /** Everything one run produced. */
    record Run(String command, Profile profile, String startedAt, double seconds, Map<String, Object> machine, List<Section> sections) {}

    static String markdown(Run run) {
        StringBuilder md = new StringBuilder();
        md.append("## Latest report (").append(run.profile().name()).append(" profile)\n\n");
        md.append("Made by `").append(run.command()).append("` at ").append(run.startedAt()).append(", took ")
                .append(Math.round(run.seconds())).append(" s. Every ratio compares two figures measured in this run.\n\n");
        md.append("### Machine\n\n| | |\n|---|---|\n");
        run.machine().forEach((k, v) -> md.append("| ").append(k).append(" | ").append(cell(String.valueOf(v))).append(" |\n"));
        md.append("\n### Targets\n\n| Benchmark | Database | Target | Measured | Met |\n|---|---|---|---|---|\n");
        for (Section s : run.sections()) {
            for (TargetCheck t : s.targets()) {
                md.append("| ").append(cell(s.title())).append(" | ").append(t.database()).append(" | ").append(cell(t.target()))
                        .append(" | ").append(cell(t.measured())).append(" | ").append(t.met() ? "met" : "**not met**").append(" |\n");
            }
        }
        for (Section s : run.sections()) {
            md.append("\n### ").append(s.title()).append("\n\n").append(s.method()).append("\n\n");
            md.append("| Database | Measured | Value | Baseline | Baseline value | Ratio | Detail |\n|---|---|---|---|---|---|---|\n");
            for (Figure f : s.figures()) {
                md.append("| ").append(f.database()).append(" | ").append(cell(f.name())).append(" | ").append(Fmt.num(f.value())).append(' ')
                        .append(f.unit()).append(" | ").append(cell(f.baselineName())).append(" | ").append(Fmt.num(f.baseline())).append(' ')
                        .append(f.unit()).append(" | **").append(Fmt.ratio(f.ratio())).append("** | ").append(cell(f.detail())).append(" |\n");
            }
            for (String note : s.notes()) {
                md.append("\n- ").append(note);
            }
            if (!s.notes().isEmpty()) {
                md.append('\n');
            }
        }
        return md.toString();
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    static String json(Run run) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("command", run.command());
        root.put("profile", run.profile());
        root.put("startedAt", run.startedAt());
        root.put("seconds", run.seconds());
        root.put("machine", run.machine());
        List<Map<String, Object>> sections = new ArrayList<>();
        for (Section s : run.sections()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", s.id());
            m.put("title", s.title());
            m.put("method", s.method());
            m.put("figures", s.figures());
            m.put("targets", s.targets());
            m.put("notes", s.notes());
            sections.add(m);
        }
        root.put("benchmarks", sections);
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
    }

    /** Replaces whatever follows {@link #MARKER} in {@code docs} with the Markdown report. */
    static void updateDocs(Path docs, String markdown) throws IOException {
        String text = Files.readString(docs, StandardCharsets.UTF_8);
        int at = text.indexOf(MARKER);
        if (at < 0) {
            throw new IllegalArgumentException(docs + " has no line " + MARKER);
        }
        Files.writeString(docs, text.substring(0, at + MARKER.length()) + "\n\n" + markdown, StandardCharsets.UTF_8);
    }
}
