/* The lexicon trie: nodes in one array, each node's children in a linked
 * list (an alphabet of ~30 labels; a child table per node would cost 30
 * ints for each of a large word list's ~250k nodes). */
#include "ctc_lexicon.h"
#include <stdlib.h>

typedef struct {
    int label, first_child, next_sibling;
    int is_word;
} lexicon_node;

struct ctc_lexicon {
    lexicon_node *nodes;
    int num, cap;
    long num_words;
};

static int add_node(ctc_lexicon *lexicon, int label) {
    if (lexicon->num == lexicon->cap) {
        int cap = lexicon->cap ? 2 * lexicon->cap : 1024;
        lexicon_node *grown = realloc(lexicon->nodes, sizeof *grown * cap);
        if (!grown)
            return -1;
        lexicon->nodes = grown, lexicon->cap = cap;
    }
    lexicon->nodes[lexicon->num] =
        (lexicon_node){.label = label, .first_child = -1, .next_sibling = -1, .is_word = 0};
    return lexicon->num++;
}

ctc_lexicon *ctc_lexicon_new(void) {
    ctc_lexicon *lexicon = calloc(1, sizeof *lexicon);
    if (lexicon && add_node(lexicon, -1) != CTC_LEXICON_ROOT) {
        ctc_lexicon_free(lexicon);
        return NULL;
    }
    return lexicon;
}

void ctc_lexicon_free(ctc_lexicon *lexicon) {
    if (!lexicon)
        return;
    free(lexicon->nodes);
    free(lexicon);
}

int ctc_lexicon_next(const ctc_lexicon *lexicon, int node, int label) {
    for (int c = lexicon->nodes[node].first_child; c >= 0; c = lexicon->nodes[c].next_sibling)
        if (lexicon->nodes[c].label == label)
            return c;
    return -1;
}

int ctc_lexicon_add(ctc_lexicon *lexicon, const int *labels, int n) {
    if (n < 1)
        return -1;
    int node = CTC_LEXICON_ROOT;
    for (int i = 0; i < n; i++) {
        int child = ctc_lexicon_next(lexicon, node, labels[i]);
        if (child < 0) {
            child = add_node(lexicon, labels[i]);
            if (child < 0)
                return -1;
            lexicon->nodes[child].next_sibling = lexicon->nodes[node].first_child;
            lexicon->nodes[node].first_child = child;
        }
        node = child;
    }
    if (!lexicon->nodes[node].is_word) {
        lexicon->nodes[node].is_word = 1;
        lexicon->num_words++;
    }
    return 0;
}

int ctc_lexicon_is_word(const ctc_lexicon *lexicon, int node) {
    return lexicon->nodes[node].is_word;
}

long ctc_lexicon_num_words(const ctc_lexicon *lexicon) { return lexicon->num_words; }
