/**
 * Atlas's public API: domain types, store interfaces, exceptions and the {@link dev.atlas.spi}
 * hook an implementation plugs into. An implementation module (atlas-jdbi) provides
 * {@link dev.atlas.spi.AtlasFactory}; {@link dev.atlas.Atlas#builder()} finds it with
 * {@link java.util.ServiceLoader}.
 */
// dev.atlas.jdbi, named by the qualified export, is not observable when this module compiles:
// "module not found" is expected there.
@SuppressWarnings("module")
module dev.atlas.core {
    // DataSource is part of the builder's API.
    requires transitive java.sql;
    requires org.slf4j;
    // Annotations only: not needed at run time.
    requires static org.jspecify;

    exports dev.atlas;
    exports dev.atlas.asset;
    exports dev.atlas.assistant;
    exports dev.atlas.conversation;
    exports dev.atlas.credential;
    exports dev.atlas.execution;
    exports dev.atlas.graph;
    exports dev.atlas.memory;
    exports dev.atlas.portability;
    exports dev.atlas.retention;
    exports dev.atlas.search;
    exports dev.atlas.spi;
    exports dev.atlas.task;
    exports dev.atlas.voice;

    // Not API: helpers for the implementation only. Other modules use the public checks
    // (AtlasConfig.checkTablePrefix, Limits.require...); the CLI and the starter share Redaction and EditDistance.
    exports dev.atlas.internal to dev.atlas.jdbi, dev.atlas.migrations, dev.atlas.cli, dev.atlas.spring.boot, dev.atlas.spring.ai, dev.atlas.langchain4j;

    uses dev.atlas.spi.AtlasFactory;
}
