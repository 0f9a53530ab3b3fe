/* The VAD's energies with the noise floor out (noise_floor.h): the arithmetic
 * on made-up mel energies, clean audio left exactly as it is, and real speech
 * in steady noise found as in silence. */
#include "feature_pipeline.h"
#include "noise_floor.h"
#include "test_util.h"
#include "vad.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RATE = 16000, PAD = 16000, MEL = 4, FRAMES = 200 };

/* The first `count` of FRAMES frames of MEL bins: the first `noise_frames`
 * at log power 0 (noise alone), the rest at speech_log_power in every bin. */
static noise_floor_frames *make_frames(long count, int noise_frames, float speech_log_power) {
    noise_floor_frames *frames = noise_floor_frames_new(MEL);
    ck_assert_ptr_nonnull(frames);
    for (long t = 0; t < count; t++) {
        float log_mel[MEL];
        for (int m = 0; m < MEL; m++) log_mel[m] = t < noise_frames ? 0.0f : speech_log_power;
        ck_assert_int_eq(noise_floor_frames_add(frames, log_mel), 0);
    }
    return frames;
}

START_TEST(test_noise_frames_drop_speech_stays) {
    noise_floor_frames *frames = make_frames(FRAMES, 100, logf(100.0f)); /* speech 20 dB up: noisy */
    float energy[FRAMES];
    for (int t = 0; t < FRAMES; t++) energy[t] = 10.0f;
    noise_floor_options options = noise_floor_defaults();
    ck_assert_int_eq(noise_floor_lower_energies(frames, energy, &options), 1);
    /* noise alone: max(1 - 2 * 1, 0.05) of its power is left */
    ck_assert_float_eq_tol(energy[0], 10.0f + logf(0.05f), 1e-3f);
    /* speech: (100 - 2) / 100 of its power is left (the stored energies are
     * within 0.0005 of the given ones) */
    ck_assert_float_eq_tol(energy[FRAMES - 1], 10.0f + logf(0.98f), 1e-3f);
    noise_floor_frames_free(frames);
}
END_TEST

START_TEST(test_quiet_noise_and_short_recordings_left_alone) {
    float energy[FRAMES];
    for (int t = 0; t < FRAMES; t++) energy[t] = 10.0f;
    noise_floor_options options = noise_floor_defaults();
    noise_floor_frames *clean = make_frames(FRAMES, 100, logf(1e4f)); /* 40 dB up (37 dB mean) */
    ck_assert_int_eq(noise_floor_lower_energies(clean, energy, &options), 0);
    noise_floor_frames *noisy_but_short = make_frames(options.min_frames - 1, 50, logf(100.0f));
    ck_assert_int_eq(noise_floor_lower_energies(noisy_but_short, energy, &options), 0);
    noise_floor_frames *noisy = make_frames(FRAMES, 100, logf(100.0f));
    options.over_subtraction = 0.0f;
    ck_assert_int_eq(noise_floor_lower_energies(noisy, energy, &options), 0);
    for (int t = 0; t < FRAMES; t++) ck_assert_float_eq(energy[t], 10.0f);
    noise_floor_frames_free(clean);
    noise_floor_frames_free(noisy_but_short);
    noise_floor_frames_free(noisy);
}
END_TEST

static float *speech;
static long num_speech;

static void load_speech(void) {
    speech = test_load_fixture_audio("audio/speech_a.wav", RATE, RATE * 10, &num_speech);
}

/* speech_a with a second each side, white noise of `snr_db` below the
 * speech's power added everywhere (none when snr_db is infinite). */
static float *speech_in_noise(double snr_db, long *n) {
    *n = num_speech + 2 * PAD;
    float *x = calloc(*n, sizeof(float));
    memcpy(x + PAD, speech, sizeof(float) * num_speech);
    double power = 0.0;
    for (long i = 0; i < num_speech; i++) power += (double)speech[i] * speech[i];
    /* uniform noise in [-a, a] has power a^2 / 3 */
    float a = isinf(snr_db) ? 0.0f : (float)sqrt(3.0 * power / num_speech * pow(10.0, -snr_db / 10.0));
    uint64_t state = 42;
    for (long i = 0; i < *n; i++) x[i] += a * test_random_uniform(&state);
    return x;
}

/* The frames of x the VAD calls speech (malloc'ed), with the noise floor
 * taken out of its energies or not; their count in *num_frames. */
static unsigned char *speech_frames(const float *x, long n, int noise_floor, long *num_frames) {
    feature_options options = features_model_defaults();
    if (!noise_floor) options.noise_floor.over_subtraction = 0.0f;
    feature_matrix frames;
    char err[256];
    ck_assert_msg(features_compute_samples(x, n, &options, NULL, &frames, err, sizeof err) == 0, "%s", err);
    unsigned char *is_speech = malloc(frames.num_frames);
    vad_options vad = vad_defaults();
    ck_assert_int_ge(vad_speech_frames(frames.log_energy, frames.num_frames, 400, &vad, is_speech), 0);
    *num_frames = frames.num_frames;
    features_free(&frames);
    return is_speech;
}

START_TEST(test_clean_speech_unchanged) {
    long n, frames_on, frames_off;
    float *x = speech_in_noise(INFINITY, &n);
    unsigned char *on = speech_frames(x, n, 1, &frames_on);
    unsigned char *off = speech_frames(x, n, 0, &frames_off);
    ck_assert_int_eq(frames_on, frames_off);
    ck_assert_mem_eq(on, off, frames_on);
    free(x);
    free(on);
    free(off);
}
END_TEST

/* Frames on which two speech decisions differ. */
static long disagreements(const unsigned char *a, const unsigned char *b, long n) {
    long count = 0;
    for (long t = 0; t < n; t++) count += a[t] != b[t];
    return count;
}

START_TEST(test_speech_in_noise_found_as_in_silence) {
    long n, num_frames;
    float *clean = speech_in_noise(INFINITY, &n);
    float *noisy = speech_in_noise(5.0, &n);
    unsigned char *reference = speech_frames(clean, n, 0, &num_frames);
    unsigned char *with = speech_frames(noisy, n, 1, &num_frames);
    unsigned char *without = speech_frames(noisy, n, 0, &num_frames);
    long wrong_with = disagreements(reference, with, num_frames);
    long wrong_without = disagreements(reference, without, num_frames);
    fprintf(stderr, "speech frames unlike the clean recording's: %ld with the noise floor out, "
            "%ld without (of %ld)\n", wrong_with, wrong_without, num_frames);
    ck_assert_int_lt(wrong_with, wrong_without);
    ck_assert_int_lt(wrong_with, num_frames / 8);
    free(clean);
    free(noisy);
    free(reference);
    free(with);
    free(without);
}
END_TEST

int main(void) {
    load_speech();
    Suite *suite = suite_create("frontend_noise_floor");
    TCase *tc = tcase_create("noise_floor");
    tcase_add_test(tc, test_noise_frames_drop_speech_stays);
    tcase_add_test(tc, test_quiet_noise_and_short_recordings_left_alone);
    tcase_add_test(tc, test_clean_speech_unchanged);
    tcase_add_test(tc, test_speech_in_noise_found_as_in_silence);
    suite_add_tcase(suite, tc);
    int status = test_run_suite(suite);
    free(speech);
    return status;
}
