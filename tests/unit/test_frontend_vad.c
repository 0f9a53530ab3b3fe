/* The VAD on real speech (a committed recording) placed in silence, in
 * steady white noise at 10 dB SNR, and on silence and pure noise alone. */
#include "feature_pipeline.h"
#include "test_util.h"
#include "vad.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RATE = 16000, PAD = 16000 }; /* one second of padding each side */

static float *speech;
static long num_speech;

static void load_speech(void) {
    speech = test_load_fixture_audio("audio/speech_a.wav", RATE, RATE * 10, &num_speech);
}

static double power(const float *x, long n) {
    double p = 0.0;
    for (long i = 0; i < n; i++) p += (double)x[i] * x[i];
    return p / n;
}

/* Runs the VAD on samples; returns the number of regions, first in *first. */
static long detect(const float *samples, long n, vad_region *first) {
    feature_options options = features_model_defaults();
    feature_matrix frames;
    char err[256];
    ck_assert(features_compute_samples(samples, n, &options, NULL, &frames, err, sizeof err) == 0);
    vad_options vad = vad_defaults();
    vad_region regions[64];
    long num = vad_detect(frames.log_energy, frames.num_frames, 400, &vad, regions, 64);
    if (num > 0) *first = regions[0];
    features_free(&frames);
    return num;
}

/* speech_a padded with a second of `noise_scale` white noise each side, the
 * noise also added under the speech. */
static float *padded_speech(float noise_scale, long *n) {
    *n = num_speech + 2 * PAD;
    float *x = calloc(*n, sizeof(float));
    memcpy(x + PAD, speech, sizeof(float) * num_speech);
    uint64_t state = 42;
    for (long i = 0; i < *n; i++) x[i] += noise_scale * test_random_uniform(&state);
    return x;
}

START_TEST(test_speech_in_silence) {
    long n;
    float *x = padded_speech(0.0f, &n);
    vad_region r;
    ck_assert_int_ge(detect(x, n, &r), 1);
    /* Speech starts after the padding (frame 100) give or take the padding frames. */
    ck_assert_int_ge(r.start_frame, 90);
    ck_assert_int_le(r.start_frame, 140);
    free(x);
}
END_TEST

START_TEST(test_speech_in_noise_10db) {
    /* Uniform noise in [-a, a] has power a^2 / 3; choose a for 10 dB SNR. */
    double speech_power = power(speech, num_speech);
    float a = (float)sqrt(3.0 * speech_power / 10.0);
    long n;
    float *x = padded_speech(a, &n);
    vad_region r;
    long num = detect(x, n, &r);
    ck_assert_int_ge(num, 1);
    ck_assert_int_ge(r.start_frame, 80);
    ck_assert_int_le(r.start_frame, 160);
    free(x);
}
END_TEST

START_TEST(test_nothing_in_silence_or_noise) {
    long n = 3 * RATE;
    float *x = calloc(n, sizeof(float));
    vad_region r;
    ck_assert_int_eq(detect(x, n, &r), 0);
    uint64_t state = 7;
    for (long i = 0; i < n; i++) x[i] = 0.3f * test_random_uniform(&state);
    ck_assert_int_eq(detect(x, n, &r), 0);
    for (long i = 0; i < n; i++) x[i] = 0.001f * test_random_uniform(&state);
    ck_assert_int_eq(detect(x, n, &r), 0);
    free(x);
}
END_TEST

int main(void) {
    load_speech();
    Suite *suite = suite_create("frontend_vad");
    TCase *tc = tcase_create("vad");
    tcase_add_test(tc, test_speech_in_silence);
    tcase_add_test(tc, test_speech_in_noise_10db);
    tcase_add_test(tc, test_nothing_in_silence_or_noise);
    suite_add_tcase(suite, tc);
    int status = test_run_suite(suite);
    free(speech);
    return status;
}
