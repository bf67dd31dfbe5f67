/**
 * Long-term memories of owners and agents, with revisions kept on every update. Start at {@link
 * dev.atlas.memory.MemoryStore}; search them with {@link dev.atlas.search.Search}.
 */
@NullMarked
package dev.atlas.memory;

import org.jspecify.annotations.NullMarked;

import dev.atlas.search.Search;