/* Transcripts as text and written-phrase search: the index's transcript
 * format round-trips and refuses malformed lines; phrase normalisation; the
 * fuzzy phrase scorer (best run of words ending at each word) against a
 * brute-force enumeration of every run on random small transcripts; merging
 * of overlapping runs. */
#include "phrase_match.h"
#include "test_util.h"
#include "transcript_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static transcript make_transcript(const char *const *words, int n) {
    transcript t = {calloc((size_t)n + 1, sizeof(transcript_word)), n};
    for (int i = 0; i < n; i++) {
        snprintf(t.words[i].text, TRANSCRIPT_WORD_MAX, "%s", words[i]);
        t.words[i].start_s = i, t.words[i].end_s = i + 0.5;
    }
    return t;
}

START_TEST(test_format_round_trip) {
    const char *words[] = {"white", "house", "don't"};
    transcript t = make_transcript(words, 3);
    t.words[2].start_s = 12.345, t.words[2].end_s = 13.0;
    char *text = transcript_format(&t);
    ck_assert_str_eq(text, "0.00\t0.50\twhite\n1.00\t1.50\thouse\n12.35\t13.00\tdon't\n");
    transcript back;
    char err[128];
    ck_assert_int_eq(transcript_parse(text, &back, err, sizeof err), 0);
    ck_assert_int_eq(back.num_words, 3);
    ck_assert_str_eq(back.words[2].text, "don't");
    ck_assert(back.words[2].start_s == 12.35 && back.words[2].end_s == 13.0);
    ck_assert(back.words[1].start_s == 1.0 && back.words[1].end_s == 1.5);
    free(text);
    transcript_free(&back);
    transcript_free(&t);

    transcript empty = {0};
    text = transcript_format(&empty);
    ck_assert_str_eq(text, "");
    ck_assert_int_eq(transcript_parse(text, &back, err, sizeof err), 0);
    ck_assert_int_eq(back.num_words, 0);
    free(text);
    /* No newline after the last line. */
    ck_assert_int_eq(transcript_parse("1\t2\ta\n3\t4\tbc", &back, err, sizeof err), 0);
    ck_assert_int_eq(back.num_words, 2);
    ck_assert_str_eq(back.words[1].text, "bc");
    transcript_free(&back);
}
END_TEST

START_TEST(test_parse_refuses_bad_lines) {
    const char *bad[] = {
        "1\t2\n",              /* two fields */
        "1\t2\t\n",            /* empty word */
        "x\t2\tword\n",        /* start not a number */
        "1\ty\tword\n",        /* end not a number */
        "3\t2\tword\n",        /* start after end */
        "1\t2\ta\tb\n",        /* four fields */
        "1\t2\ta\n\n",         /* empty line */
        "nan\t2\ta\n",         /* not finite */
        "1\t2\ta\n1\t\n2\tb\n" /* a line split across two */
    };
    char err[128];
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        transcript t;
        err[0] = 0;
        ck_assert_msg(transcript_parse(bad[k], &t, err, sizeof err) == -1, "accepted %zu", k);
        ck_assert_int_eq(t.num_words, 0);
        ck_assert_ptr_null(t.words);
        ck_assert_msg(strstr(err, "line") != NULL, "%s", err);
    }
    char longword[TRANSCRIPT_WORD_MAX + 16];
    snprintf(longword, sizeof longword, "1\t2\t");
    memset(longword + 4, 'a', TRANSCRIPT_WORD_MAX);
    longword[4 + TRANSCRIPT_WORD_MAX] = 0;
    transcript t;
    ck_assert_int_eq(transcript_parse(longword, &t, err, sizeof err), -1);
}
END_TEST

START_TEST(test_normalise) {
    char out[64];
    ck_assert_int_eq(phrase_normalise("  White-House, 42!", out, sizeof out), 20);
    ck_assert_str_eq(out, "white house four two");
    ck_assert_int_eq(phrase_normalise("?!", out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(phrase_normalise("white house", out, 5), -1);
}
END_TEST

static int levenshtein(const char *a, const char *b) {
    int la = (int)strlen(a), lb = (int)strlen(b);
    int *row = malloc(sizeof(int) * (lb + 1));
    for (int j = 0; j <= lb; j++) row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int v = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < v) v = up + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    int d = row[lb];
    free(row);
    return d;
}

/* The best run ending at word j by enumerating every start. */
static void brute_best_run(const char *phrase, const transcript *t, int j, int *distance,
                           int *first) {
    *distance = -1;
    for (int i = 0; i <= j; i++) {
        char run[512] = "";
        for (int k = i; k <= j; k++) {
            if (k > i) strcat(run, " ");
            strcat(run, t->words[k].text);
        }
        int d = levenshtein(phrase, run);
        if (*distance < 0 || d <= *distance) *distance = d, *first = i; /* ties: later start */
    }
}

START_TEST(test_best_runs_match_brute_force) {
    uint64_t rng = 11;
    const char letters[] = "abc";
    for (int trial = 0; trial < 400; trial++) {
        int n = 1 + (int)((test_random_uniform(&rng) + 1) * 3.5); /* 1..7 words */
        transcript t = {calloc((size_t)n, sizeof(transcript_word)), n};
        for (int w = 0; w < n; w++) {
            int len = 1 + (int)((test_random_uniform(&rng) + 1) * 2); /* 1..4 letters */
            for (int c = 0; c < len; c++)
                t.words[w].text[c] = letters[(int)((test_random_uniform(&rng) + 1) * 1.5)];
            t.words[w].start_s = w, t.words[w].end_s = w + 0.9;
        }
        char phrase[16];
        int m = 1 + (int)((test_random_uniform(&rng) + 1) * 4); /* 1..8 characters */
        for (int c = 0; c < m; c++)
            phrase[c] = c > 0 && c < m - 1 && test_random_uniform(&rng) > 0.6f
                            ? ' '
                            : letters[(int)((test_random_uniform(&rng) + 1) * 1.5)];
        phrase[m] = 0;
        phrase_run *runs = malloc(sizeof *runs * n);
        ck_assert_int_eq(phrase_best_runs(phrase, &t, runs), 0);
        for (int j = 0; j < n; j++) {
            int distance, first;
            brute_best_run(phrase, &t, j, &distance, &first);
            ck_assert_int_eq(runs[j].last_word, j);
            ck_assert_msg(runs[j].distance == distance && runs[j].first_word == first,
                          "trial %d phrase '%s' word %d: got %d from %d, brute force %d from %d",
                          trial, phrase, j, runs[j].distance, runs[j].first_word, distance, first);
            ck_assert_float_eq_tol(runs[j].score, 1.0f - (float)distance / m, 1e-6);
        }
        free(runs);
        transcript_free(&t);
    }
}
END_TEST

START_TEST(test_best_runs_find_a_misrecognised_phrase) {
    const char *words[] = {"the", "wite", "hous", "was", "whit", "horse"};
    transcript t = make_transcript(words, 6);
    phrase_run runs[6];
    ck_assert_int_eq(phrase_best_runs("white house", &t, runs), 0);
    /* "wite hous": two letters missing; the start snaps to "wite". */
    ck_assert_int_eq(runs[2].first_word, 1);
    ck_assert_int_eq(runs[2].distance, 2);
    ck_assert_float_eq_tol(runs[2].score, 1.0f - 2.0f / 11.0f, 1e-6);
    /* "whit horse": a letter missing, one changed. */
    ck_assert_int_eq(runs[5].first_word, 4);
    ck_assert_int_eq(runs[5].distance, 2);
    ck_assert_int_eq(phrase_merge_runs(runs, 6, &t, 0.0f, 0) >= 2, 1);
    ck_assert_int_eq(runs[0].last_word, 2);
    ck_assert_int_eq(runs[1].last_word, 5);
    transcript_free(&t);
}
END_TEST

START_TEST(test_merge_runs) {
    const char *words[] = {"a", "b", "c", "d"};
    transcript t = make_transcript(words, 4); /* word k spans [k, k + 0.5] */
    phrase_run runs[] = {
        {0, 1, 1, 0.5f},  /* 0.0-1.5 */
        {1, 1, 0, 0.9f},  /* 1.0-1.5: inside the first, better: kept first */
        {2, 3, 2, 0.5f},  /* 2.0-3.5: overlaps nothing kept */
        {3, 3, 3, 0.25f}, /* 3.0-3.5: inside the one before */
        {2, 2, 9, -1.0f}, /* below the minimum */
    };
    int kept = phrase_merge_runs(runs, 5, &t, 0.0f, 0);
    ck_assert_int_eq(kept, 2);
    ck_assert(runs[0].first_word == 1 && runs[0].score == 0.9f);
    ck_assert(runs[1].first_word == 2 && runs[1].last_word == 3);
    phrase_run one[] = {{0, 0, 1, 0.5f}, {3, 3, 0, 0.7f}};
    ck_assert_int_eq(phrase_merge_runs(one, 2, &t, 0.0f, 1), 1);
    ck_assert_int_eq(one[0].first_word, 3);
    transcript_free(&t);
}
END_TEST

int main(void) {
    Suite *s = suite_create("transcript_text");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_format_round_trip);
    tcase_add_test(tc, test_parse_refuses_bad_lines);
    tcase_add_test(tc, test_normalise);
    tcase_add_test(tc, test_best_runs_match_brute_force);
    tcase_add_test(tc, test_best_runs_find_a_misrecognised_phrase);
    tcase_add_test(tc, test_merge_runs);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
