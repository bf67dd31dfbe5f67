/**
 * Not API: the stores, dialects and SQL of the JDBC implementation. Anything here may change in any
 * release.
 */
@NullMarked
package dev.atlas.jdbi.internal;

import org.jspecify.annotations.NullMarked;
