/* The VAD's energies with the steady noise taken out (see noise_floor.h). */
#include "noise_floor.h"

#include <math.h>
#include <stdlib.h>

noise_floor_options noise_floor_defaults(void) {
    noise_floor_options options = {
        .over_subtraction = 2.0f,
        .spectral_floor = 0.05f,
        .percentile = 20.0f,
        .max_snr_db = 30.0f,
        .min_frames = 100,
    };
    return options;
}

static int compare_floats(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* noise[m] = the percentile of bin m's log energies over the frames. */
static int estimate_noise(const float *log_mel, long num_frames, int num_mel, float percentile,
                          float *noise) {
    float *column = malloc(sizeof(float) * num_frames);
    if (!column) return -1;
    long index = (long)(percentile / 100.0f * (num_frames - 1));
    for (int m = 0; m < num_mel; m++) {
        for (long t = 0; t < num_frames; t++) column[t] = log_mel[t * num_mel + m];
        qsort(column, num_frames, sizeof(float), compare_floats);
        noise[m] = column[index];
    }
    free(column);
    return 0;
}

/* Mean mel power over the frames against the noise's, in dB. */
static double snr_db(const float *log_mel, long num_frames, int num_mel, const float *noise) {
    double signal = 0.0, noise_power = 0.0;
    for (long t = 0; t < num_frames; t++)
        for (int m = 0; m < num_mel; m++) signal += exp(log_mel[t * num_mel + m]);
    for (int m = 0; m < num_mel; m++) noise_power += exp(noise[m]);
    return 10.0 * log10(signal / num_frames / noise_power);
}

int noise_floor_lower_energies(const float *log_mel, long num_frames, int num_mel,
                               float *log_energy, const noise_floor_options *options) {
    if (options->over_subtraction <= 0.0f || num_frames < options->min_frames || num_mel <= 0)
        return 0;
    float *noise = malloc(sizeof(float) * num_mel);
    if (!noise || estimate_noise(log_mel, num_frames, num_mel, options->percentile, noise) != 0) {
        free(noise);
        return -1;
    }
    int noisy = snr_db(log_mel, num_frames, num_mel, noise) <= options->max_snr_db;
    for (long t = 0; noisy && t < num_frames; t++) {
        const float *frame = log_mel + t * num_mel;
        double power = 0.0, kept = 0.0;
        for (int m = 0; m < num_mel; m++) {
            double p = exp(frame[m]);
            double subtracted = p - options->over_subtraction * exp(noise[m]);
            double floor = options->spectral_floor * p;
            power += p;
            kept += subtracted > floor ? subtracted : floor;
        }
        log_energy[t] += (float)log(kept / power);
    }
    free(noise);
    return noisy;
}
