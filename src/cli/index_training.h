/* The audio an index offers for training (`s2s train --db`): its
 * recordings whose files are unchanged since indexing, with the transcript
 * stored for each, then any audio named on the command line. */
#ifndef S2S_CLI_INDEX_TRAINING_H
#define S2S_CLI_INDEX_TRAINING_H
#include "path_list.h"

typedef struct {
    path_list files;      /* the recordings, then the audio named */
    char **transcripts;   /* (files.num) each file's stored transcript (index text form),
                             NULL when it has none: audio named, or indexed without */
    int num_recordings;   /* the first num_recordings files are the index's */
    int num_skipped;      /* recordings left out: moved or changed (each named on stderr) */
    char *active_model;   /* the path recorded for the index's active model */
} index_training;

/* Fills out (zeroed first) from the index at db_path and the num_audio
 * paths of audio.  Returns 0, or -1 after naming the problem on stderr
 * (out is then empty): the index cannot be read or is empty, or memory ran
 * out.  Free with index_training_free. */
int index_training_load(const char *db_path, const char *const *audio, int num_audio,
                        index_training *out);
void index_training_free(index_training *t);
#endif
