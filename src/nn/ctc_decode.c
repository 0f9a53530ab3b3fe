/* CTC decoders.  The beam search keeps its prefixes in a trie: a prefix is a
 * node (its last label and a parent), so two hypotheses are the same prefix
 * exactly when they are the same node and merging needs no string compares.
 * Each node carries the probabilities of its prefix at the previous frame
 * (ending in blank / in its last label) and the sums being built for the
 * current frame.  With a lexicon, a node also knows where its last word
 * stands in the lexicon's trie, so checking an extension is one lookup.
 * With a language model, a node also carries its prefix's weighted model
 * score, computed once when the node is made: a prefix's labels never
 * change, so neither does that score. */
#include "ctc_decode.h"
#include "char_lm.h"
#include "ctc.h"
#include "ctc_lexicon.h"
#include <math.h>
#include <stdlib.h>

int ctc_decode_greedy(const float *log_probs, int T, int C, int blank, ctc_token *out) {
    int n = 0, prev = blank;
    for (int t = 0; t < T; t++) {
        const float *lp = log_probs + (size_t)t * C;
        int best = 0;
        for (int k = 1; k < C; k++)
            if (lp[k] > lp[best])
                best = k;
        if (best != blank && best != prev)
            out[n++] = (ctc_token){best, t};
        prev = best;
    }
    return n;
}

typedef struct {
    int parent, label, frame, depth;
    int word_node;                 /* lexicon node of the word in progress */
    int first_child, next_sibling; /* children as a linked list: C is small */
    double p_blank, p_label;       /* at the previous frame (in the beam) */
    double next_blank, next_label; /* being summed for the current frame */
    double lm_score;               /* language model score of the prefix (0 without one) */
    int touched_at;                /* frame of next_*; -1 never */
} trie_node;

typedef struct {
    trie_node *nodes;
    int num, cap;
} trie;

static int trie_add(trie *tr, int parent, int label, int frame, int word_node, double lm_score) {
    if (tr->num == tr->cap) {
        int cap = tr->cap ? 2 * tr->cap : 1024;
        trie_node *grown = realloc(tr->nodes, sizeof *grown * cap);
        if (!grown)
            return -1;
        tr->nodes = grown, tr->cap = cap;
    }
    int id = tr->num++;
    trie_node *n = &tr->nodes[id];
    *n = (trie_node){.parent = parent, .label = label, .frame = frame, .word_node = word_node,
                     .first_child = -1,
                     .next_sibling = -1, .p_blank = -INFINITY, .p_label = -INFINITY,
                     .next_blank = -INFINITY, .next_label = -INFINITY, .lm_score = lm_score,
                     .touched_at = -1};
    if (parent >= 0) {
        n->depth = tr->nodes[parent].depth + 1;
        n->next_sibling = tr->nodes[parent].first_child;
        tr->nodes[parent].first_child = id;
    }
    return id;
}

/* The language model's weighted log-probability of label after the prefix
 * at node (its last labels); 0 without a model. */
static double lm_weighted_log_prob(const ctc_beam_options *opt, const trie *tr, int node,
                                   int label) {
    if (!opt->lm)
        return 0.0;
    int history[CHAR_LM_MAX_ORDER];
    int n = char_lm_order(opt->lm) - 1;
    for (int id = node; id > 0 && n > 0; id = tr->nodes[id].parent)
        history[--n] = tr->nodes[id].label; /* filled from the end, oldest first */
    const int len = char_lm_order(opt->lm) - 1 - n;
    return opt->lm_weight * char_lm_log_prob(opt->lm, history + n, len, label);
}

/* The child of parent for label, created (first emitted at frame) when new. */
static int trie_child(trie *tr, const ctc_beam_options *opt, int parent, int label, int frame,
                      int word_node) {
    for (int c = tr->nodes[parent].first_child; c >= 0; c = tr->nodes[c].next_sibling)
        if (tr->nodes[c].label == label)
            return c;
    const double lm_score = !opt->lm ? 0.0
                            : tr->nodes[parent].lm_score + opt->label_bonus +
                                  lm_weighted_log_prob(opt, tr, parent, label);
    return trie_add(tr, parent, label, frame, word_node, lm_score);
}

/* Where the word in progress stands after label, from word_node: the root
 * after a separator that ends a whole word, the next node for a letter, or
 * -1 when the lexicon has no word that way (always 0 without a lexicon). */
static int lexicon_step(const ctc_beam_options *opt, int word_node, int label) {
    if (!opt->lexicon)
        return 0;
    if (label == opt->separator)
        return word_node != CTC_LEXICON_ROOT && ctc_lexicon_is_word(opt->lexicon, word_node)
                   ? CTC_LEXICON_ROOT
                   : -1;
    return ctc_lexicon_next(opt->lexicon, word_node, label);
}

/* Whether a prefix ends where a lexicon allows it to: after whole words. */
static int ends_whole(const ctc_beam_options *opt, const trie_node *n) {
    return !opt->lexicon || n->word_node == CTC_LEXICON_ROOT ||
           ctc_lexicon_is_word(opt->lexicon, n->word_node);
}

/* Adds probability to a node's sums for frame t, listing it once in touched. */
static void touch(trie *tr, int id, int t, int *touched, int *num_touched) {
    trie_node *n = &tr->nodes[id];
    if (n->touched_at != t) {
        n->touched_at = t;
        n->next_blank = n->next_label = -INFINITY;
        touched[(*num_touched)++] = id;
    }
}

static double total(const trie_node *n) { return ctc_log_add(n->p_blank, n->p_label); }

/* A kept prefix's final score: CTC and model score, and with a model the
 * probability that its last word ends there (unless it just ended). */
static double final_score(const ctc_beam_options *opt, const trie *tr, int id) {
    const trie_node *n = &tr->nodes[id];
    double score = total(n) + n->lm_score;
    if (opt->lm && id != 0 && n->label != opt->separator)
        score += lm_weighted_log_prob(opt, tr, id, opt->separator);
    return score;
}

int ctc_decode_beam(const float *log_probs, int T, int C, int blank, const ctc_beam_options *opt,
                    ctc_token *out, double *log_prob) {
    const int beam_width = opt->beam_width;
    const float prune = opt->prune;
    if (beam_width < 1)
        return -1;
    trie tr = {0};
    int *beam = malloc(sizeof(int) * (size_t)beam_width);
    int *touched = malloc(sizeof(int) * (size_t)beam_width * (C + 1));
    int num_beam = 1, result = -1;
    if (!beam || !touched || trie_add(&tr, -1, blank, 0, CTC_LEXICON_ROOT, 0.0) != 0)
        goto cleanup;
    tr.nodes[0].p_blank = 0.0; /* the empty prefix, probability 1 */
    beam[0] = 0;
    for (int t = 0; t < T; t++) {
        const float *lp = log_probs + (size_t)t * C;
        int num_touched = 0;
        for (int i = 0; i < num_beam; i++) {
            int id = beam[i];
            double p_b = tr.nodes[id].p_blank, p_l = tr.nodes[id].p_label;
            double p_all = ctc_log_add(p_b, p_l);
            // stay: a blank, or the last label repeated (merged into it)
            touch(&tr, id, t, touched, &num_touched);
            trie_node *n = &tr.nodes[id];
            n->next_blank = ctc_log_add(n->next_blank, p_all + lp[blank]);
            if (id != 0)
                n->next_label = ctc_log_add(n->next_label, p_l + lp[n->label]);
            // extend by one label; the same label again needs a blank between
            for (int k = 0; k < C; k++) {
                if (k == blank || lp[k] < -prune)
                    continue;
                int word_node = lexicon_step(opt, tr.nodes[id].word_node, k);
                if (word_node < 0)
                    continue;
                int parent_label = tr.nodes[id].label;
                int child = trie_child(&tr, opt, id, k, t, word_node);
                if (child < 0)
                    goto cleanup;
                trie_node *c = &tr.nodes[child];
                if (c->touched_at != t && c->p_blank == -INFINITY && c->p_label == -INFINITY)
                    c->frame = t; /* (re)enters the beam now: its emission starts here */
                touch(&tr, child, t, touched, &num_touched);
                double from = (id != 0 && k == parent_label) ? p_b : p_all;
                c->next_label = ctc_log_add(c->next_label, from + lp[k]);
            }
        }
        // previous frame's probabilities are consumed; keep the best beam_width
        for (int i = 0; i < num_beam; i++)
            tr.nodes[beam[i]].p_blank = tr.nodes[beam[i]].p_label = -INFINITY;
        num_beam = 0;
        for (int i = 0; i < num_touched; i++) {
            trie_node *n = &tr.nodes[touched[i]];
            double score = ctc_log_add(n->next_blank, n->next_label) + n->lm_score;
            int pos = num_beam < beam_width ? num_beam++ : beam_width;
            if (pos == beam_width) {
                const trie_node *worst = &tr.nodes[beam[beam_width - 1]];
                if (score <= ctc_log_add(worst->next_blank, worst->next_label) + worst->lm_score)
                    continue;
                pos = beam_width - 1;
            }
            while (pos > 0) { /* insertion into the sorted beam */
                const trie_node *above = &tr.nodes[beam[pos - 1]];
                if (ctc_log_add(above->next_blank, above->next_label) + above->lm_score >= score)
                    break;
                beam[pos] = beam[pos - 1];
                pos--;
            }
            beam[pos] = touched[i];
        }
        for (int i = 0; i < num_beam; i++) {
            trie_node *n = &tr.nodes[beam[i]];
            n->p_blank = n->next_blank, n->p_label = n->next_label;
        }
    }
    // the best prefix made of whole words; failing that, the first one's
    // words up to its unfinished last one
    int best = beam[0];
    double best_score = -INFINITY;
    for (int i = 0; i < num_beam; i++) {
        double score = final_score(opt, &tr, beam[i]);
        if (ends_whole(opt, &tr.nodes[beam[i]]) && score > best_score)
            best = beam[i], best_score = score;
    }
    while (!ends_whole(opt, &tr.nodes[best]))
        best = tr.nodes[best].parent;
    if (log_prob)
        *log_prob = total(&tr.nodes[best]);
    result = tr.nodes[best].depth;
    // A node's frame is where it last entered the beam: a prefix that fell
    // out and came back later has a later frame than the longer prefixes
    // made from it before.  Each label starts at least a frame before the
    // next one does.
    for (int id = best, i = result - 1; id > 0; id = tr.nodes[id].parent, i--) {
        int frame = tr.nodes[id].frame;
        if (i < result - 1 && frame >= out[i + 1].frame)
            frame = out[i + 1].frame - 1;
        out[i] = (ctc_token){tr.nodes[id].label, frame};
    }
cleanup:
    free(tr.nodes);
    free(beam);
    free(touched);
    return result;
}
