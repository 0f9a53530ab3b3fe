/* Candidate segments for the index: windows of several lengths started at a
 * fixed hop inside each speech region. Windows that share a start are listed
 * together so the encoder can produce all of them in one pass (the vector of
 * a window is the encoder's state after its last frame). */
#ifndef S2S_SEGMENTER_H
#define S2S_SEGMENTER_H
#include "vad.h"

enum { SEGMENTER_MAX_LENGTHS = 8 };

typedef struct {
    int hop_frames;                          /* between window starts (10 = 0.1 s) */
    int num_lengths;                         /* window lengths in use */
    int length_frames[SEGMENTER_MAX_LENGTHS]; /* ascending (30, 50, 70, 100 frames) */
} segmenter_options;

segmenter_options segmenter_defaults(void);

typedef struct {
    long start_frame;
    int max_frames;   /* frames available from start inside its region (<= longest window) */
} segment_start;

/* Lists the window starts inside the regions: every hop_frames from each
 * region's start while the shortest window still fits. Writes at most
 * max_starts and returns how many there are in all. */
long segmenter_starts(const vad_region *regions, long num_regions, const segmenter_options *options,
                      segment_start *starts, long max_starts);
#endif
