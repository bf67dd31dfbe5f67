package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ToolCall;
import dev.atlas.NotFoundException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;

@Command(name = "executions", mixinStandardHelpOptions = true,
        description = "Lists executions (model calls) or shows one as a tree of steps and tool calls.",
        subcommands = {ExecutionsCommand.List.class, ExecutionsCommand.Show.class})
final class ExecutionsCommand implements Callable<Integer> {
    @ParentCommand
    AtlasCli root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: list or show <id>");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Executions of the tenant, newest first, one page at a time.")
    static final class List implements Callable<Integer> {
        @ParentCommand
        ExecutionsCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--limit", defaultValue = "20", description = "Executions per page, 1 to 100 (default: ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--after", paramLabel = "<cursor>", description = "The cursor printed under the previous page.")
        String after;

        @Option(names = "--conversation", paramLabel = "<id>", description = "Only this conversation's executions.")
        UUID conversation;

        @Option(names = "--model", description = "Only this model's executions.")
        String model;

        @Option(names = "--status", description = "Only executions with this status (e.g. completed, failed).")
        String status;

        @Override
        public Integer call() {
            if (limit < 1 || limit > 100) {
                throw new ParameterException(spec.commandLine(), "--limit: must be between 1 and 100, was " + limit);
            }
            AtlasCli root = parent.root;
            PrintWriter out = spec.commandLine().getOut();
            try (Atlas atlas = root.database(spec.commandLine()).open()) {
                Tenant tenant = atlas.tenant(root.tenantOrDefault());
                ExecutionQuery q = ExecutionQuery.all().limit(limit).after(after).conversation(conversation).model(model)
                        .status(status == null ? null : ExecutionStatus.of(status));
                Page<Execution> page = tenant.executions().list(q);
                if (page.items().isEmpty()) {
                    out.println("No executions.");
                } else {
                    java.util.List<String[]> rows = new ArrayList<>();
                    rows.add(new String[]{"ID", "CREATED", "TYPE", "MODEL", "STATUS", "DURATION", "INPUT", "OUTPUT", "COST"});
                    for (Execution e : page.items()) {
                        rows.add(new String[]{e.id().toString(), Text.time(e.createdAt()), e.type().toString(),
                                Text.oneLine(e.provider() + "/" + e.model()), e.status().toString(), Text.ms(e.durationMs()),
                                num(e.usage().inputTokens()), num(e.usage().outputTokens()), Text.money(e.cost())});
                    }
                    out.print(Text.table(rows, new boolean[]{false, false, false, false, false, true, true, true, true}));
                }
                page.nextCursor().ifPresent(cursor -> out.println(ConversationsCommand.more(spec, "executions list", new String[][]{
                        {"--conversation", conversation == null ? null : conversation.toString()}, {"--model", model}, {"--status", status}},
                        cursor)));
            }
            out.flush();
            return AtlasCli.OK;
        }

        private static String num(Long v) {
            return v == null ? "-" : String.format(Locale.ROOT, "%,d", v);
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "One execution as a tree: steps and tool calls with start offsets, durations, tokens and cost.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        ExecutionsCommand parent;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "<id>", description = "The execution's id.")
        UUID id;

        @Override
        public Integer call() {
            AtlasCli root = parent.root;
            PrintWriter out = spec.commandLine().getOut();
            try (Atlas atlas = root.database(spec.commandLine()).open()) {
                ExecutionTree tree = atlas.tenant(root.tenantOrDefault()).executions().tree(id)
                        .orElseThrow(() -> new NotFoundException("execution", id));
                print(out, tree);
            }
            out.flush();
            return AtlasCli.OK;
        }

        private static void print(PrintWriter out, ExecutionTree tree) {
            Execution e = tree.execution();
            Instant origin = e.startedAt() != null ? e.startedAt() : e.createdAt();
            out.printf(Locale.ROOT, "Execution %s: %s %s/%s, %s%n", e.id(), e.type(), Text.oneLine(e.provider()), Text.oneLine(e.model()), e.status());
            out.printf(Locale.ROOT, "  agent %s, conversation %s%n", e.agent() == null ? "-" : Text.oneLine(e.agent()),
                    e.conversationId() == null ? "-" : e.conversationId());
            out.printf(Locale.ROOT, "  started %s, took %s, %s, cost %s%n", Text.time(origin), Text.ms(e.durationMs()), Text.tokens(e.usage()),
                    Text.money(e.cost()));
            if (e.firstTokenMs() != null) {
                out.printf(Locale.ROOT, "  first token after %s%n", Text.ms(e.firstTokenMs()));
            }
            if (e.error() != null) {
                out.printf(Locale.ROOT, "  error: %s%n", Text.oneLine(e.error()));
            }
            for (ExecutionStep step : tree.steps()) {
                out.printf(Locale.ROOT, "  step %d  %s  %s  at %s  took %s  %s%n", step.sequence(),
                        step.finishReason() == null ? "-" : step.finishReason(), step.status(), offset(origin, step.startedAt()),
                        Text.ms(step.durationMs()), Text.tokens(step.usage()));
                if (step.error() != null) {
                    out.printf(Locale.ROOT, "    error: %s%n", Text.oneLine(step.error()));
                }
                for (ToolCall call : step.toolCalls()) {
                    out.printf(Locale.ROOT, "    tool call %d %s (%s)  %s  at %s  took %s%n", call.index(), Text.oneLine(call.name()), call.type(),
                            call.status(), offset(origin, call.startedAt()), Text.ms(call.durationMs()));
                    out.printf(Locale.ROOT, "      arguments: %s%n", Text.cutOneLine(call.arguments(), 500));
                    if (call.result() != null) {
                        out.printf(Locale.ROOT, "      result:    %s%n", Text.cutOneLine(call.result(), 500));
                    }
                    if (call.error() != null) {
                        out.printf(Locale.ROOT, "      error:     %s%n", Text.oneLine(call.error()));
                    }
                }
            }
        }

        /**
         * Signed: the clocks of an application's servers disagree, so a step may be stamped before its
         * execution's start ({@code -50 ms}); {@code -} alone when a time is missing.
         */
        static String offset(Instant origin, Instant at) {
            if (at == null || origin == null) {
                return "-";
            }
            long ms = Duration.between(origin, at).toMillis();
            return (ms < 0 ? "-" : "+") + String.format(Locale.ROOT, "%,d ms", Math.abs(ms));
        }
    }
}
