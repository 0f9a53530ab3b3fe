/* Diagnostics, defaults and small parsing helpers shared by the subcommands. */
#include "cli.h"
#include "ctc_text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* model_path with ".lm" for its extension, into buf; NULL when it does not
 * fit. */
static const char *lm_path_beside(const char *model_path, char *buf, size_t len) {
    const char *slash = strrchr(model_path, '/'), *dot = strrchr(model_path, '.');
    size_t stem = dot && dot > (slash ? slash : model_path) ? (size_t)(dot - model_path)
                                                            : strlen(model_path);
    if (stem + sizeof ".lm" > len)
        return NULL;
    snprintf(buf, len, "%.*s.lm", (int)stem, model_path);
    return buf;
}

const char *cli_model_lm_path(const char *model_path, char *buf, size_t len) {
    if (!model_path || !lm_path_beside(model_path, buf, len))
        return NULL;
    return access(buf, F_OK) == 0 ? buf : NULL;
}

/* Copies the file from to the new file to; 0, or -1 with errno set (a
 * partial copy is removed). */
static int copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wbx") : NULL;
    char buf[65536];
    size_t n;
    int ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in);
    int saved = errno;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    if (!ok && out) remove(to);
    errno = saved;
    return ok ? 0 : -1;
}

int cli_keep_language_model(const char *init_path, const char *out_path) {
    char init_lm[4096], out_lm[4096];
    if (!init_path || !cli_model_lm_path(init_path, init_lm, sizeof init_lm))
        return 0;
    if (!lm_path_beside(out_path, out_lm, sizeof out_lm) || access(out_lm, F_OK) == 0)
        return 0; /* it has one already: the user's to keep */
    if (copy_file(init_lm, out_lm) != 0) {
        cli_error(out_lm, "cannot copy the language model of %s here: %s", init_path,
                  strerror(errno));
        return -1;
    }
    cli_note("copied %s's language model to %s\n", init_path, out_lm);
    return 0;
}

int cli_decode_options(const cli_decode_request *req, transcribe_options *out) {
    const char *lexicon_path = req->lexicon_path ? req->lexicon_path : getenv("S2S_LEXICON");
    char model_lm[4096], err[CLI_ERR_LEN];
    const char *lm_path = req->lm_path ? req->lm_path : getenv("S2S_LM");
    if (!lm_path)
        lm_path = cli_model_lm_path(req->model_path, model_lm, sizeof model_lm);
    if (req->no_lm)
        lm_path = NULL;
    const int lm_order = req->lm_order ? req->lm_order : CLI_LM_ORDER;
    ctc_lexicon *lexicon = NULL;
    char_lm *lm = NULL;
    if (lexicon_path && *lexicon_path &&
        !(lexicon = ctc_text_load_lexicon(lexicon_path, err, sizeof err))) {
        cli_error(lexicon_path, "%s", err);
        return -1;
    }
    if (lm_path && *lm_path && !(lm = ctc_text_load_char_lm(lm_path, lm_order, err, sizeof err))) {
        cli_error(lm_path, "%s", err);
        ctc_lexicon_free(lexicon);
        return -1;
    }
    *out = (transcribe_options){
        .beam_width = req->beam ? req->beam : lexicon ? 64 : lm ? CLI_LM_BEAM : 8,
        .lexicon = lexicon,
        .lm = lm,
        .lm_weight = (float)(req->lm_weight_set ? req->lm_weight : CLI_LM_WEIGHT),
        .label_bonus = (float)(req->label_bonus_set ? req->label_bonus : CLI_LM_LABEL_BONUS)};
    return 0;
}

int cli_decode_option(const char *command, int c, const char *value, cli_decode_request *req) {
    long beam; /* or order */
    switch (c) {
    case CLI_OPT_BEAM:
        if (cli_parse_int(command, "--beam", value, 1, 1000, &beam) != 0)
            return -1;
        req->beam = (int)beam;
        return 1;
    case CLI_OPT_LEXICON: req->lexicon_path = value; return 1;
    case CLI_OPT_LM: req->lm_path = value; return 1;
    case CLI_OPT_NO_LM: req->no_lm = 1; return 1;
    case CLI_OPT_LM_ORDER:
        if (cli_parse_int(command, "--lm-order", value, 1, CHAR_LM_MAX_ORDER, &beam) != 0)
            return -1;
        req->lm_order = (int)beam;
        return 1;
    case CLI_OPT_LM_WEIGHT:
        req->lm_weight_set = 1;
        return cli_parse_float(command, "--lm-weight", value, 0, 100, &req->lm_weight) ? -1 : 1;
    case CLI_OPT_LM_BONUS:
        req->label_bonus_set = 1;
        return cli_parse_float(command, "--lm-bonus", value, -100, 100, &req->label_bonus) ? -1 : 1;
    default: return 0;
    }
}

void cli_decode_free(transcribe_options *opt) {
    ctc_lexicon_free((ctc_lexicon *)opt->lexicon);
    char_lm_free((char_lm *)opt->lm);
    opt->lexicon = NULL, opt->lm = NULL;
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
