/**
 * Not API: the statement layer every store runs its SQL through. Statements are declared once per
 * aggregate in a {@link dev.atlas.jdbi.internal.sql.Catalogue}, which refuses at declaration any
 * statement on a tenant table without the tenant predicate; a {@link dev.atlas.jdbi.internal.sql.Sql}
 * runner bound to one {@link dev.atlas.jdbi.internal.sql.TenantId} binds the tenant itself, binds
 * named parameters by precomputed positions, and is the one place statements are counted, logged
 * and their driver errors handed to {@link dev.atlas.jdbi.internal.Db} for translation.
 */
@NullMarked
package dev.atlas.jdbi.internal.sql;

import org.jspecify.annotations.NullMarked;
