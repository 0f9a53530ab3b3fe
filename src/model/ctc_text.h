/* The characters the CTC head writes, and the mapping between text and
 * label sequences.
 *
 * Classes: 0 blank, 1 space, 2 apostrophe, 3..28 the letters a..z.  Text is
 * normalised before training and before text queries the same way: letters
 * lower-cased, digits spelt out one by one ("42" -> "four two"), every other
 * character (punctuation, symbols, letters outside a-z) a word break, runs of
 * breaks one space, no space at either end. */
#ifndef S2S_MODEL_CTC_TEXT_H
#define S2S_MODEL_CTC_TEXT_H

#include "char_lm.h"
#include "ctc_lexicon.h"

enum {
    CTC_BLANK = 0,
    CTC_SPACE = 1,
    CTC_APOSTROPHE = 2,
    CTC_FIRST_LETTER = 3,
    CTC_NUM_CLASSES = 29,
};

/* Normalises text into labels (room for max_labels); returns the number of
 * labels, or -1 when they do not fit.  An empty or all-symbol text gives 0. */
int ctc_text_to_labels(const char *text, int *labels, int max_labels);

/* Writes the text of labels (each 1..28) into out (room for out_len bytes,
 * NUL-terminated, cut short when too long); returns its length. */
int ctc_labels_to_text(const int *labels, int num_labels, char *out, int out_len);

/* Character of one non-blank class. */
char ctc_class_char(int label);

/* A lexicon (ctc_lexicon.h) of the words of a text file, one or more a
 * line, normalised as above (so "Aaron's" is aaron's and "e-mail" gives e
 * and mail); e.g. /usr/share/dict/words.  A line with a byte outside ASCII
 * ("Ångström") is skipped: the head cannot spell it.  NULL with err (not
 * naming the file) when it cannot be read, holds no word, or memory ran
 * out.  A line longer than 1023 bytes is read as several. */
ctc_lexicon *ctc_text_load_lexicon(const char *path, char *err, int err_len);

/* A character language model (char_lm.h) of the given order counted on the
 * text of a file, normalised as above, its lines joined by word breaks
 * (running text or a word list alike); lines with a byte outside ASCII are
 * skipped, as for a lexicon.  NULL with err (not naming the file) when it
 * cannot be read, holds no letter, or memory ran out. */
char_lm *ctc_text_load_char_lm(const char *path, int order, char *err, int err_len);

#endif
