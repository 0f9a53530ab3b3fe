/* The s2s command: dispatches to one subcommand per file (cmd_*.c). */
#include "cli.h"

#include <string.h>

static const cli_command commands[] = {
    {"index", "add recordings to the index", cmd_index},
    {"reindex", "re-embed the index's recordings with another model", cmd_reindex},
    {"query", "find where a spoken phrase (a recording of it) is said", cmd_query},
    {"eval", "MAP, P@N and P@5 of spoken queries against a truth file", cmd_eval},
    {"list", "list the indexed recordings", cmd_list},
    {"stats", "summarise the index and its models", cmd_stats},
    {"remove", "take recordings out of the index", cmd_remove},
    {"features", "print the frontend's frames (MFCC, deltas) or speech regions", cmd_features},
    {"train", "train the autoencoder on audio (or word segments)", cmd_train},
    {"retrain", "train on the index's recordings, then reindex (train --db --reindex)", cmd_retrain},
    {"transcribe", "say what is said in audio files (needs a model with a CTC head)", cmd_transcribe},
    {"embed", "print the vector of each file's speech or of given segments", cmd_embed},
    {"model", "describe a model file (s2s model info FILE)", cmd_model},
};
static const int num_commands = sizeof commands / sizeof commands[0];

static void print_help(FILE *out) {
    fprintf(out,
            "s2s %s: find where a spoken phrase is said in a collection of recordings\n\n"
            "usage: s2s COMMAND [OPTIONS] ARGS...\n\ncommands:\n",
            S2S_VERSION);
    for (int i = 0; i < num_commands; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n's2s COMMAND --help' describes a command. Output is on stdout, diagnostics on\n"
            "stderr. Exit status: 0 success, 1 some inputs failed, 2 bad usage.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_help(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("s2s %s\n", S2S_VERSION);
        return EXIT_OK;
    }
    for (int i = 0; i < num_commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "s2s: unknown command '%s' (see 's2s --help')\n", argv[1]);
    return EXIT_USAGE;
}
