/* File-by-file embedding of audio windows (see audio_windows.h). */
#include "audio_windows.h"
#include "trainer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int audio_windows_visit(const autoencoder *model, const char *const *files, int num_files,
                        const segmenter_options *windows, int num_threads, int unnormalised,
                        audio_window_visitor visit, void *ctx, const trainer_callbacks *cb,
                        double *audio_minutes, char *err, int err_len) {
    *audio_minutes = 0;
    const feature_options *fo = autoencoder_feature_options(model);
    const feature_stats *stats = autoencoder_feature_stats(model);
    const int D = features_dim(fo);
    embedder_state *embedder = embedder_state_new(model, windows, num_threads);
    float *normalised = NULL;
    long normalised_cap = 0;
    int visited = 0;
    if (!embedder) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    embedder_state_set_unnormalised(embedder, unnormalised);
    for (int i = 0; i < num_files; i++) {
        char ferr[512];
        feature_matrix fm;
        if (features_compute(files[i], fo, NULL, &fm, ferr, sizeof ferr) != 0) {
            if (cb && cb->file_failed) cb->file_failed(cb->ctx, files[i], ferr);
            continue;
        }
        long n = fm.num_frames * D;
        if (n > normalised_cap) {
            float *grown = realloc(normalised, sizeof(float) * (n > 0 ? n : 1));
            if (!grown) {
                features_free(&fm);
                snprintf(err, err_len, "out of memory");
                visited = -1;
                break;
            }
            normalised = grown, normalised_cap = n;
        }
        *audio_minutes += fm.duration_s / 60.0;
        memcpy(normalised, fm.data, sizeof(float) * n);
        features_normalise(normalised, fm.num_frames, stats);
        feature_matrix view = fm;
        view.data = normalised;
        embedded_segments segs;
        int rc = embed_recording(embedder, &view, &segs, err, err_len);
        if (rc == 0) {
            rc = visit(ctx, i, &fm, &segs, err, err_len);
            embedded_segments_free(&segs);
        }
        features_free(&fm);
        if (rc != 0) {
            visited = -1;
            break;
        }
        visited++;
        if ((i + 1) % 500 == 0) trainer_note(cb, "embedded %d of %d files", i + 1, num_files);
    }
    free(normalised);
    embedder_state_free(embedder);
    return visited;
}
