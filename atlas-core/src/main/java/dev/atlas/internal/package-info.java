/**
 * Not API: helpers shared by Atlas modules. Anything here may change in any release; the module
 * exports it only to Atlas's own modules (atlas-jdbi, atlas-migrations, atlas-cli, the Spring Boot
 * starter, atlas-spring-ai, atlas-langchain4j).
 */
@NullMarked
package dev.atlas.internal;

import org.jspecify.annotations.NullMarked;
