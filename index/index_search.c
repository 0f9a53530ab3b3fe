/* Vector search: loading one model's vectors into a contiguous matrix,
 * scoring queries against it (BLAS for float32, an int32 dot product
 * the compiler vectorises, over threads, for int8), top-k selection with a bounded heap, and merging of
 * overlapping hits. See index_search.h for the contract and the merge rule. */
#include "index_search.h"
#include "index_internal.h"
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- loading ---- */

void index_matrix_free(index_matrix *m) {
    if (!m) return;
    free(m->vectors_f32);
    free(m->vectors_i8);
    free(m->scales);
    free(m->spans_s);
    free(m->row_recording);
    for (int i = 0; i < m->num_recordings; i++) free(m->recording_paths[i]);
    free(m->recording_paths);
    free(m->recording_ids);
    free(m);
}

int64_t index_matrix_bytes(const index_matrix *m) {
    int64_t value_bytes = m->format == INDEX_VECTORS_INT8 ? 1 : 4;
    int64_t bytes = m->num_rows * (m->dim * value_bytes + 2 * 4 + 4);
    if (m->format == INDEX_VECTORS_INT8) bytes += m->num_rows * 4;
    return bytes + (int64_t)m->num_recordings * (8 + 8);
}

/* Converts one stored row block into the matrix's memory format at row. */
static void convert_rows(index_matrix *m, int64_t row, int num_segments, int stored_format,
                         const void *vectors, const float *scales) {
    size_t num_values = (size_t)num_segments * m->dim;
    size_t offset = (size_t)row * m->dim;
    if (stored_format == m->format) {
        if (m->format == INDEX_VECTORS_FLOAT32) {
            memcpy(m->vectors_f32 + offset, vectors, num_values * sizeof(float));
        } else {
            memcpy(m->vectors_i8 + offset, vectors, num_values);
            memcpy(m->scales + row, scales, (size_t)num_segments * sizeof(float));
        }
    } else if (stored_format == INDEX_VECTORS_INT8) { /* int8 -> float32 */
        const int8_t *q = vectors;
        for (int i = 0; i < num_segments; i++)
            for (int j = 0; j < m->dim; j++)
                m->vectors_f32[offset + (size_t)i * m->dim + j] =
                    scales[i] * q[(size_t)i * m->dim + j];
    } else { /* float32 -> int8, as index_store.c packs */
        const float *v = vectors;
        for (int i = 0; i < num_segments; i++) {
            const float *src = v + (size_t)i * m->dim;
            int8_t *dst = m->vectors_i8 + offset + (size_t)i * m->dim;
            float max_abs = 0;
            for (int j = 0; j < m->dim; j++)
                if (fabsf(src[j]) > max_abs) max_abs = fabsf(src[j]);
            float scale = max_abs / 127.0f, inv_scale = scale > 0 ? 1.0f / scale : 0.0f;
            for (int j = 0; j < m->dim; j++) dst[j] = (int8_t)lrintf(src[j] * inv_scale);
            m->scales[row + i] = scale;
        }
    }
}

int index_load_vectors(index_db *idx, int64_t model_id, int memory_format, index_matrix **out,
                       char *err, int err_len) {
    sqlite3 *db = index_sqlite(idx);
    sqlite3_stmt *stmt = NULL;
    index_matrix *m = NULL;
    int status = -1, rc;
    int64_t num_rows = 0, num_int8_rows = 0, num_blocks = 0;
    *out = NULL;
    if (memory_format != 0 && memory_format != INDEX_VECTORS_FLOAT32 &&
        memory_format != INDEX_VECTORS_INT8)
        return index_fail(err, err_len, "unknown vector format %d", memory_format);

    /* One read transaction: the counts and the rows come from one snapshot
     * even while an indexing run writes. */
    rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK) return index_fail_sqlite(db, rc, "loading vectors", err, err_len);

    m = calloc(1, sizeof *m);
    if (!m) {
        index_fail(err, err_len, "out of memory");
        goto cleanup;
    }
    m->model_id = model_id;
    rc = sqlite3_prepare_v2(db,
                            "SELECT m.dim, count(v.id), coalesce(sum(v.num_segments), 0),"
                            " coalesce(sum(CASE WHEN v.format = 2 THEN v.num_segments END), 0)"
                            " FROM models m LEFT JOIN vectors v ON v.model_id = m.id"
                            " WHERE m.id = ?1 GROUP BY m.id",
                            -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        index_fail_sqlite(db, rc, "loading vectors", err, err_len);
        goto cleanup;
    }
    sqlite3_bind_int64(stmt, 1, model_id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        index_fail(err, err_len, "no model with id %lld in the index", (long long)model_id);
        goto cleanup;
    }
    if (rc != SQLITE_ROW) {
        index_fail_sqlite(db, rc, "loading vectors", err, err_len);
        goto cleanup;
    }
    m->dim = sqlite3_column_int(stmt, 0);
    num_blocks = sqlite3_column_int64(stmt, 1);
    num_rows = sqlite3_column_int64(stmt, 2);
    num_int8_rows = sqlite3_column_int64(stmt, 3);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (num_blocks > INT32_MAX || num_rows > INT32_MAX) {
        index_fail(err, err_len, "index too large to search: %lld segments", (long long)num_rows);
        goto cleanup;
    }

    m->format = memory_format ? memory_format
                              : (num_int8_rows * 2 >= num_rows && num_rows > 0 ? INDEX_VECTORS_INT8
                                                                               : INDEX_VECTORS_FLOAT32);
    size_t alloc_rows = num_rows ? (size_t)num_rows : 1;
    m->spans_s = malloc(alloc_rows * 2 * sizeof(float));
    m->row_recording = malloc(alloc_rows * sizeof(int32_t));
    m->recording_ids = malloc((num_blocks ? (size_t)num_blocks : 1) * sizeof(int64_t));
    m->recording_paths = calloc(num_blocks ? (size_t)num_blocks : 1, sizeof(char *));
    if (m->format == INDEX_VECTORS_FLOAT32) {
        m->vectors_f32 = malloc(alloc_rows * m->dim * sizeof(float));
    } else {
        m->vectors_i8 = malloc(alloc_rows * m->dim);
        m->scales = malloc(alloc_rows * sizeof(float));
    }
    if (!m->spans_s || !m->row_recording || !m->recording_ids || !m->recording_paths ||
        (!m->vectors_f32 && !m->vectors_i8) || (m->format == INDEX_VECTORS_INT8 && !m->scales)) {
        index_fail(err, err_len, "out of memory loading %lld vectors of dimension %d",
                   (long long)num_rows, m->dim);
        goto cleanup;
    }

    rc = sqlite3_prepare_v2(db,
                            "SELECT v.recording_id, r.path, v.num_segments, v.format, v.segments,"
                            " v.vectors, v.scales FROM vectors v"
                            " JOIN recordings r ON r.id = v.recording_id"
                            " WHERE v.model_id = ?1 ORDER BY v.id",
                            -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        index_fail_sqlite(db, rc, "loading vectors", err, err_len);
        goto cleanup;
    }
    sqlite3_bind_int64(stmt, 1, model_id);
    int64_t row = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(stmt, 1);
        int num_segments = sqlite3_column_int(stmt, 2);
        int format = sqlite3_column_int(stmt, 3);
        const void *segments = sqlite3_column_blob(stmt, 4);
        int segments_bytes = sqlite3_column_bytes(stmt, 4);
        const void *vectors = sqlite3_column_blob(stmt, 5);
        int64_t vectors_bytes = sqlite3_column_bytes(stmt, 5);
        const void *scales = sqlite3_column_blob(stmt, 6);
        int scales_bytes = sqlite3_column_bytes(stmt, 6);
        int64_t value_bytes = format == INDEX_VECTORS_INT8 ? 1 : 4;
        int bad = m->num_recordings >= num_blocks || row + num_segments > num_rows ||
                  segments_bytes != 8 * num_segments ||
                  vectors_bytes != (int64_t)num_segments * m->dim * value_bytes ||
                  (format == INDEX_VECTORS_INT8 && scales_bytes != 4 * num_segments) ||
                  (format != INDEX_VECTORS_INT8 && format != INDEX_VECTORS_FLOAT32);
        if (bad || !path) {
            index_fail(err, err_len, "index file is damaged: the vectors of %s have the wrong size",
                       path ? path : "a recording");
            goto cleanup;
        }
        int rec = m->num_recordings;
        m->recording_ids[rec] = sqlite3_column_int64(stmt, 0);
        m->recording_paths[rec] = strdup(path);
        if (!m->recording_paths[rec]) {
            index_fail(err, err_len, "out of memory");
            goto cleanup;
        }
        m->num_recordings++;
        if (num_segments == 0) continue;
        memcpy(m->spans_s + 2 * row, segments, (size_t)segments_bytes);
        for (int i = 0; i < num_segments; i++) m->row_recording[row + i] = rec;
        convert_rows(m, row, num_segments, format, vectors, scales);
        row += num_segments;
    }
    if (rc != SQLITE_DONE) {
        index_fail_sqlite(db, rc, "loading vectors", err, err_len);
        goto cleanup;
    }
    m->num_rows = row;
    long num_cpus = sysconf(_SC_NPROCESSORS_ONLN);
    m->num_threads = num_cpus < 1 ? 1 : num_cpus > 16 ? 16 : (int)num_cpus;
    *out = m;
    m = NULL;
    status = 0;
cleanup:
    sqlite3_finalize(stmt);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    index_matrix_free(m);
    return status;
}

/* ---- scoring ---- */

/* Queries scored together: bounds the score buffer to this many rows. */
#define QUERY_BLOCK 8
/* Below this many rows one thread scores int8 faster than several. */
#define MIN_ROWS_PER_THREAD 32768

typedef struct {
    const index_matrix *m;
    const int16_t *queries; /* (num_queries, dim), quantised */
    const float *query_scales; /* (num_queries): query ~ query_scales[q] * queries[q] */
    int num_queries;
    float *scores;          /* (num_queries, num_rows) */
    int64_t row_begin, row_end;
} int8_job;

/* Dot products of int8 rows with int16-quantised queries, summed in int32
 * (exact, so the compiler may reorder the sum and vectorise it: blocks of
 * 16 with a constant trip count vectorise even at -O2; measured 2.2x faster
 * than converting the rows to float). */
static void *score_int8_rows(void *arg) {
    const int8_job *job = arg;
    const index_matrix *m = job->m;
    const int dim = m->dim, dim16 = dim & ~15;
    for (int64_t r = job->row_begin; r < job->row_end; r++) {
        const int8_t *v = m->vectors_i8 + (size_t)r * dim;
        for (int q = 0; q < job->num_queries; q++) {
            const int16_t *x = job->queries + (size_t)q * dim;
            int32_t acc = 0;
            for (int j = 0; j < dim16; j += 16)
                for (int t = 0; t < 16; t++) acc += x[j + t] * (int16_t)v[j + t];
            for (int j = dim16; j < dim; j++) acc += x[j] * (int16_t)v[j];
            job->scores[(size_t)q * m->num_rows + r] = (float)acc * job->query_scales[q] * m->scales[r];
        }
    }
    return NULL;
}

/* Quantises unit queries to int16 with the largest step that keeps every
 * int32 dot product with an int8 row (|sum| <= 127 * dim * max|q|) exact. */
static void quantise_queries(const float *queries, int num_queries, int dim, int16_t *out,
                             float *scales) {
    double limit = 2147483647.0 / (127.0 * dim);
    float q_max = limit < 32767 ? (float)floor(limit) : 32767.0f;
    for (int q = 0; q < num_queries; q++) {
        const float *x = queries + (size_t)q * dim;
        float max_abs = 0;
        for (int j = 0; j < dim; j++)
            if (fabsf(x[j]) > max_abs) max_abs = fabsf(x[j]);
        scales[q] = max_abs / q_max;
        float inv = max_abs > 0 ? q_max / max_abs : 0.0f;
        for (int j = 0; j < dim; j++) out[(size_t)q * dim + j] = (int16_t)lrintf(x[j] * inv);
    }
}

static int score_block(const index_matrix *m, const float *queries, int num_queries, float *scores,
                       char *err, int err_len) {
    if (m->format == INDEX_VECTORS_FLOAT32) {
        if (num_queries == 1)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m->num_rows, m->dim, 1.0f,
                        m->vectors_f32, m->dim, queries, 1, 0.0f, scores, 1);
        else /* scores (nq, rows) = queries (nq, dim) x vectors^T (dim, rows) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, num_queries, (int)m->num_rows,
                        m->dim, 1.0f, queries, m->dim, m->vectors_f32, m->dim, 0.0f, scores,
                        (int)m->num_rows);
        return 0;
    }
    int16_t *quantised = malloc((size_t)num_queries * m->dim * sizeof(int16_t));
    float query_scales[QUERY_BLOCK];
    if (!quantised) return index_fail(err, err_len, "out of memory scoring queries");
    quantise_queries(queries, num_queries, m->dim, quantised, query_scales);
    int num_threads = m->num_threads < 1 ? 1 : m->num_threads;
    if (m->num_rows < (int64_t)num_threads * MIN_ROWS_PER_THREAD)
        num_threads = (int)(m->num_rows / MIN_ROWS_PER_THREAD) + 1;
    if (num_threads > 16) num_threads = 16;
    int8_job jobs[16];
    pthread_t threads[16];
    int num_started = 0;
    for (int t = 0; t < num_threads; t++) {
        jobs[t] = (int8_job){m, quantised, query_scales, num_queries, scores,
                             m->num_rows * t / num_threads, m->num_rows * (t + 1) / num_threads};
    }
    /* Job 0 runs on the calling thread; a job whose thread cannot start
     * runs here too. */
    for (int t = 1; t < num_threads; t++) {
        if (pthread_create(&threads[t], NULL, score_int8_rows, &jobs[t]) != 0) break;
        num_started = t;
    }
    score_int8_rows(&jobs[0]);
    for (int t = num_started + 1; t < num_threads; t++) score_int8_rows(&jobs[t]);
    for (int t = 1; t <= num_started; t++) pthread_join(threads[t], NULL);
    free(quantised);
    return 0;
}

/* ---- selection and merging ---- */

typedef struct {
    float score;
    int32_t row;
} candidate;

/* a ranks before b: higher score, then lower row (deterministic ties). */
static int ranks_before(candidate a, candidate b) {
    return a.score > b.score || (a.score == b.score && a.row < b.row);
}

static int compare_candidates(const void *pa, const void *pb) {
    candidate a = *(const candidate *)pa, b = *(const candidate *)pb;
    return ranks_before(a, b) ? -1 : ranks_before(b, a) ? 1 : 0;
}

/* Min-heap on rank (the worst candidate at the top). */
static void sift_down(candidate *heap, int size, int i) {
    for (;;) {
        int worst = i, l = 2 * i + 1, r = l + 1;
        if (l < size && ranks_before(heap[worst], heap[l])) worst = l;
        if (r < size && ranks_before(heap[worst], heap[r])) worst = r;
        if (worst == i) return;
        candidate tmp = heap[i];
        heap[i] = heap[worst];
        heap[worst] = tmp;
        i = worst;
    }
}

static void sift_up(candidate *heap, int i) {
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!ranks_before(heap[parent], heap[i])) return;
        candidate tmp = heap[i];
        heap[i] = heap[parent];
        heap[parent] = tmp;
        i = parent;
    }
}

/* The best num_wanted rows (score >= threshold when used), best first, in
 * candidates; returns how many. O(rows log num_wanted) at worst, about
 * O(rows) in practice since most rows lose to the heap's worst at once. */
static int select_top(const float *scores, int64_t num_rows, const index_search_options *opts,
                      int num_wanted, candidate *candidates) {
    int size = 0;
    for (int64_t r = 0; r < num_rows; r++) {
        candidate c = {scores[r], (int32_t)r};
        if (opts->use_threshold && !(c.score >= opts->threshold)) continue;
        if (size < num_wanted) {
            candidates[size] = c;
            sift_up(candidates, size++);
        } else if (ranks_before(c, candidates[0])) {
            candidates[0] = c;
            sift_down(candidates, size, 0);
        }
    }
    qsort(candidates, (size_t)size, sizeof *candidates, compare_candidates);
    return size;
}

static int spans_overlap(const float *a, const float *b) {
    float inter = fminf(a[1], b[1]) - fmaxf(a[0], b[0]);
    float shorter = fminf(a[1] - a[0], b[1] - b[0]);
    if (inter < 0) return 0;
    return shorter <= 0 ? 1 : inter > 0.5f * shorter;
}

/* Non-maximum suppression over candidates (best first) into hits; returns
 * the number kept (at most k). kept_head: (num_recordings) all -1 on entry
 * and on return; kept_next: (k). */
static int merge_hits(const index_matrix *m, const candidate *candidates, int num_candidates,
                      const index_search_options *opts, index_hit *hits, int *kept_head,
                      int *kept_next) {
    int num_kept = 0;
    for (int c = 0; c < num_candidates && num_kept < opts->k; c++) {
        int64_t row = candidates[c].row;
        int rec = m->row_recording[row];
        const float *span = m->spans_s + 2 * row;
        int dropped = 0;
        for (int h = kept_head[rec]; h >= 0 && !dropped; h = kept_next[h])
            dropped = opts->per_file || spans_overlap(span, m->spans_s + 2 * hits[h].row);
        if (dropped) continue;
        hits[num_kept] = (index_hit){m->recording_paths[rec], m->recording_ids[rec], row,
                                     span[0], span[1], candidates[c].score};
        kept_next[num_kept] = kept_head[rec];
        kept_head[rec] = num_kept;
        num_kept++;
    }
    for (int h = 0; h < num_kept; h++) kept_head[m->row_recording[hits[h].row]] = -1;
    return num_kept;
}

/* Top-k merged hits of one scored query. Merging may drop candidates, so
 * the candidate pool grows until k hits are kept or no row is left; since a
 * hit is kept or dropped only by better ones, the hits of a pool are a
 * prefix of the hits of all rows. */
static int search_scores(const index_matrix *m, const float *scores,
                         const index_search_options *opts, index_hit *hits, int *num_hits,
                         candidate **pool, int *pool_size, int *kept_head, int *kept_next,
                         char *err, int err_len) {
    int64_t num_wanted = 8 * (int64_t)opts->k + 32;
    for (;;) {
        if (num_wanted > m->num_rows) num_wanted = m->num_rows;
        if (num_wanted > *pool_size) {
            candidate *grown = realloc(*pool, (size_t)num_wanted * sizeof **pool);
            if (!grown) return index_fail(err, err_len, "out of memory selecting hits");
            *pool = grown;
            *pool_size = (int)num_wanted;
        }
        int num_candidates = select_top(scores, m->num_rows, opts, (int)num_wanted, *pool);
        *num_hits = merge_hits(m, *pool, num_candidates, opts, hits, kept_head, kept_next);
        if (*num_hits == opts->k || num_candidates < num_wanted || num_wanted == m->num_rows)
            return 0;
        num_wanted *= 4;
    }
}

index_search_options index_search_defaults(void) {
    return (index_search_options){.k = 10, .per_file = 0, .use_threshold = 0, .threshold = 0};
}

int index_search(const index_matrix *m, const float *queries, int num_queries,
                 const index_search_options *opts, index_hit *hits, int *num_hits, char *err,
                 int err_len) {
    int status = -1;
    float *unit_queries = NULL, *scores = NULL;
    candidate *pool = NULL;
    int pool_size = 0;
    int *kept_head = NULL, *kept_next = NULL;
    for (int q = 0; q < num_queries; q++) num_hits[q] = 0;
    if (opts->k <= 0) return index_fail(err, err_len, "k must be positive, not %d", opts->k);
    if (num_queries <= 0) return 0;
    if (m->num_rows == 0) {
        index_fail(err, err_len, "the index holds no vectors of model %lld: nothing to search",
                   (long long)m->model_id);
        return INDEX_SEARCH_EMPTY;
    }
    int block = num_queries < QUERY_BLOCK ? num_queries : QUERY_BLOCK;
    unit_queries = malloc((size_t)num_queries * m->dim * sizeof(float));
    scores = malloc((size_t)block * m->num_rows * sizeof(float));
    kept_head = malloc((size_t)m->num_recordings * sizeof(int));
    kept_next = malloc((size_t)opts->k * sizeof(int));
    if (!unit_queries || !scores || !kept_head || !kept_next) {
        index_fail(err, err_len, "out of memory searching %lld vectors", (long long)m->num_rows);
        goto cleanup;
    }
    for (int r = 0; r < m->num_recordings; r++) kept_head[r] = -1;

    /* Unit queries; a zero or non-finite query is skipped (no hits). */
    for (int q = 0; q < num_queries; q++) {
        const float *x = queries + (size_t)q * m->dim;
        double sum_sq = 0;
        for (int j = 0; j < m->dim; j++) sum_sq += (double)x[j] * x[j];
        float inv_norm = (sum_sq > 0 && isfinite(sum_sq)) ? (float)(1.0 / sqrt(sum_sq)) : 0.0f;
        for (int j = 0; j < m->dim; j++) unit_queries[(size_t)q * m->dim + j] = x[j] * inv_norm;
    }

    for (int q0 = 0; q0 < num_queries; q0 += block) {
        int nq = num_queries - q0 < block ? num_queries - q0 : block;
        if (score_block(m, unit_queries + (size_t)q0 * m->dim, nq, scores, err, err_len))
            goto cleanup;
        for (int q = 0; q < nq; q++) {
            const float *x = unit_queries + (size_t)(q0 + q) * m->dim;
            int is_zero = 1;
            for (int j = 0; j < m->dim && is_zero; j++) is_zero = x[j] == 0.0f;
            if (is_zero) continue;
            if (search_scores(m, scores + (size_t)q * m->num_rows, opts,
                              hits + (size_t)(q0 + q) * opts->k, &num_hits[q0 + q], &pool,
                              &pool_size, kept_head, kept_next, err, err_len))
                goto cleanup;
        }
    }
    status = 0;
cleanup:
    free(unit_queries);
    free(scores);
    free(pool);
    free(kept_head);
    free(kept_next);
    return status;
}
