/* The index file: opening (with schema creation and version checks), models,
 * recordings and their packed vectors, in SQLite. See index_store.h for the
 * schema and the storage formats; index_search.c reads the vectors back.
 *
 * Every write is one explicit transaction begun with BEGIN IMMEDIATE, so a
 * writer takes the write lock before it reads what it will change, and a
 * failure at any step rolls the whole change back. */
#include "index_store.h"
#include "index_internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct index_db {
    sqlite3 *db;
    int read_only;
    int vector_format; /* INDEX_VECTORS_*, used by index_put_recording */
    int has_posteriors; /* the posteriors table exists */
};

/* How long a reader or writer waits for another process's lock. */
#define INDEX_BUSY_TIMEOUT_MS 10000

static const char *const SCHEMA_SQL =
    "CREATE TABLE models ("
    "  id INTEGER PRIMARY KEY,"
    "  file_hash TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  dim INTEGER NOT NULL CHECK (dim > 0),"
    "  settings TEXT,"
    "  created_s INTEGER NOT NULL,"
    "  active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)));"
    "CREATE UNIQUE INDEX models_one_active ON models(active) WHERE active = 1;"
    "CREATE TABLE recordings ("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL UNIQUE,"
    "  size_bytes INTEGER NOT NULL,"
    "  mtime_ns INTEGER NOT NULL,"
    "  content_hash TEXT,"
    "  duration_s REAL NOT NULL CHECK (duration_s >= 0),"
    "  sample_rate_hz INTEGER NOT NULL,"
    "  indexed_s INTEGER NOT NULL,"
    "  transcript TEXT);"
    "CREATE TABLE vectors ("
    "  id INTEGER PRIMARY KEY,"
    "  recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,"
    "  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
    "  num_segments INTEGER NOT NULL CHECK (num_segments >= 0),"
    "  format INTEGER NOT NULL CHECK (format IN (1, 2)),"
    "  segments BLOB NOT NULL CHECK (length(segments) = 8 * num_segments),"
    "  vectors BLOB NOT NULL,"
    "  scales BLOB,"
    "  UNIQUE (recording_id, model_id));"
    "CREATE INDEX vectors_by_model ON vectors(model_id);";

/* Added after schema version 1 without changing it (an older s2s ignores it,
 * and deleting a recording deletes its row through the foreign key):
 * created when a file is opened for writing. */
static const char *const POSTERIORS_SQL =
    "CREATE TABLE IF NOT EXISTS posteriors ("
    "  recording_id INTEGER PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,"
    "  data BLOB NOT NULL);";

/* ---- small SQLite helpers ---- */

static int exec_sql(sqlite3 *db, const char *sql, const char *what, char *err, int err_len) {
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return index_fail_sqlite(db, rc, what, err, err_len);
    return 0;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt, char *err, int err_len) {
    int rc = sqlite3_prepare_v2(db, sql, -1, stmt, NULL);
    if (rc != SQLITE_OK) return index_fail_sqlite(db, rc, "preparing a query", err, err_len);
    return 0;
}

/* Runs a write statement to completion and finalizes it (*stmt = NULL):
 * 0, or -1 with err naming `what` and SQLite's reason. */
static int step_done(sqlite3 *db, sqlite3_stmt **stmt, const char *what, char *err, int err_len) {
    int rc = sqlite3_step(*stmt);
    int status = rc == SQLITE_DONE ? 0 : index_fail_sqlite(db, rc, what, err, err_len);
    sqlite3_finalize(*stmt); /* after the message is taken: it may reset it */
    *stmt = NULL;
    return status;
}

/* Runs a one-integer query (a PRAGMA or a count) into *value. */
static int query_int64(sqlite3 *db, const char *sql, int64_t *value, char *err, int err_len) {
    sqlite3_stmt *stmt = NULL;
    if (prepare(db, sql, &stmt, err, err_len)) return -1;
    int rc = sqlite3_step(stmt);
    int status = 0;
    if (rc == SQLITE_ROW) {
        *value = sqlite3_column_int64(stmt, 0);
    } else if (rc == SQLITE_DONE) {
        *value = 0;
    } else {
        status = index_fail_sqlite(sqlite3_db_handle(stmt), rc, "reading the index", err, err_len);
    }
    sqlite3_finalize(stmt);
    return status;
}

static void rollback(sqlite3 *db) {
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static char *copy_string(const unsigned char *text) {
    if (!text) return NULL;
    return strdup((const char *)text);
}

/* ---- opening ---- */

/* Opens the connection; a read-only open that cannot create the WAL's shared
 * memory file (read-only folder) is retried as an immutable file. */
static int open_connection(index_db *idx, const char *path, int immutable, char *err, int err_len) {
    int flags = idx->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    char *uri = NULL;
    const char *name = path;
    if (immutable) {
        /* file: URI with the characters that URIs reserve escaped. */
        size_t len = strlen(path);
        uri = malloc(len * 3 + 32);
        if (!uri) return index_fail(err, err_len, "out of memory");
        char *p = uri + sprintf(uri, "file:");
        for (const char *s = path; *s; s++) {
            if (*s == '?' || *s == '#' || *s == '%') p += sprintf(p, "%%%02X", (unsigned char)*s);
            else *p++ = *s;
        }
        strcpy(p, "?immutable=1");
        name = uri;
        flags |= SQLITE_OPEN_URI;
    }
    int rc = sqlite3_open_v2(name, &idx->db, flags, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        index_fail(err, err_len, "cannot open index %s: %s", path,
                   idx->db ? sqlite3_errmsg(idx->db) : sqlite3_errstr(rc));
        sqlite3_close(idx->db);
        idx->db = NULL;
        return -1;
    }
    sqlite3_extended_result_codes(idx->db, 1);
    sqlite3_busy_timeout(idx->db, INDEX_BUSY_TIMEOUT_MS);
    return 0;
}

/* Creates the schema in an empty file, or checks that the file is an s2s
 * index this program can read. */
static int check_or_create_schema(index_db *idx, const char *path, char *err, int err_len) {
    sqlite3 *db = idx->db;
    int64_t app_id = 0, version = 0, num_tables = 0;
    int status = -1;
    int in_transaction = 0;
    for (;;) {
        if (query_int64(db, "PRAGMA application_id", &app_id, err, err_len)) goto cleanup;
        if (query_int64(db, "PRAGMA user_version", &version, err, err_len)) goto cleanup;
        if (query_int64(db, "SELECT count(*) FROM sqlite_schema", &num_tables, err, err_len))
            goto cleanup;
        if (num_tables > 0 || idx->read_only || in_transaction) break;
        /* A new file: take the write lock and look again, so two processes
         * creating the same index do not both create the schema. */
        if (exec_sql(db, "BEGIN IMMEDIATE", path, err, err_len)) goto cleanup;
        in_transaction = 1;
    }
    if (app_id != 0 && app_id != INDEX_APPLICATION_ID) {
        index_fail(err, err_len, "not an s2s index: %s is an SQLite file of another program", path);
        goto cleanup;
    }
    if (app_id == 0 && num_tables > 0) {
        index_fail(err, err_len, "not an s2s index: %s holds tables of another program", path);
        goto cleanup;
    }
    if (version > INDEX_SCHEMA_VERSION) {
        index_fail(err, err_len,
                   "index %s has schema version %lld, newer than the %d this s2s reads; "
                   "use a newer s2s",
                   path, (long long)version, INDEX_SCHEMA_VERSION);
        goto cleanup;
    }
    if (num_tables == 0) {
        if (idx->read_only) {
            index_fail(err, err_len, "not an s2s index: %s is empty", path);
            goto cleanup;
        }
        char pragmas[128];
        snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
                 INDEX_APPLICATION_ID, INDEX_SCHEMA_VERSION);
        if (exec_sql(db, SCHEMA_SQL, "creating the index", err, err_len)) goto cleanup;
        if (exec_sql(db, pragmas, "creating the index", err, err_len)) goto cleanup;
    } else if (version < 1) {
        index_fail(err, err_len, "index %s is damaged: it has tables but no schema version", path);
        goto cleanup;
    }
    if (in_transaction) {
        if (exec_sql(db, "COMMIT", "creating the index", err, err_len)) goto cleanup;
        in_transaction = 0;
    }
    status = 0;
cleanup:
    if (in_transaction) rollback(db);
    return status;
}

int index_open(const char *path, int read_only, index_db **out, char *err, int err_len) {
    *out = NULL;
    int status = -1;
    index_db *idx = calloc(1, sizeof *idx);
    if (!idx) return index_fail(err, err_len, "out of memory");
    idx->read_only = read_only;
    idx->vector_format = INDEX_VECTORS_INT8;

    struct stat st;
    if (read_only && stat(path, &st) != 0) {
        index_fail(err, err_len, "cannot open index %s: no such file", path);
        goto cleanup;
    }
    if (open_connection(idx, path, 0, err, err_len)) goto cleanup;
    if (exec_sql(idx->db, "PRAGMA foreign_keys = ON", path, err, err_len)) goto cleanup;
    if (check_or_create_schema(idx, path, err, err_len)) {
        /* A read-only reader in a folder it cannot write cannot create the
         * WAL's -shm file: read the file as immutable instead. */
        int code = sqlite3_extended_errcode(idx->db) & 0xff;
        if (!read_only || (code != SQLITE_CANTOPEN && code != SQLITE_READONLY)) goto cleanup;
        sqlite3_close(idx->db);
        idx->db = NULL;
        if (open_connection(idx, path, 1, err, err_len)) goto cleanup;
        if (check_or_create_schema(idx, path, err, err_len)) goto cleanup;
    }
    if (!read_only && exec_sql(idx->db, POSTERIORS_SQL, path, err, err_len)) goto cleanup;
    int64_t num_posterior_tables = 0;
    if (query_int64(idx->db,
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'posteriors'",
                    &num_posterior_tables, err, err_len))
        goto cleanup;
    idx->has_posteriors = num_posterior_tables > 0;
    if (!read_only) {
        /* WAL: readers never block the writer nor the writer the readers;
         * synchronous=NORMAL keeps every commit atomic (a crash of the
         * process loses nothing committed; a power cut may lose the last
         * commits but never corrupts). */
        if (exec_sql(idx->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
                     path, err, err_len))
            goto cleanup;
    }
    *out = idx;
    idx = NULL;
    status = 0;
cleanup:
    index_close(idx);
    return status;
}

void index_close(index_db *idx) {
    if (!idx) return;
    sqlite3_close(idx->db);
    free(idx);
}

sqlite3 *index_sqlite(index_db *idx) { return idx->db; }

int index_set_vector_format(index_db *idx, int format, char *err, int err_len) {
    if (format != INDEX_VECTORS_FLOAT32 && format != INDEX_VECTORS_INT8)
        return index_fail(err, err_len, "unknown vector format %d", format);
    idx->vector_format = format;
    return 0;
}

/* ---- models ---- */

int index_register_model(index_db *idx, const char *file_hash, const char *name, int dim,
                         const char *settings, int64_t *model_id, char *err, int err_len) {
    sqlite3 *db = idx->db;
    sqlite3_stmt *stmt = NULL;
    int status = -1, rc;
    if (!file_hash || !*file_hash || !name || dim <= 0)
        return index_fail(err, err_len, "a model needs a file hash, a name and a dimension > 0");
    if (exec_sql(db, "BEGIN IMMEDIATE", "registering a model", err, err_len)) return -1;
    if (prepare(db, "SELECT id, dim FROM models WHERE file_hash = ?1", &stmt, err, err_len))
        goto cleanup;
    sqlite3_bind_text(stmt, 1, file_hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        int known_dim = sqlite3_column_int(stmt, 1);
        *model_id = sqlite3_column_int64(stmt, 0);
        if (known_dim != dim) {
            index_fail(err, err_len, "model %s is registered with dimension %d, not %d", file_hash,
                       known_dim, dim);
            goto cleanup;
        }
    } else if (rc == SQLITE_DONE) {
        sqlite3_finalize(stmt);
        stmt = NULL;
        if (prepare(db,
                    "INSERT INTO models (file_hash, name, dim, settings, created_s, active) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, NOT EXISTS (SELECT 1 FROM models WHERE active))",
                    &stmt, err, err_len))
            goto cleanup;
        sqlite3_bind_text(stmt, 1, file_hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_int(stmt, 3, dim);
        if (settings) sqlite3_bind_text(stmt, 4, settings, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 5, (int64_t)time(NULL));
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_DONE) {
            index_fail_sqlite(db, rc, "registering a model", err, err_len);
            goto cleanup;
        }
        *model_id = sqlite3_last_insert_rowid(db);
    } else {
        index_fail_sqlite(db, rc, "registering a model", err, err_len);
        goto cleanup;
    }
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (exec_sql(db, "COMMIT", "registering a model", err, err_len)) goto cleanup;
    status = 0;
cleanup:
    sqlite3_finalize(stmt);
    if (status) rollback(db);
    return status;
}

int index_get_active_model(index_db *idx, int64_t *model_id, char *err, int err_len) {
    return query_int64(idx->db, "SELECT id FROM models WHERE active = 1", model_id, err, err_len);
}

/* 0 when the index has a model of that id, else -1 with err saying so. */
static int require_model(sqlite3 *db, int64_t model_id, char *err, int err_len) {
    char sql[96];
    int64_t found = 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM models WHERE id = %lld", (long long)model_id);
    if (query_int64(db, sql, &found, err, err_len)) return -1;
    if (!found) return index_fail(err, err_len, "no model with id %lld in the index", (long long)model_id);
    return 0;
}

int index_set_active_model(index_db *idx, int64_t model_id, char *err, int err_len) {
    sqlite3 *db = idx->db;
    int status = -1;
    char sql[160];
    if (exec_sql(db, "BEGIN IMMEDIATE", "choosing the active model", err, err_len)) return -1;
    if (require_model(db, model_id, err, err_len)) goto cleanup;
    snprintf(sql, sizeof sql,
             "UPDATE models SET active = 0 WHERE active = 1; "
             "UPDATE models SET active = 1 WHERE id = %lld; COMMIT",
             (long long)model_id);
    if (exec_sql(db, sql, "choosing the active model", err, err_len)) goto cleanup;
    status = 0;
cleanup:
    if (status) rollback(db);
    return status;
}

int index_activate_model_and_drop_others(index_db *idx, int64_t model_id, int64_t *num_missing,
                                         char *err, int err_len) {
    sqlite3 *db = idx->db;
    int status = -1;
    int64_t missing = 0;
    char sql[320];
    if (num_missing) *num_missing = 0;
    if (exec_sql(db, "BEGIN IMMEDIATE", "switching the active model", err, err_len)) return -1;
    if (require_model(db, model_id, err, err_len)) goto cleanup;
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM recordings r WHERE NOT EXISTS"
             " (SELECT 1 FROM vectors v WHERE v.recording_id = r.id AND v.model_id = %lld)",
             (long long)model_id);
    if (query_int64(db, sql, &missing, err, err_len)) goto cleanup;
    if (missing) {
        if (num_missing) *num_missing = missing;
        index_fail(err, err_len, "%lld recordings have no vectors of model %lld yet",
                   (long long)missing, (long long)model_id);
        goto cleanup;
    }
    snprintf(sql, sizeof sql,
             "UPDATE models SET active = 0 WHERE active = 1 AND id != %lld; "
             "UPDATE models SET active = 1 WHERE id = %lld; "
             "DELETE FROM vectors WHERE model_id != %lld; COMMIT",
             (long long)model_id, (long long)model_id, (long long)model_id);
    if (exec_sql(db, sql, "switching the active model", err, err_len)) goto cleanup;
    status = 0;
cleanup:
    if (status) rollback(db);
    return status;
}

static const char *const MODEL_COLUMNS =
    "SELECT m.id, m.file_hash, m.name, m.dim, m.settings, m.created_s, m.active,"
    " (SELECT count(*) FROM vectors v WHERE v.model_id = m.id),"
    " (SELECT coalesce(sum(num_segments), 0) FROM vectors v WHERE v.model_id = m.id)"
    " FROM models m";

static int read_model_row(sqlite3_stmt *stmt, index_model *model) {
    memset(model, 0, sizeof *model);
    model->id = sqlite3_column_int64(stmt, 0);
    model->file_hash = copy_string(sqlite3_column_text(stmt, 1));
    model->name = copy_string(sqlite3_column_text(stmt, 2));
    model->dim = sqlite3_column_int(stmt, 3);
    model->settings = copy_string(sqlite3_column_text(stmt, 4));
    model->created_s = sqlite3_column_int64(stmt, 5);
    model->active = sqlite3_column_int(stmt, 6);
    model->num_recordings = sqlite3_column_int64(stmt, 7);
    model->num_segments = sqlite3_column_int64(stmt, 8);
    if (!model->file_hash || !model->name) return -1;
    return 0;
}

int index_get_model(index_db *idx, int64_t model_id, index_model *out, char *err, int err_len) {
    sqlite3_stmt *stmt = NULL;
    char sql[512];
    int status = -1;
    memset(out, 0, sizeof *out);
    snprintf(sql, sizeof sql, "%s WHERE m.id = ?1", MODEL_COLUMNS);
    if (prepare(idx->db, sql, &stmt, err, err_len)) return -1;
    sqlite3_bind_int64(stmt, 1, model_id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        index_fail(err, err_len, "no model with id %lld in the index", (long long)model_id);
        goto cleanup;
    }
    if (rc != SQLITE_ROW) {
        index_fail_sqlite(idx->db, rc, "reading a model", err, err_len);
        goto cleanup;
    }
    if (read_model_row(stmt, out)) {
        index_model_free(out);
        index_fail(err, err_len, "out of memory");
        goto cleanup;
    }
    status = 0;
cleanup:
    sqlite3_finalize(stmt);
    return status;
}

void index_model_free(index_model *model) {
    if (!model) return;
    free(model->file_hash);
    free(model->name);
    free(model->settings);
    memset(model, 0, sizeof *model);
}

/* ---- recordings ---- */

/* Same file as far as the caller can tell: a hash missing on either side
 * is not compared. */
static int same_metadata(sqlite3_stmt *row, int64_t size_bytes, int64_t mtime_ns,
                         const char *content_hash) {
    const unsigned char *known_hash = sqlite3_column_text(row, 3);
    if (content_hash && !*content_hash) content_hash = NULL;
    if (sqlite3_column_int64(row, 1) != size_bytes) return 0;
    if (sqlite3_column_int64(row, 2) != mtime_ns) return 0;
    if (content_hash && known_hash && strcmp(content_hash, (const char *)known_hash) != 0) return 0;
    return 1;
}

static const char *const FIND_RECORDING_SQL =
    "SELECT id, size_bytes, mtime_ns, content_hash FROM recordings WHERE path = ?1";

int index_recording_status(index_db *idx, const char *path, int64_t size_bytes, int64_t mtime_ns,
                           const char *content_hash, int64_t model_id, char *err, int err_len) {
    sqlite3 *db = idx->db;
    sqlite3_stmt *stmt = NULL;
    int status = -1;
    if (prepare(db, FIND_RECORDING_SQL, &stmt, err, err_len)) return -1;
    sqlite3_bind_text(stmt, 1, path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        status = INDEX_RECORDING_NEW;
        goto cleanup;
    }
    if (rc != SQLITE_ROW) {
        index_fail_sqlite(db, rc, "looking a recording up", err, err_len);
        goto cleanup;
    }
    if (!same_metadata(stmt, size_bytes, mtime_ns, content_hash)) {
        status = INDEX_RECORDING_CHANGED;
        goto cleanup;
    }
    int64_t recording_id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    stmt = NULL;
    status = INDEX_RECORDING_UNCHANGED;
    if (model_id > 0) {
        if (prepare(db, "SELECT 1 FROM vectors WHERE recording_id = ?1 AND model_id = ?2", &stmt,
                    err, err_len)) {
            status = -1;
            goto cleanup;
        }
        sqlite3_bind_int64(stmt, 1, recording_id);
        sqlite3_bind_int64(stmt, 2, model_id);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) status = INDEX_RECORDING_NO_VECTORS;
        else if (rc != SQLITE_ROW)
            status = index_fail_sqlite(db, rc, "looking a recording up", err, err_len);
    }
cleanup:
    sqlite3_finalize(stmt);
    return status;
}

/* Checks what a caller hands to index_put_recording before anything is
 * written; says which segment is wrong. */
static int check_segments(const float *segments_s, const float *vectors, int num_segments, int dim,
                          char *err, int err_len) {
    for (int i = 0; i < num_segments; i++) {
        float start_s = segments_s[2 * i], end_s = segments_s[2 * i + 1];
        if (!isfinite(start_s) || !isfinite(end_s) || start_s < 0 || end_s < start_s)
            return index_fail(err, err_len, "segment %d has a bad time span (%g, %g)", i, start_s,
                              end_s);
        for (int j = 0; j < dim; j++)
            if (!isfinite(vectors[(size_t)i * dim + j]))
                return index_fail(err, err_len, "segment %d has a non-finite vector value", i);
    }
    return 0;
}

/* Packs (num_segments, dim) floats, each row scaled to unit length, into
 * *blob (float32) or *blob + *scales (int8, symmetric per row). The caller
 * frees both. */
static int pack_vectors(const float *vectors, int num_segments, int dim, int format, void **blob,
                        size_t *blob_bytes, float **scales) {
    size_t num_values = (size_t)num_segments * dim;
    *scales = NULL;
    *blob_bytes = num_values * (format == INDEX_VECTORS_FLOAT32 ? sizeof(float) : 1);
    *blob = malloc(*blob_bytes ? *blob_bytes : 1);
    if (format == INDEX_VECTORS_INT8) *scales = malloc(num_segments ? num_segments * sizeof(float) : 1);
    if (!*blob || (format == INDEX_VECTORS_INT8 && !*scales)) return -1;
    for (int i = 0; i < num_segments; i++) {
        const float *v = vectors + (size_t)i * dim;
        double sum_sq = 0;
        float max_abs = 0;
        for (int j = 0; j < dim; j++) {
            sum_sq += (double)v[j] * v[j];
            if (fabsf(v[j]) > max_abs) max_abs = fabsf(v[j]);
        }
        float inv_norm = sum_sq > 0 ? (float)(1.0 / sqrt(sum_sq)) : 0.0f;
        if (format == INDEX_VECTORS_FLOAT32) {
            float *out = (float *)*blob + (size_t)i * dim;
            for (int j = 0; j < dim; j++) out[j] = v[j] * inv_norm;
        } else {
            int8_t *out = (int8_t *)*blob + (size_t)i * dim;
            float scale = max_abs * inv_norm / 127.0f;
            float inv_scale = scale > 0 ? 1.0f / scale : 0.0f;
            for (int j = 0; j < dim; j++) {
                float q = roundf(v[j] * inv_norm * inv_scale);
                out[j] = (int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
            }
            (*scales)[i] = scale;
        }
    }
    return 0;
}

/* Inserts or refreshes the recording row and deletes the vectors it
 * replaces; *recording_id receives its id. Runs inside the put's
 * transaction. */
static int upsert_recording(sqlite3 *db, const index_recording *rec, int64_t model_id,
                            int64_t *recording_id, char *err, int err_len) {
    sqlite3_stmt *stmt = NULL;
    int status = -1, rc;
    int64_t old_id = 0;
    int keep_row = 0;
    if (prepare(db, FIND_RECORDING_SQL, &stmt, err, err_len)) return -1;
    sqlite3_bind_text(stmt, 1, rec->path, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        old_id = sqlite3_column_int64(stmt, 0);
        keep_row = same_metadata(stmt, rec->size_bytes, rec->mtime_ns, rec->content_hash);
    } else if (rc != SQLITE_DONE) {
        index_fail_sqlite(db, rc, "storing a recording", err, err_len);
        goto cleanup;
    }
    sqlite3_finalize(stmt);
    stmt = NULL;

    if (keep_row) {
        /* Same file: keep the other models' vectors, replace this model's. */
        if (prepare(db,
                    "UPDATE recordings SET duration_s = ?2, sample_rate_hz = ?3, indexed_s = ?4,"
                    " transcript = coalesce(?5, transcript),"
                    " content_hash = coalesce(?6, content_hash) WHERE id = ?1",
                    &stmt, err, err_len))
            goto cleanup;
        sqlite3_bind_int64(stmt, 1, old_id);
    } else {
        if (old_id) {
            /* A changed file: everything of the old one goes (cascade). */
            sqlite3_stmt *del = NULL;
            if (prepare(db, "DELETE FROM recordings WHERE id = ?1", &del, err, err_len)) goto cleanup;
            sqlite3_bind_int64(del, 1, old_id);
            rc = sqlite3_step(del);
            sqlite3_finalize(del);
            if (rc != SQLITE_DONE) {
                index_fail_sqlite(db, rc, "replacing a recording", err, err_len);
                goto cleanup;
            }
        }
        if (prepare(db,
                    "INSERT INTO recordings (duration_s, sample_rate_hz, indexed_s, transcript,"
                    " content_hash, path, size_bytes, mtime_ns)"
                    " VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    &stmt, err, err_len))
            goto cleanup;
        sqlite3_bind_text(stmt, 7, rec->path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 8, rec->size_bytes);
        sqlite3_bind_int64(stmt, 9, rec->mtime_ns);
    }
    sqlite3_bind_double(stmt, 2, rec->duration_s);
    sqlite3_bind_int(stmt, 3, rec->sample_rate_hz);
    sqlite3_bind_int64(stmt, 4, (int64_t)time(NULL));
    if (rec->transcript) sqlite3_bind_text(stmt, 5, rec->transcript, -1, SQLITE_STATIC);
    if (rec->content_hash && *rec->content_hash)
        sqlite3_bind_text(stmt, 6, rec->content_hash, -1, SQLITE_STATIC);
    if (step_done(db, &stmt, "storing a recording", err, err_len)) goto cleanup;
    *recording_id = keep_row ? old_id : sqlite3_last_insert_rowid(db);

    if (keep_row) {
        if (prepare(db, "DELETE FROM vectors WHERE recording_id = ?1 AND model_id = ?2", &stmt, err,
                    err_len))
            goto cleanup;
        sqlite3_bind_int64(stmt, 1, old_id);
        sqlite3_bind_int64(stmt, 2, model_id);
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_DONE) {
            index_fail_sqlite(db, rc, "replacing vectors", err, err_len);
            goto cleanup;
        }
    }
    status = 0;
cleanup:
    sqlite3_finalize(stmt);
    return status;
}

int index_put_recording(index_db *idx, const index_recording *rec, int64_t model_id,
                        const float *segments_s, const float *vectors, int num_segments,
                        char *err, int err_len) {
    sqlite3 *db = idx->db;
    sqlite3_stmt *stmt = NULL;
    void *blob = NULL;
    float *scales = NULL;
    size_t blob_bytes = 0;
    int status = -1;
    int64_t recording_id = 0, dim = 0;
    int format = idx->vector_format;

    if (!rec || !rec->path || !*rec->path)
        return index_fail(err, err_len, "a recording needs a path");
    if (num_segments < 0 || (num_segments > 0 && (!segments_s || !vectors)))
        return index_fail(err, err_len, "%s: bad segment count %d", rec->path, num_segments);
    if (!(rec->duration_s >= 0))
        return index_fail(err, err_len, "%s: bad duration %g s", rec->path, rec->duration_s);

    if (exec_sql(db, "BEGIN IMMEDIATE", "storing a recording", err, err_len)) return -1;
    if (upsert_recording(db, rec, model_id, &recording_id, err, err_len)) goto cleanup;

    char sql[96];
    snprintf(sql, sizeof sql, "SELECT dim FROM models WHERE id = %lld", (long long)model_id);
    if (query_int64(db, sql, &dim, err, err_len)) goto cleanup;
    if (dim <= 0) {
        index_fail(err, err_len, "%s: no model with id %lld in the index", rec->path,
                   (long long)model_id);
        goto cleanup;
    }
    if (check_segments(segments_s, vectors, num_segments, (int)dim, err, err_len)) goto cleanup;
    if (pack_vectors(vectors, num_segments, (int)dim, format, &blob, &blob_bytes, &scales)) {
        index_fail(err, err_len, "out of memory packing %d vectors", num_segments);
        goto cleanup;
    }
    if (prepare(db,
                "INSERT INTO vectors (recording_id, model_id, num_segments, format, segments,"
                " vectors, scales) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                &stmt, err, err_len))
        goto cleanup;
    sqlite3_bind_int64(stmt, 1, recording_id);
    sqlite3_bind_int64(stmt, 2, model_id);
    sqlite3_bind_int(stmt, 3, num_segments);
    sqlite3_bind_int(stmt, 4, format);
    sqlite3_bind_blob(stmt, 5, num_segments ? (const void *)segments_s : "",
                      (int)(sizeof(float) * 2 * (size_t)num_segments), SQLITE_STATIC);
    sqlite3_bind_blob64(stmt, 6, blob, blob_bytes, SQLITE_STATIC);
    if (scales) sqlite3_bind_blob64(stmt, 7, scales, sizeof(float) * (size_t)num_segments, SQLITE_STATIC);
    if (step_done(db, &stmt, rec->path, err, err_len)) goto cleanup;
    if (rec->posteriors && idx->has_posteriors) {
        if (prepare(db, "INSERT OR REPLACE INTO posteriors (recording_id, data) VALUES (?1, ?2)",
                    &stmt, err, err_len))
            goto cleanup;
        sqlite3_bind_int64(stmt, 1, recording_id);
        sqlite3_bind_blob64(stmt, 2, rec->posteriors, rec->posteriors_bytes, SQLITE_STATIC);
        if (step_done(db, &stmt, rec->path, err, err_len)) goto cleanup;
    }
    if (exec_sql(db, "COMMIT", rec->path, err, err_len)) goto cleanup;
    status = 0;
cleanup:
    sqlite3_finalize(stmt);
    if (status) rollback(db);
    free(blob);
    free(scales);
    return status;
}

int index_remove_recording(index_db *idx, const char *path, int *num_removed, char *err,
                           int err_len) {
    sqlite3 *db = idx->db;
    sqlite3_stmt *stmt = NULL;
    int status = -1;
    if (num_removed) *num_removed = 0;
    if (exec_sql(db, "BEGIN IMMEDIATE", "removing a recording", err, err_len)) return -1;
    if (prepare(db, "DELETE FROM recordings WHERE path = ?1", &stmt, err, err_len)) goto cleanup;
    sqlite3_bind_text(stmt, 1, path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        index_fail_sqlite(db, rc, path, err, err_len);
        goto cleanup;
    }
    int changes = sqlite3_changes(db);
    if (exec_sql(db, "COMMIT", path, err, err_len)) goto cleanup;
    if (num_removed) *num_removed = changes;
    status = 0;
cleanup:
    sqlite3_finalize(stmt);
    if (status) rollback(db);
    return status;
}

int index_list_recordings(index_db *idx, int64_t model_id, index_recording_fn fn, void *user,
                          char *err, int err_len) {
    sqlite3 *db = idx->db;
    sqlite3_stmt *stmt = NULL;
    int status = -1, rc;
    if (prepare(db,
                "SELECT r.id, r.path, r.size_bytes, r.mtime_ns, r.content_hash, r.duration_s,"
                " r.sample_rate_hz, r.indexed_s, r.transcript,"
                " (SELECT coalesce(sum(num_segments), 0) FROM vectors v"
                "  WHERE v.recording_id = r.id AND (?1 = 0 OR v.model_id = ?1))"
                " FROM recordings r ORDER BY r.path",
                &stmt, err, err_len))
        return -1;
    sqlite3_bind_int64(stmt, 1, model_id);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        index_recording rec = {
            .id = sqlite3_column_int64(stmt, 0),
            .path = (const char *)sqlite3_column_text(stmt, 1),
            .size_bytes = sqlite3_column_int64(stmt, 2),
            .mtime_ns = sqlite3_column_int64(stmt, 3),
            .content_hash = (const char *)sqlite3_column_text(stmt, 4),
            .duration_s = sqlite3_column_double(stmt, 5),
            .sample_rate_hz = sqlite3_column_int(stmt, 6),
            .indexed_s = sqlite3_column_int64(stmt, 7),
            .transcript = (const char *)sqlite3_column_text(stmt, 8),
            .num_segments = sqlite3_column_int64(stmt, 9),
        };
        int stop = fn(&rec, user);
        if (stop) {
            status = stop;
            goto cleanup;
        }
    }
    if (rc != SQLITE_DONE) {
        index_fail_sqlite(db, rc, "listing recordings", err, err_len);
        goto cleanup;
    }
    status = 0;
cleanup:
    sqlite3_finalize(stmt);
    return status;
}

int index_get_transcript(index_db *idx, int64_t recording_id, char **text, char *err,
                         int err_len) {
    sqlite3_stmt *stmt = NULL;
    *text = NULL;
    if (prepare(idx->db, "SELECT transcript FROM recordings WHERE id = ?1", &stmt, err, err_len))
        return -1;
    sqlite3_bind_int64(stmt, 1, recording_id);
    int rc = sqlite3_step(stmt), status = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
        *text = strdup((const char *)sqlite3_column_text(stmt, 0));
        if (!*text) status = index_fail(err, err_len, "out of memory reading a transcript");
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = index_fail_sqlite(idx->db, rc, "reading a transcript", err, err_len);
    }
    sqlite3_finalize(stmt);
    return status;
}

int index_count_transcripts(index_db *idx, int64_t *num_transcripts, int64_t *num_recordings,
                            char *err, int err_len) {
    sqlite3_stmt *stmt = NULL;
    if (prepare(idx->db, "SELECT count(transcript), count(*) FROM recordings", &stmt, err, err_len))
        return -1;
    int rc = sqlite3_step(stmt), status = 0;
    if (rc == SQLITE_ROW) {
        if (num_transcripts) *num_transcripts = sqlite3_column_int64(stmt, 0);
        if (num_recordings) *num_recordings = sqlite3_column_int64(stmt, 1);
    } else {
        status = index_fail_sqlite(idx->db, rc, "counting transcripts", err, err_len);
    }
    sqlite3_finalize(stmt);
    return status;
}

int index_count_posteriors(index_db *idx, int64_t *num, char *err, int err_len) {
    *num = 0;
    if (!idx->has_posteriors) return 0;
    return query_int64(idx->db, "SELECT count(*) FROM posteriors", num, err, err_len);
}

int index_list_posteriors(index_db *idx, index_posteriors_fn fn, void *user, char *err,
                          int err_len) {
    sqlite3_stmt *stmt = NULL;
    int status = -1, rc;
    if (!idx->has_posteriors) return 0;
    if (prepare(idx->db,
                "SELECT r.id, r.path, p.data FROM posteriors p JOIN recordings r"
                " ON r.id = p.recording_id ORDER BY r.path",
                &stmt, err, err_len))
        return -1;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int stop = fn(sqlite3_column_int64(stmt, 0), (const char *)sqlite3_column_text(stmt, 1),
                      sqlite3_column_blob(stmt, 2), (size_t)sqlite3_column_bytes(stmt, 2), user);
        if (stop) {
            status = stop;
            goto cleanup;
        }
    }
    if (rc != SQLITE_DONE) {
        index_fail_sqlite(idx->db, rc, "reading posteriors", err, err_len);
        goto cleanup;
    }
    status = 0;
cleanup:
    sqlite3_finalize(stmt);
    return status;
}

/* ---- stats and checks ---- */

int index_get_stats(index_db *idx, index_stats *stats, char *err, int err_len) {
    sqlite3 *db = idx->db;
    sqlite3_stmt *stmt = NULL;
    int status = -1, rc;
    int64_t page_count = 0, page_size = 0, num_models = 0;
    memset(stats, 0, sizeof *stats);
    /* One read transaction: all figures from the same snapshot. */
    if (exec_sql(db, "BEGIN", "reading stats", err, err_len)) return -1;
    if (prepare(db,
                "SELECT count(*), coalesce(sum(duration_s), 0),"
                " (SELECT coalesce(sum(num_segments), 0) FROM vectors),"
                " (SELECT count(*) FROM models),"
                " coalesce((SELECT id FROM models WHERE active = 1), 0) FROM recordings",
                &stmt, err, err_len))
        goto cleanup;
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        index_fail_sqlite(db, rc, "reading stats", err, err_len);
        goto cleanup;
    }
    stats->num_recordings = sqlite3_column_int64(stmt, 0);
    stats->total_duration_s = sqlite3_column_double(stmt, 1);
    stats->num_segments = sqlite3_column_int64(stmt, 2);
    num_models = sqlite3_column_int64(stmt, 3);
    stats->active_model_id = sqlite3_column_int64(stmt, 4);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (query_int64(db, "PRAGMA page_count", &page_count, err, err_len)) goto cleanup;
    if (query_int64(db, "PRAGMA page_size", &page_size, err, err_len)) goto cleanup;
    stats->file_size_bytes = page_count * page_size;

    stats->models = calloc(num_models ? (size_t)num_models : 1, sizeof *stats->models);
    if (!stats->models) {
        index_fail(err, err_len, "out of memory");
        goto cleanup;
    }
    char sql[512];
    snprintf(sql, sizeof sql, "%s ORDER BY m.id", MODEL_COLUMNS);
    if (prepare(db, sql, &stmt, err, err_len)) goto cleanup;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && stats->num_models < num_models) {
        if (read_model_row(stmt, &stats->models[stats->num_models++])) {
            index_fail(err, err_len, "out of memory");
            goto cleanup;
        }
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        index_fail_sqlite(db, rc, "reading stats", err, err_len);
        goto cleanup;
    }
    status = 0;
cleanup:
    sqlite3_finalize(stmt);
    rollback(db);
    if (status) index_stats_free(stats);
    return status;
}

void index_stats_free(index_stats *stats) {
    if (!stats) return;
    for (int i = 0; i < stats->num_models; i++) index_model_free(&stats->models[i]);
    free(stats->models);
    memset(stats, 0, sizeof *stats);
}

int index_check_integrity(index_db *idx, char *err, int err_len) {
    sqlite3 *db = idx->db;
    sqlite3_stmt *stmt = NULL;
    int status = -1;
    int64_t count = 0, num_models = 0;
    if (prepare(db, "PRAGMA integrity_check", &stmt, err, err_len)) return -1;
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        index_fail_sqlite(db, rc, "checking the index", err, err_len);
        goto cleanup;
    }
    const char *verdict = (const char *)sqlite3_column_text(stmt, 0);
    if (!verdict || strcmp(verdict, "ok") != 0) {
        index_fail(err, err_len, "index file is damaged: %s", verdict ? verdict : "?");
        goto cleanup;
    }
    if (query_int64(db, "SELECT count(*) FROM pragma_foreign_key_check", &count, err, err_len))
        goto cleanup;
    if (count) {
        index_fail(err, err_len, "index file is damaged: %lld rows point nowhere", (long long)count);
        goto cleanup;
    }
    if (query_int64(db,
                    "SELECT count(*) FROM vectors v JOIN models m ON m.id = v.model_id WHERE"
                    " length(v.segments) != 8 * v.num_segments OR"
                    " (v.format = 1 AND (length(v.vectors) != 4 * v.num_segments * m.dim"
                    "  OR v.scales IS NOT NULL)) OR"
                    " (v.format = 2 AND (length(v.vectors) != v.num_segments * m.dim"
                    "  OR length(v.scales) != 4 * v.num_segments))",
                    &count, err, err_len))
        goto cleanup;
    if (count) {
        index_fail(err, err_len, "index file is damaged: %lld vector rows have the wrong size",
                   (long long)count);
        goto cleanup;
    }
    if (query_int64(db, "SELECT count(*) FROM models", &num_models, err, err_len)) goto cleanup;
    if (query_int64(db, "SELECT count(*) FROM models WHERE active = 1", &count, err, err_len))
        goto cleanup;
    if (num_models > 0 && count != 1) {
        index_fail(err, err_len, "index file is damaged: %lld active models", (long long)count);
        goto cleanup;
    }
    status = 0;
cleanup:
    sqlite3_finalize(stmt);
    return status;
}

int index_max_sample_rate(index_db *idx, int *rate_hz, char *err, int err_len) {
    int64_t value = 0;
    if (query_int64(idx->db, "SELECT coalesce(max(sample_rate_hz), 0) FROM recordings", &value, err,
                    err_len))
        return -1;
    *rate_hz = (int)value;
    return 0;
}
