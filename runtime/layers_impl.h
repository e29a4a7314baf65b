/* layers_impl.h — the layer and loss rules, written once for a type REAL. Included only
 * by layers.c, once per type, with REAL, SUFFIX and MATMUL defined; not a header to
 * include elsewhere. MATMUL(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work)
 * is k_gemm for float and a plain triple loop for double. */

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SUFFIX)

void FN(dense_forward)(REAL *out, const REAL *in, const REAL *w, const REAL *b, int64_t B,
                       int64_t I, int64_t O, float *work)
{
	MATMUL(false, true, B, O, I, in, I, w, I, out, O, false, work);
	for (int64_t r = 0; b && r < B; r++)
		for (int64_t o = 0; o < O; o++)
			out[r * O + o] += b[o];
}

void FN(dense_backward)(REAL *din, REAL *dw, REAL *db, const REAL *dout, const REAL *in,
                        const REAL *w, int64_t B, int64_t I, int64_t O, float *work)
{
	MATMUL(true, false, O, I, B, dout, O, in, I, dw, I, true, work); /* dW += doutᵀ·in */
	for (int64_t r = 0; db && r < B; r++)                            /* db += Σ_r dout */
		for (int64_t o = 0; o < O; o++)
			db[o] += dout[r * O + o];
	if (din)                                                         /* din = dout·W */
		MATMUL(false, false, B, I, O, dout, O, w, I, din, I, false, work);
}

/* Element-wise loops, one per activation so that each vectorizes. */
void FN(act_forward)(REAL *restrict out, const REAL *restrict in, int64_t n, enum activation act,
                     double slope)
{
	const REAL s = (REAL)slope;
	switch (act) {
	case ACT_IDENTITY:
		for (int64_t i = 0; i < n; i++)
			out[i] = in[i];
		break;
	case ACT_RELU:
		for (int64_t i = 0; i < n; i++)
			out[i] = in[i] > 0 ? in[i] : 0;
		break;
	case ACT_LEAKY_RELU:
		for (int64_t i = 0; i < n; i++)
			out[i] = in[i] > 0 ? in[i] : s * in[i];
		break;
	case ACT_TANH:
		for (int64_t i = 0; i < n; i++)
			out[i] = (REAL)tanh(in[i]);
		break;
	case ACT_SIGMOID:
		for (int64_t i = 0; i < n; i++)
			out[i] = (REAL)(1 / (1 + exp(-(double)in[i])));
		break;
	case ACT_GELU:
		for (int64_t i = 0; i < n; i++)
			out[i] = (REAL)(0.5 * in[i] * (1 + erf(in[i] * M_SQRT1_2)));
		break;
	}
}

void FN(act_backward)(REAL *restrict din, const REAL *restrict dout, const REAL *restrict in,
                      const REAL *restrict out, int64_t n, enum activation act, double slope)
{
	const REAL s = (REAL)slope;
	switch (act) {
	case ACT_IDENTITY:
		for (int64_t i = 0; i < n; i++)
			din[i] = dout[i];
		break;
	case ACT_RELU: /* dout read whatever the branch, so that the loop is a select */
		for (int64_t i = 0; i < n; i++) {
			REAL g = dout[i];
			din[i] = in[i] > 0 ? g : 0;
		}
		break;
	case ACT_LEAKY_RELU:
		for (int64_t i = 0; i < n; i++) {
			REAL g = dout[i];
			din[i] = in[i] > 0 ? g : s * g;
		}
		break;
	case ACT_TANH:
		for (int64_t i = 0; i < n; i++)
			din[i] = dout[i] * (1 - out[i] * out[i]);
		break;
	case ACT_SIGMOID:
		for (int64_t i = 0; i < n; i++)
			din[i] = dout[i] * out[i] * (1 - out[i]);
		break;
	case ACT_GELU: /* Φ(x) + x·φ(x) */
		for (int64_t i = 0; i < n; i++) {
			double x = in[i];
			din[i] = (REAL)(dout[i] * (0.5 * (1 + erf(x * M_SQRT1_2))
			                           + x * exp(-0.5 * x * x) * 0.3989422804014327));
		}
		break;
	}
}

void FN(softmax_forward)(REAL *out, const REAL *in, int64_t B, int64_t C)
{
	for (int64_t r = 0; r < B; r++) {
		const REAL *x = in + r * C;
		REAL *y = out + r * C;
		double top = x[0], sum = 0;
		for (int64_t c = 1; c < C; c++)
			top = x[c] > top ? x[c] : top;
		for (int64_t c = 0; c < C; c++)
			sum += exp((double)x[c] - top);
		for (int64_t c = 0; c < C; c++)
			y[c] = (REAL)(exp((double)x[c] - top) / sum);
	}
}

/* dx = y ⊙ (dy − Σ dy⊙y), row by row. */
void FN(softmax_backward)(REAL *din, const REAL *dout, const REAL *out, int64_t B, int64_t C)
{
	for (int64_t r = 0; r < B; r++) {
		double dot = 0;
		for (int64_t c = 0; c < C; c++)
			dot += (double)dout[r * C + c] * out[r * C + c];
		for (int64_t c = 0; c < C; c++)
			din[r * C + c] = (REAL)(out[r * C + c] * (dout[r * C + c] - dot));
	}
}

/* The multipliers of n units from the dropout stream's key and counter base: kept where
 * the draw's 53 bits are below threshold (dropout_threshold), else 0 — dropout_keeps
 * unit by unit. The draws are dropout's hot part; the loop is compiled for AVX2 too
 * (four at a time, 64-bit products emulated: about 5× faster), and the loader picks the
 * clone the processor can run. */
__attribute__((target_clones("avx2", "default")))
static void FN(dropout_draws)(REAL *restrict mask, int64_t n, uint64_t key, uint64_t base,
                              uint64_t threshold, REAL kept)
{
	for (int64_t i = 0; i < n; i++)
		mask[i] = rng_keyed(key, base | (uint64_t)i) >> 11 < threshold ? kept : 0;
}

void FN(dropout_forward)(REAL *out, REAL *mask, const REAL *in, int64_t rows, int64_t width,
                         const struct dropout *d, bool training)
{
	int64_t n = rows * width;
	const REAL keep = (REAL)d->keep, kept = d->inverted ? (REAL)(1 / d->keep) : 1;
	if (!training) {
		for (int64_t i = 0; i < n; i++)
			out[i] = d->inverted ? in[i] : keep * in[i];
		return;
	}
	FN(dropout_draws)(mask, n, rng_key(d->seed, RNG_DROPOUT), dropout_base(d),
	                  dropout_threshold(d), kept);
	for (int64_t i = 0; i < n; i++) /* as PyTorch, a product: a dropped inf gives nan */
		out[i] = in[i] * mask[i];
}

void FN(dropout_backward)(REAL *din, const REAL *dout, const REAL *mask, int64_t rows,
                          int64_t width)
{
	for (int64_t i = 0; i < rows * width; i++)
		din[i] = dout[i] * mask[i];
}

/* Row by row, so that every inner loop runs over contiguous features and vectorizes;
 * saved (4, W) holds the batch mean, 1/√(σ² + eps), and the backward pass's two sums. */
void FN(batchnorm_forward)(REAL *out, REAL *saved, REAL *running_mean, REAL *running_var,
                           const REAL *in, const REAL *gamma, const REAL *beta, int64_t B,
                           int64_t W, double momentum, double eps, bool training)
{
	REAL *restrict mean = saved, *restrict inv = saved + W;
	if (training) {
		for (int64_t j = 0; j < W; j++)
			mean[j] = inv[j] = 0;
		for (int64_t r = 0; r < B; r++)
			for (int64_t j = 0; j < W; j++)
				mean[j] += in[r * W + j];
		for (int64_t j = 0; j < W; j++)
			mean[j] /= (REAL)B;
		for (int64_t r = 0; r < B; r++) /* inv first holds the sum of squared deviations */
			for (int64_t j = 0; j < W; j++)
				inv[j] += (in[r * W + j] - mean[j]) * (in[r * W + j] - mean[j]);
		for (int64_t j = 0; j < W; j++) {
			double squares = inv[j], unbiased = B > 1 ? squares / (double)(B - 1) : squares;
			running_mean[j] = (REAL)((1 - momentum) * running_mean[j] + momentum * mean[j]);
			running_var[j] = (REAL)((1 - momentum) * running_var[j] + momentum * unbiased);
			inv[j] = (REAL)(1 / sqrt(squares / (double)B + eps));
		}
	} else {
		for (int64_t j = 0; j < W; j++) {
			mean[j] = running_mean[j];
			inv[j] = (REAL)(1 / sqrt((double)running_var[j] + eps));
		}
	}
	for (int64_t r = 0; r < B; r++)
		for (int64_t j = 0; j < W; j++)
			out[r * W + j] = gamma[j] * ((in[r * W + j] - mean[j]) * inv[j]) + beta[j];
}

void FN(batchnorm_backward)(REAL *din, REAL *dgamma, REAL *dbeta, const REAL *dout,
                            const REAL *in, REAL *saved, const REAL *gamma, int64_t B,
                            int64_t W)
{
	const REAL *restrict mean = saved, *restrict inv = saved + W;
	REAL *restrict sum = saved + 2 * W, *restrict dot = saved + 3 * W;
	for (int64_t j = 0; j < W; j++)
		sum[j] = dot[j] = 0;
	for (int64_t r = 0; r < B; r++)
		for (int64_t j = 0; j < W; j++) {
			sum[j] += dout[r * W + j];
			dot[j] += dout[r * W + j] * ((in[r * W + j] - mean[j]) * inv[j]);
		}
	for (int64_t j = 0; j < W; j++) {
		dgamma[j] += dot[j];
		dbeta[j] += sum[j];
	}
	const REAL rows = (REAL)B;
	for (int64_t r = 0; din && r < B; r++)
		for (int64_t j = 0; j < W; j++) {
			REAL xhat = (in[r * W + j] - mean[j]) * inv[j];
			din[r * W + j] = gamma[j] * inv[j] * (dout[r * W + j] - sum[j] / rows
			                                      - xhat * dot[j] / rows);
		}
}

/* Cross-entropy of one sample's logits z (C): log Σ e^z − z[y] with the max taken out;
 * the gradient softmax(z) − onehot(y), times scale. */
static double FN(cross_entropy_row)(REAL *dz, const REAL *z, int32_t y, int64_t C, double scale)
{
	double top = z[0], sum = 0, kept[CE_KEPT];
	const bool keep = dz && C <= CE_KEPT;
	for (int64_t c = 1; c < C; c++)
		top = z[c] > top ? z[c] : top;
	for (int64_t c = 0; c < C; c++) {
		double e = exp((double)z[c] - top);
		if (keep)
			kept[c] = e;
		sum += e;
	}
	for (int64_t c = 0; dz && c < C; c++)
		dz[c] = (REAL)(scale * ((keep ? kept[c] : exp((double)z[c] - top)) / sum - (c == y)));
	return top + log(sum) - (double)z[y];
}

double FN(loss)(REAL *dz, const REAL *z, const int32_t *y, int64_t B, int64_t C, enum loss loss,
                double scale)
{
	double total = 0;
	for (int64_t r = 0; r < B; r++) {
		const REAL *zr = z + r * C;
		REAL *dr = dz ? dz + r * C : NULL;
		if (loss == LOSS_CROSS_ENTROPY) {
			total += FN(cross_entropy_row)(dr, zr, y[r], C, scale);
			continue;
		}
		double row = 0;
		for (int64_t c = 0; c < C; c++) {
			double t = C == 1 ? y[r] : c == y[r], x = zr[c];
			if (loss == LOSS_MSE) {
				row += (x - t) * (x - t);
				if (dr)
					dr[c] = (REAL)(scale * 2 * (x - t) / (double)C);
			} else { /* max(x, 0) − x·t + log(1 + e^−|x|), as BCEWithLogitsLoss */
				row += (x > 0 ? x : 0) - x * t + log1p(exp(-fabs(x)));
				if (dr)
					dr[c] = (REAL)(scale * (1 / (1 + exp(-x)) - t) / (double)C);
			}
		}
		total += row / (double)C;
	}
	return total;
}

/* Cross-entropy of one sample's logits z (C) against the smoothed target
 * q = (1 − ε)·onehot(y) + ε/C (PyTorch's label_smoothing): log Σ e^z − (1 − ε)·z[y] −
 * ε/C·Σ z; the gradient softmax(z) − q, times scale. */
static double FN(smoothed_row)(REAL *dz, const REAL *z, int32_t y, int64_t C, double eps,
                               double scale)
{
	double top = z[0], sum = 0, all = 0;
	for (int64_t c = 1; c < C; c++)
		top = z[c] > top ? z[c] : top;
	for (int64_t c = 0; c < C; c++) {
		sum += exp((double)z[c] - top);
		all += (double)z[c];
	}
	for (int64_t c = 0; dz && c < C; c++)
		dz[c] = (REAL)(scale * (exp((double)z[c] - top) / sum - (1 - eps) * (c == y)
		                        - eps / (double)C));
	return top + log(sum) - (1 - eps) * (double)z[y] - eps / (double)C * all;
}

double FN(loss_smoothed)(REAL *dz, const REAL *z, const int32_t *y, int64_t B, int64_t C,
                         double eps, double scale)
{
	double total = 0;
	for (int64_t r = 0; r < B; r++)
		total += FN(smoothed_row)(dz ? dz + r * C : NULL, z + r * C, y[r], C, eps, scale);
	return total;
}

/* One output's loss against its target value, and (in *grad) its derivative in the output:
 * mse e², mae |e| (derivative sign e, 0 at 0, as PyTorch), huber ½e² below delta and
 * delta·(|e| − ½delta) from it (HuberLoss), with e = x − t. */
static double FN(value_term)(double x, double t, enum loss loss, double delta, double *grad)
{
	double e = x - t, a = fabs(e), sign = (e > 0) - (e < 0);
	if (loss == LOSS_MAE) {
		*grad = sign;
		return a;
	}
	if (loss == LOSS_HUBER && a >= delta) {
		*grad = delta * sign;
		return delta * (a - 0.5 * delta);
	}
	*grad = loss == LOSS_HUBER ? e : 2 * e;
	return loss == LOSS_HUBER ? 0.5 * e * e : e * e;
}

double FN(loss_values)(REAL *dz, const REAL *z, const float *t, int64_t B, int64_t T,
                       enum loss loss, double delta, double scale)
{
	double total = 0;
	for (int64_t r = 0; r < B; r++) {
		double row = 0, grad;
		for (int64_t k = 0; k < T; k++) {
			row += FN(value_term)((double)z[r * T + k], (double)t[r * T + k], loss, delta, &grad);
			if (dz)
				dz[r * T + k] = (REAL)(scale * grad / (double)T);
		}
		total += row / (double)T;
	}
	return total;
}

int64_t FN(correct)(const REAL *z, const int32_t *y, int64_t B, int64_t C)
{
	int64_t hits = 0;
	for (int64_t r = 0; r < B; r++) {
		const REAL *zr = z + r * C;
		int64_t best = 0;
		for (int64_t c = 1; c < C; c++)
			if (zr[c] > zr[best])
				best = c;
		hits += C == 1 ? (zr[0] > 0) == (y[r] == 1) : best == y[r];
	}
	return hits;
}

#undef CAT_
#undef CAT
#undef FN
