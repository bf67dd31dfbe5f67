/**
 * Bringing history in and out, and erasing it: export a tenant, an owner or a conversation to
 * JSON Lines that import back byte-exact on either database, and erase an owner's or a
 * conversation's rows (and blob bytes) on request, with a dry run. Start at
 * {@link dev.atlas.portability.Portability}.
 */
@NullMarked
package dev.atlas.portability;

import org.jspecify.annotations.NullMarked;
