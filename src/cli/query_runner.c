/* Query runner (see query_runner.h). */
#include "query_runner.h"
#include "gemm.h"

#include "cli.h"

#include "recording_embedder.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* A query's matrix products are tiny: BLAS threads would only add latency. */
int query_runner_open(query_runner *r, const char *db_path, const char *model_path, char *err,
                      int err_len) {
    r->matrix = NULL;
    nn_blas_set_threads(1);
    if (index_session_open(&r->session, db_path, model_path, 0, err, err_len) != 0) return -1;
    double t0 = cli_now_s();
    char load_err[512];
    if (index_load_vectors(r->session.db, r->session.model_id, 0, &r->matrix, load_err,
                           sizeof load_err) != 0) {
        snprintf(err, err_len, "%s: %s", db_path, load_err);
        index_session_close(&r->session);
        return -1;
    }
    r->load_s = cli_now_s() - t0;
    if (index_max_sample_rate(r->session.db, &r->band_rate_hz, load_err, sizeof load_err) != 0) {
        snprintf(err, err_len, "%s: %s", db_path, load_err);
        query_runner_close(r);
        return -1;
    }
    if (r->matrix->num_rows == 0) {
        snprintf(err, err_len, "%s: the index holds no segments (nothing indexed, or only silence)",
                 db_path);
        query_runner_close(r);
        return -1;
    }
    return 0;
}

void query_runner_close(query_runner *r) {
    index_matrix_free(r->matrix);
    r->matrix = NULL;
    index_session_close(&r->session);
}

int query_runner_encode(query_runner *r, const char *query_path, float *vector,
                        double *speech_start_s, double *speech_end_s, char *err, int err_len) {
    const autoencoder *model = r->session.model;
    feature_matrix frames;
    if (features_compute_band_limited(query_path, r->band_rate_hz, autoencoder_feature_options(model),
                                      autoencoder_feature_stats(model), &frames, err, err_len) != 0)
        return -1;
    int rc = embed_query(model, &frames, vector, speech_start_s, speech_end_s, err, err_len);
    features_free(&frames);
    return rc;
}

int query_runner_search_vector(query_runner *r, const float *vector,
                               const index_search_options *options, index_hit *hits, int *num_hits,
                               char *err, int err_len) {
    int rc = index_search(r->matrix, vector, 1, options, hits, num_hits, err, err_len);
    return rc == INDEX_SEARCH_EMPTY ? -1 : rc;
}

int query_runner_search(query_runner *r, const char *query_path, const index_search_options *options,
                        index_hit *hits, int *num_hits, double *speech_start_s,
                        double *speech_end_s, char *err, int err_len) {
    float *vector = malloc(sizeof(float) * autoencoder_vector_dim(r->session.model));
    if (!vector) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    int rc = query_runner_encode(r, query_path, vector, speech_start_s, speech_end_s, err, err_len);
    if (rc == 0) rc = query_runner_search_vector(r, vector, options, hits, num_hits, err, err_len);
    free(vector);
    return rc;
}
