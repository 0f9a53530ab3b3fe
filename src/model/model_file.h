/* The model file: named, shaped arrays behind a magic number and a format
 * version, closed by a CRC-32 of everything before it.
 *
 *   "S2SMODEL" | u32 version | u32 num_records |
 *   records: u32 name_len, name, u32 dtype, u32 ndim, u32 dims[ndim], data |
 *   u32 crc32
 *
 * All integers and floats little-endian. A model is a set of such records:
 * its weights, its architecture (as scalars), the feature settings and the
 * normalisation statistics it was trained with. Reading checks everything
 * and says what is wrong; nothing in a damaged file is trusted. */
#ifndef S2S_MODEL_FILE_H
#define S2S_MODEL_FILE_H
#include <stdint.h>

#include "feature_pipeline.h"

#define MODEL_FILE_VERSION 1
enum { MODEL_DTYPE_F32 = 1, MODEL_DTYPE_I32 = 2 };
enum { MODEL_MAX_DIMS = 4, MODEL_MAX_NAME = 64 };

typedef struct {
    char name[MODEL_MAX_NAME];
    uint32_t dtype;
    uint32_t ndim;
    uint32_t dims[MODEL_MAX_DIMS];
    long count;     /* product of dims (1 for a scalar) */
    void *data;     /* count values of dtype, owned by the model_file */
} model_record;

typedef struct {
    int num_records;
    model_record *records;
    char hash[17];  /* hex FNV-1a 64 of the file's bytes, after read or write */
} model_file;

/* An empty set of records; free with model_file_free. NULL when out of memory. */
model_file *model_file_new(void);
void model_file_free(model_file *file);

/* Adds a copy of count values under name with the given shape (ndim 0 for a
 * scalar). Returns 0, or -1 when out of memory or the name is taken/too long. */
int model_file_add(model_file *file, const char *name, uint32_t dtype, const void *data,
                   uint32_t ndim, const uint32_t *dims);
int model_file_add_scalar(model_file *file, const char *name, float value);

/* Writes atomically (temporary file, then rename). Returns 0, or -1 with err. */
int model_file_write(model_file *file, const char *path, char *err, int err_len);

/* Reads and checks a model file. Returns NULL with err filled when the file
 * is missing, not a model, of another version, truncated or damaged. */
model_file *model_file_read(const char *path, char *err, int err_len);

/* The record of that name, or NULL. */
const model_record *model_file_find(const model_file *file, const char *name);

/* The f32 array of that name if it holds exactly count values, else NULL
 * with err naming the record and what was wrong. */
const float *model_file_f32(const model_file *file, const char *name, long count, char *err,
                            int err_len);

/* A scalar record's value; -1 with err when missing. */
int model_file_scalar(const model_file *file, const char *name, float *value, char *err,
                      int err_len);

/* Stores / restores the feature settings and normalisation statistics;
 * settings a file does not store (how the VAD treats noise) are restored as
 * features_model_defaults() has them. */
int model_file_put_features(model_file *file, const feature_options *options,
                            const feature_stats *stats);
int model_file_get_features(const model_file *file, feature_options *options,
                            feature_stats *stats, char *err, int err_len);

/* Reads only what the frontend needs from the model at path. */
int model_file_load_features(const char *path, feature_options *options, feature_stats *stats,
                             char *err, int err_len);
#endif
