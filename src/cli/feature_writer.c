/* Feature matrix writers (see feature_writer.h). Kaldi's binary matrix
 * record is: key, space, "\0B", "FM ", then rows and columns each as a size
 * byte (4) and a little-endian int32, then the floats row by row. */
#include "feature_writer.h"

#include "cli.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

int feature_format_parse(const char *name, feature_format *out) {
    if (!strcmp(name, "ark")) *out = FORMAT_ARK;
    else if (!strcmp(name, "ark-text")) *out = FORMAT_ARK_TEXT;
    else if (!strcmp(name, "npy")) *out = FORMAT_NPY;
    else return -1;
    return 0;
}

static void write_kaldi_int32(FILE *out, int32_t value) {
    fputc(4, out);
    fwrite(&value, sizeof value, 1, out); /* x86 and ARM Linux are little-endian */
}

static void write_npy(FILE *out, const float *data, long num_frames, int dim) {
    char header[128];
    int len = snprintf(header, sizeof header,
                       "{'descr': '<f4', 'fortran_order': False, 'shape': (%ld, %d), }",
                       num_frames, dim);
    /* Magic (6) + version (2) + header length (2) + header, padded with
     * spaces and a newline to a multiple of 64 bytes (npy format 1.0). */
    int total = 10 + len + 1;
    int padding = (64 - total % 64) % 64;
    fwrite("\x93NUMPY\x01\x00", 1, 8, out);
    uint16_t header_len = (uint16_t)(len + padding + 1);
    fwrite(&header_len, sizeof header_len, 1, out);
    fwrite(header, 1, len, out);
    for (int i = 0; i < padding; i++) fputc(' ', out);
    fputc('\n', out);
    fwrite(data, sizeof(float), (size_t)num_frames * dim, out);
}

int feature_write(FILE *out, feature_format format, const char *key, const float *data,
                  long num_frames, int dim) {
    switch (format) {
    case FORMAT_ARK:
        fprintf(out, "%s ", key);
        fwrite("\0BFM ", 1, 5, out);
        write_kaldi_int32(out, (int32_t)num_frames);
        write_kaldi_int32(out, dim);
        fwrite(data, sizeof(float), (size_t)num_frames * dim, out);
        break;
    case FORMAT_ARK_TEXT:
        fprintf(out, "%s  [", key);
        for (long t = 0; t < num_frames; t++) {
            fputs("\n ", out);
            for (int d = 0; d < dim; d++) fprintf(out, " %.7g", data[t * dim + d]);
        }
        fputs(" ]\n", out);
        break;
    case FORMAT_NPY:
        write_npy(out, data, num_frames, dim);
        break;
    }
    return ferror(out) ? -1 : 0;
}

void feature_key_from_path(const char *path, char *key, int key_len) {
    cli_base_name(path, key, key_len);
    for (char *c = key; *c; c++)
        if (isspace((unsigned char)*c)) *c = '_';
    if (!*key) snprintf(key, key_len, "utt");
}
