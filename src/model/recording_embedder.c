/* Recording and query embedding (see recording_embedder.h). Recording
 * windows are encoded BATCH starts at a time: the frames from each start up
 * to the longest window are laid out time-major, and the encoder's states at
 * every window length are read off in that single pass. */
#include "recording_embedder.h"

#include "vad.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Starts encoded together: more rows per recurrent matrix product amortise
 * BLAS's packing of the weights, which it repeats at every step. */
enum { BATCH = 128, MAX_PREFIXES = BATCH * SEGMENTER_MAX_LENGTHS };

/* One thread's scratch for encoding batches of starts. */
typedef struct {
    encoder_state *encoder;
    float *batch;       /* (max_frames, BATCH, dim) time-major frames */
    int *lengths;       /* (BATCH) frames of each sequence */
    int *prefixes;      /* (MAX_PREFIXES) the batch's window lengths, ascending, distinct */
    float *out;         /* (BATCH, max_frames, vector_dim): at most max_frames distinct lengths */
} embed_worker;

struct embedder_state {
    const autoencoder *model;
    segmenter_options options;
    int dim, vector_dim, max_frames;
    int num_workers;
    embed_worker *workers; /* (num_workers) */
};

static void worker_release(embed_worker *w) {
    encoder_state_free(w->encoder);
    free(w->batch);
    free(w->lengths);
    free(w->prefixes);
    free(w->out);
}

static int worker_build(embed_worker *w, const embedder_state *s) {
    w->encoder = encoder_state_new(s->model, BATCH, s->max_frames);
    w->batch = malloc(sizeof(float) * s->max_frames * BATCH * s->dim);
    w->lengths = malloc(sizeof(int) * BATCH);
    w->prefixes = malloc(sizeof(int) * MAX_PREFIXES);
    w->out = malloc(sizeof(float) * BATCH * s->max_frames * s->vector_dim);
    return w->encoder && w->batch && w->lengths && w->prefixes && w->out ? 0 : -1;
}

embedder_state *embedder_state_new(const autoencoder *model, const segmenter_options *options,
                                   int num_threads) {
    embedder_state *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->model = model;
    s->options = *options;
    s->dim = features_dim(autoencoder_feature_options(model));
    s->vector_dim = autoencoder_vector_dim(model);
    s->max_frames = segmenter_max_frames(options);
    s->num_workers = num_threads > 1 ? num_threads : 1;
    s->workers = calloc(s->num_workers, sizeof *s->workers);
    if (!s->workers) {
        free(s);
        return NULL;
    }
    for (int i = 0; i < s->num_workers; i++) {
        if (worker_build(&s->workers[i], s) != 0) {
            embedder_state_free(s);
            return NULL;
        }
    }
    return s;
}

void embedder_state_set_unnormalised(embedder_state *s, int unnormalised) {
    for (int i = 0; i < s->num_workers; i++)
        encoder_state_set_unnormalised(s->workers[i].encoder, unnormalised);
}

void embedder_state_free(embedder_state *s) {
    if (!s) return;
    for (int i = 0; i < s->num_workers; i++) worker_release(&s->workers[i]);
    free(s->workers);
    free(s);
}

void embedded_segments_free(embedded_segments *segments) {
    free(segments->spans_s);
    free(segments->spans_frames);
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
    vad.padding_frames = 0;
    return features_speech_regions(frames, options, &vad, regions);
}

/* Per-frame speech decisions (before hangover), for the pauses that bound
 * boundary windows. Returns the number of speech frames or -1. */
static long speech_frames(const feature_matrix *frames, const feature_options *options,
                          unsigned char *is_speech) {
    vad_options vad = vad_defaults();
    int frame_length = (int)(options->mfcc.sample_rate_hz * 0.001 * options->mfcc.frame_length_ms);
    return vad_speech_frames(frames->log_energy, frames->num_frames, frame_length, &vad, is_speech);
}

/* Appends the window of n frames from start to out (capacity grown as
 * needed). */
static int append_segment(embedded_segments *out, long *capacity, int vector_dim,
                          const feature_options *fo, long start, int n, const float *vector) {
    if (out->num_segments == *capacity) {
        long grown = *capacity ? *capacity * 2 : 1024;
        float *spans = realloc(out->spans_s, sizeof(float) * 2 * grown);
        if (spans) out->spans_s = spans;
        long *frames = realloc(out->spans_frames, sizeof(long) * 2 * grown);
        if (frames) out->spans_frames = frames;
        float *vectors = realloc(out->vectors, sizeof(float) * vector_dim * grown);
        if (vectors) out->vectors = vectors;
        if (!spans || !frames || !vectors) return -1;
        *capacity = grown;
    }
    out->spans_s[2 * out->num_segments] = (float)embedder_frame_start_s(fo, start);
    out->spans_s[2 * out->num_segments + 1] = (float)embedder_window_end_s(fo, start, n);
    out->spans_frames[2 * out->num_segments] = start;
    out->spans_frames[2 * out->num_segments + 1] = start + n;
    memcpy(out->vectors + out->num_segments * vector_dim, vector, sizeof(float) * vector_dim);
    out->num_segments++;
    return 0;
}

static int compare_ints(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Encodes starts[0..num) (num <= BATCH) and appends their windows. The
 * encoder reads every start's frames up to its longest window once and is
 * asked for its state at every window length any start of the batch wants. */
static int encode_batch(const embedder_state *s, embed_worker *w, const feature_matrix *frames,
                        const segment_start *starts, int num, embedded_segments *out,
                        long *capacity) {
    const feature_options *fo = autoencoder_feature_options(s->model);
    int T = 0, num_prefixes = 0;
    for (int b = 0; b < num; b++) {
        w->lengths[b] = starts[b].length_frames[starts[b].num_lengths - 1];
        if (w->lengths[b] > T) T = w->lengths[b];
        for (int i = 0; i < starts[b].num_lengths; i++) w->prefixes[num_prefixes++] = starts[b].length_frames[i];
    }
    qsort(w->prefixes, num_prefixes, sizeof(int), compare_ints);
    int num_distinct = 0;
    for (int i = 0; i < num_prefixes; i++)
        if (num_distinct == 0 || w->prefixes[i] != w->prefixes[num_distinct - 1])
            w->prefixes[num_distinct++] = w->prefixes[i];
    /* (T, num, dim) time-major; steps past a sequence's length are masked. */
    for (int t = 0; t < T; t++)
        for (int b = 0; b < num; b++) {
            float *dst = w->batch + ((size_t)t * num + b) * s->dim;
            if (t < w->lengths[b])
                memcpy(dst, frames->data + (starts[b].start_frame + t) * s->dim, sizeof(float) * s->dim);
            else
                memset(dst, 0, sizeof(float) * s->dim);
        }
    if (autoencoder_encode_prefixes(s->model, w->encoder, w->batch, w->lengths, T, num,
                                    w->prefixes, num_distinct, w->out) != 0)
        return -1;
    for (int b = 0; b < num; b++) {
        long start = starts[b].start_frame;
        int p = 0;
        for (int i = 0; i < starts[b].num_lengths; i++) {
            int n = starts[b].length_frames[i];
            while (w->prefixes[p] != n) p++; /* both ascending */
            const float *v = w->out + ((size_t)b * num_distinct + p) * s->vector_dim;
            if (append_segment(out, capacity, s->vector_dim, fo, start, n, v) != 0)
                return -1;
        }
    }
    return 0;
}

/* One worker's share of a recording's starts. */
typedef struct {
    const embedder_state *s;
    embed_worker *w;
    const feature_matrix *frames;
    const segment_start *starts;
    long num_starts;
    embedded_segments out;
    int rc;
} share;

static void *encode_share(void *arg) {
    share *sh = arg;
    long capacity = 0;
    sh->rc = 0;
    for (long i = 0; i < sh->num_starts && sh->rc == 0; i += BATCH) {
        int num = sh->num_starts - i < BATCH ? (int)(sh->num_starts - i) : BATCH;
        sh->rc = encode_batch(sh->s, sh->w, sh->frames, sh->starts + i, num, &sh->out, &capacity);
    }
    return NULL;
}

/* Encodes the starts, split in contiguous shares over the workers (each in
 * its own thread), and joins the shares in order, so the result is the same
 * whatever the number of workers. Returns 0 or -1. */
static int encode_starts(const embedder_state *s, const feature_matrix *frames,
                         const segment_start *starts, long num_starts, embedded_segments *out) {
    int num_shares = s->num_workers;
    if (num_starts < (long)num_shares * BATCH) num_shares = (int)(num_starts / BATCH) + 1;
    if (num_shares > s->num_workers) num_shares = s->num_workers;
    share shares[num_shares];
    pthread_t threads[num_shares];
    int started[num_shares];
    for (int t = 0; t < num_shares; t++) {
        long begin = num_starts * t / num_shares, end = num_starts * (t + 1) / num_shares;
        shares[t] = (share){s, &s->workers[t], frames, starts + begin, end - begin, {0}, 0};
        started[t] = t > 0 && pthread_create(&threads[t], NULL, encode_share, &shares[t]) == 0;
        if (t > 0 && !started[t]) encode_share(&shares[t]);
    }
    encode_share(&shares[0]);
    for (int t = 1; t < num_shares; t++)
        if (started[t]) pthread_join(threads[t], NULL);
    int rc = 0;
    long total = 0;
    for (int t = 0; t < num_shares; t++) {
        rc |= shares[t].rc;
        total += shares[t].out.num_segments;
    }
    if (rc == 0 && num_shares == 1) {
        *out = shares[0].out;
        return 0;
    }
    if (rc == 0 && total > 0) {
        out->spans_s = malloc(sizeof(float) * 2 * total);
        out->spans_frames = malloc(sizeof(long) * 2 * total);
        out->vectors = malloc(sizeof(float) * s->vector_dim * total);
        if (!out->spans_s || !out->spans_frames || !out->vectors) rc = -1;
    }
    for (int t = 0; t < num_shares; t++) {
        const embedded_segments *part = &shares[t].out;
        if (rc == 0 && part->num_segments > 0) {
            memcpy(out->spans_s + 2 * out->num_segments, part->spans_s,
                   sizeof(float) * 2 * part->num_segments);
            memcpy(out->spans_frames + 2 * out->num_segments, part->spans_frames,
                   sizeof(long) * 2 * part->num_segments);
            memcpy(out->vectors + out->num_segments * s->vector_dim, part->vectors,
                   sizeof(float) * s->vector_dim * part->num_segments);
            out->num_segments += part->num_segments;
        }
        embedded_segments_free(&shares[t].out);
    }
    return rc;
}

int embed_recording(embedder_state *s, const feature_matrix *frames, embedded_segments *out,
                    char *err, int err_len) {
    memset(out, 0, sizeof *out);
    const feature_options *fo = autoencoder_feature_options(s->model);
    vad_region *regions = NULL;
    segment_start *starts = NULL;
    unsigned char *is_speech = NULL;
    int rc = -1;
    long num_regions = find_speech(frames, fo, &regions);
    if (num_regions < 0) goto out_of_memory;
    is_speech = malloc(frames->num_frames > 0 ? frames->num_frames : 1);
    if (!is_speech || speech_frames(frames, fo, is_speech) < 0) goto out_of_memory;
    long num_starts = segmenter_starts(regions, num_regions, is_speech, frames->num_frames,
                                       &s->options, NULL, 0);
    if (num_starts > 0) {
        starts = malloc(sizeof *starts * num_starts);
        if (!starts) goto out_of_memory;
        segmenter_starts(regions, num_regions, is_speech, frames->num_frames, &s->options, starts,
                         num_starts);
    }
    if (encode_starts(s, frames, starts, num_starts, out) != 0) {
        snprintf(err, err_len, "encoding failed (out of memory?)");
        goto cleanup;
    }
    rc = 0;
    goto cleanup;
out_of_memory:
    snprintf(err, err_len, "out of memory");
cleanup:
    if (rc != 0) embedded_segments_free(out);
    free(regions);
    free(starts);
    free(is_speech);
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
