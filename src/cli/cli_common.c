/* Diagnostics, defaults and small parsing helpers shared by the subcommands. */
#include "cli.h"
#include "ctc_text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cli_quiet = 0;

void cli_error(const char *path, const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("s2s: ", stderr);
    if (path) fprintf(stderr, "%s: ", path);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}

int cli_usage_error(const char *command, const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "s2s %s: ", command);
    vfprintf(stderr, format, args);
    fprintf(stderr, " (see 's2s %s --help')\n", command);
    va_end(args);
    return EXIT_USAGE;
}

void cli_note(const char *format, ...) {
    if (cli_quiet) return;
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
}

const char *cli_default_model_path(void) {
    static char path[4096];
    const char *env = getenv("S2S_MODEL");
    if (env && *env) return env;
    snprintf(path, sizeof path, "%s/s2s-default.model", S2S_DATA_DIR);
    return path;
}

int cli_decode_options(const char *lexicon_path, int beam, transcribe_options *out,
                       ctc_lexicon **lexicon) {
    if (!lexicon_path)
        lexicon_path = getenv("S2S_LEXICON");
    *lexicon = NULL;
    if (lexicon_path && *lexicon_path) {
        char err[CLI_ERR_LEN];
        *lexicon = ctc_text_load_lexicon(lexicon_path, err, sizeof err);
        if (!*lexicon) {
            cli_error(lexicon_path, "%s", err);
            return -1;
        }
    }
    *out = (transcribe_options){.beam_width = beam ? beam : *lexicon ? 64 : 8,
                                .lexicon = *lexicon};
    return 0;
}

void cli_json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20) fprintf(out, "\\u%04x", *p);
            else fputc(*p, out);
        }
    }
    fputc('"', out);
}

int cli_parse_int(const char *command, const char *option, const char *value, long min, long max,
                  long *out) {
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        cli_usage_error(command, "%s wants an integer in [%ld, %ld], not '%s'", option, min, max,
                        value);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_float(const char *command, const char *option, const char *value, double min,
                    double max, double *out) {
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end || !isfinite(v) || v < min || v > max) {
        cli_usage_error(command, "%s wants a number in [%g, %g], not '%s'", option, min, max,
                        value);
        return -1;
    }
    *out = v;
    return 0;
}

void cli_base_name(const char *path, char *name, int len) {
    const char *base = strrchr(path, '/');
    snprintf(name, len, "%s", base ? base + 1 : path);
    char *dot = strrchr(name, '.');
    if (dot && dot != name) *dot = '\0';
}

double cli_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
