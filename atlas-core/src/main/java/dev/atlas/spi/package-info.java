/**
 * Service provider interface between the API and an implementation module such as atlas-jdbi.
 * Applications do not use it.
 */
@NullMarked
package dev.atlas.spi;

import org.jspecify.annotations.NullMarked;
