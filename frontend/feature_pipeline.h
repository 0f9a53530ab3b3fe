/* The frontend pipeline: an audio file to the frames the model reads.
 *
 *   file -> audio_reader (mono, 16 kHz) -> framing -> MFCC -> deltas -> normalise
 *
 * with the VAD's frame energies (which speech the mean normalisation and the
 * segmenter see) taken from a noisy recording with its noise floor out.
 *
 * Frames are returned as one row-major matrix (num_frames, dim). */
#ifndef S2S_FEATURES_H
#define S2S_FEATURES_H
#include "mfcc.h"
#include "noise_floor.h"
#include "vad.h"

#define FEATURES_MAX_DIM 128

typedef struct {
    mfcc_options mfcc;
    int num_deltas;    /* 2: MFCC + delta + delta-delta */
    int delta_window;  /* 2: Kaldi's delta window */
    int cmn_window_frames; /* sliding cepstral mean normalisation over the speech
                              frames of a centred window (600 = 6 s); 0: off */
    noise_floor_options noise_floor; /* the VAD's energies of a noisy recording with
                                        its noise floor out (noise_floor_defaults();
                                        over_subtraction 0: off). How s2s finds speech,
                                        not the model's: model files do not store it */
} feature_options;

/* The model's features: mfcc_model_defaults() + delta + delta-delta. */
feature_options features_model_defaults(void);

/* Values per frame: num_ceps * (1 + num_deltas). */
int features_dim(const feature_options *options);

/* Normalisation: frame[d] = (frame[d] - mean[d]) / stddev[d], after the
 * sliding cepstral mean normalisation when that is on. The statistics are
 * global (computed over a training corpus and stored in the model). The
 * per-recording mean removes what a voice and a channel add to every frame
 * (same-different AP of frame-level DTW on held-out voices: 0.33 with global
 * statistics alone, 0.36 with the mean of each utterance removed). */
typedef struct {
    int dim;
    float mean[FEATURES_MAX_DIM];
    float stddev[FEATURES_MAX_DIM];
} feature_stats;

/* A matrix of frames, owned by the caller: free with features_free(). */
typedef struct {
    float *data;       /* (num_frames, dim) row-major */
    float *log_energy; /* (num_frames) Kaldi raw log energy, for the VAD */
    long num_frames;
    int dim;
    double duration_s; /* of the audio */
    int source_rate_hz;
} feature_matrix;

/* Static MFCC of a whole file, streamed (constant memory apart from the
 * output): num_ceps values a frame. Returns 0, or -1 with err filled. */
int features_compute_static(const char *path, const mfcc_options *options,
                            feature_matrix *out, char *err, int err_len);

/* Static MFCC (the VAD's energies with the noise floor out, when
 * options->noise_floor says so), then deltas (Kaldi's ComputeDeltas), then sliding mean
 * normalisation (when options->cmn_window_frames > 0), then normalisation
 * when stats is not NULL. Returns 0, or -1 with err filled. */
int features_compute(const char *path, const feature_options *options,
                     const feature_stats *stats, feature_matrix *out, char *err, int err_len);

/* Same as features_compute, on samples already in memory (mono, [-1, 1], at
 * options->mfcc.sample_rate_hz). */
int features_compute_samples(const float *samples, long num_samples, const feature_options *options,
                             const feature_stats *stats, feature_matrix *out, char *err, int err_len);

/* features_compute of path's audio brought down to band_rate_hz first (and
 * back up, streaming; audio_reader_open_band_limited): a clean query searched among
 * recordings sampled at band_rate_hz (telephone audio, 8 kHz) is then
 * heard through the same band.  band_rate_hz 0, or at or above the options'
 * rate: features_compute. */
int features_compute_band_limited(const char *path, int band_rate_hz, const feature_options *options,
                                  const feature_stats *stats, feature_matrix *out, char *err,
                                  int err_len);

/* Adds delta columns in place: in each row, columns [0, num_ceps) hold the
 * static cepstra; columns for delta orders 1..num_deltas are filled. */
void features_add_deltas(float *frames, long num_frames, int num_ceps, int num_deltas, int window);

/* Subtracts from each frame the mean of the speech frames (is_speech[t]
 * set) in the window of window_frames centred on it; where the window holds
 * no speech, the mean of all speech frames. Nothing changes when no frame
 * is speech. Memory: one window of frames, whatever num_frames. */
void features_subtract_sliding_mean(float *frames, long num_frames, int dim,
                                    const unsigned char *is_speech, int window_frames);

/* Applies normalisation in place. */
void features_normalise(float *frames, long num_frames, const feature_stats *stats);

void features_free(feature_matrix *matrix);

/* The speech regions of frames computed with options: the VAD (vad's
 * settings) on their log energies.  *regions gets a malloc'ed array (NULL
 * when there is no speech).  Returns how many, or -1 when out of memory. */
long features_speech_regions(const feature_matrix *frames, const feature_options *options,
                             const vad_options *vad, vad_region **regions);
#endif
