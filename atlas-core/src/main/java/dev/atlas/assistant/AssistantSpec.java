package dev.atlas.assistant;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The editable definition of an assistant, used to create one and to replace its definition.
 * Start from {@link #of(String, String)} and refine with the {@code with}-style methods; every
 * argument is validated when given.
 *
 * <pre>{@code
 * AssistantSpec.of("support-bot", "Support bot").owner(Owner.user("42"))
 *         .defaultModel("gpt-4o").temperature(new BigDecimal("0.70")).tools(List.of("lookup_order"))
 * }</pre>
 */
public final class AssistantSpec {
    private final String slug;
    private final String name;
    private final @Nullable String description;
    private final boolean active;
    private final boolean isPublic;
    private final @Nullable Owner owner;
    private final @Nullable String defaultModel;
    private final @Nullable BigDecimal temperature;
    private final @Nullable BigDecimal topP;
    private final @Nullable Integer maxOutputTokens;
    private final List<String> tools;
    private final Map<String, Object> metadata;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param slug unique per tenant among live assistants: 1 to 100 characters of lowercase ASCII letters, digits, {@code -} and {@code _}, starting with a letter or digit
     * @param name display name (required, at most {@link Limits#MAX_TITLE_LENGTH} characters)
     * @param description free text, or {@code null}
     * @param active whether the assistant is in use (default true)
     * @param isPublic whether other owners may use it (default false)
     * @param owner who owns it, or {@code null} for the tenant itself
     * @param defaultModel model key, or {@code null}
     * @param temperature 0.00 to 2.00 with at most two decimals (and {@link Limits#MAX_DECIMAL_DIGITS} digits as given), or {@code null}; kept at scale 2
     * @param topP 0.00 to 1.00 with at most two decimals (and {@link Limits#MAX_DECIMAL_DIGITS} digits as given), or {@code null}; kept at scale 2
     * @param maxOutputTokens 1 to {@link #MAX_OUTPUT_TOKENS}, or {@code null}
     * @param tools tool keys, distinct, at most {@link #MAX_TOOLS}
     * @param metadata JSON-compatible application data (never null)
     */
    public AssistantSpec(
            String slug,
            String name,
            @Nullable String description,
            boolean active,
            boolean isPublic,
            @Nullable Owner owner,
            @Nullable String defaultModel,
            @Nullable BigDecimal temperature,
            @Nullable BigDecimal topP,
            @Nullable Integer maxOutputTokens,
            List<String> tools,
            Map<String, Object> metadata) {
        slug = checkSlug(slug);
        Check.required("name", name, Limits.MAX_TITLE_LENGTH);
        Check.optional("description", description, Limits.MAX_REASON_LENGTH);
        Check.optionalKey("defaultModel", defaultModel);
        temperature = decimal("temperature", temperature, BigDecimal.valueOf(2));
        topP = decimal("topP", topP, BigDecimal.ONE);
        if (maxOutputTokens != null) {
            Check.positive("maxOutputTokens", maxOutputTokens, MAX_OUTPUT_TOKENS);
        }
        tools = Check.list("tools", tools);
        if (tools.size() > MAX_TOOLS) {
            throw new InvalidInputException("tools", "has " + tools.size() + " keys; at most " + MAX_TOOLS + " are allowed");
        }
        Set<String> seen = new HashSet<>();
        for (String tool : tools) {
            Check.key("tools", tool);
            if (!seen.add(tool)) {
                throw new InvalidInputException("tools", "lists '" + Check.escaped(tool) + "' twice");
            }
        }
        metadata = Check.metadata("metadata", metadata);

        this.slug = slug;
        this.name = name;
        this.description = description;
        this.active = active;
        this.isPublic = isPublic;
        this.owner = owner;
        this.defaultModel = defaultModel;
        this.temperature = temperature;
        this.topP = topP;
        this.maxOutputTokens = maxOutputTokens;
        this.tools = tools;
        this.metadata = metadata;
    }

    /**
     * Unique per tenant among live assistants: 1 to 100 characters of lowercase ASCII letters, digits, {@code -} and {@code _}, starting with a letter or digit.
     *
     * @return unique per tenant among live assistants: 1 to 100 characters of lowercase ASCII letters, digits, {@code -} and {@code _}, starting with a letter or digit
     */
    public String slug() {
        return slug;
    }

    /**
     * Display name (required, at most {@link Limits#MAX_TITLE_LENGTH} characters).
     *
     * @return display name (required, at most {@link Limits#MAX_TITLE_LENGTH} characters)
     */
    public String name() {
        return name;
    }

    /**
     * Free text, or {@code null}.
     *
     * @return free text, or {@code null}
     */
    public @Nullable String description() {
        return description;
    }

    /**
     * Whether the assistant is in use (default true).
     *
     * @return whether the assistant is in use (default true)
     */
    public boolean active() {
        return active;
    }

    /**
     * Whether other owners may use it (default false).
     *
     * @return whether other owners may use it (default false)
     */
    public boolean isPublic() {
        return isPublic;
    }

    /**
     * Who owns it, or {@code null} for the tenant itself.
     *
     * @return who owns it, or {@code null} for the tenant itself
     */
    public @Nullable Owner owner() {
        return owner;
    }

    /**
     * Model key, or {@code null}.
     *
     * @return model key, or {@code null}
     */
    public @Nullable String defaultModel() {
        return defaultModel;
    }

    /**
     * 0.00 to 2.00 with at most two decimals, or {@code null}; kept at scale 2.
     *
     * @return 0.00 to 2.00 with at most two decimals, or {@code null}; kept at scale 2
     */
    public @Nullable BigDecimal temperature() {
        return temperature;
    }

    /**
     * 0.00 to 1.00 with at most two decimals, or {@code null}; kept at scale 2.
     *
     * @return 0.00 to 1.00 with at most two decimals, or {@code null}; kept at scale 2
     */
    public @Nullable BigDecimal topP() {
        return topP;
    }

    /**
     * 1 to {@link #MAX_OUTPUT_TOKENS}, or {@code null}.
     *
     * @return 1 to {@link #MAX_OUTPUT_TOKENS}, or {@code null}
     */
    public @Nullable Integer maxOutputTokens() {
        return maxOutputTokens;
    }

    /**
     * Tool keys, distinct, at most {@link #MAX_TOOLS}.
     *
     * @return tool keys, distinct, at most {@link #MAX_TOOLS}
     */
    public List<String> tools() {
        return tools;
    }

    /**
     * JSON-compatible application data (never null).
     *
     * @return JSON-compatible application data (never null)
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** Allowed slugs; see {@link #slug()}. */
    public static final Pattern SLUG = Pattern.compile("[a-z0-9][a-z0-9_-]{0,99}");
    /** Largest accepted {@link #maxOutputTokens()}. */
    public static final int MAX_OUTPUT_TOKENS = 10_000_000;
    /** Most tool keys one assistant may list. */
    public static final int MAX_TOOLS = 500;


    /**
     * An active, private assistant with no defaults.
     *
     * @param slug unique per tenant among live assistants: 1 to 100 characters of lowercase ASCII letters, digits, {@code -} and {@code _}, starting with a letter or digit
     * @param name display name (required, at most {@link Limits#MAX_TITLE_LENGTH} characters)
     * @return the new value
     */
    public static AssistantSpec of(String slug, String name) {
        return new AssistantSpec(slug, name, null, true, false, null, null, null, null, null, List.of(), Map.of());
    }

    /**
     * Returns a copy with {@code slug} replaced.
     *
     * @param slug unique per tenant among live assistants: 1 to 100 characters of lowercase ASCII letters, digits, {@code -} and {@code _}, starting with a letter or digit
     * @return a copy with this change
     */
    public AssistantSpec slug(String slug) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code name} replaced.
     *
     * @param name display name (required, at most {@link Limits#MAX_TITLE_LENGTH} characters)
     * @return a copy with this change
     */
    public AssistantSpec name(String name) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code description} replaced.
     *
     * @param description free text, or {@code null}
     * @return a copy with this change
     */
    public AssistantSpec description(@Nullable String description) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code active} replaced.
     *
     * @param active whether the assistant is in use (default true)
     * @return a copy with this change
     */
    public AssistantSpec active(boolean active) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code isPublic} replaced.
     *
     * @param isPublic whether other owners may use it (default false)
     * @return a copy with this change
     */
    public AssistantSpec isPublic(boolean isPublic) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code owner} replaced.
     *
     * @param owner who owns it, or {@code null} for the tenant itself
     * @return a copy with this change
     */
    public AssistantSpec owner(@Nullable Owner owner) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code defaultModel} replaced.
     *
     * @param defaultModel model key, or {@code null}
     * @return a copy with this change
     */
    public AssistantSpec defaultModel(@Nullable String defaultModel) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code temperature} replaced.
     *
     * @param temperature 0.00 to 2.00 with at most two decimals (and {@link Limits#MAX_DECIMAL_DIGITS} digits as given), or {@code null}; kept at scale 2
     * @return a copy with this change
     */
    public AssistantSpec temperature(@Nullable BigDecimal temperature) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code topP} replaced.
     *
     * @param topP 0.00 to 1.00 with at most two decimals (and {@link Limits#MAX_DECIMAL_DIGITS} digits as given), or {@code null}; kept at scale 2
     * @return a copy with this change
     */
    public AssistantSpec topP(@Nullable BigDecimal topP) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code maxOutputTokens} replaced.
     *
     * @param maxOutputTokens 1 to {@link #MAX_OUTPUT_TOKENS}, or {@code null}
     * @return a copy with this change
     */
    public AssistantSpec maxOutputTokens(@Nullable Integer maxOutputTokens) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code tools} replaced.
     *
     * @param tools tool keys, distinct, at most {@link #MAX_TOOLS}
     * @return a copy with this change
     */
    public AssistantSpec tools(List<String> tools) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data (never null)
     * @return a copy with this change
     */
    public AssistantSpec metadata(Map<String, ?> metadata) {
        return new AssistantSpec(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools,
                Check.given(metadata));
    }

    /**
     * Validates a slug; see {@link #slug()} for what is allowed.
     *
     * @param slug unique per tenant among live assistants: 1 to 100 characters of lowercase ASCII letters, digits, {@code -} and {@code _}, starting with a letter or digit
     * @return the string
     */
    public static String checkSlug(String slug) {
        Check.key("slug", slug);
        if (!SLUG.matcher(slug).matches()) {
            throw new InvalidInputException("slug", "'" + Check.escaped(slug) + "' is invalid: use 1 to 100 characters of lowercase letters a-z,"
                    + " digits, '-' and '_', starting with a letter or digit (for example 'support-bot')");
        }
        return slug;
    }

    // Two decimals is what the seeds store (decimal(3,2)) and what both databases round-trip exactly.
    private static BigDecimal decimal(String field, BigDecimal value, BigDecimal max) {
        if (value == null) {
            return null;
        }
        BigDecimal stripped = Check.digits(field, value).stripTrailingZeros();
        if (stripped.scale() > 2) {
            throw new InvalidInputException(field, "has more than two decimal places: " + Check.shown(value));
        }
        if (value.signum() < 0 || value.compareTo(max) > 0) {
            throw new InvalidInputException(field, "must be between 0 and " + max + ", was " + Check.shown(value));
        }
        return value.setScale(2, RoundingMode.UNNECESSARY);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AssistantSpec that)) {
            return false;
        }
        return true
            && Objects.equals(slug, that.slug)
            && Objects.equals(name, that.name)
            && Objects.equals(description, that.description)
            && active == that.active
            && isPublic == that.isPublic
            && Objects.equals(owner, that.owner)
            && Objects.equals(defaultModel, that.defaultModel)
            && Objects.equals(temperature, that.temperature)
            && Objects.equals(topP, that.topP)
            && Objects.equals(maxOutputTokens, that.maxOutputTokens)
            && Objects.equals(tools, that.tools)
            && Objects.equals(metadata, that.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata);
    }

    @Override
    public String toString() {
        return "AssistantSpec[slug=" + slug + ", name=" + name + ", description=" + description + ", active=" + active + ", isPublic=" + isPublic + ", owner=" + owner + ", defaultModel=" + defaultModel + ", temperature=" + temperature + ", topP=" + topP + ", maxOutputTokens=" + maxOutputTokens + ", tools=" + tools + ", metadata=" + metadata + "]";
    }
}
