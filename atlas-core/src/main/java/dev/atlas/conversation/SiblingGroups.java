package dev.atlas.conversation;

import dev.atlas.internal.Check;
import java.util.List;

/**
 * The alternative answers to a message's parent, grouped by the execution that produced them
 * (seed 002's {@code siblingGroups}, {@code siblingCount} and {@code siblingIndex}), for a
 * "2 / 3" switcher in a chat UI.
 *
 * @param groups the groups in the order they were first written (by the sequence of their first message)
 * @param index  1-based position in {@code groups} of the group holding the message asked about
 */
public record SiblingGroups(List<SiblingGroup> groups, int index) {
    /**
     * Copies {@code groups}.
     *
     * @param groups the groups
     * @param index  1-based position of the asked message's group
     */
    public SiblingGroups {
        groups = Check.copy("groups", groups);
    }

    /**
     * How many alternative answers there are.
     *
     * @return the number of groups
     */
    public int count() {
        return groups.size();
    }

    /**
     * The group holding the message asked about.
     *
     * @return that group
     */
    public SiblingGroup current() {
        return groups.get(index - 1);
    }
}
