/* The VAD's energies with the steady noise taken out (see noise_floor.h). */
#include "noise_floor.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Log mel energies are stored as (value - CODE_MIN) / CODE_STEP in 16 bits. */
#define CODE_MIN (-20.0)
#define CODE_STEP 0.001
enum { NUM_CODES = 65536 };

struct noise_floor_frames {
    int num_mel;
    long num_frames, capacity;
    uint16_t *codes; /* (capacity, num_mel) */
};

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

noise_floor_frames *noise_floor_frames_new(int num_mel) {
    noise_floor_frames *f = calloc(1, sizeof *f);
    if (f) f->num_mel = num_mel;
    return f;
}

void noise_floor_frames_free(noise_floor_frames *f) {
    if (!f) return;
    free(f->codes);
    free(f);
}

int noise_floor_frames_add(noise_floor_frames *f, const float *log_mel) {
    if (f->num_frames == f->capacity) {
        long capacity = f->capacity < 1024 ? 1024 : f->capacity + f->capacity / 2;
        uint16_t *codes = realloc(f->codes, sizeof(uint16_t) * capacity * f->num_mel);
        if (!codes) return -1;
        f->codes = codes;
        f->capacity = capacity;
    }
    uint16_t *row = f->codes + f->num_frames * f->num_mel;
    for (int m = 0; m < f->num_mel; m++) {
        double code = round((log_mel[m] - CODE_MIN) / CODE_STEP);
        row[m] = (uint16_t)(code < 0 ? 0 : code > NUM_CODES - 1 ? NUM_CODES - 1 : code);
    }
    f->num_frames++;
    return 0;
}

static double power_of(uint16_t code) { return exp(CODE_MIN + CODE_STEP * code); }

/* noise[m] = the power at the percentile of bin m's frames, by counting
 * codes (histogram: linear in the frames). */
static int estimate_noise(const noise_floor_frames *f, float percentile, double *noise) {
    long *counts = malloc(sizeof(long) * NUM_CODES);
    if (!counts) return -1;
    long rank = (long)(percentile / 100.0f * (f->num_frames - 1)); /* 0-based */
    for (int m = 0; m < f->num_mel; m++) {
        for (int c = 0; c < NUM_CODES; c++) counts[c] = 0;
        for (long t = 0; t < f->num_frames; t++) counts[f->codes[t * f->num_mel + m]]++;
        long seen = 0;
        int code = 0;
        while (seen + counts[code] <= rank) seen += counts[code++];
        noise[m] = power_of((uint16_t)code);
    }
    free(counts);
    return 0;
}

/* Mean mel power over the frames against the noise's, in dB. */
static double snr_db(const noise_floor_frames *f, const double *noise) {
    double signal = 0.0, noise_power = 0.0;
    for (long k = 0; k < f->num_frames * f->num_mel; k++) signal += power_of(f->codes[k]);
    for (int m = 0; m < f->num_mel; m++) noise_power += noise[m];
    return 10.0 * log10(signal / f->num_frames / noise_power);
}

int noise_floor_lower_energies(const noise_floor_frames *f, float *log_energy,
                               const noise_floor_options *options) {
    if (options->over_subtraction <= 0.0f || f->num_frames < options->min_frames || f->num_mel <= 0)
        return 0;
    double *noise = malloc(sizeof(double) * f->num_mel);
    if (!noise || estimate_noise(f, options->percentile, noise) != 0) {
        free(noise);
        return -1;
    }
    int noisy = snr_db(f, noise) <= options->max_snr_db;
    for (long t = 0; noisy && t < f->num_frames; t++) {
        const uint16_t *frame = f->codes + t * f->num_mel;
        double power = 0.0, kept = 0.0;
        for (int m = 0; m < f->num_mel; m++) {
            double p = power_of(frame[m]);
            double subtracted = p - options->over_subtraction * noise[m];
            double floor = options->spectral_floor * p;
            power += p;
            kept += subtracted > floor ? subtracted : floor;
        }
        log_energy[t] += (float)log(kept / power);
    }
    free(noise);
    return noisy;
}
