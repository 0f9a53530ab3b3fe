/* Cosine search over the vectors of one model: all of them are loaded into
 * one contiguous matrix, a query is scored against every row at once, the
 * best rows are picked without sorting them all, and overlapping hits in the
 * same recording are merged.
 *
 * Stored vectors are unit length, so cosine similarity is a dot product.
 * The matrix is held either as float32 (scored with cblas_sgemv/sgemm) or as
 * int8 with a per-row scale (the query quantised to int16, exact int32 dot
 * products in a loop the compiler vectorises, rows split over threads): int8
 * takes a quarter of the memory and of the memory bandwidth, which is what
 * bounds a search over a million rows (measured at 1 million rows of dim 256
 * on 2 cores: ~30 ms int8, ~110 ms float32).
 *
 * Merging (non-maximum suppression): hits are taken best first; a hit is
 * dropped when an already kept hit of the same recording overlaps it, i.e.
 * their time spans intersect by more than half of the shorter span (a
 * zero-length span overlaps any span that contains it). With per_file only the
 * best hit of each recording is kept. The result is exactly that of merging
 * the full sorted list of all rows, truncated to k.
 *
 * A loaded matrix is read-only: any number of threads may search it at once. */
#ifndef S2S_INDEX_SEARCH_H
#define S2S_INDEX_SEARCH_H
#include "index_store.h"
#include <stdint.h>

typedef struct {
    int64_t model_id;
    int dim;
    int64_t num_rows;
    int format;             /* INDEX_VECTORS_FLOAT32 or INDEX_VECTORS_INT8 */
    float *vectors_f32;     /* (num_rows, dim) when float32, else NULL */
    int8_t *vectors_i8;     /* (num_rows, dim) when int8, else NULL */
    float *scales;          /* (num_rows) when int8, else NULL */
    float *spans_s;         /* (num_rows, 2): start_s, end_s */
    int32_t *row_recording; /* (num_rows): index into recording_ids/paths */
    int num_recordings;
    int64_t *recording_ids; /* (num_recordings) */
    char **recording_paths; /* (num_recordings) */
    int num_threads;        /* threads for int8 scoring; set by load, may be changed */
} index_matrix;

/* Loads every vector of model_id (one consistent snapshot) into a new
 * matrix. memory_format: INDEX_VECTORS_FLOAT32, INDEX_VECTORS_INT8, or 0 for
 * the format most rows are stored in; rows stored otherwise are converted.
 * A model without vectors gives a matrix of 0 rows (not an error); an
 * unknown model_id is an error. Free with index_matrix_free. */
int index_load_vectors(index_db *idx, int64_t model_id, int memory_format, index_matrix **out,
                       char *err, int err_len);
void index_matrix_free(index_matrix *matrix);

/* Bytes the matrix holds in memory. */
int64_t index_matrix_bytes(const index_matrix *matrix);

typedef struct {
    int k;             /* hits wanted (after merging); > 0 */
    int per_file;      /* keep only the best hit of each recording */
    int use_threshold; /* drop hits scoring below threshold */
    float threshold;
} index_search_options;

/* Default options: k = 10, no per_file, no threshold. */
index_search_options index_search_defaults(void);

typedef struct {
    const char *path;   /* belongs to the matrix */
    int64_t recording_id;
    int64_t row;        /* the matrix row of the hit */
    float start_s, end_s;
    float score;        /* cosine similarity, in [-1, 1] */
} index_hit;

#define INDEX_SEARCH_EMPTY 1

/* Searches num_queries queries (num_queries, dim) at once. hits: room for
 * num_queries * opts->k hits, query q's at hits + q * k, best first;
 * num_hits[q] receives how many. Queries need not be unit length (they are
 * normalised here; a zero query gives no hits). Returns 0, -1 on error, or
 * INDEX_SEARCH_EMPTY (with every num_hits 0 and a message in err) when the
 * matrix has no rows. */
int index_search(const index_matrix *matrix, const float *queries, int num_queries,
                 const index_search_options *opts, index_hit *hits, int *num_hits, char *err,
                 int err_len);

#endif
