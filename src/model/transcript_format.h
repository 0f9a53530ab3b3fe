/* The text form of a transcript as the index stores it (recordings.transcript,
 * see index_store.h): one word a line, "start<TAB>end<TAB>word\n", times in
 * seconds with two decimals (the frame shift is 10 ms), words in time order.
 * A recording transcribed without any word is the empty string, which is not
 * the same as no transcript (NULL in the index).
 *
 * The format is line-based and plain so that `sqlite3 s2s.db "select
 * transcript ..."` is readable, it costs ~20 bytes a word (a few KB per
 * minute of speech, nothing beside the vectors' ~250 KB), and a word can
 * never hold a tab or a newline (the CTC head writes letters and apostrophes
 * only). */
#ifndef S2S_MODEL_TRANSCRIPT_FORMAT_H
#define S2S_MODEL_TRANSCRIPT_FORMAT_H

#include "transcriber.h"

/* Formats t into a new NUL-terminated string (free() it); NULL when out of
 * memory. */
char *transcript_format(const transcript *t);

/* Parses text (the format above) into *out (free with transcript_free).
 * Lines must have three fields, times must be numbers with start <= end, and
 * a word must be non-empty and shorter than TRANSCRIPT_WORD_MAX; the last
 * line's newline may be missing. Returns 0, or -1 with err naming the first
 * bad line (out is then empty). */
int transcript_parse(const char *text, transcript *out, char *err, int err_len);

#endif
