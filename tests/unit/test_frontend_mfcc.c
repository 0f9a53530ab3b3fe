/* The frontend's MFCC against references: torchaudio's Kaldi-compatible MFCC
 * on committed recordings (fixtures made by scripts/make-mfcc-reference.py),
 * Kaldi's delta filter, and 8 kHz / wideband comparability of model frames. */
#include "audio_reader.h"
#include "feature_pipeline.h"
#include "test_util.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Log mel energies recovered exactly from all num_mel cepstra of a frame
 * (no lifter, orthonormal DCT-II inverted). */
static void cepstra_to_log_mel(const float *cepstra, double *log_mel, int num_mel) {
    for (int b = 0; b < num_mel; b++) {
        log_mel[b] = 0;
        for (int k = 0; k < num_mel; k++)
            log_mel[b] += (k == 0 ? sqrt(1.0 / num_mel) : sqrt(2.0 / num_mel)) *
                          cos(M_PI / num_mel * (b + 0.5) * k) * cepstra[k];
    }
}

/* Model MFCC options that keep every cepstrum, unliftered, so that
 * cepstra_to_log_mel can invert them. */
static mfcc_options invertible_options(int num_mel) {
    mfcc_options o = mfcc_model_defaults();
    o.num_ceps = num_mel, o.num_mel_bins = num_mel, o.cepstral_lifter = 0;
    return o;
}

/* Log mel energies of one frame of a tone. */
static void tone_log_mel(float warp, double tone_hz, double *log_mel, int num_mel) {
    mfcc_options o = invertible_options(num_mel);
    o.vtln_warp = warp;
    char err[256];
    mfcc_computer *m = mfcc_build(&o, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    int n = mfcc_frame_length(m);
    float *samples = malloc(sizeof(float) * n), cepstra[64];
    for (int i = 0; i < n; i++)
        samples[i] = (float)(10000.0 * sin(2 * M_PI * tone_hz * i / o.sample_rate_hz));
    mfcc_compute_frame(m, samples, cepstra);
    cepstra_to_log_mel(cepstra, log_mel, num_mel);
    free(samples);
    mfcc_free(m);
}

static int argmax(const double *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* A 1500 Hz tone scaled up by 1.15 lands 1-2 mel filters higher, scaled
 * down by it 1-2 lower (300-3400 Hz in 24 mel steps of ~65 mel; x1.15 is
 * ~1.5 steps). */
static void expect_peak_moved(int peak, int peak_up, int peak_down) {
    ck_assert_int_ge(peak_up - peak, 1);
    ck_assert_int_le(peak_up - peak, 2);
    ck_assert_int_ge(peak - peak_down, 1);
    ck_assert_int_le(peak - peak_down, 2);
}

/* Vocal tract length perturbation: warp 1 is no warp at all (bit for bit),
 * a factor above 1 moves a tone's energy to higher mel filters (a shorter
 * vocal tract: formants higher), below 1 to lower ones, by about as many
 * filters as the frequency ratio spans on the mel scale; out-of-range
 * factors are refused. */
START_TEST(test_vtln_warp_moves_a_tone) {
    enum { NUM_MEL = 23 };
    double plain[NUM_MEL], one[NUM_MEL], up[NUM_MEL], down[NUM_MEL];
    tone_log_mel(0.0f, 1500, plain, NUM_MEL);
    tone_log_mel(1.0f, 1500, one, NUM_MEL);
    for (int b = 0; b < NUM_MEL; b++)
        ck_assert(plain[b] == one[b]);
    tone_log_mel(1.15f, 1500, up, NUM_MEL);
    tone_log_mel(1 / 1.15f, 1500, down, NUM_MEL);
    int peak = argmax(plain, NUM_MEL), peak_up = argmax(up, NUM_MEL), peak_down = argmax(down, NUM_MEL);
    printf("tone at 1500 Hz: peak in mel filter %d, warp 1.15: %d, warp 1/1.15: %d\n", peak,
           peak_up, peak_down);
    expect_peak_moved(peak, peak_up, peak_down);
    mfcc_options bad = mfcc_model_defaults();
    bad.vtln_warp = 3.0f;
    char err[256];
    ck_assert_ptr_null(mfcc_build(&bad, err, sizeof err));
}
END_TEST

/* Writes 2 s of a 1500 Hz tone at 16 kHz to a temporary WAV; its path. */
static const char *write_tone_file(void) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/tone.wav", test_make_temp_dir());
    SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    ck_assert_msg(f != NULL, "cannot write %s", path);
    enum { N = 32000 };
    static float samples[N];
    for (int i = 0; i < N; i++)
        samples[i] = (float)(0.3 * sin(2 * M_PI * 1500.0 * i / 16000.0));
    sf_writef_float(f, samples, N);
    sf_close(f);
    return path;
}

/* Static MFCC of a file at a speed; the peak mel filter of its middle
 * frame in *peak, its frame count returned. */
static long speed_frames(const char *path, float speed, int *peak, float **first_values) {
    enum { NUM_MEL = 23 };
    mfcc_options o = invertible_options(NUM_MEL);
    o.speed = speed;
    feature_matrix fm;
    char err[256];
    ck_assert_msg(features_compute_static(path, &o, &fm, err, sizeof err) == 0, "%s", err);
    double log_mel[NUM_MEL];
    cepstra_to_log_mel(fm.data + fm.num_frames / 2 * fm.dim, log_mel, NUM_MEL);
    *peak = argmax(log_mel, NUM_MEL);
    long n = fm.num_frames;
    if (first_values) {
        *first_values = malloc(sizeof(float) * n * fm.dim);
        memcpy(*first_values, fm.data, sizeof(float) * n * fm.dim);
    }
    features_free(&fm);
    return n;
}

/* Speed perturbation: speed 1 is none (bit for bit, as 0), speed S leaves
 * 1/S of the frames and moves a tone's energy up by S on the frequency
 * axis (about as far as a VTLN warp of S); out-of-range speeds are refused. */
START_TEST(test_speed_scales_time_and_frequency) {
    const char *path = write_tone_file();
    int peak, peak_one, peak_up, peak_down;
    float *none, *one;
    long frames = speed_frames(path, 0.0f, &peak, &none);
    ck_assert_int_eq(speed_frames(path, 1.0f, &peak_one, &one), frames);
    ck_assert(memcmp(none, one, sizeof(float) * frames * 23) == 0);
    free(none), free(one);
    long frames_up = speed_frames(path, 1.15f, &peak_up, NULL);
    long frames_down = speed_frames(path, 1 / 1.15f, &peak_down, NULL);
    printf("tone file: %ld frames, peak filter %d; speed 1.15: %ld frames, peak %d; "
           "speed 1/1.15: %ld frames, peak %d\n", frames, peak, frames_up, peak_up, frames_down,
           peak_down);
    ck_assert_int_le(labs(frames_up - lround(frames / 1.15)), 2);
    ck_assert_int_le(labs(frames_down - lround(frames * 1.15)), 2);
    expect_peak_moved(peak, peak_up, peak_down);
    mfcc_options bad = mfcc_model_defaults();
    bad.speed = 3.0f;
    char err[256];
    ck_assert_ptr_null(mfcc_build(&bad, err, sizeof err));
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
    tcase_add_test(tc, test_vtln_warp_moves_a_tone);
    tcase_add_test(tc, test_speed_scales_time_and_frequency);
    suite_add_tcase(suite, tc);
    return test_run_suite(suite);
}
