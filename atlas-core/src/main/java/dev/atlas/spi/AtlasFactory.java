package dev.atlas.spi;

import dev.atlas.Atlas;
import dev.atlas.AtlasConfig;

/**
 * Service-provider interface through which {@link dev.atlas.AtlasBuilder#build()} finds the
 * implementation (registered in {@code META-INF/services}). Applications do not call it.
 */
public interface AtlasFactory {
    /**
     * Opens Atlas on the database {@code config} names, migrating it when configured.
     *
     * @param config the configuration to open
     * @return the atlas
     */
    Atlas open(AtlasConfig config);
}
