/* Index + model pairing (see index_session.h). */
#include "index_session.h"

#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load_model(index_session *s, const char *path, char *err, int err_len) {
    char model_err[CLI_ERR_LEN];
    if (!realpath(path, s->model_path)) snprintf(s->model_path, sizeof s->model_path, "%s", path);
    s->model = autoencoder_load(s->model_path, model_err, sizeof model_err);
    if (!s->model) {
        snprintf(err, err_len, "%s: %s", s->model_path, model_err);
        return -1;
    }
    return 0;
}

/* Settings recorded beside the model in the index, for `s2s stats` and for
 * reindex's check that two models read the same features. full = 0 gives
 * the text older indexes recorded (without the delta and mean windows). */
static void model_settings_json(const autoencoder *m, int full, char *out, int len) {
    const feature_options *f = autoencoder_feature_options(m);
    int n = snprintf(out, len,
                     "{\"vector_dim\": %d, \"num_mel_bins\": %d, \"low_freq_hz\": %g, "
                     "\"high_freq_hz\": %g, \"num_ceps\": %d, \"num_deltas\": %d",
                     autoencoder_vector_dim(m), f->mfcc.num_mel_bins, f->mfcc.low_freq_hz,
                     f->mfcc.high_freq_hz, f->mfcc.num_ceps, f->num_deltas);
    if (n < 0 || n >= len) return;
    if (full)
        snprintf(out + n, len - n, ", \"delta_window\": %d, \"cmn_window_frames\": %d}",
                 f->delta_window, f->cmn_window_frames);
    else
        snprintf(out + n, len - n, "}");
}

static int open_for_writing(index_session *s, const char *db_path, const char *model_path,
                            char *err, int err_len) {
    if (load_model(s, model_path ? model_path : cli_default_model_path(), err, err_len) != 0)
        return -1;
    int64_t active = 0;
    if (index_get_active_model(s->db, &active, err, err_len) != 0) return -1;
    if (active) {
        index_model current;
        if (index_get_model(s->db, active, &current, err, err_len) != 0) return -1;
        int same = !strcmp(current.file_hash, autoencoder_hash(s->model));
        if (!same && current.num_segments > 0) {
            snprintf(err, err_len,
                     "the index holds vectors of model %s (%s), not of %s (%s); use another --db "
                     "or the index's model, or re-embed the index with this one first "
                     "(s2s reindex --db %s --model %s)",
                     current.name, current.file_hash, s->model_path, autoencoder_hash(s->model),
                     db_path, s->model_path);
            index_model_free(&current);
            return -1;
        }
        index_model_free(&current);
    }
    char settings[512];
    model_settings_json(s->model, 1, settings, sizeof settings);
    if (index_register_model(s->db, autoencoder_hash(s->model), s->model_path,
                             autoencoder_vector_dim(s->model), settings, &s->model_id, err,
                             err_len) != 0)
        return -1;
    return index_set_active_model(s->db, s->model_id, err, err_len);
}

static int open_for_reading(index_session *s, const char *db_path, const char *model_path,
                            char *err, int err_len) {
    int64_t active = 0;
    if (index_get_active_model(s->db, &active, err, err_len) != 0) return -1;
    if (!active) {
        snprintf(err, err_len, "the index is empty: add recordings with 's2s index' first");
        return -1;
    }
    index_model current;
    if (index_get_model(s->db, active, &current, err, err_len) != 0) return -1;
    int rc = -1;
    if (model_path) {
        if (load_model(s, model_path, err, err_len) != 0) goto cleanup;
    } else if (load_model(s, current.name, err, err_len) != 0 &&
               load_model(s, cli_default_model_path(), err, err_len) != 0) {
        goto cleanup;
    }
    if (strcmp(current.file_hash, autoencoder_hash(s->model)) != 0) {
        snprintf(err, err_len,
                 "the index's vectors were made by model %s (%s), not by %s (%s): vectors of two "
                 "models cannot be compared; to search with it, re-embed the index first "
                 "(s2s reindex --db %s --model %s)",
                 current.name, current.file_hash, s->model_path, autoencoder_hash(s->model),
                 db_path, s->model_path);
        goto cleanup;
    }
    s->model_id = active;
    rc = 0;
cleanup:
    index_model_free(&current);
    return rc;
}

int index_session_open(index_session *s, const char *db_path, const char *model_path, int writing,
                       char *err, int err_len) {
    memset(s, 0, sizeof *s);
    char db_err[CLI_ERR_LEN];
    if (index_open(db_path, !writing, &s->db, db_err, sizeof db_err) != 0) {
        snprintf(err, err_len, "%s: %s", db_path, db_err);
        return -1;
    }
    int rc = writing ? open_for_writing(s, db_path, model_path, err, err_len)
                     : open_for_reading(s, db_path, model_path, err, err_len);
    if (rc != 0) index_session_close(s);
    return rc;
}

/* The feature part of model_settings_json's text: everything after the
 * vector size, which comes first. */
static const char *feature_settings(const char *settings) {
    const char *comma = settings ? strchr(settings, ',') : NULL;
    return comma ? comma + 1 : "";
}

static int open_for_reembed(index_session *s, const char *model_path, int64_t *old_model_id,
                            char *err, int err_len) {
    if (load_model(s, model_path, err, err_len) != 0) return -1;
    int64_t active = 0;
    if (index_get_active_model(s->db, &active, err, err_len) != 0) return -1;
    if (!active) {
        snprintf(err, err_len, "the index is empty: nothing to re-embed with %s", s->model_path);
        return -1;
    }
    index_model current;
    if (index_get_model(s->db, active, &current, err, err_len) != 0) return -1;
    char settings[512], legacy[512];
    model_settings_json(s->model, 1, settings, sizeof settings);
    model_settings_json(s->model, 0, legacy, sizeof legacy);
    int rc = -1;
    int dim = autoencoder_vector_dim(s->model);
    if (dim != current.dim) {
        snprintf(err, err_len,
                 "cannot reindex with %s: its vectors have %d values, those of the index's model "
                 "%s have %d; reindex needs the same vector size and feature settings",
                 s->model_path, dim, current.name, current.dim);
        goto cleanup;
    }
    /* Compare with the text in the form the index recorded it. */
    const char *mine = current.settings && strstr(current.settings, "cmn_window_frames")
                           ? settings : legacy;
    if (current.settings && strcmp(feature_settings(mine), feature_settings(current.settings))) {
        snprintf(err, err_len,
                 "cannot reindex with %s: its feature settings {%s differ from those of the "
                 "index's model %s {%s",
                 s->model_path, feature_settings(mine), current.name,
                 feature_settings(current.settings));
        goto cleanup;
    }
    if (index_register_model(s->db, autoencoder_hash(s->model), s->model_path, dim, settings,
                             &s->model_id, err, err_len) != 0)
        goto cleanup;
    *old_model_id = active;
    rc = 0;
cleanup:
    index_model_free(&current);
    return rc;
}

int index_session_open_reembed(index_session *s, const char *db_path, const char *model_path,
                               int64_t *old_model_id, char *err, int err_len) {
    memset(s, 0, sizeof *s);
    char db_err[CLI_ERR_LEN];
    if (index_open(db_path, 0, &s->db, db_err, sizeof db_err) != 0) {
        snprintf(err, err_len, "%s: %s", db_path, db_err);
        return -1;
    }
    int rc = open_for_reembed(s, model_path, old_model_id, err, err_len);
    if (rc != 0) index_session_close(s);
    return rc;
}

void index_session_close(index_session *s) {
    index_close(s->db);
    autoencoder_free(s->model);
    s->db = NULL;
    s->model = NULL;
}
