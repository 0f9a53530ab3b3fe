/* Speech / non-speech detection on frames, for finding the parts of a
 * recording worth indexing and trimming a query to its speech.
 *
 * Energy-based with an adaptive floor: a frame is speech when its level is
 * well above the recording's noise floor (a low percentile of its frame
 * levels) and above an absolute minimum; short gaps are bridged (hangover),
 * short bursts dropped, regions padded. Steady noise therefore gives no
 * speech, whatever its level, and digital silence gives none either. */
#ifndef S2S_VAD_H
#define S2S_VAD_H

typedef struct {
    float threshold_db;      /* speech: this far above the noise floor (6) */
    float hysteresis_db;     /* stay in speech down to threshold - this (3) */
    float floor_percentile;  /* which frame level is the noise floor (10) */
    float min_level_db;      /* never speech below this mean power, dBFS (-55) */
    int hangover_frames;     /* pauses shorter than this stay speech (30 = 0.3 s) */
    int min_speech_frames;   /* shorter bursts are dropped (8 = 0.08 s) */
    int padding_frames;      /* frames added at each end of a region (5) */
} vad_options;

vad_options vad_defaults(void);

typedef struct {
    long start_frame;  /* first frame of speech */
    long end_frame;    /* one past the last */
} vad_region;

/* Finds speech regions from per-frame raw log energies (natural log of the
 * sum of squared 16-bit-scaled samples over frame_length samples, as the
 * frontend returns them). Writes at most max_regions regions and returns how
 * many there are in all, or -1 when out of memory. */
long vad_detect(const float *log_energies, long num_frames, int frame_length,
                const vad_options *options, vad_region *regions, long max_regions);
/* The per-frame decision before hangover, minimum length and padding:
 * is_speech[t] = 1 when frame t is above the speech threshold. For
 * statistics that must see speech only (cepstral mean normalisation).
 * Returns the number of speech frames, or -1 when out of memory. */
long vad_speech_frames(const float *log_energies, long num_frames, int frame_length,
                       const vad_options *options, unsigned char *is_speech);
#endif
