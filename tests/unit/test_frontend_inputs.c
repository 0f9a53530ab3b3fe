/* The frontend on awkward and bad inputs: each gives finite frames or a clear
 * error, never a crash, -inf or NaN. Inputs are written here with
 * libsndfile into a temporary folder. */
#include "audio_reader.h"
#include "feature_pipeline.h"
#include "test_util.h"
#include "vad.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *temp_dir;

static const char *temp_path(const char *name) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", temp_dir, name);
    return path;
}

/* Writes num_frames frames of channels interleaved samples from fill(). */
static void write_audio(const char *path, int rate_hz, int channels, int format, long num_frames,
                        float (*fill)(long i, int rate_hz)) {
    SF_INFO info = {.samplerate = rate_hz, .channels = channels, .format = format};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    ck_assert_msg(f != NULL, "cannot write %s: %s", path, sf_strerror(NULL));
    float *samples = malloc(sizeof(float) * (num_frames > 0 ? num_frames : 1) * channels);
    for (long i = 0; i < num_frames; i++)
        for (int c = 0; c < channels; c++) samples[i * channels + c] = fill(i, rate_hz);
    if (num_frames > 0) sf_writef_float(f, samples, num_frames);
    sf_close(f);
    free(samples);
}

static float tone(long i, int rate_hz) { return 0.3f * sinf(2.0f * (float)M_PI * 440.0f * i / rate_hz); }
static float zero(long i, int rate_hz) { (void)i; (void)rate_hz; return 0.0f; }
static float nan_at_100(long i, int rate_hz) { (void)rate_hz; return i == 100 ? NAN : 0.1f; }

static void expect_finite_frames(const char *path, long min_frames) {
    feature_options options = features_model_defaults();
    feature_matrix frames;
    char err[256];
    ck_assert_msg(features_compute(path, &options, NULL, &frames, err, sizeof err) == 0, "%s: %s",
                  path, err);
    ck_assert_int_ge(frames.num_frames, min_frames);
    for (long i = 0; i < frames.num_frames * frames.dim; i++)
        ck_assert_msg(isfinite(frames.data[i]), "%s: value %ld is %f", path, i, frames.data[i]);
    for (long t = 0; t < frames.num_frames; t++) ck_assert(isfinite(frames.log_energy[t]));
    features_free(&frames);
}

static void expect_error(const char *path, const char *wanted) {
    feature_options options = features_model_defaults();
    feature_matrix frames;
    char err[256] = "";
    ck_assert_msg(features_compute(path, &options, NULL, &frames, err, sizeof err) != 0,
                  "%s: accepted", path);
    ck_assert_msg(strstr(err, wanted) != NULL, "%s: error '%s' lacks '%s'", path, err, wanted);
    ck_assert_ptr_null(frames.data);
}

START_TEST(test_missing_file) { expect_error(temp_path("nothing-here.wav"), "No such file"); }
END_TEST

START_TEST(test_empty_file) {
    FILE *f = fopen(temp_path("empty.wav"), "w");
    fclose(f);
    expect_error(temp_path("empty.wav"), "empty file");
}
END_TEST

START_TEST(test_text_named_wav) {
    FILE *f = fopen(temp_path("text.wav"), "w");
    fputs("this is not audio, just some text that happens to be called .wav\n", f);
    fclose(f);
    expect_error(temp_path("text.wav"), "not a readable audio file");
}
END_TEST

START_TEST(test_truncated_header) {
    write_audio(temp_path("full.wav"), 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, tone);
    ck_assert_int_eq(truncate(temp_path("full.wav"), 20), 0);
    expect_error(temp_path("full.wav"), "not a readable audio file");
}
END_TEST

START_TEST(test_zero_samples) {
    write_audio(temp_path("zero.wav"), 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 0, tone);
    expect_error(temp_path("zero.wav"), "no audio samples");
}
END_TEST

START_TEST(test_too_short_for_a_frame) {
    write_audio(temp_path("short.wav"), 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 100, tone);
    expect_error(temp_path("short.wav"), "too short");
}
END_TEST

START_TEST(test_all_zero_samples_are_finite) {
    write_audio(temp_path("silent.wav"), 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, zero);
    expect_finite_frames(temp_path("silent.wav"), 98);
}
END_TEST

START_TEST(test_nan_samples_refused) {
    write_audio(temp_path("nan.wav"), 16000, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, nan_at_100);
    expect_error(temp_path("nan.wav"), "NaN");
}
END_TEST

START_TEST(test_odd_rates_and_channels) {
    write_audio(temp_path("4k.wav"), 4000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 4000, tone);
    expect_finite_frames(temp_path("4k.wav"), 95);
    write_audio(temp_path("192k.wav"), 192000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_24, 192000, tone);
    expect_finite_frames(temp_path("192k.wav"), 95);
    write_audio(temp_path("6ch.wav"), 48000, 6, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 48000, tone);
    expect_finite_frames(temp_path("6ch.wav"), 95);
    write_audio(temp_path("float.wav"), 22050, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, tone);
    expect_finite_frames(temp_path("float.wav"), 95);
    write_audio(temp_path("3k.wav"), 3000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 3000, tone);
    expect_error(temp_path("3k.wav"), "unsupported sample rate");
}
END_TEST

START_TEST(test_path_with_spaces_and_non_ascii) {
    const char *path = temp_path("Maison Blanche – été 2024.wav");
    write_audio(path, 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, tone);
    expect_finite_frames(path, 98);
}
END_TEST

/* The frame count follows Kaldi's snip_edges rule: 1 + (N - 400) / 160. */
START_TEST(test_frame_count) {
    write_audio(temp_path("n.wav"), 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, tone);
    feature_matrix frames;
    char err[256];
    mfcc_options options = mfcc_kaldi_defaults();
    ck_assert(features_compute_static(temp_path("n.wav"), &options, &frames, err, sizeof err) == 0);
    ck_assert_int_eq(frames.num_frames, 1 + (16000 - 400) / 160);
    features_free(&frames);
}
END_TEST

static float tone_1k(long i, int rate_hz) { return 0.5f * sinf(2.0f * (float)M_PI * 1000.0f * i / rate_hz); }
static float tone_6k(long i, int rate_hz) { return 0.5f * sinf(2.0f * (float)M_PI * 6000.0f * i / rate_hz); }

/* Root mean square of x[from, to). */
static double rms(const float *x, long from, long to) {
    double sum = 0;
    for (long i = from; i < to; i++) sum += (double)x[i] * x[i];
    return sqrt(sum / (double)(to - from));
}

/* The whole of path read at out_rate_hz through band_rate_hz (malloc'd,
 * *n samples; NULL with err on failure). */
static float *read_band_limited(const char *path, int band_rate_hz, int out_rate_hz, long *n,
                                audio_info *info, char *err, int err_len) {
    audio_reader *reader = audio_reader_open_band_limited(path, band_rate_hz, out_rate_hz, err,
                                                          err_len);
    if (!reader) return NULL;
    *info = audio_reader_info(reader);
    long cap = (long)(info->duration_s * out_rate_hz) + 4096, got = 0;
    float *x = malloc(sizeof(float) * cap);
    *n = 0;
    while (x && (got = audio_reader_read(reader, x + *n, cap - *n, err, err_len)) > 0)
        *n += got;
    audio_reader_close(reader);
    if (x && got < 0) {
        free(x);
        return NULL;
    }
    return x;
}

/* Through an 8 kHz band a 1 kHz tone passes and a 6 kHz one is gone (above
 * its 4 kHz Nyquist), and the length stays the file's. */
START_TEST(test_band_limited_reading) {
    const int rate = 16000;
    float (*fills[2])(long, int) = {tone_1k, tone_6k};
    const double want[2] = {0.5 / sqrt(2.0), 0.0};
    for (int k = 0; k < 2; k++) {
        const char *path = temp_path(k == 0 ? "band-1k.wav" : "band-6k.wav");
        write_audio(path, rate, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT, rate, fills[k]);
        long n;
        audio_info info;
        char err[256] = "";
        float *x = read_band_limited(path, 8000, rate, &n, &info, err, sizeof err);
        ck_assert_msg(x != NULL, "%s", err);
        ck_assert_int_eq(info.sample_rate_hz, rate);
        ck_assert_msg(labs(n - rate) <= 16, "%ld samples from %d", n, rate);
        double level = rms(x, 1000, n - 1000); /* away from the converter's edges */
        ck_assert_msg(fabs(level - want[k]) < 0.02, "tone %d: rms %f, want %f", k, level, want[k]);
        free(x);
    }
}
END_TEST

/* Limited to a band at or above the model's rate (or to none, 0), the
 * features are features_compute's, value for value; through 8 kHz a 6 kHz
 * tone's energy is gone and the frames stay finite; a missing file gives
 * the same error. */
START_TEST(test_band_limited_features) {
    const char *path = temp_path("band-6k-pcm.wav");
    write_audio(path, 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, tone_6k);
    feature_options options = features_model_defaults();
    feature_matrix plain, same, narrow;
    char err[256];
    ck_assert(features_compute(path, &options, NULL, &plain, err, sizeof err) == 0);
    const int wide_rates[2] = {0, 16000};
    for (int k = 0; k < 2; k++) {
        ck_assert(features_compute_band_limited(path, wide_rates[k], &options, NULL, &same, err,
                                                sizeof err) == 0);
        ck_assert_int_eq(same.num_frames, plain.num_frames);
        ck_assert(memcmp(same.data, plain.data, sizeof(float) * plain.num_frames * plain.dim) == 0);
        features_free(&same);
    }
    ck_assert_msg(features_compute_band_limited(path, 8000, &options, NULL, &narrow, err,
                                                sizeof err) == 0, "%s", err);
    ck_assert_msg(labs(narrow.num_frames - plain.num_frames) <= 1, "%ld frames, %ld",
                  narrow.num_frames, plain.num_frames);
    ck_assert_int_eq(narrow.source_rate_hz, 16000);
    double energy_plain = 0, energy_narrow = 0;
    long num = narrow.num_frames < plain.num_frames ? narrow.num_frames : plain.num_frames;
    for (long t = 0; t < num; t++) {
        ck_assert(isfinite(narrow.log_energy[t]));
        energy_plain += plain.log_energy[t], energy_narrow += narrow.log_energy[t];
    }
    ck_assert_msg(energy_narrow < energy_plain - 5.0 * num,
                  "the 6 kHz tone kept its energy: %f against %f", energy_narrow, energy_plain);
    features_free(&narrow);
    features_free(&plain);
    ck_assert(features_compute_band_limited(temp_path("nothing-here.wav"), 8000, &options, NULL,
                                            &narrow, err, sizeof err) != 0);
    ck_assert_msg(strstr(err, "No such file") != NULL, "error '%s'", err);
}
END_TEST

int main(void) {
    temp_dir = test_make_temp_dir();
    Suite *suite = suite_create("frontend_inputs");
    TCase *tc = tcase_create("inputs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_empty_file);
    tcase_add_test(tc, test_text_named_wav);
    tcase_add_test(tc, test_truncated_header);
    tcase_add_test(tc, test_zero_samples);
    tcase_add_test(tc, test_too_short_for_a_frame);
    tcase_add_test(tc, test_all_zero_samples_are_finite);
    tcase_add_test(tc, test_nan_samples_refused);
    tcase_add_test(tc, test_odd_rates_and_channels);
    tcase_add_test(tc, test_path_with_spaces_and_non_ascii);
    tcase_add_test(tc, test_frame_count);
    tcase_add_test(tc, test_band_limited_reading);
    tcase_add_test(tc, test_band_limited_features);
    suite_add_tcase(suite, tc);
    int status = test_run_suite(suite);
    char command[4200];
    snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", temp_dir);
    return status;
}
