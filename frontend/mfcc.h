/* MFCC of one frame, following Kaldi's compute-mfcc-feats recipe.
 *
 * The computer is built once (FFT plan, window, mel filterbank, DCT matrix,
 * lifter) and then applied to frames; it holds scratch buffers, so one
 * computer serves one thread. Framing (which samples make a frame) lives in
 * features.c; this file only turns a frame of samples into cepstra. */
#ifndef S2S_MFCC_H
#define S2S_MFCC_H

/* Settings, with Kaldi's names and defaults except where noted. */
typedef struct {
    int sample_rate_hz;      /* 16000: input is resampled to this */
    float frame_length_ms;   /* 25 */
    float frame_shift_ms;    /* 10 */
    float preemphasis;       /* 0.97 */
    int num_mel_bins;        /* 23 */
    float low_freq_hz;       /* 20 */
    float high_freq_hz;      /* > 0: absolute; <= 0: offset from Nyquist (Kaldi) */
    int num_ceps;            /* 13 */
    float cepstral_lifter;   /* 22 */
    int use_energy;          /* 1: log energy replaces C0 (Kaldi default) */
    float vtln_warp;         /* 1 (or 0): none; else the mel filters' edges are moved by
                                Kaldi's piecewise-linear VTLN warp f -> f / vtln_warp inside
                                the band (its ends fixed), as a longer (< 1) or shorter (> 1)
                                vocal tract would move formants.  Training augmentation
                                only (vocal tract length perturbation): never stored in a
                                model, which always reads unwarped features */
    float speed;             /* 1 (or 0): none; else a file's audio is resampled to
                                sample_rate_hz / speed and framed as if it were at
                                sample_rate_hz: played `speed` times faster, tempo, pitch
                                and formants all scaled (speed perturbation, Ko et al.
                                2015). Files only (features_compute_samples ignores it);
                                training augmentation only, like vtln_warp */
} mfcc_options;

/* Kaldi's defaults at 16 kHz: what `s2s features --raw` prints. */
mfcc_options mfcc_kaldi_defaults(void);

/* The settings of the model's features: mel filters limited to 300-3400 Hz,
 * the telephone band, which 8 kHz and wideband recordings share, and C0
 * instead of the full-band log energy, so that both give comparable frames. */
mfcc_options mfcc_model_defaults(void);

typedef struct mfcc_computer mfcc_computer;

/* Builds a computer for the options; returns NULL and fills err when the
 * options are invalid (e.g. mel band above Nyquist). Free with mfcc_free. */
mfcc_computer *mfcc_build(const mfcc_options *options, char *err, int err_len);
void mfcc_free(mfcc_computer *computer);

/* Samples per frame and per shift for these options. */
int mfcc_frame_length(const mfcc_computer *computer);
int mfcc_frame_shift(const mfcc_computer *computer);

/* Computes num_ceps values from exactly mfcc_frame_length() samples, scaled
 * like 16-bit PCM (Kaldi's convention: [-32768, 32767]), and returns the
 * frame's raw log energy (after DC removal, before pre-emphasis) whatever
 * use_energy says, for the VAD. Never produces -inf or NaN for finite input:
 * log energies are floored at FLT_EPSILON. */
float mfcc_compute_frame(mfcc_computer *computer, const float *samples, float *cepstra);

/* The num_mel_bins log mel energies (natural log, floored at FLT_EPSILON) of
 * the frame mfcc_compute_frame computed last; valid until its next call
 * (noise_floor.h reads them). */
const float *mfcc_last_log_mel(const mfcc_computer *computer);
#endif
