/* Training data without labels for the correspondence objective: the words
 * the model's CTC head heard in two or more of the user's recordings
 * (repeated_words.h), each occurrence a segment of that word twice (as
 * heard, and in the index's shortest window around it), each recording
 * its own speaker, so that trainer_run's correspondence variant rebuilds
 * each occurrence from another recording's.
 *
 * Why: the head spells a word alike whoever says it, so these pairs are
 * mostly by two voices and almost all right, where pairs mined from the
 * vectors (trainer_mined.h) are mostly one voice twice, which teaches no
 * invariance (measured: README, Retraining). */
#ifndef S2S_TRAINER_HEARD_H
#define S2S_TRAINER_HEARD_H
#include "repeated_words.h"
#include "trainer.h"
#include "transcriber.h"

/* Loads the training segments of the words heard in two or more of the
 * num_files files (and, with words->num_searched, in one of the first
 * num_searched: the index's recordings, before audio added for training).
 * transcripts[i] is files[i]'s transcript in the index's text form
 * (transcript_format.h), or NULL (as is every one when transcripts is
 * NULL): then files[i] is transcribed now with the model at model_path,
 * decoded as decode says (a file without speech has no words).  A file that cannot be read, or a stored
 * transcript that does not parse, goes to cb->file_failed and is left out.
 * *num_words gets the distinct words kept, *num_heard their occurrences
 * (the data holds twice as many segments).
 * With words_out, those occurrences (as heard) are also written there as a word-time
 * file (file<TAB>start<TAB>end<TAB>word, what --words reads), to look at
 * or to train on again.  Returns NULL with err when no word is heard in two recordings, or on
 * failure.  Memory: the transcripts, then the segments' frames. */
trainer_data *trainer_data_load_heard(const trainer_options *opts, const char *model_path,
                                      const char *const *files,
                                      const char *const *transcripts, int num_files,
                                      const transcribe_options *decode,
                                      const repeated_word_options *words,
                                      const char *words_out, const trainer_callbacks *cb,
                                      int *num_words, long *num_heard, char *err, int err_len);
#endif
