/* The character language model: Witten-Bell probabilities worked out by
 * hand, probabilities that sum to 1 after any history, short histories read
 * as if after a separator, bad input refused; and the beam search with the
 * model against an enumeration of every labelling's combined score. */
#include "char_lm.h"
#include "ctc.h"
#include "ctc_decode.h"
#include "test_util.h"
#include <math.h>
#include <stdlib.h>

enum { BLANK = 0, SEPARATOR = 1 };

START_TEST(test_witten_bell_by_hand) {
    /* labels {0: separator, 1: a, 2: b}; order 2; the stream "a b" */
    char_lm *lm = char_lm_new(2, 3, 0);
    ck_assert_ptr_nonnull(lm);
    const int ab[] = {1, 2};
    ck_assert_int_eq(char_lm_add(lm, ab, 2), 0);
    ck_assert_int_eq(char_lm_num_labels_seen(lm), 2);
    /* n-grams: a, b, (sep a), (a b) */
    ck_assert_int_eq(char_lm_num_ngrams(lm), 4);
    const int a[] = {1}, b[] = {2};
    /* P(b) = (1 + 2/3) / 4 = 5/12; P(b | a) = (1 + 5/12) / 2 = 17/24 */
    ck_assert_double_eq_tol(char_lm_log_prob(lm, a, 1, 2), log(17.0 / 24), 1e-12);
    /* an empty history is read as after the separator: P(a | sep) = 17/24 */
    ck_assert_double_eq_tol(char_lm_log_prob(lm, NULL, 0, 1), log(17.0 / 24), 1e-12);
    /* b was never a history: P(sep | b) = P(sep) = (0 + 2/3) / 4 */
    ck_assert_double_eq_tol(char_lm_log_prob(lm, b, 1, 0), log(1.0 / 6), 1e-12);
    /* only the last order-1 labels count */
    const int bba[] = {2, 2, 1};
    ck_assert_double_eq_tol(char_lm_log_prob(lm, bba, 3, 2), log(17.0 / 24), 1e-12);
    char_lm_free(lm);
}
END_TEST

START_TEST(test_probabilities_sum_to_one) {
    enum { L = 6, STREAM = 400 };
    uint64_t state = 7;
    int stream[STREAM];
    for (int i = 0; i < STREAM; i++) /* skewed, so that counts differ */
        stream[i] = (int)((test_random_uniform(&state) + 1) * (test_random_uniform(&state) + 1) *
                          L / 4) % L;
    for (int order = 1; order <= 5; order++) {
        char_lm *lm = char_lm_new(order, L, 0);
        ck_assert_int_eq(char_lm_add(lm, stream, STREAM), 0);
        for (int trial = 0; trial < 50; trial++) {
            int history[8], n = trial % 8;
            for (int i = 0; i < n; i++) /* seen and unseen histories alike */
                history[i] = trial % 3 ? stream[(trial * 7 + i) % STREAM]
                                       : (int)((test_random_uniform(&state) + 1) * L / 2) % L;
            double sum = 0;
            for (int label = 0; label < L; label++) {
                double lp = char_lm_log_prob(lm, history, n, label);
                ck_assert(lp < 0 && isfinite(lp));
                sum += exp(lp);
            }
            ck_assert_msg(fabs(sum - 1) < 1e-9, "order %d, history of %d: sum %.12f", order, n,
                          sum);
        }
        char_lm_free(lm);
    }
}
END_TEST

START_TEST(test_short_history_is_read_after_a_separator) {
    char_lm *lm = char_lm_new(3, 5, 3); /* histories of 2 are read */
    const int text[] = {1, 2, 3, 1, 2, 4, 3, 2, 1, 3, 1, 4};
    ck_assert_int_eq(char_lm_add(lm, text, 12), 0);
    const int short_history[] = {1}, with_separator[] = {3, 1}, long_history[] = {0, 3, 1};
    for (int label = 0; label < 5; label++) {
        double p = char_lm_log_prob(lm, short_history, 1, label);
        ck_assert_double_eq_tol(p, char_lm_log_prob(lm, with_separator, 2, label), 1e-12);
        /* a longer one is read by its last two: here the same labels */
        ck_assert_double_eq_tol(char_lm_log_prob(lm, long_history, 3, label),
                                char_lm_log_prob(lm, with_separator, 2, label), 1e-12);
    }
    char_lm_free(lm);
}
END_TEST

START_TEST(test_bad_sizes_and_labels_refused) {
    ck_assert_ptr_null(char_lm_new(0, 5, 0));
    ck_assert_ptr_null(char_lm_new(CHAR_LM_MAX_ORDER + 1, 5, 0));
    ck_assert_ptr_null(char_lm_new(3, 33, 0));
    ck_assert_ptr_null(char_lm_new(3, 5, 5));
    char_lm *lm = char_lm_new(3, 5, 0);
    const int bad[] = {1, 5};
    ck_assert_int_eq(char_lm_add(lm, bad, 2), -1);
    const int negative[] = {-1};
    ck_assert_int_eq(char_lm_add(lm, negative, 1), -1);
    char_lm_free(lm);
}
END_TEST

START_TEST(test_many_ngrams_grow_the_table) {
    /* a long varied stream: the table grows many times and keeps every count */
    enum { L = 29, STREAM = 200000 };
    int *stream = malloc(sizeof(int) * STREAM);
    uint64_t state = 3;
    for (int i = 0; i < STREAM; i++)
        stream[i] = (int)((test_random_uniform(&state) + 1) * L / 2) % L;
    char_lm *lm = char_lm_new(6, L, 1);
    ck_assert_int_eq(char_lm_add(lm, stream, STREAM), 0);
    ck_assert_int_eq(char_lm_num_labels_seen(lm), STREAM);
    ck_assert_int_gt(char_lm_num_ngrams(lm), STREAM); /* most 5- and 6-grams are new */
    double sum = 0;
    for (int label = 0; label < L; label++)
        sum += exp(char_lm_log_prob(lm, stream + 1000, 5, label));
    ck_assert_double_eq_tol(sum, 1, 1e-9);
    char_lm_free(lm);
    free(stream);
}
END_TEST

/* The score the beam search ranks a labelling by (ctc_decode.h). */
static double combined_score(const float *lp, int T, int C, const ctc_beam_options *opt,
                             const int *labels, int n) {
    double score = -ctc_loss(lp, T, C, C, labels, n, BLANK, NULL, 1);
    for (int i = 0; i < n; i++)
        score += opt->lm_weight * char_lm_log_prob(opt->lm, labels, i, labels[i]) +
                 opt->label_bonus;
    if (n > 0 && labels[n - 1] != opt->separator)
        score += opt->lm_weight * char_lm_log_prob(opt->lm, labels, n, opt->separator);
    return score;
}

START_TEST(test_beam_with_model_finds_best_combined_score) {
    /* classes: blank, separator, letters 2 and 3; a model that strongly
     * prefers "2 3" and dislikes "3 3", so it overrules the acoustics */
    enum { T = 5, C = 4 };
    char_lm *lm = char_lm_new(3, C, SEPARATOR);
    const int text[] = {2, 3, 1, 2, 3, 2, 3, 1, 3, 2, 1, 2, 3, 1};
    ck_assert_int_eq(char_lm_add(lm, text, 14), 0);
    int differs = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        float lp[T * C];
        test_random_log_probs(lp, T, C, seed);
        const ctc_beam_options plain = {.beam_width = 256, .prune = 100.0f};
        const ctc_beam_options opt = {.beam_width = 256, .prune = 100.0f, .separator = SEPARATOR,
                                      .lm = lm, .lm_weight = 0.8f, .label_bonus = 0.5f};
        double best = -INFINITY;
        int labels[T];
        for (int n = 0; n <= T; n++) {
            for (int i = 0; i < n; i++)
                labels[i] = 1;
            do
                best = fmax(best, combined_score(lp, T, C, &opt, labels, n));
            while (n > 0 && test_next_labels(labels, n, C));
        }
        ctc_token out[T], out_plain[T];
        double log_prob;
        int n = ctc_decode_beam(lp, T, C, BLANK, &opt, out, &log_prob);
        int n_plain = ctc_decode_beam(lp, T, C, BLANK, &plain, out_plain, NULL);
        ck_assert_int_ge(n, 0);
        for (int i = 0; i < n; i++)
            labels[i] = out[i].label;
        double got = combined_score(lp, T, C, &opt, labels, n);
        ck_assert_msg(fabs(got - best) < 1e-5, "seed %d: beam %g, best %g", (int)seed, got, best);
        /* *log_prob is the CTC log-probability alone */
        ck_assert_double_eq_tol(-ctc_loss(lp, T, C, C, labels, n, BLANK, NULL, 1), log_prob, 1e-5);
        int same = n == n_plain;
        for (int i = 0; same && i < n; i++)
            same = out[i].label == out_plain[i].label;
        differs += !same;
    }
    ck_assert_int_gt(differs, 5); /* the model did change answers */
    char_lm_free(lm);
}
END_TEST

START_TEST(test_weightless_model_changes_nothing) {
    enum { T = 10, C = 6 };
    char_lm *lm = char_lm_new(4, C, SEPARATOR);
    const int text[] = {2, 3, 4, 1, 5, 2, 1, 3, 3, 4, 1};
    ck_assert_int_eq(char_lm_add(lm, text, 11), 0);
    for (uint64_t seed = 1; seed <= 10; seed++) {
        float lp[T * C];
        test_random_log_probs(lp, T, C, seed);
        const ctc_beam_options plain = {.beam_width = 8, .prune = 10.0f};
        const ctc_beam_options opt = {.beam_width = 8, .prune = 10.0f, .separator = SEPARATOR,
                                      .lm = lm};
        ctc_token a[T], b[T];
        double pa, pb;
        int na = ctc_decode_beam(lp, T, C, BLANK, &plain, a, &pa);
        int nb = ctc_decode_beam(lp, T, C, BLANK, &opt, b, &pb);
        ck_assert_int_eq(na, nb);
        for (int i = 0; i < na; i++) {
            ck_assert_int_eq(a[i].label, b[i].label);
            ck_assert_int_eq(a[i].frame, b[i].frame);
        }
        ck_assert_double_eq_tol(pa, pb, 1e-12);
    }
    char_lm_free(lm);
}
END_TEST

static Suite *char_lm_suite(void) {
    Suite *suite = suite_create("nn_char_lm");
    TCase *tc = tcase_create("char_lm");
    tcase_add_test(tc, test_witten_bell_by_hand);
    tcase_add_test(tc, test_probabilities_sum_to_one);
    tcase_add_test(tc, test_short_history_is_read_after_a_separator);
    tcase_add_test(tc, test_bad_sizes_and_labels_refused);
    tcase_add_test(tc, test_many_ngrams_grow_the_table);
    tcase_add_test(tc, test_beam_with_model_finds_best_combined_score);
    tcase_add_test(tc, test_weightless_model_changes_nothing);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void) { return test_run_suite(char_lm_suite()); }
