/* Model file reading and writing (format in model_file.h). */
#include "model_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char MAGIC[8] = {'S', '2', 'S', 'M', 'O', 'D', 'E', 'L'};
enum { MAX_RECORDS = 4096 };
static const long MAX_VALUES = 1L << 28;

static uint32_t crc32_update(uint32_t crc, const uint8_t *data, size_t len) {
    static uint32_t table[256];
    if (!table[1]) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    }
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static void fnv1a_hex(const uint8_t *data, size_t len, char out[17]) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ data[i]) * 1099511628211ull;
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

model_file *model_file_new(void) { return calloc(1, sizeof(model_file)); }

void model_file_free(model_file *file) {
    if (!file) return;
    for (int i = 0; i < file->num_records; i++) free(file->records[i].data);
    free(file->records);
    free(file);
}

int model_file_add(model_file *file, const char *name, uint32_t dtype, const void *data,
                   uint32_t ndim, const uint32_t *dims) {
    if (strlen(name) >= MODEL_MAX_NAME || ndim > MODEL_MAX_DIMS || model_file_find(file, name))
        return -1;
    long count = 1;
    for (uint32_t d = 0; d < ndim; d++) count *= dims[d];
    model_record *records = realloc(file->records, sizeof *records * (file->num_records + 1));
    if (!records) return -1;
    file->records = records;
    model_record *r = &records[file->num_records];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->dtype = dtype;
    r->ndim = ndim;
    for (uint32_t d = 0; d < ndim; d++) r->dims[d] = dims[d];
    r->count = count;
    r->data = malloc(4 * (size_t)(count > 0 ? count : 1));
    if (!r->data) return -1;
    memcpy(r->data, data, 4 * (size_t)count);
    file->num_records++;
    return 0;
}

int model_file_add_scalar(model_file *file, const char *name, float value) {
    return model_file_add(file, name, MODEL_DTYPE_F32, &value, 0, NULL);
}

/* A growable byte buffer for serialising. */
typedef struct {
    uint8_t *bytes;
    size_t len, cap;
    int failed;
} byte_buffer;

static void buffer_put(byte_buffer *b, const void *data, size_t len) {
    if (b->failed) return;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len) cap *= 2;
        uint8_t *bytes = realloc(b->bytes, cap);
        if (!bytes) {
            b->failed = 1;
            return;
        }
        b->bytes = bytes;
        b->cap = cap;
    }
    memcpy(b->bytes + b->len, data, len);
    b->len += len;
}

static void buffer_put_u32(byte_buffer *b, uint32_t v) { buffer_put(b, &v, 4); }

int model_file_write(model_file *file, const char *path, char *err, int err_len) {
    byte_buffer b = {0};
    buffer_put(&b, MAGIC, sizeof MAGIC);
    buffer_put_u32(&b, MODEL_FILE_VERSION);
    buffer_put_u32(&b, (uint32_t)file->num_records);
    for (int i = 0; i < file->num_records; i++) {
        const model_record *r = &file->records[i];
        buffer_put_u32(&b, (uint32_t)strlen(r->name));
        buffer_put(&b, r->name, strlen(r->name));
        buffer_put_u32(&b, r->dtype);
        buffer_put_u32(&b, r->ndim);
        for (uint32_t d = 0; d < r->ndim; d++) buffer_put_u32(&b, r->dims[d]);
        buffer_put(&b, r->data, 4 * (size_t)r->count);
    }
    buffer_put_u32(&b, crc32_update(0, b.bytes, b.len));
    if (b.failed) {
        free(b.bytes);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    fnv1a_hex(b.bytes, b.len, file->hash);

    char tmp_path[4096];
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp_path, "wb");
    int rc = -1;
    if (!f) {
        snprintf(err, err_len, "cannot create %s: %s", tmp_path, strerror(errno));
        goto cleanup;
    }
    size_t written = fwrite(b.bytes, 1, b.len, f);
    int flushed = fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f) != 0 || written != b.len || !flushed) {
        snprintf(err, err_len, "cannot write %s: %s", tmp_path, strerror(errno));
        unlink(tmp_path);
        goto cleanup;
    }
    if (rename(tmp_path, path) != 0) {
        snprintf(err, err_len, "cannot rename %s into place: %s", tmp_path, strerror(errno));
        unlink(tmp_path);
        goto cleanup;
    }
    rc = 0;
cleanup:
    free(b.bytes);
    return rc;
}

/* Reads the whole file into memory; NULL with err on failure. */
static uint8_t *slurp(const char *path, size_t *len, char *err, int err_len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "cannot open model: %s", strerror(errno));
        return NULL;
    }
    uint8_t *bytes = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            uint8_t *grown = realloc(bytes, cap);
            if (!grown) {
                snprintf(err, err_len, "out of memory reading the model");
                free(bytes);
                fclose(f);
                return NULL;
            }
            bytes = grown;
        }
        size_t n = fread(bytes + *len, 1, cap - *len, f);
        *len += n;
        if (n == 0) break;
    }
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        snprintf(err, err_len, "cannot read model: %s", strerror(errno));
        free(bytes);
        return NULL;
    }
    return bytes;
}

/* A cursor over the file's bytes that refuses to read past the end. */
typedef struct {
    const uint8_t *bytes;
    size_t len, pos;
} reader;

static int take(reader *r, void *out, size_t len) {
    if (r->len - r->pos < len) return -1;
    memcpy(out, r->bytes + r->pos, len);
    r->pos += len;
    return 0;
}

model_file *model_file_read(const char *path, char *err, int err_len) {
    size_t len;
    uint8_t *bytes = slurp(path, &len, err, err_len);
    if (!bytes) return NULL;
    model_file *file = model_file_new();
    reader r = {bytes, len, 0};
    char magic[8];
    uint32_t version, num_records, stored_crc;
    if (!file) {
        snprintf(err, err_len, "out of memory");
        goto fail;
    }
    if (len < sizeof MAGIC + 12 || take(&r, magic, 8) || memcmp(magic, MAGIC, 8)) {
        snprintf(err, err_len, "not an s2s model file (bad magic number)");
        goto fail;
    }
    take(&r, &version, 4);
    if (version != MODEL_FILE_VERSION) {
        snprintf(err, err_len, "model format version %u, this s2s reads version %d", version,
                 MODEL_FILE_VERSION);
        goto fail;
    }
    memcpy(&stored_crc, bytes + len - 4, 4);
    if (crc32_update(0, bytes, len - 4) != stored_crc) {
        snprintf(err, err_len, "model file is damaged or truncated (checksum mismatch)");
        goto fail;
    }
    r.len = len - 4;
    take(&r, &num_records, 4);
    if (num_records > MAX_RECORDS) {
        snprintf(err, err_len, "model file claims %u records", num_records);
        goto fail;
    }
    for (uint32_t i = 0; i < num_records; i++) {
        uint32_t name_len, dtype, ndim, dims[MODEL_MAX_DIMS];
        char name[MODEL_MAX_NAME];
        if (take(&r, &name_len, 4) || name_len == 0 || name_len >= MODEL_MAX_NAME ||
            take(&r, name, name_len) || take(&r, &dtype, 4) || take(&r, &ndim, 4) ||
            ndim > MODEL_MAX_DIMS || (dtype != MODEL_DTYPE_F32 && dtype != MODEL_DTYPE_I32)) {
            snprintf(err, err_len, "model file record %u is malformed", i);
            goto fail;
        }
        name[name_len] = '\0';
        long count = 1;
        for (uint32_t d = 0; d < ndim; d++) {
            if (take(&r, &dims[d], 4) || dims[d] > MAX_VALUES || (count *= dims[d]) > MAX_VALUES) {
                snprintf(err, err_len, "model record '%s' has a bad shape", name);
                goto fail;
            }
        }
        if (r.len - r.pos < 4 * (size_t)count) {
            snprintf(err, err_len, "model record '%s' is truncated", name);
            goto fail;
        }
        if (model_file_add(file, name, dtype, r.bytes + r.pos, ndim, dims) != 0) {
            snprintf(err, err_len, "model record '%s' is duplicated or memory ran out", name);
            goto fail;
        }
        r.pos += 4 * (size_t)count;
    }
    if (r.pos != r.len) {
        snprintf(err, err_len, "model file has %zu unexpected trailing bytes", r.len - r.pos);
        goto fail;
    }
    fnv1a_hex(bytes, len, file->hash);
    free(bytes);
    return file;
fail:
    free(bytes);
    model_file_free(file);
    return NULL;
}

const model_record *model_file_find(const model_file *file, const char *name) {
    for (int i = 0; i < file->num_records; i++)
        if (!strcmp(file->records[i].name, name)) return &file->records[i];
    return NULL;
}

const float *model_file_f32(const model_file *file, const char *name, long count, char *err,
                            int err_len) {
    const model_record *r = model_file_find(file, name);
    if (!r) {
        snprintf(err, err_len, "model has no '%s'", name);
        return NULL;
    }
    if (r->dtype != MODEL_DTYPE_F32 || r->count != count) {
        snprintf(err, err_len, "model's '%s' holds %ld values, expected %ld floats", name, r->count,
                 count);
        return NULL;
    }
    return r->data;
}

int model_file_scalar(const model_file *file, const char *name, float *value, char *err,
                      int err_len) {
    const float *v = model_file_f32(file, name, 1, err, err_len);
    if (!v) return -1;
    *value = *v;
    return 0;
}

/* The feature settings, as (record name, field) pairs, so put and get are
 * one table and cannot disagree. */
#define FEATURE_FIELDS(X)                                   \
    X("features.sample_rate_hz", mfcc.sample_rate_hz)       \
    X("features.frame_length_ms", mfcc.frame_length_ms)     \
    X("features.frame_shift_ms", mfcc.frame_shift_ms)       \
    X("features.preemphasis", mfcc.preemphasis)             \
    X("features.num_mel_bins", mfcc.num_mel_bins)           \
    X("features.low_freq_hz", mfcc.low_freq_hz)             \
    X("features.high_freq_hz", mfcc.high_freq_hz)           \
    X("features.num_ceps", mfcc.num_ceps)                   \
    X("features.cepstral_lifter", mfcc.cepstral_lifter)     \
    X("features.use_energy", mfcc.use_energy)               \
    X("features.num_deltas", num_deltas)                    \
    X("features.delta_window", delta_window)                \
    X("features.cmn_window_frames", cmn_window_frames)

int model_file_put_features(model_file *file, const feature_options *options,
                            const feature_stats *stats) {
    int rc = 0;
#define PUT(name, field) rc |= model_file_add_scalar(file, name, (float)options->field);
    FEATURE_FIELDS(PUT)
#undef PUT
    uint32_t dim = (uint32_t)stats->dim;
    rc |= model_file_add(file, "norm.mean", MODEL_DTYPE_F32, stats->mean, 1, &dim);
    rc |= model_file_add(file, "norm.stddev", MODEL_DTYPE_F32, stats->stddev, 1, &dim);
    return rc ? -1 : 0;
}

int model_file_get_features(const model_file *file, feature_options *options,
                            feature_stats *stats, char *err, int err_len) {
    float value;
    *options = features_model_defaults(); /* what the file does not store */
#define GET(name, field)                                                  \
    if (model_file_scalar(file, name, &value, err, err_len) != 0) return -1; \
    options->field = (__typeof__(options->field))value;
    FEATURE_FIELDS(GET)
#undef GET
    int dim = features_dim(options);
    if (dim <= 0 || dim > FEATURES_MAX_DIM) {
        snprintf(err, err_len, "model's feature settings give %d values a frame", dim);
        return -1;
    }
    const float *mean = model_file_f32(file, "norm.mean", dim, err, err_len);
    const float *stddev = mean ? model_file_f32(file, "norm.stddev", dim, err, err_len) : NULL;
    if (!stddev) return -1;
    stats->dim = dim;
    for (int d = 0; d < dim; d++) {
        if (!(stddev[d] > 0.0f)) {
            snprintf(err, err_len, "model's normalisation stddev[%d] is not positive", d);
            return -1;
        }
        stats->mean[d] = mean[d];
        stats->stddev[d] = stddev[d];
    }
    return 0;
}

int model_file_load_features(const char *path, feature_options *options, feature_stats *stats,
                             char *err, int err_len) {
    model_file *file = model_file_read(path, err, err_len);
    if (!file) return -1;
    int rc = model_file_get_features(file, options, stats, err, err_len);
    model_file_free(file);
    return rc;
}
