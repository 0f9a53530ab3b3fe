/* Matrix products of the network in one of two precisions.
 *
 *   fp32:  OpenBLAS cblas_sgemm, everything in single precision.
 *   bf16:  mixed precision: both operands rounded to bfloat16 (8-bit
 *          mantissa, round to nearest even), products summed in fp32 by the
 *          AVX512-BF16 instruction VDPBF16PS (twice the multiply-adds of an
 *          fp32 FMA per instruction, half the bytes per weight).  Weights,
 *          gradients, Adam moments and every activation stay fp32: only the
 *          inputs of a product are rounded, as in PyTorch's bf16 autocast.
 *
 * Which one runs is a process-wide choice (nn_gemm_precision): the
 * S2S_PRECISION environment variable ("fp32", "bf16" or "auto", read once),
 * or nn_gemm_set_precision; "auto" (the default) means bf16 when the CPU has
 * AVX512-BF16 (checked at run time; the kernel's file is compiled with
 * per-function target attributes so the rest of the build runs on any
 * x86-64) and fp32 otherwise.  Asking for bf16 on a CPU without it gives
 * fp32.
 *
 * bf16 operands are packed by the caller into caller-owned buffers (nothing
 * is allocated here), so a weight matrix used at every time step is packed
 * once:
 *   A (M, K): nn_gemm_bf16_pack_a; `trans` = 0 when A is stored (M, K)
 *             row-major with leading dimension lda, 1 when A^T is stored
 *             (K, M) (cblas's CblasTrans).
 *   B (K, N): nn_gemm_bf16_pack_b, `trans` likewise ((K, N) or (N, K)).
 * nn_gemm_bf16 then ADDS A · B into C (M, N).  Each row of C depends only on
 * its row of A and on B, summed in the same order whatever M is, so a
 * sequence's result does not depend on what else is in its batch. */
#ifndef S2S_NN_GEMM_H
#define S2S_NN_GEMM_H
#include <stddef.h>
#include <stdint.h>

typedef enum { NN_PRECISION_FP32 = 0, NN_PRECISION_BF16 = 1 } nn_precision;

/* 1 when this CPU (and OS) can run the bf16 kernel. */
int nn_gemm_bf16_supported(void);

/* The precision in effect (see above). Thread-safe. */
nn_precision nn_gemm_precision(void);
const char *nn_precision_name(nn_precision p);

/* Sets the precision from "fp32", "bf16" or "auto" (bf16 falls back to
 * fp32 when unsupported).  Returns 0, or -1 for another name (nothing
 * changed).  Call before starting threads that multiply. */
int nn_gemm_set_precision(const char *name);

/* Sizes, in uint16 elements, of packed operands. */
size_t nn_gemm_bf16_a_size(int M, int K);
size_t nn_gemm_bf16_b_size(int K, int N);

/* Packs A (M, K) (stored (M, K) with lda, or (K, M) when trans) into dst
 * (nn_gemm_bf16_a_size(M, K) elements).  The layout depends on trans; pass
 * the same trans to nn_gemm_bf16. */
void nn_gemm_bf16_pack_a(uint16_t *dst, const float *A, int lda, int trans, int M, int K);

/* Packs the rows of [A1 | A2] (M, K1 + K2) untransposed, each part rounded
 * up to an even length (a zero after an odd one), so that one product with
 * K = round_up(K1, 2) + round_up(K2, 2) does A1 · B1 + A2 · B2 when B was
 * packed as B1 (K1 rows) followed by B2 at nn_gemm_bf16_b_size(K1, N):
 * an LSTM step's input and recurrent products in one.  dst holds
 * nn_gemm_bf16_a_size(M, that K) elements. */
void nn_gemm_bf16_pack_a_concat(uint16_t *dst, const float *A1, int ld1, int K1,
                                const float *A2, int ld2, int K2, int M);

/* Packs B (K, N) (stored (K, N) with ldb, or (N, K) when trans) into dst
 * (nn_gemm_bf16_b_size(K, N) elements). */
void nn_gemm_bf16_pack_b(uint16_t *dst, const float *B, int ldb, int trans, int K, int N);

/* C (M, N) with leading dimension ldc += A · B, from packed operands (A
 * packed with a_trans).  Only on a CPU where nn_gemm_bf16_supported(). */
void nn_gemm_bf16(float *C, int ldc, const uint16_t *A, int a_trans, const uint16_t *B, int M,
                  int N, int K);

/* Scratch (uint16 elements) nn_gemm needs for an (M, N, K) product. */
size_t nn_gemm_scratch_size(int M, int N, int K);

/* C (M, N) = op(A) · op(B) + beta * C, with op(X) = X or X^T as cblas
 * (row-major; trans_a / trans_b nonzero for transposed).  With scratch
 * (nn_gemm_scratch_size(M, N, K) elements) the operands are packed into it
 * and multiplied in bf16; with NULL, cblas_sgemm.  So the caller chooses
 * the precision when it allocates its scratch (only when
 * nn_gemm_precision() is bf16): a layer's buffers fix its precision, and
 * changing the process-wide setting later does not mix the two within one
 * forward/backward pair. */
void nn_gemm(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc, uint16_t *scratch);

/* Benchmark: GFLOP/s of the bf16 kernel on (n, n) x (n, n) products, the
 * left operand packed each time, summed over num_threads threads each
 * multiplying its own matrices for about a second (how training uses it:
 * one single-threaded product per worker).  -1 without AVX512-BF16. */
double nn_gemm_bf16_gflops(int n, int num_threads);

/* How many threads OpenBLAS may use for one product.  s2s runs its own
 * threads (one per recording or batch share), so every caller but the
 * sgemm peak measurement asks for 1: BLAS threads beside them only spin. */
void nn_blas_set_threads(int num_threads);

#endif
