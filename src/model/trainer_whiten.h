/* `s2s train --variant whiten`: no gradient step; the model's vector space
 * is evened out on windows of audio (vector_whitening.h) and the map is
 * folded into its projection.  The encoder, decoder, CTC head and feature
 * settings stay as they were, so transcripts do not change and the model
 * keeps its vector size; only the vectors do (an index needs a reindex). */
#ifndef S2S_TRAINER_WHITEN_H
#define S2S_TRAINER_WHITEN_H
#include "segmenter.h"
#include "trainer.h"
#include "vector_whitening.h"

/* Default cap: directions with more than 3 times the mean variance are
 * scaled down to it.  Chosen on the development sets (README, Search
 * quality): mean MAP of the three 0.520 with 3, 0.517 with 4, 0.515 with 2,
 * 0.506 with 6, 0.501 without. */
#define WHITEN_DEFAULT_CAP 3 /* a plain number, so that --help spells it */

/* Loads the model at model_path, embeds the windows of the num_files files
 * (cut by windows, as the index cuts them; num_threads threads), fits the
 * capped map on the projection's outputs and writes the model with the map
 * folded in (and recorded: autoencoder_set_whitening) to out_path.
 *
 * A model whitened already has that whitening undone first, so the new one
 * replaces it: whitening twice on the same audio gives the same vectors (a
 * second map fitted on top would flatten the space further, as the cap is
 * relative to the mean variance, which the first lowered).
 *
 * A file that cannot be read goes to cb->file_failed and is skipped.  Fills
 * *report and *num_windows.  Returns 0, or -1 with err (no model, too
 * little speech, cannot write). */
int trainer_whiten(const char *model_path, const char *const *files, int num_files,
                   const segmenter_options *windows, double cap, int num_threads,
                   const char *out_path, const trainer_callbacks *cb, whitening_report *report,
                   long *num_windows, char *err, int err_len);
#endif
