/* Sliding cepstral mean normalisation against a brute-force computation. */
#include "feature_pipeline.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The mean of the speech rows of [t - half, t + half), else of all speech rows. */
static void brute_force(const float *in, float *out, long n, int dim, const unsigned char *speech,
                        int window) {
    long half = window / 2;
    for (long t = 0; t < n; t++) {
        double sum[8] = {0}, all[8] = {0};
        long count = 0, num_all = 0;
        for (long u = 0; u < n; u++) {
            if (!speech[u]) continue;
            for (int d = 0; d < dim; d++) all[d] += in[u * dim + d];
            num_all++;
            if (u < t - half || u >= t + half) continue;
            for (int d = 0; d < dim; d++) sum[d] += in[u * dim + d];
            count++;
        }
        for (int d = 0; d < dim; d++)
            out[t * dim + d] = in[t * dim + d] - (float)(count ? sum[d] / count : all[d] / num_all);
    }
}

START_TEST(test_sliding_mean_matches_brute_force) {
    enum { N = 200, DIM = 5 };
    uint64_t state = 3;
    float in[N * DIM], expected[N * DIM], got[N * DIM];
    unsigned char speech[N];
    for (int i = 0; i < N * DIM; i++) in[i] = 10.0f * test_random_uniform(&state);
    for (int t = 0; t < N; t++) speech[t] = (t / 30) % 3 != 1 && test_random_uniform(&state) > -0.6f;
    int windows[] = {2, 10, 25, 60, 1000};
    for (int w = 0; w < 5; w++) {
        memcpy(got, in, sizeof in);
        features_subtract_sliding_mean(got, N, DIM, speech, windows[w]);
        brute_force(in, expected, N, DIM, speech, windows[w]);
        for (int i = 0; i < N * DIM; i++)
            ck_assert_msg(fabsf(got[i] - expected[i]) < 1e-4f, "window %d, value %d: %f vs %f",
                          windows[w], i, got[i], expected[i]);
    }
}
END_TEST

START_TEST(test_no_speech_changes_nothing) {
    float frames[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, copy[12];
    unsigned char speech[4] = {0};
    memcpy(copy, frames, sizeof frames);
    features_subtract_sliding_mean(frames, 4, 3, speech, 600);
    ck_assert_mem_eq(frames, copy, sizeof frames);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("frontend_cmn");
    TCase *tc = tcase_create("cmn");
    tcase_add_test(tc, test_sliding_mean_matches_brute_force);
    tcase_add_test(tc, test_no_speech_changes_nothing);
    suite_add_tcase(suite, tc);
    return test_run_suite(suite);
}
