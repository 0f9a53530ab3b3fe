/* Phrase spotting in CTC posteriors (see phrase_spot.h). */
#include "phrase_spot.h"
#include "ctc_text.h"

#include <math.h>
#include <stdlib.h>

int phrase_spotter_init(phrase_spotter *s, const int *labels, int num_labels) {
    int S = 2 * num_labels + 1;
    s->num_labels = num_labels;
    s->labels = labels;
    s->score = s->score_buffer = malloc(sizeof(float) * 2 * S);
    s->start = s->start_buffer = malloc(sizeof(int) * 4 * S);
    if (!s->score || !s->start) {
        phrase_spotter_free(s);
        return -1;
    }
    s->next = s->score + S;
    s->next_start = s->start + S;
    /* Per state: the class it emits, and whether it may be entered from two
     * states back (a label unlike the one before it). */
    s->state_class = s->start_buffer + 2 * S;
    s->state_skip = s->start_buffer + 3 * S;
    for (int st = 0; st < S; st++) {
        s->state_class[st] = st % 2 ? labels[st / 2] : CTC_BLANK;
        s->state_skip[st] = st >= 2 && st % 2 && labels[st / 2] != labels[st / 2 - 1];
    }
    return 0;
}

void phrase_spotter_free(phrase_spotter *s) {
    free(s->score_buffer);
    free(s->start_buffer);
    s->score = s->next = s->score_buffer = NULL;
    s->start = s->next_start = s->start_buffer = s->state_class = s->state_skip = NULL;
}

double phrase_spot_score(double log_ratio, int num_labels) {
    return exp(log_ratio / (num_labels > 0 ? num_labels : 1));
}

void phrase_spot_normalise(float *log_probs, int T, int C) {
    for (int t = 0; t < T; t++) {
        float *f = log_probs + (size_t)t * C, top = f[0];
        for (int c = 1; c < C; c++) top = f[c] > top ? f[c] : top;
        for (int c = 0; c < C; c++) f[c] -= top;
    }
}

void phrase_spot_chunk(phrase_spotter *s, const float *log_probs, int T, int C,
                       phrase_spot_span *spans) {
    /* States: 2k blank before label k (k = 0..L, the last one after lL),
     * 2k + 1 label k. score[st]: best log-ratio of a path in state st at
     * the current frame, start[st]: the frame where that path began. */
    const int L = s->num_labels, S = 2 * L + 1;
    const int *cls = s->state_class, *skip = s->state_skip;
    for (int st = 0; st < S; st++) s->score[st] = -INFINITY, s->start[st] = 0;
    for (int t = 0; t < T; t++) {
        const float *lp = log_probs + (size_t)t * C; /* (C), best class 0 */
        float *score = s->score, *next = s->next;
        int *start = s->start, *next_start = s->next_start;
        /* State 0 (a blank before the first label) adds nothing a span
         * needs: it only ever starts afresh. State 1 begins a span here when
         * that beats carrying on (ties carry on: the label's emission began
         * earlier). */
        next[0] = lp[CTC_BLANK], next_start[0] = t;
        float stay = score[1];
        next[1] = (stay >= 0 ? stay : 0) + lp[cls[1]];
        next_start[1] = stay >= 0 ? start[1] : t;
        for (int st = 2; st < S; st++) {
            /* Branch-free, so the loop vectorises: stay, from the state
             * before, or (skip[st]) from two states before. */
            float best = score[st], prev = score[st - 1];
            int from = start[st];
            int take = prev > best;
            best = take ? prev : best;
            from = take ? start[st - 1] : from;
            float prev2 = skip[st] ? score[st - 2] : -INFINITY;
            take = prev2 > best;
            best = take ? prev2 : best;
            from = take ? start[st - 2] : from;
            next[st] = best + lp[cls[st]];
            next_start[st] = from;
        }
        s->score = next, s->next = score;
        s->start = next_start, s->next_start = start;
        /* A span ends on its last label or the blank after it. */
        int end = s->score[S - 2] >= s->score[S - 1] ? S - 2 : S - 1;
        spans[t] = (phrase_spot_span){.start_frame = s->start[end], .end_frame = t,
                                      .log_ratio = s->score[end]};
    }
}
