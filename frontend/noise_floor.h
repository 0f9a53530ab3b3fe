/* The VAD's frame energies with a recording's steady noise taken out.
 *
 * The VAD (vad.h) calls a frame speech when its energy is well above the
 * recording's quietest frames. Under steady noise (a telephone line, a fan)
 * the quiet parts of words sink into the noise, and a sentence falls apart
 * into pieces that the segmenter cuts windows from and the mean
 * normalisation averages over. Here each mel bin's noise power is a low
 * percentile of its power over the recording (the frames between words hold
 * the noise alone), spectral subtraction (Boll 1979) keeps max(P - a N, b P)
 * of each bin, and a frame's energy is lowered by the share of its mel power
 * that did not survive: noise alone drops by 1 / b, speech keeps its level.
 * The cepstra are not changed (taking the noise out of them too scored lower:
 * README, Noisy recordings). A recording whose noise is far below its
 * speech (every clean recording) is left exactly as it is. */
#ifndef S2S_NOISE_FLOOR_H
#define S2S_NOISE_FLOOR_H

typedef struct {
    float over_subtraction; /* a (2); 0: off */
    float spectral_floor;   /* b (0.05): a bin keeps at least this share of its power */
    float percentile;       /* which of a bin's frame powers is its noise (20) */
    float max_snr_db;       /* recordings whose mean mel power is more than this above
                               the noise's are left alone (30) */
    int min_frames;         /* fewer frames than this: left alone (100 = 1 s) */
} noise_floor_options;

noise_floor_options noise_floor_defaults(void);

/* The log mel energies of a recording's frames, kept until the whole
 * recording has been seen: 16 bits a value (steps of 0.001 in the natural
 * log, 0.004 dB), 46 bytes a frame of 23 bins, where the frames themselves
 * take 156. */
typedef struct noise_floor_frames noise_floor_frames;

/* NULL when out of memory. */
noise_floor_frames *noise_floor_frames_new(int num_mel);
void noise_floor_frames_free(noise_floor_frames *frames);

/* Appends a frame's num_mel natural-log mel energies (clamped to [-20, 45]).
 * Returns 0, or -1 when out of memory. */
int noise_floor_frames_add(noise_floor_frames *frames, const float *log_mel);

/* Lowers log_energy (one value per frame added, in order) in place by the
 * log of the share of each frame's mel power above the noise floor, when
 * the options say the recording is noisy. Returns 1 when it lowered them,
 * 0 when it left them alone, -1 when out of memory. */
int noise_floor_lower_energies(const noise_floor_frames *frames, float *log_energy,
                               const noise_floor_options *options);
#endif
