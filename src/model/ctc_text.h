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

#endif
