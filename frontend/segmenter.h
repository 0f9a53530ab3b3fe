/* Candidate segments for the index. Two kinds of windows, both inside the
 * speech regions the VAD found:
 *  - fixed windows: lengths of 0.3 to 1.4 s started every 0.15 s, so a term
 *    is covered wherever it is said;
 *  - boundary windows: from each point where speech starts after a pause to
 *    each later point where it stops before one (up to the longest window),
 *    so a word or phrase said between pauses gets a window that fits it
 *    exactly, as a trimmed query does.
 * Windows that share a start are listed together so the encoder produces
 * all of them in one pass (a window's vector is the encoder's state after
 * its last frame). */
#ifndef S2S_SEGMENTER_H
#define S2S_SEGMENTER_H
#include "vad.h"

enum { SEGMENTER_MAX_LENGTHS = 16 };

typedef struct {
    int hop_frames;                           /* between fixed window starts (15 = 0.15 s) */
    int num_lengths;                          /* fixed window lengths in use */
    int length_frames[SEGMENTER_MAX_LENGTHS]; /* ascending (30, 50, 70, 100, 140 frames) */
    int min_pause_frames;   /* a pause between speech runs is at least this long (5);
                               0 turns boundary windows off */
    int min_boundary_frames; /* shortest boundary window (15) */
} segmenter_options;

segmenter_options segmenter_defaults(void);

/* Longest window the options can produce, in frames. */
int segmenter_max_frames(const segmenter_options *options);

/* A window start and the lengths (ascending, frames) of its windows. */
typedef struct {
    long start_frame;
    int num_lengths;
    int length_frames[SEGMENTER_MAX_LENGTHS];
} segment_start;

/* Lists the window starts inside the regions, region by region.
 * is_speech (num_frames flags: frame above the speech threshold, see
 * vad_speech_frames) gives the pauses for boundary windows; NULL gives
 * fixed windows only. A region shorter than the shortest fixed window gets
 * one window over all of it. Writes at most max_starts and returns how many
 * there are in all. */
long segmenter_starts(const vad_region *regions, long num_regions, const unsigned char *is_speech,
                      long num_frames, const segmenter_options *options, segment_start *starts,
                      long max_starts);
#endif
