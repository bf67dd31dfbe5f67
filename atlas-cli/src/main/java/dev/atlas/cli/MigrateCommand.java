package dev.atlas.cli;

import dev.atlas.Atlas;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Creates Atlas's tables or applies pending migrations (an SQLite file is created if missing).")
final class MigrateCommand implements Callable<Integer> {
    @ParentCommand
    AtlasCli root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Database db = root.database(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        Progress progress = new Progress(spec.commandLine().getErr());
        progress.step("Migrating " + db.describe() + " ...");
        int before = db.exists() ? db.appliedMigrations() : 0;
        try (Atlas atlas = db.openAndMigrate()) {
            int applied = db.appliedMigrations() - before;
            Database.SchemaState schema = db.schema();
            String version = schema.version();
            progress.done();
            if (applied == 0 && schema.newerThan() != null) {
                out.printf(Locale.ROOT, "%s is at schema version %s, newer than this atlas (%s): nothing to apply%n", db.describe(), version,
                        schema.newerThan());
            } else if (applied == 0) {
                out.printf(Locale.ROOT, "%s is up to date at schema version %s%n", db.describe(), version);
            } else {
                out.printf(Locale.ROOT, "Migrated %s: applied %d migration%s, schema version %s%n", db.describe(), applied,
                        applied == 1 ? "" : "s", version);
            }
        }
        out.flush();
        return AtlasCli.OK;
    }

}
