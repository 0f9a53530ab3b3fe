/* Text queries on CTC posteriors: the packed posteriorgram round-trips
 * (pruning, rounding, runs of blank frames, chunks) and refuses damaged
 * data; the spotting score of each end frame equals a brute-force maximum
 * over every span and every CTC alignment of the labels, on random small
 * cases; a phrase planted in posteriors is found where it was planted. */
#include "phrase_spot.h"
#include "posteriorgram.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Random log-softmax frames. */
static void random_log_probs(float *lp, int T, int C, uint64_t *rng, float spread) {
    for (int t = 0; t < T; t++) {
        float *f = lp + t * C, max = -INFINITY, sum = 0;
        for (int c = 0; c < C; c++) f[c] = spread * test_random_uniform(rng), max = fmaxf(max, f[c]);
        for (int c = 0; c < C; c++) sum += expf(f[c] - max);
        for (int c = 0; c < C; c++) f[c] -= max + logf(sum);
    }
}

START_TEST(test_round_trip) {
    enum { C = 5, T1 = 300, T2 = 7 };
    uint64_t rng = 5;
    float *a = malloc(sizeof(float) * T1 * C), b[T2 * C];
    random_log_probs(a, T1, C, &rng, 6.0f);
    for (int t = 10; t < 290; t++) /* a long stretch of sure blanks: runs */
        for (int c = 0; c < C; c++) a[t * C + c] = c == 0 ? -1e-4f : -12.0f;
    random_log_probs(b, T2, C, &rng, 3.0f);
    posteriorgram_writer w;
    ck_assert_int_eq(posteriorgram_writer_init(&w, C, -5.0f, 10, 25), 0);
    ck_assert_int_eq(posteriorgram_add_chunk(&w, 100, a, T1), 0);
    ck_assert_int_eq(posteriorgram_add_chunk(&w, 1000, b, T2), 0);
    ck_assert_int_lt(w.size, 16 + 8 * 2 + 20 * (1 + 2 * C) + 3 + T2 * (1 + 2 * C));

    posteriorgram_reader r;
    char err[128];
    ck_assert_int_eq(posteriorgram_reader_init(&r, w.data, w.size, err, sizeof err), 0);
    ck_assert_int_eq(r.frame_shift_ms, 10);
    ck_assert_int_eq(r.frame_length_ms, 25);
    float *out = malloc(sizeof(float) * T1 * C);
    long start;
    int n;
    const float *want[2] = {a, b};
    const long starts[2] = {100, 1000};
    const int lengths[2] = {T1, T2};
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(posteriorgram_next_chunk(&r, &start, &n, out, T1, err, sizeof err), 1);
        ck_assert_int_eq(start, starts[k]);
        ck_assert_int_eq(n, lengths[k]);
        for (int t = 0; t < n; t++) {
            const float *f = want[k] + t * C;
            int blank_only = 1;
            for (int c = 1; c < C; c++) blank_only &= f[c] < -5.0f;
            for (int c = 0; c < C; c++) {
                float expect = f[c] < -5.0f ? -5.0f : roundf(f[c] * 16) / 16;
                if (blank_only) expect = c == 0 ? 0.0f : -5.0f;
                ck_assert_msg(fabsf(out[t * C + c] - expect) < 1e-6f, "chunk %d frame %d class %d: %f, wanted %f",
                              k, t, c, out[t * C + c], expect);
            }
        }
    }
    ck_assert_int_eq(posteriorgram_next_chunk(&r, &start, &n, out, T1, err, sizeof err), 0);

    /* Damaged: cut short, bad magic, a chunk longer than the room. */
    ck_assert_int_eq(posteriorgram_reader_init(&r, w.data, w.size - 3, err, sizeof err), 0);
    int rc;
    while ((rc = posteriorgram_next_chunk(&r, &start, &n, out, T1, err, sizeof err)) == 1) {}
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, "damaged") != NULL, "%s", err);
    ck_assert_int_eq(posteriorgram_reader_init(&r, w.data, w.size, err, sizeof err), 0);
    ck_assert_int_eq(posteriorgram_next_chunk(&r, &start, &n, out, T1 - 1, err, sizeof err), -1);
    w.data[0] = 'X';
    ck_assert_int_eq(posteriorgram_reader_init(&r, w.data, w.size, err, sizeof err), -1);
    posteriorgram_writer_free(&w);
    free(a);
    free(out);
}
END_TEST

/* Brute force: every span [s, e] and every class sequence over it whose
 * CTC collapse is the labels. */
static double brute_best_ending_at(const float *lp, int e, int C, const int *labels, int L) {
    double best = -INFINITY;
    for (int s = 0; s <= e; s++) {
        int n = e - s + 1;
        long total = 1;
        for (int k = 0; k < n; k++) total *= C;
        for (long code = 0; code < total; code++) {
            int path[16], collapsed[16], m = 0;
            long x = code;
            for (int k = 0; k < n; k++) path[k] = (int)(x % C), x /= C;
            for (int k = 0; k < n; k++)
                if (path[k] != 0 && (k == 0 || path[k] != path[k - 1]) && m < 16) collapsed[m++] = path[k];
            if (m != L || memcmp(collapsed, labels, sizeof(int) * L) != 0) continue;
            double score = 0;
            for (int k = 0; k < n; k++) {
                const float *f = lp + (s + k) * C;
                float top = f[0];
                for (int c = 1; c < C; c++) top = fmaxf(top, f[c]);
                score += f[path[k]] - top;
            }
            if (score > best) best = score;
        }
    }
    return best;
}

START_TEST(test_spot_matches_brute_force) {
    enum { C = 3, T = 6 };
    uint64_t rng = 21;
    float lp[T * C];
    phrase_spot_span spans[T];
    for (int trial = 0; trial < 200; trial++) {
        random_log_probs(lp, T, C, &rng, 3.0f);
        phrase_spot_normalise(lp, T, C); /* the brute force subtracts each frame's best too */
        int L = 1 + trial % 3, labels[3];
        for (int k = 0; k < L; k++) labels[k] = 1 + (int)((test_random_uniform(&rng) + 1) * 0.999);
        phrase_spotter s;
        ck_assert_int_eq(phrase_spotter_init(&s, labels, L), 0);
        phrase_spot_chunk(&s, lp, T, C, spans);
        for (int e = 0; e < T; e++) {
            double want = brute_best_ending_at(lp, e, C, labels, L);
            if (isinf(want)) {
                ck_assert_msg(isinf(spans[e].log_ratio), "trial %d e %d: %f, wanted none", trial, e,
                              spans[e].log_ratio);
                continue;
            }
            ck_assert_msg(fabs(spans[e].log_ratio - want) < 1e-4, "trial %d e %d: %f, wanted %f", trial,
                          e, spans[e].log_ratio, want);
            ck_assert_int_eq(spans[e].end_frame, e);
            /* The reported start achieves it. */
            float sub[T * C];
            int n = e - spans[e].start_frame + 1;
            memcpy(sub, lp + spans[e].start_frame * C, sizeof(float) * n * C);
            ck_assert(brute_best_ending_at(sub, n - 1, C, labels, L) >= want - 1e-4);
        }
        phrase_spotter_free(&s);
    }
}
END_TEST

START_TEST(test_spot_finds_planted_phrase) {
    enum { C = 6, T = 40 };
    float lp[T * C];
    for (int t = 0; t < T; t++)
        for (int c = 0; c < C; c++) lp[t * C + c] = c == 0 ? -0.01f : -6.0f;
    /* "3 4 4" said at frames 20..25: 3 at 20, 4 at 22, blank, 4 at 24. */
    const int at[] = {20, 22, 24}, cls[] = {3, 4, 4};
    for (int k = 0; k < 3; k++) lp[at[k] * C + 0] = -6.0f, lp[at[k] * C + cls[k]] = -0.01f;
    phrase_spot_normalise(lp, T, C);
    int labels[] = {3, 4, 4};
    phrase_spotter s;
    ck_assert_int_eq(phrase_spotter_init(&s, labels, 3), 0);
    phrase_spot_span spans[T];
    phrase_spot_chunk(&s, lp, T, C, spans);
    int best = 0;
    for (int e = 1; e < T; e++)
        if (spans[e].log_ratio > spans[best].log_ratio) best = e;
    ck_assert_int_eq(spans[best].end_frame, 24);
    ck_assert_int_le(spans[best].start_frame, 20);
    ck_assert_int_ge(spans[best].start_frame, 19);
    ck_assert(spans[best].log_ratio > -1e-3);
    ck_assert(phrase_spot_score(spans[best].log_ratio, 3) > 0.99);
    /* "3 4" without a blank between the two 4s cannot be "3 4 4". */
    int other[] = {4, 4};
    phrase_spotter s2;
    ck_assert_int_eq(phrase_spotter_init(&s2, other, 2), 0);
    phrase_spot_chunk(&s2, lp, T, C, spans);
    ck_assert(spans[24].log_ratio > -1e-3); /* 4 _ 4 at 22..24 */
    phrase_spotter_free(&s);
    phrase_spotter_free(&s2);
}
END_TEST

int main(void) {
    Suite *s = suite_create("phrase_spot");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_spot_matches_brute_force);
    tcase_add_test(tc, test_spot_finds_planted_phrase);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
