package dev.atlas.cli;

import dev.atlas.Atlas;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Starts the local read-only web viewer: conversations, transcripts, execution waterfalls and usage charts.",
                "It prints a URL carrying a random token; the viewer answers only requests that present it.",
                "With --tenant the viewer shows that tenant only; without, it offers every tenant. Ctrl-C stops it."})
final class ServeCommand implements Callable<Integer> {
    @ParentCommand
    AtlasCli root;

    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = "7311", description = "TCP port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
    String bind;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port: must be between 0 and 65535, was " + port);
        }
        InetAddress address;
        try {
            // getByName("") is the loopback address: an empty --bind (an unset variable, say) is a mistake, not the default.
            if (bind.isBlank()) {
                throw new UnknownHostException(bind);
            }
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new ParameterException(spec.commandLine(), "--bind: must be an address of this machine, was '" + bind + "'");
        }
        Database db = root.database(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stopped = new CountDownLatch(1);
        try (Atlas atlas = db.open(); Viewer viewer = listen(atlas, db, address)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                viewer.close();
                stopped.countDown();
            }));
            out.printf(Locale.ROOT, "Atlas viewer on %s (%s%s)%n", viewer.url(), db.describe(),
                    root.tenant == null ? ", every tenant" : ", tenant " + Text.oneLine(root.tenant));
            out.println("Open the URL above; it carries this run's access token. Read-only. Ctrl-C stops the viewer.");
            if (!address.isLoopbackAddress()) {
                out.println("Warning: listening on " + address.getHostAddress() + ", reachable from other machines; anyone with the URL can read the data.");
            }
            out.flush();
            // The URL carries the only access token: a viewer whose URL was lost (a full disk) would run on
            // unreachable. Checked now, as other commands' output is at their end, since this one runs until stopped.
            String failure = AtlasCli.stdoutFailure();
            if (failure != null) {
                throw new CliException("cannot write standard output: " + failure);
            }
            stopped.await();
        }
        return AtlasCli.OK;
    }

    private Viewer listen(Atlas atlas, Database db, InetAddress address) throws java.io.IOException {
        try {
            return Viewer.start(atlas, db, root.tenant, address, port, root::shown, System.err);
        } catch (java.net.BindException e) {
            String where = (address.getHostAddress().contains(":") ? "[" + address.getHostAddress() + "]" : address.getHostAddress()) + ":" + port;
            String why = e.getMessage() == null ? "" : e.getMessage().toLowerCase(java.util.Locale.ROOT);
            throw new CliException("cannot listen on " + where + ": " + (why.contains("in use") ? "the port is in use; choose another --port (0 picks a free one)"
                    : why.contains("assign requested address") ? "--bind is not an address of this machine"
                    : e.getMessage()), e);
        }
    }
}
