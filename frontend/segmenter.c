/* Window starts inside speech regions (see segmenter.h). */
#include "segmenter.h"

segmenter_options segmenter_defaults(void) {
    segmenter_options options = {
        .hop_frames = 10,
        .num_lengths = 4,
        .length_frames = {30, 50, 70, 100},
    };
    return options;
}

long segmenter_starts(const vad_region *regions, long num_regions, const segmenter_options *options,
                      segment_start *starts, long max_starts) {
    int shortest = options->length_frames[0];
    int longest = options->length_frames[options->num_lengths - 1];
    long num = 0;
    for (long r = 0; r < num_regions; r++) {
        long end = regions[r].end_frame;
        /* A region shorter than the shortest window still gets one window
         * covering it, so a lone short word is not lost. */
        long last_start = end - shortest;
        if (last_start < regions[r].start_frame) last_start = regions[r].start_frame;
        for (long s = regions[r].start_frame; s <= last_start; s += options->hop_frames) {
            if (num < max_starts) {
                long available = end - s;
                starts[num].start_frame = s;
                starts[num].max_frames = (int)(available < longest ? available : longest);
            }
            num++;
        }
    }
    return num;
}
