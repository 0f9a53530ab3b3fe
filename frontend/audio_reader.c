/* Streaming audio input (see audio_reader.h). libsndfile decodes the file in
 * blocks, the channels are averaged, and libsamplerate converts the rate;
 * nothing but a few blocks is ever held, whatever the file's length.  A
 * band-limited reader is one converter stacked on another: its blocks come
 * from a reader of the file at the band's rate instead of from the file. */
#include "audio_reader.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { BLOCK_FRAMES = 8192, MIN_RATE_HZ = 4000, MAX_RATE_HZ = 768000, MAX_CHANNELS = 256 };

struct audio_reader {
    SNDFILE *file;          /* NULL when the samples come from inner */
    audio_reader *inner;    /* band-limited: the file read at the band's rate */
    SF_INFO sf_info;        /* the file's */
    int out_rate_hz;
    SRC_STATE *resampler;   /* NULL when the source is already at out_rate_hz */
    double ratio;           /* out / in */
    float *interleaved;     /* (BLOCK_FRAMES, channels) as read */
    float *mono;            /* (BLOCK_FRAMES) downmixed (or inner's), not yet resampled */
    long mono_start, mono_end; /* unconsumed part of mono */
    int end_of_file;
    int finished;           /* resampler flushed */
};

/* Names the libsndfile format for messages such as "unsupported encoding". */
static const char *why_not_audio(const char *path, char *buf, int len) {
    struct stat st;
    if (stat(path, &st) != 0) return strerror(errno);
    if (S_ISDIR(st.st_mode)) return "is a directory";
    if (st.st_size == 0) return "empty file (0 bytes)";
    snprintf(buf, len, "not a readable audio file (%s)", sf_strerror(NULL));
    return buf;
}

/* The block buffer and, when in_rate_hz is not r->out_rate_hz, the
 * converter between them; 0, or -1 with err. */
static int start_conversion(audio_reader *r, int in_rate_hz, char *err, int err_len) {
    if (!(r->mono = malloc(sizeof(float) * BLOCK_FRAMES))) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (in_rate_hz != r->out_rate_hz) {
        int src_error = 0;
        r->resampler = src_new(SRC_SINC_FASTEST, 1, &src_error);
        if (!r->resampler) {
            snprintf(err, err_len, "cannot start resampler: %s", src_strerror(src_error));
            return -1;
        }
        r->ratio = (double)r->out_rate_hz / in_rate_hz;
    }
    return 0;
}

audio_reader *audio_reader_open(const char *path, int out_rate_hz, char *err, int err_len) {
    audio_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    r->out_rate_hz = out_rate_hz;
    r->file = sf_open(path, SFM_READ, &r->sf_info);
    if (!r->file) {
        char buf[200];
        snprintf(err, err_len, "%s", why_not_audio(path, buf, sizeof buf));
        goto fail;
    }
    const SF_INFO *info = &r->sf_info;
    if (info->channels < 1 || info->channels > MAX_CHANNELS) {
        snprintf(err, err_len, "unsupported channel count %d", info->channels);
        goto fail;
    }
    if (info->samplerate < MIN_RATE_HZ || info->samplerate > MAX_RATE_HZ) {
        snprintf(err, err_len, "unsupported sample rate %d Hz (must be %d-%d Hz)", info->samplerate,
                 MIN_RATE_HZ, MAX_RATE_HZ);
        goto fail;
    }
    if (info->frames <= 0) {
        snprintf(err, err_len, "holds no audio samples");
        goto fail;
    }
    r->interleaved = malloc(sizeof(float) * BLOCK_FRAMES * info->channels);
    if (!r->interleaved) {
        snprintf(err, err_len, "out of memory");
        goto fail;
    }
    if (start_conversion(r, info->samplerate, err, err_len) != 0)
        goto fail;
    return r;
fail:
    audio_reader_close(r);
    return NULL;
}

audio_reader *audio_reader_open_band_limited(const char *path, int band_rate_hz, int out_rate_hz,
                                             char *err, int err_len) {
    audio_reader *inner = audio_reader_open(path, band_rate_hz, err, err_len);
    if (!inner)
        return NULL;
    audio_reader *r = calloc(1, sizeof *r);
    if (!r) {
        audio_reader_close(inner);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    r->inner = inner;
    r->sf_info = inner->sf_info;
    r->out_rate_hz = out_rate_hz;
    if (start_conversion(r, band_rate_hz, err, err_len) != 0) {
        audio_reader_close(r);
        return NULL;
    }
    return r;
}

audio_info audio_reader_info(const audio_reader *r) {
    audio_info info = {
        .sample_rate_hz = r->sf_info.samplerate,
        .num_channels = r->sf_info.channels,
        .num_frames = r->sf_info.frames,
        .duration_s = (double)r->sf_info.frames / r->sf_info.samplerate,
    };
    return info;
}

/* Refills r->mono with the next block of the file, downmixed (or of the
 * inner reader). Returns 0, or -1 with err filled. Sets end_of_file when
 * the source is exhausted. */
static int refill_mono(audio_reader *r, char *err, int err_len) {
    if (r->inner) {
        long got = audio_reader_read(r->inner, r->mono, BLOCK_FRAMES, err, err_len);
        if (got < 0) return -1;
        r->end_of_file = got == 0;
        r->mono_start = 0;
        r->mono_end = got;
        return 0;
    }
    int channels = r->sf_info.channels;
    sf_count_t got = sf_readf_float(r->file, r->interleaved, BLOCK_FRAMES);
    if (got <= 0) {
        if (sf_error(r->file) != SF_ERR_NO_ERROR) {
            snprintf(err, err_len, "read error: %s", sf_strerror(r->file));
            return -1;
        }
        r->end_of_file = 1;
        got = 0;
    }
    float scale = 1.0f / channels;
    for (sf_count_t i = 0; i < got; i++) {
        float sum = 0.0f;
        for (int c = 0; c < channels; c++) sum += r->interleaved[i * channels + c];
        if (!isfinite(sum)) {
            snprintf(err, err_len, "holds NaN or infinite samples (at %.3f s)",
                     (double)(sf_seek(r->file, 0, SEEK_CUR) - got + i) / r->sf_info.samplerate);
            return -1;
        }
        r->mono[i] = sum * scale;
    }
    r->mono_start = 0;
    r->mono_end = got;
    return 0;
}

long audio_reader_read(audio_reader *r, float *out, long max_samples, char *err, int err_len) {
    long num_out = 0;
    while (num_out < max_samples && !r->finished) {
        if (r->mono_start == r->mono_end && !r->end_of_file) {
            if (refill_mono(r, err, err_len) != 0) return -1;
        }
        long available = r->mono_end - r->mono_start;
        if (!r->resampler) {
            long n = available < max_samples - num_out ? available : max_samples - num_out;
            memcpy(out + num_out, r->mono + r->mono_start, sizeof(float) * n);
            r->mono_start += n;
            num_out += n;
            if (r->end_of_file && r->mono_start == r->mono_end) r->finished = 1;
            continue;
        }
        SRC_DATA data = {
            .data_in = r->mono + r->mono_start,
            .input_frames = available,
            .data_out = out + num_out,
            .output_frames = max_samples - num_out,
            .end_of_input = r->end_of_file,
            .src_ratio = r->ratio,
        };
        int src_error = src_process(r->resampler, &data);
        if (src_error) {
            snprintf(err, err_len, "resampling failed: %s", src_strerror(src_error));
            return -1;
        }
        r->mono_start += data.input_frames_used;
        num_out += data.output_frames_gen;
        if (r->end_of_file && r->mono_start == r->mono_end && data.output_frames_gen == 0)
            r->finished = 1;
    }
    return num_out;
}

void audio_reader_close(audio_reader *r) {
    if (!r) return;
    if (r->file) sf_close(r->file);
    audio_reader_close(r->inner);
    if (r->resampler) src_delete(r->resampler);
    free(r->interleaved);
    free(r->mono);
    free(r);
}

