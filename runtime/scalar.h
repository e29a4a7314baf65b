/* scalar.h — the scalar IR of `minimize` blocks: a straight-line tape of double-precision
 * operations, evaluated forward, differentiated exactly by reverse mode.
 *
 * A sibling of the tensor IR that networks will use: same idea (ops in topological order,
 * each with its forward rule and its gradient rule side by side), on scalars. For:
 * functions of a few variables. Not for: tensors, or knowing where in a file an
 * instruction came from (the lowering keeps that, indexed like the tape).
 */
#ifndef DESCENT_SCALAR_H
#define DESCENT_SCALAR_H

#include <stddef.h>

enum sc_op {
	SC_CONST,   /* value */
	SC_VAR,     /* variable number `var` */
	SC_ADD,     /* a + b */
	SC_SUB,     /* a - b */
	SC_MUL,     /* a * b */
	SC_DIV,     /* a / b */
	SC_POW,     /* a ^ b */
	SC_NEG,     /* -a */
	SC_SIN, SC_COS, SC_TAN, SC_EXP, SC_LOG, SC_SQRT, SC_ABS, SC_TANH, SC_SIGMOID, /* f(a) */
};

struct sc_instr {
	enum sc_op op;
	int a, b;     /* operand instructions (earlier on the tape), -1 if unused */
	int var;      /* SC_VAR: which variable */
	double value; /* SC_CONST: the constant */
};

/* A function of nvars variables; its value is the last instruction's. */
struct sc_program {
	struct sc_instr *code; /* (n), owned */
	int n;                 /* instructions */
	int cap;               /* allocated instructions */
	int nvars;             /* variables */
};

/* Why an evaluation stopped. */
struct sc_error {
	int instr;         /* the instruction at fault */
	const char *what;  /* "log of a number <= 0", ... */
	double operand;    /* the operand that caused it */
};

/* Appends an instruction; returns its index, or -1 when memory runs out. */
int sc_emit(struct sc_program *p, enum sc_op op, int a, int b, int var, double value);
void sc_free(struct sc_program *p);

/* Evaluates the function at x (nvars) into values (n, one per instruction); returns 0,
 * or -1 with *err filled when an operation has no finite real result. */
int sc_eval(const struct sc_program *p, const double *x, double *values, struct sc_error *err);

/* The gradient at the point values came from (after sc_eval), by reverse mode:
 * grad (nvars) is overwritten; adjoint (n) is work space. Returns 0, or -1 with *err when
 * a derivative is not finite (sqrt at 0, |x|^0.5 at 0, ...). */
int sc_grad(const struct sc_program *p, const double *values, double *adjoint, double *grad,
            struct sc_error *err);

/* The name of an operation as written ("sin", "+"). */
const char *sc_op_name(enum sc_op op);

#endif
