package dev.atlas.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Shows the database, its schema version, the rows of each Atlas table and the tenants.")
final class InfoCommand implements Callable<Integer> {
    @ParentCommand
    AtlasCli root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws SQLException {
        Database db = root.database(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        Database.SchemaState schema = db.schema();
        out.printf(Locale.ROOT, "Database:        %s%n", db.describe());
        if (schema.version() == null) {
            out.printf(Locale.ROOT, "Schema version:  none (no Atlas tables with prefix %s; run 'atlas --db <db> migrate')%n", db.prefix());
            out.flush();
            return AtlasCli.OK;
        }
        out.printf(Locale.ROOT, "Schema version:  %s%s%n", schema.version(),
                schema.newerThan() != null ? " (newer than this atlas, which knows up to " + schema.newerThan() + ")"
                        : schema.pending() == 0 ? " (up to date)" : " (" + schema.pending() + " pending, latest " + schema.latest() + ")");
        List<String> tenants = db.tenants();
        out.printf(Locale.ROOT, "Tenants:         %s%n", tenants.isEmpty() ? "none" : String.join(", ", tenants.stream().map(Text::oneLine).toList()));
        out.println();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"TABLE", "ROWS"});
        for (Map.Entry<String, Long> e : db.tableRows().entrySet()) {
            rows.add(new String[]{e.getKey(), String.format(Locale.ROOT, "%,d", e.getValue())});
        }
        out.print(Text.table(rows, new boolean[]{false, true}));
        out.flush();
        return AtlasCli.OK;
    }
}
