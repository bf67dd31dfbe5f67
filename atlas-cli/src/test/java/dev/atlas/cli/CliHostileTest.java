package dev.atlas.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Stored terminal controls never reach the terminal raw, whatever the command and output format. */
class CliHostileTest {
    @TempDir
    static Path dir;
    static Path db;
    static HostileFixture h;

    @BeforeAll
    static void populate() {
        db = dir.resolve("hostile.db");
        h = new HostileFixture().populate(b -> b.sqlite(db));
    }

    private static Cli.Result atlas(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--db";
        all[1] = db.toString();
        all[2] = "--tenant";
        all[3] = HostileFixture.TENANT;
        System.arraycopy(args, 0, all, 4, args.length);
        return Cli.run(all);
    }

    /** No ESC, BEL, C1 control or bidirectional override in what the command wrote. */
    private static void assertNoRawControls(Cli.Result r) {
        assertThat(r.out() + r.err()).doesNotContain("\u001b", "\u0007", "\u009b", "\u202e");
    }

    @Test
    void transcriptAndExecutionTreeShowControlsAsCodes() {
        Cli.Result show = atlas("conversations", "show", h.conversation.toString());
        assertThat(show.exitCode()).isZero();
        assertNoRawControls(show);
        assertThat(show.out()).contains("agent agent" + HostileFixture.TERM_SHOWN + ", open",
                "   <img src=x onerror=\"window.pwned=4\"> javascript:window.pwned=5 " + HostileFixture.TERM_SHOWN + "\n");

        Cli.Result tree = atlas("executions", "show", h.failedExecution.toString());
        assertThat(tree.exitCode()).isZero();
        assertNoRawControls(tree);
        assertThat(tree.out()).contains("  error: <img src=x onerror=\"window.pwned=10\">" + HostileFixture.TERM_SHOWN + "\n");
    }

    @Test
    void usageAsCsvShowsControlsAsCodes() {
        Cli.Result csv = atlas("usage", "--by", "agent", "--format", "csv");
        assertThat(csv.exitCode()).isZero();
        assertNoRawControls(csv);
        assertThat(csv.out()).contains("\nagent" + HostileFixture.TERM_SHOWN + ",2,1,30,6,0,0,0,0\n");
    }

    @Test
    void exportToStandardOutputEscapesEveryControlAndStaysTheSameJson() throws Exception {
        Cli.Result export = atlas("export", "-o", "-");
        assertThat(export.exitCode()).isZero();
        assertNoRawControls(export);
        assertThat(export.out()).contains("[2J\\u009b31m\\u202e");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        boolean found = false;
        for (String line : export.out().split("\n")) {
            com.fasterxml.jackson.databind.JsonNode row = json.readTree(line);
            found |= HostileFixture.AGENT.equals(row.path("row").path("agent").asText(null));
        }
        assertThat(found).as("a row reads back with the stored agent").isTrue();
    }

    @Test
    void usageAsJsonEscapesEveryControl() throws Exception {
        Cli.Result json = atlas("usage", "--by", "agent", "--format", "json");
        assertThat(json.exitCode()).isZero();
        assertNoRawControls(json);
        // Still JSON, and it reads back as the stored name.
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out()).get("rows").get(0).get("group").asText())
                .isEqualTo(HostileFixture.AGENT);
    }
}
