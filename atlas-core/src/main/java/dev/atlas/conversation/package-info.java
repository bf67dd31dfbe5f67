/**
 * Conversations and their messages: idempotent appends, retry branches (sibling messages of which
 * one is active), read marks, edits with history, and the message event log. Start at {@link
 * dev.atlas.conversation.ConversationStore}.
 */
@NullMarked
package dev.atlas.conversation;

import org.jspecify.annotations.NullMarked;
