/**
 * Assets (files, images, audio) stored as rows plus bytes in a {@link dev.atlas.asset.BlobStore},
 * attachable to messages. Start at {@link dev.atlas.asset.AssetStore}.
 */
@NullMarked
package dev.atlas.asset;

import org.jspecify.annotations.NullMarked;
