package dev.atlas.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A window as a provider accepts it: every tool round (a response asking for tools and the results answering it)
 * whole, its results right after it, or left out. Providers take a round's results in any order, but only right after
 * the response whose calls they answer (OpenAI: "An assistant message with 'tool_calls' must be followed by tool
 * messages responding to each 'tool_call_id'", "messages with role 'tool' must be a response to a preceeding message
 * with 'tool_calls'"). Two instances writing one memory at once interleave their rounds (request A, request B, result
 * A, result B): each result is moved right after the request it answers, so both rounds are kept. A round whose
 * results are not all there is kept only while nothing but tool requests and results follows it, and only for the
 * caller adding them ({@code AiServices} adds a round's results one {@code add} at a time, on the thread that stored the
 * request); any other caller would send it without its results. Left out, the next write drops it from the window; the
 * store puts it back with its next result.
 */
final class SendableWindow {
    private SendableWindow() {}

    static List<ChatMessage> of(List<ChatMessage> window) {
        return of(window, null, null, null);
    }

    /**
     * Like {@link #of(List)}, {@code sequences} giving each message's row and {@code requests} the row of the request
     * each result answers where the store recorded it (null elsewhere): a result is first paired with that request, so
     * two rounds of one tool without ids, interleaved, each get their own result (their contents cannot tell them apart).
     * A round still being filled at the window's end is kept only when {@code owned} accepts its request's row: the
     * caller's own round, whose results it is adding; another caller's would be sent without its results, which a
     * provider refuses (that caller puts it back with its result).
     */
    static List<ChatMessage> of(List<ChatMessage> window, List<Long> sequences, List<Long> requests, java.util.function.LongPredicate owned) {
        int n = window.size();
        List<Integer> rounds = new ArrayList<>();
        List<List<ToolExecutionRequest>> open = new ArrayList<>();
        int[] answers = pair(window, sequences, requests, rounds, open);
        int lastOther = -1;
        for (int i = 0; i < n; i++) {
            ChatMessage m = window.get(i);
            if (!(m instanceof ToolExecutionResultMessage) && !(m instanceof AiMessage ai && ai.hasToolExecutionRequests())) {
                lastOther = i;
            }
        }
        List<ChatMessage> out = new ArrayList<>(n);
        for (int k = 0, i = 0; i < n; i++) {
            ChatMessage m = window.get(i);
            if (m instanceof ToolExecutionResultMessage) {
                continue;
            }
            if (k < rounds.size() && rounds.get(k) == i) {
                boolean whole = open.get(k++).isEmpty();
                if (whole || (i > lastOther && (owned == null || owned.test(sequences.get(i))))) {
                    out.add(m);
                    for (int j = i + 1; j < n; j++) {
                        if (answers[j] == i) {
                            out.add(window.get(j));
                        }
                    }
                }
            } else {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * Pairs each tool result of {@code window} with the request it answers (see {@link #of(List, List, List,
     * java.util.function.LongPredicate)}), filling {@code rounds} with the positions of the requests and {@code open} with
     * each one's calls no result answers; gives, for each position, the request's position (-1: none, or no result).
     */
    private static int[] pair(List<ChatMessage> window, List<Long> sequences, List<Long> requests, List<Integer> rounds,
                              List<List<ToolExecutionRequest>> open) {
        int n = window.size();
        // For each tool result, the request it answers: the nearest one before it with that call still open.
        int[] answers = new int[n];
        Arrays.fill(answers, -1);
        for (int i = 0; i < n; i++) {
            ChatMessage m = window.get(i);
            if (m instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
                rounds.add(i);
                open.add(new ArrayList<>(ai.toolExecutionRequests()));
            } else if (m instanceof ToolExecutionResultMessage r) {
                Long request = requests == null ? null : requests.get(i);
                for (int k = rounds.size() - 1; k >= 0 && request != null; k--) {
                    int q = sequences.get(rounds.get(k)).equals(request) ? answered(open.get(k), r) : -1;
                    if (q >= 0) {
                        open.get(k).remove(q);
                        answers[i] = rounds.get(k);
                        break;
                    }
                }
                for (int k = rounds.size() - 1; k >= 0 && answers[i] < 0; k--) {
                    int q = answered(open.get(k), r);
                    if (q >= 0) {
                        open.get(k).remove(q);
                        answers[i] = rounds.get(k);
                        break;
                    }
                }
                // A result answering no open request (its request evicted, or split off by a race) would be refused.
            }
        }
        return answers;
    }

    /**
     * Whether {@code r} answers a call of the request at row {@code request} that no result of the stored window answers
     * yet; true when the window lacks that request (left out of it by a race: nothing there says otherwise).
     */
    static boolean stillOpen(List<ChatMessage> window, List<Long> sequences, List<Long> requests, long request, ToolExecutionResultMessage r) {
        List<Integer> rounds = new ArrayList<>();
        List<List<ToolExecutionRequest>> open = new ArrayList<>();
        pair(window, sequences, requests, rounds, open);
        for (int k = 0; k < rounds.size(); k++) {
            if (sequences.get(rounds.get(k)) == request) {
                return answered(open.get(k), r) >= 0;
            }
        }
        return true;
    }

    /** Whether {@code list.get(i)}, a tool result, answers a call still open among the requests before it. */
    static boolean answersAnOpenCall(List<ChatMessage> list, int i) {
        return requestAnswered(list, i) >= 0;
    }

    /**
     * The position of the request {@code list.get(i)}, a tool result, answers: the nearest before it with a call still
     * open (not answered by a result before {@code i}) that the result matches; -1 when none.
     */
    static int requestAnswered(List<ChatMessage> list, int i) {
        List<Integer> positions = new ArrayList<>();
        List<List<ToolExecutionRequest>> open = new ArrayList<>();
        for (int j = 0; j <= i; j++) {
            ChatMessage m = list.get(j);
            if (m instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
                positions.add(j);
                open.add(new ArrayList<>(ai.toolExecutionRequests()));
            } else if (m instanceof ToolExecutionResultMessage r) {
                for (int k = open.size() - 1; k >= 0; k--) {
                    int q = answered(open.get(k), r);
                    if (q >= 0) {
                        if (j == i) {
                            return positions.get(k);
                        }
                        open.get(k).remove(q);
                        break;
                    }
                }
            }
        }
        return -1;
    }

    /** The open request {@code r} answers: the one with its id, or, for providers that send none, the first of its tool. */
    static int answered(List<ToolExecutionRequest> open, ToolExecutionResultMessage r) {
        for (int k = 0; k < open.size(); k++) {
            ToolExecutionRequest q = open.get(k);
            if (r.id() != null ? r.id().equals(q.id()) : q.id() == null && Objects.equals(r.toolName(), q.name())) {
                return k;
            }
        }
        return -1;
    }
}
