/* s2s list, s2s stats, s2s remove: what the index holds, and taking
 * recordings out of it. */
#include "cli.h"
#include "index_store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Parses the common --db / --json / -q / --help options; returns -1 to go
 * on, or an exit status. */
static int check_flag;

static int parse_common(const char *command, const char *help, int argc, char **argv,
                        const char **db_path, int *json) {
    static const struct option options[] = {
        {"db", required_argument, 0, 'd'}, {"json", no_argument, 0, 'J'},
        {"check", no_argument, 0, 'c'},    {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},     {0, 0, 0, 0},
    };
    *db_path = "s2s.db";
    *json = 0;
    check_flag = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
        switch (c) {
        case 'd': *db_path = optarg; break;
        case 'J': *json = 1; break;
        case 'c': check_flag = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_usage_error(command, "unknown option '%s'", argv[optind - 1]);
        }
    }
    return -1;
}

static int print_recording(const index_recording *rec, void *user) {
    int json = *(int *)user;
    if (json) {
        fputs("{\"file\": ", stdout);
        cli_json_string(stdout, rec->path);
        printf(", \"duration\": %.2f, \"sample_rate_hz\": %d, \"segments\": %lld, \"size\": %lld}\n",
               rec->duration_s, rec->sample_rate_hz, (long long)rec->num_segments,
               (long long)rec->size_bytes);
    } else {
        printf("%9.2f s  %6d Hz  %7lld segments  %s\n", rec->duration_s, rec->sample_rate_hz,
               (long long)rec->num_segments, rec->path);
    }
    return 0;
}

int cmd_list(int argc, char **argv) {
    static const char *help =
        "usage: s2s list [--db FILE] [--json]\n\n"
        "Lists the indexed recordings: duration, sample rate, segments of the active\n"
        "model, path.\n\n  --db FILE   the index (default: s2s.db)\n  --json      JSON lines\n";
    const char *db_path;
    int json, status = parse_common("list", help, argc, argv, &db_path, &json);
    if (status >= 0) return status;
    index_db *db;
    char err[CLI_ERR_LEN];
    int64_t model_id = 0;
    if (index_open(db_path, 1, &db, err, sizeof err) != 0 ||
        index_get_active_model(db, &model_id, err, sizeof err) != 0 ||
        index_list_recordings(db, model_id, print_recording, &json, err, sizeof err) != 0) {
        cli_error(db_path, "%s", err);
        return EXIT_SOME_FAILED;
    }
    index_close(db);
    return EXIT_OK;
}

int cmd_stats(int argc, char **argv) {
    static const char *help =
        "usage: s2s stats [--db FILE] [--json]\n\n"
        "Summarises the index: recordings, audio hours, segments, file size, how many\n"
        "recordings have a transcript (s2s query --text searches them), and the\n"
        "models it knows: segments and recordings holding vectors of each, the\n"
        "active one (the one queries use) marked with '*'.\n\n"
        "  --db FILE   the index (default: s2s.db)\n  --json      one JSON object\n"
        "  --check     also check the index's integrity (SQLite's and its own);\n"
        "              exit status 1 when it is damaged\n";
    const char *db_path;
    int json, status = parse_common("stats", help, argc, argv, &db_path, &json);
    if (status >= 0) return status;
    index_db *db;
    index_stats stats;
    char err[CLI_ERR_LEN];
    if (index_open(db_path, 1, &db, err, sizeof err) != 0 ||
        index_get_stats(db, &stats, err, sizeof err) != 0) {
        cli_error(db_path, "%s", err);
        return EXIT_SOME_FAILED;
    }
    int64_t num_transcripts = 0;
    if (index_count_transcripts(db, &num_transcripts, NULL, err, sizeof err) != 0) {
        cli_error(db_path, "%s", err);
        index_stats_free(&stats);
        index_close(db);
        return EXIT_SOME_FAILED;
    }
    int damaged = check_flag && index_check_integrity(db, err, sizeof err) != 0;
    if (damaged) cli_error(db_path, "integrity check failed: %s", err);
    double hours = stats.total_duration_s / 3600.0;
    double mb = stats.file_size_bytes / 1e6;
    if (json) {
        printf("{\"recordings\": %lld, \"hours\": %.4f, \"segments\": %lld, \"bytes\": %lld, "
               "\"models\": [", (long long)stats.num_recordings, hours,
               (long long)stats.num_segments, (long long)stats.file_size_bytes);
        for (int i = 0; i < stats.num_models; i++) {
            const index_model *m = &stats.models[i];
            printf("%s{\"id\": %lld, \"hash\": \"%s\", \"file\": ", i ? ", " : "", (long long)m->id,
                   m->file_hash);
            cli_json_string(stdout, m->name);
            printf(", \"dim\": %d, \"active\": %s, \"segments\": %lld, \"recordings\": %lld}",
                   m->dim, m->active ? "true" : "false", (long long)m->num_segments,
                   (long long)m->num_recordings);
        }
        printf("], \"transcripts\": %lld}\n", (long long)num_transcripts);
    } else {
        printf("recordings  %lld\naudio       %.2f h\nsegments    %lld\nfile size   %.1f MB",
               (long long)stats.num_recordings, hours, (long long)stats.num_segments, mb);
        if (hours > 0) printf(" (%.1f MB per hour of audio)", mb / hours);
        printf("\ntranscripts %lld of %lld recordings\nmodels:\n",
               (long long)num_transcripts, (long long)stats.num_recordings);
        for (int i = 0; i < stats.num_models; i++) {
            const index_model *m = &stats.models[i];
            /* During a reindex the new model's recordings count up to all. */
            printf("  %c %lld  %s  dim %d  %lld segments in %lld/%lld recordings  %s\n",
                   m->active ? '*' : ' ', (long long)m->id, m->file_hash, m->dim,
                   (long long)m->num_segments, (long long)m->num_recordings,
                   (long long)stats.num_recordings, m->name);
        }
    }
    if (check_flag && !damaged) cli_note("integrity check: ok\n");
    index_stats_free(&stats);
    index_close(db);
    return damaged ? EXIT_SOME_FAILED : EXIT_OK;
}

int cmd_remove(int argc, char **argv) {
    static const char *help =
        "usage: s2s remove [--db FILE] PATH...\n\n"
        "Takes recordings (and their vectors) out of the index.\n\n"
        "  --db FILE   the index (default: s2s.db)\n";
    const char *db_path;
    int json, status = parse_common("remove", help, argc, argv, &db_path, &json);
    if (status >= 0) return status;
    if (optind >= argc) return cli_usage_error("remove", "no path given");
    index_db *db;
    char err[CLI_ERR_LEN];
    if (index_open(db_path, 0, &db, err, sizeof err) != 0) {
        cli_error(db_path, "%s", err);
        return EXIT_SOME_FAILED;
    }
    int num_failed = 0;
    for (int i = optind; i < argc; i++) {
        char absolute[4096];
        const char *path = realpath(argv[i], absolute) ? absolute : argv[i];
        int removed = 0;
        if (index_remove_recording(db, path, &removed, err, sizeof err) != 0) {
            cli_error(argv[i], "%s", err);
            num_failed++;
        } else if (!removed) {
            cli_error(argv[i], "not in the index");
            num_failed++;
        } else {
            cli_note("removed %s\n", path);
        }
    }
    index_close(db);
    return num_failed ? EXIT_SOME_FAILED : EXIT_OK;
}
