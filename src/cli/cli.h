/* Shared pieces of the s2s command line: the command table, diagnostics and
 * exit statuses. Only the CLI prints and exits; the libraries return a status
 * and a message. */
#ifndef S2S_CLI_H
#define S2S_CLI_H
#include "transcriber.h"

#include <stdio.h>

enum { EXIT_OK = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2 };
enum { CLI_ERR_LEN = 512 };

/* One subcommand: its name, a one-line summary, and its entry point, which
 * gets argv with argv[0] = the command name and returns an exit status. */
typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

/* Prints "s2s: PATH: message" (or "s2s: message" when path is NULL) and a
 * newline to stderr: the one-line error every failure gets. */
void cli_error(const char *path, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Prints "s2s COMMAND: message" and a hint at --help; returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Progress and notes on stderr unless quiet. */
extern int cli_quiet;
void cli_note(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* The model used when none is named: $S2S_MODEL, else the default model in
 * the data folder. Returns a static string. */
const char *cli_default_model_path(void);

/* What the user asked of the CTC head's decoding (s2s transcribe, index,
 * reindex).  Zeroed, it asks for the defaults. */
typedef struct {
    const char *lexicon_path; /* word list; NULL: $S2S_LEXICON (empty: none) */
    const char *lm_path;      /* text for a character language model; NULL: $S2S_LM,
                                 else the model's own (cli_decode_options) */
    int no_lm;                /* no language model at all */
    const char *model_path;   /* the model whose head is decoded (may be NULL) */
    int beam;                 /* 0: the default width */
    int lm_order;             /* 0: the default order */
    int lm_weight_set, label_bonus_set;
    double lm_weight, label_bonus; /* when set; else the defaults below */
} cli_decode_request;

/* Defaults of the language model's order, weight, bonus per character and
 * beam width, chosen on a development corpus's held-out voices with
 * scripts/tune-lm.sh (see README, Transcription). */
#define CLI_LM_ORDER 8
#define CLI_LM_WEIGHT 1.0
#define CLI_LM_LABEL_BONUS 2.0
#define CLI_LM_BEAM 32

/* Loads what req names into out: the word list and the language model
 * (free both with cli_decode_free), the weights, and the beam width: 8 by
 * default, 32 with a language model, 64 with a lexicon (a word is only
 * checked once whole, so the right one needs more room to survive).  The
 * language model is counted on req->lm_path, else on $S2S_LM (empty: none),
 * else on the model's own text: its path with ".lm" for its extension
 * (data/s2s-default.lm beside the shipped model), when that file exists.
 * Returns 0, or -1 after naming the file's problem on stderr. */
int cli_decode_options(const cli_decode_request *req, transcribe_options *out);

/* The language model text that goes with the model at model_path: the same
 * path with ".lm" for its extension, written into buf (len bytes), when that
 * file exists; else NULL. */
const char *cli_model_lm_path(const char *model_path, char *buf, size_t len);

/* A model trained from init_path keeps its language model: when init_path
 * has one and out_path has none, copies it beside out_path (OUT.lm) and says
 * so on stderr.  Returns 0, or -1 after naming the file that could not be
 * copied (the model itself is written either way). */
int cli_keep_language_model(const char *init_path, const char *out_path);

/* Frees what cli_decode_options loaded into opt (the lexicon and the model). */
void cli_decode_free(transcribe_options *opt);

/* The decoding options s2s transcribe and s2s index share, as getopt_long
 * entries (put CLI_DECODE_OPTIONS in the option table) and as help text. */
enum {
    CLI_OPT_BEAM = 1000,
    CLI_OPT_LEXICON,
    CLI_OPT_LM,
    CLI_OPT_LM_ORDER,
    CLI_OPT_LM_WEIGHT,
    CLI_OPT_LM_BONUS,
    CLI_OPT_NO_LM
};
#define CLI_DECODE_OPTIONS                                                                         \
    {"beam", required_argument, 0, CLI_OPT_BEAM},                                                \
        {"lexicon", required_argument, 0, CLI_OPT_LEXICON},                                      \
        {"lm", required_argument, 0, CLI_OPT_LM},                                                \
        {"lm-order", required_argument, 0, CLI_OPT_LM_ORDER},                                    \
        {"lm-weight", required_argument, 0, CLI_OPT_LM_WEIGHT},                                  \
        {"lm-bonus", required_argument, 0, CLI_OPT_LM_BONUS},                                    \
        {"no-lm", no_argument, 0, CLI_OPT_NO_LM}
#define CLI_DECODE_HELP                                                                            \
    "  --beam N         prefix beam search of width N (default 8; 32 with a\n"                    \
    "                   language model, 64 with a lexicon); 1 is greedy\n"                         \
    "  --lexicon FILE   write only words of FILE, one or more a line, e.g.\n"                      \
    "                   /usr/share/dict/words (default: $S2S_LEXICON if set)\n"                    \
    "  --lm FILE        weigh spellings with a character n-gram model counted on\n"               \
    "                   the text of FILE: running text or a word list (default:\n"                 \
    "                   $S2S_LM if set, else the model's own, MODEL with .lm for\n"                \
    "                   its extension, if there is one); any word can be written\n"                \
    "  --no-lm          no language model: the head's own spelling\n"                              \
    "  --lm-order N     characters the model reads, the one predicted included\n"                 \
    "                   (default 8)\n"                                                              \
    "  --lm-weight W    weight of the model's log-probabilities (default 1.0)\n"                   \
    "  --lm-bonus B     added to the score per character written (default 2.0)\n"

/* Takes one getopt_long result c (with optarg) into req when it is one of
 * CLI_DECODE_OPTIONS: returns 1 when taken, 0 when c is another option, -1
 * after a usage error about command's value. */
int cli_decode_option(const char *command, int c, const char *value, cli_decode_request *req);

/* The file name of path without folder and extension ("a/b.wav" -> "b"),
 * the name queries and recordings go by in truth files and reports. */
void cli_base_name(const char *path, char *name, int len);

/* Monotonic clock in seconds, for progress and timings. */
double cli_now_s(void);

/* Writes s as a JSON string literal (quotes and escapes included). */
void cli_json_string(FILE *out, const char *s);

/* Parses a non-negative integer or float option value; returns 0 on success,
 * else prints a usage error naming the option and returns -1. */
int cli_parse_int(const char *command, const char *option, const char *value, long min, long max,
                  long *out);
int cli_parse_float(const char *command, const char *option, const char *value, double min,
                    double max, double *out);

/* The subcommands (one file each). */
int cmd_features(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_transcribe(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_reindex(int argc, char **argv);
int cmd_retrain(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_remove(int argc, char **argv);
#endif
