/* Recording and query embedding (see recording_embedder.h). Recording
 * windows are encoded BATCH starts at a time: the frames from each start up
 * to the longest window are laid out time-major, and the encoder's states at
 * every window length are read off in that single pass. */
#include "recording_embedder.h"

#include "vad.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH = 32 };

struct embedder_state {
    const autoencoder *model;
    segmenter_options options;
    encoder_state *encoder;
    int dim, vector_dim, max_frames;
    float *batch;     /* (max_frames, BATCH, dim) time-major frames */
    int *lengths;     /* (BATCH) */
    float *out;       /* (BATCH, num_lengths, vector_dim) */
    float *single;    /* (vector_dim) one window encoded alone */
};

embedder_state *embedder_state_new(const autoencoder *model, const segmenter_options *options) {
    embedder_state *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->model = model;
    s->options = *options;
    s->dim = features_dim(autoencoder_feature_options(model));
    s->vector_dim = autoencoder_vector_dim(model);
    s->max_frames = options->length_frames[options->num_lengths - 1];
    s->encoder = encoder_state_new(model, BATCH, s->max_frames);
    s->batch = malloc(sizeof(float) * s->max_frames * BATCH * s->dim);
    s->lengths = malloc(sizeof(int) * BATCH);
    s->out = malloc(sizeof(float) * BATCH * options->num_lengths * s->vector_dim);
    s->single = malloc(sizeof(float) * s->vector_dim);
    if (!s->encoder || !s->batch || !s->lengths || !s->out || !s->single) {
        embedder_state_free(s);
        return NULL;
    }
    return s;
}

void embedder_state_free(embedder_state *s) {
    if (!s) return;
    encoder_state_free(s->encoder);
    free(s->batch);
    free(s->lengths);
    free(s->out);
    free(s->single);
    free(s);
}

void embedded_segments_free(embedded_segments *segments) {
    free(segments->spans_s);
    free(segments->vectors);
    memset(segments, 0, sizeof *segments);
}

double embedder_frame_start_s(const feature_options *options, long t) {
    return t * 0.001 * options->mfcc.frame_shift_ms;
}

double embedder_window_end_s(const feature_options *options, long t, long n) {
    return (t + n - 1) * 0.001 * options->mfcc.frame_shift_ms + 0.001 * options->mfcc.frame_length_ms;
}

/* Speech regions of the frames; *regions is malloc'ed (may be NULL when 0). */
static long find_speech(const feature_matrix *frames, const feature_options *options,
                        vad_region **regions) {
    vad_options vad = vad_defaults();
    int frame_length = (int)(options->mfcc.sample_rate_hz * 0.001 * options->mfcc.frame_length_ms);
    long num = vad_detect(frames->log_energy, frames->num_frames, frame_length, &vad, NULL, 0);
    *regions = NULL;
    if (num <= 0) return num;
    *regions = malloc(sizeof **regions * num);
    if (!*regions) return -1;
    vad_detect(frames->log_energy, frames->num_frames, frame_length, &vad, *regions, num);
    return num;
}

/* Appends one segment to out (capacity grown as needed). */
static int append_segment(embedded_segments *out, long *capacity, int vector_dim, double start_s,
                          double end_s, const float *vector) {
    if (out->num_segments == *capacity) {
        long grown = *capacity ? *capacity * 2 : 1024;
        float *spans = realloc(out->spans_s, sizeof(float) * 2 * grown);
        if (spans) out->spans_s = spans;
        float *vectors = realloc(out->vectors, sizeof(float) * vector_dim * grown);
        if (vectors) out->vectors = vectors;
        if (!spans || !vectors) return -1;
        *capacity = grown;
    }
    out->spans_s[2 * out->num_segments] = (float)start_s;
    out->spans_s[2 * out->num_segments + 1] = (float)end_s;
    memcpy(out->vectors + out->num_segments * vector_dim, vector, sizeof(float) * vector_dim);
    out->num_segments++;
    return 0;
}

/* Encodes starts[0..num) (num <= BATCH) and appends their windows. */
static int encode_batch(embedder_state *s, const feature_matrix *frames, const segment_start *starts,
                        int num, embedded_segments *out, long *capacity) {
    const feature_options *fo = autoencoder_feature_options(s->model);
    const segmenter_options *so = &s->options;
    int T = 0;
    for (int b = 0; b < num; b++) {
        s->lengths[b] = starts[b].max_frames;
        if (s->lengths[b] > T) T = s->lengths[b];
    }
    /* (T, num, dim) time-major; steps past a sequence's length are masked. */
    for (int t = 0; t < T; t++)
        for (int b = 0; b < num; b++) {
            float *dst = s->batch + ((size_t)t * num + b) * s->dim;
            if (t < s->lengths[b])
                memcpy(dst, frames->data + (starts[b].start_frame + t) * s->dim, sizeof(float) * s->dim);
            else
                memset(dst, 0, sizeof(float) * s->dim);
        }
    if (autoencoder_encode_prefixes(s->model, s->encoder, s->batch, s->lengths, T, num,
                                    so->length_frames, so->num_lengths, s->out) != 0)
        return -1;
    for (int b = 0; b < num; b++) {
        long start = starts[b].start_frame;
        int emitted = 0;
        for (int p = 0; p < so->num_lengths; p++) {
            int n = so->length_frames[p];
            if (n > s->lengths[b]) break;
            const float *v = s->out + ((size_t)b * so->num_lengths + p) * s->vector_dim;
            if (append_segment(out, capacity, s->vector_dim, embedder_frame_start_s(fo, start),
                               embedder_window_end_s(fo, start, n), v) != 0)
                return -1;
            emitted = 1;
        }
        if (!emitted) { /* a region shorter than every window: one window over all of it */
            int n = s->lengths[b];
            float *vector = s->single;
            if (autoencoder_encode(s->model, s->encoder, frames->data + start * s->dim, n, vector) != 0)
                return -1;
            if (append_segment(out, capacity, s->vector_dim, embedder_frame_start_s(fo, start),
                               embedder_window_end_s(fo, start, n), vector) != 0)
                return -1;
        }
    }
    return 0;
}

int embed_recording(embedder_state *s, const feature_matrix *frames, embedded_segments *out,
                    char *err, int err_len) {
    memset(out, 0, sizeof *out);
    const feature_options *fo = autoencoder_feature_options(s->model);
    vad_region *regions = NULL;
    segment_start *starts = NULL;
    long capacity = 0;
    int rc = -1;
    long num_regions = find_speech(frames, fo, &regions);
    if (num_regions < 0) goto out_of_memory;
    long num_starts = segmenter_starts(regions, num_regions, &s->options, NULL, 0);
    if (num_starts > 0) {
        starts = malloc(sizeof *starts * num_starts);
        if (!starts) goto out_of_memory;
        segmenter_starts(regions, num_regions, &s->options, starts, num_starts);
    }
    for (long i = 0; i < num_starts; i += BATCH) {
        int num = num_starts - i < BATCH ? (int)(num_starts - i) : BATCH;
        if (encode_batch(s, frames, starts + i, num, out, &capacity) != 0) {
            snprintf(err, err_len, "encoding failed (out of memory?)");
            goto cleanup;
        }
    }
    rc = 0;
    goto cleanup;
out_of_memory:
    snprintf(err, err_len, "out of memory");
cleanup:
    if (rc != 0) embedded_segments_free(out);
    free(regions);
    free(starts);
    return rc;
}

int embed_query(const autoencoder *model, const feature_matrix *frames, float *vector,
                double *start_s, double *end_s, char *err, int err_len) {
    const feature_options *fo = autoencoder_feature_options(model);
    vad_region *regions = NULL;
    long num_regions = find_speech(frames, fo, &regions);
    if (num_regions < 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (num_regions == 0) {
        snprintf(err, err_len, "no speech found in the query");
        return -1;
    }
    long first = regions[0].start_frame, last = regions[num_regions - 1].end_frame;
    free(regions);
    int n = (int)(last - first);
    int dim = features_dim(fo);
    encoder_state *state = encoder_state_new(model, 1, n);
    if (!state) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    int rc = autoencoder_encode(model, state, frames->data + first * dim, n, vector);
    encoder_state_free(state);
    if (rc != 0) {
        snprintf(err, err_len, "encoding the query failed");
        return -1;
    }
    *start_s = embedder_frame_start_s(fo, first);
    *end_s = embedder_window_end_s(fo, first, n);
    return 0;
}
