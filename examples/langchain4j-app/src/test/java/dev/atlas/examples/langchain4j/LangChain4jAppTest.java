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
                .contains("assistant > Your order is shipped on 2026-11-30, arriving 2026-12-03.")
                .contains("assistant > I could not find that order (no order 999).")
                .contains("(external key chat-42)")
                .contains("tool orderStatus{\"orderId\":\"1234\"} -> completed shipped on 2026-11-30")
                .contains("tool orderStatus{\"orderId\":\"999\"} -> failed no order 999")
                .containsPattern("openai/gpt-4o-mini +5 calls, 0 failed, 1021 in \\+ 33 out tokens, cost 0\\.0028825");
    }
}
