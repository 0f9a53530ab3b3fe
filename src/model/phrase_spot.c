/* Phrase spotting in CTC posteriors (see phrase_spot.h). */
#include "phrase_spot.h"
#include "ctc_text.h"

#include <math.h>
#include <stdlib.h>

int phrase_spotter_init(phrase_spotter *s, const int *labels, int num_labels) {
    int S = 2 * num_labels + 1;
    s->num_labels = num_labels;
    s->labels = labels;
    s->score = s->score_buffer = malloc(sizeof(double) * 2 * S);
    s->start = s->start_buffer = malloc(sizeof(int) * 2 * S);
    if (!s->score || !s->start) {
        phrase_spotter_free(s);
        return -1;
    }
    s->next = s->score + S;
    s->next_start = s->start + S;
    return 0;
}

void phrase_spotter_free(phrase_spotter *s) {
    free(s->score_buffer);
    free(s->start_buffer);
    s->score = s->next = s->score_buffer = NULL;
    s->start = s->next_start = s->start_buffer = NULL;
}

double phrase_spot_score(double log_ratio, int num_labels) {
    return exp(log_ratio / (num_labels > 0 ? num_labels : 1));
}

void phrase_spot_chunk(phrase_spotter *s, const float *log_probs, int T, int C,
                       phrase_spot_span *spans) {
    /* States: 2k blank before label k (k = 0..L, the last one after lL),
     * 2k + 1 label k. score[st]: best log-ratio of a path in state st at
     * the current frame, start[st]: the frame where that path began. */
    const int L = s->num_labels, S = 2 * L + 1;
    for (int st = 0; st < S; st++) s->score[st] = -INFINITY, s->start[st] = 0;
    for (int t = 0; t < T; t++) {
        const float *lp = log_probs + (size_t)t * C;
        float top = lp[0];
        for (int c = 1; c < C; c++)
            if (lp[c] > top) top = lp[c];
        for (int st = 0; st < S; st++) {
            double best = s->score[st];
            int from = s->start[st];
            if (st >= 2 && s->score[st - 1] > best) best = s->score[st - 1], from = s->start[st - 1];
            if (st >= 2 && st % 2 && s->labels[st / 2] != s->labels[st / 2 - 1] &&
                s->score[st - 2] > best)
                best = s->score[st - 2], from = s->start[st - 2];
            /* A span begins on its first label, here, when that beats
             * carrying on (ties carry on: the label's emission began
             * earlier). A leading blank adds nothing a span needs: state 0
             * only ever starts afresh. */
            if (st == 0 || (st == 1 && !(best >= 0))) best = 0, from = t;
            int label = st % 2 ? s->labels[st / 2] : CTC_BLANK;
            s->next[st] = best + lp[label] - top;
            s->next_start[st] = from;
        }
        double *swap = s->score;
        s->score = s->next, s->next = swap;
        int *swap_start = s->start;
        s->start = s->next_start, s->next_start = swap_start;
        /* A span ends on its last label or the blank after it. */
        int end = s->score[S - 2] >= s->score[S - 1] ? S - 2 : S - 1;
        spans[t] = (phrase_spot_span){.start_frame = s->start[end], .end_frame = t,
                                      .log_ratio = s->score[end]};
    }
}
