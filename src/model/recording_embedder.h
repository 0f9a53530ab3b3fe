/* From a recording's frames to the vectors the index stores, and from a
 * query's frames to the one vector it is searched with. */
#ifndef S2S_RECORDING_EMBEDDER_H
#define S2S_RECORDING_EMBEDDER_H
#include "autoencoder.h"
#include "feature_pipeline.h"
#include "segmenter.h"

/* Segments of one recording: spans_s (num_segments, 2) start/end seconds,
 * the same windows as frames in spans_frames (num_segments, 2: first frame,
 * one past the last) and vectors (num_segments, vector_dim), unit length.
 * Free with embedded_segments_free. */
typedef struct {
    long num_segments;
    float *spans_s;
    long *spans_frames;
    float *vectors;
} embedded_segments;

/* Finds the speech in frames (normalised model frames with their log
 * energies), cuts it into windows and encodes them in batches; windows that
 * share a start share one encoder pass. state must come from
 * embedder_state_new, whose num_threads threads share a long recording's
 * windows (the result does not depend on their number). Returns 0, or -1
 * with err filled. A recording without speech gives 0 segments, not an
 * error. One state serves one call at a time. */
typedef struct embedder_state embedder_state;
embedder_state *embedder_state_new(const autoencoder *model, const segmenter_options *options,
                                   int num_threads);
void embedder_state_free(embedder_state *state);
/* With unnormalised 1, embed_recording writes the projection's output
 * before normalisation (encoder_state_set_unnormalised): for fitting the
 * vector space, not for the index. */
void embedder_state_set_unnormalised(embedder_state *state, int unnormalised);
int embed_recording(embedder_state *state, const feature_matrix *frames, embedded_segments *out,
                    char *err, int err_len);
void embedded_segments_free(embedded_segments *segments);

/* Trims frames to their speech (first to last speech frame) and encodes them
 * as one vector (vector_dim floats). Fills the speech span in seconds.
 * Returns 0, or -1 with err filled (e.g. "no speech found"). */
int embed_query(const autoencoder *model, const feature_matrix *frames, float *vector,
                double *start_s, double *end_s, char *err, int err_len);

/* Seconds at which frame t starts, and at which a window of n frames from
 * frame t ends (Kaldi framing: 25 ms frames every 10 ms). */
double embedder_frame_start_s(const feature_options *options, long t);
double embedder_window_end_s(const feature_options *options, long t, long n);
#endif
