/* Pair mining (pair_miner.h) against brute force: random unit vectors in
 * several groups with planted near-copies, every option (cosine threshold,
 * length ratio, same group without overlap, max pairs, centring) checked
 * against a plain double-precision search written independently here; and
 * the mined-pair training data from two committed recordings. */
#include "pair_miner.h"
#include "test_util.h"
#include "model_file.h"
#include "trainer_mined.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void random_unit(float *v, int dim, uint64_t *state) {
    double sum_sq = 0;
    for (int k = 0; k < dim; k++) {
        v[k] = test_random_uniform(state);
        sum_sq += (double)v[k] * v[k];
    }
    for (int k = 0; k < dim; k++) v[k] = (float)(v[k] / sqrt(sum_sq));
}

/* num windows in num_groups groups, lengths 20-39, starts every 10 (so
 * neighbours in a group overlap); every third window after the first ten
 * is a noisy copy of an earlier one, so there are pairs to find. */
static void make_windows(float *vectors, pair_window *windows, long num, int dim, int num_groups,
                         uint64_t seed) {
    uint64_t state = seed;
    for (long i = 0; i < num; i++) {
        int group = (int)(i % num_groups);
        long start = 10 * (i / num_groups);
        long length = 20 + (long)((test_random_uniform(&state) + 1) * 10);
        windows[i] = (pair_window){group, start, start + length};
        random_unit(vectors + i * dim, dim, &state);
        if (i >= 10 && i % 3 == 0) {
            long source = (long)((test_random_uniform(&state) + 1) * 0.5 * (i - 1));
            double sum_sq = 0;
            for (int k = 0; k < dim; k++) {
                float v = vectors[source * dim + k] + 0.15f * test_random_uniform(&state);
                vectors[i * dim + k] = v;
                sum_sq += (double)v * v;
            }
            for (int k = 0; k < dim; k++) vectors[i * dim + k] /= (float)sqrt(sum_sq);
            windows[i].end = windows[i].start + (windows[source].end - windows[source].start);
        }
    }
}

/* The brute-force reference: the same definition, in double precision. */
static long brute_force(const float *vectors, const pair_window *w, long num, int dim,
                        const pair_miner_options *o, mined_pair *out) {
    double *v = malloc(sizeof(double) * num * dim);
    double mean[64] = {0};
    for (long i = 0; i < num; i++)
        for (int k = 0; k < dim; k++) mean[k] += vectors[i * dim + k] / (double)num;
    for (long i = 0; i < num; i++) {
        double sum_sq = 0;
        for (int k = 0; k < dim; k++) {
            v[i * dim + k] = vectors[i * dim + k] - (o->center ? mean[k] : 0);
            sum_sq += v[i * dim + k] * v[i * dim + k];
        }
        for (int k = 0; k < dim; k++) v[i * dim + k] /= sqrt(sum_sq);
    }
    long *nn = malloc(sizeof(long) * num);
    double *best = malloc(sizeof(double) * num);
    for (long i = 0; i < num; i++) {
        nn[i] = -1, best[i] = -2;
        for (long j = 0; j < num; j++) {
            if (j == i) continue;
            long li = w[i].end - w[i].start, lj = w[j].end - w[j].start;
            if (fmax(li, lj) > o->max_length_ratio * fmin(li, lj)) continue;
            int overlap = w[i].start < w[j].end && w[j].start < w[i].end;
            if (w[i].group == w[j].group && (!o->same_group || overlap)) continue;
            double c = 0;
            for (int k = 0; k < dim; k++) c += v[i * dim + k] * v[j * dim + k];
            if (c > best[i]) best[i] = c, nn[i] = j;
        }
    }
    long n = 0;
    for (long i = 0; i < num; i++)
        if (nn[i] > i && nn[nn[i]] == i && best[i] >= o->min_cosine)
            out[n++] = (mined_pair){i, nn[i], (float)best[i]};
    /* best first */
    for (long a = 1; a < n; a++)
        for (long b = a; b > 0 && out[b].cosine > out[b - 1].cosine; b--) {
            mined_pair t = out[b];
            out[b] = out[b - 1], out[b - 1] = t;
        }
    if (o->max_pairs > 0 && n > o->max_pairs) n = o->max_pairs;
    free(v), free(nn), free(best);
    return n;
}

static void check_against_brute_force(const pair_miner_options *o, long num, int num_groups,
                                      uint64_t seed, long min_expected) {
    enum { DIM = 24 };
    float *vectors = malloc(sizeof(float) * num * DIM);
    pair_window *windows = malloc(sizeof(pair_window) * num);
    mined_pair *expected = malloc(sizeof(mined_pair) * num);
    make_windows(vectors, windows, num, DIM, num_groups, seed);
    long n_expected = brute_force(vectors, windows, num, DIM, o, expected);
    mined_pair *got = NULL;
    char err[256];
    long n = pair_mine(vectors, windows, num, DIM, o, 2, &got, err, sizeof err);
    ck_assert_msg(n >= 0, "%s", err);
    ck_assert_int_eq(n, n_expected);
    ck_assert_int_ge(n, min_expected);
    for (long p = 0; p < n; p++) {
        /* same set of pairs; order by cosine may swap near-ties only */
        int found = 0;
        for (long q = 0; q < n && !found; q++)
            found = got[p].a == expected[q].a && got[p].b == expected[q].b;
        ck_assert_msg(found, "pair %ld (%ld, %ld) not in the brute-force result", p, got[p].a, got[p].b);
        ck_assert(got[p].a < got[p].b);
        ck_assert(fabsf(got[p].cosine - expected[p].cosine) < 1e-4f);
        ck_assert(got[p].cosine >= o->min_cosine);
        if (p > 0) ck_assert(got[p].cosine <= got[p - 1].cosine);
        const pair_window *wa = &windows[got[p].a], *wb = &windows[got[p].b];
        if (!o->same_group) ck_assert_int_ne(wa->group, wb->group);
        else if (wa->group == wb->group) ck_assert(wa->end <= wb->start || wb->end <= wa->start);
    }
    free(got), free(vectors), free(windows), free(expected);
}

START_TEST(test_matches_brute_force) {
    pair_miner_options o = pair_miner_defaults();
    o.min_cosine = 0.5f;
    check_against_brute_force(&o, 700, 5, 11, 20);    /* more than one block of rows */
    o.center = 0;
    check_against_brute_force(&o, 300, 3, 12, 10);
    o.max_length_ratio = 1.1f;
    check_against_brute_force(&o, 300, 3, 13, 1);
    o.max_length_ratio = 1.5f, o.same_group = 1;
    check_against_brute_force(&o, 300, 1, 14, 10);    /* one group: only non-overlapping pairs */
    o.same_group = 0, o.max_pairs = 5;
    check_against_brute_force(&o, 300, 4, 15, 5);
    o.max_pairs = 0, o.min_cosine = -1.0f;            /* every mutual pair */
    check_against_brute_force(&o, 200, 2, 16, 30);
}
END_TEST

START_TEST(test_no_pairs_in_one_group) {
    enum { NUM = 50, DIM = 8 };
    float vectors[NUM * DIM];
    pair_window windows[NUM];
    make_windows(vectors, windows, NUM, DIM, 1, 5);
    pair_miner_options o = pair_miner_defaults();
    o.min_cosine = -1;
    mined_pair *pairs = (mined_pair *)1;
    char err[256];
    ck_assert_int_eq(pair_mine(vectors, windows, NUM, DIM, &o, 1, &pairs, err, sizeof err), 0);
    ck_assert_ptr_null(pairs);
}
END_TEST

/* Two recordings that say the same words: the mined data holds pairs of
 * windows, each pair a word with two instances. */
START_TEST(test_mined_data_from_speech) {
    const char *dir = test_make_temp_dir();
    char model_path[512], a[512], b[512];
    snprintf(model_path, sizeof model_path, "%s/m.model", dir);
    snprintf(a, sizeof a, "%s", test_fixture_path("audio/speech_a.wav"));
    snprintf(b, sizeof b, "%s", test_fixture_path("audio/speech_b.wav"));
    char err[256];
    test_write_small_model(model_path, 3);
    trainer_options opts = trainer_defaults();
    mined_options mine = mined_defaults();
    mine.pairs.min_cosine = -1;
    const char *files[] = {a, b};
    long num_windows_of[2];
    for (int all = 0; all <= 1; all++) {
        segmenter_options windows = mined_windows(all);
        long num_pairs, num_windows;
        trainer_data *d = trainer_data_load_mined(&opts, model_path, files, 2, &windows, &mine, NULL,
                                                  NULL, &num_pairs, &num_windows, err, sizeof err);
        ck_assert_msg(d != NULL, "%s", err);
        ck_assert_int_gt(num_pairs, 0);
        ck_assert_int_le(num_pairs, 15); /* 15 a minute: the two recordings are < 1 min */
        long num_segments, num_frames;
        int num_files, num_words;
        trainer_data_summary(d, &num_segments, &num_frames, &num_files, &num_words);
        ck_assert_int_eq(num_files, 2);
        ck_assert_int_eq(num_words, num_pairs);       /* one "word" per pair */
        ck_assert_int_eq(num_segments, 2 * num_pairs); /* both of its windows */
        trainer_data_free(d);
        num_windows_of[all] = num_windows;
    }
    /* the windows after pauses are far fewer than all the windows */
    ck_assert_int_lt(3 * num_windows_of[0], num_windows_of[1]);
}
END_TEST

int main(void) {
    Suite *s = suite_create("pair_miner");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_matches_brute_force);
    tcase_add_test(tc, test_no_pairs_in_one_group);
    tcase_add_test(tc, test_mined_data_from_speech);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
