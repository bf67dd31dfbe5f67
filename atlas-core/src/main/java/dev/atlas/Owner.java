package dev.atlas;

import dev.atlas.internal.Check;

/**
 * A polymorphic reference to something the host application owns: a user, a team, an
 * organisation. Atlas never needs the referenced row; it stores the type and id as given.
 *
 * @param type what kind of thing owns the row, for example {@code "user"}
 * @param id   the owner's id in the host application
 */
public record Owner(String type, String id) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param type what kind of thing owns the row, for example {@code "user"}
     * @param id the owner's id in the host application
     */
    public Owner {
        Check.key("owner.type", type);
        Check.key("owner.id", id);
    }

    /**
     * Creates an {@code Owner} from {@code type}, {@code id}.
     *
     * @param type what kind of thing owns the row, for example {@code "user"}
     * @param id the owner's id in the host application
     * @return the new value
     */
    public static Owner of(String type, String id) {
        return new Owner(type, id);
    }

    /**
     * Shorthand for {@code Owner.of("user", id)}.
     *
     * @param id the owner's id in the host application
     * @return the new value
     */
    public static Owner user(String id) {
        return new Owner("user", id);
    }

    @Override
    public String toString() {
        return type + ":" + id;
    }
}
