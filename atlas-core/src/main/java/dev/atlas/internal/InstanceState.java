package dev.atlas.internal;

import java.util.function.Supplier;

/**
 * State an Atlas module keeps for one Atlas instance, for exactly as long as that instance lives: the tool rounds
 * atlas-langchain4j's listeners leave for its memory stores to complete, say. The instance holds it, so the state may
 * refer back to the instance (a tool call's handle reaches its pool) and still go with it once the application drops
 * it, which no static map weakly keyed by the instance can promise (its values would keep their keys reachable).
 */
public interface InstanceState {
    /**
     * This instance's state of {@code type}, made by {@code create} on first use, once.
     *
     * @param type the state's class, its key
     * @param create makes the state
     * @param <T> the state's type
     * @return the state
     */
    <T> T state(Class<T> type, Supplier<? extends T> create);
}
