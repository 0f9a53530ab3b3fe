/* Decoding CTC outputs into label sequences: greedy (best class per frame,
 * repeats merged, blanks dropped) and prefix beam search (Hannun et al.,
 * 2014; optionally a lexicon and a character language model), which sums
 * the probability of every alignment of a prefix instead of following the
 * single best path.
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

typedef struct ctc_lexicon ctc_lexicon;
typedef struct char_lm char_lm;

typedef struct {
    int beam_width; /* prefixes kept (1 behaves like a greedy search over prefixes) */
    float prune;    /* classes below -prune at a frame (e.g. 10) are not tried
                       there: they cannot change the result at the precision
                       that matters, and skipping them keeps the search fast */
    const ctc_lexicon *lexicon; /* NULL, or the only words a prefix may hold */
    int separator;              /* with a lexicon or a language model: the label
                                   between words */
    const char_lm *lm; /* NULL, or a character model (char_lm.h) over the
                          same labels: a prefix then scores its CTC
                          log-probability + lm_weight * its model
                          log-probability + label_bonus per label */
    float lm_weight;
    float label_bonus; /* offsets the cost the model adds with each label */
} ctc_beam_options;

/* Prefix beam search.  With a lexicon, every word of a prefix is a word of
 * the lexicon and the result ends after a whole word (separators only
 * between words, none first).  With a language model, prefixes are ranked
 * by the combined score, the result's last word closed by a separator in the
 * model's eyes (its probability of ending there counts); *log_prob stays the
 * CTC log-probability alone.  Writes the best prefix's tokens into out
 * (room for T), its log-probability into *log_prob (may be NULL; -INFINITY
 * when, with a lexicon, no kept prefix ended after a whole word and the
 * best one was cut back to its last whole word), and returns the number of
 * tokens, or -1 when out of memory or beam_width < 1. */
int ctc_decode_beam(const float *log_probs, int T, int C, int blank, const ctc_beam_options *opt,
                    ctc_token *out, double *log_prob);

#endif
