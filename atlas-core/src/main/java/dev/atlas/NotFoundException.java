package dev.atlas;

/**
 * The referenced row does not exist in the calling tenant (or was deleted). A row that exists
 * in another tenant is reported exactly like one that does not exist at all.
 */
public class NotFoundException extends AtlasException {
    private final String entity;
    private final Object id;

    public NotFoundException(String entity, Object id) {
        super(entity + " " + id + " not found");
        this.entity = entity;
        this.id = id;
    }

    /** What kind of row was looked up, for example {@code "conversation"}. */
    public String entity() {
        return entity;
    }

    /** The id that was looked up. */
    public Object id() {
        return id;
    }
}
