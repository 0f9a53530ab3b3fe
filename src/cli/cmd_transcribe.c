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
    "trains one). Letters, apostrophes and spaces only. Alone, the head spells\n"
    "what it hears, often by sound (\"delfinium\"); --lm weighs its spellings\n"
    "with a character model of a language's text, and with --lexicon every word\n"
    "written is one of the list.\n"
    "\n"
    "options:\n"
    "  --model FILE     model to use (default: $S2S_MODEL or the shipped model)\n"
CLI_DECODE_HELP
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
        {"model", required_argument, 0, 'm'}, {"json", no_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
        CLI_DECODE_OPTIONS,                   {0, 0, 0, 0},
    };
    const char *model_path = cli_default_model_path();
    cli_decode_request request = {0};
    int json = 0, c, taken;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
        if ((taken = cli_decode_option("transcribe", c, optarg, &request)) != 0) {
            if (taken < 0) return EXIT_USAGE;
            continue;
        }
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'j': json = 1; break;
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
    request.model_path = model_path;
    if (cli_decode_options(&request, &decode) != 0) {
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
    cli_decode_free(&decode);
    autoencoder_free(m);
    return failed ? EXIT_SOME_FAILED : EXIT_OK;
}
