/* Phrase matching against transcripts (see phrase_match.h). */
#include "phrase_match.h"
#include "ctc_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int phrase_normalise(const char *text, char *out, int out_len) {
    int max = out_len > 0 ? out_len - 1 : 0;
    int *labels = malloc(sizeof(int) * (max > 0 ? max : 1));
    if (!labels)
        return -1;
    int n = ctc_text_to_labels(text, labels, max);
    if (n >= 0)
        ctc_labels_to_text(labels, n, out, out_len);
    free(labels);
    return n;
}

/* Whether distance d1 of a run starting at word s1 beats d2 from s2: fewer
 * edits, then the later start (the shorter run). */
static int better(int d1, int s1, int d2, int s2) {
    return d1 < d2 || (d1 == d2 && s1 > s2);
}

int phrase_best_runs(const char *phrase, const transcript *t, phrase_run *runs) {
    const int m = (int)strlen(phrase);
    /* Two columns of the DP over phrase prefixes (m + 1 each): the distance
     * of phrase[0..i) to the best text run ending at the current character,
     * and the word where that run starts. */
    int *dist = malloc(sizeof(int) * 4 * (m + 1));
    if (!dist)
        return -1;
    int *prev = dist, *cur = dist + (m + 1);
    int *prev_start = dist + 2 * (m + 1), *cur_start = dist + 3 * (m + 1);
    for (int j = 0; j < t->num_words; j++) {
        /* The text between word j-1 and word j is one space; word j's first
         * character is where a run may start. */
        const char *w = t->words[j].text;
        int len = (int)strlen(w);
        for (int c = j == 0 ? 0 : -1; c < len; c++) {
            char ch = c < 0 ? ' ' : w[c];
            if (c == 0) {
                /* A run may start here: the empty text before this character
                 * matches phrase[0..i) at cost i. */
                for (int i = 0; i <= m; i++) {
                    if (j == 0 || better(i, j, prev[i], prev_start[i])) {
                        prev[i] = i;
                        prev_start[i] = j;
                    }
                }
            }
            cur[0] = prev[0] + 1;
            cur_start[0] = prev_start[0];
            for (int i = 1; i <= m; i++) {
                /* phrase[i-1] against ch, or ch left out of the match, or
                 * phrase[i-1] left out. */
                int best = prev[i - 1] + (phrase[i - 1] != ch), from = prev_start[i - 1];
                if (better(prev[i] + 1, prev_start[i], best, from))
                    best = prev[i] + 1, from = prev_start[i];
                if (better(cur[i - 1] + 1, cur_start[i - 1], best, from))
                    best = cur[i - 1] + 1, from = cur_start[i - 1];
                cur[i] = best;
                cur_start[i] = from;
            }
            int *swap = prev;
            prev = cur, cur = swap;
            swap = prev_start;
            prev_start = cur_start, cur_start = swap;
        }
        runs[j] = (phrase_run){.first_word = prev_start[m], .last_word = j,
                               .distance = prev[m],
                               .score = m > 0 ? 1.0f - (float)prev[m] / (float)m : 0.0f};
    }
    free(dist);
    return 0;
}

static int ranks_before(const phrase_run *a, const phrase_run *b) {
    if (a->score != b->score)
        return a->score > b->score;
    return a->last_word < b->last_word;
}

static int compare_runs(const void *a, const void *b) {
    return ranks_before(a, b) ? -1 : ranks_before(b, a) ? 1 : 0;
}

/* The overlap rule of index_search.c's spans_overlap. */
static int runs_overlap(const phrase_run *a, const phrase_run *b, const transcript *t) {
    double a0 = t->words[a->first_word].start_s, a1 = t->words[a->last_word].end_s;
    double b0 = t->words[b->first_word].start_s, b1 = t->words[b->last_word].end_s;
    double inter = fmin(a1, b1) - fmax(a0, b0), shorter = fmin(a1 - a0, b1 - b0);
    if (inter < 0)
        return 0;
    return shorter <= 0 ? 1 : inter > 0.5 * shorter;
}

int phrase_merge_runs(phrase_run *runs, int num_runs, const transcript *t, float min_score,
                      int one_only) {
    int n = 0;
    for (int r = 0; r < num_runs; r++)
        if (runs[r].score > min_score)
            runs[n++] = runs[r];
    qsort(runs, (size_t)n, sizeof *runs, compare_runs);
    int kept = 0;
    for (int r = 0; r < n && !(one_only && kept == 1); r++) {
        int dropped = 0;
        for (int k = 0; k < kept && !dropped; k++)
            dropped = runs_overlap(&runs[r], &runs[k], t);
        if (!dropped)
            runs[kept++] = runs[r];
    }
    return kept;
}
