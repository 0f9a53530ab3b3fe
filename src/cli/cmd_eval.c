/* s2s eval: query-by-example quality. For each query the indexed recordings
 * are ranked by their best hit's score; against a truth file this gives MAP
 * (mean average precision), P@N (N = the number of recordings that hold the
 * term) and P@5, as in MediaEval QUESST. When the truth gives the times of
 * each occurrence, the hits themselves are scored too: the query's best N
 * hits (N = its number of occurrences), a hit being right when it covers at
 * least half of an occurrence. With --text the queries are written phrases
 * searched in the stored transcripts (text_search.h), scored the same way. */
#include "cli.h"
#include "query_runner.h"
#include "text_search.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const help =
    "usage: s2s eval --truth FILE [OPTIONS] QUERY.wav...\n"
    "       s2s eval --truth FILE --text [OPTIONS] QUERY...\n"
    "\n"
    "Ranks the indexed recordings for each query by their best hit and prints MAP,\n"
    "P@N (N = relevant recordings of the query) and P@5 over the queries.\n"
    "Truth lines: query<TAB>recording (names without folder and extension), or\n"
    "query<TAB>recording<TAB>start<TAB>end (seconds) to also score the hits: the\n"
    "best N hits of a query (N = its occurrences) are right when they cover at\n"
    "least half of an occurrence; precision and recall over all queries.\n"
    "With --text each QUERY names a written phrase: its name (the file name without\n"
    "folder and extension, so the spoken queries' files can be given) with '_' read\n"
    "as a space, searched in the index's transcripts (s2s query --text).\n"
    "\n"
    "options:\n"
    "  --db FILE      the index (default: s2s.db)\n"
    "  --model FILE   the model (default: the one that made the index's vectors)\n"
    "  --truth FILE   the truth file (required)\n"
    "  --run FILE     also write the ranking as query<TAB>recording<TAB>score lines\n"
    "  --text         the queries are written phrases (see above)\n"
    "  --text-score M posteriors or transcripts (default: posteriors when stored)\n"
    "  -v, --verbose  print each query's figures\n"
    "  -q, --quiet    no notes on stderr\n"
    "  -h, --help     this help\n";

typedef struct {
    char *query, *doc;
    int has_times;
    double start_s, end_s;
} truth_pair;

static truth_pair *read_truth(const char *path, int *num) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    truth_pair *pairs = NULL;
    int cap = 0;
    *num = 0;
    char *line = NULL;
    size_t line_cap = 0;
    while (getline(&line, &line_cap, f) >= 0) {
        char *query = strtok(line, "\t\r\n"), *doc = strtok(NULL, "\t\r\n");
        char *start = strtok(NULL, "\t\r\n"), *end = start ? strtok(NULL, "\t\r\n") : NULL;
        if (!query || !doc) continue;
        if (*num == cap) {
            cap = cap ? 2 * cap : 256;
            truth_pair *grown = realloc(pairs, sizeof *pairs * cap);
            if (!grown) break;
            pairs = grown;
        }
        pairs[*num].query = strdup(query);
        pairs[*num].doc = strdup(doc);
        pairs[*num].has_times = start && end;
        pairs[*num].start_s = start ? atof(start) : 0;
        pairs[*num].end_s = end ? atof(end) : 0;
        (*num)++;
    }
    free(line);
    fclose(f);
    return pairs ? pairs : calloc(1, sizeof *pairs);
}

static int is_relevant(const truth_pair *truth, int num_truth, const char *query, const char *doc) {
    for (int i = 0; i < num_truth; i++)
        if (!strcmp(truth[i].query, query) && !strcmp(truth[i].doc, doc)) return 1;
    return 0;
}

/* Recordings that hold the query (distinct), and its timed occurrences. */
static void count_truth(const truth_pair *truth, int num_truth, const char *query,
                        int *num_relevant, int *num_occurrences) {
    *num_relevant = *num_occurrences = 0;
    for (int i = 0; i < num_truth; i++) {
        if (strcmp(truth[i].query, query)) continue;
        *num_occurrences += truth[i].has_times;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = !strcmp(truth[j].query, query) && !strcmp(truth[j].doc, truth[i].doc);
        *num_relevant += !seen;
    }
}

/* True when the hit covers at least half of the timed occurrence t. */
static int covers(const index_hit *hit, const truth_pair *t) {
    double overlap = (hit->end_s < t->end_s ? hit->end_s : t->end_s) -
                     (hit->start_s > t->start_s ? hit->start_s : t->start_s);
    return overlap >= 0.5 * (t->end_s - t->start_s);
}

/* Hit-level scoring of one query's hits against its timed occurrences:
 * adds to *num_right the hits covering at least half of an occurrence and
 * to *num_found the occurrences so covered by some hit. */
static void score_hits(const truth_pair *truth, int num_truth, const char *query,
                       const index_hit *hits, int num_hits, int *num_right, int *num_found) {
    for (int i = 0; i < num_truth; i++) {
        const truth_pair *t = &truth[i];
        if (!t->has_times || strcmp(t->query, query)) continue;
        int found = 0;
        for (int h = 0; h < num_hits; h++) {
            char doc[1024];
            cli_base_name(hits[h].path, doc, sizeof doc);
            if (!strcmp(doc, t->doc) && covers(&hits[h], t)) found = 1;
        }
        *num_found += found;
    }
    for (int h = 0; h < num_hits; h++) {
        char doc[1024];
        cli_base_name(hits[h].path, doc, sizeof doc);
        int right = 0;
        for (int i = 0; i < num_truth && !right; i++) {
            const truth_pair *t = &truth[i];
            right = t->has_times && !strcmp(t->query, query) && !strcmp(t->doc, doc) &&
                    covers(&hits[h], t);
        }
        *num_right += right;
    }
}

/* The hits of every query, found before scoring: with text, all phrases
 * in two passes over the transcripts; else each query is encoded and
 * searched. ranked[q]: per-file hits ranking the recordings (up to
 * num_recordings); spans[q]: the best max_occurrences hits. */
typedef struct {
    index_hit *ranked, *spans;
    int num_ranked, num_spans;
    int failed;
} query_hits;

int cmd_eval(int argc, char **argv) {
    static const struct option options[] = {
        {"db", required_argument, 0, 'd'},    {"model", required_argument, 0, 'm'},
        {"truth", required_argument, 0, 't'}, {"run", required_argument, 0, 'r'},
        {"verbose", no_argument, 0, 'v'},     {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},        {"text", no_argument, 0, 'X'},
        {"text-score", required_argument, 0, 'M'}, {0, 0, 0, 0},
    };
    const char *db_path = "s2s.db", *model_path = NULL, *truth_path = NULL, *run_path = NULL;
    int verbose = 0, text = 0, c;
    text_search_scoring scoring = TEXT_SEARCH_AUTO;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vqh", options, NULL)) != -1) {
        switch (c) {
        case 'd': db_path = optarg; break;
        case 'm': model_path = optarg; break;
        case 't': truth_path = optarg; break;
        case 'r': run_path = optarg; break;
        case 'X': text = 1; break;
        case 'M':
            if (cli_parse_text_scoring("eval", optarg, &scoring) != 0) return EXIT_USAGE;
            break;
        case 'v': verbose = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_usage_error("eval", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!truth_path) return cli_usage_error("eval", "--truth FILE is required");
    if (optind >= argc) return cli_usage_error("eval", "no query file given");
    int num_truth;
    truth_pair *truth = read_truth(truth_path, &num_truth);
    if (!truth) {
        cli_error(truth_path, "cannot read the truth file");
        return EXIT_SOME_FAILED;
    }
    /* The queries with truth, by name. */
    int num_args = argc - optind, num_queries = 0;
    char (*names)[1024] = calloc((size_t)num_args, sizeof *names);
    char **args = calloc((size_t)num_args, sizeof *args);
    int max_occurrences = 0;
    for (int i = optind; i < argc && names && args; i++) {
        char *name = names[num_queries];
        cli_base_name(argv[i], name, sizeof *names);
        if (text)
            for (char *p = name; *p; p++) *p = *p == ' ' ? '_' : *p;
        int num_relevant, num_occurrences;
        count_truth(truth, num_truth, name, &num_relevant, &num_occurrences);
        if (num_relevant == 0) {
            cli_note("%s: no truth for query '%s', skipped\n", argv[i], name);
            continue;
        }
        if (num_occurrences > max_occurrences) max_occurrences = num_occurrences;
        args[num_queries++] = argv[i];
    }
    query_hits *found = calloc((size_t)num_queries + 1, sizeof *found);
    char err[CLI_ERR_LEN];
    query_runner runner = {0};
    index_db *db = NULL;
    text_search_result by_file = {0}, by_span = {0};
    int status = EXIT_SOME_FAILED, opened = 0;
    if (!names || !args || !found) {
        cli_error(NULL, "out of memory");
        goto cleanup;
    }
    if (text) {
        char **phrases = calloc((size_t)num_queries + 1, sizeof *phrases);
        int64_t num_recordings = 0;
        int rc = !phrases || index_open(db_path, 1, &db, err, sizeof err) != 0 ||
                 index_count_transcripts(db, NULL, &num_recordings, err, sizeof err) != 0;
        for (int q = 0; q < num_queries && !rc; q++) {
            phrases[q] = strdup(names[q]);
            rc = !phrases[q];
            for (char *p = phrases[q]; !rc && *p; p++) *p = *p == '_' ? ' ' : *p;
        }
        index_search_options search = index_search_defaults();
        search.per_file = 1;
        search.k = num_recordings > 0 ? (int)num_recordings : 1;
        if (!rc)
            rc = text_search_run(db, (const char *const *)phrases, num_queries, &search, scoring, &by_file,
                                 err, sizeof err) != 0;
        search = index_search_defaults();
        search.k = max_occurrences > 0 ? max_occurrences : 1;
        if (!rc && max_occurrences > 0)
            rc = text_search_run(db, (const char *const *)phrases, num_queries, &search, scoring, &by_span,
                                 err, sizeof err) != 0;
        for (int q = 0; phrases && q < num_queries; q++) free(phrases[q]);
        free(phrases);
        if (rc) {
            cli_error(db_path, "%s", phrases ? err : "out of memory");
            goto cleanup;
        }
        for (int q = 0; q < num_queries; q++) {
            found[q].ranked = by_file.phrases[q].hits;
            found[q].num_ranked = by_file.phrases[q].num_hits;
            if (by_span.phrases) {
                found[q].spans = by_span.phrases[q].hits;
                found[q].num_spans = by_span.phrases[q].num_hits;
            }
        }
    } else {
        if (query_runner_open(&runner, db_path, model_path, err, sizeof err) != 0) {
            cli_error(NULL, "%s", err);
            goto cleanup;
        }
        opened = 1;
        index_search_options search = index_search_defaults();
        search.per_file = 1;
        search.k = runner.matrix->num_recordings;
        float *vector = malloc(sizeof(float) * autoencoder_vector_dim(runner.session.model));
        for (int q = 0; q < num_queries; q++) {
            found[q].ranked = malloc(sizeof(index_hit) * search.k);
            found[q].spans = malloc(sizeof(index_hit) * (max_occurrences + 1));
            double start_s, end_s;
            if (!vector || !found[q].ranked || !found[q].spans) {
                cli_error(args[q], "out of memory");
                found[q].failed = 1;
                continue;
            }
            if (query_runner_encode(&runner, args[q], vector, &start_s, &end_s, err, sizeof err) != 0 ||
                query_runner_search_vector(&runner, vector, &search, found[q].ranked,
                                           &found[q].num_ranked, err, sizeof err) != 0) {
                cli_error(args[q], "%s", err);
                found[q].failed = 1;
                continue;
            }
            index_search_options hit_search = index_search_defaults();
            hit_search.k = max_occurrences;
            if (max_occurrences > 0 &&
                query_runner_search_vector(&runner, vector, &hit_search, found[q].spans,
                                           &found[q].num_spans, err, sizeof err) != 0)
                found[q].num_spans = 0;
        }
        free(vector);
    }

    FILE *run = run_path ? fopen(run_path, "w") : NULL;
    if (run_path && !run) cli_error(run_path, "cannot open for writing");
    int num_right = 0, num_found = 0, num_returned = 0, total_occurrences = 0;
    double sum_ap = 0, sum_pn = 0, sum_p5 = 0;
    int num_scored = 0, num_failed = 0;
    for (int q = 0; q < num_queries; q++) {
        const char *query = names[q];
        if (found[q].failed) {
            num_failed++;
            continue;
        }
        int num_relevant, num_occurrences;
        count_truth(truth, num_truth, query, &num_relevant, &num_occurrences);
        if (num_occurrences > 0) {
            /* The best num_occurrences hits: a prefix of the best max_occurrences. */
            int num_spans = found[q].num_spans < num_occurrences ? found[q].num_spans : num_occurrences;
            score_hits(truth, num_truth, query, found[q].spans, num_spans, &num_right, &num_found);
            num_returned += num_spans;
            total_occurrences += num_occurrences;
        }
        double ap = 0;
        int num_hit = 0, in_n = 0, in_5 = 0;
        for (int r = 0; r < found[q].num_ranked; r++) {
            const index_hit *hit = &found[q].ranked[r];
            char doc[1024];
            cli_base_name(hit->path, doc, sizeof doc);
            if (run) fprintf(run, "%s\t%s\t%.5f\n", query, doc, hit->score);
            if (!is_relevant(truth, num_truth, query, doc)) continue;
            num_hit++;
            ap += (double)num_hit / (r + 1);
            if (r < num_relevant) in_n++;
            if (r < 5) in_5++;
        }
        ap /= num_relevant;
        double pn = (double)in_n / num_relevant, p5 = in_5 / 5.0;
        if (verbose) printf("%s\tAP=%.3f\tP@N=%.3f\tP@5=%.3f\n", query, ap, pn, p5);
        sum_ap += ap;
        sum_pn += pn;
        sum_p5 += p5;
        num_scored++;
    }
    if (num_scored)
        printf("queries=%d MAP=%.3f P@N=%.3f P@5=%.3f\n", num_scored, sum_ap / num_scored,
               sum_pn / num_scored, sum_p5 / num_scored);
    else
        cli_error(truth_path, "no query had truth lines");
    if (total_occurrences)
        printf("hits: occurrences=%d precision=%.3f recall=%.3f (best N hits a query, 50%% overlap)\n",
               total_occurrences, num_returned ? (double)num_right / num_returned : 0.0,
               (double)num_found / total_occurrences);
    if (run) fclose(run);
    status = num_failed || !num_scored ? EXIT_SOME_FAILED : EXIT_OK;
cleanup:
    if (!text)
        for (int q = 0; found && q < num_queries; q++) {
            free(found[q].ranked);
            free(found[q].spans);
        }
    free(found);
    free(names);
    free(args);
    text_search_free(&by_file);
    text_search_free(&by_span);
    index_close(db);
    if (opened) query_runner_close(&runner);
    for (int t = 0; t < num_truth; t++) {
        free(truth[t].query);
        free(truth[t].doc);
    }
    free(truth);
    return status;
}
