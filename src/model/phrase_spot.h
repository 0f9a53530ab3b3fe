/* Keyword spotting of a written phrase in CTC frame posteriors: how likely
 * the phrase's characters are over a stretch of frames, compared with what
 * the head likes best there.
 *
 * For labels l1..lL (ctc_text.h; blanks may come between and around them,
 * repeats need a blank between, as in CTC) and a chunk of T frames of log-
 * probabilities, the spotting score of a span [s, e] is
 *
 *     max over CTC alignments of l1..lL to frames s..e of sum log p
 *       - sum over frames s..e of max_c log p(c)                    (<= 0)
 *
 * (0: the phrase is the best path there). One Viterbi pass per chunk gives,
 * for each end frame e, the best start s. A phrase is scored by this rather
 * than by its 1-best transcript because the posteriors keep the characters
 * the head found likely but not likeliest (README: Text queries). */
#ifndef S2S_MODEL_PHRASE_SPOT_H
#define S2S_MODEL_PHRASE_SPOT_H

typedef struct {
    int start_frame, end_frame; /* inclusive, within the chunk */
    double log_ratio;           /* the score above, <= 0 */
} phrase_spot_span;

/* Scratch for one phrase: L labels, 2L + 1 Viterbi states. */
typedef struct {
    int num_labels;
    const int *labels;
    float *score, *next;        /* halves of score_buffer, swapped every frame */
    int *start, *next_start;    /* two quarters of start_buffer */
    int *state_class;           /* third quarter: class of each state */
    int *state_skip;            /* last quarter: may be entered from two back */
    float *score_buffer;
    int *start_buffer;
} phrase_spotter;

/* Prepares to spot labels (num_labels >= 1, kept by reference). Returns 0,
 * or -1 when out of memory. */
int phrase_spotter_init(phrase_spotter *s, const int *labels, int num_labels);
void phrase_spotter_free(phrase_spotter *s);

/* Subtracts from each of T frames of C log-probabilities its largest, in
 * place: what phrase_spot_chunk reads (done once for all phrases). */
void phrase_spot_normalise(float *log_probs, int T, int C);

/* For each frame e of a chunk (T frames of C log-probabilities, frame t at
 * log_probs + t * C, normalised by phrase_spot_normalise), the best span
 * ending at e: spans[e] (room for T); spans[e].log_ratio is -INFINITY when
 * no span can end there (fewer frames than labels need). */
void phrase_spot_chunk(phrase_spotter *s, const float *log_probs, int T, int C,
                       phrase_spot_span *spans);

/* Turns a log-ratio into a score in (0, 1]: exp(log_ratio / num_labels),
 * the per-character probability ratio. */
double phrase_spot_score(double log_ratio, int num_labels);
#endif
