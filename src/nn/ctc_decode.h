/* Decoding CTC outputs into label sequences: greedy (best class per frame,
 * repeats merged, blanks dropped) and prefix beam search (Hannun et al.,
 * 2014, without a language model), which sums the probability of every
 * alignment of a prefix instead of following the single best path.
 *
 * Each emitted label comes with the frame where its emission starts, so that
 * callers can place words in time. */
#ifndef S2S_NN_CTC_DECODE_H
#define S2S_NN_CTC_DECODE_H

typedef struct {
    int label; /* class, never blank */
    int frame; /* first frame of its emission */
} ctc_token;

/* Greedy decoding of T frames of C log-probabilities (frame t at
 * log_probs + t * C).  Writes the tokens into out (room for T) and returns
 * how many. */
int ctc_decode_greedy(const float *log_probs, int T, int C, int blank, ctc_token *out);

/* Prefix beam search keeping beam_width prefixes (1 behaves like a greedy
 * search over prefixes).  Classes whose log-probability at a frame is below
 * -prune (e.g. 10) are not tried there: they cannot change the result at
 * the precision that matters and keep the search fast.  Writes the best
 * prefix's tokens into out (room for T), its log-probability into *log_prob
 * (may be NULL), and returns the number of tokens, or -1 when out of
 * memory or beam_width < 1. */
int ctc_decode_beam(const float *log_probs, int T, int C, int blank, int beam_width, float prune,
                    ctc_token *out, double *log_prob);

#endif
