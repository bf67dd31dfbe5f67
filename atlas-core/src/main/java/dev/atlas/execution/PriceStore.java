package dev.atlas.execution;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The tenant's price table, from {@code atlas.tenant("acme").prices()}. An execution's cost is
 * computed when it finishes, from the price valid at its creation time, and stored; adding a
 * newer price never changes a stored cost.
 */
public interface PriceStore {
    /**
     * Adds a price valid from {@code price.validFrom()}; throws {@link dev.atlas.ConflictException}
     * on {@code validFrom} when that provider and model already has a price from that instant.
     *
     * @param price the price
     * @return the price as stored: {@code validFrom} truncated to whole microseconds, as {@link #list} reads it back
     */
    ModelPrice create(ModelPrice price);

    /**
     * @deprecated use {@link #create(ModelPrice)}; removed in 1.0.
     * @param price the price
     * @return the modelPrice
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default ModelPrice set(ModelPrice price) {
        return create(price);
    }

    /**
     * The price valid at {@code at}: the latest one whose validity starts at or before it.
     *
     * @param provider the provider key
     * @param model the model key
     * @param at the instant the price must be valid at
     * @return the price, or empty when this tenant has none valid at {@code at} (another tenant's prices never apply)
     */
    Optional<ModelPrice> get(String provider, String model, Instant at);

    /**
     * @deprecated use {@link #get(String, String, Instant)}; removed in 1.0.
     * @param provider the provider key
     * @param model the model key
     * @param at the instant the price must be valid at
     * @return the ModelPrice, or empty when there is none (an id of another tenant is absent)
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default Optional<ModelPrice> at(String provider, String model, Instant at) {
        return get(provider, model, at);
    }

    /**
     * Every price of the provider's model, oldest first.
     *
     * @param provider the provider key
     * @param model the model key
     * @return the matching items, in order
     */
    List<ModelPrice> list(String provider, String model);

    /**
     * @deprecated use {@link #list(String, String)}; removed in 1.0.
     * @param provider the provider key
     * @param model the model key
     * @return the matching items, in order
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default List<ModelPrice> history(String provider, String model) {
        return list(provider, model);
    }
}
