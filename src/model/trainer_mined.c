/* Mined-pair training data (see trainer_mined.h): every file's frames are
 * kept unnormalised for training, a normalised copy is embedded window by
 * window as the index does, the windows' vectors are mined for mutual
 * nearest neighbours, and both windows of each pair go into the pool. */
#include "trainer_mined.h"
#include "audio_windows.h"
#include "trainer_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Windows of all files: vectors (num, V), where each lies, and its file. */
typedef struct {
    float *vectors;
    pair_window *windows;
    long num, cap;
} window_set;

static int window_set_append(window_set *ws, const embedded_segments *segs, int group,
                             int vector_dim) {
    if (ws->num + segs->num_segments > ws->cap) {
        long cap = ws->cap ? ws->cap : 4096;
        while (cap < ws->num + segs->num_segments)
            cap *= 2;
        float *v = realloc(ws->vectors, sizeof(float) * cap * vector_dim);
        if (v) ws->vectors = v;
        pair_window *w = realloc(ws->windows, sizeof(pair_window) * cap);
        if (w) ws->windows = w;
        if (!v || !w) return -1;
        ws->cap = cap;
    }
    for (long k = 0; k < segs->num_segments; k++) {
        long start = segs->spans_frames[2 * k], end = segs->spans_frames[2 * k + 1];
        if (end - start < 2) continue;
        ws->windows[ws->num] = (pair_window){group, start, end};
        memcpy(ws->vectors + ws->num * vector_dim, segs->vectors + k * vector_dim,
               sizeof(float) * vector_dim);
        ws->num++;
    }
    return 0;
}

mined_options mined_defaults(void) {
    mined_options o = {.pairs = pair_miner_defaults(), .pairs_per_minute = 15};
    return o;
}

segmenter_options mined_windows(int all) {
    segmenter_options o = segmenter_defaults();
    if (!all)
        o.hop_frames = 1 << 30; /* fixed windows only where a speech region starts */
    return o;
}

/* Writes the pairs as TSV (see trainer_mined.h); 0, or -1 with err. */
static int write_pairs(const char *path, const mined_pair *pairs, long num, const window_set *ws,
                       const char *const *files, const int *file_of_group,
                       const feature_options *fo, char *err, int err_len) {
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, err_len, "%s: cannot write the pairs", path);
        return -1;
    }
    for (long p = 0; p < num; p++) {
        const pair_window *w[2] = {&ws->windows[pairs[p].a], &ws->windows[pairs[p].b]};
        for (int k = 0; k < 2; k++)
            fprintf(f, "%s\t%.2f\t%.3f\t", files[file_of_group[w[k]->group]],
                    embedder_frame_start_s(fo, w[k]->start),
                    embedder_window_end_s(fo, w[k]->start, w[k]->end - w[k]->start));
        fprintf(f, "%.4f\n", pairs[p].cosine);
    }
    if (fclose(f) != 0) {
        snprintf(err, err_len, "%s: cannot write the pairs", path);
        return -1;
    }
    return 0;
}

/* What the mining visitor gathers: every file's frames (kept for
 * training) and windows, and which file each group is. */
typedef struct {
    feature_matrix *frames; /* (num_groups) unnormalised */
    int *file_of_group;
    int num_groups, vector_dim;
    window_set ws;
} mining_input;

static int gather_file(void *ctx, int file, feature_matrix *frames, const embedded_segments *segs,
                       char *err, int err_len) {
    mining_input *in = ctx;
    if (window_set_append(&in->ws, segs, in->num_groups, in->vector_dim) != 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    in->frames[in->num_groups] = *frames; /* kept: the pairs' windows are cut from them */
    *frames = (feature_matrix){0};
    in->file_of_group[in->num_groups++] = file;
    return 0;
}

trainer_data *trainer_data_load_mined(const trainer_options *opts, const char *model_path,
                                      const char *const *files, int num_files,
                                      const segmenter_options *windows,
                                      const mined_options *options, const char *pairs_path,
                                      const trainer_callbacks *cb, long *num_pairs,
                                      long *num_windows, char *err, int err_len) {
    *num_pairs = 0, *num_windows = 0;
    autoencoder *model = autoencoder_load(model_path, err, err_len);
    if (!model) return NULL;
    const feature_options *fo = autoencoder_feature_options(model);
    trainer_data *d = calloc(1, sizeof *d);
    mining_input in = {.vector_dim = autoencoder_vector_dim(model)};
    in.frames = calloc(num_files > 0 ? num_files : 1, sizeof *in.frames);
    in.file_of_group = malloc(sizeof(int) * (num_files > 0 ? num_files : 1));
    mined_pair *pairs = NULL;
    double audio_minutes = 0;
    int ok = 0;
    if (!d || !in.frames || !in.file_of_group) {
        snprintf(err, err_len, "out of memory");
        goto cleanup;
    }
    d->dim = features_dim(fo);
    if (audio_windows_visit(model, files, num_files, windows, opts->num_threads, 0, gather_file,
                            &in, cb, &audio_minutes, err, err_len) < 0)
        goto cleanup;
    d->num_files = in.num_groups;
    const int V = in.vector_dim, num_groups = in.num_groups;
    const window_set ws = in.ws;
    const feature_matrix *frames = in.frames;
    const int *file_of_group = in.file_of_group;
    *num_windows = ws.num;
    pair_miner_options mine = options->pairs;
    if (mine.max_pairs == 0 && options->pairs_per_minute > 0)
        mine.max_pairs = (long)ceil(options->pairs_per_minute * audio_minutes);
    trainer_note(cb, "mining pairs among %ld windows of %d files", ws.num, num_groups);
    double t0 = trainer_now_s();
    long np = pair_mine(ws.vectors, ws.windows, ws.num, V, &mine, opts->num_threads, &pairs, err,
                        err_len);
    if (np < 0) goto cleanup;
    if (np == 0) {
        snprintf(err, err_len, "no pair of windows found with cosine >= %.2f among %ld windows of "
                 "%d files (lower --mine-cosine, or train with --variant plain)",
                 mine.min_cosine, ws.num, num_groups);
        goto cleanup;
    }
    for (long p = 0; p < np; p++) {
        char name[32];
        snprintf(name, sizeof name, "pair%ld", p);
        int word = trainer_intern_word(d, name);
        if (word < 0) { snprintf(err, err_len, "out of memory"); goto cleanup; }
        const pair_window *w[2] = {&ws.windows[pairs[p].a], &ws.windows[pairs[p].b]};
        for (int k = 0; k < 2; k++) {
            long len = w[k]->end - w[k]->start;
            if (len > opts->max_segment_frames) len = opts->max_segment_frames;
            /* two "speakers" per pair: the correspondence variant pairs them */
            if (trainer_add_segment(d, frames[w[k]->group].data, w[k]->start, (int)len, word,
                                    (int)(2 * p + k)) != 0) {
                snprintf(err, err_len, "out of memory");
                goto cleanup;
            }
        }
    }
    if (pairs_path && write_pairs(pairs_path, pairs, np, &ws, files, file_of_group, fo, err,
                                  err_len) != 0)
        goto cleanup;
    *num_pairs = np;
    trainer_note(cb, "%ld pairs (cosine %.3f to %.3f), mined in %.1f s", np, pairs[np - 1].cosine,
                 pairs[0].cosine, trainer_now_s() - t0);
    ok = 1;
cleanup:
    for (int g = 0; g < in.num_groups; g++) features_free(&in.frames[g]);
    free(in.frames);
    free(in.file_of_group);
    free(in.ws.vectors);
    free(in.ws.windows);
    free(pairs);
    autoencoder_free(model);
    if (!ok) {
        trainer_data_free(d);
        return NULL;
    }
    return d;
}
