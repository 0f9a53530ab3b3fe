/* s2s query: where is this said? Each query recording is trimmed to its
 * speech, encoded, and compared with every stored segment; overlapping hits
 * in a recording are merged and the best are printed. */
#include "cli.h"
#include "query_runner.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const help =
    "usage: s2s query [OPTIONS] QUERY.wav...\n"
    "\n"
    "Finds where each QUERY (a recording of the phrase) is said in the indexed\n"
    "recordings. Prints rank, score (cosine similarity), start and end (s), file.\n"
    "\n"
    "options:\n"
    "  --db FILE        the index (default: s2s.db)\n"
    "  --model FILE     the model (default: the one that made the index's vectors)\n"
    "  -k N             hits per query after merging (default: 10)\n"
    "  --per-file       only the best hit of each recording (ranks recordings)\n"
    "  --threshold S    only hits scoring at least S (default: none)\n"
    "  --json           JSON lines: query, rank, file, start, end, score\n"
    "  --tsv            tab-separated: query, rank, file, start, end, score\n"
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

static void print_hits(output_format format, const char *query_path, const index_hit *hits,
                       int num_hits, double decision) {
    char name[1024], file_id[1024];
    cli_base_name(query_path, name, sizeof name);
    if (format == OUTPUT_STDLIST) {
        fputs("<detected_termlist termid=\"", stdout);
        xml_attribute(stdout, name);
        fputs("\" term_search_time=\"0\" oov_term_count=\"0\">\n", stdout);
    } else if (format == OUTPUT_TEXT) {
        printf("# %s\n", query_path);
        if (num_hits == 0) printf("  (no hits)\n");
    }
    for (int i = 0; i < num_hits; i++) {
        const index_hit *h = &hits[i];
        switch (format) {
        case OUTPUT_TEXT:
            printf("%3d  %.3f  %8.2f %8.2f  %s\n", i + 1, h->score, h->start_s, h->end_s, h->path);
            break;
        case OUTPUT_JSON:
            fputs("{\"query\": ", stdout);
            cli_json_string(stdout, name);
            printf(", \"rank\": %d, \"file\": ", i + 1);
            cli_json_string(stdout, h->path);
            printf(", \"start\": %.2f, \"end\": %.2f, \"score\": %.4f}\n", h->start_s, h->end_s,
                   h->score);
            break;
        case OUTPUT_TSV:
            printf("%s\t%d\t%s\t%.2f\t%.2f\t%.4f\n", name, i + 1, h->path, h->start_s, h->end_s,
                   h->score);
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
}

int cmd_query(int argc, char **argv) {
    static const struct option options[] = {
        {"db", required_argument, 0, 'd'},       {"model", required_argument, 0, 'm'},
        {"per-file", no_argument, 0, 'p'},       {"threshold", required_argument, 0, 't'},
        {"json", no_argument, 0, 'J'},           {"tsv", no_argument, 0, 'T'},
        {"stdlist", no_argument, 0, 'S'},        {"decision", required_argument, 0, 'D'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *db_path = "s2s.db", *model_path = NULL;
    index_search_options search = index_search_defaults();
    output_format format = OUTPUT_TEXT;
    double value, decision = 0.8;
    long k;
    int c;
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
    if (optind >= argc) return cli_usage_error("query", "no query file given");

    query_runner runner;
    char err[CLI_ERR_LEN];
    if (query_runner_open(&runner, db_path, model_path, err, sizeof err) != 0) {
        cli_error(NULL, "%s", err);
        return EXIT_SOME_FAILED;
    }
    index_hit *hits = malloc(sizeof *hits * search.k);
    int num_failed = 0;
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
        print_hits(format, argv[i], hits, num_hits, decision);
    }
    if (format == OUTPUT_STDLIST) puts("</stdlist>");
    free(hits);
    query_runner_close(&runner);
    if (fflush(stdout) != 0) {
        cli_error("stdout", "cannot write");
        return EXIT_SOME_FAILED;
    }
    return num_failed ? EXIT_SOME_FAILED : EXIT_OK;
}
