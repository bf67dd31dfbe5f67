package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.portability.EraseReport;
import dev.atlas.portability.Portability;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code atlas --tenant T erase --owner O | --conversation ID | --all-of-tenant [--yes]}: a dry run unless {@code --yes}, since an
 * erase cannot be undone. Prints the rows per table (deleted, or that would be), never a value of a row.
 */
@Command(name = "erase", mixinStandardHelpOptions = true,
        description = {"Erases an owner's data, one conversation, or everything of a tenant (a customer who leaves), with its blob files.",
                "A dry run unless --yes is given: it prints what would be deleted, per table, and changes nothing.",
                "--tenant is required: an erase never falls back to the default tenant.",
                "Output: one line per table, '<table> <rows>', after a line saying what was (or would be) erased.",
                "Exit codes: 0 erased (or counted); 1 failed at run time (an unknown conversation, new rows kept arriving:"
                        + " run it again to finish; what was erased stays erased); 2 wrong command line."})
final class EraseCommand implements Callable<Integer> {
    @ParentCommand
    AtlasCli root;

    @Spec
    CommandSpec spec;

    @Option(names = "--owner", paramLabel = "<type:id>", description = "Erase this owner's data, e.g. user:42 (the type ends at the first ':').")
    String owner;

    @Option(names = "--owner-type", paramLabel = "<type>", description = "With --owner-id, instead of --owner: an owner whose type holds ':'.")
    String ownerType;

    @Option(names = "--owner-id", paramLabel = "<id>", description = "With --owner-type, instead of --owner.")
    String ownerId;

    @Option(names = "--conversation", paramLabel = "<id>", description = "Erase this conversation and what hangs off it.")
    UUID conversation;

    @Option(names = "--all-of-tenant", description = "Erase every row of the tenant, owned or not, and the blob files only it names.")
    boolean allOfTenant;

    @Option(names = "--yes", description = "Delete for real (without it, a dry run).")
    boolean yes;

    @Override
    public Integer call() throws Exception {
        Owner ownerGiven = ConversationsCommand.List.owner(spec, owner, ownerType, ownerId);
        int scopes = (ownerGiven != null ? 1 : 0) + (conversation != null ? 1 : 0) + (allOfTenant ? 1 : 0);
        if (scopes != 1) {
            throw new ParameterException(spec.commandLine(), (scopes == 0 ? "what to erase is required" : "give only one of them")
                    + ": --owner (or --owner-type and --owner-id), --conversation or --all-of-tenant");
        }
        if (root.tenant == null) {
            throw new ParameterException(spec.commandLine(), "--tenant: is required: an erase never falls back to the default tenant");
        }
        Database db = root.database(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        String tenant = Text.oneLine(root.tenant);
        try (Atlas atlas = db.open()) {
            Portability portability = atlas.tenant(root.tenant).portability();
            boolean dryRun = !yes;
            EraseReport report;
            String what;
            if (allOfTenant) {
                what = "everything of tenant " + tenant;
                report = portability.eraseTenant(dryRun);
            } else if (conversation != null) {
                what = "conversation " + conversation + " of tenant " + tenant;
                report = portability.eraseConversation(conversation, dryRun);
            } else {
                what = "owner " + Text.oneLine(ownerGiven.type()) + ":" + Text.oneLine(ownerGiven.id()) + " of tenant " + tenant;
                report = portability.eraseOwner(ownerGiven, dryRun);
            }
            out.printf(Locale.ROOT, dryRun ? "Dry run, nothing deleted: erasing %s would delete%s%n" : "Erased %s%s%n", what,
                    report.counts().isEmpty() ? " nothing" : ":");
            for (Map.Entry<String, Long> e : report.counts().entrySet()) {
                out.printf(Locale.ROOT, "  %-30s %d%n", e.getKey(), e.getValue());
            }
            if (dryRun && !report.counts().isEmpty()) {
                out.println("Run it again with --yes to delete.");
            }
            out.flush();
        }
        return AtlasCli.OK;
    }
}
