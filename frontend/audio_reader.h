/* Streaming audio input: any file libsndfile reads, downmixed to mono and
 * resampled with libsamplerate to the wanted rate, delivered in blocks so a
 * recording of any length goes through in constant memory. */
#ifndef S2S_AUDIO_READER_H
#define S2S_AUDIO_READER_H
#include <stddef.h>

typedef struct audio_reader audio_reader;

typedef struct {
    int sample_rate_hz;   /* rate of the file */
    int num_channels;
    long long num_frames; /* samples per channel in the file */
    double duration_s;
} audio_info;

/* Opens path for reading at out_rate_hz. Returns NULL and writes the problem
 * (without the path) into err when the file is missing, unreadable, not
 * audio, empty of samples or at an unsupported rate. */
audio_reader *audio_reader_open(const char *path, int out_rate_hz, char *err, int err_len);

/* Opens path for reading at out_rate_hz, having passed through band_rate_hz
 * on the way (converted down to it, then up, block by block: nothing above
 * band_rate_hz / 2 is left, as in a file recorded at band_rate_hz, and the
 * converter is the one a file at band_rate_hz goes through).  Errors as
 * audio_reader_open's. */
audio_reader *audio_reader_open_band_limited(const char *path, int band_rate_hz, int out_rate_hz,
                                             char *err, int err_len);

/* The file's own properties. */
audio_info audio_reader_info(const audio_reader *reader);

/* Reads up to max_samples mono samples in [-1, 1] at the output rate.
 * Returns the number read (0 at the end), or -1 with err filled on a read
 * error or when the file holds NaN or infinite samples. */
long audio_reader_read(audio_reader *reader, float *out, long max_samples, char *err, int err_len);

void audio_reader_close(audio_reader *reader);

#endif
