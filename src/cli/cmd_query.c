/* s2s query: where is this said? Each query recording is trimmed to its
 * speech, encoded, and compared with every stored segment; overlapping hits
 * in a recording are merged and the best are printed. With --text the
 * queries are written phrases, matched against the stored transcripts
 * (text_search.h). When the index holds transcripts, each hit is shown with
 * the words around it (hit_context.h). */
#include "cli.h"
#include "hit_context.h"
#include "phrase_match.h"
#include "query_runner.h"
#include "text_search.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const help =
    "usage: s2s query [OPTIONS] QUERY.wav...\n"
    "       s2s query [OPTIONS] --text PHRASE...\n"
    "\n"
    "Finds where each QUERY (a recording of the phrase) is said in the indexed\n"
    "recordings. Prints rank, score (cosine similarity), start and end (s), file.\n"
    "When every indexed recording was sampled below 16 kHz (telephone audio), a\n"
    "QUERY is heard through their band: read at the highest of their rates.\n"
    "When the index holds transcripts (indexed with a model that has a CTC head),\n"
    "each hit also shows the words heard around it, its own in [brackets].\n"
    "With --text each PHRASE is written text, spotted in the CTC posteriors the\n"
    "index stores (score: per-character probability ratio against the best path,\n"
    "in (0, 1]), or with --text-score transcripts matched against the stored\n"
    "transcripts (score: 1 - character edit distance / phrase length).\n"
    "\n"
    "options:\n"
    "  --db FILE        the index (default: s2s.db)\n"
    "  --model FILE     the model (default: the one that made the index's vectors)\n"
    "  -k N             hits per query after merging (default: 10)\n"
    "  --per-file       only the best hit of each recording (ranks recordings)\n"
    "  --threshold S    only hits scoring at least S (default: none)\n"
    "  --text           the arguments are written phrases, not recordings\n"
    "  --text-score M   posteriors or transcripts (default: posteriors when stored)\n"
    "  --json           JSON lines: query, rank, file, start, end, score (and\n"
    "                   words, context when the index holds transcripts)\n"
    "  --tsv            tab-separated: query, rank, file, start, end, score (and\n"
    "                   context when the index holds transcripts)\n"
    "  --stdlist        NIST STD 2006 XML (<stdlist>), for the standard scoring tools\n"
    "  --decision S     in --stdlist, decision=\"YES\" for scores >= S (default: 0.8)\n"
    "  -q, --quiet      no notes on stderr\n"
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0 all queries answered, 1 some failed (each named on stderr), 2 bad usage.\n";

typedef enum { OUTPUT_TEXT, OUTPUT_JSON, OUTPUT_TSV, OUTPUT_STDLIST } output_format;

static void xml_attribute(FILE *out, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* Prints one query's hits; with context (NULL: none) each hit gets the
 * words around it. Returns 0, or -1 when a transcript could not be read
 * (named on stderr; the hits are printed without it). */
static int print_hits(output_format format, const char *query, const index_hit *hits,
                      int num_hits, double decision, hit_context *context) {
    char file_id[1024], words[2048], own[1024], err[CLI_ERR_LEN];
    int rc = 0;
    if (format == OUTPUT_STDLIST) {
        fputs("<detected_termlist termid=\"", stdout);
        xml_attribute(stdout, query);
        fputs("\" term_search_time=\"0\" oov_term_count=\"0\">\n", stdout);
    } else if (format == OUTPUT_TEXT) {
        printf("# %s\n", query);
        if (num_hits == 0) printf("  (no hits)\n");
    }
    for (int i = 0; i < num_hits; i++) {
        const index_hit *h = &hits[i];
        words[0] = own[0] = 0;
        if (context && format != OUTPUT_STDLIST && rc == 0 &&
            hit_context_get(context, h, words, sizeof words, own, sizeof own, err, sizeof err) != 0) {
            cli_error(h->path, "%s", err);
            rc = -1;
        }
        switch (format) {
        case OUTPUT_TEXT:
            printf("%3d  %.3f  %8.2f %8.2f  %s", i + 1, h->score, h->start_s, h->end_s, h->path);
            if (words[0]) printf("  | %s", words);
            putchar('\n');
            break;
        case OUTPUT_JSON:
            fputs("{\"query\": ", stdout);
            cli_json_string(stdout, query);
            printf(", \"rank\": %d, \"file\": ", i + 1);
            cli_json_string(stdout, h->path);
            printf(", \"start\": %.2f, \"end\": %.2f, \"score\": %.4f", h->start_s, h->end_s,
                   h->score);
            if (context) {
                fputs(", \"words\": ", stdout);
                cli_json_string(stdout, own);
                fputs(", \"context\": ", stdout);
                cli_json_string(stdout, words);
            }
            fputs("}\n", stdout);
            break;
        case OUTPUT_TSV:
            printf("%s\t%d\t%s\t%.2f\t%.2f\t%.4f", query, i + 1, h->path, h->start_s, h->end_s,
                   h->score);
            if (context) printf("\t%s", words);
            putchar('\n');
            break;
        case OUTPUT_STDLIST:
            cli_base_name(h->path, file_id, sizeof file_id);
            fputs("  <term file=\"", stdout);
            xml_attribute(stdout, file_id);
            printf("\" channel=\"1\" tbeg=\"%.2f\" dur=\"%.2f\" score=\"%.4f\" decision=\"%s\"/>\n",
                   h->start_s, h->end_s - h->start_s, h->score, h->score >= decision ? "YES" : "NO");
            break;
        }
    }
    if (format == OUTPUT_STDLIST) puts("</detected_termlist>");
    return rc;
}

/* s2s query --text: every phrase in one pass over the transcripts. */
static int query_text(const char *db_path, char **phrases, int num_phrases,
                      const index_search_options *search, text_search_scoring scoring,
                      output_format format, double decision) {
    char err[CLI_ERR_LEN];
    index_db *db = NULL;
    if (index_open(db_path, 1, &db, err, sizeof err) != 0) {
        cli_error(db_path, "%s", err);
        return EXIT_SOME_FAILED;
    }
    text_search_result result;
    hit_context context;
    if (hit_context_open(&context, db, err, sizeof err) != 0 ||
        text_search_run(db, (const char *const *)phrases, num_phrases, search, scoring, &result,
                        err, sizeof err) != 0) {
        cli_error(db_path, "%s", err);
        index_close(db);
        return EXIT_SOME_FAILED;
    }
    int num_failed = 0;
    if (format == OUTPUT_STDLIST)
        printf("<stdlist termlist_filename=\"\" indexing_time=\"0\" language=\"\" index_size=\"%lld\" "
               "system_id=\"s2s\">\n", (long long)result.num_searched);
    for (int p = 0; p < num_phrases; p++) {
        const text_search_hits *h = &result.phrases[p];
        char normalised[8];
        if (phrase_normalise(phrases[p], normalised, sizeof normalised) == 0) {
            cli_error(phrases[p], "no letter or digit to search for");
            num_failed++;
            continue;
        }
        cli_note("\"%s\": %d hits in %lld recordings' %s\n", phrases[p], h->num_hits,
                 (long long)result.num_searched,
                 result.scoring == TEXT_SEARCH_POSTERIORS ? "posteriors" : "transcripts");
        num_failed += print_hits(format, phrases[p], h->hits, h->num_hits, decision, &context) != 0;
    }
    if (format == OUTPUT_STDLIST) puts("</stdlist>");
    text_search_free(&result);
    hit_context_close(&context);
    index_close(db);
    if (fflush(stdout) != 0) {
        cli_error("stdout", "cannot write");
        return EXIT_SOME_FAILED;
    }
    return num_failed ? EXIT_SOME_FAILED : EXIT_OK;
}

int cmd_query(int argc, char **argv) {
    static const struct option options[] = {
        {"db", required_argument, 0, 'd'},       {"model", required_argument, 0, 'm'},
        {"per-file", no_argument, 0, 'p'},       {"threshold", required_argument, 0, 't'},
        {"json", no_argument, 0, 'J'},           {"tsv", no_argument, 0, 'T'},
        {"stdlist", no_argument, 0, 'S'},        {"decision", required_argument, 0, 'D'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {"text", no_argument, 0, 'X'},           {"text-score", required_argument, 0, 'M'},
        {0, 0, 0, 0},
    };
    const char *db_path = "s2s.db", *model_path = NULL;
    index_search_options search = index_search_defaults();
    output_format format = OUTPUT_TEXT;
    double value, decision = 0.8;
    long k;
    int c, text = 0;
    text_search_scoring scoring = TEXT_SEARCH_AUTO;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "k:qh", options, NULL)) != -1) {
        switch (c) {
        case 'd': db_path = optarg; break;
        case 'm': model_path = optarg; break;
        case 'k':
            if (cli_parse_int("query", "-k", optarg, 1, 100000, &k) != 0) return EXIT_USAGE;
            search.k = (int)k;
            break;
        case 'p': search.per_file = 1; break;
        case 't':
            if (cli_parse_float("query", "--threshold", optarg, -1, 1, &value) != 0) return EXIT_USAGE;
            search.use_threshold = 1;
            search.threshold = (float)value;
            break;
        case 'X': text = 1; break;
        case 'M':
            if (cli_parse_text_scoring("query", optarg, &scoring) != 0) return EXIT_USAGE;
            break;
        case 'J': format = OUTPUT_JSON; break;
        case 'T': format = OUTPUT_TSV; break;
        case 'S': format = OUTPUT_STDLIST; break;
        case 'D':
            if (cli_parse_float("query", "--decision", optarg, -1, 1, &decision) != 0) return EXIT_USAGE;
            break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_usage_error("query", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("query", text ? "no phrase given" : "no query file given");
    if (text) {
        if (model_path) cli_note("--model is not used with --text (transcripts are searched)\n");
        return query_text(db_path, argv + optind, argc - optind, &search, scoring, format,
                          decision);
    }

    query_runner runner;
    char err[CLI_ERR_LEN];
    if (query_runner_open(&runner, db_path, model_path, err, sizeof err) != 0) {
        cli_error(NULL, "%s", err);
        return EXIT_SOME_FAILED;
    }
    index_hit *hits = malloc(sizeof *hits * search.k);
    int num_failed = 0;
    hit_context context;
    if (hit_context_open(&context, runner.session.db, err, sizeof err) != 0) {
        cli_error(db_path, "%s", err); /* the hits are shown without words */
        context.has_transcripts = 0;
        num_failed++;
    }
    if (format == OUTPUT_STDLIST)
        printf("<stdlist termlist_filename=\"\" indexing_time=\"0\" language=\"\" index_size=\"%lld\" "
               "system_id=\"s2s\">\n", (long long)runner.matrix->num_rows);
    for (int i = optind; i < argc; i++) {
        int num_hits = 0;
        double start_s, end_s;
        if (query_runner_search(&runner, argv[i], &search, hits, &num_hits, &start_s, &end_s, err,
                                sizeof err) != 0) {
            cli_error(argv[i], "%s", err);
            num_failed++;
            continue;
        }
        cli_note("%s: speech %.2f-%.2f s, %d hits\n", argv[i], start_s, end_s, num_hits);
        char name[1024];
        cli_base_name(argv[i], name, sizeof name);
        if (format == OUTPUT_TEXT) snprintf(name, sizeof name, "%s", argv[i]);
        num_failed += print_hits(format, name, hits, num_hits, decision,
                                 context.has_transcripts ? &context : NULL) != 0;
    }
    if (format == OUTPUT_STDLIST) puts("</stdlist>");
    free(hits);
    hit_context_close(&context);
    query_runner_close(&runner);
    if (fflush(stdout) != 0) {
        cli_error("stdout", "cannot write");
        return EXIT_SOME_FAILED;
    }
    return num_failed ? EXIT_SOME_FAILED : EXIT_OK;
}
