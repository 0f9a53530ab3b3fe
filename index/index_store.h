/* The index file: one SQLite database holding the models that made vectors,
 * the recordings that were indexed, and for each (recording, model) pair one
 * row of packed segments and vectors.
 *
 * Schema (version INDEX_SCHEMA_VERSION, kept in PRAGMA user_version; the file
 * is marked with PRAGMA application_id = INDEX_APPLICATION_ID):
 *
 *   models(id, file_hash UNIQUE, name, dim, settings, created_s, active)
 *       exactly one row has active = 1 once any model is registered.
 *   recordings(id, path UNIQUE, size_bytes, mtime_ns, content_hash,
 *              duration_s, sample_rate_hz, indexed_s, transcript NULL)
 *       transcript: what the CTC head of the model that indexed the
 *              recording heard, one word a line "start<TAB>end<TAB>word\n"
 *              (seconds, two decimals; src/model/transcript_format.h
 *              writes and reads it); "" when the head heard no word, NULL
 *              when the recording was indexed by a model without a head.
 *   vectors(recording_id, model_id, num_segments, format, segments,
 *           vectors, scales)     UNIQUE(recording_id, model_id)
 *       segments: num_segments (start_s, end_s) float32 pairs;
 *       format INDEX_VECTORS_FLOAT32: vectors = num_segments x dim float32,
 *              scales NULL;
 *       format INDEX_VECTORS_INT8: vectors = num_segments x dim int8 and
 *              scales = num_segments float32, v[i][j] ~ scales[i] * q[i][j],
 *              scales[i] = max_j |v[i][j]| / 127 (symmetric, per vector).
 *       All blobs are little-endian (the host's order on x86 and ARM).
 *   posteriors(recording_id PRIMARY KEY, data)   (optional: created when a
 *              file is opened for writing; an older s2s ignores it)
 *       data: the CTC head's frame posteriors of the recording, pruned and
 *              packed (src/model/posteriorgram.h), for written-phrase
 *              queries; only for recordings indexed with a head.
 *
 * int8 is the default: 4x smaller on disk and in memory for a measured
 * top-1 agreement with float search of 99-100% (see test_index_search.c).
 * Size on disk, measured: ~141 bytes per segment at dim 128 (int8), so the
 * 25 MB per hour budget allows ~49 segments per second of audio (about half
 * that at dim 256); float32 rows take ~4x more.
 *
 * The file runs in WAL mode with a busy timeout, so one writer (s2s index)
 * and any number of readers (s2s query) work at the same time. Every write of
 * a recording is one transaction: a crash or a full disk loses at most that
 * recording, never half of it.
 *
 * Every function returns 0 on success and -1 on failure with a message in
 * err (err_len bytes, always NUL-terminated; err may be NULL). Messages about
 * SQLite failures start with what went wrong in user terms: "disk full: ",
 * "index is read-only: ", "index file is damaged: ", "index is busy: ".
 * No function prints. One index_db must not be used by two threads at once;
 * open one per thread instead. */
#ifndef S2S_INDEX_STORE_H
#define S2S_INDEX_STORE_H
#include <stddef.h>
#include <stdint.h>

#define INDEX_SCHEMA_VERSION 1
#define INDEX_APPLICATION_ID 0x73327331 /* "s2s1" */

typedef struct index_db index_db;
typedef struct sqlite3 sqlite3;

/* How vectors are stored in the file (and in memory, see index_search.h). */
enum {
    INDEX_VECTORS_FLOAT32 = 1,
    INDEX_VECTORS_INT8 = 2,
};

/* What index_recording_status says about a file on disk. */
enum {
    INDEX_RECORDING_NEW = 0,       /* path not in the index */
    INDEX_RECORDING_UNCHANGED = 1, /* same size, mtime (and hash if given),
                                      vectors of the asked model present */
    INDEX_RECORDING_CHANGED = 2,   /* same path, other size/mtime/hash */
    INDEX_RECORDING_NO_VECTORS = 3 /* unchanged, but no vectors of the asked
                                      model yet */
};

/* A recording's metadata: filled by the caller for index_put_recording, by
 * the index for listings (then id and indexed_s are set, strings belong to
 * the index and live only during the callback). */
typedef struct {
    int64_t id;            /* set by the index; ignored on put */
    const char *path;      /* as given by the user (the CLI makes it absolute) */
    int64_t size_bytes;
    int64_t mtime_ns;      /* modification time, ns since the epoch */
    const char *content_hash; /* hex digest chosen by the caller; NULL or "": none */
    double duration_s;
    int sample_rate_hz;    /* the file's own rate, before resampling */
    int64_t indexed_s;     /* set by the index: when it was stored (epoch s) */
    const char *transcript; /* optional (NULL) */
    const void *posteriors; /* optional (NULL): packed posteriors to store */
    size_t posteriors_bytes;
    int64_t num_segments;  /* listings: segments of the listed model; ignored on put */
} index_recording;

/* A model known to the index. Strings are owned by the struct's owner
 * (index_stats_free / index_model_free frees them). */
typedef struct {
    int64_t id;
    char *file_hash;
    char *name;
    int dim;
    char *settings;        /* free text, JSON by convention; may be NULL */
    int64_t created_s;
    int active;
    int64_t num_recordings; /* recordings holding vectors of this model */
    int64_t num_segments;   /* segments stored for this model */
} index_model;

typedef struct {
    int64_t num_recordings;
    double total_duration_s;
    int64_t num_segments;   /* over all models */
    int64_t file_size_bytes; /* database pages in use, WAL excluded */
    int num_models;
    index_model *models;    /* (num_models), ordered by id */
    int64_t active_model_id; /* 0 when no model is registered */
} index_stats;

/* Opens (read_only = 0: creating it if absent) the index at path. A file of
 * a newer schema version, a file that is not an s2s index, and a damaged file
 * are refused with a message saying so. Read-only opening works on a file the
 * process cannot write (and in a folder it cannot write). On success *out
 * must be released with index_close. */
int index_open(const char *path, int read_only, index_db **out, char *err, int err_len);

/* Closes the index; NULL is allowed. */
void index_close(index_db *idx);

/* The SQLite connection, for tests and diagnostics only. */
sqlite3 *index_sqlite(index_db *idx);

/* Chooses how index_put_recording stores vectors from now on
 * (INDEX_VECTORS_INT8, the default, or INDEX_VECTORS_FLOAT32). Rows already
 * stored keep their format; a search reads both. */
int index_set_vector_format(index_db *idx, int format, char *err, int err_len);

/* Registers a model by the hash of its file; when that hash is already
 * known its id is returned (and dim must match). The first model registered
 * becomes the active one. */
int index_register_model(index_db *idx, const char *file_hash, const char *name, int dim,
                         const char *settings, int64_t *model_id, char *err, int err_len);

/* The active model's id, or 0 when no model is registered. */
int index_get_active_model(index_db *idx, int64_t *model_id, char *err, int err_len);

/* Makes model_id the one active model (all others inactive), atomically. */
int index_set_active_model(index_db *idx, int64_t model_id, char *err, int err_len);

/* The last step of re-embedding an index with another model: in one
 * transaction, checks that every recording holds vectors of model_id, makes
 * it the one active model and deletes the vectors of every other model (the
 * models' rows stay, so the index remembers each model it has used). When
 * some recordings still lack vectors of model_id nothing changes: returns -1
 * with err saying how many, and *num_missing (may be NULL) gets that count
 * (0 on any other failure or on success). Readers see either the old active
 * model with its vectors or the new one with its vectors, never a mix. */
int index_activate_model_and_drop_others(index_db *idx, int64_t model_id, int64_t *num_missing,
                                         char *err, int err_len);

/* Looks a model up; on success *out holds copies to release with
 * index_model_free. Fails when there is no such model. */
int index_get_model(index_db *idx, int64_t model_id, index_model *out, char *err, int err_len);
void index_model_free(index_model *model);

/* Tells the CLI whether a file must be (re)indexed: returns one of
 * INDEX_RECORDING_* (>= 0), or -1 on error. content_hash may be NULL or ""
 * (then only size and mtime are compared); model_id 0 skips the vectors check. */
int index_recording_status(index_db *idx, const char *path, int64_t size_bytes, int64_t mtime_ns,
                           const char *content_hash, int64_t model_id, char *err, int err_len);

/* Stores one recording and its segments' vectors for model_id, in one
 * transaction. When the path is already indexed with other metadata, the old
 * entry (with the vectors of every model) is replaced; with the same metadata
 * only this model's vectors are replaced. segments_s: (num_segments, 2)
 * start/end in seconds; vectors: (num_segments, dim) floats, normalised to
 * unit length on the way in. num_segments may be 0 (a silent recording is
 * recorded as indexed). On failure nothing of it is stored and what was
 * stored before is intact. */
int index_put_recording(index_db *idx, const index_recording *rec, int64_t model_id,
                        const float *segments_s, const float *vectors, int num_segments,
                        char *err, int err_len);

/* Removes the recording at path with all its vectors; *num_removed (may be
 * NULL) is 1 when it was there, 0 when not (not an error). */
int index_remove_recording(index_db *idx, const char *path, int *num_removed, char *err,
                           int err_len);

/* Calls fn for each recording, ordered by path, until fn returns nonzero
 * (then returns that value). num_segments is that of model_id (0: all
 * models). */
typedef int (*index_recording_fn)(const index_recording *rec, void *user);
int index_list_recordings(index_db *idx, int64_t model_id, index_recording_fn fn, void *user,
                          char *err, int err_len);

/* The transcript of a recording: *text gets a copy to free(), or NULL when
 * it has none (or there is no such recording). */
int index_get_transcript(index_db *idx, int64_t recording_id, char **text, char *err,
                         int err_len);

/* How many recordings have a transcript (*num_transcripts) out of how many
 * (*num_recordings); either pointer may be NULL. */
int index_count_transcripts(index_db *idx, int64_t *num_transcripts, int64_t *num_recordings,
                            char *err, int err_len);

/* How many recordings have stored posteriors. */
int index_count_posteriors(index_db *idx, int64_t *num, char *err, int err_len);

/* Calls fn for each recording with stored posteriors, ordered by path, until
 * fn returns nonzero (then returns that value). path and data live during
 * the call only. */
typedef int (*index_posteriors_fn)(int64_t recording_id, const char *path, const void *data,
                                   size_t bytes, void *user);
int index_list_posteriors(index_db *idx, index_posteriors_fn fn, void *user, char *err,
                          int err_len);

/* Fills *stats; release with index_stats_free. */
int index_get_stats(index_db *idx, index_stats *stats, char *err, int err_len);
void index_stats_free(index_stats *stats);

/* The highest sample rate among the recordings' files (their own rates,
 * before resampling) into *rate_hz; 0 when the index holds none.  Returns 0,
 * or -1 with err. */
int index_max_sample_rate(index_db *idx, int *rate_hz, char *err, int err_len);

/* Runs PRAGMA integrity_check and the schema's own checks (blob sizes agree
 * with num_segments, exactly one active model); 0 when all is well. */
int index_check_integrity(index_db *idx, char *err, int err_len);

#endif
