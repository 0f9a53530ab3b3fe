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

/* How s2s transcribe, index and reindex decode the CTC head: the word list
 * lexicon_path (NULL: $S2S_LEXICON; NULL or empty there too: none) is
 * loaded into *lexicon (free it with ctc_lexicon_free after use; NULL
 * without one) and out->lexicon; beam 0 picks the default width, 8, or 64
 * with a lexicon (a word is only checked once whole, so the right one needs
 * more room to survive).  Returns 0, or -1 after naming the word list's
 * problem on stderr. */
int cli_decode_options(const char *lexicon_path, int beam, transcribe_options *out,
                       ctc_lexicon **lexicon);

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
