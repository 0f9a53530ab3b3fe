/* Parameter sets and the optimiser: declaration and lookup, seeded
 * initialisation, Adam against a hand computation, gradient clipping and the
 * finiteness checks. */
#include "linear.h"
#include "nn_params.h"
#include "optim.h"
#include "test_util.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

START_TEST(test_params_layout) {
    NnParams set;
    nn_params_init(&set);
    ck_assert_int_eq(nn_params_add(&set, "a", 3, 5), 0);
    ck_assert_int_eq(nn_params_add(&set, "a", 1, 1), -1); // duplicate
    ck_assert_int_eq(nn_params_add(&set, "", 1, 1), -1);
    ck_assert_int_eq(nn_params_add(&set, "zero", 0, 4), -1);
    ck_assert_int_eq(linear_params_add(&set, "out", 5, 2), 1); // out.W, out.b
    ck_assert_int_eq(set.num_tensors, 3);
    ck_assert_ptr_null(nn_params_get(&set, "a")); // not allocated yet
    ck_assert_int_eq(nn_params_alloc(&set), 0);
    ck_assert_int_eq(nn_params_add(&set, "late", 1, 1), -1);

    float *a = nn_params_get(&set, "a"), *W = nn_params_get(&set, "out.W");
    float *b = nn_params_get(&set, "out.b");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(W);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(nn_params_get(&set, "missing"));
    ck_assert_int_eq(set.tensors[1].num_rows, 2);
    ck_assert_int_eq(set.tensors[1].num_cols, 5);
    ck_assert_int_eq(set.tensors[2].num_rows, 2);
    ck_assert_int_eq(set.tensors[2].num_cols, 1);
    // Tensors are disjoint, 64-byte aligned, in order, inside the block, and
    // gradients mirror values at the same offset.
    for (int i = 0; i < set.num_tensors; i++) {
        const NnTensor *t = &set.tensors[i];
        ck_assert_uint_eq((uintptr_t)t->value % 64, 0);
        ck_assert_ptr_eq(t->value, set.values + t->offset);
        ck_assert_ptr_eq(t->grad, set.grads + t->offset);
        ck_assert_uint_le(t->offset + t->num_elems, set.num_params);
        if (i > 0)
            ck_assert_uint_ge(t->offset, set.tensors[i - 1].offset + set.tensors[i - 1].num_elems);
    }
    ck_assert_ptr_eq(nn_params_get_grad(&set, "out.b"), set.tensors[2].grad);
    ck_assert_ptr_eq(set.adam_v, set.values + 3 * set.num_params);
    nn_params_free(&set);
    ck_assert_int_eq(set.num_tensors, 0);
}
END_TEST

START_TEST(test_params_init_deterministic) {
    NnParams one, two;
    nn_params_init(&one);
    nn_params_init(&two);
    for (NnParams *set = &one; set; set = set == &one ? &two : NULL) {
        ck_assert_int_eq(nn_params_add(set, "W", 8, 16), 0);
        ck_assert_int_eq(nn_params_add(set, "z", 4, 1), 1);
        nn_params_set_init(set, 1, NN_INIT_ZERO, 0.0f);
        ck_assert_int_eq(nn_params_alloc(set), 0);
    }
    nn_params_init_values(&one, 42);
    nn_params_init_values(&two, 42);
    ck_assert_mem_eq(one.values, two.values, one.num_params * sizeof(float));
    const NnTensor *W = &one.tensors[0];
    float max_abs = 0.0f;
    for (size_t k = 0; k < W->num_elems; k++)
        max_abs = fmaxf(max_abs, fabsf(W->value[k]));
    ck_assert(max_abs <= 0.25f);  // 1 / sqrt(16)
    ck_assert(max_abs > 0.2f);    // and actually spread over the range
    for (int k = 0; k < 4; k++)
        ck_assert_float_eq(one.tensors[1].value[k], 0.0f);
    nn_params_init_values(&two, 43);
    ck_assert(memcmp(one.values, two.values, W->num_elems * sizeof(float)) != 0);
    one.grads[0] = 3.0f;
    nn_params_zero_grad(&one);
    ck_assert_float_eq(one.grads[0], 0.0f);
    nn_params_free(&one);
    nn_params_free(&two);
}
END_TEST

/* A set holding one tensor "p" of n values. */
static void make_set(NnParams *set, int n) {
    nn_params_init(set);
    ck_assert_int_eq(nn_params_add(set, "p", n, 1), 0);
    ck_assert_int_eq(nn_params_alloc(set), 0);
}

START_TEST(test_adam_by_hand) {
    NnParams set;
    make_set(&set, 2);
    float *p = set.tensors[0].value, *g = set.tensors[0].grad;
    p[0] = 1.0f, p[1] = -2.0f;
    AdamState adam = adam_default();
    adam.learning_rate = 0.1f;
    // Step 1: m = 0.1 g, v = 0.001 g^2, bias-corrected m_hat = g, v_hat =
    // g^2, so each parameter moves by lr * g / (|g| + eps) = lr * sign(g).
    g[0] = 0.5f, g[1] = -3.0f;
    adam_step(&set, &adam);
    ck_assert_int_eq(adam.num_steps, 1);
    ck_assert_float_eq_tol(p[0], 1.0f - 0.1f, 1e-6f);
    ck_assert_float_eq_tol(p[1], -2.0f + 0.1f, 1e-6f);
    // Step 2 with g = (1, 0), computed in double by the formula of
    // torch.optim.Adam, with the betas as the float values Adam holds.
    g[0] = 1.0f, g[1] = 0.0f;
    adam_step(&set, &adam);
    const double b1 = 0.9f, b2 = 0.999f;
    double m0 = b1 * (1 - b1) * 0.5 + (1 - b1) * 1.0;
    double v0 = b2 * (1 - b2) * 0.25 + (1 - b2) * 1.0;
    double m1 = b1 * (1 - b1) * -3.0, v1 = b2 * (1 - b2) * 9.0;
    double c1 = 1 - b1 * b1, c2 = 1 - b2 * b2;
    double want0 = 0.9 - 0.1 * (m0 / c1) / (sqrt(v0 / c2) + 1e-8);
    double want1 = -1.9 - 0.1 * (m1 / c1) / (sqrt(v1 / c2) + 1e-8);
    ck_assert_float_eq_tol(set.adam_m[0], (float)m0, 1e-7f);
    ck_assert_float_eq_tol(set.adam_v[1], (float)v1, 1e-9f);
    ck_assert_float_eq_tol(p[0], (float)want0, 1e-6f);
    ck_assert_float_eq_tol(p[1], (float)want1, 1e-6f);
    nn_params_free(&set);
}
END_TEST

START_TEST(test_clip_grad_norm) {
    NnParams set;
    nn_params_init(&set);
    ck_assert_int_eq(nn_params_add(&set, "a", 1, 1), 0);
    ck_assert_int_eq(nn_params_add(&set, "b", 1, 1), 1);
    ck_assert_int_eq(nn_params_alloc(&set), 0);
    float *ga = set.tensors[0].grad, *gb = set.tensors[1].grad;
    ga[0] = 3.0f, gb[0] = 4.0f; // norm 5 across two tensors
    ck_assert_float_eq_tol(nn_grad_norm(&set), 5.0f, 1e-6f);
    ck_assert_float_eq_tol(nn_clip_grad_norm(&set, 1.0f), 5.0f, 1e-6f);
    ck_assert_float_eq_tol(ga[0], 0.6f, 1e-6f);
    ck_assert_float_eq_tol(gb[0], 0.8f, 1e-6f);
    ck_assert_float_eq_tol(nn_grad_norm(&set), 1.0f, 1e-6f);
    // Within bounds: untouched.
    ck_assert_float_eq_tol(nn_clip_grad_norm(&set, 2.0f), 1.0f, 1e-6f);
    ck_assert_float_eq_tol(ga[0], 0.6f, 1e-6f);
    nn_params_free(&set);
}
END_TEST

START_TEST(test_finite_checks) {
    NnParams set;
    make_set(&set, 40);
    ck_assert_int_eq(nn_grads_finite(&set), 1);
    set.tensors[0].grad[17] = NAN;
    ck_assert_int_eq(nn_grads_finite(&set), 0);
    set.tensors[0].grad[17] = -INFINITY;
    ck_assert_int_eq(nn_grads_finite(&set), 0);
    // Clipping leaves non-finite gradients alone and reports the norm.
    ck_assert(!isfinite(nn_clip_grad_norm(&set, 1.0f)));
    set.tensors[0].grad[17] = 1e30f; // finite, though its square is not
    ck_assert_int_eq(nn_grads_finite(&set), 1);
    ck_assert_int_eq(nn_is_finite(1.5f), 1);
    ck_assert_int_eq(nn_is_finite(NAN), 0);
    ck_assert_int_eq(nn_is_finite(INFINITY), 0);
    nn_params_free(&set);
}
END_TEST

static Suite *nn_optim_suite(void) {
    Suite *suite = suite_create("nn_optim");
    TCase *tc = tcase_create("optim");
    tcase_add_test(tc, test_params_layout);
    tcase_add_test(tc, test_params_init_deterministic);
    tcase_add_test(tc, test_adam_by_hand);
    tcase_add_test(tc, test_clip_grad_norm);
    tcase_add_test(tc, test_finite_checks);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void) { return test_run_suite(nn_optim_suite()); }
