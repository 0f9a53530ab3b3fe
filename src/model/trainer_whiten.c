/* The whitening step (see trainer_whiten.h). */
#include "trainer_whiten.h"
#include "audio_windows.h"
#include "trainer_internal.h"

#include <stdio.h>
#include <stdlib.h>

static int add_windows(void *ctx, int file, feature_matrix *frames, const embedded_segments *segs,
                       char *err, int err_len) {
    (void)file, (void)frames;
    if (whitening_stats_add(ctx, segs->vectors, segs->num_segments) != 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

int trainer_whiten(const char *model_path, const char *const *files, int num_files,
                   const segmenter_options *windows, double cap, int num_threads,
                   const char *out_path, const trainer_callbacks *cb, whitening_report *report,
                   long *num_windows, char *err, int err_len) {
    *num_windows = 0;
    char why[512];
    model_file *init = model_file_read(model_path, why, sizeof why);
    autoencoder *model = init ? autoencoder_from_file(init, why, sizeof why) : NULL;
    float passes = 0; /* whitenings the model has had already */
    if (init && model_file_scalar(init, "whiten.passes", &passes, err, err_len) != 0) passes = 0;
    model_file_free(init);
    if (!model) {
        snprintf(err, err_len, "%s: %s", model_path, why);
        return -1;
    }
    if (passes > 0)
        trainer_note(cb, "%s was whitened %.0f time%s already: another pass flattens its vector "
                     "space further (measured: lower MAP; README, Retraining)", model_path, passes,
                     passes > 1 ? "s" : "");
    const int V = autoencoder_vector_dim(model);
    whitening_stats stats;
    float *transform = malloc(sizeof(float) * V * V), *mean = malloc(sizeof(float) * V);
    model_file *file = NULL;
    int rc = -1;
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
    if (autoencoder_fold_affine(model, transform, mean) != 0) {
        snprintf(err, err_len, "out of memory");
        goto done;
    }
    if (!(file = autoencoder_to_file(model)) ||
        model_file_add_scalar(file, "whiten.cap", (float)cap) != 0 ||
        model_file_add_scalar(file, "whiten.windows", (float)stats.count) != 0 ||
        model_file_add_scalar(file, "whiten.passes", passes + 1) != 0) {
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
