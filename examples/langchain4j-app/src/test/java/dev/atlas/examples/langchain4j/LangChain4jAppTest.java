package dev.atlas.examples.langchain4j;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class LangChain4jAppTest {
    @Test
    void runsOfflineAndPrintsWhatAtlasStored(@TempDir Path dir) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            LangChain4jApp.main(new String[] {dir.resolve("agent.db").toString()});
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        original.print(printed);
        assertThat(printed)
                .contains("assistant > done: order 1234 shipped")
                .contains("assistant > done: order 999 is archived")
                .contains("(external key chat-42)")
                .contains("tool lookup{\"order\":\"1234\"} -> completed order 1234 shipped")
                .contains("tool lookup{\"order\":\"999\"} -> failed order 999 is archived")
                .containsPattern("scripted/scripted-1 +5 calls, 0 failed, 80 in \\+ 25 out tokens, cost 0\\.00045");
    }

    /**
     * The argument names a file to keep, so a newcomer runs the example twice on it: the second run stopped with a
     * ConflictException from setting the model's price again. It goes on with the same conversation.
     */
    @Test
    void runsTwiceOnTheSameFile(@TempDir Path dir) throws Exception {
        String file = dir.resolve("agent.db").toString();
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            LangChain4jApp.main(new String[] {file});
            out.reset();
            LangChain4jApp.main(new String[] {file});
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        original.print(printed);
        assertThat(printed)
                .contains("assistant > done: order 1234 shipped")
                .contains("(external key chat-42)")
                .containsPattern("scripted/scripted-1 +10 calls, 0 failed");
    }
}
