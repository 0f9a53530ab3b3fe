/* What identifies a recording on disk: absolute path, size, modification
 * time and a hash of its bytes, so an unchanged file is not indexed twice
 * and a changed one is. */
#ifndef S2S_FILE_IDENTITY_H
#define S2S_FILE_IDENTITY_H
#include <stdint.h>

typedef struct {
    char path[4096];     /* absolute, symlinks resolved */
    int64_t size_bytes;
    int64_t mtime_ns;
    char hash[17];       /* hex FNV-1a 64 of the bytes; "" until file_identity_hash */
} file_identity;

/* Fills path, size and mtime. Returns 0, or -1 with err (e.g. no such file). */
int file_identity_stat(const char *path, file_identity *id, char *err, int err_len);

/* Reads the file and fills hash. Returns 0, or -1 with err. */
int file_identity_hash(file_identity *id, char *err, int err_len);
#endif
