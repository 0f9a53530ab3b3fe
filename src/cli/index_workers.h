/* The pool of worker threads that turns recordings into stored vectors, used
 * by `s2s index` (add recordings) and `s2s reindex` (re-embed the index's
 * recordings with another model). Each worker takes the next path, checks it
 * against the index, computes its frames, embeds its windows and stores them
 * in one transaction (with the transcript of the same frames when the
 * model has a CTC head); the index is touched under one mutex (SQLite has one
 * writer anyway). Failures are named on stderr, one line each; progress
 * (files, audio hours, speed) is shown on a terminal. */
#ifndef S2S_INDEX_WORKERS_H
#define S2S_INDEX_WORKERS_H
#include "index_session.h"
#include "segmenter.h"
#include "transcriber.h"

typedef enum {
    /* A new or changed file is (re)indexed, an unchanged one with vectors
     * of the session's model skipped. */
    INDEX_WORKERS_ADD,
    /* The paths are the index's own: a recording that already has vectors
     * of the session's model is skipped (so an interrupted run resumes); one
     * whose file is missing or changed since indexing is named and counted
     * as failed; the others get vectors of the session's model beside those
     * of the other models. */
    INDEX_WORKERS_REEMBED,
} index_workers_mode;

typedef struct {
    /* in */
    index_session *session;          /* the index and the model whose vectors are written */
    segmenter_options segmenter;
    index_workers_mode mode;
    char *const *paths;
    int num_paths;
    int num_jobs;                    /* threads, >= 1 */
    transcribe_options transcripts;  /* with a CTC head: how the stored transcripts
                                        are decoded; beam_width 0: none stored */
    const char *verb;                /* for progress, e.g. "indexed" */
    /* out */
    int num_embedded, num_skipped, num_failed;
    double audio_s;                  /* audio embedded (skipped files not counted) */
    long num_segments;
    double elapsed_s;
} index_workers;

/* Runs the pool over w->paths and fills the counts. Prints each file's
 * failure on stderr and the progress line on a terminal (this is CLI code).
 * Returns 0, or -1 when the threads could not be started (nothing done). */
int index_workers_run(index_workers *w);

/* The summary note of a finished run: "<done> <N> <what> (... min of audio,
 * ... segments) in ... s, ...x real time; <N> <skipped>, <N> failed", e.g.
 * done "indexed", what "files", skipped "unchanged". */
void index_workers_summary(const index_workers *w, const char *done, const char *what,
                           const char *skipped);

/* Parses "30,50,70,100" into ascending window lengths (frames) in options;
 * returns 0, or -1 when the text is not such a list. */
int index_workers_parse_windows(const char *text, segmenter_options *options);
#endif
