/* The whitening step (see trainer_whiten.h). */
#include "trainer_whiten.h"
#include "audio_windows.h"
#include "trainer_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* audio_windows_visit's visitor: adds a file's windows (the projection's
 * outputs) to the running sums in ctx (whitening_stats). */
static int add_windows(void *ctx, int file, feature_matrix *frames, const embedded_segments *segs,
                       char *err, int err_len) {
    (void)file, (void)frames;
    if (whitening_stats_add(ctx, segs->vectors, segs->num_segments) != 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* Undoes the whitening folded into model's projection, if any, so that a
 * new fit starts from the vectors the model had before it: z' = T (z - mu)
 * becomes z = T^-1 z' + mu, i.e. the map T^-1 (z' - (-T mu)).  0, or -1. */
static int unwhiten(autoencoder *model) {
    const float *old_mean;
    const float *old = autoencoder_whitening(model, &old_mean, NULL, NULL);
    if (!old) return 0;
    const int V = autoencoder_vector_dim(model);
    float *inverse = malloc(sizeof(float) * V * V), *shift = malloc(sizeof(float) * V);
    int rc = -1;
    if (inverse && shift && whitening_invert(old, V, inverse) == 0) {
        for (int i = 0; i < V; i++) {
            double sum = 0;
            for (int j = 0; j < V; j++) sum += (double)old[(size_t)i * V + j] * old_mean[j];
            shift[i] = (float)-sum;
        }
        rc = autoencoder_fold_affine(model, inverse, shift) == 0 &&
                     autoencoder_set_whitening(model, NULL, NULL, 0, 0) == 0
                 ? 0
                 : -1;
    }
    free(inverse);
    free(shift);
    return rc;
}

int trainer_whiten(const char *model_path, const char *const *files, int num_files,
                   const segmenter_options *windows, double cap, int num_threads,
                   const char *out_path, const trainer_callbacks *cb, whitening_report *report,
                   long *num_windows, char *err, int err_len) {
    *num_windows = 0;
    char why[512];
    autoencoder *model = autoencoder_load(model_path, why, sizeof why);
    if (!model) {
        snprintf(err, err_len, "%s: %s", model_path, why);
        return -1;
    }
    const int V = autoencoder_vector_dim(model);
    whitening_stats stats = {0};
    float *transform = malloc(sizeof(float) * V * V), *mean = malloc(sizeof(float) * V);
    model_file *file = NULL;
    int rc = -1;
    float old_cap;
    long old_windows;
    if (autoencoder_whitening(model, NULL, &old_cap, &old_windows)) {
        trainer_note(cb, "%s is whitened already (cap %g, fitted on %ld windows): that whitening "
                     "is undone and replaced by one fitted on this audio", model_path, old_cap,
                     old_windows);
        if (unwhiten(model) != 0) {
            snprintf(err, err_len, "%s: its whitening cannot be undone", model_path);
            goto done;
        }
    }
    if (whitening_stats_init(&stats, V) != 0 || !transform || !mean) {
        snprintf(err, err_len, "out of memory");
        goto done;
    }
    double t0 = trainer_now_s(), minutes;
    if (audio_windows_visit(model, files, num_files, windows, num_threads, 1, add_windows, &stats,
                            cb, &minutes, err, err_len) < 0)
        goto done;
    *num_windows = stats.count;
    trainer_note(cb, "embedded %ld windows of %.1f min of audio in %.1f s", stats.count, minutes,
                 trainer_now_s() - t0);
    if (whitening_fit(&stats, cap, transform, mean, report, why, sizeof why) != 0) {
        snprintf(err, err_len, "the audio given: %s", why);
        goto done;
    }
    if (autoencoder_fold_affine(model, transform, mean) != 0 ||
        autoencoder_set_whitening(model, transform, mean, (float)cap, stats.count) != 0 ||
        !(file = autoencoder_to_file(model))) {
        snprintf(err, err_len, "out of memory");
        goto done;
    }
    rc = model_file_write(file, out_path, err, err_len);
done:
    model_file_free(file);
    whitening_stats_free(&stats);
    free(transform);
    free(mean);
    autoencoder_free(model);
    return rc;
}
