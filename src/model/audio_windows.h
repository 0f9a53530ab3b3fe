/* The windows of audio files as the index cuts and embeds them, file by
 * file: what the label-free retraining steps (mined pairs, whitening) read
 * from a user's recordings. */
#ifndef S2S_AUDIO_WINDOWS_H
#define S2S_AUDIO_WINDOWS_H
#include "autoencoder.h"
#include "recording_embedder.h"
#include "segmenter.h"
#include "trainer.h"

/* Called once per readable file, in order: file is its index in the list,
 * frames its unnormalised features (the visitor may keep them: it then
 * copies the struct and zeroes *frames), segs its windows and their
 * vectors.  Returns 0, or -1 with err to stop. */
typedef int (*audio_window_visitor)(void *ctx, int file, feature_matrix *frames,
                                    const embedded_segments *segs, char *err, int err_len);

/* Computes each of the num_files files' features with model's settings,
 * cuts its speech into windows and embeds them (num_threads threads; with
 * unnormalised, the projection's output before normalisation:
 * embedder_state_set_unnormalised), and hands them to visit.  A file that
 * cannot be read goes to cb->file_failed and is skipped.  *audio_minutes
 * gets the minutes of audio read.  Returns the files visited, or -1 with
 * err (out of memory, or the visitor's error). */
int audio_windows_visit(const autoencoder *model, const char *const *files, int num_files,
                        const segmenter_options *windows, int num_threads, int unnormalised,
                        audio_window_visitor visit, void *ctx, const trainer_callbacks *cb,
                        double *audio_minutes, char *err, int err_len);
#endif
