/* Candidate windows: fixed windows every hop inside speech, and boundary
 * windows from each onset after a pause to each later offset before one. */
#include "segmenter.h"
#include "test_util.h"

#include <string.h>

static int has_window(const segment_start *starts, long num, long start, int length) {
    for (long i = 0; i < num; i++)
        if (starts[i].start_frame == start)
            for (int j = 0; j < starts[i].num_lengths; j++)
                if (starts[i].length_frames[j] == length) return 1;
    return 0;
}

START_TEST(test_fixed_and_boundary_windows) {
    /* One region [10, 200): speech runs [10, 60) and [70, 130) and [132, 200),
     * the 2-frame gap at 130 too short to be a pause. */
    enum { N = 220 };
    unsigned char speech[N] = {0};
    memset(speech + 10, 1, 50);
    memset(speech + 70, 1, 60);
    memset(speech + 132, 1, 68);
    vad_region region = {10, 200};
    segmenter_options options = segmenter_defaults();
    segment_start starts[256];
    long num = segmenter_starts(&region, 1, speech, N, &options, starts, 256);
    ck_assert_int_le(num, 256);
    /* Fixed: every 10 frames from 10, each with the lengths that fit. */
    ck_assert(has_window(starts, num, 10, 30));
    ck_assert(has_window(starts, num, 10, 140));
    ck_assert(has_window(starts, num, 160, 30));
    ck_assert(!has_window(starts, num, 160, 50)); /* would end past the region */
    /* Boundary: onsets 10 and 70 (not 132), offsets 60 and 200 (not 130). */
    ck_assert(has_window(starts, num, 10, 50));
    ck_assert(has_window(starts, num, 70, 130));
    ck_assert(!has_window(starts, num, 70, 60));
    ck_assert(!has_window(starts, num, 132, 68));
    ck_assert(!has_window(starts, num, 10, 190)); /* longer than the longest window */
    /* Lengths of each start ascend, as the embedder requires. */
    for (long i = 0; i < num; i++)
        for (int j = 1; j < starts[i].num_lengths; j++)
            ck_assert_int_lt(starts[i].length_frames[j - 1], starts[i].length_frames[j]);
}
END_TEST

START_TEST(test_short_region_gets_one_window) {
    vad_region region = {5, 25};
    segmenter_options options = segmenter_defaults();
    segment_start starts[8];
    long num = segmenter_starts(&region, 1, NULL, 100, &options, starts, 8);
    ck_assert_int_eq(num, 1);
    ck_assert_int_eq(starts[0].start_frame, 5);
    ck_assert_int_eq(starts[0].num_lengths, 1);
    ck_assert_int_eq(starts[0].length_frames[0], 20);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("frontend_segmenter");
    TCase *tc = tcase_create("segmenter");
    tcase_add_test(tc, test_fixed_and_boundary_windows);
    tcase_add_test(tc, test_short_region_gets_one_window);
    suite_add_tcase(suite, tc);
    return test_run_suite(suite);
}
