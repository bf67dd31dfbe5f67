/**
 * Full-text and semantic search over messages, memories and assets, always scoped to one tenant.
 * Start at {@link dev.atlas.search.Search}.
 */
@NullMarked
package dev.atlas.search;

import org.jspecify.annotations.NullMarked;
