package dev.atlas.jdbi.bench;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.search.Search;
import dev.atlas.search.TextQuery;

import java.util.Arrays;
import java.util.Random;
import java.util.UUID;

/**
 * Throwaway harness for full-text search (not a test): single-threaded append throughput
 * (median of 3 rounds) and text-search latency over the appended messages, on both databases.
 * Messages are ~120 characters of Zipf-distributed words, so some words are in most rows and
 * others in a few. Run by hand; see docs/memory-and-search.md. Arguments: messages per round (default 3000), optionally a database name (SQLite or PostgreSQL).
 */
public final class TextSearchBench {
    private static final String[] SYLLABLES = {"ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "do", "fa", "gu", "hi", "ja",
            "be"};

    public static void main(String[] args) throws Exception {
        int perRound = args.length == 0 ? 3000 : Integer.parseInt(args[0]);
        for (TestDatabase db : new TestDatabase[] {new SqliteTestDatabase(), new PostgresTestDatabase()}) {
            if (args.length < 2 || db.name().equalsIgnoreCase(args[1])) {
                run(db, perRound);
            }
        }
        System.exit(0);
    }

    static String word(int i) {
        StringBuilder b = new StringBuilder();
        do {
            b.append(SYLLABLES[i % SYLLABLES.length]);
            i /= SYLLABLES.length;
        } while (i > 0);
        return b.toString();
    }

    /** A Zipf-like draw over 5,000 words: word 0 is the most common. */
    static int draw(Random r) {
        return (int) Math.min(4999, Math.floor(Math.exp(r.nextDouble() * Math.log(5001)) - 1));
    }

    static String content(Random r) {
        StringBuilder b = new StringBuilder();
        while (b.length() < 120) {
            b.append(word(draw(r))).append(b.length() % 3 == 0 ? ", " : " ");
        }
        return b.toString();
    }

    private static void run(TestDatabase database, int perRound) {
        try (Atlas atlas = database.open()) {
            ConversationStore store = atlas.tenant("bench").conversations();
            Random random = new Random(11);
            UUID c = store.create(NewConversation.of(Owner.user("bench"))).id();
            for (int i = 0; i < 500; i++) {
                store.append(c, NewMessage.user(content(random)));
            }
            double[] rates = new double[3];
            for (int round = 0; round < 3; round++) {
                UUID conversation = store.create(NewConversation.of(Owner.user("bench"))).id();
                long t0 = System.nanoTime();
                for (int i = 0; i < perRound; i++) {
                    store.append(conversation, NewMessage.user(content(random)));
                }
                rates[round] = perRound / ((System.nanoTime() - t0) / 1e9);
            }
            Arrays.sort(rates);
            System.out.printf("%-10s appends: median %.0f/s (rounds %.0f, %.0f, %.0f)%n", database.name(), rates[1], rates[0], rates[1],
                    rates[2]);
            Search search = atlas.tenant("bench").search();
            int rows = 500 + 3 * perRound;
            String[][] kinds = {{"common word", word(0)}, {"mid word", word(40)}, {"rare word", word(3000)},
                    {"two words", word(1) + " " + word(7)}, {"absent word", "qqqq"}};
            for (String[] kind : kinds) {
                int hits = search.text(TextQuery.messages(kind[1]).limit(10)).size();
                for (int i = 0; i < 5; i++) {
                    search.text(TextQuery.messages(kind[1]).limit(10));
                }
                long[] micros = new long[30];
                for (int i = 0; i < micros.length; i++) {
                    long t0 = System.nanoTime();
                    search.text(TextQuery.messages(kind[1]).limit(10));
                    micros[i] = (System.nanoTime() - t0) / 1000;
                }
                Arrays.sort(micros);
                System.out.printf("%-10s rows=%d search %-12s (%s, %d hits): median %7.2f ms, p95 %7.2f ms%n", database.name(), rows,
                        kind[0], kind[1], hits, micros[15] / 1000.0, micros[28] / 1000.0);
            }
        } finally {
            database.cleanup();
        }
    }
}
