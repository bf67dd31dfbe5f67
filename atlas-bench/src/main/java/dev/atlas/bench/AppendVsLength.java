package dev.atlas.bench;

import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewMessage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Issue 6, benchmark 2: append latency as the conversation grows, Atlas against Spring AI's
 * JdbcChatMemoryRepository adding one message through its own API.
 */
final class AppendVsLength implements Benchmark {
    static final double TARGET = 1.5;
    static final int TARGET_LENGTH = 100_000;

    @Override
    public String id() {
        return "append-vs-length";
    }

    @Override
    public String title() {
        return "2. Append cost vs conversation length: Atlas and Spring AI JdbcChatMemoryRepository";
    }

    @Override
    public Section run(Env env) throws Exception {
        Profile p = env.profile();
        List<Integer> lengths = p.lengths();
        int shortest = lengths.get(0);
        Section s = new Section(this, "Median latency of one append to a conversation that already holds N messages, against the"
                + " same at N = " + shortest + " (baseline). Conversations are seeded with batched raw inserts that write the rows"
                + " Atlas's append writes (messages, audit events, counter). Atlas: " + p.appendsPerLength() + " appends per length,"
                + " interleaved across lengths. Spring AI " + springVersion() + ": add one message = findByConversationId +"
                + " saveAll(all + new), since saveAll replaces the conversation and the repository has no single-message add;"
                + " " + p.springOpsByLength() + " adds per length. These Spring rows keep the full history in Spring's repository (as Atlas"
                + " does); Spring AI's default MessageWindowChatMemory keeps only the last 20 messages, shown in its own row."
                + " Same database file / database and pool as Atlas.");
        for (BenchDatabase database : env.databases()) {
            LongConversations f = LongConversations.of(env, database);
            ConversationStore store = f.tenant.conversations();
            Map<Integer, Stats> atlas = new LinkedHashMap<>();
            lengths.forEach(l -> atlas.put(l, new Stats()));
            long n = 10_000_000;
            for (int warm = 0; warm < 20; warm++) {
                for (int l : lengths) {
                    store.append(f.atlas.get(l), NewMessage.user(Messages.content(++n)));
                }
            }
            for (int i = 0; i < p.appendsPerLength(); i++) {
                for (int l : lengths) {
                    NewMessage m = NewMessage.user(Messages.content(++n));
                    atlas.get(l).add(Stats.time(() -> store.append(f.atlas.get(l), m)));
                }
            }

            Map<Integer, Stats> spring = new LinkedHashMap<>();
            for (int warm = 0; warm < 3; warm++) {
                f.springMemory.add(f.spring.get(shortest), SpringChatMemory.message(++n));
            }
            for (int i = 0; i < lengths.size(); i++) {
                int l = lengths.get(i);
                Stats st = new Stats();
                for (int k = 0; k < p.springOps(i); k++) {
                    var m = SpringChatMemory.message(++n);
                    st.add(Stats.time(() -> f.springMemory.add(f.spring.get(l), m)));
                }
                spring.put(l, st);
                Env.log("%s Spring AI add at %,d: median %.1f ms", database.label(), l, st.medianMillis());
            }

            // Spring AI's default: MessageWindowChatMemory keeps 20 messages, so every add rewrites 20 rows, whatever the
            // conversation's real length; the rows above keep the full history in Spring's repository, as Atlas does.
            var window = f.springMemory.window();
            String windowId = "spring-window-" + database.label();
            for (int warm = 0; warm < 25; warm++) {
                window.add(windowId, SpringChatMemory.message(++n));
            }
            Stats windowed = new Stats();
            for (int k = 0; k < p.springOps(0); k++) {
                var m = SpringChatMemory.message(++n);
                windowed.add(Stats.time(() -> window.add(windowId, m)));
            }

            double atlasBase = atlas.get(shortest).medianMillis();
            double springBase = spring.get(shortest).medianMillis();
            for (int l : lengths) {
                Stats a = atlas.get(l);
                s.figure(Figure.latency(database.label(), "Atlas append at " + Fmt.length(l), a.medianMillis(),
                        "Atlas append at " + Fmt.length(shortest), atlasBase, "ms (median)", a.describe()));
            }
            for (int l : lengths) {
                Stats sp = spring.get(l);
                s.figure(Figure.latency(database.label(), "Spring AI add at " + Fmt.length(l), sp.medianMillis(),
                        "Spring AI add at " + Fmt.length(shortest), springBase, "ms (median)", sp.describe()));
            }
            for (int l : lengths) {
                s.figure(Figure.latency(database.label(), "Spring AI add at " + Fmt.length(l), spring.get(l).medianMillis(),
                        "Atlas append at " + Fmt.length(l), atlas.get(l).medianMillis(), "ms (median)", "how many times slower than Atlas"));
            }
            s.figure(Figure.latency(database.label(), "Spring AI MessageWindowChatMemory add (20-message window, its default)",
                    windowed.medianMillis(), "Atlas append at " + Fmt.length(shortest), atlasBase, "ms (median)",
                    windowed.describe() + "; the window keeps only the last 20 messages"));
            if (atlas.containsKey(TARGET_LENGTH)) {
                double ratio = atlas.get(TARGET_LENGTH).medianMillis() / atlasBase;
                s.target(new TargetCheck(database.label(), "Atlas append at 100k <= " + TARGET + "x append at " + Fmt.length(shortest)
                        + " (median)", Fmt.ratio(ratio), ratio <= TARGET));
            }
            Env.log("%s append vs length done", database.label());
        }
        s.note("Spring AI's SQLite support: " + springVersion() + " ships SqliteChatMemoryRepositoryDialect and schema-sqlite.sql;"
                + " both databases run it.");
        return s;
    }

    static String springVersion() {
        String v = org.springframework.ai.chat.memory.repository.jdbc.JdbcChatMemoryRepository.class.getPackage().getImplementationVersion();
        return "spring-ai-model-chat-memory-repository-jdbc " + (v == null ? "(version unknown)" : v);
    }
}
