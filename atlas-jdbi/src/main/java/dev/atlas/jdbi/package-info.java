/**
 * The SQLite and PostgreSQL implementation of Atlas, found through {@link java.util.ServiceLoader};
 * applications only need it on the class or module path.
 */
@NullMarked
package dev.atlas.jdbi;

import org.jspecify.annotations.NullMarked;
