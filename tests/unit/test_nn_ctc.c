/* CTC loss: small cases worked out by hand, every case against a brute-force
 * sum over all alignments, the gradient with respect to the logits against
 * central finite differences (through log-softmax, over a batch of unequal
 * lengths), and label sequences that cannot fit their frames. */
#include "ctc.h"
#include "ctc_decode.h"
#include "ctc_lexicon.h"
#include "test_util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { BLANK = 0 };

/* Probabilities of a (T, C) table as log-probabilities, one sequence. */
static void table_log(float *lp, const double *p, int n) {
    for (int k = 0; k < n; k++)
        lp[k] = (float)log(p[k]);
}

START_TEST(test_ctc_hand_cases) {
    /* T = 2 frames over classes {blank, a, b}. */
    const double p[6] = {0.5, 0.3, 0.2, /* t = 0 */ 0.1, 0.6, 0.3 /* t = 1 */};
    float lp[6];
    table_log(lp, p, 6);
    int a[] = {1}, aa[] = {1, 1}, ab[] = {1, 2};
    /* "a": a a, a -, - a */
    double want_a = p[1] * p[4] + p[1] * p[3] + p[0] * p[4];
    ck_assert_double_eq_tol(ctc_loss(lp, 2, 3, 3, a, 1, BLANK, NULL, 1), -log(want_a), 1e-6);
    /* "ab": only a b */
    ck_assert_double_eq_tol(ctc_loss(lp, 2, 3, 3, ab, 2, BLANK, NULL, 1), -log(p[1] * p[5]),
                            1e-6);
    /* "aa" needs a blank between the two a's: 3 frames, impossible in 2 */
    ck_assert(isinf(ctc_loss(lp, 2, 3, 3, aa, 2, BLANK, NULL, 1)));
    /* empty label: blank blank */
    ck_assert_double_eq_tol(ctc_loss(lp, 2, 3, 3, a, 0, BLANK, NULL, 1), -log(p[0] * p[3]), 1e-6);
    /* one frame, "a" */
    ck_assert_double_eq_tol(ctc_loss(lp, 1, 3, 3, a, 1, BLANK, NULL, 1), -log(p[1]), 1e-6);
    /* labels out of range or blank are refused */
    int bad[] = {3}, blank_label[] = {0};
    ck_assert(isnan(ctc_loss(lp, 2, 3, 3, bad, 1, BLANK, NULL, 1)));
    ck_assert(isnan(ctc_loss(lp, 2, 3, 3, blank_label, 1, BLANK, NULL, 1)));
}
END_TEST

/* Collapses an alignment (repeats merged, blanks dropped); returns its length. */
static int collapse(const int *path, int T, int *out) {
    int n = 0, prev = -1;
    for (int t = 0; t < T; t++) {
        if (path[t] != prev && path[t] != BLANK)
            out[n++] = path[t];
        prev = path[t];
    }
    return n;
}

/* -log of the sum over all C^T alignments that collapse to labels. */
static double brute_force_loss(const float *lp, int T, int C, const int *labels, int L) {
    int path[8], out[8];
    long total = 1;
    for (int t = 0; t < T; t++)
        total *= C;
    double sum = 0.0;
    for (long code = 0; code < total; code++) {
        long c = code;
        double logp = 0.0;
        for (int t = 0; t < T; t++, c /= C) {
            path[t] = (int)(c % C);
            logp += lp[t * C + path[t]];
        }
        int n = collapse(path, T, out);
        if (n == L && memcmp(out, labels, sizeof(int) * L) == 0)
            sum += exp(logp);
    }
    return -log(sum);
}

START_TEST(test_ctc_matches_brute_force) {
    enum { T = 6, C = 4 };
    uint64_t rng = 7;
    float logits[T * C], lp[T * C];
    for (int k = 0; k < T * C; k++)
        logits[k] = 2.0f * test_random_uniform(&rng);
    nn_log_softmax(lp, logits, T, C);
    const int cases[][4] = {{1, 2, 3, 0}, {1, 1, 0, 0}, {2, 2, 2, 0}, {3, 1, 3, 1}, {1, 0, 0, 0}};
    const int lengths[] = {3, 2, 3, 4, 1};
    for (int i = 0; i < 5; i++) {
        double got = ctc_loss(lp, T, C, C, cases[i], lengths[i], BLANK, NULL, 1);
        double want = brute_force_loss(lp, T, C, cases[i], lengths[i]);
        ck_assert_msg(fabs(got - want) < 1e-5, "case %d: %g vs brute force %g", i, got, want);
    }
    /* three repeats need 5 frames: 5 fit (just), 4 do not */
    const int aaa[] = {2, 2, 2};
    ck_assert(isfinite(ctc_loss(lp, 5, C, C, aaa, 3, BLANK, NULL, 1)));
    ck_assert(isinf(ctc_loss(lp, 4, C, C, aaa, 3, BLANK, NULL, 1)));
}
END_TEST

enum { GT = 7, GB = 3, GC = 5 };

typedef struct {
    float logits[GT * GB * GC];
    int input_lengths[GB];
    int labels[8], offsets[GB], label_lengths[GB];
    float weights[GB];
} batch_case;

static double batch_loss(const batch_case *c, float *d_logits) {
    float lp[GT * GB * GC];
    double losses[GB];
    nn_log_softmax(lp, c->logits, GT * GB, GC);
    ctc_loss_batch(lp, GT, GB, GC, c->input_lengths, c->labels, c->offsets, c->label_lengths,
                   BLANK, c->weights, losses, d_logits);
    double sum = 0.0;
    for (int b = 0; b < GB; b++)
        if (isfinite(losses[b]))
            sum += c->weights[b] * losses[b];
    return sum;
}

static batch_case make_batch_case(uint64_t seed) {
    batch_case c;
    uint64_t rng = seed;
    for (int k = 0; k < GT * GB * GC; k++)
        c.logits[k] = 1.5f * test_random_uniform(&rng);
    const int labels[] = {1, 2, 2, /* seq 0: repeat */ 3, 4, /* seq 1 */ 4, 1, 4 /* seq 2 */};
    memcpy(c.labels, labels, sizeof labels);
    const int offsets[] = {0, 3, 5}, label_lengths[] = {3, 2, 3}, input_lengths[] = {7, 4, 6};
    const float weights[] = {1.0f, 0.5f, 2.0f};
    memcpy(c.offsets, offsets, sizeof offsets);
    memcpy(c.label_lengths, label_lengths, sizeof label_lengths);
    memcpy(c.input_lengths, input_lengths, sizeof input_lengths);
    memcpy(c.weights, weights, sizeof weights);
    return c;
}

START_TEST(test_ctc_gradient_matches_finite_differences) {
    batch_case c = make_batch_case(11);
    float grad[GT * GB * GC] = {0};
    batch_loss(&c, grad);
    const float eps = 1e-2f;
    double worst = 0.0;
    for (int k = 0; k < GT * GB * GC; k++) {
        float saved = c.logits[k];
        c.logits[k] = saved + eps;
        double plus = batch_loss(&c, NULL);
        c.logits[k] = saved - eps;
        double minus = batch_loss(&c, NULL);
        c.logits[k] = saved;
        double numeric = (plus - minus) / (2.0 * eps);
        double err = fabs(numeric - grad[k]);
        if (err > worst)
            worst = err;
        ck_assert_msg(err <= 5e-4 + 5e-3 * fmax(fabs(numeric), fabs(grad[k])),
                      "logit %d: analytic %g numeric %g", k, grad[k], numeric);
    }
    /* frames past a sequence's length get no gradient */
    for (int t = 0; t < GT; t++)
        for (int b = 0; b < GB; b++)
            if (t >= c.input_lengths[b])
                for (int k = 0; k < GC; k++)
                    ck_assert_float_eq(grad[(t * GB + b) * GC + k], 0.0f);
}
END_TEST

START_TEST(test_ctc_impossible_label_is_infinite_with_finite_gradient) {
    batch_case c = make_batch_case(5);
    c.input_lengths[1] = 1; /* two labels in one frame: impossible */
    float lp[GT * GB * GC], grad[GT * GB * GC] = {0};
    double losses[GB];
    nn_log_softmax(lp, c.logits, GT * GB, GC);
    int finite = ctc_loss_batch(lp, GT, GB, GC, c.input_lengths, c.labels, c.offsets,
                                c.label_lengths, BLANK, c.weights, losses, grad);
    ck_assert_int_eq(finite, 2);
    ck_assert(isinf(losses[1]) && losses[1] > 0);
    ck_assert(isfinite(losses[0]) && isfinite(losses[2]));
    for (int k = 0; k < GT * GB * GC; k++)
        ck_assert_msg(isfinite(grad[k]), "gradient %d is %g", k, grad[k]);
    for (int t = 0; t < GT; t++)
        for (int k = 0; k < GC; k++)
            ck_assert_float_eq(grad[(t * GB + 1) * GC + k], 0.0f);
    /* zero frames with labels: infinite too */
    ck_assert(isinf(ctc_loss(lp, 0, GC, GC, c.labels, 1, BLANK, grad, 1)));
}
END_TEST

START_TEST(test_log_softmax_is_stable) {
    float in[6] = {1000.0f, 999.0f, -1000.0f, 0.0f, 0.0f, 0.0f}, out[6];
    nn_log_softmax(out, in, 2, 3);
    for (int n = 0; n < 2; n++) {
        double sum = 0.0;
        for (int k = 0; k < 3; k++) {
            ck_assert(isfinite(out[n * 3 + k]) || out[n * 3 + k] == -INFINITY);
            sum += exp(out[n * 3 + k]);
        }
        ck_assert_double_eq_tol(sum, 1.0, 1e-6);
    }
    ck_assert_float_eq_tol(out[3], (float)-log(3.0), 1e-6f);
}
END_TEST


START_TEST(test_greedy_decoding_merges_repeats_and_drops_blanks) {
    /* best per frame: a a - a b b -  ->  "a a b" (the blank splits the a's) */
    const int best[] = {1, 1, 0, 1, 2, 2, 0};
    float lp[7 * 3];
    for (int t = 0; t < 7; t++)
        for (int k = 0; k < 3; k++)
            lp[t * 3 + k] = k == best[t] ? logf(0.8f) : logf(0.1f);
    ctc_token out[7];
    int n = ctc_decode_greedy(lp, 7, 3, BLANK, out);
    ck_assert_int_eq(n, 3);
    const ctc_token want[] = {{1, 0}, {1, 3}, {2, 4}};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(out[i].label, want[i].label);
        ck_assert_int_eq(out[i].frame, want[i].frame);
    }
}
END_TEST

START_TEST(test_beam_search_sums_alignments) {
    /* two frames, p(blank) = 0.6, p(a) = 0.4: the best path is blank blank
     * ("", 0.36) but "a" has a a, a -, - a = 0.64 in all */
    const float lp[4] = {logf(0.6f), logf(0.4f), logf(0.6f), logf(0.4f)};
    ctc_token out[2];
    ck_assert_int_eq(ctc_decode_greedy(lp, 2, 2, BLANK, out), 0);
    double log_prob;
    ctc_beam_options opt = {.beam_width = 4, .prune = 20.0f};
    int n = ctc_decode_beam(lp, 2, 2, BLANK, &opt, out, &log_prob);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(out[0].label, 1);
    ck_assert_int_eq(out[0].frame, 0);
    ck_assert_double_eq_tol(log_prob, log(0.64), 1e-6);
    opt.beam_width = 0;
    ck_assert_int_eq(ctc_decode_beam(lp, 2, 2, BLANK, &opt, out, NULL), -1);
}
END_TEST

/* The smallest CTC loss over every labelling of at most T labels (classes
 * 1..C-1) that accept takes (accept NULL: all), by enumeration. */
static double best_labelling_loss(const float *lp, int T, int C,
                                  int (*accept)(const void *ctx, const int *labels, int n),
                                  const void *ctx) {
    double best = INFINITY;
    for (int L = 0; L <= T; L++) {
        int labels[16];
        for (int i = 0; i < L; i++)
            labels[i] = 1;
        do {
            if (!accept || accept(ctx, labels, L))
                best = fmin(best, ctc_loss(lp, T, C, C, labels, L, BLANK, NULL, 1));
        } while (L > 0 && test_next_labels(labels, L, C));
    }
    return best;
}

START_TEST(test_wide_beam_finds_most_probable_labelling) {
    enum { T = 5, C = 3 };
    for (uint64_t seed = 1; seed <= 20; seed++) {
        float lp[T * C];
        test_random_log_probs(lp, T, C, seed);
        double best = best_labelling_loss(lp, T, C, NULL, NULL);
        ctc_token out[T];
        double log_prob;
        const ctc_beam_options opt = {.beam_width = 64, .prune = 100.0f};
        int n = ctc_decode_beam(lp, T, C, BLANK, &opt, out, &log_prob);
        ck_assert_int_ge(n, 0);
        ck_assert_msg(fabs(-log_prob - best) < 1e-5, "seed %d: beam %g, best labelling %g",
                      (int)seed, -log_prob, best);
        int labels[T];
        for (int i = 0; i < n; i++)
            labels[i] = out[i].label;
        ck_assert_double_eq_tol(ctc_loss(lp, T, C, C, labels, n, BLANK, NULL, 1), -log_prob, 1e-5);
    }
}
END_TEST

/* A label's emission starts after the one before it, whatever the beam
 * does: narrow beams drop prefixes and take them back later, which must not
 * move a label's start past its successor's (a word would end before it
 * starts). */
START_TEST(test_beam_token_frames_increase) {
    enum { T = 16, C = 4 }; /* test_random_log_probs makes at most 64 */
    for (uint64_t seed = 1; seed <= 2000; seed++) {
        float lp[T * C];
        test_random_log_probs(lp, T, C, seed);
        for (int width = 1; width <= 4; width++) {
            ctc_token out[T];
            const ctc_beam_options opt = {.beam_width = width, .prune = 100.0f};
            int n = ctc_decode_beam(lp, T, C, BLANK, &opt, out, NULL);
            ck_assert_int_ge(n, 0);
            for (int i = 0; i < n; i++) {
                ck_assert_int_ge(out[i].frame, (i > 0 ? out[i - 1].frame + 1 : 0));
                ck_assert_int_lt(out[i].frame, T);
            }
        }
    }
}
END_TEST

START_TEST(test_lexicon_trie) {
    ctc_lexicon *lex = ctc_lexicon_new();
    ck_assert_ptr_nonnull(lex);
    const int ab[] = {1, 2}, abc[] = {1, 2, 3}, b[] = {2};
    ck_assert_int_eq(ctc_lexicon_add(lex, ab, 2), 0);
    ck_assert_int_eq(ctc_lexicon_add(lex, abc, 3), 0);
    ck_assert_int_eq(ctc_lexicon_add(lex, b, 1), 0);
    ck_assert_int_eq(ctc_lexicon_add(lex, ab, 2), 0); /* again: no new word */
    ck_assert_int_eq(ctc_lexicon_add(lex, ab, 0), -1);
    ck_assert_int_eq(ctc_lexicon_num_words(lex), 3);
    int a_node = ctc_lexicon_next(lex, CTC_LEXICON_ROOT, 1);
    ck_assert_int_ge(a_node, 0);
    ck_assert(!ctc_lexicon_is_word(lex, a_node)); /* "a" is only a beginning */
    int ab_node = ctc_lexicon_next(lex, a_node, 2);
    ck_assert(ctc_lexicon_is_word(lex, ab_node));
    ck_assert(ctc_lexicon_is_word(lex, ctc_lexicon_next(lex, ab_node, 3)));
    ck_assert_int_eq(ctc_lexicon_next(lex, ab_node, 1), -1);
    ck_assert_int_eq(ctc_lexicon_next(lex, CTC_LEXICON_ROOT, 3), -1);
    ck_assert(!ctc_lexicon_is_word(lex, CTC_LEXICON_ROOT));
    ctc_lexicon_free(lex);
}
END_TEST

enum { SEPARATOR = 1 };

/* Whether labels[0..n) are words of the lexicon ctx separated by single
 * separators, with at most one separator at the end and none first. */
static int spells_words(const void *ctx, const int *labels, int n) {
    const ctc_lexicon *lex = ctx;
    const int separator = SEPARATOR;
    int node = CTC_LEXICON_ROOT;
    for (int i = 0; i < n; i++) {
        if (labels[i] == separator) {
            if (node == CTC_LEXICON_ROOT || !ctc_lexicon_is_word(lex, node))
                return 0;
            node = CTC_LEXICON_ROOT;
        } else if ((node = ctc_lexicon_next(lex, node, labels[i])) < 0) {
            return 0;
        }
    }
    return node == CTC_LEXICON_ROOT || ctc_lexicon_is_word(lex, node);
}

START_TEST(test_lexicon_beam_finds_most_probable_word_sequence) {
    /* classes: blank, separator 1, letters 2 and 3; words "b", "bc", "ccb" */
    enum { T = 6, C = 4 };
    ctc_lexicon *lex = ctc_lexicon_new();
    const int w1[] = {2}, w2[] = {2, 3}, w3[] = {3, 3, 2};
    ck_assert(ctc_lexicon_add(lex, w1, 1) == 0 && ctc_lexicon_add(lex, w2, 2) == 0 &&
              ctc_lexicon_add(lex, w3, 3) == 0);
    const ctc_beam_options opt = {
        .beam_width = 256, .prune = 100.0f, .lexicon = lex, .separator = SEPARATOR};
    int differs = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        float lp[T * C];
        test_random_log_probs(lp, T, C, seed);
        /* the best labelling of all, and the best made of the lexicon's words */
        double best_any = best_labelling_loss(lp, T, C, NULL, NULL);
        double best_words = best_labelling_loss(lp, T, C, spells_words, lex);
        differs += best_words > best_any + 1e-6;
        ctc_token out[T];
        double log_prob;
        int n = ctc_decode_beam(lp, T, C, BLANK, &opt, out, &log_prob);
        ck_assert_int_ge(n, 0);
        int labels[T];
        for (int i = 0; i < n; i++)
            labels[i] = out[i].label;
        ck_assert_msg(spells_words(lex, labels, n), "seed %d: not lexicon words", (int)seed);
        ck_assert_msg(fabs(-log_prob - best_words) < 1e-5, "seed %d: beam %g, best words %g",
                      (int)seed, -log_prob, best_words);
    }
    ck_assert_int_gt(differs, 10); /* the lexicon did change the answer */
    ctc_lexicon_free(lex);
}
END_TEST

static Suite *ctc_suite(void) {
    Suite *suite = suite_create("nn_ctc");
    TCase *tc = tcase_create("ctc");
    tcase_add_test(tc, test_ctc_hand_cases);
    tcase_add_test(tc, test_ctc_matches_brute_force);
    tcase_add_test(tc, test_ctc_gradient_matches_finite_differences);
    tcase_add_test(tc, test_ctc_impossible_label_is_infinite_with_finite_gradient);
    tcase_add_test(tc, test_log_softmax_is_stable);
    tcase_add_test(tc, test_greedy_decoding_merges_repeats_and_drops_blanks);
    tcase_add_test(tc, test_beam_search_sums_alignments);
    tcase_add_test(tc, test_wide_beam_finds_most_probable_labelling);
    tcase_add_test(tc, test_beam_token_frames_increase);
    tcase_add_test(tc, test_lexicon_trie);
    tcase_add_test(tc, test_lexicon_beam_finds_most_probable_word_sequence);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void) { return test_run_suite(ctc_suite()); }
