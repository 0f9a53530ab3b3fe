/* s2s index: adds recordings to the index. Each file is decoded, turned into
 * frames, its speech cut into windows, the windows encoded and stored in one
 * transaction. Files are processed by --jobs worker threads; writes to the
 * index are serialised by a mutex (SQLite has one writer anyway). */
#include "cli.h"
#include "file_identity.h"
#include "index_session.h"
#include "recording_embedder.h"

#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* OpenBLAS's own threads only spin against the worker threads here: each
 * worker's matrix products are small, so one BLAS thread per worker. */
void openblas_set_num_threads(int num_threads);

static const char *const help =
    "usage: s2s index [OPTIONS] AUDIO...\n"
    "       s2s index [OPTIONS] --list FILE\n"
    "\n"
    "Adds recordings to the index: finds their speech, cuts it into windows of\n"
    "0.3, 0.5, 0.7 and 1.0 s every 0.1 s, and stores a vector for each window.\n"
    "An unchanged file already indexed is skipped; a changed one is re-indexed.\n"
    "\n"
    "options:\n"
    "  --db FILE       the index (default: s2s.db)\n"
    "  --model FILE    the model (default: $S2S_MODEL or the shipped model)\n"
    "  --list FILE     read the paths from FILE, one a line ('-': stdin)\n"
    "  -j, --jobs N    files processed in parallel (default: number of cores)\n"
    "  --float         store vectors as float32 (default: int8 with a scale, 4x smaller)\n"
    "  --hop N         frames (10 ms) between window starts (default: 10)\n"
    "  --windows LIST  window lengths in frames, ascending, comma-separated\n"
    "                  (default: 30,50,70,100)\n"
    "  -q, --quiet     no progress on stderr\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0 all files indexed, 1 some failed (each named on stderr, the others\n"
    "indexed), 2 bad usage.\n";

typedef struct {
    const char *db_path, *model_path, *list_path;
    int num_jobs, store_float;
    segmenter_options segmenter;
} index_args;

/* The work shared by the worker threads. */
typedef struct {
    index_session session;
    segmenter_options segmenter;
    char **paths;
    int num_paths;
    int next;                /* next path to take */
    int num_failed, num_indexed, num_skipped;
    double audio_s;
    long num_segments;
    double start_time;
    pthread_mutex_t lock;    /* guards everything above and the index */
} index_job;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Progress line on a terminal: files, audio hours, speed. Called under lock. */
static void show_progress(const index_job *job) {
    if (cli_quiet || !isatty(STDERR_FILENO)) return;
    double elapsed = now_s() - job->start_time;
    int done = job->num_indexed + job->num_skipped + job->num_failed;
    fprintf(stderr, "\r[%d/%d files] %.2f h of audio, %.0fx real time, %d failed   ", done,
            job->num_paths, job->audio_s / 3600.0, elapsed > 0 ? job->audio_s / elapsed : 0.0,
            job->num_failed);
}

/* Indexes one file; returns 0, 1 when skipped as unchanged, -1 on failure
 * (already reported). */
static int index_one(index_job *job, embedder_state *embedder, const char *path) {
    char err[CLI_ERR_LEN];
    file_identity id;
    if (file_identity_stat(path, &id, err, sizeof err) != 0 ||
        file_identity_hash(&id, err, sizeof err) != 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    pthread_mutex_lock(&job->lock);
    int status = index_recording_status(job->session.db, id.path, id.size_bytes, id.mtime_ns,
                                        id.hash, job->session.model_id, err, sizeof err);
    pthread_mutex_unlock(&job->lock);
    if (status < 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    if (status == INDEX_RECORDING_UNCHANGED) return 1;

    const autoencoder *model = job->session.model;
    feature_matrix frames;
    if (features_compute(path, autoencoder_feature_options(model), autoencoder_feature_stats(model),
                         &frames, err, sizeof err) != 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    embedded_segments segments;
    int rc = embed_recording(embedder, &frames, &segments, err, sizeof err);
    if (rc != 0) {
        cli_error(path, "%s", err);
        features_free(&frames);
        return -1;
    }
    index_recording rec = {
        .path = id.path,
        .size_bytes = id.size_bytes,
        .mtime_ns = id.mtime_ns,
        .content_hash = id.hash,
        .duration_s = frames.duration_s,
        .sample_rate_hz = frames.source_rate_hz,
    };
    pthread_mutex_lock(&job->lock);
    rc = index_put_recording(job->session.db, &rec, job->session.model_id, segments.spans_s,
                             segments.vectors, (int)segments.num_segments, err, sizeof err);
    if (rc == 0) {
        job->audio_s += frames.duration_s;
        job->num_segments += segments.num_segments;
    }
    pthread_mutex_unlock(&job->lock);
    if (rc != 0) cli_error(path, "%s", err);
    features_free(&frames);
    embedded_segments_free(&segments);
    return rc;
}

static void *worker(void *arg) {
    index_job *job = arg;
    embedder_state *embedder = embedder_state_new(job->session.model, &job->segmenter);
    for (;;) {
        pthread_mutex_lock(&job->lock);
        int i = job->next < job->num_paths ? job->next++ : -1;
        pthread_mutex_unlock(&job->lock);
        if (i < 0) break;
        int rc = embedder ? index_one(job, embedder, job->paths[i]) : -1;
        if (!embedder) cli_error(job->paths[i], "out of memory");
        pthread_mutex_lock(&job->lock);
        if (rc == 0) job->num_indexed++;
        else if (rc == 1) job->num_skipped++;
        else job->num_failed++;
        show_progress(job);
        pthread_mutex_unlock(&job->lock);
    }
    embedder_state_free(embedder);
    return NULL;
}

/* Parses "30,50,70,100" into ascending window lengths; 0 or -1. */
static int parse_windows(const char *text, segmenter_options *options) {
    char *end;
    int num = 0;
    for (const char *p = text; *p; p = *end == ',' ? end + 1 : end) {
        long v = strtol(p, &end, 10);
        if (end == p || v < 2 || v > 1000 || num == SEGMENTER_MAX_LENGTHS ||
            (num > 0 && v <= options->length_frames[num - 1]) || (*end && *end != ','))
            return -1;
        options->length_frames[num++] = (int)v;
    }
    options->num_lengths = num;
    return num > 0 ? 0 : -1;
}

/* Reads paths from a list file (or stdin for "-"), one a line. */
static char **read_list(const char *list_path, int *num_paths) {
    FILE *f = strcmp(list_path, "-") ? fopen(list_path, "r") : stdin;
    if (!f) return NULL;
    char **paths = NULL;
    int num = 0, cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0) continue;
        if (num == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(paths, sizeof *paths * cap);
            if (!grown) break;
            paths = grown;
        }
        paths[num++] = strdup(line);
    }
    free(line);
    if (f != stdin) fclose(f);
    *num_paths = num;
    return paths ? paths : calloc(1, sizeof *paths);
}

int cmd_index(int argc, char **argv) {
    static const struct option options[] = {
        {"db", required_argument, 0, 'd'},   {"model", required_argument, 0, 'm'},
        {"list", required_argument, 0, 'l'}, {"jobs", required_argument, 0, 'j'},
        {"float", no_argument, 0, 'f'},      {"quiet", no_argument, 0, 'q'},
        {"hop", required_argument, 0, 'H'},  {"windows", required_argument, 0, 'W'},
        {"help", no_argument, 0, 'h'},       {0, 0, 0, 0},
    };
    index_args args = {.db_path = "s2s.db", .num_jobs = (int)sysconf(_SC_NPROCESSORS_ONLN),
                       .segmenter = segmenter_defaults()};
    long value;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "j:qh", options, NULL)) != -1) {
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
        case 'W':
            if (parse_windows(optarg, &args.segmenter) != 0)
                return cli_usage_error("index", "--windows wants ascending frame counts like 30,50,70,100");
            break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_usage_error("index", "unknown option '%s'", argv[optind - 1]);
        }
    }
    index_job job = {.segmenter = args.segmenter};
    int owns_paths = 0;
    if (args.list_path) {
        job.paths = read_list(args.list_path, &job.num_paths);
        if (!job.paths) {
            cli_error(args.list_path, "cannot read the list");
            return EXIT_SOME_FAILED;
        }
        owns_paths = 1;
    } else {
        job.paths = argv + optind;
        job.num_paths = argc - optind;
    }
    if (job.num_paths == 0 && !args.list_path) return cli_usage_error("index", "no audio file given");

    char err[CLI_ERR_LEN];
    int status = EXIT_OK;
    if (index_session_open(&job.session, args.db_path, args.model_path, 1, err, sizeof err) != 0) {
        cli_error(NULL, "%s", err);
        status = EXIT_SOME_FAILED;
        goto cleanup;
    }
    if (args.store_float &&
        index_set_vector_format(job.session.db, INDEX_VECTORS_FLOAT32, err, sizeof err) != 0) {
        cli_error(args.db_path, "%s", err);
        status = EXIT_SOME_FAILED;
        goto cleanup;
    }
    openblas_set_num_threads(1);
    pthread_mutex_init(&job.lock, NULL);
    job.start_time = now_s();
    int num_threads = args.num_jobs < job.num_paths ? args.num_jobs : job.num_paths;
    pthread_t *threads = calloc(num_threads > 0 ? num_threads : 1, sizeof *threads);
    for (int t = 0; t < num_threads; t++) pthread_create(&threads[t], NULL, worker, &job);
    for (int t = 0; t < num_threads; t++) pthread_join(threads[t], NULL);
    free(threads);
    pthread_mutex_destroy(&job.lock);
    double elapsed = now_s() - job.start_time;
    if (!cli_quiet && isatty(STDERR_FILENO)) fputc('\n', stderr);
    cli_note("indexed %d files (%.1f min of audio, %ld segments) in %.1f s, %.0fx real time; "
             "%d unchanged, %d failed\n",
             job.num_indexed, job.audio_s / 60.0, job.num_segments, elapsed,
             elapsed > 0 ? job.audio_s / elapsed : 0.0, job.num_skipped, job.num_failed);
    if (job.num_failed) status = EXIT_SOME_FAILED;
cleanup:
    index_session_close(&job.session);
    if (owns_paths) {
        for (int i = 0; i < job.num_paths; i++) free(job.paths[i]);
        free(job.paths);
    }
    return status;
}
