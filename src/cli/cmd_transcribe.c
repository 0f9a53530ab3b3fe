/* s2s transcribe: what was said in each audio file, with the model's CTC
 * head; text lines, or JSON lines with each word's start and end. */
#include "cli.h"
#include "gemm.h"
#include "transcriber.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const help =
    "usage: s2s transcribe [OPTIONS] AUDIO...\n"
    "\n"
    "Prints what is said in each AUDIO file: a line FILE<TAB>TEXT, or with --json\n"
    "{\"file\", \"text\", \"words\": [{\"word\", \"start\", \"end\"}...]} (seconds).\n"
    "Needs a model with a CTC head (s2s model info says; s2s train --transcripts\n"
    "trains one). Letters, apostrophes and spaces only; no language model.\n"
    "Without a word list the head spells what it hears, often by sound\n"
    "(\"delfinium\"); with --lexicon every word written is one of the list.\n"
    "\n"
    "options:\n"
    "  --model FILE     model to use (default: $S2S_MODEL or the shipped model)\n"
    "  --beam N         prefix beam search of width N (default 8, or 64 with a\n"
    "                   lexicon); 1 is greedy\n"
    "  --lexicon FILE   write only words of FILE, one or more a line, e.g.\n"
    "                   /usr/share/dict/words (default: $S2S_LEXICON if set)\n"
    "  --json           JSON lines with word times\n"
    "  -q, --quiet      no notes on stderr\n"
    "  -h, --help       this help\n"
    "\n"
    "Exit status: 0 all done, 1 some inputs failed (each named on stderr), 2 bad usage.\n";

static void print_json(const char *path, const transcript *t, const char *text) {
    fputs("{\"file\": ", stdout);
    cli_json_string(stdout, path);
    fputs(", \"text\": ", stdout);
    cli_json_string(stdout, text);
    fputs(", \"words\": [", stdout);
    for (int i = 0; i < t->num_words; i++) {
        fputs(i ? ", {\"word\": " : "{\"word\": ", stdout);
        cli_json_string(stdout, t->words[i].text);
        printf(", \"start\": %.2f, \"end\": %.2f}", t->words[i].start_s, t->words[i].end_s);
    }
    fputs("]}\n", stdout);
}

/* Transcribes one file and prints it; 0, or -1 after naming the problem. */
static int transcribe_file(const autoencoder *m, const char *path, const transcribe_options *decode,
                           int json) {
    char err[CLI_ERR_LEN];
    feature_matrix fm;
    if (features_compute(path, autoencoder_feature_options(m), autoencoder_feature_stats(m), &fm,
                         err, sizeof err) != 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    transcript t;
    int rc = transcribe_frames(m, &fm, decode, &t, err, sizeof err);
    features_free(&fm);
    if (rc != 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    size_t len = transcript_text(&t, NULL, 0);
    char *text = malloc(len + 1);
    if (!text) {
        transcript_free(&t);
        cli_error(path, "out of memory");
        return -1;
    }
    transcript_text(&t, text, len + 1);
    if (json) {
        print_json(path, &t, text);
    } else {
        fputs(path, stdout);
        printf("\t%s\n", text);
    }
    if (t.num_words == 0)
        cli_note("%s: no speech recognised\n", path);
    free(text);
    transcript_free(&t);
    return 0;
}

int cmd_transcribe(int argc, char **argv) {
    static const struct option options[] = {
        {"model", required_argument, 0, 'm'}, {"beam", required_argument, 0, 'b'},
        {"json", no_argument, 0, 'j'},        {"quiet", no_argument, 0, 'q'},
        {"lexicon", required_argument, 0, 'l'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *model_path = cli_default_model_path();
    const char *lexicon_path = NULL; /* $S2S_LEXICON */
    long beam = 0; /* 0: the default for the decoding asked for */
    int json = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'b':
            if (cli_parse_int("transcribe", "--beam", optarg, 1, 1000, &beam) != 0) return EXIT_USAGE;
            break;
        case 'j': json = 1; break;
        case 'l': lexicon_path = optarg; break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_usage_error("transcribe", "unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("transcribe", "no audio file given");
    // A few short sequences at a time: products too small for BLAS threads
    // to pay, which would only spin beside the one doing the work.
    nn_blas_set_threads(1);
    // The products run in the process's precision (bf16 where the CPU has
    // it): with 8 stretches of speech decoded together they pay (measured
    // on a 4-minute recording, one thread: 0.5 s CPU in bf16 against 1.0 s
    // in fp32, which was the faster one when stretches went one at a time).
    char err[CLI_ERR_LEN];
    autoencoder *m = autoencoder_load(model_path, err, sizeof err);
    if (!m) {
        cli_error(model_path, "%s", err);
        return EXIT_SOME_FAILED;
    }
    if (autoencoder_ctc_classes(m) == 0) {
        cli_error(model_path, "this model has no CTC head, so it cannot transcribe (train one with s2s train --transcripts)");
        autoencoder_free(m);
        return EXIT_SOME_FAILED;
    }
    transcribe_options decode;
    ctc_lexicon *lexicon;
    if (cli_decode_options(lexicon_path, (int)beam, &decode, &lexicon) != 0) {
        autoencoder_free(m);
        return EXIT_SOME_FAILED;
    }
    int failed = 0;
    for (int i = optind; i < argc; i++)
        failed += transcribe_file(m, argv[i], &decode, json) != 0;
    if (fflush(stdout) != 0) {
        cli_error("stdout", "cannot write");
        failed++;
    }
    ctc_lexicon_free(lexicon);
    autoencoder_free(m);
    return failed ? EXIT_SOME_FAILED : EXIT_OK;
}
