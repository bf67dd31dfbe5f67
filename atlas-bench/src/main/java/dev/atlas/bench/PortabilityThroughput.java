package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.SearchText;
import dev.atlas.portability.ExportReport;
import dev.atlas.portability.ExportScope;
import dev.atlas.portability.ImportReport;

import javax.sql.DataSource;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Issue 15: import and export throughput of a tenant's history against raw JDBC batch inserts of the same rows. */
final class PortabilityThroughput implements Benchmark {
    /** 1M is the size; on a loaded 2-core machine a run of that size takes hours, so the default stays smaller. */
    static final int MESSAGES = Integer.getInteger("atlas.bench.portability.messages", 100_000);
    static final int PER_CONVERSATION = 100;
    static final int BATCH = 2_000;
    static final int RUNS = 3;

    @Override
    public String id() {
        return "portability";
    }

    @Override
    public String title() {
        return "8. Import and export of a tenant (JSON Lines) vs raw JDBC batch inserts";
    }

    @Override
    public Section run(Env env) throws Exception {
        Section s = new Section(this, MESSAGES + " messages in " + (MESSAGES / PER_CONVERSATION) + " conversations (~120-character"
                + " content). Baseline: the same rows (every column Atlas's import writes, search_text included, prepared beforehand)"
                + " inserted with plain JDBC batches of " + BATCH + " rows per transaction into a fresh tenant. Then that tenant is exported"
                + " with tenant.portability().exportTo(file) and the file imported into another fresh tenant with importFrom(file) (which"
                + " validates the whole file, checks references and existing ids, then inserts " + BATCH + " rows per transaction)."
                + " Rows/s counts conversations + messages. " + RUNS + " runs each, median reported; machine load (1-minute loadavg) in the notes.");
        for (BenchDatabase database : env.databases()) {
            try (BenchDatabase.Opened db = database.open("bench_portability")) {
                long rows = MESSAGES + MESSAGES / PER_CONVERSATION;
                double[] raw = new double[RUNS];
                double[] export = new double[RUNS];
                double[] imports = new double[RUNS];
                String load = loadAvg();
                for (int run = 0; run < RUNS; run++) {
                    String rawTenant = "raw" + run;
                    List<Object[]> conversations = new ArrayList<>();
                    List<Object[]> messages = new ArrayList<>();
                    generate(conversations, messages, run);
                    long t0 = System.nanoTime();
                    insertRaw(db.dataSource(), db.dialect(), rawTenant, conversations, messages);
                    raw[run] = rows / ((System.nanoTime() - t0) / 1e9);

                    Path file = Files.createTempFile("atlas-bench-export", ".jsonl");
                    try {
                        long t1 = System.nanoTime();
                        ExportReport exported;
                        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
                            exported = db.atlas().tenant(rawTenant).portability().exportTo(out, ExportScope.tenant());
                        }
                        export[run] = exported.total() / ((System.nanoTime() - t1) / 1e9);
                        if (exported.total() != rows) {
                            throw new IllegalStateException("exported " + exported.total() + " rows, expected " + rows);
                        }
                        long t2 = System.nanoTime();
                        ImportReport imported;
                        try (InputStream in = Files.newInputStream(file)) {
                            imported = db.atlas().tenant("imported" + run).portability().importFrom(in);
                        }
                        imports[run] = imported.totalImported() / ((System.nanoTime() - t2) / 1e9);
                        if (imported.totalImported() != rows) {
                            throw new IllegalStateException("imported " + imported.totalImported() + " rows, expected " + rows);
                        }
                        s.note(database.label() + " run " + (run + 1) + ": raw " + Fmt.num(raw[run]) + " rows/s, export " + Fmt.num(export[run])
                                + " rows/s, import " + Fmt.num(imports[run]) + " rows/s; file " + Files.size(file) / 1024 + " KiB");
                    } finally {
                        Files.deleteIfExists(file);
                    }
                }
                double rawMedian = Stats.median(raw);
                s.figure(Figure.throughput(database.label(), "import (rows/s)", Stats.median(imports), "raw JDBC batch insert", rawMedian,
                        "median of " + RUNS));
                s.figure(Figure.throughput(database.label(), "export (rows/s)", Stats.median(export), "raw JDBC batch insert", rawMedian,
                        "median of " + RUNS + "; export reads, the baseline writes: the ratio only places it"));
                s.note(database.label() + ": loadavg before " + load + ", after " + loadAvg());
                Env.log("%s portability: raw %.0f rows/s, export %.0f rows/s, import %.0f rows/s", database.label(), rawMedian,
                        Stats.median(export), Stats.median(imports));
            }
        }
        return s;
    }

    private static String loadAvg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static void generate(List<Object[]> conversations, List<Object[]> messages, int run) {
        Clock clock = Clock.systemUTC();
        Instant base = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(run);
        for (int c = 0; c < MESSAGES / PER_CONVERSATION; c++) {
            UUID id = Ids.next(clock);
            Instant created = base.plusSeconds(c);
            Instant last = created.plus(PER_CONVERSATION, ChronoUnit.MILLIS);
            conversations.add(new Object[] {id, created, last});
            for (int m = 1; m <= PER_CONVERSATION; m++) {
                String content = Messages.content((long) c * PER_CONVERSATION + m);
                messages.add(new Object[] {Ids.next(clock), id, (long) m, m % 2 == 1 ? "user" : "assistant", content,
                        SearchText.index(content), created.plus(m, ChronoUnit.MILLIS)});
            }
        }
    }

    private static void insertRaw(DataSource ds, Dialect d, String tenant, List<Object[]> conversations, List<Object[]> messages)
            throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO atlas_conversations (tenant_id, id, owner_type, owner_id, type,"
                    + " status, metadata, last_sequence, last_message_at, activity_at, created_at, updated_at)"
                    + " VALUES (?, ?, 'user', 'u', 'user', 'open', ?, ?, ?, ?, ?, ?)")) {
                int n = 0;
                for (Object[] r : conversations) {
                    ps.setString(1, tenant);
                    d.bindUuid(ps, 2, (UUID) r[0]);
                    d.bindJson(ps, 3, "{}");
                    ps.setLong(4, PER_CONVERSATION);
                    d.bindInstant(ps, 5, (Instant) r[2]);
                    d.bindInstant(ps, 6, (Instant) r[2]);
                    d.bindInstant(ps, 7, (Instant) r[1]);
                    d.bindInstant(ps, 8, (Instant) r[2]);
                    ps.addBatch();
                    if (++n % BATCH == 0) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
                ps.executeBatch();
                c.commit();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO atlas_messages (tenant_id, id, conversation_id, sequence, role,"
                    + " content_type, content, status, is_active, metadata, created_at, updated_at, search_text)"
                    + " VALUES (?, ?, ?, ?, ?, 'text', ?, 'delivered', ?, ?, ?, ?, ?)")) {
                int n = 0;
                for (Object[] r : messages) {
                    ps.setString(1, tenant);
                    d.bindUuid(ps, 2, (UUID) r[0]);
                    d.bindUuid(ps, 3, (UUID) r[1]);
                    ps.setLong(4, (Long) r[2]);
                    ps.setString(5, (String) r[3]);
                    ps.setString(6, (String) r[4]);
                    ps.setBoolean(7, true);
                    d.bindJson(ps, 8, "{}");
                    d.bindInstant(ps, 9, (Instant) r[6]);
                    d.bindInstant(ps, 10, (Instant) r[6]);
                    ps.setString(11, (String) r[5]);
                    ps.addBatch();
                    if (++n % BATCH == 0) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
                ps.executeBatch();
                c.commit();
            }
        }
    }
}
