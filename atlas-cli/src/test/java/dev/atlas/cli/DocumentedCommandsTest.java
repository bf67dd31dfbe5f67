package dev.atlas.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * README.md's one-line list of the {@code atlas} commands and docs/cli.md's command table name every command the jar
 * has, so a newcomer reading either learns of each (README listed all but {@code erase}).
 */
class DocumentedCommandsTest {

    @Test
    void readmeAndCliPageNameEveryCommand() throws Exception {
        Path root = repositoryRoot();
        String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        String listLine = readme.lines().filter(l -> l.startsWith("The same jar is the `atlas` command:")).findFirst()
                .map(l -> l + readme.substring(readme.indexOf(l) + l.length()).lines().skip(1).findFirst().orElse(""))
                .orElseThrow(() -> new AssertionError("README.md has no line starting 'The same jar is the `atlas` command:'"));
        String cliPage = Files.readString(root.resolve("docs/cli.md"), StandardCharsets.UTF_8);
        List<String> notInReadme = new ArrayList<>();
        List<String> notInCliPage = new ArrayList<>();
        for (String command : AtlasCli.commandLine().getSubcommands().keySet()) {
            if (command.equals("help")) {
                continue;   // picocli's own, on every command line
            }
            // serve is the command the README's viewer line runs, just above the list.
            if (!listLine.contains("`" + command) && !(command.equals("serve") && readme.contains("--tenant acme serve"))) {
                notInReadme.add(command);
            }
            if (!cliPage.contains("| `" + command)) {
                notInCliPage.add(command);
            }
        }
        assertThat(notInReadme).as("commands README.md's list leaves out").isEmpty();
        assertThat(notInCliPage).as("commands without a row in docs/cli.md's table").isEmpty();
    }

    private static Path repositoryRoot() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs"))) {
                return dir;
            }
        }
        throw new AssertionError("no README.md with docs/ above " + System.getProperty("user.dir"));
    }
}
