/* Character n-gram model (char_lm.h).  Every label sequence s of length
 * 0..order has one hash entry holding
 *   count  how often s was seen (as an n-gram ending at a counted label),
 *   total  how often a label was counted right after s (s as a history),
 *   types  how many distinct labels were counted right after s,
 * which is all Witten-Bell needs:
 *   P(c | s) = (count(s c) + types(s) P(c | s')) / (total(s) + types(s)),
 * s' being s without its oldest label, and P(c | empty's parent) uniform. */
#include "char_lm.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* A key is length << LENGTH_SHIFT | the labels packed oldest first, 5 bits
 * each (50 bits at most); the bits between hold the entry's types (at most
 * 32), so that an entry takes 16 bytes. */
enum { LABEL_BITS = 5, TYPES_SHIFT = 52, LENGTH_SHIFT = 60 };
#define KEY_MASK (~((uint64_t)0xff << TYPES_SHIFT))
#define EMPTY_KEY UINT64_MAX

typedef struct {
    uint64_t key_types; /* the key, and types in the bits KEY_MASK clears */
    uint32_t count, total;
} lm_entry;

static uint64_t key_of(const lm_entry *e) { return e->key_types & KEY_MASK; }
static unsigned types_of(const lm_entry *e) { return (unsigned)(e->key_types >> TYPES_SHIFT) & 0xff; }

struct char_lm {
    int order, num_labels, separator;
    lm_entry *table; /* open addressing, linear probing */
    size_t capacity, num_entries; /* capacity a power of two, at most 3/4 full */
    int recent[CHAR_LM_MAX_ORDER]; /* the stream's last order-1 labels, oldest first */
    int num_recent;
    /* Where the n-grams of lengths 0..order ending at the last counted label
     * were (hint[n]): the next label's histories are those n-grams, so
     * counting tries these slots before probing (a hint is only a guess,
     * checked against the key: a grow may have moved the entry) */
    size_t hint[CHAR_LM_MAX_ORDER + 1];
    long num_seen, num_ngrams;
};

/* The key of labels[0..n). */
static uint64_t pack(const int *labels, int n) {
    uint64_t key = (uint64_t)n << LENGTH_SHIFT;
    for (int i = 0; i < n; i++)
        key |= (uint64_t)labels[i] << (LABEL_BITS * i);
    return key;
}

static size_t slot_of(uint64_t key, size_t capacity) {
    key ^= key >> 33; /* splitmix64's finaliser spreads the packed bits */
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return (size_t)key & (capacity - 1);
}

/* The entry of key, or NULL when it was never counted. */
static const lm_entry *lookup(const char_lm *lm, uint64_t key) {
    for (size_t i = slot_of(key, lm->capacity);; i = (i + 1) & (lm->capacity - 1)) {
        if (key_of(&lm->table[i]) == key)
            return &lm->table[i];
        if (lm->table[i].key_types == EMPTY_KEY)
            return NULL;
    }
}

static int grow(char_lm *lm) {
    size_t capacity = lm->capacity * 2;
    lm_entry *table = malloc(sizeof *table * capacity);
    if (!table)
        return -1;
    for (size_t i = 0; i < capacity; i++)
        table[i].key_types = EMPTY_KEY;
    for (size_t i = 0; i < lm->capacity; i++) {
        if (lm->table[i].key_types == EMPTY_KEY)
            continue;
        size_t j = slot_of(key_of(&lm->table[i]), capacity);
        while (table[j].key_types != EMPTY_KEY)
            j = (j + 1) & (capacity - 1);
        table[j] = lm->table[i];
    }
    free(lm->table);
    lm->table = table, lm->capacity = capacity;
    return 0;
}

/* The entry of key, created with zero counts when new; NULL when out of
 * memory.  Tries slot hint first (any value is safe). */
static lm_entry *find_or_add(char_lm *lm, uint64_t key, size_t hint) {
    if (hint < lm->capacity && key_of(&lm->table[hint]) == key)
        return &lm->table[hint];
    if (4 * (lm->num_entries + 1) > 3 * lm->capacity && grow(lm) != 0)
        return NULL;
    size_t i = slot_of(key, lm->capacity);
    while (key_of(&lm->table[i]) != key && lm->table[i].key_types != EMPTY_KEY)
        i = (i + 1) & (lm->capacity - 1);
    if (lm->table[i].key_types == EMPTY_KEY) {
        lm->table[i] = (lm_entry){.key_types = key};
        lm->num_entries++;
    }
    return &lm->table[i];
}

char_lm *char_lm_new(int order, int num_labels, int separator) {
    if (order < 1 || order > CHAR_LM_MAX_ORDER || num_labels < 1 || num_labels > 32 ||
        separator < 0 || separator >= num_labels)
        return NULL;
    char_lm *lm = calloc(1, sizeof *lm);
    if (!lm)
        return NULL;
    lm->order = order, lm->num_labels = num_labels, lm->separator = separator;
    lm->capacity = 1024;
    lm->table = malloc(sizeof *lm->table * lm->capacity);
    if (!lm->table) {
        free(lm);
        return NULL;
    }
    for (size_t i = 0; i < lm->capacity; i++)
        lm->table[i].key_types = EMPTY_KEY;
    lm->recent[0] = separator; /* the stream starts as if after a word break */
    lm->num_recent = order > 1;
    return lm;
}

void char_lm_free(char_lm *lm) {
    if (!lm)
        return;
    free(lm->table);
    free(lm);
}

/* Counts label after the stream's recent labels, for every history length. */
static int count_one(char_lm *lm, int label) {
    int seq[CHAR_LM_MAX_ORDER + 1];
    const int h_max = lm->num_recent; /* <= order - 1 */
    for (int i = 0; i < h_max; i++)
        seq[i] = lm->recent[i];
    seq[h_max] = label;
    size_t next_hint[CHAR_LM_MAX_ORDER + 1];
    next_hint[0] = lm->hint[0]; /* the empty sequence ends everywhere */
    for (int h = 0; h <= h_max; h++) {
        // the n-gram is the last h recent labels and label; its history those h
        const int *ngram = seq + (h_max - h);
        lm_entry *e = find_or_add(lm, pack(ngram, h + 1), SIZE_MAX);
        if (!e)
            return -1;
        const int is_new = e->count++ == 0;
        lm->num_ngrams += is_new;
        next_hint[h + 1] = (size_t)(e - lm->table);
        lm_entry *history = find_or_add(lm, pack(ngram, h), lm->hint[h]);
        if (!history)
            return -1;
        history->total++;
        history->key_types += (uint64_t)is_new << TYPES_SHIFT;
        if (h == 0) next_hint[0] = (size_t)(history - lm->table);
    }
    for (int h = 0; h <= h_max + 1; h++)
        lm->hint[h] = next_hint[h];
    if (lm->order > 1) {
        if (lm->num_recent == lm->order - 1) {
            for (int i = 1; i < lm->num_recent; i++)
                lm->recent[i - 1] = lm->recent[i];
            lm->num_recent--;
        }
        lm->recent[lm->num_recent++] = label;
    }
    lm->num_seen++;
    return 0;
}

int char_lm_add(char_lm *lm, const int *labels, int n) {
    for (int i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= lm->num_labels || count_one(lm, labels[i]) != 0)
            return -1;
    }
    return 0;
}

long char_lm_num_labels_seen(const char_lm *lm) { return lm->num_seen; }

long char_lm_num_ngrams(const char_lm *lm) { return lm->num_ngrams; }

int char_lm_order(const char_lm *lm) { return lm->order; }

double char_lm_log_prob(const char_lm *lm, const int *history, int n, int label) {
    // seq: the history read (at most order-1 labels, a separator before a
    // short one), then label
    int seq[CHAR_LM_MAX_ORDER + 1], h_max = 0;
    if (n < lm->order - 1)
        seq[h_max++] = lm->separator;
    for (int i = n - (lm->order - 1 - h_max); i < n; i++)
        if (i >= 0)
            seq[h_max++] = history[i];
    seq[h_max] = label;
    double p = 1.0 / lm->num_labels;
    for (int h = 0; h <= h_max; h++) {
        const int *ngram = seq + (h_max - h);
        const lm_entry *history_entry = lookup(lm, pack(ngram, h));
        if (!history_entry || history_entry->total == 0)
            break; /* no longer history was seen either */
        const lm_entry *e = lookup(lm, pack(ngram, h + 1));
        const double count = e ? e->count : 0;
        const double types = types_of(history_entry);
        p = (count + types * p) / (history_entry->total + types);
    }
    return log(p);
}
