/* Writes frame matrices as Kaldi archives (binary or text) or NumPy .npy,
 * the formats other speech tools read (kaldiio, kaldi_io, numpy.load). */
#ifndef S2S_FEATURE_WRITER_H
#define S2S_FEATURE_WRITER_H
#include <stdio.h>

typedef enum { FORMAT_ARK, FORMAT_ARK_TEXT, FORMAT_NPY } feature_format;

/* Parses "ark", "ark-text" or "npy"; returns 0, or -1 for another name. */
int feature_format_parse(const char *name, feature_format *out);

/* Writes one (num_frames, dim) matrix under key (ark formats; npy ignores
 * the key). Returns 0, or -1 when the stream reports a write error. */
int feature_write(FILE *out, feature_format format, const char *key, const float *data,
                  long num_frames, int dim);

/* Kaldi keys cannot hold whitespace: copies the file's base name without its
 * extension into key, whitespace replaced by '_'. */
void feature_key_from_path(const char *path, char *key, int key_len);
#endif
