package dev.atlas.bench;

/** Message contents every benchmark uses, so Atlas and the baselines store the same bytes. */
final class Messages {
    private Messages() {}

    /** About 120 characters: a typical short chat turn. */
    static String content(long n) {
        return "Message " + n + ": where is my order? It was due on Tuesday and the tracking page still says label created.";
    }
}
