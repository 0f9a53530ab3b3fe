/* Unit tests of the index file (index_store.h): schema round trip, change
 * detection, replacement and removal of recordings, read-only use, refusal
 * of newer, foreign and damaged files, atomicity of a failed put (constraint
 * failure, full disk, busy lock), and SQLite's own integrity check. */
#include "index_search.h"
#include "index_store.h"
#include "test_util.h"
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIM 16

static char err[512];

static const char *temp_path(const char *name) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", test_make_temp_dir(), name);
    return path;
}

/* Random unit-ish vectors and consecutive 0.5 s segments. */
static void make_segments(int num_segments, int dim, uint64_t seed, float *segments_s,
                          float *vectors) {
    uint64_t state = seed;
    for (int i = 0; i < num_segments; i++) {
        segments_s[2 * i] = 0.25f * i;
        segments_s[2 * i + 1] = 0.25f * i + 0.5f;
        for (int j = 0; j < dim; j++) vectors[i * dim + j] = test_random_uniform(&state);
    }
}

static index_recording make_recording(const char *path, int64_t size_bytes, int64_t mtime_ns,
                                      const char *hash) {
    return (index_recording){.path = path, .size_bytes = size_bytes, .mtime_ns = mtime_ns,
                             .content_hash = hash, .duration_s = 12.5, .sample_rate_hz = 8000};
}

static void put_or_fail(index_db *idx, const index_recording *rec, int64_t model_id,
                        int num_segments, uint64_t seed) {
    float *segments = malloc(sizeof(float) * 2 * (num_segments + 1));
    float *vectors = malloc(sizeof(float) * DIM * (num_segments + 1));
    make_segments(num_segments, DIM, seed, segments, vectors);
    int rc = index_put_recording(idx, rec, model_id, segments, vectors, num_segments, err,
                                 sizeof err);
    ck_assert_msg(rc == 0, "put %s: %s", rec->path, err);
    free(segments);
    free(vectors);
}

static int64_t count_rows(index_db *idx, const char *sql) {
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(index_sqlite(idx), sql, -1, &stmt, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

static index_db *open_or_fail(const char *path, int read_only) {
    index_db *idx = NULL;
    int rc = index_open(path, read_only, &idx, err, sizeof err);
    ck_assert_msg(rc == 0, "open %s: %s", path, err);
    return idx;
}

static int64_t register_or_fail(index_db *idx, const char *hash) {
    int64_t model_id = 0;
    int rc = index_register_model(idx, hash, "test model", DIM, "{\"dim\":16}", &model_id, err,
                                  sizeof err);
    ck_assert_msg(rc == 0, "register: %s", err);
    return model_id;
}

/* The messages a user would see, in the test log for review. */
static void show_message(const char *what) { fprintf(stderr, "  %-16s -> %s\n", what, err); }

static void assert_integrity(index_db *idx) {
    ck_assert_msg(index_check_integrity(idx, err, sizeof err) == 0, "integrity: %s", err);
}

typedef struct {
    int num_seen;
    char paths[8][64];
    int64_t num_segments[8];
    double duration_s[8];
    int sample_rate_hz[8];
    char transcript[8][64];
    int64_t ids[8];
} listing;

static int collect(const index_recording *rec, void *user) {
    listing *l = user;
    if (l->num_seen < 8) {
        snprintf(l->paths[l->num_seen], 64, "%s", rec->path);
        l->ids[l->num_seen] = rec->id;
        l->num_segments[l->num_seen] = rec->num_segments;
        l->duration_s[l->num_seen] = rec->duration_s;
        l->sample_rate_hz[l->num_seen] = rec->sample_rate_hz;
        snprintf(l->transcript[l->num_seen], 64, "%s", rec->transcript ? rec->transcript : "");
    }
    l->num_seen++;
    return 0;
}

START_TEST(test_schema_round_trip) {
    const char *path = temp_path("round.db");
    index_db *idx = open_or_fail(path, 0);
    ck_assert_int_eq(count_rows(idx, "PRAGMA user_version"), INDEX_SCHEMA_VERSION);
    ck_assert_int_eq(count_rows(idx, "PRAGMA application_id"), INDEX_APPLICATION_ID);
    ck_assert_int_eq(count_rows(idx, "PRAGMA foreign_keys"), 1);
    int64_t model_id = register_or_fail(idx, "abc123");
    index_recording rec = make_recording("/data/b.wav", 1000, 42, "h1");
    rec.transcript = "white house";
    put_or_fail(idx, &rec, model_id, 7, 1);
    put_or_fail(idx, &(index_recording){.path = "/data/a.wav", .size_bytes = 5, .mtime_ns = 6,
                                        .duration_s = 3.0, .sample_rate_hz = 16000},
                model_id, 0, 2);
    index_close(idx);

    idx = open_or_fail(path, 0);
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(index_sqlite(idx), "PRAGMA journal_mode", -1, &stmt, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(stmt, 0), "wal");
    sqlite3_finalize(stmt);

    listing l = {0};
    ck_assert_int_eq(index_list_recordings(idx, model_id, collect, &l, err, sizeof err), 0);
    ck_assert_int_eq(l.num_seen, 2);
    ck_assert_str_eq(l.paths[0], "/data/a.wav");
    ck_assert_str_eq(l.paths[1], "/data/b.wav");
    ck_assert_int_eq(l.num_segments[0], 0);
    ck_assert_int_eq(l.num_segments[1], 7);
    ck_assert_int_eq(l.sample_rate_hz[1], 8000);
    ck_assert_double_eq_tol(l.duration_s[1], 12.5, 1e-9);
    ck_assert_str_eq(l.transcript[1], "white house");

    index_model model;
    ck_assert_int_eq(index_get_model(idx, model_id, &model, err, sizeof err), 0);
    ck_assert_str_eq(model.file_hash, "abc123");
    ck_assert_str_eq(model.name, "test model");
    ck_assert_str_eq(model.settings, "{\"dim\":16}");
    ck_assert_int_eq(model.dim, DIM);
    ck_assert_int_eq(model.active, 1);
    ck_assert_int_eq(model.num_segments, 7);
    index_model_free(&model);

    index_stats stats;
    ck_assert_int_eq(index_get_stats(idx, &stats, err, sizeof err), 0);
    ck_assert_int_eq(stats.num_recordings, 2);
    ck_assert_int_eq(stats.num_segments, 7);
    ck_assert_double_eq_tol(stats.total_duration_s, 15.5, 1e-9);
    ck_assert_int_eq(stats.num_models, 1);
    ck_assert_int_eq(stats.active_model_id, model_id);
    ck_assert_int_gt(stats.file_size_bytes, 0);
    index_stats_free(&stats);

    /* Vectors come back unit length and close to what was put (int8). */
    index_matrix *m = NULL;
    ck_assert_msg(index_load_vectors(idx, model_id, INDEX_VECTORS_FLOAT32, &m, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(m->num_rows, 7);
    float segments[14], vectors[7 * DIM];
    make_segments(7, DIM, 1, segments, vectors);
    for (int i = 0; i < 7; i++) {
        double norm = 0, dot = 0, norm_in = 0;
        for (int j = 0; j < DIM; j++) {
            norm += m->vectors_f32[i * DIM + j] * m->vectors_f32[i * DIM + j];
            norm_in += vectors[i * DIM + j] * vectors[i * DIM + j];
            dot += m->vectors_f32[i * DIM + j] * vectors[i * DIM + j];
        }
        ck_assert_double_eq_tol(norm, 1.0, 2e-2);
        ck_assert_double_gt(dot / sqrt(norm * norm_in), 0.999);
        ck_assert_float_eq(m->spans_s[2 * i], segments[2 * i]);
        ck_assert_float_eq(m->spans_s[2 * i + 1], segments[2 * i + 1]);
    }
    index_matrix_free(m);
    assert_integrity(idx);
    index_close(idx);
}
END_TEST

/* Transcripts: read back by recording id, NULL when none, counted; a put
 * without one keeps the stored one, a put with "" replaces it. */
START_TEST(test_transcripts) {
    index_db *idx = open_or_fail(temp_path("transcripts.db"), 0);
    int64_t model_id = register_or_fail(idx, "abc123"), num_t = -1, num_r = -1;
    ck_assert_int_eq(index_count_transcripts(idx, &num_t, &num_r, err, sizeof err), 0);
    ck_assert(num_t == 0 && num_r == 0);
    index_recording rec = make_recording("/data/t.wav", 10, 20, "h");
    rec.transcript = "0.10\t0.50\twhite\n";
    put_or_fail(idx, &rec, model_id, 2, 1);
    put_or_fail(idx, &(index_recording){.path = "/data/u.wav", .size_bytes = 1, .mtime_ns = 2},
                model_id, 1, 2);
    ck_assert_int_eq(index_count_transcripts(idx, &num_t, &num_r, err, sizeof err), 0);
    ck_assert(num_t == 1 && num_r == 2);
    listing l = {0};
    ck_assert_int_eq(index_list_recordings(idx, model_id, collect, &l, err, sizeof err), 0);
    int64_t t_id = l.ids[0], u_id = l.ids[1];
    char *text = NULL;
    ck_assert_int_eq(index_get_transcript(idx, t_id, &text, err, sizeof err), 0);
    ck_assert_str_eq(text, "0.10\t0.50\twhite\n");
    free(text);
    ck_assert_int_eq(index_get_transcript(idx, u_id, &text, err, sizeof err), 0);
    ck_assert_ptr_null(text);
    ck_assert_int_eq(index_get_transcript(idx, 9999, &text, err, sizeof err), 0);
    ck_assert_ptr_null(text);
    rec.transcript = NULL; /* same file, no head: the transcript stays */
    put_or_fail(idx, &rec, model_id, 2, 1);
    ck_assert_int_eq(index_get_transcript(idx, t_id, &text, err, sizeof err), 0);
    ck_assert_str_eq(text, "0.10\t0.50\twhite\n");
    free(text);
    rec.transcript = ""; /* heard nothing: stored as such */
    put_or_fail(idx, &rec, model_id, 2, 1);
    ck_assert_int_eq(index_get_transcript(idx, t_id, &text, err, sizeof err), 0);
    ck_assert_str_eq(text, "");
    free(text);
    index_close(idx);
}
END_TEST

static int count_posteriors(int64_t id, const char *path, const void *data, size_t bytes,
                            void *user) {
    (void)id;
    (void)path;
    listing *l = user;
    if (l->num_seen < 8) snprintf(l->transcript[l->num_seen], 64, "%.*s", (int)bytes, (const char *)data);
    l->num_seen++;
    return 0;
}

/* Posteriors: stored with a recording, listed, replaced, kept by a put
 * without them, gone with the recording. */
START_TEST(test_posteriors) {
    index_db *idx = open_or_fail(temp_path("posteriors.db"), 0);
    int64_t model_id = register_or_fail(idx, "abc123"), num = -1;
    ck_assert_int_eq(index_count_posteriors(idx, &num, err, sizeof err), 0);
    ck_assert_int_eq(num, 0);
    index_recording rec = make_recording("/data/p.wav", 10, 20, "h");
    rec.posteriors = "blob-1";
    rec.posteriors_bytes = 6;
    put_or_fail(idx, &rec, model_id, 1, 1);
    put_or_fail(idx, &(index_recording){.path = "/data/q.wav", .size_bytes = 1, .mtime_ns = 2},
                model_id, 1, 2);
    ck_assert_int_eq(index_count_posteriors(idx, &num, err, sizeof err), 0);
    ck_assert_int_eq(num, 1);
    listing l = {0};
    ck_assert_int_eq(index_list_posteriors(idx, count_posteriors, &l, err, sizeof err), 0);
    ck_assert_int_eq(l.num_seen, 1);
    ck_assert_str_eq(l.transcript[0], "blob-1");
    rec.posteriors = NULL; /* kept */
    put_or_fail(idx, &rec, model_id, 1, 1);
    rec.posteriors = "blob-22"; /* replaced */
    rec.posteriors_bytes = 7;
    put_or_fail(idx, &rec, model_id, 1, 1);
    l = (listing){0};
    ck_assert_int_eq(index_list_posteriors(idx, count_posteriors, &l, err, sizeof err), 0);
    ck_assert_int_eq(l.num_seen, 1);
    ck_assert_str_eq(l.transcript[0], "blob-22");
    int removed = 0;
    ck_assert_int_eq(index_remove_recording(idx, "/data/p.wav", &removed, err, sizeof err), 0);
    ck_assert_int_eq(index_count_posteriors(idx, &num, err, sizeof err), 0);
    ck_assert_int_eq(num, 0);
    ck_assert_msg(index_check_integrity(idx, err, sizeof err) == 0, "%s", err);
    index_close(idx);
}
END_TEST

START_TEST(test_models_and_active) {
    index_db *idx = open_or_fail(temp_path("models.db"), 0);
    int64_t active = -1;
    ck_assert_int_eq(index_get_active_model(idx, &active, err, sizeof err), 0);
    ck_assert_int_eq(active, 0);
    int64_t first = register_or_fail(idx, "m1");
    int64_t second = register_or_fail(idx, "m2");
    ck_assert_int_ne(first, second);
    ck_assert_int_eq(register_or_fail(idx, "m1"), first); /* known hash: same id */
    int64_t other = 0;
    ck_assert_int_eq(index_register_model(idx, "m1", "x", DIM + 1, NULL, &other, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "dimension"));
    ck_assert_int_eq(index_get_active_model(idx, &active, err, sizeof err), 0);
    ck_assert_int_eq(active, first);
    ck_assert_int_eq(index_set_active_model(idx, second, err, sizeof err), 0);
    ck_assert_int_eq(index_get_active_model(idx, &active, err, sizeof err), 0);
    ck_assert_int_eq(active, second);
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM models WHERE active = 1"), 1);
    ck_assert_int_eq(index_set_active_model(idx, 999, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no model"));
    show_message("unknown model");
    ck_assert_int_eq(index_get_active_model(idx, &active, err, sizeof err), 0);
    ck_assert_int_eq(active, second);
    assert_integrity(idx);
    index_close(idx);
}
END_TEST

START_TEST(test_change_detection) {
    index_db *idx = open_or_fail(temp_path("status.db"), 0);
    int64_t model_id = register_or_fail(idx, "m1");
    int64_t model2 = register_or_fail(idx, "m2");
    const char *p = "/r/one.wav";
    ck_assert_int_eq(index_recording_status(idx, p, 100, 7, "h", model_id, err, sizeof err),
                     INDEX_RECORDING_NEW);
    index_recording rec = make_recording(p, 100, 7, "h");
    put_or_fail(idx, &rec, model_id, 3, 1);
    ck_assert_int_eq(index_recording_status(idx, p, 100, 7, "h", model_id, err, sizeof err),
                     INDEX_RECORDING_UNCHANGED);
    ck_assert_int_eq(index_recording_status(idx, p, 100, 7, NULL, model_id, err, sizeof err),
                     INDEX_RECORDING_UNCHANGED);
    ck_assert_int_eq(index_recording_status(idx, p, 100, 7, "", model_id, err, sizeof err),
                     INDEX_RECORDING_UNCHANGED);
    ck_assert_int_eq(index_recording_status(idx, p, 100, 7, "h", 0, err, sizeof err),
                     INDEX_RECORDING_UNCHANGED);
    ck_assert_int_eq(index_recording_status(idx, p, 101, 7, "h", model_id, err, sizeof err),
                     INDEX_RECORDING_CHANGED);
    ck_assert_int_eq(index_recording_status(idx, p, 100, 8, "h", model_id, err, sizeof err),
                     INDEX_RECORDING_CHANGED);
    ck_assert_int_eq(index_recording_status(idx, p, 100, 7, "g", model_id, err, sizeof err),
                     INDEX_RECORDING_CHANGED);
    ck_assert_int_eq(index_recording_status(idx, p, 100, 7, "h", model2, err, sizeof err),
                     INDEX_RECORDING_NO_VECTORS);
    ck_assert_int_eq(index_recording_status(idx, "/r/other.wav", 100, 7, "h", model_id, err,
                                            sizeof err),
                     INDEX_RECORDING_NEW);
    index_close(idx);
}
END_TEST

START_TEST(test_reput_replaces) {
    index_db *idx = open_or_fail(temp_path("reput.db"), 0);
    int64_t model_id = register_or_fail(idx, "m1");
    int64_t model2 = register_or_fail(idx, "m2");
    const char *p = "/r/one.wav";
    index_recording rec = make_recording(p, 100, 7, "h");
    put_or_fail(idx, &rec, model_id, 3, 1);
    put_or_fail(idx, &rec, model2, 4, 2); /* same file, second model: both kept */
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM vectors"), 2);
    put_or_fail(idx, &rec, model_id, 5, 3); /* same file again: model 1's replaced */
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM vectors"), 2);
    ck_assert_int_eq(count_rows(idx, "SELECT sum(num_segments) FROM vectors"), 9);
    index_recording changed = make_recording(p, 200, 9, "h2");
    put_or_fail(idx, &changed, model_id, 6, 4); /* changed file: all replaced */
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM recordings"), 1);
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM vectors"), 1);
    ck_assert_int_eq(count_rows(idx, "SELECT sum(num_segments) FROM vectors"), 6);
    ck_assert_int_eq(count_rows(idx, "SELECT size_bytes FROM recordings"), 200);
    ck_assert_int_eq(index_recording_status(idx, p, 200, 9, "h2", model_id, err, sizeof err),
                     INDEX_RECORDING_UNCHANGED);
    ck_assert_int_eq(index_recording_status(idx, p, 200, 9, "h2", model2, err, sizeof err),
                     INDEX_RECORDING_NO_VECTORS);
    assert_integrity(idx);
    index_close(idx);
}
END_TEST

/* Re-embedding: the new model's vectors are added beside the old ones, the
 * switch is refused while a recording lacks them, then makes the new model
 * active and drops the old vectors, keeping both models' rows. */
START_TEST(test_activate_and_drop_others) {
    index_db *idx = open_or_fail(temp_path("reindex.db"), 0);
    int64_t old_model = register_or_fail(idx, "old");
    int64_t new_model = register_or_fail(idx, "new");
    index_recording a = make_recording("/r/a.wav", 100, 7, "ha");
    index_recording b = make_recording("/r/b.wav", 200, 8, "hb");
    put_or_fail(idx, &a, old_model, 3, 1);
    put_or_fail(idx, &b, old_model, 4, 2);
    put_or_fail(idx, &a, new_model, 5, 3);
    int64_t missing = -1, active = 0;
    ck_assert_int_eq(index_activate_model_and_drop_others(idx, new_model, &missing, err, sizeof err),
                     -1);
    show_message("one missing");
    ck_assert_int_eq(missing, 1);
    ck_assert_ptr_nonnull(strstr(err, "1 recordings"));
    ck_assert_int_eq(index_get_active_model(idx, &active, err, sizeof err), 0);
    ck_assert_int_eq(active, old_model); /* nothing changed */
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM vectors"), 3);
    ck_assert_int_eq(index_activate_model_and_drop_others(idx, 999, &missing, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no model"));

    put_or_fail(idx, &b, new_model, 6, 4);
    ck_assert_int_eq(index_activate_model_and_drop_others(idx, new_model, &missing, err, sizeof err),
                     0);
    ck_assert_int_eq(missing, 0);
    ck_assert_int_eq(index_get_active_model(idx, &active, err, sizeof err), 0);
    ck_assert_int_eq(active, new_model);
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM vectors"), 2);
    ck_assert_int_eq(count_rows(idx, "SELECT count(DISTINCT model_id) FROM vectors"), 1);
    ck_assert_int_eq(count_rows(idx, "SELECT sum(num_segments) FROM vectors"), 11);
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM models"), 2); /* both remembered */
    /* Again: a no-op that succeeds. */
    ck_assert_int_eq(index_activate_model_and_drop_others(idx, new_model, NULL, err, sizeof err), 0);
    index_matrix *m = NULL;
    ck_assert_int_eq(index_load_vectors(idx, new_model, 0, &m, err, sizeof err), 0);
    ck_assert_int_eq(m->num_rows, 11);
    index_matrix_free(m);
    assert_integrity(idx);
    index_close(idx);
}
END_TEST

START_TEST(test_remove) {
    index_db *idx = open_or_fail(temp_path("remove.db"), 0);
    int64_t model_id = register_or_fail(idx, "m1");
    index_recording a = make_recording("/r/a.wav", 1, 1, "a");
    index_recording b = make_recording("/r/b.wav", 2, 2, "b");
    put_or_fail(idx, &a, model_id, 3, 1);
    put_or_fail(idx, &b, model_id, 4, 2);
    int num_removed = -1;
    ck_assert_int_eq(index_remove_recording(idx, "/r/a.wav", &num_removed, err, sizeof err), 0);
    ck_assert_int_eq(num_removed, 1);
    ck_assert_int_eq(index_remove_recording(idx, "/r/a.wav", &num_removed, err, sizeof err), 0);
    ck_assert_int_eq(num_removed, 0);
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM recordings"), 1);
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM vectors"), 1); /* cascade */
    ck_assert_int_eq(count_rows(idx, "SELECT sum(num_segments) FROM vectors"), 4);
    assert_integrity(idx);
    index_close(idx);
}
END_TEST

START_TEST(test_read_only) {
    const char *path = temp_path("ro.db");
    index_db *idx = open_or_fail(path, 0);
    int64_t model_id = register_or_fail(idx, "m1");
    index_recording rec = make_recording("/r/a.wav", 1, 1, "a");
    put_or_fail(idx, &rec, model_id, 5, 1);
    index_close(idx);
    ck_assert_int_eq(chmod(path, 0444), 0);

    idx = open_or_fail(path, 1);
    listing l = {0};
    ck_assert_int_eq(index_list_recordings(idx, 0, collect, &l, err, sizeof err), 0);
    ck_assert_int_eq(l.num_seen, 1);
    index_matrix *m = NULL;
    ck_assert_msg(index_load_vectors(idx, model_id, 0, &m, err, sizeof err) == 0, "%s", err);
    float query[DIM] = {1};
    index_hit hits[3];
    int num_hits = 0;
    index_search_options opts = index_search_defaults();
    opts.k = 3;
    ck_assert_int_eq(index_search(m, query, 1, &opts, hits, &num_hits, err, sizeof err), 0);
    ck_assert_int_gt(num_hits, 0);
    index_matrix_free(m);

    index_recording other = make_recording("/r/b.wav", 1, 1, "b");
    float segments[2] = {0, 1}, vectors[DIM] = {1};
    ck_assert_int_eq(index_put_recording(idx, &other, model_id, segments, vectors, 1, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "read-only") != NULL, "message: %s", err);
    show_message("read-only put");
    ck_assert_int_eq(index_remove_recording(idx, "/r/a.wav", NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "read-only") != NULL, "message: %s", err);
    int64_t id = 0;
    ck_assert_int_eq(index_register_model(idx, "m9", "x", DIM, NULL, &id, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "read-only") != NULL, "message: %s", err);
    assert_integrity(idx);
    index_close(idx);

    /* Read-only opening of a missing file does not create it. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s.missing", path);
    ck_assert_int_eq(index_open(missing, 1, &idx, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no such file"));
    ck_assert_int_ne(access(missing, F_OK), 0);
}
END_TEST

START_TEST(test_newer_version_refused) {
    const char *path = temp_path("newer.db");
    index_db *idx = open_or_fail(path, 0);
    register_or_fail(idx, "m1");
    ck_assert_int_eq(sqlite3_exec(index_sqlite(idx), "PRAGMA user_version = 99", NULL, NULL, NULL),
                     SQLITE_OK);
    index_close(idx);
    for (int read_only = 0; read_only <= 1; read_only++) {
        idx = NULL;
        ck_assert_int_eq(index_open(path, read_only, &idx, err, sizeof err), -1);
        ck_assert_ptr_null(idx);
        ck_assert_msg(strstr(err, "newer") && strstr(err, "99"), "message: %s", err);
        if (read_only) show_message("newer schema");
    }
}
END_TEST

START_TEST(test_foreign_files_refused) {
    /* Not SQLite at all. */
    const char *path = temp_path("garbage.db");
    FILE *f = fopen(path, "wb");
    uint64_t state = 5;
    for (int i = 0; i < 3 * 4096; i++) fputc((int)(test_random_uniform(&state) * 127 + 128), f);
    fclose(f);
    index_db *idx = NULL;
    ck_assert_int_eq(index_open(path, 0, &idx, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not an s2s index") != NULL, "message: %s", err);
    show_message("garbage file");
    ck_assert_int_eq(index_open(path, 1, &idx, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not an s2s index") != NULL, "message: %s", err);

    /* SQLite, but another program's. */
    const char *other = temp_path("other.db");
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(other, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(index_open(other, 0, &idx, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not an s2s index") != NULL, "message: %s", err);

    /* An empty file opened read-only is not an index either. */
    const char *empty = temp_path("empty.db");
    fclose(fopen(empty, "wb"));
    ck_assert_int_eq(index_open(empty, 1, &idx, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not an s2s index") != NULL, "message: %s", err);
    show_message("empty file");
}
END_TEST

START_TEST(test_damaged_file_detected) {
    const char *path = temp_path("damaged.db");
    index_db *idx = open_or_fail(path, 0);
    int64_t model_id = register_or_fail(idx, "m1");
    for (int i = 0; i < 40; i++) {
        char p[64];
        snprintf(p, sizeof p, "/r/%03d.wav", i);
        index_recording rec = make_recording(p, i, i, "h");
        put_or_fail(idx, &rec, model_id, 50, (uint64_t)i + 1);
    }
    index_close(idx); /* checkpoints the WAL into the file */
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_gt(st.st_size, 8 * 4096);
    /* Scribble over the headers of every page but the first two. */
    FILE *f = fopen(path, "r+b");
    for (long page = 2; page < st.st_size / 4096; page++) {
        fseek(f, page * 4096, SEEK_SET);
        for (int i = 0; i < 64; i++) fputc(0xA5, f);
    }
    fclose(f);
    idx = NULL;
    int rc = index_open(path, 1, &idx, err, sizeof err);
    if (rc == 0) {
        rc = index_check_integrity(idx, err, sizeof err);
        ck_assert_int_eq(rc, -1);
        index_matrix *m = NULL;
        ck_assert_int_eq(index_load_vectors(idx, model_id, 0, &m, err, sizeof err), -1);
        ck_assert_ptr_null(m);
        index_close(idx);
    }
    ck_assert_msg(strstr(err, "damaged") != NULL, "message: %s", err);
    show_message("damaged file");
}
END_TEST

START_TEST(test_failed_put_leaves_nothing) {
    index_db *idx = open_or_fail(temp_path("atomic.db"), 0);
    int64_t model_id = register_or_fail(idx, "m1");
    index_recording old = make_recording("/r/a.wav", 1, 1, "a");
    put_or_fail(idx, &old, model_id, 4, 1);
    float segments[2 * 3], vectors[DIM * 3];
    make_segments(3, DIM, 9, segments, vectors);

    /* Unknown model: fails after the recording row was written. */
    index_recording fresh = make_recording("/r/b.wav", 2, 2, "b");
    ck_assert_int_eq(index_put_recording(idx, &fresh, 999, segments, vectors, 3, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no model"));
    ck_assert_int_eq(index_recording_status(idx, "/r/b.wav", 2, 2, "b", 0, err, sizeof err),
                     INDEX_RECORDING_NEW);

    /* A changed file whose new vectors are bad: the old entry survives. */
    index_recording changed = make_recording("/r/a.wav", 5, 5, "a2");
    vectors[DIM + 3] = NAN;
    ck_assert_int_eq(index_put_recording(idx, &changed, model_id, segments, vectors, 3, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "non-finite"));
    vectors[DIM + 3] = 0.5f;
    segments[5] = segments[4] - 1; /* end before start */
    ck_assert_int_eq(index_put_recording(idx, &changed, model_id, segments, vectors, 3, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "time span"));
    ck_assert_int_eq(index_recording_status(idx, "/r/a.wav", 1, 1, "a", model_id, err, sizeof err),
                     INDEX_RECORDING_UNCHANGED);
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM recordings"), 1);
    ck_assert_int_eq(count_rows(idx, "SELECT sum(num_segments) FROM vectors"), 4);
    assert_integrity(idx);
    index_close(idx);
}
END_TEST

START_TEST(test_disk_full) {
    index_db *idx = open_or_fail(temp_path("full.db"), 0);
    int64_t model_id = register_or_fail(idx, "m1");
    ck_assert_int_eq(index_set_vector_format(idx, INDEX_VECTORS_FLOAT32, err, sizeof err), 0);
    index_recording small = make_recording("/r/small.wav", 1, 1, "s");
    put_or_fail(idx, &small, model_id, 10, 1);
    /* Cap the file at its current size plus a few pages: SQLite reports
     * SQLITE_FULL exactly as for a full disk. */
    int64_t pages = count_rows(idx, "PRAGMA page_count");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 4);
    ck_assert_int_eq(sqlite3_exec(index_sqlite(idx), sql, NULL, NULL, NULL), SQLITE_OK);
    int num_big = 5000; /* 5000 x 16 floats = 320 kB: far more than 4 pages */
    float *segments = malloc(sizeof(float) * 2 * num_big);
    float *vectors = malloc(sizeof(float) * DIM * num_big);
    make_segments(num_big, DIM, 3, segments, vectors);
    index_recording big = make_recording("/r/big.wav", 2, 2, "b");
    ck_assert_int_eq(index_put_recording(idx, &big, model_id, segments, vectors, num_big, err, sizeof err),
                     -1);
    ck_assert_msg(strncmp(err, "disk full", 9) == 0, "message: %s", err);
    show_message("disk full");
    /* Replacing the small one by a big changed version fails the same way
     * and keeps the old. */
    index_recording small2 = make_recording("/r/small.wav", 9, 9, "s2");
    ck_assert_int_eq(index_put_recording(idx, &small2, model_id, segments, vectors, num_big, err,
                                         sizeof err),
                     -1);
    ck_assert_msg(strncmp(err, "disk full", 9) == 0, "message: %s", err);
    ck_assert_int_eq(index_recording_status(idx, "/r/small.wav", 1, 1, "s", model_id, err, sizeof err),
                     INDEX_RECORDING_UNCHANGED);
    ck_assert_int_eq(index_recording_status(idx, "/r/big.wav", 2, 2, "b", model_id, err, sizeof err),
                     INDEX_RECORDING_NEW);
    ck_assert_int_eq(count_rows(idx, "SELECT sum(num_segments) FROM vectors"), 10);
    assert_integrity(idx);
    free(segments);
    free(vectors);
    index_close(idx);
}
END_TEST

START_TEST(test_reader_and_writer_coexist) {
    const char *path = temp_path("concurrent.db");
    index_db *writer = open_or_fail(path, 0);
    int64_t model_id = register_or_fail(writer, "m1");
    index_recording a = make_recording("/r/a.wav", 1, 1, "a");
    put_or_fail(writer, &a, model_id, 5, 1);
    index_db *reader = open_or_fail(path, 1);
    /* The reader holds a snapshot open while the writer commits. */
    ck_assert_int_eq(sqlite3_exec(index_sqlite(reader), "BEGIN; SELECT count(*) FROM vectors;", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    index_recording b = make_recording("/r/b.wav", 2, 2, "b");
    put_or_fail(writer, &b, model_id, 6, 2);
    ck_assert_int_eq(count_rows(reader, "SELECT count(*) FROM recordings"), 1); /* its snapshot */
    ck_assert_int_eq(sqlite3_exec(index_sqlite(reader), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(count_rows(reader, "SELECT count(*) FROM recordings"), 2);

    /* A second writer holding the write lock: the put waits, then says busy. */
    index_db *other = open_or_fail(path, 0);
    ck_assert_int_eq(sqlite3_exec(index_sqlite(other), "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    /* Opening for writing does not need the write lock. */
    index_db *late = open_or_fail(path, 0);
    index_close(late);
    sqlite3_busy_timeout(index_sqlite(writer), 50);
    index_recording c = make_recording("/r/c.wav", 3, 3, "c");
    float segments[2] = {0, 1}, vectors[DIM] = {1};
    ck_assert_int_eq(index_put_recording(writer, &c, model_id, segments, vectors, 1, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "busy") != NULL, "message: %s", err);
    show_message("busy");
    /* Reading still works while the write lock is held. */
    index_matrix *m = NULL;
    ck_assert_msg(index_load_vectors(reader, model_id, 0, &m, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(m->num_rows, 11);
    index_matrix_free(m);
    ck_assert_int_eq(sqlite3_exec(index_sqlite(other), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(index_put_recording(writer, &c, model_id, segments, vectors, 1, err, sizeof err),
                     0);
    assert_integrity(writer);
    index_close(other);
    index_close(reader);
    index_close(writer);
}
END_TEST

/* A writer killed with SIGKILL at 20 random moments: afterwards the file is
 * intact and every recording in it is complete. */
START_TEST(test_killed_writer_leaves_whole_recordings) {
    const char *path = temp_path("killed.db");
    index_db *idx = open_or_fail(path, 0);
    int64_t model_id = register_or_fail(idx, "m1");
    index_close(idx);
    uint64_t state = 12345;
    for (int round = 0; round < 20; round++) {
        pid_t child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
            index_db *w = NULL;
            if (index_open(path, 0, &w, err, sizeof err)) _exit(1);
            for (int i = 0;; i++) {
                char p[64];
                snprintf(p, sizeof p, "/r/%02d-%05d.wav", round, i);
                index_recording rec = make_recording(p, i, i, "h");
                float segments[2 * 200], vectors[DIM * 200];
                make_segments(200, DIM, (uint64_t)i + 1, segments, vectors);
                if (index_put_recording(w, &rec, model_id, segments, vectors, 200, err, sizeof err))
                    _exit(2);
            }
        }
        usleep((useconds_t)(2000 + (test_random_uniform(&state) + 1) * 15000));
        kill(child, SIGKILL);
        int wstatus = 0;
        waitpid(child, &wstatus, 0);
        ck_assert_msg(WIFSIGNALED(wstatus), "writer stopped by itself (status %d)", wstatus);
    }
    idx = open_or_fail(path, 0);
    assert_integrity(idx);
    int64_t num_recordings = count_rows(idx, "SELECT count(*) FROM recordings");
    ck_assert_int_gt(num_recordings, 20);
    ck_assert_int_eq(count_rows(idx, "SELECT count(*) FROM vectors WHERE num_segments = 200"),
                     num_recordings);
    fprintf(stderr, "  killed writer    -> 20 kills, %lld whole recordings, integrity ok\n",
            (long long)num_recordings);
    index_close(idx);
}
END_TEST

static Suite *index_store_suite(void) {
    Suite *s = suite_create("index_store");
    TCase *tc = tcase_create("store");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_schema_round_trip);
    tcase_add_test(tc, test_models_and_active);
    tcase_add_test(tc, test_transcripts);
    tcase_add_test(tc, test_posteriors);
    tcase_add_test(tc, test_change_detection);
    tcase_add_test(tc, test_reput_replaces);
    tcase_add_test(tc, test_activate_and_drop_others);
    tcase_add_test(tc, test_remove);
    tcase_add_test(tc, test_read_only);
    tcase_add_test(tc, test_newer_version_refused);
    tcase_add_test(tc, test_foreign_files_refused);
    tcase_add_test(tc, test_damaged_file_detected);
    tcase_add_test(tc, test_failed_put_leaves_nothing);
    tcase_add_test(tc, test_disk_full);
    tcase_add_test(tc, test_reader_and_writer_coexist);
    tcase_add_test(tc, test_killed_writer_leaves_whole_recordings);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return test_run_suite(index_store_suite()); }
