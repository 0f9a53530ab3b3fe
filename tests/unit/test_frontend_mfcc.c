/* The frontend's MFCC against references: torchaudio's Kaldi-compatible MFCC
 * on committed recordings (fixtures made by scripts/make-mfcc-reference.py),
 * Kaldi's delta filter, and 8 kHz / wideband comparability of model frames. */
#include "audio_reader.h"
#include "feature_pipeline.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Loads a reference matrix; returns its values (caller frees) or NULL. */
static float *load_reference(const char *name, long *num_rows, int *num_cols) {
    char file[256];
    snprintf(file, sizeof file, "mfcc_ref/%s.txt", name);
    FILE *f = fopen(test_fixture_path(file), "r");
    if (!f) return NULL;
    if (fscanf(f, "%ld %d", num_rows, num_cols) != 2) {
        fclose(f);
        return NULL;
    }
    float *values = malloc(sizeof(float) * *num_rows * *num_cols);
    for (long i = 0; i < *num_rows * *num_cols; i++)
        ck_assert_int_eq(fscanf(f, "%f", &values[i]), 1);
    fclose(f);
    return values;
}

static void check_against_torchaudio(const char *name) {
    long num_rows;
    int num_cols;
    float *reference = load_reference(name, &num_rows, &num_cols);
    ck_assert_msg(reference != NULL, "missing reference for %s", name);
    char audio[256], err[256];
    snprintf(audio, sizeof audio, "audio/%s.wav", name);
    mfcc_options options = mfcc_kaldi_defaults();
    feature_matrix frames;
    ck_assert_msg(features_compute_static(test_fixture_path(audio), &options, &frames, err,
                                          sizeof err) == 0, "%s", err);
    ck_assert_int_eq(frames.num_frames, num_rows);
    ck_assert_int_eq(frames.dim, num_cols);
    double max_diff = 0.0;
    for (long i = 0; i < num_rows * num_cols; i++) {
        double diff = fabs(frames.data[i] - reference[i]);
        if (diff > max_diff) max_diff = diff;
    }
    printf("%s: %ld frames, max |s2s - torchaudio| = %.2e\n", name, num_rows, max_diff);
    ck_assert_msg(max_diff < 1e-3, "%s: max difference %g", name, max_diff);
    features_free(&frames);
    free(reference);
}

START_TEST(test_raw_mfcc_matches_torchaudio) {
    check_against_torchaudio("speech_a");
    check_against_torchaudio("speech_b");
    check_against_torchaudio("speech_c");
}
END_TEST

/* Deltas of a linear ramp are its slope inside, and Kaldi's clamped edges. */
START_TEST(test_deltas_of_ramp) {
    enum { T = 12, C = 1 };
    float frames[T * 3];
    for (int t = 0; t < T; t++) frames[t * 3] = 2.0f * t;
    features_add_deltas(frames, T, C, 2, 2);
    for (int t = 4; t < T - 4; t++) {
        ck_assert_float_eq_tol(frames[t * 3 + 1], 2.0f, 1e-5f);
        ck_assert_float_eq_tol(frames[t * 3 + 2], 0.0f, 1e-5f);
    }
    /* At t = 0 the window sees frames clamped to 0: (1*(2-0) + 2*(4-0)) / 10 = 1. */
    ck_assert_float_eq_tol(frames[0 * 3 + 1], 1.0f, 1e-5f);
}
END_TEST

/* Mean Euclidean distance per frame between two frame matrices over the
 * frames both have. */
static double mean_frame_distance(const feature_matrix *a, const feature_matrix *b) {
    long n = a->num_frames < b->num_frames ? a->num_frames : b->num_frames;
    double total = 0.0;
    for (long t = 0; t < n; t++) {
        double d2 = 0.0;
        for (int d = 0; d < a->dim; d++) {
            double diff = a->data[t * a->dim + d] - b->data[t * b->dim + d];
            d2 += diff * diff;
        }
        total += sqrt(d2);
    }
    return total / n;
}

/* The same utterance at 16 kHz and through 8 kHz must give model frames much
 * closer to each other than to another utterance. */
START_TEST(test_narrowband_matches_wideband) {
    feature_options options = features_model_defaults();
    feature_matrix wide, narrow, other;
    char err[256];
    ck_assert_msg(features_compute(test_fixture_path("audio/speech_a.wav"), &options, NULL, &wide,
                                   err, sizeof err) == 0, "%s", err);
    ck_assert_msg(features_compute(test_fixture_path("audio/speech_a_8k.wav"), &options, NULL,
                                   &narrow, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(features_compute(test_fixture_path("audio/speech_b.wav"), &options, NULL, &other,
                                   err, sizeof err) == 0, "%s", err);
    double same = mean_frame_distance(&wide, &narrow);
    double different = mean_frame_distance(&wide, &other);
    printf("8 kHz vs 16 kHz, same words: %.2f; other words: %.2f (ratio %.2f)\n", same, different,
           same / different);
    ck_assert_msg(same < 0.15 * different, "narrowband %.2f vs other %.2f", same, different);
    features_free(&wide);
    features_free(&narrow);
    features_free(&other);
}
END_TEST

/* Resampling keeps the duration and the frame count consistent. */
START_TEST(test_resampled_inputs_frame_alike) {
    mfcc_options options = mfcc_kaldi_defaults();
    const char *names[] = {"audio/speech_a.wav", "audio/speech_a_8k.wav",
                           "audio/speech_a_44k_stereo.wav", "audio/speech_a.flac"};
    long first = -1;
    for (int i = 0; i < 4; i++) {
        feature_matrix frames;
        char err[256];
        ck_assert_msg(features_compute_static(test_fixture_path(names[i]), &options, &frames, err,
                                              sizeof err) == 0, "%s: %s", names[i], err);
        if (first < 0) first = frames.num_frames;
        ck_assert_msg(labs(frames.num_frames - first) <= 1, "%s: %ld frames vs %ld", names[i],
                      frames.num_frames, first);
        features_free(&frames);
    }
}
END_TEST

int main(void) {
    Suite *suite = suite_create("frontend_mfcc");
    TCase *tc = tcase_create("mfcc");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_raw_mfcc_matches_torchaudio);
    tcase_add_test(tc, test_deltas_of_ramp);
    tcase_add_test(tc, test_narrowband_matches_wideband);
    tcase_add_test(tc, test_resampled_inputs_frame_alike);
    suite_add_tcase(suite, tc);
    return test_run_suite(suite);
}
