/* The re-embedding step shared by `s2s reindex` and `s2s train --reindex`. */
#ifndef S2S_CMD_REINDEX_H
#define S2S_CMD_REINDEX_H
#include "segmenter.h"

/* Re-embeds every recording of the index at db_path with the model at
 * model_path (num_jobs threads, windows cut by segmenter), then makes that
 * model the active one and drops the other models' vectors in one
 * transaction. Prints progress, each failure and a summary on stderr.
 * Returns an exit status: EXIT_OK, or EXIT_SOME_FAILED (model refused,
 * recordings moved or changed: then the old model stays active). */
int reindex_run(const char *db_path, const char *model_path, int num_jobs,
                const segmenter_options *segmenter);
#endif
