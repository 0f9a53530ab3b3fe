/* Parameter sets: declaration, one-block allocation, lookup and seeded
 * initialisation of every trainable array of a network.  See nn_params.h. */
#include "nn_params.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Tensors start on multiples of this many floats (64 bytes). */
#define NN_ALIGN_FLOATS 16

void nn_params_init(NnParams *set) { memset(set, 0, sizeof *set); }

void nn_params_free(NnParams *set) {
    free(set->tensors);
    free(set->memory);
    nn_params_init(set);
}

int nn_params_add(NnParams *set, const char *name, int num_rows, int num_cols) {
    if (set->memory || !name || !name[0] || strlen(name) >= NN_TENSOR_NAME_MAX)
        return -1;
    if (num_rows <= 0 || num_cols <= 0 || nn_params_find(set, name) >= 0)
        return -1;
    if (set->num_tensors == set->capacity) {
        int capacity = set->capacity ? 2 * set->capacity : 16;
        NnTensor *grown = realloc(set->tensors, (size_t)capacity * sizeof *grown);
        if (!grown)
            return -1;
        set->tensors = grown;
        set->capacity = capacity;
    }
    NnTensor *t = &set->tensors[set->num_tensors];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->num_rows = num_rows;
    t->num_cols = num_cols;
    t->num_elems = (size_t)num_rows * (size_t)num_cols;
    t->offset = set->num_params;
    t->init_kind = NN_INIT_UNIFORM;
    t->init_bound = 1.0f / sqrtf((float)num_cols);
    size_t padded = (t->num_elems + NN_ALIGN_FLOATS - 1) / NN_ALIGN_FLOATS * NN_ALIGN_FLOATS;
    set->num_params += padded;
    return set->num_tensors++;
}

int nn_params_set_init(NnParams *set, int index, NnInitKind kind, float bound) {
    if (index < 0 || index >= set->num_tensors)
        return -1;
    set->tensors[index].init_kind = kind;
    set->tensors[index].init_bound = bound;
    return 0;
}

int nn_params_alloc(NnParams *set) {
    if (set->memory)
        return -1;
    /* aligned_alloc wants a size that is a multiple of the alignment;
     * num_params is a multiple of NN_ALIGN_FLOATS, and never zero here. */
    size_t num_floats = 4 * (set->num_params ? set->num_params : NN_ALIGN_FLOATS);
    float *memory = aligned_alloc(NN_ALIGN_FLOATS * sizeof(float), num_floats * sizeof(float));
    if (!memory)
        return -1;
    memset(memory, 0, num_floats * sizeof(float));
    set->memory = memory;
    set->values = memory;
    set->grads = memory + set->num_params;
    set->adam_m = memory + 2 * set->num_params;
    set->adam_v = memory + 3 * set->num_params;
    for (int i = 0; i < set->num_tensors; i++) {
        set->tensors[i].value = set->values + set->tensors[i].offset;
        set->tensors[i].grad = set->grads + set->tensors[i].offset;
    }
    return 0;
}

int nn_params_find(const NnParams *set, const char *name) {
    for (int i = 0; i < set->num_tensors; i++)
        if (strcmp(set->tensors[i].name, name) == 0)
            return i;
    return -1;
}

float *nn_params_get(const NnParams *set, const char *name) {
    int i = nn_params_find(set, name);
    return i >= 0 ? set->tensors[i].value : NULL;
}

float *nn_params_get_grad(const NnParams *set, const char *name) {
    int i = nn_params_find(set, name);
    return i >= 0 ? set->tensors[i].grad : NULL;
}

void nn_params_zero_grad(NnParams *set) {
    if (set->grads)
        memset(set->grads, 0, set->num_params * sizeof(float));
}

float nn_random_uniform(uint64_t *state) {
    /* splitmix64: a full-period generator whose every seed is a good one. */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    /* Top 24 bits: exactly representable, so the result is in [-1, 1). */
    return (float)(z >> 40) / (float)(1u << 23) - 1.0f;
}

void nn_params_init_values(NnParams *set, uint64_t seed) {
    if (!set->memory)
        return;
    memset(set->memory, 0, 4 * set->num_params * sizeof(float));
    uint64_t state = seed;
    for (int i = 0; i < set->num_tensors; i++) {
        NnTensor *t = &set->tensors[i];
        if (t->init_kind == NN_INIT_ZERO)
            continue;
        for (size_t j = 0; j < t->num_elems; j++)
            t->value[j] = t->init_bound * nn_random_uniform(&state);
        if (t->init_kind == NN_INIT_LSTM_BIAS) {
            size_t hidden_size = t->num_elems / 4;
            for (size_t j = hidden_size; j < 2 * hidden_size; j++)
                t->value[j] = 1.0f;
        }
    }
}
