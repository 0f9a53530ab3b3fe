/* Spoken queries against an open index: the query's frames, trimmed to its
 * speech, are encoded and scored against the index's vectors, loaded once
 * and shared by every query of the run. Used by `s2s query` and `s2s eval`. */
#ifndef S2S_QUERY_RUNNER_H
#define S2S_QUERY_RUNNER_H
#include "index_search.h"
#include "index_session.h"

typedef struct {
    index_session session;
    index_matrix *matrix;
    double load_s;        /* time to load the vectors */
    int band_rate_hz;     /* the highest sample rate among the recordings: a
                             query is heard through that band (below the
                             model's rate: telephone audio) */
} query_runner;

/* Opens the index read-only with its model and loads the vectors. Returns
 * 0, or -1 with err. */
int query_runner_open(query_runner *r, const char *db_path, const char *model_path, char *err,
                      int err_len);
void query_runner_close(query_runner *r);

/* Encodes one query file, trimmed to its speech, into vector (the model's
 * vector_dim values), its audio limited to the band of the index's
 * recordings when that is narrower (features_compute_band_limited: a
 * clean query against telephone recordings); fills the speech span. Returns 0, or -1 with err
 * (unreadable file, no speech...). */
int query_runner_encode(query_runner *r, const char *query_path, float *vector,
                        double *speech_start_s, double *speech_end_s, char *err, int err_len);

/* Searches with an encoded query: hits receives up to options->k hits (best
 * first), *num_hits how many. Returns 0, or -1 with err. */
int query_runner_search_vector(query_runner *r, const float *vector,
                               const index_search_options *options, index_hit *hits, int *num_hits,
                               char *err, int err_len);

/* Runs one query file (encode, then search): hits receives up to options->k hits (best first),
 * *num_hits how many. Fills the query's speech span. Returns 0, or -1 with
 * err (unreadable file, no speech, empty index...). */
int query_runner_search(query_runner *r, const char *query_path, const index_search_options *options,
                        index_hit *hits, int *num_hits, double *speech_start_s,
                        double *speech_end_s, char *err, int err_len);
#endif
