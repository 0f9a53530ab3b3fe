/* Recording embedding: the windows and vectors of a long recording do not
 * depend on how many threads share it, and every vector is unit length. */
#include "audio_reader.h"
#include "recording_embedder.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

START_TEST(test_threads_give_the_same_segments) {
    char err[256];
    /* 20 copies of a committed utterance: ~30 s, enough starts for 2+ shares. */
    audio_reader *r = audio_reader_open(test_fixture_path("audio/speech_a.wav"), 16000, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    float *one = malloc(sizeof(float) * 16000 * 4);
    long n = audio_reader_read(r, one, 16000 * 4, err, sizeof err);
    audio_reader_close(r);
    ck_assert_int_gt(n, 16000);
    float *samples = malloc(sizeof(float) * n * 20);
    for (int c = 0; c < 20; c++)
        for (long i = 0; i < n; i++) samples[c * n + i] = one[i];

    autoencoder_config config = autoencoder_config_default();
    config.hidden_size = 16;
    config.vector_dim = 8;
    autoencoder *model = autoencoder_new(&config, 7, err, sizeof err);
    ck_assert_msg(model != NULL, "%s", err);
    feature_matrix frames;
    ck_assert(features_compute_samples(samples, n * 20, autoencoder_feature_options(model),
                                       autoencoder_feature_stats(model), &frames, err,
                                       sizeof err) == 0);
    segmenter_options options = segmenter_defaults();
    embedded_segments reference = {0};
    for (int threads = 1; threads <= 3; threads++) {
        embedder_state *state = embedder_state_new(model, &options, threads);
        embedded_segments got;
        ck_assert_msg(embed_recording(state, &frames, &got, err, sizeof err) == 0, "%s", err);
        ck_assert_int_gt(got.num_segments, 2 * 128);
        if (threads == 1) {
            reference = got;
            for (long i = 0; i < got.num_segments; i++) {
                double norm = 0;
                for (int d = 0; d < 8; d++) norm += got.vectors[i * 8 + d] * got.vectors[i * 8 + d];
                ck_assert_msg(fabs(norm - 1.0) < 1e-4, "segment %ld has norm %f", i, sqrt(norm));
            }
        } else {
            ck_assert_int_eq(got.num_segments, reference.num_segments);
            for (long i = 0; i < 2 * got.num_segments; i++)
                ck_assert_float_eq(got.spans_s[i], reference.spans_s[i]);
            for (long i = 0; i < 8 * got.num_segments; i++)
                ck_assert_msg(fabsf(got.vectors[i] - reference.vectors[i]) < 1e-5f,
                              "%d threads, value %ld: %f vs %f", threads, i, got.vectors[i],
                              reference.vectors[i]);
            embedded_segments_free(&got);
        }
        embedder_state_free(state);
    }
    embedded_segments_free(&reference);
    features_free(&frames);
    autoencoder_free(model);
    free(samples);
    free(one);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("model_embedder");
    TCase *tc = tcase_create("embedder");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_threads_give_the_same_segments);
    suite_add_tcase(suite, tc);
    return test_run_suite(suite);
}
