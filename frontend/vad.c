/* Energy VAD with an adaptive noise floor (see vad.h for the method). */
#include "vad.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

vad_options vad_defaults(void) {
    vad_options options = {
        .threshold_db = 6.0f,
        .hysteresis_db = 3.0f,
        .floor_percentile = 10.0f,
        .min_level_db = -55.0f,
        .hangover_frames = 30,
        .min_speech_frames = 8,
        .padding_frames = 5,
    };
    return options;
}

static int compare_floats(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Mean power of each frame in dB relative to a full-scale square wave. */
static void frame_levels_db(float *levels, const float *log_energies, long num_frames,
                            int frame_length) {
    const double full_scale = log((double)frame_length * 32768.0 * 32768.0);
    for (long t = 0; t < num_frames; t++)
        levels[t] = (float)(10.0 / log(10.0) * (log_energies[t] - full_scale));
}

/* Frame levels (dB) and the level a frame must pass to start speech: the
 * noise floor (a low percentile of the levels) plus the threshold, and never
 * below the absolute minimum. levels must hold num_frames values. Returns
 * the threshold, or NAN when out of memory. */
static float speech_threshold(float *levels, const float *log_energies, long num_frames,
                              int frame_length, const vad_options *options) {
    frame_levels_db(levels, log_energies, num_frames, frame_length);
    float *sorted = malloc(sizeof(float) * num_frames);
    if (!sorted) return NAN;
    memcpy(sorted, levels, sizeof(float) * num_frames);
    qsort(sorted, num_frames, sizeof(float), compare_floats);
    long floor_index = (long)(options->floor_percentile / 100.0f * (num_frames - 1));
    float noise_floor = sorted[floor_index];
    free(sorted);
    return fmaxf(noise_floor + options->threshold_db, options->min_level_db);
}

/* Allocates *levels (the frame levels in dB) and returns the speech
 * threshold; NAN with *levels NULL when out of memory. */
static float levels_and_threshold(const float *log_energies, long num_frames, int frame_length,
                                  const vad_options *options, float **levels) {
    *levels = malloc(sizeof(float) * num_frames);
    float enter = *levels ? speech_threshold(*levels, log_energies, num_frames, frame_length, options)
                          : NAN;
    if (isnan(enter)) {
        free(*levels);
        *levels = NULL;
    }
    return enter;
}

long vad_speech_frames(const float *log_energies, long num_frames, int frame_length,
                       const vad_options *options, unsigned char *is_speech) {
    if (num_frames <= 0) return 0;
    float *levels;
    float enter = levels_and_threshold(log_energies, num_frames, frame_length, options, &levels);
    if (!levels) return -1;
    long num_speech = 0;
    for (long t = 0; t < num_frames; t++) num_speech += is_speech[t] = levels[t] > enter;
    free(levels);
    return num_speech;
}

long vad_detect(const float *log_energies, long num_frames, int frame_length,
                const vad_options *options, vad_region *regions, long max_regions) {
    if (num_frames <= 0) return 0;
    float *levels;
    float enter = levels_and_threshold(log_energies, num_frames, frame_length, options, &levels);
    if (!levels) return -1;
    float stay = fmaxf(enter - options->hysteresis_db, options->min_level_db);

    long num_regions = 0;
    long region_start = -1, region_end = -1; /* the open region, not yet emitted */
    int in_speech = 0;
    for (long t = 0; t <= num_frames; t++) {
        int speech = t < num_frames && levels[t] > (in_speech ? stay : enter);
        if (speech && !in_speech) {
            in_speech = 1;
            /* A pause shorter than the hangover joins this burst to the open region. */
            if (region_start >= 0 && t - region_end < options->hangover_frames) continue;
            if (region_start >= 0 && region_end - region_start >= options->min_speech_frames) {
                if (num_regions < max_regions) {
                    regions[num_regions].start_frame = region_start;
                    regions[num_regions].end_frame = region_end;
                }
                num_regions++;
            }
            region_start = t;
        } else if (!speech && in_speech) {
            in_speech = 0;
            region_end = t;
        }
    }
    if (region_start >= 0 && region_end - region_start >= options->min_speech_frames) {
        if (num_regions < max_regions) {
            regions[num_regions].start_frame = region_start;
            regions[num_regions].end_frame = region_end;
        }
        num_regions++;
    }
    free(levels);

    /* Padding may make neighbours touch; they stay separate regions, clipped. */
    long num_written = num_regions < max_regions ? num_regions : max_regions;
    for (long i = 0; i < num_written; i++) {
        long start = regions[i].start_frame - options->padding_frames;
        long end = regions[i].end_frame + options->padding_frames;
        long prev_end = i > 0 ? regions[i - 1].end_frame : 0;
        regions[i].start_frame = start < prev_end ? prev_end : start;
        regions[i].end_frame = end > num_frames ? num_frames : end;
    }
    return num_regions;
}
