/* s2s index: adds recordings to the index. Each file is decoded, turned into
 * frames, its speech cut into windows, the windows encoded and stored in one
 * transaction. Files are processed by --jobs worker threads (index_workers.c,
 * shared with s2s reindex); writes to the index are serialised by a mutex
 * (SQLite has one writer anyway). */
#include "cli.h"
#include "index_session.h"
#include "index_workers.h"
#include "path_list.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const help =
    "usage: s2s index [OPTIONS] AUDIO...\n"
    "       s2s index [OPTIONS] --list FILE\n"
    "\n"
    "Adds recordings to the index: finds their speech, cuts it into windows of\n"
    "0.3, 0.5, 0.7, 1.0 and 1.4 s every 0.15 s and windows between pauses, and\n"
    "stores a vector for each window. When the model has a CTC head, the words it\n"
    "hears are stored too (s2s query shows them around each hit; query --text).\n"
    "An unchanged file already indexed is skipped; a changed one is re-indexed.\n"
    "\n"
    "options:\n"
    "  --db FILE       the index (default: s2s.db)\n"
    "  --model FILE    the model (default: $S2S_MODEL or the shipped model)\n"
    "  --list FILE     read the paths from FILE, one a line ('-': stdin)\n"
    "  -j, --jobs N    files processed in parallel (default: number of cores)\n"
    "  --float         store vectors as float32 (default: int8 with a scale, 4x smaller)\n"
    "  --hop N         frames (10 ms) between window starts (default: 15)\n"
    "  --windows LIST  window lengths in frames, ascending, comma-separated\n"
    "                  (default: 30,50,70,100,140)\n"
    "  --pause N       also cut windows that start where speech resumes after a\n"
    "                  pause of N frames or more and end where it stops before\n"
    "                  one; 0: fixed windows only (default: 5)\n"
    "  --no-transcripts  store no transcripts, even with a CTC head (faster)\n"
    "With a CTC head, the stored transcripts are decoded as s2s transcribe decodes:\n"
    CLI_DECODE_HELP
    "  -q, --quiet     no progress on stderr\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0 all files indexed, 1 some failed (each named on stderr, the others\n"
    "indexed), 2 bad usage.\n";

typedef struct {
    const char *db_path, *model_path, *list_path;
    int num_jobs, store_float, no_transcripts;
    cli_decode_request decode;
    segmenter_options segmenter;
} index_args;

int cmd_index(int argc, char **argv) {
    static const struct option options[] = {
        {"db", required_argument, 0, 'd'},   {"model", required_argument, 0, 'm'},
        {"list", required_argument, 0, 'l'}, {"jobs", required_argument, 0, 'j'},
        {"float", no_argument, 0, 'f'},      {"quiet", no_argument, 0, 'q'},
        {"hop", required_argument, 0, 'H'},  {"windows", required_argument, 0, 'W'},
        {"pause", required_argument, 0, 'P'}, {"no-transcripts", no_argument, 0, 'N'},
        {"help", no_argument, 0, 'h'},       CLI_DECODE_OPTIONS,
        {0, 0, 0, 0},
    };
    index_args args = {.db_path = "s2s.db", .num_jobs = (int)sysconf(_SC_NPROCESSORS_ONLN),
                       .segmenter = segmenter_defaults()};
    long value;
    int c, taken;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "j:qh", options, NULL)) != -1) {
        if ((taken = cli_decode_option("index", c, optarg, &args.decode)) != 0) {
            if (taken < 0) return EXIT_USAGE;
            continue;
        }
        switch (c) {
        case 'd': args.db_path = optarg; break;
        case 'm': args.model_path = optarg; break;
        case 'l': args.list_path = optarg; break;
        case 'j':
            if (cli_parse_int("index", "--jobs", optarg, 1, 256, &value) != 0) return EXIT_USAGE;
            args.num_jobs = (int)value;
            break;
        case 'f': args.store_float = 1; break;
        case 'H':
            if (cli_parse_int("index", "--hop", optarg, 1, 1000, &value) != 0) return EXIT_USAGE;
            args.segmenter.hop_frames = (int)value;
            break;
        case 'P':
            if (cli_parse_int("index", "--pause", optarg, 0, 1000, &value) != 0) return EXIT_USAGE;
            args.segmenter.min_pause_frames = (int)value;
            break;
        case 'N': args.no_transcripts = 1; break;
        case 'W':
            if (index_workers_parse_windows(optarg, &args.segmenter) != 0)
                return cli_usage_error("index", "--windows wants ascending frame counts like 30,50,70,100");
            break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_usage_error("index", "unknown option '%s'", argv[optind - 1]);
        }
    }
    index_session session;
    index_workers job = {.session = &session, .segmenter = args.segmenter,
                         .mode = INDEX_WORKERS_ADD, .num_jobs = args.num_jobs,
                         .verb = "indexed"};
    memset(&session, 0, sizeof session);
    path_list listed = {0};
    if (args.list_path) {
        if (path_list_read(&listed, args.list_path) != 0) {
            cli_error(args.list_path, "cannot read the list: %s", strerror(errno));
            path_list_free(&listed);
            return EXIT_SOME_FAILED;
        }
        job.paths = listed.paths;
        job.num_paths = listed.num;
    } else {
        job.paths = argv + optind;
        job.num_paths = argc - optind;
    }
    if (job.num_paths == 0 && !args.list_path) return cli_usage_error("index", "no audio file given");

    char err[CLI_ERR_LEN];
    int status = EXIT_OK;
    // the decoding's files are checked before the index is touched, so that
    // a bad one leaves no index behind
    args.decode.model_path = args.model_path ? args.model_path : cli_default_model_path();
    if (!args.no_transcripts && cli_decode_options(&args.decode, &job.transcripts) != 0) {
        status = EXIT_SOME_FAILED;
        goto cleanup;
    }
    if (index_session_open(&session, args.db_path, args.model_path, 1, err, sizeof err) != 0) {
        cli_error(NULL, "%s", err);
        status = EXIT_SOME_FAILED;
        goto cleanup;
    }
    if (args.store_float &&
        index_set_vector_format(session.db, INDEX_VECTORS_FLOAT32, err, sizeof err) != 0) {
        cli_error(args.db_path, "%s", err);
        status = EXIT_SOME_FAILED;
        goto cleanup;
    }
    if (index_workers_run(&job) != 0) {
        cli_error(NULL, "cannot start the worker threads");
        status = EXIT_SOME_FAILED;
        goto cleanup;
    }
    index_workers_summary(&job, "indexed", "files", "unchanged");
    if (job.num_failed) status = EXIT_SOME_FAILED;
cleanup:
    index_session_close(&session);
    cli_decode_free(&job.transcripts);
    path_list_free(&listed);
    return status;
}
