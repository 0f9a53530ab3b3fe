/* Training data without labels for the correspondence objective: pairs of
 * windows of the user's own audio that the current model finds to be the
 * same word said twice (pair_miner.h), each pair a "word" whose two
 * instances count as two speakers, so trainer_run's correspondence variant
 * learns to rebuild each window from the other, in both directions.
 *
 * Why: continuing the plain reconstruction objective on new audio pulls the
 * vectors back towards the voice and channel (every frame must be rebuilt)
 * and undoes what correspondence training gave the shipped model; mined
 * pairs keep the objective that made the model speaker-invariant and adapt
 * it to the new voices, language or channel. */
#ifndef S2S_TRAINER_MINED_H
#define S2S_TRAINER_MINED_H
#include "pair_miner.h"
#include "segmenter.h"
#include "trainer.h"

typedef struct {
    pair_miner_options pairs;  /* pair_miner_defaults(); pairs.max_pairs 0: see below */
    double pairs_per_minute;   /* 15: with pairs.max_pairs 0, keep the best pairs_per_minute
                                  x minutes of audio (0: all).  Per minute of audio, not per
                                  window: noise makes the VAD cut more, shorter speech
                                  regions, so more windows but not more repeated words
                                  (measured: the telephone + noise set has 2.5 times the
                                  mutual pairs of the clean one, and a tenth of its windows
                                  as pairs lowered MAP where 15 a minute raised it) */
} mined_options;

mined_options mined_defaults(void);

/* The windows pairs are mined among: all the index's windows (all), or
 * (default) those that start where speech resumes after a pause, as words
 * do: the boundary windows plus the fixed ones at the start of each speech
 * region.  On the English evaluation set the latter are a tenth as many and
 * their mutual nearest neighbours are the same word 2-3 times as often
 * (0.23 against 0.08 of all mutual pairs), and mining costs grow as the
 * square of the windows. */
segmenter_options mined_windows(int all);

/* Loads the num_files files' frames (features of the model at model_path),
 * cuts each into windows, embeds them with that model (opts->num_threads
 * threads), mines pairs with options and returns training data holding both
 * windows of every pair (unnormalised frames, as trainer_data_load's).
 * With pairs_path, the pairs are also written there as TSV lines
 * file_a<TAB>start_s<TAB>end_s<TAB>file_b<TAB>start_s<TAB>end_s<TAB>cosine
 * (to inspect them).  *num_pairs gets the pairs kept, *num_windows the
 * windows searched.  A file that cannot be read goes to cb->file_failed and
 * is skipped.  Returns NULL with err when no pair is found or on failure.
 * Memory: every file's frames at once (~56 MB per hour of audio, twice
 * while embedding) and the windows' vectors.  Free with trainer_data_free. */
trainer_data *trainer_data_load_mined(const trainer_options *opts, const char *model_path,
                                      const char *const *files, int num_files,
                                      const segmenter_options *windows,
                                      const mined_options *options, const char *pairs_path,
                                      const trainer_callbacks *cb, long *num_pairs,
                                      long *num_windows, char *err, int err_len);
#endif
