/* scalar.c — forward and reverse mode over the scalar tape (see scalar.h).
 *
 * Each operation's forward rule and gradient rule sit together in the two switches below,
 * in the same order. Conventions where the derivative is not unique follow PyTorch:
 * d|a|/da = sign(a), 0 at 0.
 */
#include "scalar.h"

#include <math.h>
#include <stdlib.h>

int sc_emit(struct sc_program *p, enum sc_op op, int a, int b, int var, double value)
{
	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 16;
		struct sc_instr *code = realloc(p->code, (size_t)cap * sizeof *code);
		if (!code)
			return -1;
		p->code = code;
		p->cap = cap;
	}
	p->code[p->n] = (struct sc_instr){op, a, b, var, value};
	return p->n++;
}

void sc_free(struct sc_program *p)
{
	free(p->code);
	*p = (struct sc_program){0};
}

const char *sc_op_name(enum sc_op op)
{
	static const char *const names[] = {
		[SC_CONST] = "constant", [SC_VAR] = "variable", [SC_ADD] = "+", [SC_SUB] = "-",
		[SC_MUL] = "*", [SC_DIV] = "/", [SC_POW] = "^", [SC_NEG] = "-", [SC_SIN] = "sin",
		[SC_COS] = "cos", [SC_TAN] = "tan", [SC_EXP] = "exp", [SC_LOG] = "log",
		[SC_SQRT] = "sqrt", [SC_ABS] = "abs", [SC_TANH] = "tanh", [SC_SIGMOID] = "sigmoid",
	};
	return names[op];
}

static int fail(struct sc_error *err, int instr, const char *what, double operand)
{
	*err = (struct sc_error){instr, what, operand};
	return -1;
}

/* The value of one instruction from its operands' values; NaN for a domain error, which
 * the caller names. */
static double forward(const struct sc_instr *in, const double *x, double a, double b)
{
	switch (in->op) {
	case SC_CONST: return in->value;
	case SC_VAR: return x[in->var];
	case SC_ADD: return a + b;
	case SC_SUB: return a - b;
	case SC_MUL: return a * b;
	case SC_DIV: return a / b;
	case SC_POW: return pow(a, b);
	case SC_NEG: return -a;
	case SC_SIN: return sin(a);
	case SC_COS: return cos(a);
	case SC_TAN: return tan(a);
	case SC_EXP: return exp(a);
	case SC_LOG: return log(a);
	case SC_SQRT: return sqrt(a);
	case SC_ABS: return fabs(a);
	case SC_TANH: return tanh(a);
	case SC_SIGMOID: return 1.0 / (1.0 + exp(-a));
	}
	return NAN;
}

int sc_eval(const struct sc_program *p, const double *x, double *values, struct sc_error *err)
{
	for (int i = 0; i < p->n; i++) {
		const struct sc_instr *in = &p->code[i];
		double a = in->a >= 0 ? values[in->a] : 0, b = in->b >= 0 ? values[in->b] : 0;
		if (in->op == SC_DIV && b == 0)
			return fail(err, i, "division by zero", a);
		if (in->op == SC_LOG && a <= 0)
			return fail(err, i, "log of a number <= 0", a);
		if (in->op == SC_SQRT && a < 0)
			return fail(err, i, "sqrt of a negative number", a);
		if (in->op == SC_POW && a < 0 && b != floor(b))
			return fail(err, i, "a negative number to a fractional power", a);
		values[i] = forward(in, x, a, b);
		if (!isfinite(values[i]))
			return fail(err, i, "a result that is not a finite number", a);
	}
	return 0;
}

/* Adds the instruction's adjoint, times its local derivatives, to its operands'. */
static void backward(const struct sc_instr *in, const double *values, double v, double dv,
                     double *adjoint)
{
	double a = in->a >= 0 ? values[in->a] : 0, b = in->b >= 0 ? values[in->b] : 0;
	double unused = 0; /* the adjoint of an operand an op does not have */
	double *da = in->a >= 0 ? &adjoint[in->a] : &unused;
	double *db = in->b >= 0 ? &adjoint[in->b] : &unused;
	switch (in->op) {
	case SC_CONST: case SC_VAR: break;
	case SC_ADD: *da += dv; *db += dv; break;
	case SC_SUB: *da += dv; *db -= dv; break;
	case SC_MUL: *da += dv * b; *db += dv * a; break;
	case SC_DIV: *da += dv / b; *db -= dv * a / (b * b); break;
	case SC_POW:
		*da += b == 0 ? 0 : dv * b * pow(a, b - 1);
		if (a > 0) /* a^b with a <= 0 is only defined for whole b: b does not vary there */
			*db += dv * v * log(a);
		break;
	case SC_NEG: *da -= dv; break;
	case SC_SIN: *da += dv * cos(a); break;
	case SC_COS: *da -= dv * sin(a); break;
	case SC_TAN: *da += dv * (1 + v * v); break;
	case SC_EXP: *da += dv * v; break;
	case SC_LOG: *da += dv / a; break;
	case SC_SQRT: *da += dv / (2 * v); break;
	case SC_ABS: *da += dv * (a > 0 ? 1 : a < 0 ? -1 : 0); break;
	case SC_TANH: *da += dv * (1 - v * v); break;
	case SC_SIGMOID: *da += dv * v * (1 - v); break;
	}
}

int sc_grad(const struct sc_program *p, const double *values, double *adjoint, double *grad,
            struct sc_error *err)
{
	for (int i = 0; i < p->n; i++)
		adjoint[i] = 0;
	for (int v = 0; v < p->nvars; v++)
		grad[v] = 0;
	if (p->n == 0)
		return 0;
	adjoint[p->n - 1] = 1;
	for (int i = p->n - 1; i >= 0; i--) {
		const struct sc_instr *in = &p->code[i];
		if (in->op == SC_VAR) {
			grad[in->var] += adjoint[i];
			continue;
		}
		backward(in, values, values[i], adjoint[i], adjoint);
		if ((in->a >= 0 && !isfinite(adjoint[in->a])) || (in->b >= 0 && !isfinite(adjoint[in->b])))
			return fail(err, i, "a derivative that is not a finite number",
			            in->a >= 0 ? values[in->a] : values[i]);
	}
	return 0;
}
