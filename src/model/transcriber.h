/* Transcription with the model's CTC head: a recording's speech, region by
 * region, through the encoder and the head, decoded into words with their
 * times. */
#ifndef S2S_MODEL_TRANSCRIBER_H
#define S2S_MODEL_TRANSCRIBER_H

#include "autoencoder.h"
#include "char_lm.h"
#include "ctc_lexicon.h"
#include "feature_pipeline.h"

enum { TRANSCRIPT_WORD_MAX = 64 };

typedef struct {
    char text[TRANSCRIPT_WORD_MAX]; /* letters and apostrophes (a longer word is cut) */
    double start_s, end_s;          /* from its first to its last character's emission */
} transcript_word;

/* Words in time order.  Free with transcript_free. */
typedef struct {
    transcript_word *words;
    int num_words;
} transcript;

/* How to decode the head's outputs: beam_width 1 without a lexicon or a
 * language model decodes greedily; otherwise a prefix beam search of that
 * width, held to the lexicon's words when there is one and weighing its
 * prefixes with the language model when there is one (ctc_decode.h). */
typedef struct {
    int beam_width;
    const ctc_lexicon *lexicon; /* may be NULL */
    const char_lm *lm;          /* may be NULL */
    float lm_weight, label_bonus;
} transcribe_options;

/* Transcribes frames (normalised model frames with their log energies, as
 * the index computes them), decoded as opt says.  Speech is found with the VAD and
 * decoded region by region (a region longer than the head was trained on is
 * cut at its quietest frame near the limit).  Returns 0 (no speech: 0
 * words), or -1 with err when the model has no CTC head or memory ran
 * out. */
int transcribe_frames(const autoencoder *model, const feature_matrix *frames,
                      const transcribe_options *opt, transcript *out, char *err, int err_len);

/* Called by transcribe_frames_each with each stretch of frames it decodes:
 * num_frames frames from start_frame, num_classes log-probabilities each
 * (valid during the call). Returns 0, or -1 to stop (out of memory). */
typedef int (*transcribe_chunk_fn)(void *user, long start_frame, const float *log_probs,
                                   int num_frames, int num_classes);

/* transcribe_frames, also handing each chunk's frame log-probabilities to
 * on_chunk (may be NULL), e.g. to store them (posteriorgram.h). */
int transcribe_frames_each(const autoencoder *model, const feature_matrix *frames,
                           const transcribe_options *opt, transcript *out, transcribe_chunk_fn on_chunk, void *user, char *err,
                           int err_len);

/* The words joined by single spaces into out (cut to out_len - 1 bytes);
 * returns the full length. */
size_t transcript_text(const transcript *t, char *out, size_t out_len);

void transcript_free(transcript *t);

#endif
