/**
 * Retention: purge archived conversations and what hangs off them by policy, never racing
 * acknowledged writes. Start at {@link dev.atlas.retention.Retention}.
 */
@NullMarked
package dev.atlas.retention;

import org.jspecify.annotations.NullMarked;
