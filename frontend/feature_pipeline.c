/* The frontend pipeline (see features.h): audio is streamed through a framer
 * that cuts Kaldi frames (snip_edges: only whole frames, first at sample 0)
 * and hands each to the MFCC computer; the frames grow one matrix whose rows
 * already have room for the delta columns, which are then filled in place. */
#include "feature_pipeline.h"

#include "audio_reader.h"
#include "vad.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { READ_BLOCK_SAMPLES = 16384 };

feature_options features_model_defaults(void) {
    feature_options options = {
        .mfcc = mfcc_model_defaults(),
        .num_deltas = 2,
        .delta_window = 2,
        .cmn_window_frames = 600,
        .noise_floor = noise_floor_defaults(),
    };
    return options;
}

int features_dim(const feature_options *options) {
    return options->mfcc.num_ceps * (1 + options->num_deltas);
}

/* Cuts a stream of samples into frames and appends their MFCC to a matrix. */
typedef struct {
    mfcc_computer *mfcc;
    int frame_length, frame_shift, num_ceps, row_dim;
    float *pending;        /* (frame_length + READ_BLOCK_SAMPLES) samples not yet framed */
    long num_pending;
    feature_matrix *out;
    long capacity;         /* rows allocated in out */
    const noise_floor_options *noise_floor; /* NULL: the VAD's energies stay as computed */
    noise_floor_frames *mel; /* with noise_floor: every frame's mel energies */
} framer;

/* noise_floor: NULL, or how framer_finish takes the noise out of the VAD's
 * energies (every frame's mel energies are then kept until it runs, in 16
 * bits each: noise_floor.h). */
static int framer_init(framer *f, const mfcc_options *options,
                       const noise_floor_options *noise_floor, int row_dim, feature_matrix *out,
                       char *err, int err_len) {
    memset(f, 0, sizeof *f);
    memset(out, 0, sizeof *out);
    f->mfcc = mfcc_build(options, err, err_len);
    if (!f->mfcc) return -1;
    if (noise_floor && noise_floor->over_subtraction > 0.0f) {
        f->noise_floor = noise_floor;
        if (!(f->mel = noise_floor_frames_new(options->num_mel_bins))) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }
    }
    f->frame_length = mfcc_frame_length(f->mfcc);
    f->frame_shift = mfcc_frame_shift(f->mfcc);
    f->num_ceps = options->num_ceps;
    f->row_dim = row_dim;
    f->pending = malloc(sizeof(float) * (f->frame_length + READ_BLOCK_SAMPLES));
    f->out = out;
    out->dim = row_dim;
    if (!f->pending) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

static void framer_release(framer *f) {
    mfcc_free(f->mfcc);
    free(f->pending);
    noise_floor_frames_free(f->mel);
}

/* Grows the output by at least one row. Large reallocs are cheap in glibc
 * (mremap), so growing by half keeps peak memory close to the final size. */
static int framer_reserve_row(framer *f, char *err, int err_len) {
    if (f->out->num_frames < f->capacity) return 0;
    long capacity = f->capacity < 1024 ? 1024 : f->capacity + f->capacity / 2;
    float *data = realloc(f->out->data, sizeof(float) * capacity * f->row_dim);
    if (data) f->out->data = data;
    float *energy = realloc(f->out->log_energy, sizeof(float) * capacity);
    if (energy) f->out->log_energy = energy;
    if (!data || !energy) {
        snprintf(err, err_len, "out of memory (%ld frames)", capacity);
        return -1;
    }
    f->capacity = capacity;
    return 0;
}

/* Appends num_samples samples in [-1, 1] (at most READ_BLOCK_SAMPLES) and
 * computes every frame that is now complete. */
static int framer_push(framer *f, const float *samples, long num_samples, char *err, int err_len) {
    for (long i = 0; i < num_samples; i++) f->pending[f->num_pending + i] = samples[i] * 32768.0f;
    f->num_pending += num_samples;
    long start = 0;
    while (f->num_pending - start >= f->frame_length) {
        if (framer_reserve_row(f, err, err_len) != 0) return -1;
        long row = f->out->num_frames++;
        f->out->log_energy[row] =
            mfcc_compute_frame(f->mfcc, f->pending + start, f->out->data + row * f->row_dim);
        if (f->mel && noise_floor_frames_add(f->mel, mfcc_last_log_mel(f->mfcc)) != 0) {
            snprintf(err, err_len, "out of memory (%ld frames)", row + 1);
            return -1;
        }
        start += f->frame_shift;
    }
    long keep = f->num_pending - start;
    memmove(f->pending, f->pending + start, sizeof(float) * keep);
    f->num_pending = keep;
    return 0;
}

/* After the last samples: the VAD's energies of a noisy recording lowered
 * where its mel energies are noise (noise_floor.h). Returns 0, or -1 with err. */
static int framer_finish(framer *f, char *err, int err_len) {
    if (!f->mel) return 0;
    if (noise_floor_lower_energies(f->mel, f->out->log_energy, f->noise_floor) < 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* Streams a file through a framer; fills out->duration_s and source rate.
 * band_rate_hz, when positive and below the rate read at: the audio passes
 * through that band on the way (audio_reader_open_band_limited). */
static int frame_file(const char *path, const mfcc_options *options,
                      const noise_floor_options *noise_floor, int band_rate_hz, int row_dim,
                      feature_matrix *out, char *err, int err_len) {
    framer f;
    float *block = NULL;
    audio_reader *reader = NULL;
    int rc = framer_init(&f, options, noise_floor, row_dim, out, err, err_len);
    if (rc != 0) goto cleanup;
    rc = -1;
    int read_rate_hz = options->sample_rate_hz;
    if (options->speed > 0 && options->speed != 1.0f) /* speed perturbation: fewer samples */
        read_rate_hz = (int)lround(options->sample_rate_hz / options->speed);
    reader = band_rate_hz > 0 && band_rate_hz < read_rate_hz
                 ? audio_reader_open_band_limited(path, band_rate_hz, read_rate_hz, err, err_len)
                 : audio_reader_open(path, read_rate_hz, err, err_len);
    if (!reader) goto cleanup;
    audio_info info = audio_reader_info(reader);
    out->duration_s = info.duration_s;
    out->source_rate_hz = info.sample_rate_hz;
    block = malloc(sizeof(float) * READ_BLOCK_SAMPLES);
    if (!block) {
        snprintf(err, err_len, "out of memory");
        goto cleanup;
    }
    for (;;) {
        long n = audio_reader_read(reader, block, READ_BLOCK_SAMPLES, err, err_len);
        if (n < 0) goto cleanup;
        if (n == 0) break;
        if (framer_push(&f, block, n, err, err_len) != 0) goto cleanup;
    }
    if (out->num_frames == 0) {
        snprintf(err, err_len, "too short: %.0f ms of audio, less than one %.0f ms frame",
                 info.duration_s * 1000.0, options->frame_length_ms);
        goto cleanup;
    }
    rc = framer_finish(&f, err, err_len);
cleanup:
    if (rc != 0) features_free(out);
    audio_reader_close(reader);
    free(block);
    framer_release(&f);
    return rc;
}

int features_compute_static(const char *path, const mfcc_options *options, feature_matrix *out,
                            char *err, int err_len) {
    return frame_file(path, options, NULL, 0, options->num_ceps, out, err, err_len);
}

/* Sliding mean normalisation over the frames the VAD calls speech. */
static int apply_cmn(feature_matrix *out, const feature_options *options, char *err, int err_len) {
    unsigned char *is_speech = malloc(out->num_frames);
    vad_options vad = vad_defaults();
    int frame_length = (int)(options->mfcc.sample_rate_hz * 0.001f * options->mfcc.frame_length_ms);
    if (!is_speech ||
        vad_speech_frames(out->log_energy, out->num_frames, frame_length, &vad, is_speech) < 0) {
        free(is_speech);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    features_subtract_sliding_mean(out->data, out->num_frames, out->dim, is_speech,
                                   options->cmn_window_frames);
    free(is_speech);
    return 0;
}

/* Deltas and normalisation after framing; shared by the file and memory paths. */
static int finish_features(feature_matrix *out, const feature_options *options,
                           const feature_stats *stats, char *err, int err_len) {
    features_add_deltas(out->data, out->num_frames, options->mfcc.num_ceps, options->num_deltas,
                        options->delta_window);
    if (options->cmn_window_frames > 0 && apply_cmn(out, options, err, err_len) != 0) {
        features_free(out);
        return -1;
    }
    if (stats) features_normalise(out->data, out->num_frames, stats);
    return 0;
}

static int check_stats(const feature_options *options, const feature_stats *stats, char *err,
                       int err_len) {
    if (stats && stats->dim != features_dim(options)) {
        snprintf(err, err_len, "normalisation statistics have %d values, the features %d",
                 stats->dim, features_dim(options));
        return -1;
    }
    return 0;
}

int features_compute(const char *path, const feature_options *options, const feature_stats *stats,
                     feature_matrix *out, char *err, int err_len) {
    return features_compute_band_limited(path, 0, options, stats, out, err, err_len);
}

int features_compute_band_limited(const char *path, int band_rate_hz, const feature_options *options,
                                  const feature_stats *stats, feature_matrix *out, char *err,
                                  int err_len) {
    memset(out, 0, sizeof *out);
    if (check_stats(options, stats, err, err_len) != 0) return -1;
    if (frame_file(path, &options->mfcc, &options->noise_floor, band_rate_hz, features_dim(options),
                   out, err, err_len) != 0)
        return -1;
    return finish_features(out, options, stats, err, err_len);
}

int features_compute_samples(const float *samples, long num_samples, const feature_options *options,
                             const feature_stats *stats, feature_matrix *out, char *err,
                             int err_len) {
    memset(out, 0, sizeof *out);
    if (check_stats(options, stats, err, err_len) != 0) return -1;
    framer f;
    int rc = framer_init(&f, &options->mfcc, &options->noise_floor, features_dim(options), out, err,
                         err_len);
    for (long start = 0; rc == 0 && start < num_samples; start += READ_BLOCK_SAMPLES) {
        long n = num_samples - start < READ_BLOCK_SAMPLES ? num_samples - start : READ_BLOCK_SAMPLES;
        rc = framer_push(&f, samples + start, n, err, err_len);
    }
    if (rc == 0) rc = framer_finish(&f, err, err_len);
    framer_release(&f);
    if (rc != 0) {
        features_free(out);
        return -1;
    }
    out->duration_s = (double)num_samples / options->mfcc.sample_rate_hz;
    out->source_rate_hz = options->mfcc.sample_rate_hz;
    return finish_features(out, options, stats, err, err_len);
}

void features_add_deltas(float *frames, long num_frames, int num_ceps, int num_deltas, int window) {
    if (num_deltas <= 0 || num_frames <= 0) return;
    const int row_dim = num_ceps * (1 + num_deltas);
    /* Kaldi's DeltaFeatures: the filter of order i is the filter of order
     * i-1 convolved with j / sum(j^2) over j in [-window, window], applied
     * to the static frames with the frame index clamped at the edges. */
    int max_width = 1 + 2 * window * num_deltas;
    float *filter = calloc((size_t)(num_deltas + 1) * max_width, sizeof(float));
    if (!filter) return;
    float normaliser = 0.0f;
    for (int j = 1; j <= window; j++) normaliser += 2.0f * j * j;
    filter[0] = 1.0f; /* order 0, width 1, stored centred at its own start */
    for (int order = 1; order <= num_deltas; order++) {
        const float *prev = filter + (order - 1) * max_width;
        float *cur = filter + order * max_width;
        int prev_width = 1 + 2 * window * (order - 1);
        for (int j = -window; j <= window; j++)
            for (int k = 0; k < prev_width; k++) cur[j + window + k] += j * prev[k] / normaliser;
    }
    for (long t = 0; t < num_frames; t++) {
        float *out_row = frames + t * row_dim;
        for (int order = 1; order <= num_deltas; order++) {
            const float *cur = filter + order * max_width;
            int half = window * order;
            float *dst = out_row + order * num_ceps;
            memset(dst, 0, sizeof(float) * num_ceps);
            for (int j = -half; j <= half; j++) {
                float scale = cur[j + half];
                if (scale == 0.0f) continue;
                long src_t = t + j < 0 ? 0 : (t + j >= num_frames ? num_frames - 1 : t + j);
                const float *src = frames + src_t * row_dim;
                for (int c = 0; c < num_ceps; c++) dst[c] += scale * src[c];
            }
        }
    }
    free(filter);
}

void features_subtract_sliding_mean(float *frames, long num_frames, int dim,
                                    const unsigned char *is_speech, int window_frames) {
    double total[FEATURES_MAX_DIM] = {0}, sum[FEATURES_MAX_DIM] = {0};
    long num_total = 0;
    for (long t = 0; t < num_frames; t++) {
        if (!is_speech[t]) continue;
        for (int d = 0; d < dim; d++) total[d] += frames[t * dim + d];
        num_total++;
    }
    if (num_total == 0) return;
    /* The window of frame t is [t - half, t + half). Rows leave the window
     * after they were normalised, so their original values are kept in a
     * ring of half + 2 rows. */
    long half = window_frames / 2 > 0 ? window_frames / 2 : 1;
    long ring_rows = half + 2;
    float *ring = malloc(sizeof(float) * ring_rows * dim);
    if (!ring) return;
    long count = 0;
    for (long u = 0; u < half - 1 && u < num_frames; u++) {
        if (!is_speech[u]) continue;
        for (int d = 0; d < dim; d++) sum[d] += frames[u * dim + d];
        count++;
    }
    for (long t = 0; t < num_frames; t++) {
        long enter = t + half - 1, leave = t - 1 - half;
        if (enter < num_frames && is_speech[enter]) {
            for (int d = 0; d < dim; d++) sum[d] += frames[enter * dim + d];
            count++;
        }
        if (leave >= 0 && is_speech[leave]) {
            const float *original = ring + (leave % ring_rows) * dim;
            for (int d = 0; d < dim; d++) sum[d] -= original[d];
            count--;
        }
        float *row = frames + t * dim;
        memcpy(ring + (t % ring_rows) * dim, row, sizeof(float) * dim);
        const double *mean_sum = count > 0 ? sum : total;
        double n = count > 0 ? (double)count : (double)num_total;
        for (int d = 0; d < dim; d++) row[d] -= (float)(mean_sum[d] / n);
    }
    free(ring);
}

void features_normalise(float *frames, long num_frames, const feature_stats *stats) {
    float inv_std[FEATURES_MAX_DIM];
    for (int d = 0; d < stats->dim; d++) inv_std[d] = 1.0f / stats->stddev[d];
    for (long t = 0; t < num_frames; t++) {
        float *row = frames + t * stats->dim;
        for (int d = 0; d < stats->dim; d++) row[d] = (row[d] - stats->mean[d]) * inv_std[d];
    }
}

void features_free(feature_matrix *m) {
    free(m->data);
    free(m->log_energy);
    m->data = NULL;
    m->log_energy = NULL;
    m->num_frames = 0;
}

long features_speech_regions(const feature_matrix *frames, const feature_options *options,
                             const vad_options *vad, vad_region **regions) {
    int frame_length = (int)(options->mfcc.sample_rate_hz * 0.001 * options->mfcc.frame_length_ms);
    long num = vad_detect(frames->log_energy, frames->num_frames, frame_length, vad, NULL, 0);
    *regions = NULL;
    if (num <= 0)
        return num;
    if (!(*regions = malloc(sizeof **regions * num)))
        return -1;
    vad_detect(frames->log_energy, frames->num_frames, frame_length, vad, *regions, num);
    return num;
}
