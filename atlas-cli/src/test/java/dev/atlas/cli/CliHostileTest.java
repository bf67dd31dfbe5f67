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

    /**
     * Output is UTF-8 whatever the locale: with none set (LC_ALL=C, common in containers and cron)
     * the JVM's stdout was ASCII, and every other character became '?', in tables, transcripts,
     * usage CSV and JSON (data files then wrong for good). (The arguments are another matter: the
     * JVM decodes them in the locale's charset before main runs; docs/cli.md says so.)
     */
    @Test
    void outputIsUtf8WhateverTheLocale() {
        Path plain = dir.resolve("utf8.db");
        String agent = "Zürich-bot 日本 😀";
        java.util.UUID id;
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.builder().sqlite(plain).build()) {
            dev.atlas.Tenant t = atlas.tenant("acme");
            id = t.conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("42"), agent).title("café")).id();
            t.conversations().append(id, dev.atlas.conversation.NewMessage.user("naïve 𝄞"));
            dev.atlas.execution.ExecutionHandle e = t.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt").agent(agent));
            e.step().finish("ok", null, dev.atlas.execution.FinishReason.STOP, dev.atlas.execution.Usage.of(1, 1));
            e.complete();
        }
        java.util.Map<String, String> noLocale = java.util.Map.of("LC_ALL", "C", "LANG", "C");
        Cli.Result csv = Cli.process(noLocale, "--db", plain.toString(), "-t", "acme", "usage", "--by", "agent", "--format", "csv");
        assertThat(csv.out()).contains("\n" + agent + ",1,0,1,1,0,0,0,0\n");
        Cli.Result json = Cli.process(noLocale, "--db", plain.toString(), "-t", "acme", "usage", "--by", "agent", "--format", "json");
        assertThat(json.out()).contains("\"group\" : \"" + agent + "\"");
        Cli.Result show = Cli.process(noLocale, "--db", plain.toString(), "-t", "acme", "conversations", "show", id.toString());
        assertThat(show.out()).startsWith("Conversation " + id + ": café\n").contains("   naïve 𝄞\n");
    }

    /**
     * The invisible directional marks (RLM U+200F, LRM U+200E, ALM U+061C) are bidirectional
     * controls too: raw, an RLM beside neutral characters reorders them on the line (a
     * {@code "1 - 2"} shown as {@code "2 - 1"}). They were printed raw in transcripts, tables and
     * {@code export -o -}.
     */
    @Test
    void directionalMarksAreShownAsCodes() throws Exception {
        Path marks = dir.resolve("marks.db");
        String text = "pay 10\u200f - 20\u200e euros\u061c now";
        java.util.UUID id;
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.builder().sqlite(marks).build()) {
            dev.atlas.Tenant t = atlas.tenant("acme");
            id = t.conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("42"), "bot\u200f").title(text)).id();
            t.conversations().append(id, dev.atlas.conversation.NewMessage.user(text));
        }
        String shown = "pay 10\\u200f - 20\\u200e euros\\u061c now";
        Cli.Result show = Cli.run("--db", marks.toString(), "-t", "acme", "conversations", "show", id.toString());
        assertThat(show.exitCode()).isZero();
        assertThat(show.out()).startsWith("Conversation " + id + ": " + shown + "\n").contains("   " + shown + "\n")
                .doesNotContain("\u200f", "\u200e", "\u061c");
        Cli.Result list = Cli.run("--db", marks.toString(), "-t", "acme", "conversations", "list");
        assertThat(list.out()).contains("bot\\u200f").doesNotContain("\u200f", "\u200e", "\u061c");
        Cli.Result export = Cli.run("--db", marks.toString(), "-t", "acme", "export", "-o", "-");
        assertThat(export.exitCode()).isZero();
        assertThat(export.out()).contains(shown).doesNotContain("\u200f", "\u200e", "\u061c");
        boolean found = false;
        for (String line : export.out().split("\n")) {
            found |= text.equals(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).path("row").path("content").asText(null));
        }
        assertThat(found).as("the message reads back as stored").isTrue();
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
