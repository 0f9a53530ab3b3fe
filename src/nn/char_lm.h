/* A character n-gram language model over CTC labels, for the beam search
 * (ctc_decode.h): it knows which spellings a language uses ("ph" far more
 * than "f" before "onium"), so a head that spells by sound is pulled towards
 * the language's spelling without being held to a word list.
 *
 * The model is one stream of labels (text's word breaks are the separator
 * label, so a word's first letter is predicted after a separator and a
 * stretch of speech starts as if after one).  Probabilities are Witten-Bell
 * interpolated (Witten & Bell 1991; the smoothing SRILM's -wbdiscount
 * computes): the history's observed continuations against a back-off to the
 * next shorter history, down to uniform over the labels.  Counts live in
 * one open-addressing hash table keyed by the packed labels; nothing is
 * pruned.  Knows nothing of text or audio: labels are small integers. */
#ifndef S2S_NN_CHAR_LM_H
#define S2S_NN_CHAR_LM_H

enum { CHAR_LM_MAX_ORDER = 10 };

typedef struct char_lm char_lm;

/* An empty model of the given order (1..CHAR_LM_MAX_ORDER: one label
 * predicted from up to order-1 before it) over labels 0..num_labels-1
 * (num_labels <= 32); the stream starts after separator.  NULL when out of
 * memory or the sizes are out of range. */
char_lm *char_lm_new(int order, int num_labels, int separator);

void char_lm_free(char_lm *lm);

/* Appends labels[0..n) (each in 0..num_labels-1) to the training stream and
 * counts them.  Returns 0, or -1 when out of memory or a label is out of
 * range (nothing of that call is then guaranteed counted). */
int char_lm_add(char_lm *lm, const int *labels, int n);

/* Labels counted so far. */
long char_lm_num_labels_seen(const char_lm *lm);

/* Distinct label sequences (of lengths 1..order) counted so far. */
long char_lm_num_ngrams(const char_lm *lm);

int char_lm_order(const char_lm *lm);

/* Natural log of P(label | history), where history[0..n) are the labels
 * before it, oldest first (only the last order-1 are read; a history
 * shorter than that is read as if the separator stood before it, as at the
 * start of the stream).  Over all labels of the model the probabilities sum
 * to 1 for any history. */
double char_lm_log_prob(const char_lm *lm, const int *history, int n, int label);

#endif
