/* s2s reindex: re-embeds every recording of an index with another model.
 * The new model is registered beside the active one; each recording gets
 * its vectors of the new model in its own transaction, next to the old
 * ones, so queries keep answering from the old model all along and a killed
 * run loses at most one recording; a rerun skips the recordings already
 * done. When every recording has vectors of the new model, one transaction
 * makes it active and drops the old vectors. */
#include "cmd_reindex.h"

#include "cli.h"
#include "index_session.h"
#include "index_workers.h"
#include "path_list.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const help =
    "usage: s2s reindex [OPTIONS] --model MODEL\n"
    "\n"
    "Re-embeds every recording of the index with MODEL (e.g. one retrained with\n"
    "'s2s train --db'). Queries keep using the index's current model until every\n"
    "recording has vectors of MODEL; then MODEL becomes the index's model and the\n"
    "old vectors are dropped, in one transaction. An interrupted run resumes where\n"
    "it stopped when rerun. MODEL must have the vector size and feature settings of\n"
    "the index's model. Recordings whose file moved or changed since indexing are\n"
    "named and skipped, and the switch waits until they are back (or removed with\n"
    "'s2s remove').\n"
    "\n"
    "options:\n"
    "  --db FILE       the index (default: s2s.db)\n"
    "  --model FILE    the new model (required)\n"
    "  -j, --jobs N    recordings processed in parallel (default: number of cores)\n"
    "  --hop N         frames (10 ms) between window starts (default: 15)\n"
    "  --windows LIST  window lengths in frames, ascending, comma-separated\n"
    "                  (default: 30,50,70,100,140)\n"
    "  -q, --quiet     no progress on stderr\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0 the index now uses MODEL, 1 MODEL refused or some recordings\n"
    "failed (each named on stderr; the old model stays active), 2 bad usage.\n";

/* The recordings to re-embed and their total duration. */
typedef struct {
    path_list paths;
    double duration_s;
} recording_list;

static int collect_recording(const index_recording *rec, void *user) {
    recording_list *l = user;
    if (!path_list_add(&l->paths, rec->path)) return -1;
    l->duration_s += rec->duration_s;
    return 0;
}

int reindex_run(const char *db_path, const char *model_path, int num_jobs,
                const segmenter_options *segmenter) {
    char err[CLI_ERR_LEN];
    index_session session;
    int64_t old_model_id = 0;
    recording_list list = {0};
    index_model old_model = {0};
    transcribe_options decode = {0}; /* none: no transcripts */
    int status = EXIT_SOME_FAILED;
    if (index_session_open_reembed(&session, db_path, model_path, &old_model_id, err, sizeof err) !=
        0) {
        cli_error(NULL, "%s", err);
        return EXIT_SOME_FAILED;
    }
    snprintf(err, sizeof err, "out of memory"); /* what a failed collect_recording means */
    if (index_get_model(session.db, old_model_id, &old_model, err, sizeof err) != 0 ||
        index_list_recordings(session.db, 0, collect_recording, &list, err, sizeof err) != 0) {
        cli_error(db_path, "%s", err);
        goto cleanup;
    }
    if (session.model_id != old_model_id)
        cli_note("re-embedding %d recordings (%.2f h) with %s; queries use %s until all are "
                 "done\n",
                 list.paths.num, list.duration_s / 3600.0, session.model_path, old_model.name);
    // transcripts decoded as s2s index does by default ($S2S_LEXICON, $S2S_LM,
    // the new model's own language model)
    const cli_decode_request defaults = {.model_path = session.model_path};
    if (autoencoder_ctc_classes(session.model) > 0 && cli_decode_options(&defaults, &decode) != 0)
        goto cleanup;
    index_workers job = {.session = &session, .segmenter = *segmenter,
                         .mode = INDEX_WORKERS_REEMBED, .paths = list.paths.paths,
                         .num_paths = list.paths.num, .num_jobs = num_jobs,
                         .transcripts = decode, .verb = "re-embedded"};
    if (index_workers_run(&job) != 0) {
        cli_error(NULL, "cannot start the worker threads");
        goto cleanup;
    }
    index_workers_summary(&job, "re-embedded", "recordings", "already done");
    int64_t num_missing = 0;
    if (index_activate_model_and_drop_others(session.db, session.model_id, &num_missing, err,
                                             sizeof err) != 0) {
        if (num_missing)
            cli_error(db_path,
                      "still using %s: %lld recordings have no vectors of %s; put their files "
                      "back or 's2s remove' them, then rerun 's2s reindex'",
                      old_model.name, (long long)num_missing, session.model_path);
        else
            cli_error(db_path, "%s", err);
        goto cleanup;
    }
    if (session.model_id != old_model_id)
        cli_note("the index now uses %s; the vectors of %s are dropped\n", session.model_path,
                 old_model.name);
    else
        cli_note("the index already uses %s\n", session.model_path);
    status = job.num_failed ? EXIT_SOME_FAILED : EXIT_OK;
cleanup:
    cli_decode_free(&decode);
    index_model_free(&old_model);
    path_list_free(&list.paths);
    index_session_close(&session);
    return status;
}

int cmd_reindex(int argc, char **argv) {
    static const struct option options[] = {
        {"db", required_argument, 0, 'd'},   {"model", required_argument, 0, 'm'},
        {"jobs", required_argument, 0, 'j'}, {"quiet", no_argument, 0, 'q'},
        {"hop", required_argument, 0, 'H'},  {"windows", required_argument, 0, 'W'},
        {"help", no_argument, 0, 'h'},       {0, 0, 0, 0},
    };
    const char *db_path = "s2s.db", *model_path = NULL;
    int num_jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    segmenter_options segmenter = segmenter_defaults();
    long value;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:qh", options, NULL)) != -1) {
        switch (c) {
        case 'd': db_path = optarg; break;
        case 'm': model_path = optarg; break;
        case 'j':
            if (cli_parse_int("reindex", "--jobs", optarg, 1, 256, &value) != 0) return EXIT_USAGE;
            num_jobs = (int)value;
            break;
        case 'H':
            if (cli_parse_int("reindex", "--hop", optarg, 1, 1000, &value) != 0) return EXIT_USAGE;
            segmenter.hop_frames = (int)value;
            break;
        case 'W':
            if (index_workers_parse_windows(optarg, &segmenter) != 0)
                return cli_usage_error("reindex", "--windows wants ascending frame counts like 30,50,70,100");
            break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_usage_error("reindex", "unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("reindex", "unexpected argument '%s'", argv[optind]);
    if (!model_path) return cli_usage_error("reindex", "--model MODEL is required");
    return reindex_run(db_path, model_path, num_jobs, &segmenter);
}
