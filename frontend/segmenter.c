/* Window starts inside speech regions (see segmenter.h). */
#include "segmenter.h"

#include <string.h>

segmenter_options segmenter_defaults(void) {
    segmenter_options options = {
        .hop_frames = 15,
        .num_lengths = 5,
        .length_frames = {30, 50, 70, 100, 140},
        .min_pause_frames = 5,
        .min_boundary_frames = 15,
    };
    return options;
}

int segmenter_max_frames(const segmenter_options *options) {
    return options->length_frames[options->num_lengths - 1];
}

/* Appends a start unless max_starts is reached; counts it in any case. */
static void emit(segment_start *starts, long max_starts, long *num, const segment_start *start) {
    if (*num < max_starts) starts[*num] = *start;
    (*num)++;
}

/* Fixed windows of region [begin, end). */
static void fixed_starts(long begin, long end, const segmenter_options *options,
                         segment_start *starts, long max_starts, long *num) {
    long last_start = end - options->length_frames[0];
    if (last_start < begin) last_start = begin;
    for (long s = begin; s <= last_start; s += options->hop_frames) {
        segment_start start = {.start_frame = s};
        for (int i = 0; i < options->num_lengths && s + options->length_frames[i] <= end; i++)
            start.length_frames[start.num_lengths++] = options->length_frames[i];
        if (start.num_lengths == 0) start.length_frames[start.num_lengths++] = (int)(end - s);
        emit(starts, max_starts, num, &start);
    }
}

/* True when frame t begins a run of speech after a pause (or the region's
 * start); a pause is at least min_pause non-speech frames. */
static int is_onset(const unsigned char *is_speech, long t, long begin, int min_pause) {
    if (!is_speech[t]) return 0;
    if (t == begin) return 1;
    for (long u = t - 1; u >= t - min_pause; u--)
        if (u < begin || is_speech[u]) return u < begin;
    return 1;
}

/* True when frame t - 1 ends a run of speech before a pause (or the end). */
static int is_offset(const unsigned char *is_speech, long t, long end, int min_pause) {
    if (!is_speech[t - 1]) return 0;
    if (t == end) return 1;
    for (long u = t; u < t + min_pause; u++)
        if (u >= end || is_speech[u]) return u >= end;
    return 1;
}

/* Boundary windows of region [begin, end): onset to each later offset. */
static void boundary_starts(long begin, long end, const unsigned char *is_speech,
                            const segmenter_options *options, segment_start *starts,
                            long max_starts, long *num) {
    int longest = segmenter_max_frames(options);
    for (long s = begin; s < end; s++) {
        if (!is_onset(is_speech, s, begin, options->min_pause_frames)) continue;
        segment_start start = {.start_frame = s};
        for (long e = s + options->min_boundary_frames; e <= end && e - s <= longest; e++) {
            if (!is_offset(is_speech, e, end, options->min_pause_frames)) continue;
            if (start.num_lengths == SEGMENTER_MAX_LENGTHS) break;
            start.length_frames[start.num_lengths++] = (int)(e - s);
        }
        if (start.num_lengths > 0) emit(starts, max_starts, num, &start);
    }
}

long segmenter_starts(const vad_region *regions, long num_regions, const unsigned char *is_speech,
                      long num_frames, const segmenter_options *options, segment_start *starts,
                      long max_starts) {
    long num = 0;
    for (long r = 0; r < num_regions; r++) {
        long begin = regions[r].start_frame, end = regions[r].end_frame;
        if (end > num_frames) end = num_frames;
        fixed_starts(begin, end, options, starts, max_starts, &num);
        if (is_speech && options->min_pause_frames > 0)
            boundary_starts(begin, end, is_speech, options, starts, max_starts, &num);
    }
    return num;
}
