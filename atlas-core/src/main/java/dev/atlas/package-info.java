/**
 * Atlas: persistence for AI agents. Open an {@link dev.atlas.Atlas} with {@link
 * dev.atlas.Atlas#sqlite(java.nio.file.Path)} or {@link dev.atlas.Atlas#builder()}, take a {@link
 * dev.atlas.Tenant} view, and use its stores. This package holds what every user touches first: the
 * entry points, {@link dev.atlas.Owner}, {@link dev.atlas.Page} and the {@link
 * dev.atlas.AtlasException} family; each area of the domain has its own package.
 */
@NullMarked
package dev.atlas;

import org.jspecify.annotations.NullMarked;
