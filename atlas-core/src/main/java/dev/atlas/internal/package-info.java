/**
 * Not API: helpers shared by Atlas modules. Anything here may change in any release; the module
 * exports it only to atlas-jdbi.
 */
@NullMarked
package dev.atlas.internal;

import org.jspecify.annotations.NullMarked;
