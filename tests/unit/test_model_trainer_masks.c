/* Time masks on training inputs (trainer_mask_time_spans, trainer_internal.h):
 * whole frames set to zero in spans of at most TRAINER_MASK_MAX_SPAN, only
 * inside each sequence's length, padding and other sequences untouched,
 * about the share asked for over many draws, and the same for the same seed. */
#include "test_util.h"
#include "trainer_internal.h"

#include <stdlib.h>
#include <string.h>

enum { T = 120, B = 4, D = 3 };

/* Fills x (T, B, D) with nonzero values, zero where t >= lengths[b] (padding). */
static void fill(float *x, const int *lengths) {
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int d = 0; d < D; d++)
                x[((size_t)t * B + b) * D + d] = t < lengths[b] ? 1.0f + t + 0.01f * d : 0.0f;
}

static int frame_is_zero(const float *x, int t, int b) {
    for (int d = 0; d < D; d++)
        if (x[((size_t)t * B + b) * D + d] != 0.0f)
            return 0;
    return 1;
}

START_TEST(test_masks_whole_frames_inside_lengths) {
    const int lengths[B] = {120, 37, 5, 1};
    float x[T * B * D];
    uint64_t rng = 7;
    for (int trial = 0; trial < 200; trial++) {
        fill(x, lengths);
        trainer_mask_time_spans(x, lengths, T, B, D, 0.3f, &rng);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                const float *frame = x + ((size_t)t * B + b) * D;
                int zeros = 0;
                for (int d = 0; d < D; d++)
                    zeros += frame[d] == 0.0f;
                ck_assert_msg(zeros == 0 || zeros == D, "part of a frame masked");
                if (t >= lengths[b])
                    ck_assert(zeros == D); /* padding stays zero */
                else if (zeros == 0)   /* an unmasked frame keeps its values */
                    ck_assert(frame[0] == 1.0f + t);
            }
        }
    }
}
END_TEST

/* share * length / mean span = 1: one span exactly, of 1..TRAINER_MASK_MAX_SPAN frames. */
START_TEST(test_one_span_is_contiguous_and_bounded) {
    const int lengths[B] = {55, 55, 55, 55};
    float x[T * B * D];
    uint64_t rng = 5;
    int widths_seen[TRAINER_MASK_MAX_SPAN + 1] = {0};
    for (int trial = 0; trial < 500; trial++) {
        fill(x, lengths);
        trainer_mask_time_spans(x, lengths, T, B, D, 0.1f, &rng);
        for (int b = 0; b < B; b++) {
            int first = -1, last = -1, count = 0;
            for (int t = 0; t < lengths[b]; t++)
                if (frame_is_zero(x, t, b)) {
                    if (first < 0)
                        first = t;
                    last = t, count++;
                }
            ck_assert_int_ge(count, 1);
            ck_assert_int_le(count, TRAINER_MASK_MAX_SPAN);
            ck_assert_int_eq(last - first + 1, count);
            widths_seen[count]++;
        }
    }
    for (int w = 1; w <= TRAINER_MASK_MAX_SPAN; w++) /* every width is drawn */
        ck_assert_int_gt(widths_seen[w], 0);
}
END_TEST

START_TEST(test_share_masked_is_about_what_was_asked) {
    const int lengths[B] = {120, 60, 20, 40};
    float x[T * B * D];
    const float shares[] = {0.05f, 0.1f, 0.2f};
    for (size_t k = 0; k < sizeof shares / sizeof shares[0]; k++) {
        uint64_t rng = 11 + k;
        long masked = 0, frames = 0;
        for (int trial = 0; trial < 2000; trial++) {
            fill(x, lengths);
            trainer_mask_time_spans(x, lengths, T, B, D, shares[k], &rng);
            for (int b = 0; b < B; b++)
                for (int t = 0; t < lengths[b]; t++)
                    masked += frame_is_zero(x, t, b);
            frames += 120 + 60 + 20 + 40;
        }
        /* overlaps (and spans cut at short ends) take a little off the share */
        double got = (double)masked / frames;
        ck_assert_msg(got > 0.9 * shares[k] && got <= 1.02 * shares[k], "share %.4f for %.2f",
                      got, shares[k]);
    }
}
END_TEST

START_TEST(test_zero_share_and_same_seed) {
    const int lengths[B] = {120, 50, 30, 10};
    float x[T * B * D], y[T * B * D], clean[T * B * D];
    fill(clean, lengths);
    memcpy(x, clean, sizeof x);
    uint64_t rng = 3;
    trainer_mask_time_spans(x, lengths, T, B, D, 0.0f, &rng);
    ck_assert(memcmp(x, clean, sizeof x) == 0);
    uint64_t a = 99, b = 99;
    memcpy(x, clean, sizeof x);
    memcpy(y, clean, sizeof y);
    trainer_mask_time_spans(x, lengths, T, B, D, 0.2f, &a);
    trainer_mask_time_spans(y, lengths, T, B, D, 0.2f, &b);
    ck_assert(memcmp(x, y, sizeof x) == 0);
    ck_assert(memcmp(x, clean, sizeof x) != 0);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("model_trainer_masks");
    TCase *tc = tcase_create("time masks");
    tcase_add_test(tc, test_masks_whole_frames_inside_lengths);
    tcase_add_test(tc, test_one_span_is_contiguous_and_bounded);
    tcase_add_test(tc, test_share_masked_is_about_what_was_asked);
    tcase_add_test(tc, test_zero_share_and_same_seed);
    suite_add_tcase(suite, tc);
    return test_run_suite(suite);
}
