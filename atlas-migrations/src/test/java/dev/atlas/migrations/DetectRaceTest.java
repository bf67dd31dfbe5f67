package dev.atlas.migrations;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

class DetectRaceTest {

    private static final int ROUNDS = 150;
    private static final int RACERS = 4;

    /*
     * A host's SQLiteDataSource in WAL mode switches a new file to WAL on each connection's open.
     * Two connections meeting in that switch both hold a shared lock and want an exclusive one, and
     * SQLite answers one of them SQLITE_BUSY at once, without its busy timeout (measured here: about
     * 1 in 100 connections of 4 racing). Instances started together on such a pool failed at build.
     */
    @Test
    @DisplayName("detecting the dialect of a host's WAL SQLiteDataSource on a new file, from 4 threads at once, succeeds every time")
    void racersOnANewWalFileAllDetect(@TempDir Path dir) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(RACERS);
        List<String> failures = new ArrayList<>();
        try {
            for (int round = 0; round < ROUNDS; round++) {
                org.sqlite.SQLiteDataSource host = new org.sqlite.SQLiteDataSource();
                host.setUrl("jdbc:sqlite:" + dir.resolve("new" + round + ".db"));
                host.setJournalMode("WAL");
                CyclicBarrier start = new CyclicBarrier(RACERS);
                List<Future<AtlasMigrations.Dialect>> racers = new ArrayList<>();
                for (int i = 0; i < RACERS; i++) {
                    racers.add(pool.submit(() -> {
                        start.await();
                        return AtlasMigrations.Dialect.detect(host);
                    }));
                }
                for (Future<AtlasMigrations.Dialect> racer : racers) {
                    try {
                        assertThat(racer.get()).isEqualTo(AtlasMigrations.Dialect.SQLITE);
                    } catch (java.util.concurrent.ExecutionException e) {
                        failures.add("round " + round + ": " + e.getCause());
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(failures).isEmpty();
    }
}
