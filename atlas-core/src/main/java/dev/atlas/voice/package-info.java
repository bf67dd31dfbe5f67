/**
 * Voice calls and their transcripts, checkpointed while the call runs. Start at {@link
 * dev.atlas.voice.VoiceCallStore}.
 */
@NullMarked
package dev.atlas.voice;

import org.jspecify.annotations.NullMarked;
