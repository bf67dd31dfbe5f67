package dev.atlas.bench;

import java.util.ArrayList;
import java.util.List;

/** What one benchmark found: figures, target checks and notes, in the order they were added. */
public final class Section {
    private final String id;
    private final String title;
    private final String method;
    private final List<Figure> figures = new ArrayList<>();
    private final List<TargetCheck> targets = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    /** {@code method} says in a sentence or two what is measured against what. */
    public Section(Benchmark benchmark, String method) {
        this.id = benchmark.id();
        this.title = benchmark.title();
        this.method = method;
    }

    public Section figure(Figure f) {
        figures.add(f);
        return this;
    }

    public Section target(TargetCheck t) {
        targets.add(t);
        return this;
    }

    public Section note(String note) {
        notes.add(note);
        return this;
    }

    public String id() {
        return id;
    }

    public String title() {
        return title;
    }

    public String method() {
        return method;
    }

    public List<Figure> figures() {
        return List.copyOf(figures);
    }

    public List<TargetCheck> targets() {
        return List.copyOf(targets);
    }

    public List<String> notes() {
        return List.copyOf(notes);
    }
}
