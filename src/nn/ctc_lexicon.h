/* A word list as a trie over CTC labels.  Beam search uses it to keep only
 * prefixes whose words are in the list (ctc_decode.h): a model that spells
 * by sound ("delfinium") is pulled to the word that was said when the
 * acoustics allow it, which is how a lexicon helps any CTC recogniser. */
#ifndef S2S_NN_CTC_LEXICON_H
#define S2S_NN_CTC_LEXICON_H

typedef struct ctc_lexicon ctc_lexicon;

/* The node of the empty word; every word starts there. */
enum { CTC_LEXICON_ROOT = 0 };

/* An empty lexicon, or NULL when out of memory. */
ctc_lexicon *ctc_lexicon_new(void);

void ctc_lexicon_free(ctc_lexicon *lexicon);

/* Adds the word spelt by labels[0..n) (n >= 1; labels >= 0, no word
 * separator among them).  Returns 0, or -1 when out of memory or n < 1.
 * Adding a word twice changes nothing. */
int ctc_lexicon_add(ctc_lexicon *lexicon, const int *labels, int n);

/* The node reached from node by label, or -1 when no word goes on that way. */
int ctc_lexicon_next(const ctc_lexicon *lexicon, int node, int label);

/* Whether the labels leading to node spell a whole word. */
int ctc_lexicon_is_word(const ctc_lexicon *lexicon, int node);

/* Number of distinct words. */
long ctc_lexicon_num_words(const ctc_lexicon *lexicon);

#endif
